package osv

import (
	"bufio"
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// versionFixtures maps osv-scalibr's ordering fixtures to the ecosystems
// they are run for, as upstream's compare_test.go does.
var versionFixtures = []struct {
	file       string
	ecosystems []string
}{
	{"semver-versions.txt", []string{"npm", "crates.io", "Go", "Hex"}},
	{"rubygems-versions.txt", []string{"RubyGems"}},
	{"rubygems-versions-generated.txt", []string{"RubyGems"}},
	{"nuget-versions.txt", []string{"NuGet"}},
	{"packagist-versions.txt", []string{"Packagist"}},
	{"packagist-versions-generated.txt", []string{"Packagist"}},
	{"maven-versions.txt", []string{"Maven"}},
	{"maven-versions-generated.txt", []string{"Maven"}},
	{"pypi-versions.txt", []string{"PyPI"}},
	{"pypi-versions-generated.txt", []string{"PyPI"}},
	{"debian-versions.txt", []string{"Debian"}},
	{"debian-versions-generated.txt", []string{"Debian"}},
	{"cran-versions.txt", []string{"CRAN"}},
	{"cran-versions-generated.txt", []string{"CRAN"}},
	{"alpine-versions.txt", []string{"Alpine"}},
	{"alpine-versions-generated.txt", []string{"Alpine"}},
	{"redhat-versions.txt", []string{"Red Hat"}},
	{"hackage-versions.txt", []string{"Hackage"}},
	{"pub-versions.txt", []string{"Pub"}},
}

// checkOrderings runs every "a op b" line of a fixture through ParseVersion
// and Compare in both directions, and returns how many lines it checked.
func checkOrderings(t *testing.T, ecosystem, file string, data []byte) int {
	t.Helper()
	want := map[string]int{"<": -1, "=": 0, ">": +1}
	n, failed := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "# ") || strings.HasPrefix(text, "// ") {
			continue
		}
		f := strings.Split(text, " ")
		if len(f) != 3 {
			t.Fatalf("%s:%d: want 3 fields, got %q", file, line, text)
		}
		w, ok := want[f[1]]
		if !ok {
			t.Fatalf("%s:%d: unknown operator %q", file, line, f[1])
		}
		n++
		a, errA := ParseVersion(ecosystem, f[0])
		b, errB := ParseVersion(ecosystem, f[2])
		if errA != nil || errB != nil {
			failed++
			t.Errorf("%s:%d %s: parse: %v / %v", file, line, ecosystem, errA, errB)
			continue
		}
		ab, err1 := a.Compare(b)
		ba, err2 := b.Compare(a)
		if err1 != nil || err2 != nil || ab != w || ba != -w {
			failed++
			if failed <= 20 {
				t.Errorf("%s:%d %s: %q vs %q = %d/%d (errors %v %v), want %d", file, line, ecosystem, f[0], f[2], ab, ba, err1, err2, w)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if failed > 0 {
		t.Errorf("%s %s: %d of %d orderings wrong", file, ecosystem, failed, n)
	}
	return n
}

// TestVersionOrderingSamples runs the fixtures copied into testdata.
func TestVersionOrderingSamples(t *testing.T) {
	total := 0
	for _, fx := range versionFixtures {
		if strings.Contains(fx.file, "generated") {
			continue
		}
		data := readFile(t, filepath.Join("testdata", "versions", fx.file))
		for _, eco := range fx.ecosystems {
			t.Run(eco+"/"+fx.file, func(t *testing.T) { total += checkOrderings(t, eco, fx.file, data) })
		}
	}
	if total < 1500 {
		t.Errorf("only %d orderings checked; the samples are incomplete", total)
	}
}

// TestVersionOrderingCorpus runs every ordering of the shared corpus,
// generated files included.
func TestVersionOrderingCorpus(t *testing.T) {
	dir := sharedCorpus(t, "osv-semantic-versions")
	if testing.Short() {
		t.Skip("skipping the full ordering corpus in -short mode")
	}
	total := 0
	for _, fx := range versionFixtures {
		data := readFile(t, filepath.Join(dir, fx.file))
		for _, eco := range fx.ecosystems {
			t.Run(eco+"/"+fx.file, func(t *testing.T) { total += checkOrderings(t, eco, fx.file, data) })
		}
	}
	t.Logf("%d orderings checked", total)
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		ecosystem, version string
		wantErr            error
		wantEco            string
	}{
		{"PyPI", "1.0", nil, "PyPI"},
		{"Debian:11", "1:2.3-4", nil, "Debian"},
		{"Ubuntu:22.04:LTS", "2.9.13+dfsg-1ubuntu0.3", nil, "Ubuntu"},
		{"Alpine:v3.16", "1.2.3-r0", nil, "Alpine"},
		{"Maven:https://maven.google.com", "1.0.0", nil, "Maven"},
		{"Go", "", ErrInvalidVersion, ""},
		// The library's parsers are lenient (PyPI falls back to legacy
		// versions, Alpine accepts most strings); these it rejects.
		{"Debian", "a:1.0", ErrInvalidVersion, ""},
		{"Hackage", "1.0+build", ErrInvalidVersion, ""},
		{"CRAN", "a.b", ErrInvalidVersion, ""},
		{"Go", strings.Repeat("1", MaxVersionLen), nil, "Go"},
		{"Go", strings.Repeat("1", MaxVersionLen+1), ErrInvalidVersion, ""},
		{"GitHub Actions", "1.0.0", ErrNoOrdering, ""},
		{"No Such Ecosystem", "1", ErrNoOrdering, ""},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.ecosystem, tt.version)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseVersion(%q, %q) error = %v, want %v", tt.ecosystem, tt.version, err, tt.wantErr)
			continue
		}
		if err == nil && (v.Ecosystem() != tt.wantEco || v.String() != tt.version) {
			t.Errorf("ParseVersion(%q, %q) = %s %q", tt.ecosystem, tt.version, v.Ecosystem(), v.String())
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		ecosystem, a, b string
		want            int
	}{
		{"Go", "1.2.3", "v1.2.3", 0},
		{"Go", "0.0.0-20240729212818-a2a9c4f76ef4", "0.0.0-20240730000000-000000000000", -1},
		{"Go", "1.21.0-rc.2", "1.21.0", -1},
		{"PyPI", "2.0", "2.0.0", 0},
		{"PyPI", "1.0rc1", "1.0", -1},
		{"PyPI", "1.0.post1", "1.0", 1},
		{"Debian:11", "1:1.0", "2.0", 1},
		{"npm", "1.0.0-alpha", "1.0.0", -1},
		{"Maven", "1.0-SNAPSHOT", "1.0", -1},
	}
	for _, tt := range tests {
		got, err := CompareVersions(tt.ecosystem, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("CompareVersions(%q, %q, %q) = %d, %v; want %d", tt.ecosystem, tt.a, tt.b, got, err, tt.want)
		}
	}
	a, _ := ParseVersion("PyPI", "1.0")
	b, _ := ParseVersion("Go", "1.0")
	if _, err := a.Compare(b); err == nil {
		t.Error("comparing a PyPI with a Go version succeeded")
	}
	if _, err := (Version{}).Compare(a); err == nil {
		t.Error("comparing the zero Version succeeded")
	}
}

func TestHasOrdering(t *testing.T) {
	for _, eco := range []string{"Go", "PyPI", "npm", "Maven", "NuGet", "RubyGems", "crates.io", "Packagist", "Hex", "Pub",
		"SwiftURL", "CRAN", "Bioconductor", "Hackage", "GHC", "ConanCenter", "Bitnami", "Julia", "Debian:11", "Ubuntu:22.04:LTS",
		"Alpine:v3.16", "Wolfi", "Chainguard", "MinimOS", "Alpaquita", "BellSoft Hardened Containers", "Docker Hardened Images",
		"Red Hat", "AlmaLinux", "Rocky Linux", "SUSE", "openSUSE", "Mageia", "openEuler"} {
		if !HasOrdering(eco) {
			t.Errorf("HasOrdering(%q) = false", eco)
		}
	}
	for _, eco := range []string{"GitHub Actions", "Linux", "OSS-Fuzz", "", "go"} {
		if HasOrdering(eco) {
			t.Errorf("HasOrdering(%q) = true", eco)
		}
	}
}

func TestBaseEcosystem(t *testing.T) {
	for in, want := range map[string]string{
		"Debian:11": "Debian", "Ubuntu:22.04:LTS": "Ubuntu", "Ubuntu:Pro:18.04:LTS": "Ubuntu",
		"Maven:https://maven.google.com": "Maven", "PyPI": "PyPI", "": "",
	} {
		if got := BaseEcosystem(in); got != want {
			t.Errorf("BaseEcosystem(%q) = %q, want %q", in, got, want)
		}
	}
}
