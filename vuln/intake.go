package vuln

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/vuln/enrich"
	"github.com/palisade-project/palisade/vuln/osv"
	"github.com/palisade-project/palisade/vuln/sbom"
	"github.com/palisade-project/palisade/vuln/vex"
)

// importBatch is how many records go to the store per transaction.
const importBatch = 1000

// ImportResult says what an advisory import did.
type ImportResult struct {
	Source string `json:"source"`
	osv.Stats
	// Changed counts the records that were new or newer than the stored
	// ones.
	Changed int `json:"changed"`
	// Rematch is what re-matching the stored inventories against the
	// changed records did.
	Rematch RematchResult `json:"rematch"`
}

// RematchResult counts the findings re-matching changed.
type RematchResult struct {
	Advisories int `json:"advisories"`
	Components int `json:"components"`
	Created    int `json:"created"`
	Reopened   int `json:"reopened"`
	Resolved   int `json:"resolved"`
	Updated    int `json:"updated"`
}

func (r *RematchResult) count(changes []Change) {
	for _, c := range changes {
		switch c.Op {
		case OpCreate:
			r.Created++
		case OpReopen:
			r.Reopened++
		case OpResolve:
			r.Resolved++
		case OpUpdate:
			r.Updated++
		}
	}
}

// ImportAdvisories imports OSV records from location (a zip in the OSV
// bucket layout, a directory, a JSON file, or an http(s) URL of a zip),
// keeps those that are new or newer, and re-matches every stored
// inventory against them. progress, when not nil, is called after each
// batch. Requires editor.
func (s *Service) ImportAdvisories(ctx context.Context, location string, progress func(read int)) (*ImportResult, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	src, err := osv.DetectSource(location)
	if err != nil {
		return nil, err
	}
	return s.importFrom(ctx, src, progress)
}

func (s *Service) importFrom(ctx context.Context, src osv.Source, progress func(int)) (*ImportResult, error) {
	res := &ImportResult{Source: src.String()}
	var batch []AdvisoryRecord
	var changed []string
	read := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		ids, err := s.store.UpsertAdvisories(ctx, batch)
		if err != nil {
			return err
		}
		changed = append(changed, ids...)
		batch = batch[:0]
		if progress != nil {
			progress(read)
		}
		return nil
	}
	im := &osv.Importer{Client: s.httpClient()}
	stats, err := im.Import(ctx, src, func(r *osv.Record) error {
		read++
		a, err := ToAdvisory(r, src.Location)
		if err != nil {
			return fmt.Errorf("%w: %v", osv.ErrSkipRecord, err)
		}
		batch = append(batch, a)
		if len(batch) >= importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	res.Stats = stats
	res.Changed = len(changed)
	if err != nil {
		// Batches already stored stay: each is a complete set of valid
		// records; re-match what did land so findings follow.
		if len(changed) > 0 {
			if rm, rerr := s.rematch(ctx, changed); rerr == nil {
				res.Rematch = *rm
			}
		}
		return res, err
	}
	rm, err := s.rematch(ctx, changed)
	if err != nil {
		return res, err
	}
	res.Rematch = *rm
	return res, nil
}

func (s *Service) httpClient() *http.Client { return &http.Client{Timeout: 10 * time.Minute} }

// SyncAdvisories downloads the OSV bulk export of each ecosystem and
// imports the records that are newer than the stored ones. Requires
// editor.
func (s *Service) SyncAdvisories(ctx context.Context, ecosystems []string, progress func(ecosystem string, read int)) ([]*ImportResult, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	var out []*ImportResult
	for _, eco := range ecosystems {
		src := osv.Source{Kind: osv.SourceURL, Location: osv.BucketURL(eco)}
		res, err := s.importFrom(ctx, src, func(n int) {
			if progress != nil {
				progress(eco, n)
			}
		})
		out = append(out, res)
		if err != nil {
			return out, fmt.Errorf("sync %s: %w", eco, err)
		}
	}
	return out, nil
}

// ToAdvisory turns an OSV record into the advisory the CVE process keeps:
// severity from the highest CVSS vector (newest version first), else the
// record's database_specific.severity, else unknown; packages keyed by
// base ecosystem and OSV-normalized name.
func ToAdvisory(r *osv.Record, source string) (AdvisoryRecord, error) {
	raw := []byte(r.Raw)
	if raw == nil {
		var err error
		if raw, err = json.Marshal(r); err != nil {
			return AdvisoryRecord{}, err
		}
	}
	var vectors []string
	for _, sv := range r.Severity {
		if strings.HasPrefix(sv.Type, "CVSS") {
			vectors = append(vectors, sv.Score)
		}
	}
	for _, a := range r.Affected {
		for _, sv := range a.Severity {
			if strings.HasPrefix(sv.Type, "CVSS") {
				vectors = append(vectors, sv.Score)
			}
		}
	}
	var dbs struct {
		Severity string `json:"severity"`
	}
	_ = json.Unmarshal(r.DatabaseSpecific, &dbs) // free-form: a missing or odd severity is just absent
	a := AdvisoryRecord{Record: raw, Advisory: Advisory{
		ID: r.ID, Aliases: slices.Clone(r.Aliases), Summary: r.Summary, Modified: r.Modified.UTC(), Published: r.Published,
		Withdrawn: r.Withdrawn, Severity: enrich.Severity(vectors, dbs.Severity), Source: source,
	}}
	if a.Aliases == nil {
		a.Aliases = []string{}
	}
	if a.Severity == enrich.SeverityNone {
		a.Severity = "low"
	}
	// The score shown is the best of the vectors, as Severity chose.
	for _, v := range vectors {
		sc, err := enrich.ScoreVector(v)
		if err == nil && sc.Severity == a.Severity && (a.CVSS == nil || sc.Base > *a.CVSS) {
			b := sc.Base
			a.CVSS, a.CVSSVector = &b, v
		}
	}
	seen := map[Package]bool{}
	for _, af := range r.Affected {
		if af.Package.Ecosystem == "" || af.Package.Name == "" {
			continue
		}
		base, _, _ := strings.Cut(af.Package.Ecosystem, ":")
		p := Package{Ecosystem: base, Name: osv.NormalizeName(af.Package.Ecosystem, af.Package.Name)}
		if !seen[p] {
			seen[p] = true
			a.Packages = append(a.Packages, p)
		}
	}
	return a, nil
}

// matcher is an index over a set of stored advisory records.
type matcher struct {
	ix   *osv.Index
	byID map[string]*Advisory
}

func newMatcher(recs []AdvisoryRecord) (*matcher, error) {
	m := &matcher{ix: osv.NewIndex(), byID: map[string]*Advisory{}}
	for i := range recs {
		r, err := osv.ParseRecord(recs[i].Record)
		if err != nil {
			return nil, fmt.Errorf("stored advisory %s: %w", recs[i].ID, err)
		}
		a := recs[i].Advisory
		m.byID[a.ID] = &a
		if r.IsWithdrawn() {
			continue
		}
		if err := m.ix.Add(r); err != nil {
			return nil, fmt.Errorf("index advisory %s: %w", r.ID, err)
		}
	}
	return m, nil
}

// match returns the advisories affecting c. When c's version cannot be
// ordered in its ecosystem, only explicit versions lists can match, and the
// error says so (the caller turns it into a warning).
func (m *matcher) match(service string, c Component) ([]Match, error) {
	var out []Match
	found, err := m.ix.MatchChecked(osv.Package{Ecosystem: c.Ecosystem, Name: c.Name}, c.Version)
	for _, x := range found {
		if a, ok := m.byID[x.ID]; ok {
			out = append(out, Match{Service: service, Component: c, Advisory: a, Fixed: slices.Clone(x.Fixed)})
		}
	}
	return out, err
}

// rematch re-evaluates every stored inventory against the advisories with
// these ids (just imported, changed or withdrawn), without rescanning.
func (s *Service) rematch(ctx context.Context, ids []string) (*RematchResult, error) {
	res := &RematchResult{Advisories: len(ids)}
	for start := 0; start < len(ids); start += 2000 {
		chunk := ids[start:min(start+2000, len(ids))]
		if err := s.rematchChunk(ctx, chunk, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Service) rematchChunk(ctx context.Context, ids []string, res *RematchResult) error {
	// The findings in scope load while the components are read and
	// matched: the database works on one core, the matcher on another.
	type loaded struct {
		fs  []Finding
		err error
	}
	existingc := make(chan loaded, 1)
	go func() {
		fs, err := s.store.Findings(ctx, FindingFilter{Advisories: ids, Now: s.clock()})
		existingc <- loaded{fs, err}
	}()
	existing := func() ([]Finding, error) { l := <-existingc; return l.fs, l.err }
	byID, err := s.store.AdvisoryPackages(ctx, ids)
	if err != nil {
		existing()
		return err
	}
	var pkgs []Package
	for _, ps := range byID {
		pkgs = append(pkgs, ps...)
	}
	comps, err := s.store.ComponentsOf(ctx, pkgs)
	if err != nil {
		existing()
		return err
	}
	// Only records naming a package some inventory holds can match; only
	// those are loaded, parsed and indexed.
	held := map[Package]bool{}
	for _, c := range comps {
		held[c.Package()] = true
	}
	var relevant []string
	for id, ps := range byID {
		for _, p := range ps {
			if held[p] {
				relevant = append(relevant, id)
				break
			}
		}
	}
	recs, err := s.store.AdvisoryRecordsByID(ctx, relevant)
	if err != nil {
		existing()
		return err
	}
	m, err := newMatcher(recs)
	if err != nil {
		existing()
		return err
	}
	res.Components += len(comps)
	var matches []Match
	for _, c := range comps {
		found, err := m.match(c.Service, c.Component)
		if err != nil {
			s.log.Debug("re-match: version not comparable", "service", c.Service, "purl", c.Purl, "error", err.Error())
		}
		matches = append(matches, found...)
	}
	current, err := existing()
	if err != nil {
		return err
	}
	// Findings of advisories no inventory still holds need their
	// advisory only to say why they resolve (withdrawn or not).
	var missing []string
	seenMissing := map[string]bool{}
	for _, f := range current {
		if _, ok := m.byID[f.Advisory]; !ok && !seenMissing[f.Advisory] {
			seenMissing[f.Advisory] = true
			missing = append(missing, f.Advisory)
		}
	}
	if len(missing) > 0 {
		more, err := s.store.AdvisoryRecordsByID(ctx, missing)
		if err != nil {
			return err
		}
		for i := range more {
			a := more[i].Advisory
			m.byID[a.ID] = &a
		}
	}
	p, err := s.store.Policy(ctx)
	if err != nil {
		return err
	}
	tiers, err := s.store.ServiceTiers(ctx)
	if err != nil {
		return err
	}
	gone := func(f *Finding) string {
		if a, ok := m.byID[f.Advisory]; ok && a.Withdrawn != nil {
			return ResolutionWithdrawn
		}
		return ResolutionNoLongerMatches
	}
	changes := Reconcile(matches, current, gone, s.clock(), p, func(svc string) int { return tiers[svc] })
	res.count(changes)
	return s.store.ApplyChanges(ctx, changes)
}

// File is an input file: its name (for messages) and content.
type File struct {
	Name string
	Data []byte
}

// ScanOptions control Scan.
type ScanOptions struct {
	// Service, when set, records the inventory as that service's current
	// one and updates its findings (requires editor).
	Service string
	// Format forces an inventory format instead of sniffing it.
	Format string
}

// Scan reads an inventory (CycloneDX, SPDX, osv-scanner, Trivy or Grype
// output), matches its components against the stored advisories and
// reports one finding per (component, advisory). With opt.Service it also
// records the inventory for that service and reconciles its findings:
// new ones are detected now, those whose vulnerable version is gone are
// resolved as fixed. Requires viewer, or editor with a service.
func (s *Service) Scan(ctx context.Context, files []File, opt ScanOptions) (*ScanResult, error) {
	need := palisade.RoleViewer
	if opt.Service != "" {
		need = palisade.RoleEditor
	}
	if err := palisade.Authorize(ctx, need); err != nil {
		return nil, err
	}
	var tier int
	if opt.Service != "" {
		if err := s.checkService(ctx, opt.Service, true); err != nil {
			return nil, err
		}
		svc, err := s.catalog.Service(ctx, opt.Service)
		if err != nil {
			return nil, err
		}
		tier = svc.Tier
	}
	if len(files) == 0 {
		return nil, palisade.Errorf(palisade.EINVALID, "no inventory to scan")
	}
	// Several files make one inventory (an SBOM per image of a service,
	// say): read them all before anything is matched or recorded.
	inv := &sbom.Inventory{}
	var names, formats []string
	h := sha256.New()
	for _, f := range files {
		one, err := sbom.ReadFormat(f.Name, f.Data, opt.Format)
		if err != nil {
			return nil, err
		}
		inv.Components = append(inv.Components, one.Components...)
		inv.Warnings = append(inv.Warnings, one.Warnings...)
		names = append(names, f.Name)
		if !slices.Contains(formats, one.Format) {
			formats = append(formats, one.Format)
		}
		h.Write(f.Data)
	}
	inv.Format = strings.Join(formats, "+")
	name := strings.Join(names, ", ")
	res := &ScanResult{Source: name, Format: inv.Format, Service: opt.Service, Warnings: slices.Clone(inv.Warnings), Findings: []ScanFinding{}}
	var comps []Component
	seen := map[string]bool{}
	var unplaced []string
	for _, c := range inv.Components {
		if c.Purl == "" || seen[c.Purl] {
			continue
		}
		seen[c.Purl] = true
		pkg, version, err := osv.FromPurl(c.Purl)
		if err != nil {
			unplaced = append(unplaced, c.Purl)
			continue
		}
		comps = append(comps, Component{Purl: c.Purl, Ecosystem: pkg.Ecosystem, Name: osv.NormalizeName(pkg.Ecosystem, pkg.Name), Version: version})
	}
	if len(unplaced) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d components have no OSV ecosystem Palisade can match and were not checked: %s",
			len(unplaced), strings.Join(firstN(unplaced, 20), ", ")))
	}
	res.Components = len(comps)
	pkgs := make([]Package, 0, len(comps))
	for _, c := range comps {
		pkgs = append(pkgs, c.Package())
	}
	recs, err := s.store.AdvisoryRecords(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	m, err := newMatcher(recs)
	if err != nil {
		return nil, err
	}
	var matches []Match
	var unordered []string
	for _, c := range comps {
		found, err := m.match(opt.Service, c)
		if err != nil {
			unordered = append(unordered, c.Purl)
		}
		matches = append(matches, found...)
	}
	if len(unordered) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d components have versions Palisade cannot order in their ecosystem; only advisories that list their exact version were checked: %s",
			len(unordered), strings.Join(firstN(unordered, 20), ", ")))
	}
	states := map[string]*Finding{}
	if opt.Service != "" {
		if states, err = s.record(ctx, opt.Service, tier, name, hex.EncodeToString(h.Sum(nil)), inv, comps, matches); err != nil {
			return nil, err
		}
	}
	for _, x := range matches {
		a := x.Advisory
		sf := ScanFinding{Purl: x.Component.Purl, ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Severity: a.Severity, CVSS: a.CVSS,
			KEV: a.KEV, EPSS: a.EPSS, Fixed: x.Fixed}
		if sf.Fixed == nil {
			sf.Fixed = []string{}
		}
		if f, ok := states[FindingID(opt.Service, x.Component.Purl, a.ID)]; ok {
			sf.Finding, sf.State, sf.Justification, sf.Detail = f.ID, f.State, f.Justification, f.Detail
		}
		res.Findings = append(res.Findings, sf)
	}
	SortScan(res.Findings)
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	return res, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// record stores the inventory as the service's current one and reconciles
// its findings; it returns the service's findings by id afterwards.
func (s *Service) record(ctx context.Context, service string, tier int, name, digest string, inv *sbom.Inventory, comps []Component, matches []Match) (map[string]*Finding, error) {
	now := s.clock()
	if err := s.store.PutInventory(ctx, &Inventory{Service: service, Format: inv.Format, Source: name, Digest: digest,
		RecordedAt: now, Warnings: inv.Warnings, Components: comps}); err != nil {
		return nil, err
	}
	existing, err := s.store.Findings(ctx, FindingFilter{Service: service, Now: now})
	if err != nil {
		return nil, err
	}
	p, err := s.store.Policy(ctx)
	if err != nil {
		return nil, err
	}
	gone := func(*Finding) string { return ResolutionFixed }
	changes := Reconcile(matches, existing, gone, now, p, func(string) int { return tier })
	if err := s.store.ApplyChanges(ctx, changes); err != nil {
		return nil, err
	}
	out := map[string]*Finding{}
	for i := range existing {
		out[existing[i].ID] = &existing[i]
	}
	for _, c := range changes {
		out[c.Finding.ID] = c.Finding
	}
	return out, nil
}

// EnrichResult says what an enrichment import did.
type EnrichResult struct {
	Source  string        `json:"source"`
	Entries int           `json:"entries"`
	Rematch RematchResult `json:"rematch"`
}

// open reads a file path or an http(s) URL within limit bytes.
func (s *Service) open(ctx context.Context, location string, limit int64) (io.ReadCloser, error) {
	if strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		return enrich.Fetch(ctx, s.httpClient(), location, limit)
	}
	f, err := os.Open(location)
	if err != nil {
		return nil, palisade.Errorf(palisade.EINVALID, "%v", err)
	}
	return f, nil
}

// ImportKEV replaces the CISA KEV catalog with the one at location (file
// or URL) and updates the findings whose advisories gained or lost KEV
// status (their deadlines follow). Requires editor.
func (s *Service) ImportKEV(ctx context.Context, location string) (*EnrichResult, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	rc, err := s.open(ctx, location, enrich.MaxKEVSize)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	kev, err := enrich.ReadKEV(rc)
	if err != nil {
		return nil, err
	}
	entries := make([]KEVEntry, 0, len(kev.Entries))
	for _, e := range kev.Entries {
		entry := KEVEntry{CVE: e.CVE, DateAdded: e.DateAdded, Ransomware: e.KnownRansomware, Name: e.Name}
		if !e.DueDate.IsZero() {
			d := e.DueDate
			entry.DueDate = &d
		}
		entries = append(entries, entry)
	}
	slices.SortFunc(entries, func(a, b KEVEntry) int { return strings.Compare(a.CVE, b.CVE) })
	changed, err := s.store.ReplaceKEV(ctx, entries)
	if err != nil {
		return nil, err
	}
	rm, err := s.rematch(ctx, changed)
	if err != nil {
		return nil, err
	}
	return &EnrichResult{Source: location, Entries: len(entries), Rematch: *rm}, nil
}

// ImportEPSS replaces the EPSS scores with the daily CSV at location (plain
// or gzip, file or URL). Requires editor.
func (s *Service) ImportEPSS(ctx context.Context, location string) (*EnrichResult, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	rc, err := s.open(ctx, location, enrich.MaxEPSSSize)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	e, err := enrich.ReadEPSS(rc)
	if err != nil {
		return nil, err
	}
	scores := make([]EPSSScore, 0, len(e.Scores))
	for cve, sc := range e.Scores {
		scores = append(scores, EPSSScore{CVE: cve, Probability: sc.Probability, Percentile: sc.Percentile, Date: e.ScoreDate})
	}
	slices.SortFunc(scores, func(a, b EPSSScore) int { return strings.Compare(a.CVE, b.CVE) })
	changed, err := s.store.ReplaceEPSS(ctx, scores)
	if err != nil {
		return nil, err
	}
	rm, err := s.rematch(ctx, changed)
	if err != nil {
		return nil, err
	}
	return &EnrichResult{Source: location, Entries: len(scores), Rematch: *rm}, nil
}

// DatabaseStatus describes the local advisory database.
type DatabaseStatus struct {
	// Advisories counts records per base ecosystem.
	Advisories map[string]int `json:"advisories"`
	Total      int            `json:"total"`
}

// Database reports what the local advisory database holds. Requires viewer.
func (s *Service) Database(ctx context.Context) (*DatabaseStatus, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	by, err := s.store.AdvisoryStats(ctx)
	if err != nil {
		return nil, err
	}
	st := &DatabaseStatus{Advisories: by}
	for _, n := range by {
		st.Total += n
	}
	return st, nil
}

// ScanStatements turns a scan's findings into VEX statements: recorded
// findings keep their state, unrecorded ones are in_triage.
func ScanStatements(r *ScanResult) []vex.Statement {
	out := make([]vex.Statement, 0, len(r.Findings))
	for _, f := range r.Findings {
		state := f.State
		if state == "" {
			state = StateInTriage
		}
		out = append(out, vex.Statement{Vulnerability: f.ID, Aliases: f.Aliases, Products: []string{f.Purl}, State: state,
			Justification: f.Justification, Detail: f.Detail})
	}
	return out
}
