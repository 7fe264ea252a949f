package retro

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
)

// Limits of the search syntax, documented in docs/retrospectives.md. They
// keep one query's work on the full-text index bounded.
const (
	MaxQuery      = 512 // bytes of the q parameter
	MaxQueryTerms = 32  // terms, counting each alternative of an OR
	MaxWord       = 64  // characters of one word; longer words are cut
)

// Expr is a parsed full-text query: every clause must match. The store
// turns it into its engine's syntax (FTS5 MATCH, tsquery); the words hold
// only letters and digits, so no engine operator can be smuggled through.
type Expr struct {
	Clauses []Clause `json:"clauses"`
}

// Clause is one or more alternative terms (OR); a negated clause excludes
// the documents its one term matches.
type Clause struct {
	Terms []Term `json:"terms"`
	Not   bool   `json:"not,omitempty"`
}

// Term is a word or a phrase (consecutive words). With Prefix the last word
// matches any word it begins ("cred*" finds "credential").
type Term struct {
	Words  []string `json:"words"`
	Prefix bool     `json:"prefix,omitempty"`
}

// Empty reports whether the expression matches nothing to search for.
func (e *Expr) Empty() bool { return e == nil || len(e.Clauses) == 0 }

// String writes the expression back in the search syntax, normalised: the
// canonical form of what ParseSearch understood.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	var parts []string
	for _, c := range e.Clauses {
		var alts []string
		for _, t := range c.Terms {
			s := strings.Join(t.Words, " ")
			if len(t.Words) > 1 {
				s = `"` + s + `"`
			}
			if t.Prefix {
				s += "*"
			}
			alts = append(alts, s)
		}
		s := strings.Join(alts, " OR ")
		if c.Not {
			s = "-" + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Qualifiers are the filters written inside a query (service:checkout).
type Qualifiers struct {
	Service, Tag, Severity, State, Incident string
}

// qualifierKeys are the words before ':' that make a filter instead of
// text; any other "word:word" is searched as text.
var qualifierKeys = []string{"service", "tag", "severity", "state", "incident"}

// ParseSearch parses the search syntax of the retrospective library:
//
//	token leak            both words (in any order, anywhere)
//	"build log"           the phrase
//	cred*                 a word starting with cred
//	token OR secret       either word (also token | secret)
//	-canary               not containing canary
//	CVE-2024-3094         identifiers are searched as the phrase of their parts
//	service:checkout      a filter (service, tag, severity, state, incident)
//
// Words are lowercased and split at anything that is not a letter or a
// digit. Common English words standing alone ("the", "was") are ignored
// because they would match nearly everything. Errors are EINVALID on field
// "q": a query that is too long, that only excludes, that only has common
// words, or that names a filter twice.
func ParseSearch(q string) (*Expr, Qualifiers, error) {
	var quals Qualifiers
	if len(q) > MaxQuery {
		return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "the query is %d bytes; the limit is %d", len(q), MaxQuery)
	}
	q = strings.ToValidUTF8(q, " ")
	toks := lex(q)
	e := &Expr{}
	terms := 0
	pending := -1 // the clause an OR extends
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		if tk.or {
			continue // a dangling OR: nothing to join
		}
		if !tk.quoted && !tk.not {
			if key, val, ok := qualifier(tk.text); ok {
				if err := quals.set(key, val); err != nil {
					return nil, quals, err
				}
				pending = -1
				continue
			}
		}
		t, ok := term(tk)
		joined := pending >= 0 && i > 0 && toks[i-1].or
		if joined && tk.not {
			return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "a term after OR cannot be excluded with '-': write the exclusion on its own")
		}
		if !ok {
			continue
		}
		if terms++; terms > MaxQueryTerms {
			return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "the query has more than %d terms", MaxQueryTerms)
		}
		if joined && !e.Clauses[pending].Not {
			e.Clauses[pending].Terms = append(e.Clauses[pending].Terms, t)
			continue
		}
		e.Clauses = append(e.Clauses, Clause{Terms: []Term{t}, Not: tk.not})
		pending = len(e.Clauses) - 1
		if i+1 < len(toks) && toks[i+1].or && tk.not {
			return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "an excluded term cannot be part of OR: write the exclusion on its own")
		}
	}
	had := len(e.Clauses)
	e.Clauses = dropCommon(e.Clauses)
	if had > 0 && len(e.Clauses) == 0 {
		return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "the query only has words too common to search for (such as the, was, not): add a more specific one")
	}
	if len(e.Clauses) > 0 && !slices.ContainsFunc(e.Clauses, func(c Clause) bool { return !c.Not }) {
		return nil, quals, palisade.FieldErrorf(palisade.EINVALID, "q", "the query only excludes: add a word to search for")
	}
	return e, quals, nil
}

// token is one lexical item of a query.
type token struct {
	text   string
	quoted bool // a "phrase"
	not    bool // preceded by '-'
	prefix bool // followed by '*'
	or     bool // the OR operator
}

// lex splits q at white space, keeping "quoted phrases" whole (an
// unterminated quote runs to the end).
func lex(q string) []token {
	var out []token
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		var t token
		if q[i] == '-' && i+1 < len(q) && !isSpaceAt(q, i+1) {
			t.not = true
			i++
		}
		if q[i] == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				t.text, i = q[i+1:], len(q)
			} else {
				t.text, i = q[i+1:i+1+end], i+2+end
			}
			t.quoted = true
			if i < len(q) && q[i] == '*' {
				t.prefix = true
				i++
			}
			out = append(out, t)
			continue
		}
		start := i
		for i < len(q) {
			r, size := utf8.DecodeRuneInString(q[i:])
			if unicode.IsSpace(r) || r == '"' {
				break
			}
			i += size
		}
		t.text = q[start:i]
		if strings.HasSuffix(q[start:i], ":") && i < len(q) && q[i] == '"' {
			// key:"quoted value"
			end := strings.IndexByte(q[i+1:], '"')
			if end < 0 {
				t.text, i = q[start:i]+q[i+1:], len(q)
			} else {
				t.text, i = q[start:i]+q[i+1:i+1+end], i+2+end
			}
		}
		switch {
		case !t.not && (t.text == "OR" || t.text == "|"):
			t.or = true
		case strings.HasSuffix(t.text, "*"):
			t.text, t.prefix = strings.TrimRight(t.text, "*"), true
		}
		out = append(out, t)
	}
	return out
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

// qualifier splits "key:value" when key is a filter name.
func qualifier(s string) (key, val string, ok bool) {
	key, val, ok = strings.Cut(s, ":")
	if !ok || !slices.Contains(qualifierKeys, strings.ToLower(key)) {
		return "", "", false
	}
	return strings.ToLower(key), strings.TrimSpace(val), true
}

func (q *Qualifiers) set(key, val string) error {
	if val == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "q", "%s: needs a value, such as %s:name", key, key)
	}
	field := map[string]*string{"service": &q.Service, "tag": &q.Tag, "severity": &q.Severity, "state": &q.State, "incident": &q.Incident}[key]
	if *field != "" && *field != val {
		return palisade.FieldErrorf(palisade.EINVALID, "q", "%s is given twice (%q and %q); one retrospective has one", key, *field, val)
	}
	*field = val
	return nil
}

// term turns a token into a term of words; false when it has none.
func term(tk token) (Term, bool) {
	words := Words(tk.text)
	if len(words) == 0 {
		return Term{}, false
	}
	if len(words) > MaxQueryTerms {
		words = words[:MaxQueryTerms]
	}
	t := Term{Words: words, Prefix: tk.prefix}
	// A one-letter prefix expands to a large part of the index.
	if t.Prefix && utf8.RuneCountInString(words[len(words)-1]) < 2 {
		t.Prefix = false
	}
	return t, true
}

// dropCommon removes stop words that stand alone as a positive term: in
// a phrase they carry position, and excluding one is the user's choice.
func dropCommon(cs []Clause) []Clause {
	out := cs[:0]
	for _, c := range cs {
		if !c.Not {
			c.Terms = slices.DeleteFunc(c.Terms, func(t Term) bool {
				return len(t.Words) == 1 && !t.Prefix && stopWords[t.Words[0]]
			})
		}
		if len(c.Terms) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Words splits s into the words the full-text index holds: runs of
// letters and digits, lowercased, each cut to MaxWord characters. It
// matches how the index splits text (SQLite's unicode61 tokenizer; the
// PostgreSQL index is fed text normalised the same way), so a query word is
// always an index word.
func Words(s string) []string {
	var out []string
	// Lowercase first: lowercasing can add combining marks ('İ'), which
	// are not word runes.
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !IsWordRune(r) }) {
		if utf8.RuneCountInString(w) > MaxWord {
			w = string([]rune(w)[:MaxWord])
		}
		out = append(out, w)
	}
	return out
}

// IsWordRune reports whether r belongs to a word: a letter, a number or a
// private-use character (the categories SQLite's unicode61 tokenizer keeps).
func IsWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// Validate checks the invariants ParseSearch guarantees; the store relies
// on them when it renders the expression for its engine.
func (e *Expr) Validate() error {
	if e == nil {
		return nil
	}
	n, pos := 0, false
	for _, c := range e.Clauses {
		if len(c.Terms) == 0 || (c.Not && len(c.Terms) != 1) {
			return fmt.Errorf("retro: malformed clause %+v", c)
		}
		pos = pos || !c.Not
		for _, t := range c.Terms {
			n++
			if len(t.Words) == 0 {
				return fmt.Errorf("retro: empty term")
			}
			for _, w := range t.Words {
				if w == "" || strings.IndexFunc(w, func(r rune) bool { return !IsWordRune(r) }) >= 0 || utf8.RuneCountInString(w) > MaxWord {
					return fmt.Errorf("retro: word %q is not a plain word", w)
				}
			}
		}
	}
	if len(e.Clauses) > 0 && !pos {
		return fmt.Errorf("retro: the expression only excludes")
	}
	if n > MaxQueryTerms {
		return fmt.Errorf("retro: %d terms", n)
	}
	return nil
}
