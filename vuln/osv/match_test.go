package osv

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/osv-scalibr/semantic"
)

// rec parses a record with the given id, aliases and affected list (JSON).
func rec(t testing.TB, id, aliases, affected string) *Record {
	t.Helper()
	doc := fmt.Sprintf(`{"id": %q, "modified": "2024-01-01T00:00:00Z", "aliases": [%s], "affected": %s}`, id, aliases, affected)
	r, err := ParseRecord([]byte(doc))
	if err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	return r
}

func newTestIndex(t testing.TB, records ...*Record) *Index {
	t.Helper()
	ix := NewIndex()
	for _, r := range records {
		if err := ix.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return ix
}

// ids renders matches as "ID[fixed,...]" for compact expectations.
func ids(ms []Match) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.ID+"["+strings.Join(m.Fixed, ",")+"]")
	}
	return strings.Join(parts, " ")
}

func affectedOne(eco, name, ranges string) string {
	return fmt.Sprintf(`[{"package": {"ecosystem": %q, "name": %q}, "ranges": %s}]`, eco, name, ranges)
}

// TestMatchRanges walks the range semantics of the OSV schema's
// evaluation section, each at and around its boundaries.
func TestMatchRanges(t *testing.T) {
	ix := newTestIndex(t,
		// The schema's examples: fixed, unfixed, multiple ranges.
		rec(t, "FIXED", `"CVE-1"`, affectedOne("Go", "example.com/fixed", `[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.2"}]}]`)),
		rec(t, "UNFIXED", ``, affectedOne("Go", "example.com/unfixed", `[{"type": "SEMVER", "events": [{"introduced": "0"}]}]`)),
		rec(t, "PAIRS", ``, affectedOne("Go", "example.com/pairs", `[{"type": "SEMVER", "events": [
			{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]}]`)),
		// Events out of order in the record are sorted by version.
		rec(t, "UNSORTED", ``, affectedOne("PyPI", "unsorted", `[{"type": "ECOSYSTEM", "events": [
			{"fixed": "2.0"}, {"introduced": "1.5"}, {"fixed": "1.2"}, {"introduced": "0"}]}]`)),
		// last_affected is inclusive.
		rec(t, "LAST", ``, affectedOne("PyPI", "py", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.11.0"}]}]`)),
		// limit bounds the range from above; "*" is no bound.
		rec(t, "LIMIT", ``, affectedOne("Go", "example.com/limit", `[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]`)),
		rec(t, "STAR", ``, affectedOne("Go", "example.com/star", `[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "*"}]}]`)),
		// A zero-width range written introduced-then-fixed is empty.
		rec(t, "EMPTY", ``, affectedOne("Go", "example.com/empty", `[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.0"}]}]`)),
		// Several ranges: any one suffices.
		rec(t, "TWO", ``, affectedOne("npm", "two", `[
			{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]},
			{"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.1.0"}]}]`)),
	)
	tests := []struct {
		eco, name, version, want string
	}{
		{"Go", "example.com/fixed", "0.0.1", "FIXED[1.0.2]"},
		{"Go", "example.com/fixed", "1.0.1", "FIXED[1.0.2]"},
		{"Go", "example.com/fixed", "1.0.2-rc.1", "FIXED[1.0.2]"},
		{"Go", "example.com/fixed", "1.0.2", ""},
		{"Go", "example.com/fixed", "1.1.0", ""},
		{"Go", "example.com/unfixed", "99.0.0", "UNFIXED[]"},
		{"Go", "example.com/pairs", "0.9.0", ""},
		{"Go", "example.com/pairs", "1.0.0", "PAIRS[1.0.2,3.2.5]"},
		{"Go", "example.com/pairs", "1.0.2", ""},
		{"Go", "example.com/pairs", "2.9.9", ""},
		{"Go", "example.com/pairs", "3.0.0", "PAIRS[3.2.5]"},
		{"Go", "example.com/pairs", "3.2.4", "PAIRS[3.2.5]"},
		{"Go", "example.com/pairs", "3.2.5", ""},
		{"PyPI", "unsorted", "1.1", "UNSORTED[1.2,2.0]"},
		{"PyPI", "unsorted", "1.2", ""},
		{"PyPI", "unsorted", "1.5", "UNSORTED[2.0]"},
		{"PyPI", "unsorted", "2.0", ""},
		{"PyPI", "py", "1.11.0", "LAST[]"},
		{"PyPI", "py", "1.11", "LAST[]"}, // PEP 440 equal to 1.11.0
		{"PyPI", "py", "1.11.0.post1", ""},
		{"PyPI", "py", "1.11.1", ""},
		{"Go", "example.com/limit", "0.9.0", ""},
		{"Go", "example.com/limit", "1.9.9", "LIMIT[]"},
		{"Go", "example.com/limit", "2.0.0", ""},
		{"Go", "example.com/star", "9.0.0", "STAR[]"},
		{"Go", "example.com/empty", "1.0.0", ""},
		{"npm", "two", "0.5.0", "TWO[1.0.0]"},
		{"npm", "two", "1.5.0", ""},
		{"npm", "two", "2.0.5", "TWO[2.1.0]"},
		{"Go", "example.com/unknown", "1.0.0", ""},
	}
	for _, tt := range tests {
		got, err := ix.MatchChecked(Package{tt.eco, tt.name}, tt.version)
		if err != nil {
			t.Errorf("%s %s@%s: %v", tt.eco, tt.name, tt.version, err)
		}
		if ids(got) != tt.want {
			t.Errorf("%s %s@%s = %q, want %q", tt.eco, tt.name, tt.version, ids(got), tt.want)
		}
	}
	if m := ix.Match(Package{"Go", "example.com/fixed"}, "1.0.0"); len(m) != 1 || !slices.Equal(m[0].Aliases, []string{"CVE-1"}) || m[0].Affected != 0 {
		t.Errorf("match details = %+v", m)
	}
}

// TestMatchVersionsAndGit covers explicit versions lists and GIT ranges,
// which never match by themselves.
func TestMatchVersionsAndGit(t *testing.T) {
	const git = `{"type": "GIT", "repo": "https://example.com/r", "events": [{"introduced": "0"}, {"fixed": "0123456789abcdef0123456789abcdef01234567"}]}`
	ix := newTestIndex(t,
		rec(t, "GIT-ONLY", ``, affectedOne("PyPI", "gitonly", `[`+git+`]`)),
		rec(t, "GIT-LIST", ``, `[{"package": {"ecosystem": "PyPI", "name": "gitlist"}, "ranges": [`+git+`], "versions": ["1.0", "1.1"]}]`),
		rec(t, "LIST-ONLY", ``, `[{"package": {"ecosystem": "PyPI", "name": "listonly"}, "versions": ["2.0.0", "weird-tag"]}]`),
		// osv-scanner stops at the GIT range; the ECOSYSTEM range after
		// it counts all the same.
		rec(t, "GIT-FIRST", ``, `[{"package": {"ecosystem": "PyPI", "name": "gitfirst"},
			"ranges": [`+git+`, {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2016.3.8"}]}],
			"versions": ["2015.5.0", "2015.8.0"]}]`),
		rec(t, "NOTHING", ``, `[{"package": {"ecosystem": "PyPI", "name": "nothing"}}]`),
	)
	tests := []struct{ name, version, want string }{
		{"gitonly", "0.1", ""},
		{"gitlist", "1.0", "GIT-LIST[]"},
		{"gitlist", "1.2", ""},
		{"listonly", "2.0.0", "LIST-ONLY[]"},
		{"listonly", "2.0", ""}, // versions lists are exact strings, as in the schema
		{"listonly", "weird-tag", "LIST-ONLY[]"},
		{"gitfirst", "2015.5.0", "GIT-FIRST[2016.3.8]"},
		{"gitfirst", "2015.6", "GIT-FIRST[2016.3.8]"},
		{"gitfirst", "2016.3.8", ""},
		{"nothing", "1.0", ""},
	}
	for _, tt := range tests {
		if got := ids(ix.Match(Package{"PyPI", tt.name}, tt.version)); got != tt.want {
			t.Errorf("%s@%s = %q, want %q", tt.name, tt.version, got, tt.want)
		}
	}
}

// TestMatchEcosystems covers suffixes, name normalization and several
// entries of one record.
func TestMatchEcosystems(t *testing.T) {
	deb := func(eco, fixed string) string {
		return fmt.Sprintf(`{"package": {"ecosystem": %q, "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": %q}]}]}`, eco, fixed)
	}
	ix := newTestIndex(t,
		rec(t, "DSA-1", ``, `[`+deb("Debian:11", "1.1.1n-0+deb11u4")+`, `+deb("Debian:12", "3.0.9-1")+`]`),
		rec(t, "DEB-ANY", ``, `[`+deb("Debian", "1.0.0-1")+`]`),
		rec(t, "UBU-1", ``, `[`+deb("Ubuntu:22.04:LTS", "3.0.2-0ubuntu1.10")+`, `+deb("Ubuntu:Pro:18.04:LTS", "1.1.1-1ubuntu2.1~18.04.23+esm1")+`]`),
		rec(t, "PYSEC-1", ``, affectedOne("PyPI", "jw.util", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.3"}]}]`)),
		rec(t, "GO-1", ``, affectedOne("Go", "github.com/Masterminds/goutils", `[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.1.1"}]}]`)),
		rec(t, "NUGET-1", ``, affectedOne("NuGet", "Newtonsoft.Json", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}]`)),
		rec(t, "APK", ``, affectedOne("Alpine:v3.17", "zlib", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.12-r2"}]}]`)),
		rec(t, "MAVEN-G", ``, affectedOne("Maven:https://maven.google.com", "a:b", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]`)),
		// One record, several entries for one package (Go does this per
		// set of affected symbols): one match, the first entry, all fixes.
		rec(t, "MULTI", ``, `[
			{"package": {"ecosystem": "Go", "name": "example.com/m/v2"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.6"}]}]},
			{"package": {"ecosystem": "Go", "name": "example.com/other"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
			{"package": {"ecosystem": "Go", "name": "example.com/m/v2"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.1.5"}]}]}]`),
	)
	tests := []struct {
		pkg           Package
		version, want string
	}{
		{Package{"Debian:11", "openssl"}, "1.1.1n-0+deb11u3", "DSA-1[1.1.1n-0+deb11u4]"},
		{Package{"Debian:12", "openssl"}, "3.0.8-1", "DSA-1[3.0.9-1]"},
		{Package{"Debian:10", "openssl"}, "1.1.1n-0", ""},
		{Package{"Debian", "openssl"}, "0.9-1", "DEB-ANY[1.0.0-1] DSA-1[1.1.1n-0+deb11u4,3.0.9-1]"},
		{Package{"Debian:11", "openssl"}, "0.9-1", "DEB-ANY[1.0.0-1] DSA-1[1.1.1n-0+deb11u4]"},
		{Package{"Ubuntu:22.04:LTS", "openssl"}, "3.0.2-0ubuntu1.9", "UBU-1[3.0.2-0ubuntu1.10]"},
		{Package{"Ubuntu:22.04", "openssl"}, "3.0.2-0ubuntu1.9", "UBU-1[3.0.2-0ubuntu1.10]"},
		// The Pro (ESM) stream is the same release: its fix applies.
		{Package{"Ubuntu:18.04:LTS", "openssl"}, "1.1.1-1ubuntu2.1~18.04.22", "UBU-1[1.1.1-1ubuntu2.1~18.04.23+esm1]"},
		{Package{"Ubuntu:20.04:LTS", "openssl"}, "1.1.1f-1ubuntu2", ""},
		{Package{"Alpine:v3.17", "zlib"}, "1.2.10-r0", "APK[1.2.12-r2]"},
		{Package{"Alpine:3.17", "zlib"}, "1.2.10-r0", "APK[1.2.12-r2]"},
		{Package{"Alpine:v3.18", "zlib"}, "1.2.10-r0", ""},
		{Package{"PyPI", "JW_Util"}, "1.2", "PYSEC-1[1.3]"},
		{Package{"Go", "github.com/masterminds/goutils"}, "1.1.0", "GO-1[1.1.1]"},
		{Package{"Go", "github.com/Masterminds/goutils"}, "1.1.1", ""},
		{Package{"NuGet", "newtonsoft.json"}, "12.0.1", "NUGET-1[13.0.1]"},
		{Package{"Maven", "a:b"}, "1.0", "MAVEN-G[2.0]"},
		{Package{"Maven:https://repo.example.com", "a:b"}, "1.0", ""},
		{Package{"Go", "example.com/m/v2"}, "2.0.0", "MULTI[2.0.6,2.1.5]"},
		{Package{"Go", "example.com/m/v2"}, "2.1.0", "MULTI[2.1.5]"},
		{Package{"Go", "example.com/m/v2"}, "2.2.0", ""},
	}
	for _, tt := range tests {
		if got := ids(ix.Match(tt.pkg, tt.version)); got != tt.want {
			t.Errorf("%+v@%s = %q, want %q", tt.pkg, tt.version, got, tt.want)
		}
	}
	if m := ix.Match(Package{"Go", "example.com/m/v2"}, "2.1.0"); len(m) != 1 || m[0].Affected != 2 {
		t.Errorf("MULTI at 2.1.0 = %+v, want affected[2]", m)
	}
}

func TestMatchUncheckable(t *testing.T) {
	ix := newTestIndex(t,
		rec(t, "DEB", ``, `[{"package": {"ecosystem": "Debian", "name": "a"}, "versions": ["x:1"],
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]`),
		rec(t, "GHA", ``, `[{"package": {"ecosystem": "GitHub Actions", "name": "o/r"}, "versions": ["v1"],
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "v2"}]}]}]`),
		rec(t, "GHA-SEMVER", ``, `[{"package": {"ecosystem": "GitHub Actions", "name": "o/s"},
			"ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}]}]}]`),
	)
	// A version that does not parse is matched against lists only, and
	// the error says the ranges were not checked.
	m, err := ix.MatchChecked(Package{"Debian", "a"}, "x:1")
	if ids(m) != "DEB[]" || !errors.Is(err, ErrInvalidVersion) {
		t.Errorf("unparseable = %q, %v", ids(m), err)
	}
	m, err = ix.MatchChecked(Package{"Debian", "a"}, "")
	if len(m) != 0 || !errors.Is(err, ErrInvalidVersion) {
		t.Errorf("empty version = %q, %v", ids(m), err)
	}
	m, err = ix.MatchChecked(Package{"GitHub Actions", "o/r"}, "v1")
	if ids(m) != "GHA[]" || !errors.Is(err, ErrNoOrdering) {
		t.Errorf("no ordering = %q, %v", ids(m), err)
	}
	// SEMVER ranges of an ecosystem without an order use SemVer.
	m, err = ix.MatchChecked(Package{"GitHub Actions", "o/s"}, "1.1.0")
	if ids(m) != "GHA-SEMVER[1.2.0]" || err != nil {
		t.Errorf("SEMVER fallback = %q, %v", ids(m), err)
	}
	// No entry for the package: nothing to check, no error.
	if m, err := ix.MatchChecked(Package{"Debian", "b"}, ""); m != nil || err != nil {
		t.Errorf("unknown package = %v, %v", m, err)
	}
}

func TestIndexUpdates(t *testing.T) {
	const v1 = `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]`
	const v2 = `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]`
	ix := newTestIndex(t, rec(t, "A", ``, affectedOne("PyPI", "p", v1)), rec(t, "B", ``, affectedOne("PyPI", "p", v1)))
	match := func() string {
		return ids(ix.Match(Package{"PyPI", "p"}, "1.5")) + "|" + ids(ix.Match(Package{"PyPI", "p"}, "0.5"))
	}
	if got := match(); got != "|A[1.0] B[1.0]" || ix.Len() != 2 {
		t.Fatalf("initial = %q (%d records)", got, ix.Len())
	}
	// A new version of A replaces the old.
	if err := ix.Add(rec(t, "A", ``, affectedOne("PyPI", "p", v2))); err != nil {
		t.Fatal(err)
	}
	if got := match(); got != "A[2.0]|A[2.0] B[1.0]" || ix.Len() != 2 {
		t.Errorf("after update = %q", got)
	}
	// Withdrawing B removes it, and a withdrawn record is never indexed.
	w := rec(t, "B", ``, affectedOne("PyPI", "p", v1))
	withdrawn := w.Modified
	w.Withdrawn = &withdrawn
	if err := ix.Add(w); err != nil {
		t.Fatal(err)
	}
	w.ID = "C"
	if err := ix.Add(w); err != nil {
		t.Fatal(err)
	}
	if got := match(); got != "A[2.0]|A[2.0]" || ix.Len() != 1 {
		t.Errorf("after withdrawal = %q (%d records)", got, ix.Len())
	}
	if !ix.Remove("A") || ix.Remove("A") || ix.Len() != 0 {
		t.Error("Remove")
	}
	if got := match(); got != "|" {
		t.Errorf("after removal = %q", got)
	}
	// A record Add cannot compile leaves the index as it was.
	bad := rec(t, "D", ``, affectedOne("PyPI", "p", v1))
	bad.Affected[0].Ranges[0].Events[1] = Event{Fixed: "1.0", Limit: "2.0"}
	if err := ix.Add(bad); err == nil || ix.Len() != 0 {
		t.Errorf("Add of a malformed record = %v (%d records)", err, ix.Len())
	}
}

// TestIndexConcurrent exercises readers and writers together under -race.
func TestIndexConcurrent(t *testing.T) {
	ix := NewIndex()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprintf("R-%d-%d", w, i%20)
				if i%3 == 2 {
					ix.Remove(id)
					continue
				}
				if err := ix.Add(rec(t, id, ``, affectedOne("Go", "example.com/c", `[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]`))); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 500 {
				for _, m := range ix.Match(Package{"Go", "example.com/c"}, "0.5.0") {
					if !strings.HasPrefix(m.ID, "R-") {
						t.Errorf("match %+v", m)
					}
				}
			}
		})
	}
	wg.Wait()
}

// evalLinear is the schema's IncludedInRanges for one range, transcribed
// as literally as possible: the reference eval is checked against.
func evalLinear(r *evalRange, v semantic.Version, cache map[versionKey]cachedVersion) bool {
	version := func(ev evalEvent) semantic.Version { return cache[versionKey{"Go", ev.raw}].v }
	if len(r.limits) > 0 {
		before := false
		for _, l := range r.limits {
			if l.special {
				before = true // "*"
			} else if c, _ := compareSemantic(v, version(l)); c < 0 {
				before = true
			}
		}
		if !before {
			return false
		}
	}
	vulnerable := false
	for _, ev := range r.events { // sorted
		c := 1 // v against the event: "introduced": "0" is below everything
		if !ev.special {
			c, _ = compareSemantic(v, version(ev))
		}
		switch {
		case ev.kind == evIntroduced && c >= 0:
			vulnerable = true
		case ev.kind == evFixed && c >= 0:
			vulnerable = false
		case ev.kind == evLastAffected && c > 0:
			vulnerable = false
		}
	}
	return vulnerable
}

// TestEvalMatchesSchema compares eval with evalLinear on random ranges of
// small versions (so that ties and equal events are frequent), and checks
// the fixes eval reports are exactly the fixed events above the version.
func TestEvalMatchesSchema(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	kinds := []string{"introduced", "fixed", "last_affected", "limit"}
	for iter := range 10000 {
		var events []string
		introduced := false
		for range 1 + rng.IntN(7) {
			k := kinds[rng.IntN(len(kinds))]
			v := fmt.Sprintf("%d.%d.0", rng.IntN(3), rng.IntN(3))
			if k == "introduced" && rng.IntN(5) == 0 {
				v = "0"
			}
			if k == "limit" && rng.IntN(5) == 0 {
				v = "*"
			}
			introduced = introduced || k == "introduced"
			events = append(events, fmt.Sprintf(`{%q: %q}`, k, v))
		}
		if !introduced {
			events = append(events, `{"introduced": "1.1.0"}`)
		}
		ix := newTestIndex(t, rec(t, "R", ``, affectedOne("Go", "example.com/r", `[{"type": "SEMVER", "events": [`+strings.Join(events, ",")+`]}]`)))
		p := ix.byPkg[pkgKey{"Go", "example.com/r"}]
		rg := &p.entries[0].ranges[0]
		for a := range 4 {
			for b := range 4 {
				version := fmt.Sprintf("%d.%d.0", a, b)
				v, _ := ParseVersion("Go", version)
				m := matcher{version: version}
				m.place(p.pointsFor(ix.versions), p.ordering)
				got, k := m.eval(rg)
				if want := evalLinear(rg, v.v, ix.versions); got != want {
					t.Fatalf("iteration %d: events %v at %s: eval %v, schema %v", iter, events, v, got, want)
				}
				var above []string
				for _, ev := range rg.events {
					if c, _ := compareSemantic(ix.versions[versionKey{"Go", ev.raw}].v, v.v); ev.kind == evFixed && c > 0 {
						above = append(above, ev.raw)
					}
				}
				if !slices.Equal(rg.fixed[k:], above) {
					t.Fatalf("events %v at %s: fixed above %v, want %v", events, v, rg.fixed[k:], above)
				}
			}
		}
	}
}

// TestDocTable checks the table of range semantics in docs/osv-matching.md.
func TestDocTable(t *testing.T) {
	versions := []string{"0.9", "1.0", "1.0.1", "1.0.2", "2.0", "3.1", "3.2.5"}
	const git = `{"type": "GIT", "repo": "https://example.com/r", "events": [{"introduced": "0"}]}`
	rows := []struct {
		affected string
		want     string // x per version in the order above
	}{
		{affectedOne("PyPI", "p", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.2"}]}]`), "xxx...."},
		{affectedOne("PyPI", "p", `[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]}]`), ".xx..x."},
		{affectedOne("PyPI", "p", `[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.0.1"}]}]`), "xxx...."},
		{affectedOne("PyPI", "p", `[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]`), ".xxx..."},
		{affectedOne("PyPI", "p", `[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.0"}]}]`), "......."},
		{`[{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [` + git + `], "versions": ["1.0"]}]`, ".x....."},
		{affectedOne("PyPI", "p", `[`+git+`]`), "......."},
	}
	for _, row := range rows {
		ix := newTestIndex(t, rec(t, "R", ``, row.affected))
		got := ""
		for _, v := range versions {
			if len(ix.Match(Package{"PyPI", "p"}, v)) > 0 {
				got += "x"
			} else {
				got += "."
			}
		}
		if got != row.want {
			t.Errorf("%s: %s, want %s", row.affected, got, row.want)
		}
	}
}
