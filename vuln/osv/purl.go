package osv

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-project/palisade"
)

// Package is a package as OSV names it: an ecosystem, optionally with a
// release suffix ("Debian:11"), and a name in that ecosystem's OSV form
// ("github.com/foo/bar", "@scope/name", "group:artifact").
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// ErrInvalidPurl is wrapped by FromPurl's error for a string that is not a
// valid package URL.
var ErrInvalidPurl = errors.New("invalid package URL")

// ErrUnsupportedPurl is wrapped by FromPurl's error for a valid package URL
// that has no OSV ecosystem with a known version order: its component
// cannot be matched and should be reported as such.
var ErrUnsupportedPurl = errors.New("package URL has no OSV ecosystem Palisade can match")

// PurlError is FromPurl's error.
type PurlError struct {
	Purl   string
	Reason string
	// Err is ErrInvalidPurl, ErrUnsupportedPurl or ErrInvalidVersion.
	Err error
}

// Error returns the purl (shortened) and the reason.
func (e *PurlError) Error() string {
	return fmt.Sprintf("purl %q: %s", short(e.Purl), e.Reason)
}

// Unwrap returns the sentinel that classifies the error.
func (e *PurlError) Unwrap() error { return e.Err }

// As lets palisade.ErrorCode see a PurlError: EINVALID for a malformed
// purl or version, EUNPROCESSABLE for one that cannot be placed.
func (e *PurlError) As(target any) bool {
	t, ok := target.(**palisade.Error)
	if !ok {
		return false
	}
	code := palisade.EINVALID
	if e.Err == ErrUnsupportedPurl {
		code = palisade.EUNPROCESSABLE
	}
	*t = &palisade.Error{Code: code, Message: e.Error()}
	return true
}

// FromPurl places a package URL in OSV: its ecosystem, its OSV package name
// and its version as OSV records write it. The version is "" when the purl
// has none. The mapping, per purl type:
//
//	golang    Go           namespace/name, case kept; version without "v";
//	                       stdlib and toolchain versions "go1.21rc2" → "1.21.0-rc.2"
//	pypi      PyPI         PEP 503 normalized name
//	npm       npm          @scope/name
//	maven     Maven        group:artifact; a non-central repository_url
//	                       becomes the suffix (Maven:https://maven.google.com)
//	nuget     NuGet        gem RubyGems · cargo crates.io · pub Pub · hex Hex
//	composer  Packagist    vendor/name
//	swift     SwiftURL     host/owner/repo
//	cran      CRAN         (Bioconductor when repository_url names bioconductor.org)
//	hackage   Hackage      conan ConanCenter · bitnami Bitnami · julia Julia · dhi Docker Hardened Images
//	deb       Debian, Ubuntu by namespace (or distro); suffix from distro:
//	                       debian-11 / bullseye → Debian:11, ubuntu-22.04 / jammy → Ubuntu:22.04:LTS
//	apk       Alpine (distro alpine-3.16.2 → Alpine:v3.16), Wolfi, Chainguard,
//	          MinimOS, Alpaquita by namespace
//	rpm       Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, openEuler
//	          by namespace; AlmaLinux, Rocky Linux and Mageia take the release
//	          from distro (almalinux-8.7 → AlmaLinux:8)
//
// For deb and apk an "upstream" qualifier (the source package, as Syft
// writes it) replaces the name, because OSV names source packages. An
// "epoch" qualifier of deb and rpm purls is prefixed to the version.
//
// The error is a *PurlError wrapping ErrInvalidPurl for a malformed purl,
// ErrUnsupportedPurl for a type or namespace without an ecosystem Palisade
// can match (including GitHub Actions, whose version order is unknown), or
// ErrInvalidVersion for a Go version that is not a module version; in the
// last case the Package is still returned.
func FromPurl(purl string) (Package, string, error) {
	p, err := packageurl.FromString(purl)
	if err != nil {
		return Package{}, "", &PurlError{Purl: purl, Reason: err.Error(), Err: ErrInvalidPurl}
	}
	fail := func(sentinel error, format string, args ...any) (Package, string, error) {
		return Package{}, "", &PurlError{Purl: purl, Reason: fmt.Sprintf(format, args...), Err: sentinel}
	}
	q := p.Qualifiers.Map()
	version := p.Version
	noNamespace := func(eco string) (Package, string, error) {
		if p.Namespace != "" {
			return fail(ErrInvalidPurl, "a %s purl has no namespace", p.Type)
		}
		return Package{Ecosystem: eco, Name: p.Name}, version, nil
	}
	switch p.Type {
	case packageurl.TypeGolang:
		name := rawGoPath(purl, p)
		v, err := goVersion(name, version)
		if err != nil {
			return Package{Ecosystem: "Go", Name: name}, "", &PurlError{Purl: purl, Reason: err.Error(), Err: ErrInvalidVersion}
		}
		return Package{Ecosystem: "Go", Name: name}, v, nil
	case packageurl.TypePyPi:
		if p.Namespace != "" {
			return fail(ErrInvalidPurl, "a pypi purl has no namespace")
		}
		return Package{Ecosystem: "PyPI", Name: normalizePyPI(p.Name)}, version, nil
	case packageurl.TypeNPM:
		name := p.Name
		if p.Namespace != "" {
			scope := p.Namespace
			if !strings.HasPrefix(scope, "@") {
				scope = "@" + scope
			}
			name = scope + "/" + name
		}
		return Package{Ecosystem: "npm", Name: name}, version, nil
	case packageurl.TypeMaven:
		if p.Namespace == "" {
			return fail(ErrInvalidPurl, "a maven purl needs the groupId as namespace")
		}
		if strings.ContainsAny(p.Namespace+p.Name, ":/") {
			return fail(ErrInvalidPurl, "a Maven groupId or artifactId cannot contain ':' or '/'")
		}
		eco := "Maven"
		if repo := strings.TrimRight(strings.TrimSpace(q["repository_url"]), "/"); repo != "" && !mavenCentral(repo) {
			eco += ":" + repo
		}
		return Package{Ecosystem: eco, Name: p.Namespace + ":" + p.Name}, version, nil
	case packageurl.TypeNuget:
		return noNamespace("NuGet")
	case packageurl.TypeGem:
		return noNamespace("RubyGems")
	case packageurl.TypeCargo:
		return noNamespace("crates.io")
	case packageurl.TypePub:
		return noNamespace("Pub")
	case packageurl.TypeHackage:
		return noNamespace("Hackage")
	case packageurl.TypeBitnami:
		return noNamespace("Bitnami")
	case packageurl.TypeJulia:
		return noNamespace("Julia")
	case packageurl.TypeCran:
		if strings.Contains(strings.ToLower(q["repository_url"]), "bioconductor.org") {
			return noNamespace("Bioconductor")
		}
		return noNamespace("CRAN")
	case packageurl.TypeHex:
		// The namespace is a private Hex organization; OSV names the
		// package alone.
		return Package{Ecosystem: "Hex", Name: p.Name}, version, nil
	case packageurl.TypeConan:
		// The namespace is the recipe's user; ConanCenter names the
		// recipe alone.
		return Package{Ecosystem: "ConanCenter", Name: p.Name}, version, nil
	case packageurl.TypeComposer:
		if p.Namespace == "" {
			return fail(ErrInvalidPurl, "a composer purl needs the vendor as namespace")
		}
		return Package{Ecosystem: "Packagist", Name: p.Namespace + "/" + p.Name}, version, nil
	case packageurl.TypeSwift:
		return Package{Ecosystem: "SwiftURL", Name: p.Namespace + "/" + p.Name}, version, nil
	case "dhi":
		return Package{Ecosystem: "Docker Hardened Images", Name: joinPath(p.Namespace, p.Name)}, version, nil
	case packageurl.TypeDebian:
		eco, ok := debEcosystem(strings.ToLower(p.Namespace), strings.ToLower(q["distro"]))
		if !ok {
			return fail(ErrUnsupportedPurl, "deb namespace %q is neither debian nor ubuntu", p.Namespace)
		}
		return Package{Ecosystem: eco, Name: sourceName(p.Name, q["upstream"])}, withEpoch(version, q["epoch"]), nil
	case packageurl.TypeApk:
		eco, ok := apkEcosystem(strings.ToLower(p.Namespace), strings.ToLower(q["distro"]))
		if !ok {
			return fail(ErrUnsupportedPurl, "apk namespace %q has no OSV ecosystem", p.Namespace)
		}
		return Package{Ecosystem: eco, Name: sourceName(p.Name, q["upstream"])}, version, nil
	case packageurl.TypeRPM:
		eco, ok := rpmEcosystem(strings.ToLower(p.Namespace), strings.ToLower(q["distro"]))
		if !ok {
			return fail(ErrUnsupportedPurl, "rpm namespace %q has no OSV ecosystem with a known version order", p.Namespace)
		}
		return Package{Ecosystem: eco, Name: p.Name}, withEpoch(version, q["epoch"]), nil
	case packageurl.TypeGithub:
		return fail(ErrUnsupportedPurl, "GitHub Actions versions have no known order")
	}
	return fail(ErrUnsupportedPurl, "purl type %q has no OSV ecosystem", p.Type)
}

// Purl returns the package URL of p without a version, or "" when p's
// ecosystem has no purl form (Julia needs a uuid Palisade does not know;
// GHC, BellSoft Hardened Containers and ecosystems without a version order
// have none). FromPurl of the result gives p back.
func (p Package) Purl() string {
	base, suffix := splitEcosystem(p.Ecosystem)
	var u *packageurl.PackageURL
	simple := func(typ string) *packageurl.PackageURL {
		return packageurl.NewPackageURL(typ, "", p.Name, "", nil, "")
	}
	split := func(typ string) *packageurl.PackageURL {
		i := strings.LastIndexByte(p.Name, '/')
		return packageurl.NewPackageURL(typ, p.Name[:max(i, 0)], p.Name[i+1:], "", nil, "")
	}
	distro := func(prefix string) packageurl.Qualifiers {
		if suffix == "" {
			return nil
		}
		return packageurl.Qualifiers{{Key: "distro", Value: prefix + suffix}}
	}
	switch base {
	case "Go", "SwiftURL", "Docker Hardened Images":
		u = split(map[string]string{"Go": "golang", "SwiftURL": "swift", "Docker Hardened Images": "dhi"}[base])
	case "PyPI":
		u = simple("pypi")
	case "npm":
		u = simple("npm")
		if scope, name, ok := strings.Cut(p.Name, "/"); ok && strings.HasPrefix(scope, "@") {
			u = packageurl.NewPackageURL("npm", scope, name, "", nil, "")
		}
	case "Maven":
		g, a, ok := strings.Cut(p.Name, ":")
		if !ok {
			return ""
		}
		u = packageurl.NewPackageURL("maven", g, a, "", nil, "")
		if suffix != "" {
			u.Qualifiers = packageurl.Qualifiers{{Key: "repository_url", Value: suffix}}
		}
	case "NuGet", "RubyGems", "crates.io", "Pub", "Hex", "CRAN", "Hackage", "ConanCenter", "Bitnami":
		u = simple(map[string]string{"NuGet": "nuget", "RubyGems": "gem", "crates.io": "cargo", "Pub": "pub",
			"Hex": "hex", "CRAN": "cran", "Hackage": "hackage", "ConanCenter": "conan", "Bitnami": "bitnami"}[base])
	case "Bioconductor":
		u = simple("cran")
		u.Qualifiers = packageurl.Qualifiers{{Key: "repository_url", Value: "https://bioconductor.org"}}
	case "Packagist":
		vendor, name, ok := strings.Cut(p.Name, "/")
		if !ok {
			return ""
		}
		u = packageurl.NewPackageURL("composer", vendor, name, "", nil, "")
	case "Debian":
		u = packageurl.NewPackageURL("deb", "debian", p.Name, "", distro("debian-"), "")
	case "Ubuntu":
		u = packageurl.NewPackageURL("deb", "ubuntu", p.Name, "", distro("ubuntu-"), "")
		if suffix != "" {
			release, _, _ := strings.Cut(suffix, ":")
			u.Qualifiers = packageurl.Qualifiers{{Key: "distro", Value: "ubuntu-" + release}}
		}
	case "Alpine":
		u = packageurl.NewPackageURL("apk", "alpine", p.Name, "", distro("alpine-"), "")
		if suffix != "" {
			u.Qualifiers = packageurl.Qualifiers{{Key: "distro", Value: "alpine-" + strings.TrimPrefix(suffix, "v")}}
		}
	case "Alpaquita":
		u = packageurl.NewPackageURL("apk", "alpaquita", p.Name, "", distro("alpaquita-"), "")
	case "Wolfi", "Chainguard", "MinimOS":
		u = packageurl.NewPackageURL("apk", strings.ToLower(base), p.Name, "", nil, "")
	default:
		ns, ok := rpmNamespaces[base]
		if !ok {
			return ""
		}
		u = packageurl.NewPackageURL("rpm", ns, p.Name, "", nil, "")
		if rpmReleaseSuffix[base] {
			u.Qualifiers = distro(ns + "-")
		}
	}
	return u.ToString()
}

// rawGoPath returns the module path of a golang purl with its case:
// packageurl-go lowercases golang namespaces and names as the purl spec
// once asked, but Go module paths are case-sensitive and OSV records spell
// them as the module does. The path is taken from the raw string when it
// agrees with the parsed one except for case.
func rawGoPath(purl string, p packageurl.PackageURL) string {
	parsed := joinPath(p.Namespace, p.Name)
	rest := purl[min(len(purl), len("pkg:")):]
	rest = strings.TrimLeft(rest, "/")
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	_, rest, _ = strings.Cut(rest, "/")
	if i := strings.LastIndexByte(rest, '@'); i > 0 {
		rest = rest[:i]
	}
	var segs []string
	for s := range strings.SplitSeq(rest, "/") {
		if s == "" {
			continue
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return parsed
		}
		segs = append(segs, d)
	}
	if raw := strings.Join(segs, "/"); strings.EqualFold(raw, parsed) {
		return raw
	}
	return parsed
}

var (
	goSemver    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	goToolchain = regexp.MustCompile(`^([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:(rc|beta)([0-9]+))?$`)
)

// goVersion returns a Go module or toolchain version the way OSV Go
// records write it: SemVer without the "v". Anything else is rejected,
// because the SemVer order accepts any string and would compare garbage
// (a commit hash, "(devel)") without complaint.
func goVersion(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if name == "stdlib" || name == "toolchain" {
		t := strings.TrimPrefix(strings.TrimPrefix(v, "go"), "v")
		if m := goToolchain.FindStringSubmatch(t); m != nil {
			// Go releases are "go1.20" (= 1.20.0), "go1.21.3", "go1.21rc2"
			// (= 1.21.0-rc.2); the Go vulnerability database converts
			// them to SemVer that way.
			patch := m[3]
			if patch == "" {
				patch = "0"
			}
			s := m[1] + "." + m[2] + "." + patch
			if m[4] != "" {
				s += "-" + m[4] + "." + m[5]
			}
			return s, nil
		}
		if goSemver.MatchString(t) {
			return t, nil
		}
		return "", fmt.Errorf("%q is not a Go release version", short(v))
	}
	if t := strings.TrimPrefix(v, "v"); goSemver.MatchString(t) {
		return t, nil
	}
	return "", fmt.Errorf("%q is not a Go module version (vMAJOR.MINOR.PATCH)", short(v))
}

func mavenCentral(repo string) bool {
	repo = strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(repo), "https://"), "http://")
	return repo == "repo.maven.apache.org/maven2" || repo == "repo1.maven.org/maven2"
}

func joinPath(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// sourceName returns the source package named by an upstream qualifier
// ("openssl" or "openssl@1.1.1k-r0"), or name when there is none. Debian
// and Alpine names are lower case, as the purl types write them.
func sourceName(name, upstream string) string {
	upstream, _, _ = strings.Cut(upstream, "@")
	if upstream = strings.TrimSpace(upstream); upstream != "" {
		return strings.ToLower(upstream)
	}
	return name
}

// atoi returns the value of a string of digits, or -1.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func withEpoch(version, epoch string) string {
	if version == "" || epoch == "" || epoch == "0" || strings.Contains(version, ":") {
		return version
	}
	return epoch + ":" + version
}

// release returns the release part of a distro qualifier: "11.6" for
// "debian-11.6", "jammy" for "jammy".
func release(distro string) string {
	if i := strings.LastIndexByte(distro, '-'); i >= 0 {
		return distro[i+1:]
	}
	return distro
}

var debianCodenames = map[string]string{
	"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2", "slink": "2.1", "potato": "2.2", "woody": "3",
	"sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7", "jessie": "8", "stretch": "9",
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15",
}

var ubuntuCodenames = map[string]string{
	"warty": "4.10", "hoary": "5.04", "breezy": "5.10", "dapper": "6.06", "edgy": "6.10", "feisty": "7.04",
	"gutsy": "7.10", "hardy": "8.04", "intrepid": "8.10", "jaunty": "9.04", "karmic": "9.10", "lucid": "10.04",
	"maverick": "10.10", "natty": "11.04", "oneiric": "11.10", "precise": "12.04", "quantal": "12.10",
	"raring": "13.04", "saucy": "13.10", "trusty": "14.04", "utopic": "14.10", "vivid": "15.04", "wily": "15.10",
	"xenial": "16.04", "yakkety": "16.10", "zesty": "17.04", "artful": "17.10", "bionic": "18.04", "cosmic": "18.10",
	"disco": "19.04", "eoan": "19.10", "focal": "20.04", "groovy": "20.10", "hirsute": "21.04", "impish": "21.10",
	"jammy": "22.04", "kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04", "oracular": "24.10",
	"plucky": "25.04", "questing": "25.10", "resolute": "26.04",
}

var ubuntuRelease = regexp.MustCompile(`^([0-9]{1,2})\.(04|10|06)(?:\.[0-9]+)?$`)

func debEcosystem(namespace, distro string) (string, bool) {
	base := ""
	switch {
	case namespace == "debian", namespace == "" && strings.HasPrefix(distro, "debian"):
		base = "Debian"
	case namespace == "ubuntu", namespace == "" && strings.HasPrefix(distro, "ubuntu"):
		base = "Ubuntu"
	default:
		return "", false
	}
	// A release Palisade does not recognize leaves the ecosystem without
	// a suffix, which matches every release: a wrong suffix would hide
	// the advisories of the right one.
	rel := release(distro)
	if base == "Debian" {
		if n, ok := debianCodenames[rel]; ok {
			return base + ":" + n, true
		}
		if !debianRelease.MatchString(rel) {
			return base, true
		}
		// OSV scopes Debian by major release from Debian 4 on:
		// debian-11.6 is Debian:11.
		if major, _, _ := strings.Cut(rel, "."); atoi(major) >= 4 {
			rel = major
		}
		return base + ":" + rel, true
	}
	if n, ok := ubuntuCodenames[rel]; ok {
		rel = n
	}
	m := ubuntuRelease.FindStringSubmatch(rel)
	if m == nil {
		return base, true
	}
	rel = m[1] + "." + m[2] // drops a point release: ubuntu-22.04.3 is 22.04
	// LTS releases are the April releases of even years (and 6.06 Dapper);
	// OSV marks them with a mandatory ":LTS".
	if year, _ := strconv.Atoi(m[1]); (m[2] == "04" && year%2 == 0) || rel == "6.06" {
		rel += ":LTS"
	}
	return base + ":" + rel, true
}

var alpaquitaRelease = regexp.MustCompile(`^[a-z0-9][a-z0-9.]*$`)

var debianRelease = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,3})*$`)

func apkEcosystem(namespace, distro string) (string, bool) {
	switch namespace {
	case "alpine", "":
		if namespace == "" && distro != "" && !strings.HasPrefix(distro, "alpine") {
			return "", false
		}
		if distro == "" {
			return "Alpine", true
		}
		rel := strings.TrimLeft(release(distro), "vV")
		if rel == "edge" {
			return "Alpine:edge", true
		}
		if major, rest, ok := strings.Cut(rel, "."); ok && major != "" {
			minor, _, _ := strings.Cut(rest, ".")
			if _, err := strconv.Atoi(major + minor); err == nil {
				return "Alpine:v" + major + "." + minor, true
			}
		}
		return "Alpine", true
	case "wolfi":
		return "Wolfi", true
	case "chainguard":
		return "Chainguard", true
	case "minimos":
		return "MinimOS", true
	case "alpaquita":
		if rel := release(distro); alpaquitaRelease.MatchString(rel) {
			return "Alpaquita:" + rel, true
		}
		return "Alpaquita", true
	}
	return "", false
}

// rpmNamespaces maps OSV rpm ecosystems to the purl namespace Palisade
// writes for them; rpmEcosystem accepts these and a few common variants.
var rpmNamespaces = map[string]string{
	"Red Hat": "redhat", "AlmaLinux": "almalinux", "Rocky Linux": "rocky-linux", "SUSE": "suse",
	"openSUSE": "opensuse", "Mageia": "mageia", "openEuler": "openeuler",
}

// rpmReleaseSuffix marks the rpm ecosystems whose OSV suffix is the major
// release of the distribution (AlmaLinux:8); the others use product or CPE
// names a purl does not carry.
var rpmReleaseSuffix = map[string]bool{"AlmaLinux": true, "Rocky Linux": true, "Mageia": true}

func rpmEcosystem(namespace, distro string) (string, bool) {
	var base string
	switch namespace {
	case "redhat", "rhel":
		base = "Red Hat"
	case "almalinux", "alma":
		base = "AlmaLinux"
	case "rocky", "rocky-linux", "rockylinux":
		base = "Rocky Linux"
	case "suse", "sles", "sled":
		base = "SUSE"
	case "opensuse", "opensuse-leap", "opensuse-tumbleweed":
		base = "openSUSE"
	case "mageia":
		base = "Mageia"
	case "openeuler":
		base = "openEuler"
	default:
		return "", false
	}
	if rpmReleaseSuffix[base] && distro != "" {
		major, _, _ := strings.Cut(release(distro), ".")
		if _, err := strconv.Atoi(major); err == nil {
			return base + ":" + major, true
		}
	}
	return base, true
}
