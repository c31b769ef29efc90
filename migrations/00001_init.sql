-- +goose Up
CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL,
    email_key     text        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL,
    status        text        NOT NULL DEFAULT 'active'
                              CHECK (status IN ('active', 'disabled')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
-- Uniqueness is decided on the case-folded NFC form computed by the
-- service; deleted accounts keep their address reserved.
CREATE UNIQUE INDEX users_email_key_uq ON users (email_key);

CREATE TABLE permissions (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$'),
    description text NOT NULL DEFAULT ''
);

CREATE TABLE roles (
    name        text    PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]*$'),
    description text    NOT NULL DEFAULT '',
    system      boolean NOT NULL DEFAULT false
);

CREATE TABLE role_permissions (
    role_name       text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    permission_name text NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
    PRIMARY KEY (role_name, permission_name)
);

CREATE TABLE user_roles (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_name text NOT NULL REFERENCES roles (name) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role_name)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_name);

CREATE TABLE sessions (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Only the SHA-256 of a refresh token is stored. A rotated token keeps its
-- row, so presenting it again is recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash    bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id    uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    rotated_at    timestamptz,
    successor_box bytea
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE permissions;
DROP TABLE users;
