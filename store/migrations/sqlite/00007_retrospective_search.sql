-- The retrospectives' full-text index on SQLite (see 00006).

-- +goose Up
-- The full-text index: FTS5 with the Porter stemmer over Unicode words
-- (diacritics folded). rowid is the retrospective's num. It keeps its own
-- copy of the text, from which the store makes snippets.
CREATE VIRTUAL TABLE retrospective_search USING fts5 (
    title, body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- +goose Down
DROP TABLE retrospective_search;
