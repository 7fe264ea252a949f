package sbom

import (
	"path/filepath"
	"testing"
)

func TestOSVScanner(t *testing.T) {
	inv := mustRead(t, filepath.Join("testdata", "osv-scanner", "full-output.json"))
	if inv.Format != FormatOSVScanner || inv.SpecVersion != "" || inv.Subject != "" {
		t.Errorf("format %q spec %q subject %q", inv.Format, inv.SpecVersion, inv.Subject)
	}
	checkLines(t, "purls", purls(inv), []string{
		"pkg:pypi/flask@1.0.0",
		"pkg:npm/ansi-html@0.0.1",
		"pkg:npm/%40babel/core@7.0.0",
		"pkg:golang/github.com/opencontainers/runc@1.0.1",
		"pkg:golang/stdlib@1.19",
		"pkg:deb/debian/openssl@1.1.0l-1~deb9u5?distro=debian-9",
		"pkg:apk/alpine/zlib@1.2.10-r0?distro=alpine-3.17",
		"pkg:deb/ubuntu/pcre3@2:8.39-12ubuntu0.1?distro=ubuntu-20.04",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
		"pkg:composer/league/flysystem@1.0.8",
		"",
		"",
	})
	checkLines(t, "findings", findingLines(inv), []string{
		// Fixed versions come from the record's ranges for this package,
		// matched case-insensitively as PyPI names are.
		"pkg:pypi/flask@1.0.0 GHSA-m2qf-hxjv-5gpq high aliases=CVE-2023-30861,PYSEC-2023-62 fixed=2.3.2,2.2.5",
		// max_severity "" leaves the record's own severity.
		"pkg:npm/ansi-html@0.0.1 GHSA-whgm-jr23-g3j9 high aliases=CVE-2021-23424 fixed=0.0.8",
		// The group's max_severity (a CVSS score) wins over MODERATE.
		"pkg:golang/github.com/opencontainers/runc@1.0.1 GO-2022-0452 medium aliases=CVE-2022-29162,GHSA-f3fp-gc8g-vw66 fixed=1.1.2",
		"pkg:golang/github.com/opencontainers/runc@1.0.1 GHSA-f3fp-gc8g-vw66 medium aliases=CVE-2022-29162,GO-2022-0452 fixed=1.1.2",
		// Only openssl's range, not openssl1.0's.
		"pkg:deb/debian/openssl@1.1.0l-1~deb9u5?distro=debian-9 DLA-3008-1 unknown fixed=1.1.0l-1~deb9u6",
		"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q critical aliases=CVE-2021-44228 fixed=2.15.0,2.12.2",
	})
	checkLines(t, "warnings", inv.Warnings, []string{
		`results[3].packages[2]: component "https://github.com/brendan-duncan/archive.git" has no purl (only a commit 6fc3b89fcdb89b593402e0dabc13a7d7fd3f762d); it cannot be matched against advisories`,
		`results[3].packages[3]: component "wordpress" 6.4.1 has no purl (no purl type for ecosystem "Bitnami"); it cannot be matched against advisories`,
	})
}

// TestOSVScannerSnapshots reads the shortened form osv-scanner's own test
// snapshots use: vulnerabilities as id strings, groups as a count.
func TestOSVScannerSnapshots(t *testing.T) {
	inv := mustRead(t, filepath.Join("testdata", "osv-scanner", "snapshot-deprecated-with-vulns.json"))
	checkLines(t, "purls", purls(inv), []string{"pkg:cargo/net2@0.2.33"})
	checkLines(t, "findings", findingLines(inv), []string{
		"pkg:cargo/net2@0.2.33 RUSTSEC-2020-0016 unknown",
		"pkg:cargo/net2@0.2.33 RUSTSEC-2020-0078 unknown",
		"pkg:cargo/net2@0.2.33 GHSA-458v-4hrf-g3m4 unknown",
		"pkg:cargo/net2@0.2.33 GHSA-c79c-gwph-gqfm unknown",
	})
	if inv.Subject != "<rootdir>/testdata/exp-plugins-pkgdeprecate/deprecated-vuln/Cargo.lock" {
		t.Errorf("subject %q", inv.Subject)
	}

	inv = mustRead(t, filepath.Join("testdata", "osv-scanner", "snapshot-unscannable.json"))
	checkLines(t, "purls", purls(inv), []string{"pkg:golang/stdlib@1.999.1", ""})
	checkLines(t, "warnings", inv.Warnings, []string{
		`results[0].packages[1]: component "toolchain" 1.24.4 has no purl (no ecosystem); it cannot be matched against advisories`,
	})
}

func TestEcosystemPurl(t *testing.T) {
	tests := []struct{ ecosystem, name, version, want string }{
		{"Go", "github.com/gorilla/mux", "v1.8.0", "pkg:golang/github.com/gorilla/mux@v1.8.0"},
		{"Go", "stdlib", "1.21.3", "pkg:golang/stdlib@1.21.3"},
		{"Go", "github.com/BurntSushi/toml", "v1.3.2", "pkg:golang/github.com/BurntSushi/toml@v1.3.2"},
		{"PyPI", "Django_Allauth", "0.50.0", "pkg:pypi/django-allauth@0.50.0"},
		{"npm", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"},
		{"npm", "@angular/core", "12.3.1", "pkg:npm/%40angular/core@12.3.1"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{"Maven", "no-group", "1.0", ""},
		{"crates.io", "net2", "0.2.33", "pkg:cargo/net2@0.2.33"},
		{"RubyGems", "nokogiri", "1.18.2", "pkg:gem/nokogiri@1.18.2"},
		{"Packagist", "drupal/core", "10.4.5", "pkg:composer/drupal/core@10.4.5"},
		{"NuGet", "Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1"},
		{"Pub", "archive", "3.3.7", "pkg:pub/archive@3.3.7"},
		{"Hex", "plug", "1.14.0", "pkg:hex/plug@1.14.0"},
		{"Hackage", "biscuit-haskell", "0.3.0.0", "pkg:hackage/biscuit-haskell@0.3.0.0"},
		{"SwiftURL", "github.com/apple/swift-nio-http2", "1.19.1", "pkg:swift/github.com/apple/swift-nio-http2@1.19.1"},
		{"Debian:9", "libxml2", "2.9.4+dfsg1-2.2+deb9u6", "pkg:deb/debian/libxml2@2.9.4%2Bdfsg1-2.2%2Bdeb9u6?distro=debian-9"},
		{"Debian", "curl", "7.50.3-1", "pkg:deb/debian/curl@7.50.3-1"},
		{"Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.10", "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-22.04"},
		{"Ubuntu:Pro:18.04:LTS", "openssl", "1.1.1", "pkg:deb/ubuntu/openssl@1.1.1?distro=ubuntu-18.04"},
		{"Alpine:v3.18", "musl", "1.2.4-r1", "pkg:apk/alpine/musl@1.2.4-r1?distro=alpine-3.18"},
		{"Bitnami", "wordpress", "6.4.1", ""},
		{"", "toolchain", "1.24.4", ""},
		{"Go", "", "1.0", ""},
	}
	for _, tt := range tests {
		if got := ecosystemPurl(tt.ecosystem, tt.name, tt.version); got != tt.want {
			t.Errorf("ecosystemPurl(%q, %q, %q) = %q; want %q", tt.ecosystem, tt.name, tt.version, got, tt.want)
		}
	}
}
