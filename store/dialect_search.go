package store

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-project/palisade/retro"
)

// Full-text search of retrospectives is where the engines differ most:
// SQLite has an FTS5 table whose rowid is the retrospective's num,
// PostgreSQL a table with a generated tsvector under a GIN index (see the
// two files of migration 00006). Everything that differs is here; the
// queries in retros.go are shared.

// maxIndexed caps the text indexed per retrospective (bytes): a tsvector
// holds at most 1 MB, and past this size a document is found by its
// first quarter megabyte anyway.
const maxIndexed = 256 << 10

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
// the normalised words (searchable) and keeps the text as written beside
// them, for snippets.
func (d *dialect) indexRow(num int64, title, body string) (string, []any) {
	title, body = plain(title), plain(truncate(body, maxIndexed))
	if d.engine == "postgres" {
		return `INSERT INTO retrospective_search (retro, title, body, text) VALUES ($1, $2, $3, $4)`, []any{num, searchable(title), searchable(body), body}
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

// matchCond is the condition that retrospective_search matches the query
// in parameter p.
func (d *dialect) matchCond(p string) string {
	if d.engine == "postgres" {
		return "retrospective_search.doc @@ to_tsquery('english', " + p + ")"
	}
	return "retrospective_search MATCH " + p
}

// scoreExpr ranks a match, higher is better: BM25 on SQLite (FTS5's
// bm25 is lower-is-better, hence the sign), cover density on PostgreSQL
// (divided by 1 + log of the length, as BM25 normalises length). The title
// counts several times the body on both.
func (d *dialect) scoreExpr(p string) string {
	if d.engine == "postgres" {
		return "CAST(ts_rank_cd(retrospective_search.doc, to_tsquery('english', " + p + "), 1) AS DOUBLE PRECISION)"
	}
	return "-bm25(retrospective_search, 5.0, 1.0)"
}
