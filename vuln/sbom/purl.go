package sbom

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// buildPurl returns the canonical purl of a package, or "" when the parts do
// not make a valid one. Built purls are canonical (packageurl-go's
// Normalize, except that Go paths keep their case) because, unlike purls a
// file gives, there is no original spelling to keep.
func buildPurl(typ, namespace, name, version string, qualifiers map[string]string) string {
	if name == "" {
		return ""
	}
	var q packageurl.Qualifiers
	if len(qualifiers) > 0 {
		q = packageurl.QualifiersFromMap(qualifiers)
	}
	p := packageurl.NewPackageURL(typ, namespace, name, version, q, "")
	if err := p.Normalize(); err != nil {
		return ""
	}
	if typ == packageurl.TypeGolang {
		// Go module paths are case-sensitive and OSV spells them as the
		// module does; the spec's lowercasing would lose
		// github.com/BurntSushi/toml (vuln/osv reads the case back).
		p.Namespace, p.Name = strings.Trim(namespace, "/"), name
	}
	return p.ToString()
}

// splitLast splits "a/b/c" at its last sep into "a/b" and "c".
func splitLast(s, sep string) (head, tail string) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):]
	}
	return "", s
}

// ecosystemPurl builds the purl of a package named in an OSV ecosystem
// ("Go", "PyPI", "Debian:11", "Alpine:v3.18", ...), as osv-scanner reports
// packages. It returns "" for ecosystems without a purl type here (a
// "GIT" commit, Bitnami, distributions other than Debian, Ubuntu, Alpine).
//
// Distribution releases become a distro qualifier of the form
// "<distro>-<release>": "debian-11", "ubuntu-22.04", "alpine-3.18" (the "v"
// of Alpine's ecosystem dropped). That is the form Syft writes; Ubuntu's
// ":LTS" and ":Pro" markers are not carried.
func ecosystemPurl(ecosystem, name, version string) string {
	base, release, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "Go":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeGolang, ns, n, version, nil)
	case "PyPI":
		return buildPurl(packageurl.TypePyPi, "", name, version, nil)
	case "npm":
		ns, n := "", name
		if strings.HasPrefix(name, "@") {
			ns, n = splitLast(name, "/")
		}
		return buildPurl(packageurl.TypeNPM, ns, n, version, nil)
	case "Maven":
		group, artifact, ok := strings.Cut(name, ":")
		if !ok {
			return ""
		}
		return buildPurl(packageurl.TypeMaven, group, artifact, version, nil)
	case "crates.io":
		return buildPurl(packageurl.TypeCargo, "", name, version, nil)
	case "RubyGems":
		return buildPurl(packageurl.TypeGem, "", name, version, nil)
	case "Packagist":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeComposer, ns, n, version, nil)
	case "NuGet":
		return buildPurl(packageurl.TypeNuget, "", name, version, nil)
	case "Pub":
		return buildPurl(packageurl.TypePub, "", name, version, nil)
	case "Hex":
		return buildPurl(packageurl.TypeHex, "", name, version, nil)
	case "Hackage":
		return buildPurl(packageurl.TypeHackage, "", name, version, nil)
	case "CRAN":
		return buildPurl(packageurl.TypeCran, "", name, version, nil)
	case "SwiftURL":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeSwift, ns, n, version, nil)
	case "Debian":
		return buildPurl(packageurl.TypeDebian, "debian", name, version, distro("debian", release))
	case "Ubuntu":
		return buildPurl(packageurl.TypeDebian, "ubuntu", name, version, distro("ubuntu", ubuntuRelease(release)))
	case "Alpine":
		return buildPurl(packageurl.TypeApk, "alpine", name, version, distro("alpine", strings.TrimPrefix(release, "v")))
	}
	return ""
}

// ubuntuRelease finds the release in "20.04:LTS" or "Pro:18.04:LTS".
func ubuntuRelease(s string) string {
	for part := range strings.SplitSeq(s, ":") {
		if part != "" && part[0] >= '0' && part[0] <= '9' {
			return part
		}
	}
	return ""
}

func distro(id, release string) map[string]string {
	if release == "" {
		return nil
	}
	return map[string]string{"distro": id + "-" + release}
}

// osPurl builds the purl of an operating-system package from the
// distribution family and release a scanner reports ("debian", "12.5").
// It returns "" for families without a purl type here.
func osPurl(family, release, name, version, arch string) string {
	family = strings.ToLower(family)
	q := distro(family, release)
	if arch != "" {
		if q == nil {
			q = map[string]string{}
		}
		q["arch"] = arch
	}
	switch family {
	case "alpine", "wolfi", "chainguard":
		return buildPurl(packageurl.TypeApk, family, name, version, q)
	case "debian", "ubuntu":
		return buildPurl(packageurl.TypeDebian, family, name, version, q)
	case "redhat", "centos", "rocky", "alma", "almalinux", "amazon", "oracle", "fedora", "photon", "suse", "opensuse", "opensuse.leap", "opensuse.tumbleweed", "sles", "mariner", "azurelinux":
		return buildPurl(packageurl.TypeRPM, family, name, version, q)
	}
	return ""
}

// langPurl builds the purl of a language package from the package type a
// scanner reports (Trivy's result type, Grype's artifact type). Maven
// packages are "group:artifact". It returns "" for unknown types.
func langPurl(typ, name, version string) string {
	switch strings.ToLower(typ) {
	case "gomod", "gobinary", "go-module":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeGolang, ns, n, version, nil)
	case "npm", "yarn", "pnpm", "bun", "node-pkg":
		ns, n := "", name
		if strings.HasPrefix(name, "@") {
			ns, n = splitLast(name, "/")
		}
		return buildPurl(packageurl.TypeNPM, ns, n, version, nil)
	case "pip", "pipenv", "poetry", "uv", "python-pkg", "python":
		return buildPurl(packageurl.TypePyPi, "", name, version, nil)
	case "jar", "pom", "gradle", "sbt", "java-archive":
		group, artifact, ok := strings.Cut(name, ":")
		if !ok {
			return ""
		}
		return buildPurl(packageurl.TypeMaven, group, artifact, version, nil)
	case "cargo", "rustbinary", "rust-binary", "rust-crate":
		return buildPurl(packageurl.TypeCargo, "", name, version, nil)
	case "composer", "composer-vendor", "php-composer":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeComposer, ns, n, version, nil)
	case "bundler", "gemspec", "gem":
		return buildPurl(packageurl.TypeGem, "", name, version, nil)
	case "nuget", "dotnet-core", "packages-props", "dotnet":
		return buildPurl(packageurl.TypeNuget, "", name, version, nil)
	case "pub", "dart-pub":
		return buildPurl(packageurl.TypePub, "", name, version, nil)
	case "hex", "mix-lock":
		return buildPurl(packageurl.TypeHex, "", name, version, nil)
	case "conda-pkg", "conda-environment":
		return buildPurl(packageurl.TypeConda, "", name, version, nil)
	case "cocoapods", "pod":
		return buildPurl(packageurl.TypeCocoapods, "", name, version, nil)
	case "swift":
		ns, n := splitLast(name, "/")
		return buildPurl(packageurl.TypeSwift, ns, n, version, nil)
	case "conan", "conan-lock":
		return buildPurl(packageurl.TypeConan, "", name, version, nil)
	}
	return ""
}
