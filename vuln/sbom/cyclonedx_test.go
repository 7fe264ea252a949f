package sbom

import (
	"path/filepath"
	"testing"
)

func TestCycloneDXNestedJSON(t *testing.T) {
	inv := mustRead(t, filepath.Join("testdata", "cyclonedx", "nested-1.5.json"))
	if inv.Format != FormatCycloneDXJSON || inv.SpecVersion != "1.5" || inv.Subject != "checkout" {
		t.Errorf("format %q spec %q subject %q", inv.Format, inv.SpecVersion, inv.Subject)
	}
	// Depth first, parents first; the two spellings of @angular/core and
	// the second log4j-api count once, the first spelling kept as given.
	checkLines(t, "purls", purls(inv), []string{
		"pkg:maven/org.springframework.boot/spring-boot@2.6.1",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
		"pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1",
		"pkg:npm/%40angular/core@12.3.1",
		"",
		"",
	})
	var locs []string
	for _, c := range inv.Components {
		locs = append(locs, c.Location)
	}
	checkLines(t, "locations", locs, []string{
		"components[0]", "components[0].components[0]", "components[0].components[0].components[0]",
		"components[1]", "components[4]", "components[5]",
	})
	if c := inv.Components[4]; c.Name != "zlib" || c.Group != "madler" || c.Version != "1.2.11" || c.BOMRef != "vendored-zlib" || c.Type != "library" {
		t.Errorf("purl-less component = %+v", c)
	}
	checkLines(t, "findings", findingLines(inv), []string{
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 CVE-2021-44228 critical aliases=GHSA-jfh8-c2jp-5v3q",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 CVE-2021-45046 critical",
		// A ref that is a purl is taken as one, though no component has it.
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0 CVE-2021-45046 critical",
	})
	checkLines(t, "warnings", inv.Warnings, []string{
		`components[4]: component "madler/zlib" 1.2.11 has no purl; it cannot be matched against advisories`,
		`components[5]: component "application.yaml" has no purl; it cannot be matched against advisories`,
		`vulnerabilities[1].affects[0]: CVE-2022-37434 affects "vendored-zlib", a component without a purl; skipped`,
		`vulnerabilities[2].affects[1]: CVE-2021-45046 affects "no-such-ref", which is no component of this BOM and no purl; skipped`,
	})
}

func TestCycloneDXNestedXML(t *testing.T) {
	inv := mustRead(t, filepath.Join("testdata", "cyclonedx", "nested-1.6.xml"))
	if inv.Format != FormatCycloneDXXML || inv.SpecVersion != "1.6" || inv.Subject != "payments" {
		t.Errorf("format %q spec %q subject %q", inv.Format, inv.SpecVersion, inv.Subject)
	}
	checkLines(t, "purls", purls(inv), []string{"pkg:pypi/requests@2.20.0", "pkg:pypi/urllib3@1.24.1", "pkg:pypi/flask@1.0.0"})
	checkLines(t, "findings", findingLines(inv), []string{"pkg:pypi/flask@1.0.0 GHSA-m2qf-hxjv-5gpq high aliases=CVE-2023-30861"})
	if inv.Components[1].Location != "components[0].components[0]" {
		t.Errorf("nested location %q", inv.Components[1].Location)
	}
}

// TestCycloneDXSpecVersions reads one BOM of each spec version 1.2 to 1.6,
// JSON and XML.
func TestCycloneDXSpecVersions(t *testing.T) {
	tests := []struct {
		file, format, spec string
		components         int
	}{
		{"cern-lhc-vdm-editor-1.2.json", FormatCycloneDXJSON, "1.2", 43},
		{"minimal-1.2.xml", FormatCycloneDXXML, "1.2", 1},
		{"minimal-1.3.xml", FormatCycloneDXXML, "1.3", 1},
		{"vex-bom-1.3.json", FormatCycloneDXJSON, "1.3", 3},
		{"minimal-1.4.json", FormatCycloneDXJSON, "1.4", 1},
		{"syft-alpine-1.4.xml", FormatCycloneDXXML, "1.4", 16},
		{"nested-1.5.json", FormatCycloneDXJSON, "1.5", 6},
		{"scalibr-alpine-1.6.json", FormatCycloneDXJSON, "1.6", 1},
		{"nested-1.6.xml", FormatCycloneDXXML, "1.6", 3},
		{"valid-vulnerability-1.6.json", FormatCycloneDXJSON, "1.6", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustRead(t, filepath.Join("testdata", "cyclonedx", tt.file))
			if inv.Format != tt.format || inv.SpecVersion != tt.spec || len(inv.Components) != tt.components {
				t.Errorf("got %s %s with %d components; want %s %s with %d", inv.Format, inv.SpecVersion, len(inv.Components), tt.format, tt.spec, tt.components)
			}
		})
	}
}

// TestCycloneDXSyft checks syft's XML as osv-scanner's fixtures have it:
// duplicates collapse, invalid purls are kept as given but warned about,
// and never merge different packages.
func TestCycloneDXSyft(t *testing.T) {
	tests := []struct {
		file                           string
		components, withPurl, warnings int
	}{
		// 18 components: 16 with purls of which 2 repeat, 2 without.
		{"syft-with-duplicates-1.4.xml", 16, 14, 2},
		// 16 components: 14 with purls of which 6 are invalid (3 alike,
		// on 3 different packages), 2 without.
		{"syft-bad-purls-1.4.xml", 16, 14, 8},
		{"syft-alpine-1.4.xml", 16, 14, 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustRead(t, filepath.Join("testdata", "cyclonedx", tt.file))
			withPurl := 0
			for _, c := range inv.Components {
				if c.Purl != "" {
					withPurl++
				}
			}
			if len(inv.Components) != tt.components || withPurl != tt.withPurl || len(inv.Warnings) != tt.warnings {
				t.Errorf("%d components, %d with purl, %d warnings; want %d, %d, %d\n%q", len(inv.Components), withPurl, len(inv.Warnings), tt.components, tt.withPurl, tt.warnings, inv.Warnings)
			}
			if inv.Subject != "alpine:latest" {
				t.Errorf("subject %q", inv.Subject)
			}
		})
	}
}

func TestCycloneDXVEX(t *testing.T) {
	// A VEX document kept apart from its BOM points at components through
	// BOM-Links whose bom-ref part is a purl.
	inv := mustRead(t, filepath.Join("testdata", "cyclonedx", "vex-bomlink-1.4.json"))
	if len(inv.Components) != 0 {
		t.Errorf("components %v", purls(inv))
	}
	checkLines(t, "findings", findingLines(inv), []string{
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar CVE-2020-25649 high aliases=SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302 state=not_affected/code_not_reachable",
	})

	inv = mustRead(t, filepath.Join("testdata", "cyclonedx", "valid-vulnerability-1.6.json"))
	checkLines(t, "findings", findingLines(inv), []string{
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4 SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111 critical aliases=CVE-2018-7489 state=not_affected/code_not_reachable",
	})
}

func TestResolveRef(t *testing.T) {
	refs := map[string]string{"a": "pkg:npm/a@1", "b": "", "c/d": "pkg:npm/cd@1"}
	tests := []struct {
		ref  string
		want string
		ok   bool
	}{
		{"a", "pkg:npm/a@1", true},
		{"b", "", true},
		{"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#a", "pkg:npm/a@1", true},
		{"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#c%2Fd", "pkg:npm/cd@1", true},
		{"urn:cdx:x/1#pkg:npm/z@2", "pkg:npm/z@2", true},
		{"pkg:npm/y@3", "pkg:npm/y@3", true},
		{"pkg:", "", false},
		{"urn:cdx:x/1#nothing", "", false},
		{"nothing", "", false},
	}
	for _, tt := range tests {
		got, ok := resolveRef(tt.ref, refs)
		if got != tt.want || ok != tt.ok {
			t.Errorf("resolveRef(%q) = %q, %v; want %q, %v", tt.ref, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCycloneDXPrefixedNamespace(t *testing.T) {
	data := []byte(`<c:bom xmlns:c="http://cyclonedx.org/schema/bom/1.5" version="1"><c:components><c:component type="library"><c:name>a</c:name><c:purl>pkg:npm/a@1</c:purl></c:component></c:components></c:bom>`)
	inv, err := Read("prefixed.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	if inv.SpecVersion != "1.5" || len(inv.Components) != 1 {
		t.Errorf("spec %q, components %v", inv.SpecVersion, purls(inv))
	}
}
