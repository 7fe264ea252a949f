-- The foundation: catalog, identity and the audit log.
-- Times are TEXT in UTC, fixed width ("2006-01-02T15:04:05.000000Z"), so they
-- sort and compare the same on SQLite and PostgreSQL. Lists are JSON text.

-- +goose Up
CREATE TABLE teams (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    members     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE third_parties (
    name         TEXT PRIMARY KEY,
    description  TEXT NOT NULL DEFAULT '',
    website      TEXT NOT NULL DEFAULT '',
    status_page  TEXT NOT NULL DEFAULT '',
    data_classes TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE services (
    name         TEXT PRIMARY KEY,
    description  TEXT NOT NULL DEFAULT '',
    team         TEXT NOT NULL REFERENCES teams (name),
    tier         INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4),
    system       TEXT NOT NULL DEFAULT '',
    lifecycle    TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    data_classes TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX services_team ON services (team, name);

-- Edges are rows, not JSON, so "who depends on X" is an index lookup.
CREATE TABLE service_dependencies (
    service    TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    depends_on TEXT NOT NULL REFERENCES services (name),
    PRIMARY KEY (service, depends_on)
);
CREATE INDEX service_dependencies_depends_on ON service_dependencies (depends_on);

CREATE TABLE service_third_parties (
    service     TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    third_party TEXT NOT NULL REFERENCES third_parties (name),
    PRIMARY KEY (service, third_party)
);
CREATE INDEX service_third_parties_third_party ON service_third_parties (third_party);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    teams        TEXT NOT NULL DEFAULT '[]',
    hash         TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE web_sessions (
    hash       TEXT PRIMARY KEY,
    token_id   TEXT NOT NULL REFERENCES api_tokens (id),
    csrf       TEXT NOT NULL,
    address    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_token ON web_sessions (token_id);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    address    TEXT NOT NULL,
    request_id TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    object     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (kind, object, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- One row: the chain's last entry. Updating it in every audited transaction
-- serializes appends on PostgreSQL (row lock) as SQLite's write lock does.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE web_sessions;
DROP TABLE api_tokens;
DROP TABLE service_third_parties;
DROP TABLE service_dependencies;
DROP TABLE services;
DROP TABLE third_parties;
DROP TABLE teams;
