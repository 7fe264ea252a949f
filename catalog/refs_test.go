package catalog

import "testing"

func FuzzRefs(f *testing.F) {
	f.Add("${A}")
	f.Add("https://x/${A}/${B_2}?q=${")
	f.Add("$${}}${")
	f.Fuzz(func(t *testing.T, s string) {
		names, literal, err := parseRefs(s)
		out, xerr := ExpandRefs(s, func(string) (string, bool) { return "v", true })
		if (err == nil) != (xerr == nil) {
			t.Fatalf("parseRefs and ExpandRefs disagree on %q: %v / %v", s, err, xerr)
		}
		if err != nil {
			return
		}
		if len(out) != len(literal)+len(names) {
			t.Fatalf("expanding %q gave %q", s, out)
		}
	})
}
