-- +goose Up
-- Attempts counted by the throttles, shared by every instance. Keys (an
-- email, a client address) are stored only as SHA-256.
CREATE TABLE attempts (
    scope    text        NOT NULL,
    key_hash bytea       NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX attempts_key_idx ON attempts (scope, key_hash, at DESC);
CREATE INDEX attempts_at_idx ON attempts (scope, at);

-- +goose Down
DROP TABLE attempts;
