-- The change gate: the policies of palisade.yaml's gates section, and every
-- decision with its reasons.

-- +goose Up
CREATE TABLE gate_policies (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    section    TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE gate_decisions (
    id         TEXT PRIMARY KEY,
    service    TEXT NOT NULL,
    change     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    introduced INTEGER NOT NULL,
    removed    INTEGER NOT NULL,
    decision   TEXT NOT NULL
);
CREATE INDEX gate_decisions_at ON gate_decisions (at, id);
CREATE INDEX gate_decisions_service ON gate_decisions (service, at);

-- +goose Down
DROP TABLE gate_decisions;
DROP TABLE gate_policies;
