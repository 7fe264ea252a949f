package osv

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrNoOrdering is wrapped by errors for an ecosystem whose version order
// Palisade does not know, so its ECOSYSTEM ranges cannot be evaluated.
var ErrNoOrdering = errors.New("no version ordering for this ecosystem")

// ErrInvalidVersion is wrapped by errors for a version string that does not
// parse under its ecosystem's rules.
var ErrInvalidVersion = errors.New("invalid version")

// MaxVersionLen bounds the versions Palisade parses. Real versions stay far
// below it (the longest in the Go and PyPA databases has 52 bytes), and
// some of the library's parsers take time quadratic in the length, so an
// SBOM or record with a megabyte-long version would otherwise stall a
// sync for hours.
const MaxVersionLen = 256

// semverOrdering names the SemVer 2.0 order that SEMVER ranges of an
// ecosystem without an order of its own are evaluated with. It is not an
// ecosystem name, so it cannot collide with one.
const semverOrdering = "(SemVer)"

// Version is a version string parsed under the order of one OSV ecosystem.
// The zero Version is invalid. Versions are immutable and safe to share.
type Version struct {
	ordering string // base ecosystem, or semverOrdering
	raw      string
	v        semantic.Version
}

// ParseVersion parses s under the version order of ecosystem, which may
// carry a release suffix ("Debian:11", "Alpine:v3.16", "Ubuntu:22.04:LTS"):
// the order is the base ecosystem's. It fails with ErrNoOrdering for an
// ecosystem without a known order and with ErrInvalidVersion for a string
// that ecosystem rejects, including the empty string and strings longer
// than MaxVersionLen.
func ParseVersion(ecosystem, s string) (Version, error) {
	return parseVersion(BaseEcosystem(ecosystem), s)
}

func parseVersion(ordering, s string) (v Version, err error) {
	if s == "" {
		return Version{}, fmt.Errorf("%w: empty version", ErrInvalidVersion)
	}
	if len(s) > MaxVersionLen {
		return Version{}, fmt.Errorf("%w: %s version of %d bytes, over the limit of %d", ErrInvalidVersion, ordering, len(s), MaxVersionLen)
	}
	// Parsers of outside input must not take the process down; the
	// library's parsers are fuzzed here, but a panic on some future input
	// is still a rejected version, not a crash.
	defer func() {
		if p := recover(); p != nil {
			v, err = Version{}, fmt.Errorf("%w: %s version %q: parser failed: %v", ErrInvalidVersion, ordering, s, p)
		}
	}()
	var sv semantic.Version
	if ordering == semverOrdering {
		sv = semantic.ParseSemverVersion(s)
	} else {
		sv, err = semantic.Parse(s, ordering)
		switch {
		case errors.Is(err, semantic.ErrUnsupportedEcosystem):
			return Version{}, fmt.Errorf("%w: %q", ErrNoOrdering, ordering)
		case err != nil:
			return Version{}, fmt.Errorf("%w: %s version %q: %v", ErrInvalidVersion, ordering, s, err)
		}
	}
	return Version{ordering: ordering, raw: s, v: sv}, nil
}

// String returns the version as it was written.
func (v Version) String() string { return v.raw }

// Ecosystem returns the base ecosystem whose order v was parsed under, or
// "" for the zero Version.
func (v Version) Ecosystem() string {
	if v.ordering == semverOrdering {
		return "SemVer"
	}
	return v.ordering
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w. Both
// must have been parsed under the same ecosystem's order; otherwise, or
// when the ecosystem's comparison itself fails, it returns an error.
func (v Version) Compare(w Version) (int, error) {
	if v.v == nil || w.v == nil {
		return 0, errors.New("compare: zero Version")
	}
	if v.ordering != w.ordering {
		return 0, fmt.Errorf("compare: %s version %q with %s version %q", v.Ecosystem(), v.raw, w.Ecosystem(), w.raw)
	}
	c, err := compareSemantic(v.v, w.v)
	if err != nil {
		return 0, fmt.Errorf("compare %s versions %q and %q: %w", v.Ecosystem(), v.raw, w.raw, err)
	}
	return c, nil
}

// compareSemantic compares two parsed versions of one ordering, turning a
// panic in the library into an error for the same reason as parseVersion.
func compareSemantic(a, b semantic.Version) (c int, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = 0, fmt.Errorf("comparison failed: %v", p)
		}
	}()
	return a.Compare(b)
}

// CompareVersions parses a and b under ecosystem's order and compares them
// as Version.Compare does.
func CompareVersions(ecosystem, a, b string) (int, error) {
	va, err := ParseVersion(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

// HasOrdering reports whether versions of ecosystem (suffix allowed) can be
// parsed and compared, that is whether its ECOSYSTEM ranges can be
// evaluated.
func HasOrdering(ecosystem string) bool {
	return hasOrdering(BaseEcosystem(ecosystem))
}

func hasOrdering(base string) bool {
	// The library has no list of what it supports; asking it is the only
	// way to stay in step with its upgrades.
	_, err := semantic.Parse("0", base)
	return !errors.Is(err, semantic.ErrUnsupportedEcosystem)
}

// BaseEcosystem returns ecosystem without its release suffix: "Debian" for
// "Debian:11", "Ubuntu" for "Ubuntu:22.04:LTS", "Maven" for
// "Maven:https://maven.google.com".
func BaseEcosystem(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base
}

// splitEcosystem returns the base ecosystem and the suffix after the first
// ':' ("" when there is none).
func splitEcosystem(ecosystem string) (base, suffix string) {
	base, suffix, _ = strings.Cut(ecosystem, ":")
	return base, suffix
}
