-- Security SLOs: objectives, event buckets, control check history,
-- evaluations and burn-rate alerts.

-- +goose Up
CREATE TABLE slos (
    name       TEXT PRIMARY KEY,
    service    TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX slos_service ON slos (service);

-- Event counts per SLO and time bucket (start in unix seconds, width in
-- seconds): 5-minute buckets for recent data, merged into hourly ones
-- later. version orders changes so the evaluator reads only what changed.
CREATE TABLE slo_buckets (
    slo     TEXT NOT NULL REFERENCES slos (name) ON DELETE CASCADE,
    start   BIGINT NOT NULL,
    width   BIGINT NOT NULL,
    good    DOUBLE PRECISION NOT NULL,
    total   DOUBLE PRECISION NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (slo, start, width)
);
CREATE INDEX slo_buckets_version ON slo_buckets (version);

-- A counter for slo_buckets.version, one row.
CREATE TABLE slo_bucket_clock (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO slo_bucket_clock (id, version) VALUES (1, 0);

-- Idempotency keys of pushed events, kept for a week.
CREATE TABLE slo_event_ids (
    slo TEXT NOT NULL,
    id  TEXT NOT NULL,
    at  BIGINT NOT NULL,
    PRIMARY KEY (slo, id)
);
CREATE INDEX slo_event_ids_at ON slo_event_ids (at);

-- Control checks: the current state, and every change of state.
CREATE TABLE control_state (
    service   TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    ok        BOOLEAN NOT NULL,
    since     TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (service, name)
);
CREATE TABLE control_transitions (
    service TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    at      TEXT NOT NULL,
    ok      BOOLEAN NOT NULL,
    PRIMARY KEY (service, name, at)
);

CREATE TABLE slo_status (
    slo    TEXT PRIMARY KEY REFERENCES slos (name) ON DELETE CASCADE,
    at     TEXT NOT NULL,
    status TEXT NOT NULL
);

CREATE TABLE slo_alerts (
    slo         TEXT NOT NULL REFERENCES slos (name) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    firing_at   TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (slo, key, firing_at)
);
CREATE INDEX slo_alerts_open ON slo_alerts (resolved_at);

-- +goose Down
DROP TABLE slo_alerts;
DROP TABLE slo_status;
DROP TABLE control_transitions;
DROP TABLE control_state;
DROP TABLE slo_event_ids;
DROP TABLE slo_bucket_clock;
DROP TABLE slo_buckets;
DROP TABLE slos;
