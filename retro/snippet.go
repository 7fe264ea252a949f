package retro

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet sizes: the words an excerpt shows, and how many of them come
// before the first match.
const (
	snippetWords   = 24
	snippetLead    = 5
	maxSnippetScan = 1000 // matches looked at when choosing the window
)

// Snippet returns an excerpt of text around the words of e it contains, as
// fragments that mark those words: the run of about two dozen words with
// the most distinct query words (the earliest of equals), with "…" where
// the text was cut and white space folded. Without a match it is the start
// of the text.
//
// Marking is approximate — the same word, a word starting with a prefix
// term, or a shared stem of four letters or more ("uploading" marks
// "uploads") — because it only shows the reader where to look: which
// documents match, and how well, is the full-text index's decision. Words
// of excluded clauses are never marked. Making a snippet here rather than
// in the engines costs microseconds instead of a second tokenization of
// each document, and reads the same on SQLite and PostgreSQL.
func Snippet(text string, e *Expr) []Fragment {
	text = strings.ToValidUTF8(text, "\uFFFD")
	toks := wordSpans(text)
	if len(toks) == 0 {
		return nil
	}
	terms := snippetTerms(e)
	var hits []int // token index → which term it matched, for matched tokens
	var which []int
	for i := range toks {
		if len(hits) == maxSnippetScan {
			break
		}
		w := strings.ToLower(text[toks[i].start:toks[i].end])
		for j, t := range terms {
			if t.matches(w) {
				toks[i].match = true
				hits, which = append(hits, i), append(which, j)
				break
			}
		}
	}
	start := 0
	if len(hits) > 0 {
		best, bestN := 0, -1
		for a := range hits {
			seen := map[int]bool{}
			for b := a; b < len(hits) && hits[b] < hits[a]+snippetWords-snippetLead; b++ {
				seen[which[b]] = true
			}
			if len(seen) > bestN {
				best, bestN = a, len(seen)
			}
		}
		start = max(0, hits[best]-snippetLead)
	}
	end := min(len(toks), start+snippetWords)
	start = max(0, end-snippetWords)

	var out []Fragment
	add := func(s string, match bool) {
		if s = foldSpace(s); s == "" {
			return
		}
		if n := len(out); n > 0 && !match && !out[n-1].Match {
			out[n-1].Text += s
			return
		}
		out = append(out, Fragment{Text: s, Match: match})
	}
	if start > 0 {
		add("… ", false)
	}
	pos := toks[start].start
	for _, tk := range toks[start:end] {
		if tk.match {
			add(text[pos:tk.start], false)
			add(text[tk.start:tk.end], true)
			pos = tk.end
		}
	}
	last := toks[end-1].end
	// Keep the punctuation that closes the last word ("log.", "(v2)").
	for last < len(text) {
		r, size := utf8.DecodeRuneInString(text[last:])
		if unicode.IsSpace(r) || IsWordRune(r) || last-toks[end-1].end >= 4 {
			break
		}
		last += size
	}
	add(text[pos:last], false)
	if end < len(toks) {
		add(" …", false)
	}
	if n := len(out); n > 0 {
		out[0].Text = strings.TrimLeft(out[0].Text, " ")
		out[n-1].Text = strings.TrimRight(out[n-1].Text, " ")
	}
	return out
}

type span struct {
	start, end int
	match      bool
}

// wordSpans returns the byte ranges of the words of text, as Words splits
// them.
func wordSpans(text string) []span {
	var out []span
	in := false
	for i, r := range text {
		w := IsWordRune(r)
		switch {
		case w && !in:
			out = append(out, span{start: i})
			in = true
		case !w && in:
			out[len(out)-1].end = i
			in = false
		}
	}
	if in {
		out[len(out)-1].end = len(text)
	}
	return out
}

type snippetTerm struct {
	word   string
	prefix bool
}

func snippetTerms(e *Expr) []snippetTerm {
	var out []snippetTerm
	if e == nil {
		return nil
	}
	for _, c := range e.Clauses {
		if c.Not {
			continue
		}
		for _, t := range c.Terms {
			for i, w := range t.Words {
				out = append(out, snippetTerm{word: w, prefix: t.Prefix && i == len(t.Words)-1})
			}
		}
	}
	return out
}

// matches reports whether the lowercased word w is t, begins with a
// prefix term, or shares a stem of at least four letters with t that
// leaves at most a short ending on either side.
func (t snippetTerm) matches(w string) bool {
	if w == t.word || (t.prefix && strings.HasPrefix(w, t.word)) {
		return true
	}
	p := 0
	for p < len(w) && p < len(t.word) && w[p] == t.word[p] {
		p++
	}
	return p >= 4 && len(t.word)-p <= 3 && len(w)-p <= 4
}

// foldSpace replaces each run of white space in s with one space.
func foldSpace(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' }) && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
