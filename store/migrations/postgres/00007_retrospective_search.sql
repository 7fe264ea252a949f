-- The retrospectives' full-text index on PostgreSQL (see 00006), and the
-- indexes its filtered searches read.

-- +goose Up
-- Lists filtered by state or severity, newest first, read one index
-- range; with text, the same indexes give the filter's numbers without
-- reading the table.
CREATE INDEX retrospectives_state ON retrospectives (state, created_at, num);
CREATE INDEX retrospectives_severity ON retrospectives (severity, created_at, num);

-- The full-text index: a tsvector with English stemming, title weighted
-- A and body B, under a GIN index. The store computes it from the title
-- and body normalised to plain words (see searchable in
-- store/dialect_search.go), because the default parser reads
-- "CVE-2024-3094" as a word and two negative numbers; text is the body as
-- written, for snippets.
--
-- A search ranks its matches by reading their tsvectors (ts_rank_cd), and
-- checks phrases on them: STORAGE MAIN keeps a tsvector in the row (a
-- document's is a few kilobytes; only one over a page goes to TOAST), so
-- that reading it is no TOAST lookup and decompression, while text, read
-- for one page of snippets, goes to TOAST. fastupdate = off puts each new
-- entry in the index right away, so searches never scan a pending list.
CREATE TABLE retrospective_search (
    retro INTEGER PRIMARY KEY REFERENCES retrospectives (num) ON DELETE CASCADE,
    text  TEXT NOT NULL,
    doc   tsvector NOT NULL
);
ALTER TABLE retrospective_search ALTER COLUMN doc SET STORAGE MAIN;
CREATE INDEX retrospective_search_doc ON retrospective_search USING GIN (doc) WITH (fastupdate = off);

-- +goose Down
DROP TABLE retrospective_search;
DROP INDEX retrospectives_severity;
DROP INDEX retrospectives_state;
