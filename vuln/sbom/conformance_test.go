package sbom

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-project/palisade/internal/testenv"
)

// The expected counts below were taken independently of this package: a
// Python script walked every components[] (and nested components[]) of each
// JSON BOM with the json module, and every <component> under <components>
// of each XML BOM with xml.etree, counting components, those with a purl and
// the distinct purls. Components = distinct purls + components without one.

type corpusCase struct {
	path       string // under the corpus folder
	format     string
	spec       string
	subject    string
	components int
	withPurl   int
	findings   int
	warnings   int
}

func checkCorpus(t *testing.T, dir string, cases []corpusCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.path, func(t *testing.T) {
			inv := mustRead(t, filepath.Join(dir, filepath.FromSlash(tt.path)))
			withPurl := 0
			for _, c := range inv.Components {
				if c.Purl != "" {
					withPurl++
				}
				if c.Location == "" {
					t.Errorf("component %+v has no location", c)
				}
			}
			if inv.Format != tt.format || inv.SpecVersion != tt.spec || inv.Subject != tt.subject {
				t.Errorf("got %s %s %q; want %s %s %q", inv.Format, inv.SpecVersion, inv.Subject, tt.format, tt.spec, tt.subject)
			}
			if len(inv.Components) != tt.components || withPurl != tt.withPurl || len(inv.Findings) != tt.findings || len(inv.Warnings) != tt.warnings {
				t.Errorf("%d components (%d with purl), %d findings, %d warnings; want %d (%d), %d, %d\nwarnings: %q",
					len(inv.Components), withPurl, len(inv.Findings), len(inv.Warnings), tt.components, tt.withPurl, tt.findings, tt.warnings, inv.Warnings)
			}
		})
	}
}

// TestConformanceCycloneDXExamples reads every SBOM of CycloneDX's
// bom-examples in the shared corpora.
func TestConformanceCycloneDXExamples(t *testing.T) {
	dir := testenv.Corpus(t, "cyclonedx-examples")
	sboms := []corpusCase{
		{"SBOM/cern-lhc-vdm-editor-e564943/bom.json", FormatCycloneDXJSON, "1.2", "lhc-vdm-editor", 43, 43, 0, 0},
		{"SBOM/dropwizard-1.3.15/bom.json", FormatCycloneDXJSON, "1.2", "dropwizard-parent", 167, 167, 0, 0},
		{"SBOM/juice-shop/v11.1.2/bom.json", FormatCycloneDXJSON, "1.2", "juice-shop", 840, 840, 0, 0},
		{"SBOM/keycloak-10.0.2/bom.json", FormatCycloneDXJSON, "1.2", "keycloak-parent", 903, 903, 0, 0},
		{"SBOM/laravel-7.12.0/bom.1.4.json", FormatCycloneDXJSON, "1.4", "cyclonedx-php-composer-demo", 62, 62, 0, 0},
		{"SBOM/proton-bridge/proton-bridge-v1.6.3.bom.json", FormatCycloneDXJSON, "1.2", "github.com/ProtonMail/proton-bridge", 201, 201, 0, 0},
		{"SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json", FormatCycloneDXJSON, "1.2", "github.com/ProtonMail/proton-bridge", 201, 201, 0, 0},
		{"SBOM/protonmail-webclient-v4-0912dff/bom.json", FormatCycloneDXJSON, "1.2", "protonmail-web", 883, 883, 0, 0},
		{"spec/valid-vulnerability-1.4.json", FormatCycloneDXJSON, "1.4", "", 1, 1, 1, 0},
		{"spec/valid-vulnerability-1.5.json", FormatCycloneDXJSON, "1.5", "", 1, 1, 1, 0},
		{"spec/valid-vulnerability-1.6.json", FormatCycloneDXJSON, "1.6", "", 1, 1, 1, 0},
		{"VEX/bom.json", FormatCycloneDXJSON, "1.3", "example-app", 3, 3, 0, 0},
		{"VEX/vex.json", FormatCycloneDXJSON, "1.4", "", 0, 0, 1, 0},
	}
	checkCorpus(t, dir, sboms)

	// Every SBOM there must be covered above, so a new one is not skipped
	// silently.
	covered := map[string]bool{}
	for _, c := range sboms {
		covered[c.path] = true
	}
	err := filepath.WalkDir(filepath.Join(dir, "SBOM"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !covered[filepath.ToSlash(rel)] {
			t.Errorf("%s is not in the conformance table", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The VEX use cases are product-level VEX (affects points at the
	// product, which has no purl) or point into other BOMs by bom-ref:
	// they must read without error and yield warnings, not findings.
	err = filepath.WalkDir(filepath.Join(dir, "VEX"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || strings.HasSuffix(p, filepath.Join("VEX", "vex.json")) {
			return err
		}
		inv := mustRead(t, p)
		if len(inv.Findings) != 0 {
			t.Errorf("%s: %d findings, want 0: %q", p, len(inv.Findings), findingLines(inv))
		}
		if strings.Contains(filepath.Base(p), "vex") && len(inv.Warnings) == 0 {
			t.Errorf("%s: no warnings about its unresolvable affects", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConformanceOSVScannerSBOMs reads the SBOMs osv-scanner tests itself
// with: Syft XML with duplicate and invalid purls, SCALIBR JSON and SPDX.
func TestConformanceOSVScannerSBOMs(t *testing.T) {
	dir := testenv.Corpus(t, "osv-scanner-fixtures")
	checkCorpus(t, dir, []corpusCase{
		{"sbom-insecure/alpine.cdx.xml", FormatCycloneDXXML, "1.4", "alpine:latest", 16, 14, 0, 2},
		// 18 components, 16 with a purl, 14 distinct.
		{"sbom-insecure/with-duplicates.cdx.xml", FormatCycloneDXXML, "1.4", "alpine:latest", 16, 14, 0, 2},
		// 16 components, 14 with a purl (12 distinct strings, 6 invalid):
		// invalid purls do not merge different packages.
		{"sbom-insecure/bad-purls.cdx.xml", FormatCycloneDXXML, "1.4", "alpine:latest", 16, 14, 0, 8},
		{"sbom-insecure/postgres-stretch.cdx.xml", FormatCycloneDXXML, "1.4", "postgres:11.15-stretch", 137, 136, 0, 1},
		{"sbom-insecure/alpine-zlib-16.cdx.json", FormatCycloneDXJSON, "1.6", "", 1, 1, 0, 0},
		{"sbom-insecure/only-unimportant.spdx.json", FormatSPDXJSON, "SPDX-2.3", "SCALIBR-generated SPDX", 1, 1, 0, 0},
	})
}

// TestConformanceOracleSBOMs reads the CycloneDX 1.5 BOMs of the matching
// oracle cases.
func TestConformanceOracleSBOMs(t *testing.T) {
	dir := testenv.Corpus(t, "oracle-osv-scanner")
	checkCorpus(t, dir, []corpusCase{
		{"case-1-00.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-0", 72, 72, 0, 0},
		{"case-1-01.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-1", 72, 72, 0, 0},
		{"case-1-02.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-2", 74, 74, 0, 0},
		{"case-1-03.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-3", 67, 67, 0, 0},
		{"case-1-04.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-4", 72, 72, 0, 0},
		{"case-1-05.cdx.json", FormatCycloneDXJSON, "1.5", "case-1-5", 76, 76, 0, 0},
	})
}
