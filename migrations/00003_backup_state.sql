-- +goose Up
-- One row: whether the initial dump this database is owed has been
-- written. A database created by these migrations starts owing it.
CREATE TABLE backup_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    initial_done boolean NOT NULL DEFAULT false
);
INSERT INTO backup_state (id, initial_done) VALUES (true, false);

-- +goose Down
DROP TABLE backup_state;
