package incident

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Service is incident response.
type Service struct {
	store   Store
	config  catalog.SectionStore
	catalog *catalog.Registry
	now     func() time.Time
	log     *slog.Logger
	// publicURL prefixes links in notifications.
	publicURL string
	lookup    func(string) (string, bool)

	mu       sync.Mutex
	rawCfg   []byte
	compiled *Config
	cfgRead  time.Time // when rawCfg was last read
	rates    map[string]*rate.Limiter
}

// NewService returns incident response over its stores.
func NewService(store Store, config catalog.SectionStore, reg *catalog.Registry, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, config: config, catalog: reg, now: now, log: log}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// configSections are the sections of palisade.yaml incident response
// reads.
var configSections = []string{"severities", "routing", "alertSources"}

// ConfigTTL is how long Config trusts what it read. An apply through this
// process takes effect at once; one through another replica within
// ConfigTTL. It keeps the configuration off the path of every alert
// delivery.
const ConfigTTL = 5 * time.Second

// Config returns the severities, routing rules and sources in force.
func (s *Service) Config(ctx context.Context) (*Config, error) {
	s.mu.Lock()
	if s.compiled != nil && time.Since(s.cfgRead) < ConfigTTL {
		defer s.mu.Unlock()
		return s.compiled, nil
	}
	s.mu.Unlock()
	var raw []byte
	nodes := map[string]*catalog.Node{}
	sections, err := s.readSections(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range configSections {
		raw = append(append(raw, sections[name]...), 0)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.compiled != nil && bytes.Equal(raw, s.rawCfg) {
		s.cfgRead = time.Now()
		return s.compiled, nil
	}
	for _, name := range configSections {
		n, err := catalog.LoadSection(ctx, s.config, name)
		if err != nil {
			return nil, err
		}
		nodes[name] = n
	}
	cfg, err := ConfigFromSections(nodes["severities"], nodes["routing"])
	if err != nil {
		return nil, err
	}
	if cfg.Sources, err = SourcesFromSection(nodes["alertSources"], s.lookup); err != nil {
		return nil, err
	}
	for i := range cfg.Sources {
		cfg.Sources[i].config = cfg
	}
	s.rawCfg, s.compiled, s.cfgRead = raw, cfg, time.Now()
	return cfg, nil
}

// fresh makes a section handler drop the cached configuration once its
// change is written.
func (s *Service) fresh(h catalog.SectionHandler) catalog.SectionHandler {
	return func(ctx context.Context, n *catalog.Node, prune bool) (func(context.Context) error, error) {
		commit, err := h(ctx, n, prune)
		if err != nil || commit == nil {
			return commit, err
		}
		return func(ctx context.Context) error {
			err := commit(ctx)
			s.mu.Lock()
			s.compiled = nil
			s.mu.Unlock()
			return err
		}, nil
	}
}

// manySections is a SectionStore that reads several sections in one
// query; the SQL store is one. Config runs on every alert delivery.
type manySections interface {
	ConfigSections(ctx context.Context, names ...string) (map[string]json.RawMessage, error)
}

func (s *Service) readSections(ctx context.Context) (map[string]json.RawMessage, error) {
	if m, ok := s.config.(manySections); ok {
		return m.ConfigSections(ctx, configSections...)
	}
	out := map[string]json.RawMessage{}
	for _, name := range configSections {
		b, err := s.config.ConfigSection(ctx, name)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

// SourcesSection handles palisade.yaml's alertSources section.
func (s *Service) SourcesSection() catalog.SectionHandler {
	return s.fresh(catalog.StoredSection(s.config, "alertSources", func(ctx context.Context, n *catalog.Node) error {
		_, err := SourcesFromSection(n, nil)
		return err
	}))
}

// SetLookup sets how ${NAME} references in alertSources resolve
// (os.LookupEnv in the server). Call it before the service is used.
func (s *Service) SetLookup(lookup func(string) (string, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookup, s.compiled = lookup, nil
}

// Sections handles palisade.yaml's severities and routing sections: each
// is checked with the other (from the same document, else as stored)
// before anything is written.
func (s *Service) Sections(name string) catalog.SectionHandler {
	return s.fresh(catalog.StoredSection(s.config, name, func(ctx context.Context, n *catalog.Node) error {
		other := map[string]string{"severities": "routing", "routing": "severities"}[name]
		sib := catalog.Sibling(ctx, other)
		if sib == nil {
			var err error
			if sib, err = catalog.LoadSection(ctx, s.config, other); err != nil {
				return err
			}
		}
		var err error
		if name == "severities" {
			_, err = ConfigFromSections(n, sib)
		} else {
			_, err = ConfigFromSections(sib, n)
		}
		return err
	}))
}

// IngestResult says what an intake call did.
type IngestResult struct {
	Received  int      `json:"received"`
	New       int      `json:"new"`       // alerts seen for the first time
	Repeated  int      `json:"repeated"`  // deliveries of alerts already known
	Resolved  int      `json:"resolved"`  // alerts that resolved
	Opened    []string `json:"opened"`    // incidents opened
	Joined    []string `json:"joined"`    // incidents alerts joined
	Recorded  int      `json:"recorded"`  // alerts recorded without an incident
	Incidents []string `json:"incidents"` // every incident touched
	Warnings  []string `json:"warnings"`
}

// Ingest deduplicates alerts, routes them, opens or joins incidents, writes
// their timelines and queues notifications, all in one transaction: a
// delivery is recorded whole or not at all, and a repeated delivery
// changes nothing but counts. The intake authenticates its senders before
// calling.
func (s *Service) Ingest(ctx context.Context, signals []Signal) (*IngestResult, error) {
	return s.ingest(ctx, nil, signals)
}

// ingest is Ingest with the configuration in force (nil: read it).
func (s *Service) ingest(ctx context.Context, cfg *Config, signals []Signal) (*IngestResult, error) {
	for i := range signals {
		if err := normalize(&signals[i]); err != nil {
			return nil, palisade.FieldErrorf(palisade.EINVALID, fmt.Sprintf("alerts[%d]", i), "%v", err)
		}
	}
	if cfg == nil {
		var err error
		if cfg, err = s.Config(ctx); err != nil {
			return nil, err
		}
	}
	router := NewRouter(cfg.Rules, cfg.Severities)
	res := &IngestResult{Received: len(signals), Opened: []string{}, Joined: []string{}, Incidents: []string{}, Warnings: []string{}}
	now := s.clock()
	err := s.store.WriteIncidents(ctx, func(tx Tx) error {
		*res = IngestResult{Received: len(signals), Opened: []string{}, Joined: []string{}, Incidents: []string{}, Warnings: []string{}}
		touched := map[string]bool{}
		for i := range signals {
			if err := s.ingestOne(ctx, tx, router, &signals[i], now, res, touched); err != nil {
				return err
			}
		}
		for id := range touched {
			res.Incidents = append(res.Incidents, id)
		}
		slices.Sort(res.Incidents)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) ingestOne(ctx context.Context, tx Tx, router *Router, sig *Signal, now time.Time, res *IngestResult, touched map[string]bool) error {
	a, err := tx.Alert(sig.Source, sig.DedupKey)
	if err != nil {
		return err
	}
	isNew := a == nil
	if isNew {
		res.New++
		a = &Alert{Source: sig.Source, DedupKey: sig.DedupKey, FirstSeen: now, StartsAt: sig.StartsAt}
		if a.StartsAt.IsZero() {
			a.StartsAt = now
		}
	} else {
		res.Repeated++
	}
	prev := a.Status
	a.Summary, a.Severity, a.Service, a.Labels, a.LastSeen = sig.Summary, sig.Severity, sig.Service, sig.Labels, now
	a.Deliveries++
	switch sig.Action {
	case ActionResolve:
		a.Status = AlertResolved
		if a.ResolvedAt == nil {
			t := now
			a.ResolvedAt = &t
		}
	case ActionAcknowledge:
		if a.Status != AlertResolved {
			a.Status = AlertAcknowledged
		}
	default:
		if a.Status == AlertResolved || a.Status == "" {
			a.ResolvedAt = nil
		}
		a.Status = AlertFiring
	}
	changed := a.Status != prev
	// Route firing alerts; resolutions and acknowledgements follow the
	// incident the alert already belongs to.
	if sig.Action == ActionTrigger && (isNew || changed || a.IncidentID == "") {
		rt, warnings := router.Decide(sig)
		res.Warnings = append(res.Warnings, warnings...)
		a.Route = rt.Rule
		if err := s.route(ctx, tx, sig, a, rt, now, res, touched); err != nil {
			return err
		}
	}
	if err := tx.PutAlert(a); err != nil {
		return err
	}
	if a.IncidentID == "" {
		if isNew {
			res.Recorded++
		}
		return nil
	}
	if !isNew && !changed {
		return nil // a repeated delivery: nothing new for the timeline
	}
	touched[a.IncidentID] = true
	var text string
	switch a.Status {
	case AlertResolved:
		res.Resolved++
		text = "alert resolved: " + a.Summary
	case AlertAcknowledged:
		text = "alert acknowledged at its source: " + a.Summary
	default:
		text = fmt.Sprintf("alert firing (%s, %s): %s", a.Source, orDash(a.Severity), a.Summary)
	}
	return tx.AddEntries(a.IncidentID, Entry{At: now, Kind: "alert", Actor: "alert:" + a.Source, Text: text})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// route opens or joins the incident rt says, and attaches a to it.
func (s *Service) route(ctx context.Context, tx Tx, sig *Signal, a *Alert, rt Route, now time.Time, res *IngestResult, touched map[string]bool) error {
	if rt.Incident == RouteNone {
		return nil
	}
	var inc *Incident
	var err error
	if a.IncidentID != "" {
		if inc, err = tx.Incident(a.IncidentID); err != nil {
			return err
		}
		if !inc.Open() {
			inc = nil // its incident is over: a new one
		}
	}
	if inc == nil && rt.Incident == RouteJoin && rt.Service != "" {
		if inc, err = tx.OpenIncident(rt.Service, rt.Kind); err != nil {
			return err
		}
	}
	if inc != nil {
		if a.IncidentID != inc.ID {
			a.IncidentID = inc.ID
			before := *inc
			inc.Alerts++
			inc.UpdatedAt = now
			if err := tx.UpdateIncident(&before, inc); err != nil {
				return err
			}
			res.Joined = append(res.Joined, inc.ID)
			touched[inc.ID] = true
			return s.notify(tx, inc, fmt.Sprintf("%s/joined/%s/%s", inc.ID, a.Source, a.DedupKey), "updated", "another alert joined: "+a.Summary, rt.Notify, now)
		}
		return nil
	}
	title := sig.Summary
	if title == "" {
		title = "Alert " + sig.DedupKey + " from " + sig.Source
	}
	title = truncate(title, MaxTitle)
	start := a.StartsAt
	inc = &Incident{Title: title, Kind: rt.Kind, Severity: rt.Severity, Status: StatusTriage, Team: rt.Team, Restricted: rt.Restricted, Notify: rt.Notify,
		Services: []string{}, Roles: map[string]string{}, Participants: []string{}, Links: []Link{}, ImpactStartedAt: &start,
		OpenedAt: now, UpdatedAt: now, Alerts: 1}
	if rt.Service != "" {
		inc.Services = []string{rt.Service}
		inc.Links = append(inc.Links, Link{Kind: "service", Ref: rt.Service})
		if inc.Team == "" && s.catalog != nil {
			// The service's owner responds unless the rule names a team.
			if d, err := s.catalog.Service(ctx, rt.Service); err == nil {
				inc.Team = d.Team
			}
		}
	}
	for _, l := range sig.Links {
		if len(inc.Links) < MaxLinks && len(l.Href) <= 2048 && (strings.HasPrefix(l.Href, "https://") || strings.HasPrefix(l.Href, "http://")) {
			inc.Links = append(inc.Links, Link{Kind: "url", Ref: l.Href})
		}
	}
	if err := tx.CreateIncident(inc); err != nil {
		return err
	}
	a.IncidentID = inc.ID
	res.Opened = append(res.Opened, inc.ID)
	touched[inc.ID] = true
	if err := tx.AddEntries(inc.ID, Entry{At: now, Kind: "status", Actor: "alert:" + sig.Source,
		Text: fmt.Sprintf("opened %s %s incident by routing rule %s", inc.Severity, inc.Kind, rt.Rule)}); err != nil {
		return err
	}
	return s.notify(tx, inc, inc.ID+"/opened", "opened", "first alert: "+a.Summary, rt.Notify, now)
}
