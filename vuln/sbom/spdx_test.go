package sbom

import (
	"path/filepath"
	"testing"
)

func TestSPDX(t *testing.T) {
	tests := []struct {
		file, spec, subject string
		purls               []string
		warnings            int
	}{
		// The SPDX 2.2 example spells the category PACKAGE_MANAGER; three
		// of its four packages have no purl.
		{"example-2.2.spdx.json", "SPDX-2.2", "SPDX-Tools-v2.0", []string{"", "", "pkg:maven/org.apache.jena/apache-jena@3.12.0", ""}, 3},
		{"scalibr-ubuntu-2.3.spdx.json", "SPDX-2.3", "SCALIBR-generated SPDX", []string{"pkg:deb/ubuntu/pcre3@2%3A8.39-12ubuntu0.1?arch=amd64&distro=focal&source=pcre3"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustRead(t, filepath.Join("testdata", "spdx", tt.file))
			if inv.Format != FormatSPDXJSON || inv.SpecVersion != tt.spec || inv.Subject != tt.subject || len(inv.Warnings) != tt.warnings {
				t.Errorf("got %s %s %q with %d warnings %q", inv.Format, inv.SpecVersion, inv.Subject, len(inv.Warnings), inv.Warnings)
			}
			checkLines(t, "purls", purls(inv), tt.purls)
		})
	}
}

func TestSPDXPackageFields(t *testing.T) {
	data := []byte(`{
  "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "shop",
  "documentNamespace": "https://example.com/shop",
  "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: test"]},
  "packages": [
    {"name": "requests", "SPDXID": "SPDXRef-Package-requests", "versionInfo": "2.31.0", "downloadLocation": "NOASSERTION",
     "primaryPackagePurpose": "LIBRARY",
     "externalRefs": [
       {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:python:requests:2.31.0:*:*:*:*:*:*:*"},
       {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/requests@2.31.0"},
       {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/requests@2.31.0?second=1"}
     ]},
    {"name": "other-ref", "SPDXID": "SPDXRef-other", "downloadLocation": "NOASSERTION",
     "externalRefs": [{"referenceCategory": "OTHER", "referenceType": "purl", "referenceLocator": "pkg:pypi/other@1"}]}
  ]
}`)
	inv, err := Read("shop.spdx.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := Component{Purl: "pkg:pypi/requests@2.31.0", Name: "requests", Version: "2.31.0", Type: "LIBRARY", BOMRef: "SPDXRef-Package-requests", Location: "packages[0]"}
	if len(inv.Components) != 2 || inv.Components[0] != want {
		t.Fatalf("components %+v", inv.Components)
	}
	// Only the PACKAGE-MANAGER category names a purl.
	if inv.Components[1].Purl != "" || len(inv.Warnings) != 1 {
		t.Errorf("second component %+v, warnings %q", inv.Components[1], inv.Warnings)
	}
}
