package sbom

import (
	"path/filepath"
	"testing"
)

func TestTrivy(t *testing.T) {
	tests := []struct {
		file, subject string
		purls         []string
		findings      []string
		warnings      int
	}{
		{
			// --list-all-pkgs: every package, and the vulnerable one once.
			file:     "npm-list-all-pkgs.json",
			subject:  "testdata/fixtures/repo/npm",
			purls:    []string{"pkg:npm/asap@2.0.6", "pkg:npm/jquery@3.3.9", "pkg:npm/js-tokens@4.0.0", "pkg:npm/loose-envify@1.4.0", "pkg:npm/react@16.8.6"},
			findings: []string{"pkg:npm/jquery@3.3.9 CVE-2019-11358 medium fixed=3.4.0"},
		},
		{
			// Without --list-all-pkgs only vulnerable packages are known.
			file:    "alpine-310.json",
			subject: "testdata/fixtures/images/alpine-310.tar.gz",
			purls:   []string{"pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2", "pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2"},
			findings: []string{
				"pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2 CVE-2019-1549 medium fixed=1.1.1d-r0",
				"pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2 CVE-2019-1551 medium fixed=1.1.1d-r2",
				"pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2 CVE-2019-1549 medium fixed=1.1.1d-r0",
				"pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2 CVE-2019-1551 medium fixed=1.1.1d-r2",
			},
		},
		{
			// Trivy before v0.49 wrote no purls; the same vulnerability in
			// three go.mod files is one finding.
			file:    "gomod-no-purls.json",
			subject: "testdata/fixtures/fs/gomod",
			purls:   []string{"pkg:golang/github.com/docker/distribution@2.7.1%2Bincompatible", "pkg:golang/github.com/open-policy-agent/opa@0.35.0", "pkg:golang/golang.org/x/text@0.3.6"},
			findings: []string{
				"pkg:golang/github.com/docker/distribution@2.7.1%2Bincompatible GMS-2022-20 unknown fixed=v2.8.0",
				"pkg:golang/github.com/open-policy-agent/opa@0.35.0 CVE-2022-23628 medium fixed=0.37.0",
				"pkg:golang/golang.org/x/text@0.3.6 CVE-2021-38561 unknown fixed=0.3.7",
			},
		},
		{
			// OS packages get the distro from Metadata.OS; a vulnerability
			// finds its listed package (with arch) by name and version;
			// VendorIDs are aliases; "a, b" fixed versions are split.
			file:     "debian-old-no-purls.json",
			subject:  "debian:10",
			purls:    []string{"pkg:deb/debian/libc6@2.28-10?arch=amd64&distro=debian-10.4", "pkg:deb/debian/tzdata@2020a-0%2Bdeb10u1?arch=all&distro=debian-10.4", "pkg:gem/rack@2.0.7", ""},
			findings: []string{"pkg:deb/debian/libc6@2.28-10?arch=amd64&distro=debian-10.4 CVE-2021-33574 critical aliases=DSA-4999-1 fixed=2.28-10+deb10u1,2.31-13+deb11u3"},
			warnings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			inv := mustRead(t, filepath.Join("testdata", "trivy", tt.file))
			if inv.Format != FormatTrivy || inv.SpecVersion != "2" || inv.Subject != tt.subject || len(inv.Warnings) != tt.warnings {
				t.Errorf("got %s %s %q, warnings %q", inv.Format, inv.SpecVersion, inv.Subject, inv.Warnings)
			}
			checkLines(t, "purls", purls(inv), tt.purls)
			checkLines(t, "findings", findingLines(inv), tt.findings)
		})
	}
}

func TestTrivyVersion(t *testing.T) {
	tests := []struct {
		version, release string
		epoch            int
		want             string
	}{
		{"1.1.1k", "", 0, "1.1.1k"},
		{"1.1.1k", "4.el8", 0, "1.1.1k-4.el8"},
		{"1.1.1k", "4.el8", 1, "1:1.1.1k-4.el8"},
	}
	for _, tt := range tests {
		if got := trivyVersion(tt.version, tt.release, tt.epoch); got != tt.want {
			t.Errorf("trivyVersion(%q, %q, %d) = %q; want %q", tt.version, tt.release, tt.epoch, got, tt.want)
		}
	}
}

func TestLangAndOSPurl(t *testing.T) {
	tests := []struct{ got, want string }{
		{langPurl("gomod", "github.com/a/b", "v1.0.0"), "pkg:golang/github.com/a/b@v1.0.0"},
		{langPurl("yarn", "@types/node", "20.1.0"), "pkg:npm/%40types/node@20.1.0"},
		{langPurl("poetry", "PyYAML", "6.0"), "pkg:pypi/pyyaml@6.0"},
		{langPurl("jar", "org.slf4j:slf4j-api", "1.7.36"), "pkg:maven/org.slf4j/slf4j-api@1.7.36"},
		{langPurl("jar", "slf4j-api", "1.7.36"), ""},
		{langPurl("cargo", "serde", "1.0.0"), "pkg:cargo/serde@1.0.0"},
		{langPurl("composer", "monolog/monolog", "2.0.0"), "pkg:composer/monolog/monolog@2.0.0"},
		{langPurl("dotnet-core", "Newtonsoft.Json", "12.0.1"), "pkg:nuget/Newtonsoft.Json@12.0.1"},
		{langPurl("unknown", "x", "1"), ""},
		{osPurl("alpine", "3.18.4", "musl", "1.2.4-r1", "x86_64"), "pkg:apk/alpine/musl@1.2.4-r1?arch=x86_64&distro=alpine-3.18.4"},
		{osPurl("ubuntu", "22.04", "bash", "5.1-6ubuntu1", ""), "pkg:deb/ubuntu/bash@5.1-6ubuntu1?distro=ubuntu-22.04"},
		{osPurl("redhat", "8.6", "openssl-libs", "1:1.1.1k-7.el8_6", "x86_64"), "pkg:rpm/redhat/openssl-libs@1:1.1.1k-7.el8_6?arch=x86_64&distro=redhat-8.6"},
		{osPurl("", "", "x", "1", ""), ""},
		{osPurl("windows", "11", "x", "1", ""), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q; want %q", i, tt.got, tt.want)
		}
	}
}
