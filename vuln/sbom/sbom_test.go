package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/jsonpos"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the readers' output")

// inputFiles lists the fixtures under testdata, one format per folder.
func inputFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"cyclonedx", "spdx", "osv-scanner", "trivy", "grype"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures under testdata")
	}
	return files
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustRead(t testing.TB, name string) *Inventory {
	t.Helper()
	inv, err := Read(name, readFile(t, name))
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return inv
}

// TestGolden compares each fixture's whole inventory with
// testdata/golden/<folder>/<file>.json; run with -update after a reviewed
// change of behaviour.
func TestGolden(t *testing.T) {
	for _, name := range inputFiles(t) {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(mustRead(t, name), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", strings.TrimPrefix(name, "testdata"+string(filepath.Separator))+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inventory differs from %s (go test -update rewrites it); got:\n%s", golden, got)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	for _, name := range inputFiles(t) {
		want := map[string]string{
			"cyclonedx":   FormatCycloneDXJSON,
			"spdx":        FormatSPDXJSON,
			"osv-scanner": FormatOSVScanner,
			"trivy":       FormatTrivy,
			"grype":       FormatGrype,
		}[filepath.Base(filepath.Dir(name))]
		if strings.HasSuffix(name, ".xml") {
			want = FormatCycloneDXXML
		}
		got, err := sniff(name, readFile(t, name))
		if err != nil || got != want {
			t.Errorf("sniff(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestReadErrors checks that bad input is refused as a whole, with the
// code, the file name and, for syntax errors, the line and column.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		format string
		code   string
		field  string // want Field exactly
		msg    string // want Message to contain
	}{
		{"empty", "", "", palisade.EINVALID, "f", "empty"},
		{"blank", " \n\t", "", palisade.EINVALID, "f", "empty"},
		{"not json or xml", "hello", "", palisade.EINVALID, "f", "neither JSON nor XML"},
		{"json array", `[{"Target":"x"}]`, "", palisade.EINVALID, "f", "Trivy"},
		{"unknown json", `{"foo": 1}`, "", palisade.EINVALID, "f", "accepted formats"},
		{"other bomFormat", `{"bomFormat": "SPDX"}`, "", palisade.EINVALID, "f", `bomFormat is "SPDX"`},
		{"syntax error", "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\"\n  \"components\": []\n}", "", palisade.EINVALID, "f:4:3", "malformed JSON"},
		{"truncated", "{\"bomFormat\": \"CycloneDX\",\n\"components\": [", "", palisade.EINVALID, "f:2:16", "unexpected end"},
		{"wrong type", "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n \"components\": {}}", "", palisade.EINVALID, "f:2:16", "components: expected an array, found a JSON object"},
		{"bad spec version", `{"bomFormat": "CycloneDX", "specVersion": "9.9"}`, "", palisade.EINVALID, "f", "specVersion"},
		{"missing spec version", `{"bomFormat": "CycloneDX"}`, "", palisade.EINVALID, "f", "specVersion is missing"},
		{"xml syntax", "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n  <components>\n  </component>\n</bom>", "", palisade.EINVALID, "f:4:15", "malformed CycloneDX XML"},
		{"xml not cyclonedx", `<project xmlns="http://maven.apache.org/POM/4.0.0"/>`, "", palisade.EINVALID, "f", "not a CycloneDX"},
		{"xml unknown namespace", `<bom xmlns="http://cyclonedx.org/schema/bom/9.9" version="1"/>`, "", palisade.EINVALID, "f", "not a CycloneDX namespace"},
		{"xml bad attribute", "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" version=\"one\"/>", "", palisade.EINVALID, "f", "malformed CycloneDX XML"},
		{"xml no root", `<?xml version="1.0"?>`, "", palisade.EINVALID, "f", "without a root"},
		{"xml latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/>`, "", palisade.EINVALID, "f:1:44", `declares encoding "ISO-8859-1"; only UTF-8`},
		{"xml latin1, explicit", `<?xml version="1.0" encoding="ISO-8859-1"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"/>`, FormatCycloneDXXML, palisade.EINVALID, "f:1:44", `declares encoding "ISO-8859-1"; only UTF-8`},
		{"xml broken before root", "<?xml version=\"1.0\"?>\n<<bom/>", "", palisade.EINVALID, "f:2:2", "malformed XML"},
		{"spdx 3", `{"spdxVersion": "SPDX-3.0"}`, "", palisade.EINVALID, "f", "SPDX-3.0"},
		{"spdx bad element id", `{"spdxVersion": "SPDX-2.3", "SPDXID": "DOCUMENT"}`, "", palisade.EINVALID, "f", "SPDX"},
		{"utf16", "\xff\xfe{\x00}\x00", "", palisade.EINVALID, "f", "UTF-16"},
		{"unknown format name", `{}`, "sarif", palisade.EINVALID, "format", "accepted: cyclonedx-json"},
		{"trivy format, other file", `{"bomFormat": "CycloneDX"}`, FormatTrivy, palisade.EINVALID, "f", "not a Trivy"},
		{"grype format, other file", `{"results": []}`, FormatGrype, palisade.EINVALID, "f", "not Grype"},
		{"osv-scanner format, other file", `{"matches": []}`, FormatOSVScanner, palisade.EINVALID, "f", "not osv-scanner"},
		{"osv-scanner bad groups", `{"results": [{"packages": [{"package": {"name": "a"}, "groups": "x"}]}]}`, "", palisade.EINVALID, "f", "groups"},
		{"spdx format, other file", `{"results": []}`, FormatSPDXJSON, palisade.EINVALID, "f", "spdxVersion"},
		{"cyclonedx xml format, json file", `{"results": []}`, FormatCycloneDXXML, palisade.EINVALID, "f", "malformed CycloneDX XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := ReadFormat("f", []byte(tt.data), tt.format)
			if err == nil {
				t.Fatalf("no error; inventory %+v", inv)
			}
			if inv != nil {
				t.Errorf("an inventory came back with the error")
			}
			var pe *palisade.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *palisade.Error", err, err)
			}
			if pe.Code != tt.code || pe.Field != tt.field || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("got code %q field %q message %q; want %q, %q, containing %q", pe.Code, pe.Field, pe.Message, tt.code, tt.field, tt.msg)
			}
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	if _, err := Read("big.json", big); palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Errorf("Read of %d bytes: %v; want ETOOLARGE", len(big), err)
	}
	// ReadFrom must stop at the limit rather than read everything first.
	r := &countingReader{n: 2 * MaxFileSize}
	if _, err := ReadFrom("big.json", r); palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Errorf("ReadFrom: %v; want ETOOLARGE", err)
	}
	if r.read > MaxFileSize+1 {
		t.Errorf("ReadFrom read %d bytes; want at most %d", r.read, MaxFileSize+1)
	}
}

// countingReader yields n spaces and counts what was read.
type countingReader struct{ n, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := min(len(p), r.n-r.read)
	for i := range p[:k] {
		p[i] = ' '
	}
	r.read += k
	return k, nil
}

func TestReadFrom(t *testing.T) {
	name := filepath.Join("testdata", "cyclonedx", "minimal-1.4.json")
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := ReadFrom(name, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Components) != 1 || inv.Components[0].Purl != "pkg:npm/lodash@4.17.20" {
		t.Errorf("components = %+v", inv.Components)
	}
}

func TestByteOrderMark(t *testing.T) {
	data := append([]byte{0xEF, 0xBB, 0xBF}, readFile(t, filepath.Join("testdata", "cyclonedx", "minimal-1.4.json"))...)
	inv, err := Read("bom.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Format != FormatCycloneDXJSON || len(inv.Components) != 1 {
		t.Errorf("got %s with %d components", inv.Format, len(inv.Components))
	}
}

func TestExplicitFormat(t *testing.T) {
	name := filepath.Join("testdata", "trivy", "npm-list-all-pkgs.json")
	inv, err := ReadFormat(name, readFile(t, name), FormatTrivy)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Format != FormatTrivy || len(inv.Components) != 5 {
		t.Errorf("got %s with %d components", inv.Format, len(inv.Components))
	}
}

func TestFormats(t *testing.T) {
	f := Formats()
	f[0] = "changed"
	if Formats()[0] != FormatCycloneDXJSON {
		t.Error("Formats returns shared state")
	}
	if len(Formats()) != 6 {
		t.Errorf("Formats() = %v", Formats())
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncdé\nf")
	tests := []struct {
		offset    int64
		line, col int
	}{
		{-1, 1, 1}, {0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {8, 3, 1}, {9, 3, 2}, {100, 3, 2},
	}
	for _, tt := range tests {
		if line, col := jsonpos.LineCol(data, tt.offset); line != tt.line || col != tt.col {
			t.Errorf("jsonpos.LineCol(%d) = %d:%d; want %d:%d", tt.offset, line, col, tt.line, tt.col)
		}
	}
}

func TestWarningsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	const n = 250
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"type":"file","name":"file-%d"}`, i)
	}
	b.WriteString("]}")
	inv, err := Read("many.json", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Components) != n {
		t.Fatalf("%d components; want %d", len(inv.Components), n)
	}
	if len(inv.Warnings) != MaxWarnings {
		t.Fatalf("%d warnings; want %d", len(inv.Warnings), MaxWarnings)
	}
	if last := inv.Warnings[MaxWarnings-1]; last != "151 more warnings were left out" {
		t.Errorf("last warning %q", last)
	}
}

func TestSeverity(t *testing.T) {
	tests := map[string]string{
		"CRITICAL": SeverityCritical, "High": SeverityHigh, "important": SeverityHigh,
		"MODERATE": SeverityMedium, "medium": SeverityMedium, "Low": SeverityLow,
		"Negligible": SeverityLow, "info": SeverityLow, "none": SeverityLow,
		"": SeverityUnknown, "UNKNOWN": SeverityUnknown, "bogus": SeverityUnknown,
		"10.0": SeverityCritical, "9.0": SeverityCritical, "8.9": SeverityHigh, "7.0": SeverityHigh,
		"6.9": SeverityMedium, "4.0": SeverityMedium, "3.9": SeverityLow, "0.1": SeverityLow,
		"0": SeverityLow, "11": SeverityUnknown, "-1": SeverityUnknown, "NaN": SeverityUnknown,
	}
	for in, want := range tests {
		if got := normSeverity(in); got != want {
			t.Errorf("normSeverity(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestReadIsDeterministic guards the all-or-nothing contract's twin: the
// same bytes always give the same inventory (no map order leaks).
func TestReadIsDeterministic(t *testing.T) {
	for _, name := range inputFiles(t) {
		a, b := mustRead(t, name), mustRead(t, name)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: two reads differ", name)
		}
	}
}

// TestTestdataAttributed makes sure every fixture is named in SOURCE.txt.
func TestTestdataAttributed(t *testing.T) {
	source := string(readFile(t, filepath.Join("testdata", "SOURCE.txt")))
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == filepath.Join("testdata", "SOURCE.txt") || strings.HasPrefix(path, filepath.Join("testdata", "golden")) || strings.HasPrefix(path, filepath.Join("testdata", "fuzz")) {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))
		if !strings.Contains(source, rel) {
			t.Errorf("%s is not named in testdata/SOURCE.txt", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func purls(inv *Inventory) []string {
	var out []string
	for _, c := range inv.Components {
		out = append(out, c.Purl)
	}
	return out
}

// findingLines renders findings compactly for table tests.
func findingLines(inv *Inventory) []string {
	var out []string
	for _, f := range inv.Findings {
		line := f.Purl + " " + f.ID + " " + f.Severity
		if len(f.Aliases) > 0 {
			line += " aliases=" + strings.Join(f.Aliases, ",")
		}
		if len(f.Fixed) > 0 {
			line += " fixed=" + strings.Join(f.Fixed, ",")
		}
		if f.State != "" {
			line += " state=" + f.State + "/" + f.Justification
		}
		out = append(out, line)
	}
	return out
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}
