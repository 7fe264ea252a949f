package sbom

import (
	"path/filepath"
	"testing"
)

func TestGrype(t *testing.T) {
	tests := []struct {
		file, subject string
		purls         []string
		findings      []string
	}{
		{
			// Grype's own presenter snapshot: package-1 has no purl, so one
			// is built from its type and the scanned distro.
			file:    "presenter-image.json",
			subject: "user-input",
			purls:   []string{"pkg:rpm/centos/package-1@1.1.1?distro=centos-8.0", "pkg:deb/package-2@2.2.2"},
			findings: []string{
				"pkg:rpm/centos/package-1@1.1.1?distro=centos-8.0 CVE-1999-0001 low fixed=1.2.1,2.1.3,3.4.0",
				"pkg:deb/package-2@2.2.2 CVE-1999-0002 critical",
			},
		},
		{
			file:    "presenter-dir.json",
			subject: "/some/path",
			purls:   []string{"pkg:rpm/centos/package-1@1.1.1?distro=centos-8.0", "pkg:deb/package-2@2.2.2"},
			findings: []string{
				"pkg:rpm/centos/package-1@1.1.1?distro=centos-8.0 CVE-1999-0001 low fixed=1.2.1,2.1.3,3.4.0",
				"pkg:deb/package-2@2.2.2 CVE-1999-0002 critical",
			},
		},
		{
			// relatedVulnerabilities are aliases; two matches of one
			// artifact are one component; "Negligible" is low.
			file:    "related-vulnerabilities.json",
			subject: "registry.example.com/shop/checkout:3.2.0",
			purls: []string{
				"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
				"pkg:deb/debian/zlib1g@1:1.2.11.dfsg-2+deb11u1?arch=amd64&upstream=zlib&distro=debian-11",
				"pkg:deb/debian/tar@1.34%2Bdfsg-1?distro=debian-11",
			},
			findings: []string{
				"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q critical aliases=CVE-2021-44228 fixed=2.15.0",
				"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 CVE-2021-44228 critical",
				"pkg:deb/debian/zlib1g@1:1.2.11.dfsg-2+deb11u1?arch=amd64&upstream=zlib&distro=debian-11 CVE-2022-37434 critical fixed=1:1.2.11.dfsg-2+deb11u2",
				"pkg:deb/debian/tar@1.34%2Bdfsg-1?distro=debian-11 CVE-2005-2541 low",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustRead(t, filepath.Join("testdata", "grype", tt.file))
			if inv.Format != FormatGrype || inv.SpecVersion != "" || inv.Subject != tt.subject || len(inv.Warnings) != 0 {
				t.Errorf("got %s %q %q, warnings %q", inv.Format, inv.SpecVersion, inv.Subject, inv.Warnings)
			}
			checkLines(t, "purls", purls(inv), tt.purls)
			checkLines(t, "findings", findingLines(inv), tt.findings)
		})
	}
}

func TestGrypeTarget(t *testing.T) {
	tests := map[string]string{
		`"/some/path"`:                 "/some/path",
		`{"userInput": "alpine:3.18"}`: "alpine:3.18",
		`{"path": "/bin/app"}`:         "/bin/app",
		`12`:                           "",
		``:                             "",
		`{"userInput": 5}`:             "",
	}
	for in, want := range tests {
		if got := grypeTarget([]byte(in)); got != want {
			t.Errorf("grypeTarget(%s) = %q; want %q", in, got, want)
		}
	}
}
