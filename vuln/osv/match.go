package osv

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
)

// Match is one advisory that affects a component.
type Match struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Affected is the index in the record's affected list of the first
	// entry that matched.
	Affected int `json:"affected"`
	// Fixed lists, in version order, the fixed versions above the
	// component's version in the ranges that contain it; when only an
	// explicit versions list matched, those of all the entry's SEMVER and
	// ECOSYSTEM ranges. Empty when no fix is known.
	Fixed []string `json:"fixed,omitempty"`
}

// Index answers which advisories affect a package version. It is keyed by
// base ecosystem and normalized package name (see NormalizeName) and keeps
// every range pre-parsed and pre-sorted, so that matching a component
// compares its version against a few parsed versions instead of parsing
// records. It can be updated record by record while it is being read: all
// methods are safe for concurrent use.
//
// An Index holds only what matching needs (ids, aliases, parsed ranges and
// versions lists), not whole records.
type Index struct {
	mu      sync.RWMutex
	records map[string]*indexedRecord
	byPkg   map[pkgKey][]*entry
	// versions caches parsed event versions by ordering and string; most
	// are shared by many records ("0", popular releases). Parsed versions
	// are immutable, so sharing them is safe; entries are never evicted,
	// which bounds the cache by the number of distinct event versions.
	versions  map[versionKey]semantic.Version
	orderings map[string]bool // base ecosystem -> has a known order
}

type pkgKey struct{ ecosystem, name string }

type versionKey struct{ ordering, version string }

type indexedRecord struct {
	id      string
	aliases []string
	keys    []pkgKey
}

// entry is one affected[] element of one record, ready to evaluate.
type entry struct {
	rec      *indexedRecord
	affected int
	suffix   string   // ecosystem suffix, "" when none
	versions []string // sorted, for binary search
	ranges   []evalRange
	// unordered is set when the entry has ECOSYSTEM ranges that cannot
	// be evaluated because the ecosystem's version order is unknown.
	unordered bool
}

type eventKind uint8

const (
	evIntroduced eventKind = iota
	evFixed
	evLastAffected
	evLimit
)

type evalEvent struct {
	kind eventKind
	raw  string
	v    semantic.Version // nil for "introduced": "0"
}

type evalRange struct {
	ordering string      // base ecosystem or semverOrdering
	events   []evalEvent // without limits, sorted by version
	limits   []evalEvent // nil: no limit events; unbounded marks a "*" limit
	bounded  bool        // has limit events and none is "*"
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{
		records:   map[string]*indexedRecord{},
		byPkg:     map[pkgKey][]*entry{},
		versions:  map[versionKey]semantic.Version{},
		orderings: map[string]bool{},
	}
}

// Len returns the number of records indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.records)
}

// Add indexes r, replacing any record with the same id. A withdrawn record
// is not indexed, and replaces (that is, removes) an earlier version of
// itself. Add fails, leaving the index unchanged, when an ECOSYSTEM or
// SEMVER event version does not parse, which ParseRecord already rules
// out; affected entries without a package (GIT only) are ignored.
func (ix *Index) Add(r *Record) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if r.IsWithdrawn() {
		ix.remove(r.ID)
		return nil
	}
	rec := &indexedRecord{id: r.ID, aliases: slices.Clone(r.Aliases)}
	var entries []*entry
	for i := range r.Affected {
		a := &r.Affected[i]
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		e, err := ix.compile(rec, i, a)
		if err != nil {
			return fmt.Errorf("index %s: affected[%d]: %w", r.ID, i, err)
		}
		entries = append(entries, e)
	}
	ix.remove(r.ID)
	ix.records[r.ID] = rec
	for _, e := range entries {
		base, _ := splitEcosystem(r.Affected[e.affected].Package.Ecosystem)
		key := pkgKey{base, NormalizeName(base, r.Affected[e.affected].Package.Name)}
		if !slices.Contains(rec.keys, key) {
			rec.keys = append(rec.keys, key)
		}
		ix.byPkg[key] = append(ix.byPkg[key], e)
	}
	return nil
}

// Remove drops the record with the given id and reports whether it was
// indexed.
func (ix *Index) Remove(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.remove(id)
}

func (ix *Index) remove(id string) bool {
	rec, ok := ix.records[id]
	if !ok {
		return false
	}
	delete(ix.records, id)
	for _, key := range rec.keys {
		kept := slices.DeleteFunc(ix.byPkg[key], func(e *entry) bool { return e.rec == rec })
		if len(kept) == 0 {
			delete(ix.byPkg, key)
		} else {
			ix.byPkg[key] = kept
		}
	}
	return true
}

func (ix *Index) hasOrdering(base string) bool {
	ok, seen := ix.orderings[base]
	if !seen {
		ok = hasOrdering(base)
		ix.orderings[base] = ok
	}
	return ok
}

func (ix *Index) parse(ordering, s string) (semantic.Version, error) {
	k := versionKey{ordering, s}
	if v, ok := ix.versions[k]; ok {
		return v, nil
	}
	v, err := parseVersion(ordering, s)
	if err != nil {
		return nil, err
	}
	ix.versions[k] = v.v
	return v.v, nil
}

func (ix *Index) compile(rec *indexedRecord, i int, a *Affected) (*entry, error) {
	base, suffix := splitEcosystem(a.Package.Ecosystem)
	e := &entry{rec: rec, affected: i, suffix: suffix}
	if len(a.Versions) > 0 {
		e.versions = slices.Clone(a.Versions)
		slices.Sort(e.versions)
	}
	for j := range a.Ranges {
		rg := &a.Ranges[j]
		var ordering string
		switch {
		case rg.Type != RangeSemver && rg.Type != RangeEcosystem:
			continue // GIT ranges need the repository; see docs/osv-matching.md
		case ix.hasOrdering(base):
			ordering = base
		case rg.Type == RangeSemver:
			ordering = semverOrdering
		default:
			e.unordered = true
			continue
		}
		er := evalRange{ordering: ordering}
		for k := range rg.Events {
			kind, version := rg.Events[k].kind()
			ev := evalEvent{raw: version}
			switch kind {
			case "introduced":
				ev.kind = evIntroduced
			case "fixed":
				ev.kind = evFixed
			case "last_affected":
				ev.kind = evLastAffected
			case "limit":
				ev.kind = evLimit
			default:
				return nil, fmt.Errorf("ranges[%d].events[%d]: an event needs exactly one non-empty field", j, k)
			}
			if !specialVersion(kind, version) {
				v, err := ix.parse(ordering, version)
				if err != nil {
					return nil, fmt.Errorf("ranges[%d].events[%d]: %w", j, k, err)
				}
				ev.v = v
			}
			if ev.kind == evLimit {
				er.limits = append(er.limits, ev)
			} else {
				er.events = append(er.events, ev)
			}
		}
		er.bounded = len(er.limits) > 0 && !slices.ContainsFunc(er.limits, func(l evalEvent) bool { return l.v == nil })
		if err := sortEvents(er.events); err != nil {
			return nil, fmt.Errorf("ranges[%d]: %w", j, err)
		}
		e.ranges = append(e.ranges, er)
	}
	return e, nil
}

// sortEvents orders events by version, "introduced": "0" first. The sort
// is stable, so events at equal versions keep the order the record wrote
// them in: {introduced 1.0, fixed 1.0} is the empty range, as its author
// meant, rather than depending on the sort algorithm.
func sortEvents(events []evalEvent) error {
	var err error
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i].v, events[j].v
		switch {
		case a == nil:
			return b != nil
		case b == nil:
			return false
		}
		c, cerr := compareSemantic(a, b)
		if cerr != nil && err == nil {
			err = fmt.Errorf("cannot order %q and %q: %w", events[i].raw, events[j].raw, cerr)
		}
		return c < 0
	})
	return err
}

// Match returns every indexed record that affects version of pkg, sorted
// by id. It is MatchChecked without the error: a version that cannot be
// parsed is matched against explicit versions lists only.
func (ix *Index) Match(pkg Package, version string) []Match {
	m, _ := ix.MatchChecked(pkg, version)
	return m
}

// MatchChecked returns every indexed record that affects version of pkg,
// sorted by id, with OSV's semantics: an affected entry for the package
// matches when version is in its versions list (exact string) or inside
// one of its SEMVER or ECOSYSTEM ranges; GIT ranges never match.
//
// The package matches entries of its base ecosystem and normalized name;
// ecosystem suffixes must be equal only when both sides have one, so
// Debian:11 matches entries for Debian:11 and Debian, and Debian matches
// every Debian release (osv-scanner's rule).
//
// The error is non-nil when some ranges could not be evaluated because
// version is empty or does not parse for the ecosystem (wrapping
// ErrInvalidVersion or ErrNoOrdering); the matches found by versions lists
// are still returned, and the caller should report the component as not
// fully checked.
func (ix *Index) MatchChecked(pkg Package, version string) ([]Match, error) {
	base, suffix := splitEcosystem(pkg.Ecosystem)
	key := pkgKey{base, NormalizeName(base, pkg.Name)}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	entries := ix.byPkg[key]
	if len(entries) == 0 {
		return nil, nil
	}
	var (
		out      []Match
		parsed   [2]parsedVersion // the component's version per ordering; an entry list has at most two
		firstErr error
	)
	component := func(ordering string) (semantic.Version, error) {
		for i := range parsed {
			if parsed[i].ordering == "" {
				v, err := parseVersion(ordering, version)
				parsed[i] = parsedVersion{ordering, v.v, err}
			}
			if parsed[i].ordering == ordering {
				return parsed[i].v, parsed[i].err
			}
		}
		v, err := parseVersion(ordering, version)
		return v.v, err
	}
	for _, e := range entries {
		if suffix != "" && e.suffix != "" && suffix != e.suffix {
			continue
		}
		if e.unordered && firstErr == nil {
			firstErr = fmt.Errorf("%s %q: ECOSYSTEM ranges not evaluated: %w: %q", pkg.Ecosystem, pkg.Name, ErrNoOrdering, base)
		}
		listed := false
		if _, found := slices.BinarySearch(e.versions, version); found && version != "" {
			listed = true
		}
		var fixed []evalEvent
		inRange := false
		for ri := range e.ranges {
			r := &e.ranges[ri]
			cv, err := component(r.ordering)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s %q: %w", pkg.Ecosystem, pkg.Name, err)
				}
				continue
			}
			if r.contains(cv) {
				inRange = true
				fixed = r.fixedAbove(cv, fixed)
			}
		}
		if !listed && !inRange {
			continue
		}
		if !inRange {
			// Matched by the list alone: every known fix above the version
			// is the best hint there is.
			for ri := range e.ranges {
				if cv, err := component(e.ranges[ri].ordering); err == nil {
					fixed = e.ranges[ri].fixedAbove(cv, fixed)
				}
			}
		}
		out = addMatch(out, e, fixed)
	}
	slices.SortFunc(out, func(a, b Match) int { return cmp.Compare(a.ID, b.ID) })
	return out, firstErr
}

type parsedVersion struct {
	ordering string
	v        semantic.Version
	err      error
}

// addMatch adds e's record to out, or merges into its existing match: a
// record can affect one package through several entries.
func addMatch(out []Match, e *entry, fixed []evalEvent) []Match {
	for i := range out {
		if out[i].ID == e.rec.id {
			out[i].Fixed = mergeFixed(out[i].Fixed, fixed)
			return out
		}
	}
	return append(out, Match{ID: e.rec.id, Aliases: e.rec.aliases, Affected: e.affected, Fixed: mergeFixed(nil, fixed)})
}

func mergeFixed(have []string, fixed []evalEvent) []string {
	if len(fixed) == 0 {
		return have
	}
	slices.SortStableFunc(fixed, func(a, b evalEvent) int {
		c, _ := compareSemantic(a.v, b.v)
		return c
	})
	for _, f := range fixed {
		if !slices.Contains(have, f.raw) {
			have = append(have, f.raw)
		}
	}
	return have
}

// contains evaluates the range with the schema's algorithm: walking the
// events in version order, the version is affected after an introduced
// event at or below it, and unaffected after a fixed event at or below it
// or a last_affected event below it. Events above the version change
// nothing, so the walk stops at the first of them.
func (r *evalRange) contains(v semantic.Version) bool {
	if r.bounded && !r.beforeLimits(v) {
		return false
	}
	affected := false
	for i := range r.events {
		ev := &r.events[i]
		c := -1 // "introduced": "0" sorts before every version
		if ev.v != nil {
			var err error
			if c, err = compareSemantic(ev.v, v); err != nil {
				return false
			}
		}
		if c > 0 {
			break
		}
		switch ev.kind {
		case evIntroduced:
			affected = true
		case evFixed:
			affected = false
		case evLastAffected:
			if c < 0 {
				affected = false
			}
		}
	}
	return affected
}

// beforeLimits reports whether v is below one of the range's limits.
func (r *evalRange) beforeLimits(v semantic.Version) bool {
	for _, l := range r.limits {
		if c, err := compareSemantic(v, l.v); err == nil && c < 0 {
			return true
		}
	}
	return false
}

// fixedAbove appends the range's fixed events above v.
func (r *evalRange) fixedAbove(v semantic.Version, out []evalEvent) []evalEvent {
	for _, ev := range r.events {
		if ev.kind != evFixed {
			continue
		}
		if c, err := compareSemantic(ev.v, v); err == nil && c > 0 {
			out = append(out, ev)
		}
	}
	return out
}

// NormalizeName returns the form of an OSV package name that Palisade
// compares, for the base ecosystem (or ecosystem with suffix) given. It
// must be applied to both sides, records and components, and folds only
// differences the ecosystem itself ignores:
//
//   - PyPI: PEP 503 (lowercase, runs of '-', '_' and '.' become '-');
//   - crates.io: lowercase, '_' as '-' (crates.io refuses names that
//     differ only so);
//   - NuGet, Packagist: lowercase (their registries are case-insensitive);
//   - Go, SwiftURL: lowercase, because package URLs are lowercased by
//     purl libraries and module hosts are case-insensitive in practice,
//     while OSV records keep the module's own spelling.
//
// Other ecosystems compare names exactly.
func NormalizeName(ecosystem, name string) string {
	switch BaseEcosystem(ecosystem) {
	case "PyPI":
		return normalizePyPI(name)
	case "crates.io":
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case "NuGet", "Packagist", "Go", "SwiftURL":
		return strings.ToLower(name)
	}
	return name
}

// normalizePyPI applies PEP 503 without a regexp: it runs once per
// component and once per record entry.
func normalizePyPI(name string) string {
	clean := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '.' || (c >= 'A' && c <= 'Z') || (c == '-' && i+1 < len(name) && name[i+1] == '-') {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}
