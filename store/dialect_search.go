package store

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-project/palisade/retro"
)

// Full-text search of retrospectives is where the engines differ most:
// SQLite has an FTS5 table whose rowid is the retrospective's num,
// PostgreSQL a table with a weighted tsvector under a GIN index (see the
// two files of migration 00007). Everything that differs is here; the
// queries in retros.go are shared.

// maxIndexed caps the text indexed per retrospective (bytes): a tsvector
// holds at most 1 MB, and past this size a document is found by its
// first quarter megabyte anyway.
const maxIndexed = 256 << 10

// maxRanked is how many matches of one text search PostgreSQL ranks: the
// newest (highest numbers). Ranking reads each match's tsvector and walks
// the positions of the query's words in it, some microseconds a match, so
// a word found in every document of a large library would take hundreds
// of milliseconds; the matches past the newest maxRanked follow the
// ranked ones, newest first. A search matching fewer (after its filters)
// is ranked whole. FTS5's BM25 is cheap enough to rank every match.
const maxRanked = 1000

// searchKey is the column of retrospective_search holding the
// retrospective's num.
func (d *dialect) searchKey() string {
	if d.engine == "postgres" {
		return "retro"
	}
	return "rowid"
}

// indexRow stores the index entry of retrospective num: the title and
// the text (retro.Retrospective.SearchText), cut to maxIndexed. SQLite's
// tokenizer splits words as retro.Words does; PostgreSQL's parser is fed
// the normalised words (searchable), title weighted A and text B, and the
// text as written is kept beside the tsvector, for snippets.
func (d *dialect) indexRow(num int64, title, body string) (string, []any) {
	title, body = plain(title), plain(truncate(body, maxIndexed))
	if d.engine == "postgres" {
		return `INSERT INTO retrospective_search (retro, text, doc)
			VALUES ($1, $2, setweight(to_tsvector('english', $3), 'A') || setweight(to_tsvector('english', $4), 'B'))`,
			[]any{num, body, searchable(title), searchable(body)}
	}
	return `INSERT INTO retrospective_search (rowid, title, body) VALUES ($1, $2, $3)`, []any{num, title, body}
}

// plain replaces control characters other than line breaks and tabs with
// spaces: PostgreSQL's text refuses NUL, and no index needs the others.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// textColumn is the column of retrospective_search that holds the text as
// written.
func (d *dialect) textColumn() string {
	if d.engine == "postgres" {
		return "text"
	}
	return "body"
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// searchable rewrites s so that PostgreSQL's text search parser sees the
// words retro.Words sees: everything that is not a letter, a digit or
// white space becomes a space. The parser would otherwise index
// "CVE-2024-3094" as "cve", "-2024" and "-3094", and "example.com" as one
// host name, which no query word would ever match.
func searchable(s string) string {
	return strings.Map(func(r rune) rune {
		if retro.IsWordRune(r) || unicode.IsSpace(r) {
			return r
		}
		return ' '
	}, s)
}

// matchQuery renders e in the engine's query language. e holds plain
// words only (retro.Expr.Validate), so quoting them is enough to keep
// every operator out.
func (d *dialect) matchQuery(e *retro.Expr) string {
	pg := d.engine == "postgres"
	term := func(t retro.Term) string {
		if pg {
			ws := make([]string, len(t.Words))
			for i, w := range t.Words {
				ws[i] = "'" + w + "'"
			}
			if t.Prefix {
				ws[len(ws)-1] += ":*"
			}
			if len(ws) == 1 {
				return ws[0]
			}
			return "(" + strings.Join(ws, " <-> ") + ")"
		}
		s := `"` + strings.Join(t.Words, " ") + `"`
		if t.Prefix {
			s += "*"
		}
		return s
	}
	or, and, not := " OR ", " AND ", " NOT "
	if pg {
		or, and, not = " | ", " & ", " & !"
	}
	var pos, neg []string
	for _, c := range e.Clauses {
		alts := make([]string, len(c.Terms))
		for i, t := range c.Terms {
			alts[i] = term(t)
		}
		s := alts[0]
		if len(alts) > 1 {
			s = "(" + strings.Join(alts, or) + ")"
		}
		if c.Not {
			neg = append(neg, s)
		} else {
			pos = append(pos, s)
		}
	}
	q := "(" + strings.Join(pos, and) + ")"
	for _, n := range neg {
		q += not + n
	}
	return q
}

// rankedMatches returns a query of the retrospectives that match e, as
// rows (num, score), higher scores better, restricted to those meeting
// the conditions where (on their columns, retrospectives r) and in each
// query of nums of sets. arg adds a parameter and returns its placeholder.
// The caller orders the rows (score DESC, num DESC) and takes its page.
//
// SQLite ranks every match with BM25 (FTS5's bm25 is lower-is-better,
// hence the sign), the title counting five times the body.
//
// PostgreSQL ranks the newest maxRanked matches (matchesByNum) by cover
// density, divided by the log of the document's length (normalization 1,
// as BM25 normalises length); the title is weighted A, the body B. Only
// their numbers are sorted, so that the tsvectors are read once, for
// ranking.
func (d *dialect) rankedMatches(e *retro.Expr, where, sets []string, arg func(any) string) string {
	if d.engine == "postgres" {
		q := arg(d.matchQuery(e))
		return `SELECT c.num, CAST(ts_rank_cd(s.doc, to_tsquery('english', ` + q + `), 1) AS DOUBLE PRECISION) AS score
			FROM (` + d.matchesOf(q, where, sets) + ` ORDER BY num DESC LIMIT ` + strconv.Itoa(maxRanked) + `) c
			JOIN retrospective_search s ON s.retro = c.num`
	}
	return `SELECT retrospective_search.rowid AS num, -bm25(retrospective_search, 5.0, 1.0) AS score FROM ` + d.matching(arg(d.matchQuery(e)), where, sets)
}

// searchArgs returns the arguments of a search query for database/sql.
// PostgreSQL runs it as an unnamed statement (pgx.QueryExecModeExec),
// planned for its values every time: pgx would otherwise prepare and cache
// it, and after five runs the server may switch to a generic plan, made
// without the query's words and filters. That plan cannot tell a word in
// every document from a rare one (the best plans differ: walk the newest
// entries, or read the word's entries in the GIN index), and it parses the
// tsquery again for each row it checks: 5 times slower on a common phrase
// (measured).
func (d *dialect) searchArgs(args []any) []any {
	if d.engine == "postgres" {
		return append([]any{pgx.QueryExecModeExec}, args...)
	}
	return args
}

// rankLimit is how many matches of a search rankedMatches returns at
// most; 0 for all.
func (d *dialect) rankLimit() int {
	if d.engine == "postgres" {
		return maxRanked
	}
	return 0
}

// matchesByNum returns a query of the nums of the retrospectives that
// match e, where and sets (as for rankedMatches), one column named num: the
// caller orders them newest first (num DESC) to page past the ranked ones.
func (d *dialect) matchesByNum(e *retro.Expr, where, sets []string, arg func(any) string) string {
	return d.matchesOf(arg(d.matchQuery(e)), where, sets)
}

// matchesOf is the query of the nums that match the query in parameter
// p, where and sets.
func (d *dialect) matchesOf(p string, where, sets []string) string {
	return "SELECT retrospective_search." + d.searchKey() + " AS num FROM " + d.matching(p, where, sets)
}

// matching is the FROM and WHERE of a query of the index entries that
// match the query in parameter p, where and sets; they are joined to
// their retrospectives r for where. The index alone decides the match,
// except for phrases, which PostgreSQL checks on the tsvector: it is
// stored inline (STORAGE MAIN), so that costs no read of TOAST.
//
// On SQLite the sets apply to r.num, read through the join: a condition
// rowid IN (...) would be handed to FTS5, which looks each number up with
// a cursor of its own, and bm25 gathers the statistics of the whole index
// again for each cursor.
func (d *dialect) matching(p string, where, sets []string) string {
	key := "retrospective_search." + d.searchKey()
	pg := d.engine == "postgres"
	q := "retrospective_search"
	if len(where) > 0 || !pg && len(sets) > 0 {
		q += " JOIN retrospectives r ON r.num = " + key
	}
	if pg {
		q += " WHERE retrospective_search.doc @@ to_tsquery('english', " + p + ")"
	} else {
		q += " WHERE retrospective_search MATCH " + p
		key = "r.num"
	}
	for _, w := range where {
		q += " AND " + w
	}
	for _, s := range sets {
		q += " AND " + key + " IN (" + s + ")"
	}
	return q
}
