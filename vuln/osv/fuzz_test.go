package osv

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParseRecord checks that ParseRecord never panics, that its errors
// say where, and that what it accepts is what the rest relies on: the
// record survives a marshal round trip and the Index can compile it.
func FuzzParseRecord(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "schema", "*.json"))
	for _, p := range files {
		// Large seeds slow the fuzzer down more than they add coverage.
		if data := readFile(f, p); len(data) <= 8<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte(validRecord))
	for _, tc := range recordCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %T: %v", err, err)
			}
			if re.Offset < 0 || re.Offset > len(data) || (re.Line == 0) != (re.Col == 0) {
				t.Fatalf("bad position %+v for %d bytes", re, len(data))
			}
			return
		}
		if err := NewIndex().Add(r); err != nil {
			t.Fatalf("ParseRecord accepted what Add rejects: %v", err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseRecord(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
	})
}

// FuzzFromPurl checks that FromPurl never panics, that it places what it
// accepts, and that Purl leads back to the same package.
func FuzzFromPurl(f *testing.F) {
	for _, m := range purlMappings {
		f.Add(m.purl)
	}
	f.Fuzz(func(t *testing.T, purl string) {
		pkg, _, err := FromPurl(purl)
		if err != nil {
			var pe *PurlError
			if !errors.As(err, &pe) || !(errors.Is(err, ErrInvalidPurl) || errors.Is(err, ErrUnsupportedPurl) || errors.Is(err, ErrInvalidVersion)) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		if pkg.Ecosystem == "" || pkg.Name == "" {
			t.Fatalf("FromPurl(%q) = %+v", purl, pkg)
		}
		if p := pkg.Purl(); p != "" {
			back, _, err := FromPurl(p)
			if err != nil || back != pkg {
				t.Fatalf("FromPurl(%q) = %+v; its Purl %q gives %+v, %v", purl, pkg, p, back, err)
			}
		}
	})
}

// fuzzEcosystems are the orders FuzzCompare exercises.
var fuzzEcosystems = []string{"Go", "npm", "PyPI", "Maven", "NuGet", "RubyGems", "crates.io", "Packagist", "Pub",
	"Debian", "Ubuntu", "Alpine", "Red Hat", "CRAN", "Hackage", "SwiftURL", "Hex", "Wolfi"}

// FuzzCompare checks that parsing never panics and that the order is
// antisymmetric and reflexive wherever both versions parse.
func FuzzCompare(f *testing.F) {
	seeds := [][2]string{{"1.0.0", "1.0.0-rc.1"}, {"1:2.3-4", "2.3-4"}, {"1.0a1", "1.0.post1"}, {"1.2.3-r0", "1.2.3_p1-r1"},
		{"1.0-SNAPSHOT", "1.0"}, {"0.0.0-20240729212818-a2a9c4f76ef4", "v0.0.0"}, {"2!1.0", "1.0+local.7"}, {"1.0~rc1", "1.0"}}
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b string) {
		eco := fuzzEcosystems[int(which)%len(fuzzEcosystems)]
		va, errA := ParseVersion(eco, a)
		vb, errB := ParseVersion(eco, b)
		if errA != nil || errB != nil {
			return
		}
		ab, err1 := va.Compare(vb)
		ba, err2 := vb.Compare(va)
		if err1 != nil || err2 != nil {
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%s: %q vs %q: one direction fails: %v / %v", eco, a, b, err1, err2)
			}
			return
		}
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("%s: %q vs %q = %d, reverse %d", eco, a, b, ab, ba)
		}
		if aa, err := va.Compare(va); err != nil || aa != 0 {
			t.Fatalf("%s: %q vs itself = %d, %v", eco, a, aa, err)
		}
	})
}
