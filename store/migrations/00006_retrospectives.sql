-- Retrospectives. Their full-text index differs between the engines and
-- is in 00007, one file per engine.
--
-- Each retrospective is stored whole as JSON in retrospective_docs; the
-- columns that lists and filters need are in retrospectives, kept narrow
-- so that a search joining thousands of index matches to them stays
-- fast. Services and tags have their own tables for filtering, and action
-- items are rows so that "what is overdue" is an index range, not a scan
-- of every document. The store keeps all of these in step with the
-- document in the transaction that writes it.

-- +goose Up
CREATE TABLE retrospectives (
    num          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    incident     TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    state        TEXT NOT NULL,
    severity     TEXT NOT NULL DEFAULT '',
    services     TEXT NOT NULL DEFAULT '[]',
    tags         TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX retrospectives_incident ON retrospectives (incident);
CREATE INDEX retrospectives_created ON retrospectives (created_at, num);
CREATE INDEX retrospectives_published ON retrospectives (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE retrospective_docs (
    retro INTEGER PRIMARY KEY REFERENCES retrospectives (num) ON DELETE CASCADE,
    doc   TEXT NOT NULL
);

-- The last number given to a retrospective: deleting a draft does not
-- free its number, so RETRO-n always means the same retrospective (in the
-- audit log, in links).
CREATE TABLE retrospective_counter (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL
);
INSERT INTO retrospective_counter (id, last) VALUES (1, 0);

CREATE TABLE retrospective_services (
    service TEXT NOT NULL,
    retro   INTEGER NOT NULL REFERENCES retrospectives (num) ON DELETE CASCADE,
    PRIMARY KEY (service, retro)
);
CREATE INDEX retrospective_services_retro ON retrospective_services (retro);

CREATE TABLE retrospective_tags (
    tag   TEXT NOT NULL,
    retro INTEGER NOT NULL REFERENCES retrospectives (num) ON DELETE CASCADE,
    PRIMARY KEY (tag, retro)
);
CREATE INDEX retrospective_tags_retro ON retrospective_tags (retro);

CREATE TABLE action_items (
    retro       INTEGER NOT NULL REFERENCES retrospectives (num) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    status      TEXT NOT NULL,
    due_at      TEXT,
    tracker_url TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    PRIMARY KEY (retro, id)
);
CREATE INDEX action_items_due ON action_items (status, due_at);
CREATE INDEX action_items_owner ON action_items (owner, status);

-- +goose Down
DROP TABLE action_items;
DROP TABLE retrospective_tags;
DROP TABLE retrospective_services;
DROP TABLE retrospective_counter;
DROP TABLE retrospective_docs;
DROP TABLE retrospectives;
