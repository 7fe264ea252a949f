package osv

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
// base ecosystem and normalized package name (see NormalizeName), keeps
// every range pre-parsed and pre-sorted, and, per package, the distinct
// versions its ranges mention in order ("points"), so that matching a
// component places its version among the points with one binary search
// and then evaluates every range with integer comparisons. It can be
// updated record by record while it is being read: all methods are safe
// for concurrent use.
//
// An Index holds only what matching needs (ids, aliases, parsed ranges and
// versions lists), not whole records.
type Index struct {
	mu      sync.RWMutex
	records map[string]*indexedRecord
	byPkg   map[pkgKey]*pkgEntries
	// versions caches parsed event versions by ordering and string; most
	// are shared by many records ("0", popular releases). Parsed versions
	// are immutable, so sharing them is safe; entries are never evicted,
	// which bounds the cache by the number of distinct event versions.
	versions  map[versionKey]cachedVersion
	orderings map[string]bool // base ecosystem -> has a known order
}

// cachedVersion is a parsed version and the one copy of its string that
// every event of the index shares.
type cachedVersion struct {
	raw string
	v   semantic.Version
}

type pkgKey struct{ ecosystem, name string }

type versionKey struct{ ordering, version string }

type indexedRecord struct {
	id      string
	aliases []string
	keys    []pkgKey
}

// pkgEntries is everything indexed for one package.
type pkgEntries struct {
	// ordering is the order all of the package's evaluated ranges use:
	// its ecosystem's, or SemVer for the SEMVER ranges of an ecosystem
	// without one (whose ECOSYSTEM ranges are not evaluated).
	ordering string
	// entries are sorted by record id (when points is set; Add appends),
	// and a record's entries are together in affected order, so that
	// matching produces sorted results and merges a record's entries with
	// the previous match only.
	entries []*entry
	// points is built on the first match after a change and dropped by
	// every change. Changes hold Index.mu for writing; builds hold it for
	// reading and build under build, so a build never races a change, and
	// the points the events carry are written before the table is
	// published.
	build  sync.Mutex
	points atomic.Pointer[[]semantic.Version]
}

// entry is one affected[] element of one record, ready to evaluate.
type entry struct {
	rec      *indexedRecord
	affected int
	release  string // the ecosystem suffix as releaseKey gives it, "" when none
	versions versionSet
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

// Points of the special versions: "introduced": "0" is below every
// version, a "*" limit above.
const (
	ptZero     = -1
	ptInfinity = math.MaxInt32
)

// evalEvent is one event of a compiled range. Its parsed version lives in
// the Index's cache, under raw, which is the cache's own copy of the
// string: the index then holds one pointer per event, which the garbage
// collector marks on every cycle, instead of a parsed version's several.
type evalEvent struct {
	kind    eventKind
	special bool  // "introduced": "0" or a "*" limit, which have no version
	pt      int32 // index of the version in the package's points
	raw     string
}

type evalRange struct {
	events  []evalEvent // without limits, sorted by version
	limits  []evalEvent // the limit events
	bounded bool        // has limit events and none is "*"
	// fixed lists the raw fixed versions in version order, and
	// fixedFrom[i] is the index in fixed of the first one at or after
	// events[i]: the fixes above a version are then a suffix of fixed,
	// found while evaluating, and shared by every Match instead of being
	// allocated and sorted each time. fixedPt are their points.
	fixed     []string
	fixedPt   []int32
	fixedAt   []int // index in events of each fixed
	fixedFrom []int // len(events)+1 entries
	// after[i] is whether a version above events[i] is affected after
	// the walk through events[0..i]: the state eval reads once it has
	// found, by binary search, the last event at or below the version.
	after []bool
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{
		records:   map[string]*indexedRecord{},
		byPkg:     map[pkgKey]*pkgEntries{},
		versions:  map[versionKey]cachedVersion{},
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
	type keyed struct {
		key pkgKey
		e   *entry
	}
	var entries []keyed
	for i := range r.Affected {
		a := &r.Affected[i]
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		base, _ := splitEcosystem(a.Package.Ecosystem)
		e, err := ix.compile(rec, i, a)
		if err != nil {
			return fmt.Errorf("index %s: affected[%d]: %w", r.ID, i, err)
		}
		entries = append(entries, keyed{pkgKey{base, NormalizeName(base, a.Package.Name)}, e})
	}
	ix.remove(r.ID)
	ix.records[r.ID] = rec
	for _, k := range entries {
		if !slices.Contains(rec.keys, k.key) {
			rec.keys = append(rec.keys, k.key)
		}
		p := ix.byPkg[k.key]
		if p == nil {
			p = &pkgEntries{ordering: ix.packageOrdering(k.key.ecosystem)}
			ix.byPkg[k.key] = p
		}
		// Sorting waits for the next match: inserting in order here would
		// be quadratic for a package with tens of thousands of records.
		p.entries = append(p.entries, k.e)
		p.points.Store(nil)
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
		p := ix.byPkg[key]
		p.entries = slices.DeleteFunc(p.entries, func(e *entry) bool { return e.rec == rec })
		if len(p.entries) == 0 {
			delete(ix.byPkg, key)
		}
		p.points.Store(nil)
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

// packageOrdering is the order of a package's evaluated ranges.
func (ix *Index) packageOrdering(base string) string {
	if ix.hasOrdering(base) {
		return base
	}
	return semverOrdering
}

// parse returns s parsed under ordering, from the cache when it is
// there, and the cache's copy of s for the caller to keep instead of its
// own.
func (ix *Index) parse(ordering, s string) (string, semantic.Version, error) {
	if c, ok := ix.versions[versionKey{ordering, s}]; ok {
		return c.raw, c.v, nil
	}
	v, err := parseVersion(ordering, s)
	if err != nil {
		return "", nil, err
	}
	// A copy, in case s is part of a larger string the index must not
	// keep alive.
	raw := strings.Clone(s)
	ix.versions[versionKey{ordering, raw}] = cachedVersion{raw, v.v}
	return raw, v.v, nil
}

func (ix *Index) compile(rec *indexedRecord, i int, a *Affected) (*entry, error) {
	base, suffix := splitEcosystem(a.Package.Ecosystem)
	e := &entry{rec: rec, affected: i, release: releaseKey(base, suffix)}
	e.versions = newVersionSet(a.Versions)
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
		var (
			er     evalRange
			parsed []semantic.Version // of er.events, for sorting them
		)
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
			if specialVersion(kind, version) {
				ev.special, ev.pt = true, ptZero
				if ev.kind == evLimit {
					ev.pt = ptInfinity
				}
			} else {
				raw, v, err := ix.parse(ordering, version)
				if err != nil {
					return nil, fmt.Errorf("ranges[%d].events[%d]: %w", j, k, err)
				}
				ev.raw = raw
				if ev.kind != evLimit {
					parsed = append(parsed, v)
				}
			}
			switch {
			case ev.kind == evLimit:
				er.limits = append(er.limits, ev)
			case ev.special:
				er.events = append(er.events, ev)
				parsed = append(parsed, nil)
			default:
				er.events = append(er.events, ev)
			}
		}
		er.bounded = len(er.limits) > 0 && !slices.ContainsFunc(er.limits, func(l evalEvent) bool { return l.special })
		if err := sortEvents(er.events, parsed); err != nil {
			return nil, fmt.Errorf("ranges[%d]: %w", j, err)
		}
		er.fixedFrom = make([]int, len(er.events)+1)
		er.after = make([]bool, len(er.events))
		for k, ev := range er.events {
			er.fixedFrom[k] = len(er.fixed)
			if ev.kind == evFixed {
				er.fixed = append(er.fixed, ev.raw)
				er.fixedAt = append(er.fixedAt, k)
			}
			// fixed and last_affected end the range for versions above them
			er.after[k] = ev.kind == evIntroduced
		}
		er.fixedFrom[len(er.events)] = len(er.fixed)
		er.fixedPt = make([]int32, len(er.fixed))
		e.ranges = append(e.ranges, er)
	}
	return e, nil
}

// sortEvents orders events by version, "introduced": "0" first. The sort
// is stable, so events at equal versions keep the order the record wrote
// them in: {introduced 1.0, fixed 1.0} is the empty range, as its author
// meant, rather than depending on the sort algorithm.
func sortEvents(events []evalEvent, parsed []semantic.Version) error {
	type item struct {
		ev evalEvent
		v  semantic.Version
	}
	items := make([]item, len(events))
	for i := range events {
		items[i] = item{events[i], parsed[i]}
	}
	var err error
	slices.SortStableFunc(items, func(x, y item) int {
		switch {
		case x.ev.special && y.ev.special:
			return 0
		case x.ev.special:
			return -1
		case y.ev.special:
			return 1
		}
		c, cerr := compareSemantic(x.v, y.v)
		if cerr != nil && err == nil {
			err = fmt.Errorf("cannot order %q and %q: %w", x.ev.raw, y.ev.raw, cerr)
		}
		return c
	})
	for i := range items {
		events[i] = items[i].ev
	}
	return err
}

// pointsFor returns the package's points, building them if a change
// dropped them. The caller holds ix.mu for reading, which keeps the cache
// of parsed versions unchanged.
func (p *pkgEntries) pointsFor(cache map[versionKey]cachedVersion) []semantic.Version {
	if pts := p.points.Load(); pts != nil {
		return *pts
	}
	p.build.Lock()
	defer p.build.Unlock()
	if pts := p.points.Load(); pts != nil {
		return *pts
	}
	// Stable, so that each record's entries stay in affected order.
	slices.SortStableFunc(p.entries, func(a, b *entry) int { return strings.Compare(a.rec.id, b.rec.id) })
	// The distinct strings first: most events of a package share a few
	// versions, and the cache gave equal strings one parsed version.
	byRaw := map[string]semantic.Version{}
	for _, e := range p.entries {
		for ri := range e.ranges {
			r := &e.ranges[ri]
			for _, evs := range [2][]evalEvent{r.events, r.limits} {
				for _, ev := range evs {
					if !ev.special {
						byRaw[ev.raw] = cache[versionKey{p.ordering, ev.raw}].v
					}
				}
			}
		}
	}
	type point struct {
		raw string
		v   semantic.Version
	}
	sorted := make([]point, 0, len(byRaw))
	for raw, v := range byRaw {
		sorted = append(sorted, point{raw, v})
	}
	slices.SortFunc(sorted, func(a, b point) int {
		// Compare errors cannot happen between versions that each
		// sorted within their ranges; if one did, calling them equal
		// keeps the order total.
		c, _ := compareSemantic(a.v, b.v)
		return cmp.Or(c, strings.Compare(a.raw, b.raw))
	})
	// Versions that compare equal ("1.0" and "1.0.0" in PyPI) share a
	// point.
	pts := make([]semantic.Version, 0, len(sorted))
	index := make(map[string]int32, len(sorted))
	for _, pt := range sorted {
		if n := len(pts); n == 0 || !equalVersions(pts[n-1], pt.v) {
			pts = append(pts, pt.v)
		}
		index[pt.raw] = int32(len(pts) - 1)
	}
	for _, e := range p.entries {
		for ri := range e.ranges {
			r := &e.ranges[ri]
			for _, evs := range [2][]evalEvent{r.events, r.limits} {
				for k := range evs {
					if !evs[k].special {
						evs[k].pt = index[evs[k].raw]
					}
				}
			}
			for k, at := range r.fixedAt {
				r.fixedPt[k] = r.events[at].pt
			}
		}
	}
	p.points.Store(&pts)
	return pts
}

func equalVersions(a, b semantic.Version) bool {
	c, err := compareSemantic(a, b)
	return err == nil && c == 0
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
// every Debian release (osv-scanner's rule). Ubuntu suffixes are compared
// by release number (Ubuntu:22.04, Ubuntu:22.04:LTS and
// Ubuntu:Pro:22.04:LTS are one release), and Alpine's with or without the
// "v"; see releaseKey.
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
	release := releaseKey(base, suffix)
	key := pkgKey{base, NormalizeName(base, pkg.Name)}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p := ix.byPkg[key]
	if p == nil {
		return nil, nil
	}
	m := matcher{version: version}
	m.place(p.pointsFor(ix.versions), p.ordering)
	for _, e := range p.entries {
		if release != "" && e.release != "" && release != e.release {
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
	return m.out, m.err
}

// matcher is the state of one MatchChecked call.
type matcher struct {
	version string
	// The component's version among the package's points: pos points
	// are below it, and exact says whether points[pos] equals it. ok is
	// false when the version did not parse (perr says why).
	pos   int32
	exact bool
	ok    bool
	perr  error
	out   []Match
	last  *indexedRecord // the record of out[len(out)-1]
	lastP []int32        // the points of out[len(out)-1].Fixed
	err   error
}

func (m *matcher) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// place parses the component's version and finds its position among the
// package's points: the only comparisons by the ecosystem's rules a match
// needs, O(log points).
func (m *matcher) place(pts []semantic.Version, ordering string) {
	v, err := parseVersion(ordering, m.version)
	if err != nil {
		m.perr = err
		return
	}
	lo, hi := 0, len(pts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c, err := compareSemantic(pts[mid], v.v)
		if err != nil {
			m.perr = fmt.Errorf("%w: %v", ErrInvalidVersion, err)
			return
		}
		if c < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	m.pos, m.ok = int32(lo), true
	m.exact = lo < len(pts) && equalVersions(pts[lo], v.v)
}

// cmpPoint compares the point of an event with the component's version.
func (m *matcher) cmpPoint(pt int32) int {
	switch {
	case pt < m.pos:
		return -1
	case pt == m.pos && m.exact:
		return 0
	}
	return 1
}

// entry evaluates one affected entry and records its match, if any.
func (m *matcher) entry(e *entry) {
	var (
		fixed   fixedSet
		inRange bool
	)
	if len(e.ranges) > 0 && !m.ok {
		m.fail(m.perr)
	}
	if m.ok {
		for ri := range e.ranges {
			r := &e.ranges[ri]
			if affected, k := m.eval(r); affected {
				inRange = true
				fixed.add(r, k)
			}
		}
	}
	if !inRange {
		if m.version == "" || !e.versions.contains(m.version) {
			return
		}
		// Matched by the list alone: every known fix above the version
		// is the best hint there is.
		if m.ok {
			for ri := range e.ranges {
				r := &e.ranges[ri]
				_, k := m.eval(r)
				fixed.add(r, k)
			}
		}
	}
	if m.last == e.rec {
		n := len(m.out) - 1
		m.out[n].Fixed, m.lastP = mergeSorted(m.out[n].Fixed, m.lastP, fixed.raw, fixed.pts)
		return
	}
	m.out = append(m.out, Match{ID: e.rec.id, Aliases: e.rec.aliases, Affected: e.affected, Fixed: fixed.raw})
	m.last, m.lastP = e.rec, fixed.pts
}

// eval evaluates the range with the schema's algorithm: walking the
// events in version order, the version is affected after an introduced
// event at or below it, and unaffected after a fixed event at or below it
// or a last_affected event below it; events above it change nothing.
// Rather than walking, eval finds by binary search how many events are at
// or below the version and reads the state after them from after[]; only
// last_affected events equal to the version, which leave the state as it
// was, need stepping over. The first event above the version is also
// where the fixes above it start: eval returns their index in fixed.
// evalLinear in the tests is the walk itself, and the two are checked
// against each other on random ranges.
func (m *matcher) eval(r *evalRange) (affected bool, fixedAbove int) {
	ev := r.events
	lo, hi := 0, len(ev)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if m.cmpPoint(ev[mid].pt) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	n := lo // ev[:n] are at or below the version
	j := n
	for j > 0 && ev[j-1].kind == evLastAffected && m.cmpPoint(ev[j-1].pt) == 0 {
		j--
	}
	affected = j > 0 && r.after[j-1]
	if affected && r.bounded && !slices.ContainsFunc(r.limits, func(l evalEvent) bool { return m.cmpPoint(l.pt) > 0 }) {
		affected = false // not below any limit
	}
	return affected, r.fixedFrom[n]
}

// fixedSet gathers the fixed versions of the ranges that matched one
// entry. The common case, one range, is a suffix of that range's sorted
// list and costs nothing; several ranges are merged in version order.
type fixedSet struct {
	raw []string
	pts []int32
}

func (f *fixedSet) add(r *evalRange, k int) {
	n := len(r.fixed)
	if k >= n {
		return
	}
	// Capacity is capped so that an append by a caller reallocates
	// instead of writing into the index.
	raw, pts := r.fixed[k:n:n], r.fixedPt[k:n:n]
	if len(f.raw) == 0 {
		f.raw, f.pts = raw, pts
		return
	}
	f.raw, f.pts = mergeSorted(f.raw, f.pts, raw, pts)
}

// mergeSorted merges two lists sorted by point into a new one without
// duplicate strings.
func mergeSorted(a []string, ap []int32, b []string, bp []int32) ([]string, []int32) {
	if len(b) == 0 {
		return a, ap
	}
	if len(a) == 0 {
		return b, bp
	}
	raw := make([]string, 0, len(a)+len(b))
	pts := make([]int32, 0, len(a)+len(b))
	push := func(s string, p int32) {
		if !slices.Contains(raw, s) {
			raw, pts = append(raw, s), append(pts, p)
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if ap[i] <= bp[j] {
			push(a[i], ap[i])
			i++
		} else {
			push(b[j], bp[j])
			j++
		}
	}
	for ; i < len(a); i++ {
		push(a[i], ap[i])
	}
	for ; j < len(b); j++ {
		push(b[j], bp[j])
	}
	return raw, pts
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

// releaseKey returns the form of an ecosystem suffix that Palisade
// compares. Ubuntu's ":LTS" marker follows from the release and its
// "Pro:" stream (fixes published through Ubuntu Pro, ESM) concerns the
// same installed packages, so both are dropped: a purl's distro qualifier
// carries neither, and a component of 18.04 whose fix exists only in Pro
// is still affected. Alpine's "v3.16" and "3.16" are one release.
func releaseKey(base, suffix string) string {
	switch base {
	case "Ubuntu":
		return strings.TrimSuffix(strings.TrimPrefix(suffix, "Pro:"), ":LTS")
	case "Alpine":
		return strings.TrimPrefix(suffix, "v")
	}
	return suffix
}

// versionSet is an explicit versions list, packed: one string and its
// offsets instead of a string header (a pointer to mark) per version.
type versionSet struct {
	data string   // the versions, sorted, end to end
	end  []uint32 // where each version ends in data
}

func newVersionSet(versions []string) versionSet {
	if len(versions) == 0 {
		return versionSet{}
	}
	sorted := slices.Clone(versions)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	end := make([]uint32, len(sorted))
	for i, v := range sorted {
		b.WriteString(v)
		end[i] = uint32(b.Len())
	}
	return versionSet{data: b.String(), end: end}
}

func (s versionSet) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}

// contains reports whether v is in the set, by binary search.
func (s versionSet) contains(v string) bool {
	_, found := sort.Find(len(s.end), func(i int) int { return strings.Compare(v, s.at(i)) })
	return found
}
