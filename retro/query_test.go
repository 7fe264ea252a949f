package retro

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
)

func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		q, want string
		quals   Qualifiers
	}{
		{"", "", Qualifiers{}},
		{"  token   Leak ", "token leak", Qualifiers{}},
		{`"build log" token`, `"build log" token`, Qualifiers{}},
		{"CVE-2024-3094", `"cve 2024 3094"`, Qualifiers{}},
		{"cred* a*", "cred*", Qualifiers{}}, // a one-letter prefix is a word, and "a" a stop word
		{"token OR secret | key", "token OR secret OR key", Qualifiers{}},
		{"a b OR c d", "b OR c d", Qualifiers{}}, // "a" is a stop word
		{"token -canary -\"build log\"", `token -canary -"build log"`, Qualifiers{}},
		{"the was token", "token", Qualifiers{}},
		{`"the end"`, `"the end"`, Qualifiers{}},
		{"OR token OR", "token", Qualifiers{}},
		{"service:checkout tag:PCI token state:published severity:SEV1 incident:INC-3", "token",
			Qualifiers{Service: "checkout", Tag: "PCI", State: "published", Severity: "SEV1", Incident: "INC-3"}},
		{`service:"checkout" error:timeout`, `"error timeout"`, Qualifiers{Service: "checkout"}},
		{`"unterminated phrase`, `"unterminated phrase"`, Qualifiers{}},
		{`"phrase pre"*`, `"phrase pre"*`, Qualifiers{}},
		{"--- !!! token", "token", Qualifiers{}},
		{"Über naïve", "über naïve", Qualifiers{}},
		{"x-", "x", Qualifiers{}},
		{"- token", "token", Qualifiers{}},
		{"10.0.0.1", `"10 0 0 1"`, Qualifiers{}},
	} {
		e, quals, err := ParseSearch(tc.q)
		if err != nil {
			t.Errorf("%q: %v", tc.q, err)
			continue
		}
		if got := e.String(); got != tc.want || quals != tc.quals {
			t.Errorf("%q: got %q %+v, want %q %+v", tc.q, got, quals, tc.want, tc.quals)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("%q: %v", tc.q, err)
		}
	}
	for _, q := range []string{
		"the was",
		"-token",
		"-token -key",
		"token OR -key",
		"-token OR key",
		"service:a service:b",
		"service:",
		strings.Repeat("a", MaxQuery+1),
		strings.Repeat("word ", MaxQueryTerms+1),
	} {
		_, _, err := ParseSearch(q)
		if palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != "q" {
			t.Errorf("%.40q: %v, want EINVALID on q", q, err)
		}
	}
}

func TestWords(t *testing.T) {
	got := strings.Join(Words("İstanbul's CVE-2024-3094 foo_bar "+strings.Repeat("x", MaxWord+5)), "|")
	want := "istanbul|s|cve|2024|3094|foo|bar|" + strings.Repeat("x", MaxWord)
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzParseSearch: any query parses or fails with EINVALID on q, never
// panics, and what parses holds plain words only (the store's engines
// rely on that), and prints back to an expression that parses the same.
func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{
		"token leak", `"build log" -canary`, "cred* OR key*", "service:checkout tag:\"a b\" x",
		"CVE-2024-3094 10.0.0.1", `-"a`, "a OR OR b", "\x00\xff\"*-|", "NOT AND NEAR(a b)", "title:x ^y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		e, _, err := ParseSearch(q)
		if err != nil {
			if palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != "q" {
				t.Fatalf("%q: error without code or field: %#v", q, err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		for _, c := range e.Clauses {
			for _, tm := range c.Terms {
				for _, w := range tm.Words {
					if !utf8.ValidString(w) || strings.ContainsAny(w, `"'*:()-|&!<> `) {
						t.Fatalf("%q: word %q", q, w)
					}
				}
			}
		}
		again, _, err := ParseSearch(e.String())
		if err != nil || again.String() != e.String() {
			t.Fatalf("%q → %q → %q (%v)", q, e.String(), again.String(), err)
		}
	})
}
