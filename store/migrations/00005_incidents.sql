-- Incident response: alerts from every source (one row per source and
-- dedup key, however often delivered), incidents with their services and
-- timeline, stored sections of palisade.yaml, and the
-- notification outbox.

-- +goose Up
-- Sections of palisade.yaml that capabilities keep as written (severities,
-- routing, alertSources, notifiers, retrospectives), as JSON. ${NAME}
-- secret references stay unresolved here: the server resolves them from
-- its environment.
CREATE TABLE config_sections (
    name       TEXT PRIMARY KEY,
    section    TEXT NOT NULL,
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

-- The notification outbox: one row per message and target, written in
-- the transaction of the change that caused it. (target, message_id)
-- makes enqueueing idempotent; a dispatcher leases due rows, and a row
-- leaves the queue only as sent or, out of attempts, dead.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    target       TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    message      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    last_error   TEXT NOT NULL DEFAULT '',
    lease_holder TEXT NOT NULL DEFAULT '',
    lease_until  TEXT,
    UNIQUE (target, message_id)
);
CREATE INDEX outbox_due ON outbox (status, next_at, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE alerts;
DROP TABLE incident_timeline;
DROP TABLE incident_services;
DROP TABLE incidents;
DROP TABLE config_sections;
