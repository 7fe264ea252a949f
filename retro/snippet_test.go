package retro

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func snippetString(fs []Fragment) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("filler words here ", 20)
	for _, tc := range []struct{ text, q, want string }{
		{"The canary fired.", "canary", "The [canary] fired."},
		{"Uploads failed while uploading.", "upload", "[Uploads] failed while [uploading]."},
		{"The Credentials leaked", "cred*", "The [Credentials] leaked"},
		{"tokenization is not a token", "token", "tokenization is not a [token]"},
		{"a build log, then the log scanner", `"build log" -scanner`, "a [build] [log], then the [log] scanner"},
		{"See CVE-2024-3094 (xz).", "CVE-2024-3094", "See [CVE]-[2024]-[3094] (xz)."},
		{"Nothing\n\n  matches\there", "absent", "Nothing matches here"},
		{long + "the canary fired and the canary was right, " + long, "canary",
			"… here filler words here the [canary] fired and the [canary] was right, filler words here filler words here filler words here filler words here …"},
		{"", "x", ""},
	} {
		e, _, err := ParseSearch(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := snippetString(Snippet(tc.text, e)); got != tc.want {
			t.Errorf("%.40q / %q:\ngot  %q\nwant %q", tc.text, tc.q, got, tc.want)
		}
	}
	// The window goes where most distinct words are.
	text := "token " + strings.Repeat("x ", 40) + "token leak together " + strings.Repeat("y ", 40)
	e, _, _ := ParseSearch("token leak")
	if got := snippetString(Snippet(text, e)); !strings.Contains(got, "[token] [leak] together") || strings.HasPrefix(got, "[token]") {
		t.Errorf("window: %q", got)
	}
}

// FuzzSnippet: any text and query give fragments that are short, valid,
// never empty, marked only on words, and read as a piece of the text.
func FuzzSnippet(f *testing.F) {
	f.Add("The canary fired after 25 minutes; the log scanner missed the token.", "canary token")
	f.Add("ÄÖÜ naïve café — CVE-2024-3094\x00\xff", `"cve 2024" caf*`)
	f.Add(strings.Repeat("a b ", 300), "a OR b")
	f.Fuzz(func(t *testing.T, text, q string) {
		e, _, err := ParseSearch(q)
		if err != nil {
			e = nil
		}
		fs := Snippet(text, e)
		words := 0
		for i, fr := range fs {
			if fr.Text == "" || !utf8.ValidString(fr.Text) {
				t.Fatalf("fragment %d %q", i, fr.Text)
			}
			if fr.Match && (len(wordSpans(fr.Text)) != 1 || strings.ContainsFunc(fr.Text, func(r rune) bool { return !IsWordRune(r) })) {
				t.Fatalf("a match that is not one word: %q", fr.Text)
			}
			if i > 0 && !fr.Match && !fs[i-1].Match {
				t.Fatalf("unmerged fragments %q %q", fs[i-1].Text, fr.Text)
			}
			words += len(wordSpans(fr.Text))
		}
		if words > snippetWords {
			t.Fatalf("%d words", words)
		}
		got := strings.TrimSuffix(strings.TrimPrefix(snippetString(fs), "… "), " …")
		got = strings.NewReplacer("[", "", "]", "").Replace(got)
		if !strings.Contains(text, "[") && !strings.Contains(text, "]") && !strings.Contains(text, "…") &&
			!strings.Contains(foldSpace(strings.ToValidUTF8(text, "\uFFFD")), got) {
			t.Fatalf("%q is not a piece of %q", got, text)
		}
	})
}
