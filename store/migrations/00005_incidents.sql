-- Incident response: alerts from every source (one row per source and
-- dedup key, however often delivered), incidents with their services and
-- timeline, the severities and routing of palisade.yaml, and the
-- notification outbox.

-- +goose Up
CREATE TABLE incident_config (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    config     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- num orders incidents; id is what people say ("INC-12"). The columns
-- filters need sit beside the whole incident as JSON (doc).
CREATE TABLE incidents (
    num        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL,
    severity   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    team       TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, num);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE incident_services (
    service  TEXT NOT NULL,
    incident INTEGER NOT NULL REFERENCES incidents (num) ON DELETE CASCADE,
    PRIMARY KEY (service, incident)
);
CREATE INDEX incident_services_incident ON incident_services (incident);

CREATE TABLE incident_timeline (
    incident INTEGER NOT NULL REFERENCES incidents (num) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (incident, seq)
);

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    dedup_key  TEXT NOT NULL,
    status     TEXT NOT NULL,
    severity   TEXT NOT NULL DEFAULT '',
    service    TEXT NOT NULL DEFAULT '',
    incident   TEXT NOT NULL DEFAULT '',
    last_seen  TEXT NOT NULL,
    doc        TEXT NOT NULL,
    UNIQUE (source, dedup_key)
);
CREATE INDEX alerts_incident ON alerts (incident);
CREATE INDEX alerts_last_seen ON alerts (last_seen, id);

-- One row per message and target. The key makes enqueueing idempotent;
-- a message leaves the outbox only when the target accepted it (sent) or
-- it ran out of attempts (dead).
CREATE TABLE outbox (
    key         TEXT PRIMARY KEY,
    target      TEXT NOT NULL,
    event       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TEXT NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    claimed_by  TEXT NOT NULL DEFAULT '',
    claimed_until TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE alerts;
DROP TABLE incident_timeline;
DROP TABLE incident_services;
DROP TABLE incidents;
DROP TABLE incident_config;
