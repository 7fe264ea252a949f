package sbom

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-project/palisade"
)

// addSeeds adds every file under testdata (fixtures and golden output
// alike) to the fuzz corpus, plus a few shapes the fixtures lack.
func addSeeds(f *testing.F) {
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"", "{}", "[]", "<bom/>", "null",
		`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"components":[{"components":[]}]}]}`,
		`{"results":[{"packages":[{"package":{"ecosystem":"Alpine:v3.18","name":"a"},"vulnerabilities":["X"],"groups":1}]}]}`,
		`{"SchemaVersion":"2","Results":[{"Class":"os-pkgs","Packages":[{"Name":"x","Epoch":1}]}]}`,
		`{"matches":[{"artifact":{"type":"deb"}}],"descriptor":{},"source":{"target":null}}`,
	} {
		f.Add([]byte(s))
	}
}

// checkResult is what every reader promises for any input: no panic
// (checked by the fuzzer itself), and either a complete inventory or an
// error, never both, the error a *palisade.Error with a known code.
func checkResult(t *testing.T, format string, inv *Inventory, err error) {
	t.Helper()
	if err != nil {
		if inv != nil {
			t.Fatalf("inventory and error %v together", err)
		}
		var pe *palisade.Error
		if !errors.As(err, &pe) || (pe.Code != palisade.EINVALID && pe.Code != palisade.ETOOLARGE) {
			t.Fatalf("error %T %v is not an EINVALID/ETOOLARGE *palisade.Error", err, err)
		}
		if pe.Field == "" || pe.Message == "" {
			t.Fatalf("error without field or message: %#v", pe)
		}
		return
	}
	if inv == nil {
		t.Fatal("nil inventory without error")
	}
	if format != "" && inv.Format != format {
		t.Fatalf("format %q; want %q", inv.Format, format)
	}
	if len(inv.Warnings) > MaxWarnings {
		t.Fatalf("%d warnings", len(inv.Warnings))
	}
	seen := map[string]bool{}
	for _, c := range inv.Components {
		if c.Location == "" {
			t.Fatalf("component without location: %+v", c)
		}
		if key, valid := componentKey(c); valid {
			if seen[key] {
				t.Fatalf("purl %q twice", c.Purl)
			}
			seen[key] = true
		}
	}
	for _, fd := range inv.Findings {
		if fd.Purl == "" || fd.ID == "" || severityRank(fd.Severity) == 1 && fd.Severity != SeverityUnknown {
			t.Fatalf("bad finding %+v", fd)
		}
	}
}

func fuzzFormat(f *testing.F, format string) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ReadFormat("fuzz", data, format)
		checkResult(t, format, inv, err)
	})
}

// FuzzRead goes through format recognition, so it reaches every reader.
func FuzzRead(f *testing.F) { fuzzFormat(f, "") }

func FuzzReadCycloneDXJSON(f *testing.F) { fuzzFormat(f, FormatCycloneDXJSON) }
func FuzzReadCycloneDXXML(f *testing.F)  { fuzzFormat(f, FormatCycloneDXXML) }
func FuzzReadSPDX(f *testing.F)          { fuzzFormat(f, FormatSPDXJSON) }
func FuzzReadOSVScanner(f *testing.F)    { fuzzFormat(f, FormatOSVScanner) }
func FuzzReadTrivy(f *testing.F)         { fuzzFormat(f, FormatTrivy) }
func FuzzReadGrype(f *testing.F)         { fuzzFormat(f, FormatGrype) }
