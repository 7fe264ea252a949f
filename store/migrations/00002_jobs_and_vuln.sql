-- Background job leases and the CVE process: advisories with their
-- enrichment, service inventories, findings with their history, the
-- remediation policy and daily metric snapshots.

-- +goose Up
CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    error       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE advisories (
    id          TEXT PRIMARY KEY,
    modified    TEXT NOT NULL,
    published   TEXT,
    withdrawn   TEXT,
    aliases     TEXT NOT NULL DEFAULT '[]',
    summary     TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    cvss_score  DOUBLE PRECISION,
    cvss_vector TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    record      TEXT NOT NULL,
    -- SHA-256 of record: a changed record whose modified time did not
    -- move (some feeds leave it unset) still replaces the stored one.
    digest      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

-- Which packages each advisory names (base ecosystem without release,
-- OSV-normalized name), so matching loads only the records
-- an inventory can hit, and re-matching finds the components an advisory
-- change can touch.
CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);
CREATE INDEX advisory_packages_package ON advisory_packages (ecosystem, name);

CREATE TABLE advisory_aliases (
    alias       TEXT NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    PRIMARY KEY (alias, advisory_id)
);
CREATE INDEX advisory_aliases_advisory ON advisory_aliases (advisory_id);

CREATE TABLE kev_entries (
    cve        TEXT PRIMARY KEY,
    date_added TEXT NOT NULL,
    due_date   TEXT,
    ransomware BOOLEAN NOT NULL DEFAULT FALSE,
    name       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE epss_scores (
    cve         TEXT PRIMARY KEY,
    probability DOUBLE PRECISION NOT NULL,
    percentile  DOUBLE PRECISION NOT NULL,
    score_date  TEXT NOT NULL
);

-- One current inventory per service.
CREATE TABLE inventories (
    service     TEXT PRIMARY KEY REFERENCES services (name) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    digest      TEXT NOT NULL,
    components  INTEGER NOT NULL,
    warnings    TEXT NOT NULL DEFAULT '[]',
    recorded_at TEXT NOT NULL
);

-- ecosystem is OSV's, with its release ("Debian:12"); base is without it,
-- as advisory_packages keys packages.
CREATE TABLE inventory_components (
    service   TEXT NOT NULL REFERENCES inventories (service) ON DELETE CASCADE,
    purl      TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    base      TEXT NOT NULL,
    name      TEXT NOT NULL,
    version   TEXT NOT NULL,
    PRIMARY KEY (service, purl)
);
CREATE INDEX inventory_components_package ON inventory_components (base, name);

CREATE TABLE findings (
    id            TEXT PRIMARY KEY,
    service       TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE,
    purl          TEXT NOT NULL,
    ecosystem     TEXT NOT NULL,
    package       TEXT NOT NULL,
    version       TEXT NOT NULL,
    advisory_id   TEXT NOT NULL,
    aliases       TEXT NOT NULL DEFAULT '[]',
    summary       TEXT NOT NULL DEFAULT '',
    severity      TEXT NOT NULL,
    cvss_score    DOUBLE PRECISION,
    kev           BOOLEAN NOT NULL DEFAULT FALSE,
    kev_due       TEXT,
    epss          DOUBLE PRECISION,
    fixed         TEXT NOT NULL DEFAULT '[]',
    state         TEXT NOT NULL,
    justification TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    resolution    TEXT NOT NULL DEFAULT '',
    accept_reason     TEXT NOT NULL DEFAULT '',
    accept_requested_by TEXT NOT NULL DEFAULT '',
    accept_approved_by  TEXT NOT NULL DEFAULT '',
    accepted_at       TEXT,
    accept_expires_at TEXT,
    accept_expired_at TEXT,
    published     TEXT,
    detected_at   TEXT NOT NULL,
    triaged_at    TEXT,
    resolved_at   TEXT,
    due_at        TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- Few indexes: re-matching writes findings by the ten thousand, and the
-- metrics read them whole.
CREATE INDEX findings_service ON findings (service, state);
CREATE INDEX findings_advisory ON findings (advisory_id);

-- Every change of a finding, for its page and the audit report.
CREATE TABLE finding_events (
    finding_id TEXT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (finding_id, seq)
);

CREATE TABLE vuln_policy (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    policy     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Point-in-time metrics, one row per day and scope ("" for everything,
-- otherwise a service name), so that trends exist.
CREATE TABLE vuln_snapshots (
    day     TEXT NOT NULL,
    scope   TEXT NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (day, scope)
);

-- +goose Down
DROP TABLE vuln_snapshots;
DROP TABLE vuln_policy;
DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE inventory_components;
DROP TABLE inventories;
DROP TABLE epss_scores;
DROP TABLE kev_entries;
DROP TABLE advisory_aliases;
DROP TABLE advisory_packages;
DROP TABLE advisories;
DROP TABLE job_leases;
