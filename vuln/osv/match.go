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
	limits   []evalEvent // the limit events; a "*" limit has a nil version
	bounded  bool        // has limit events and none is "*"
	// fixed lists the fixed events in version order, and fixedFrom[i] is
	// the index in fixed of the first one at or after events[i]: the
	// fixes above a version are then a suffix of fixed, found while
	// evaluating, and shared by every Match instead of being allocated
	// and sorted each time.
	fixed     []string
	fixedV    []semantic.Version
	fixedFrom []int // len(events)+1 entries
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
		er.fixedFrom = make([]int, len(er.events)+1)
		for k, ev := range er.events {
			er.fixedFrom[k] = len(er.fixed)
			if ev.kind == evFixed {
				er.fixed = append(er.fixed, ev.raw)
				er.fixedV = append(er.fixedV, ev.v)
			}
		}
		er.fixedFrom[len(er.events)] = len(er.fixed)
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
// ErrInvalidVersion) or the ecosystem's order is unknown (ErrNoOrdering);
// the matches found otherwise are still returned, and the caller should
// report the component as not fully checked.
//
// The Aliases and Fixed slices of the matches are shared with the index
// and must not be modified.
func (ix *Index) MatchChecked(pkg Package, version string) ([]Match, error) {
	base, suffix := splitEcosystem(pkg.Ecosystem)
	key := pkgKey{base, NormalizeName(base, pkg.Name)}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	entries := ix.byPkg[key]
	if len(entries) == 0 {
		return nil, nil
	}
	m := matcher{version: version}
	for _, e := range entries {
		if suffix != "" && e.suffix != "" && suffix != e.suffix {
			continue
		}
		if e.unordered {
			m.fail(fmt.Errorf("ECOSYSTEM ranges not evaluated: %w: %q", ErrNoOrdering, base))
		}
		m.entry(e)
	}
	if m.err != nil {
		m.err = fmt.Errorf("%s %q: %w", pkg.Ecosystem, pkg.Name, m.err)
	}
	slices.SortFunc(m.out, func(a, b Match) int { return cmp.Compare(a.ID, b.ID) })
	return m.out, m.err
}

// matcher is the state of one MatchChecked call.
type matcher struct {
	version string
	// parsed holds the component's version under each order its entries
	// use; an entry list has at most two (the ecosystem's, SemVer).
	parsed [2]parsedVersion
	out    []Match
	outV   [][]semantic.Version // the parsed Fixed of out[len(out)-1]
	err    error
}

type parsedVersion struct {
	ordering string
	v        semantic.Version
	err      error
}

func (m *matcher) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

func (m *matcher) component(ordering string) (semantic.Version, error) {
	for i := range m.parsed {
		p := &m.parsed[i]
		if p.ordering == "" {
			v, err := parseVersion(ordering, m.version)
			*p = parsedVersion{ordering, v.v, err}
		}
		if p.ordering == ordering {
			return p.v, p.err
		}
	}
	v, err := parseVersion(ordering, m.version)
	return v.v, err
}

// entry evaluates one affected entry and records its match, if any.
func (m *matcher) entry(e *entry) {
	var (
		fixed   fixedSet
		inRange bool
	)
	for ri := range e.ranges {
		r := &e.ranges[ri]
		cv, err := m.component(r.ordering)
		if err != nil {
			m.fail(err)
			continue
		}
		if affected, k := r.eval(cv); affected {
			inRange = true
			fixed.add(r, k)
		}
	}
	if !inRange {
		if _, listed := slices.BinarySearch(e.versions, m.version); !listed || m.version == "" {
			return
		}
		// Matched by the list alone: every known fix above the version
		// is the best hint there is.
		for ri := range e.ranges {
			r := &e.ranges[ri]
			if cv, err := m.component(r.ordering); err == nil {
				_, k := r.eval(cv)
				fixed.add(r, k)
			}
		}
	}
	// A record's entries for one package are consecutive in the index
	// (Add appends them together), so a record already matched can only
	// be the last match.
	if n := len(m.out); n > 0 && m.out[n-1].ID == e.rec.id {
		m.out[n-1].Fixed, m.outV[n-1] = mergeSorted(m.out[n-1].Fixed, m.outV[n-1], fixed.raw, fixed.v)
		return
	}
	m.out = append(m.out, Match{ID: e.rec.id, Aliases: e.rec.aliases, Affected: e.affected, Fixed: fixed.raw})
	m.outV = append(m.outV, fixed.v)
}

// fixedSet gathers the fixed versions of the ranges that matched one
// entry. The common case, one range, is a suffix of that range's sorted
// list and costs nothing; several ranges are merged in version order.
type fixedSet struct {
	raw []string
	v   []semantic.Version
}

func (f *fixedSet) add(r *evalRange, k int) {
	n := len(r.fixed)
	if k >= n {
		return
	}
	// Capacity is capped so that an append by a caller reallocates
	// instead of writing into the index.
	raw, v := r.fixed[k:n:n], r.fixedV[k:n:n]
	if len(f.raw) == 0 {
		f.raw, f.v = raw, v
		return
	}
	f.raw, f.v = mergeSorted(f.raw, f.v, raw, v)
}

// mergeSorted merges two lists sorted by version into a new one without
// duplicate strings.
func mergeSorted(a []string, av []semantic.Version, b []string, bv []semantic.Version) ([]string, []semantic.Version) {
	if len(b) == 0 {
		return a, av
	}
	if len(a) == 0 {
		return b, bv
	}
	raw := make([]string, 0, len(a)+len(b))
	v := make([]semantic.Version, 0, len(a)+len(b))
	push := func(s string, x semantic.Version) {
		if !slices.Contains(raw, s) {
			raw, v = append(raw, s), append(v, x)
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if c, _ := compareSemantic(av[i], bv[j]); c <= 0 {
			push(a[i], av[i])
			i++
		} else {
			push(b[j], bv[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		push(a[i], av[i])
	}
	for ; j < len(b); j++ {
		push(b[j], bv[j])
	}
	return raw, v
}

// eval evaluates the range with the schema's algorithm: walking the
// events in version order, the version is affected after an introduced
// event at or below it, and unaffected after a fixed event at or below it
// or a last_affected event below it. Events above the version change
// nothing, so the walk stops at the first of them, which is also where
// the fixes above the version start: eval returns their index in fixed.
func (r *evalRange) eval(v semantic.Version) (affected bool, fixedAbove int) {
	i := 0
	for ; i < len(r.events); i++ {
		ev := &r.events[i]
		c := -1 // "introduced": "0" sorts before every version
		if ev.v != nil {
			var err error
			if c, err = compareSemantic(ev.v, v); err != nil {
				return false, len(r.fixed)
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
	if affected && r.bounded && !r.beforeLimits(v) {
		affected = false
	}
	return affected, r.fixedFrom[i]
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
