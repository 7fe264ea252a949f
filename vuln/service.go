package vuln

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Service is the CVE process. It checks the caller's role on every call:
// reading needs viewer, triage responder, risk acceptance, policy and
// imports editor.
type Service struct {
	store   Store
	catalog *catalog.Registry
	now     palisade.Clock
	log     *slog.Logger
}

// NewService returns the CVE process over store; reg resolves teams to
// their services.
func NewService(store Store, reg *catalog.Registry, now palisade.Clock, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, catalog: reg, now: now, log: log}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// ListFindings returns findings matching f, one page, and the next cursor.
// Requires viewer.
func (s *Service) ListFindings(ctx context.Context, f FindingFilter) ([]Finding, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	if f.State != "" && f.State != "open" && !slices.Contains(States, f.State) {
		return nil, "", palisade.FieldErrorf(palisade.EINVALID, "state", "unknown state %q: use open or one of %v", f.State, States)
	}
	if f.Severity != "" && !slices.Contains(Severities, f.Severity) {
		return nil, "", palisade.FieldErrorf(palisade.EINVALID, "severity", "unknown severity %q: use one of %v", f.Severity, Severities)
	}
	f.Now = s.clock()
	if err := s.restrict(ctx, &f); err != nil {
		return nil, "", err
	}
	want := f.Limit
	f.Limit++
	items, err := s.store.Findings(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if len(items) > want {
		items = items[:want]
		return items, items[len(items)-1].ID, nil
	}
	return items, "", nil
}

// Finding returns one finding and its history. Requires viewer.
func (s *Service) Finding(ctx context.Context, id string) (*Finding, []Event, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, nil, err
	}
	f, events, err := s.store.Finding(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkService(ctx, f.Service, false); err != nil {
		return nil, nil, palisade.Errorf(palisade.ENOTFOUND, "finding %q not found", id)
	}
	return f, events, nil
}

// Triage records a decision on findings. Requires responder.
func (s *Service) Triage(ctx context.Context, ids []string, t Triage) ([]Finding, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, palisade.Errorf(palisade.EINVALID, "no finding to triage")
	}
	now := s.clock()
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.UpdateFindings(ctx, ids, func(f *Finding) (*Event, error) {
		if vis != nil && !vis[f.Service] {
			return nil, palisade.Errorf(palisade.EFORBIDDEN, "finding %s belongs to service %q, outside the teams this token may act for", f.ID, f.Service)
		}
		if f.State == t.State && f.Justification == t.Justification && f.Detail == t.Detail {
			return nil, nil
		}
		from := f.State
		t.Apply(f, now)
		return &Event{At: now, Action: "triaged", FromState: from, ToState: f.State, Reason: t.Reason}, nil
	})
}

// BulkTriage is one decision applied to the same advisory (and optionally
// package) across services: triage once for every project.
type BulkTriage struct {
	Triage
	Advisory string   `json:"advisory"`
	Package  string   `json:"package,omitempty"`
	Services []string `json:"services,omitempty"` // empty: every service
	// IncludeDecided also changes findings someone already decided
	// (not_affected, false_positive, resolved); by default only open
	// ones change.
	IncludeDecided bool `json:"includeDecided,omitempty"`
}

// TriageAll applies b to every matching finding and returns them.
// Requires responder.
func (s *Service) TriageAll(ctx context.Context, b BulkTriage) ([]Finding, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if b.Advisory == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "advisory", "name the advisory (id or alias) to triage across services")
	}
	if err := b.Triage.Validate(); err != nil {
		return nil, err
	}
	f := FindingFilter{Advisory: b.Advisory, Package: b.Package, Now: s.clock()}
	if !b.IncludeDecided {
		f.State = "open"
	}
	if vis, err := s.visible(ctx); err != nil {
		return nil, err
	} else if vis != nil {
		if len(b.Services) == 0 {
			b.Services = names(vis)
		}
		for _, svc := range b.Services {
			if !vis[svc] {
				return nil, palisade.Errorf(palisade.EFORBIDDEN, "service %q is outside the teams this token may act for", svc)
			}
		}
		if len(b.Services) == 0 {
			return []Finding{}, nil
		}
	}
	var ids []string
	for _, svc := range orAll(b.Services) {
		f.Service = svc
		fs, err := s.store.Findings(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, x := range fs {
			ids = append(ids, x.ID)
		}
	}
	if len(ids) == 0 {
		return []Finding{}, nil
	}
	return s.Triage(ctx, ids, b.Triage)
}

func orAll(services []string) []string {
	if len(services) == 0 {
		return []string{""}
	}
	return services
}

// Accept accepts the risk of findings until a date. The caller is the
// approver. Requires editor.
func (s *Service) Accept(ctx context.Context, ids []string, r AcceptRequest) ([]Finding, error) {
	if err := palisade.Authorize(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "ids", "name the findings to accept")
	}
	actor, _ := palisade.ActorFrom(ctx)
	p, err := s.store.Policy(ctx)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if err := r.Validate(now, actor.String(), p); err != nil {
		return nil, err
	}
	r.ExpiresAt = r.ExpiresAt.UTC().Truncate(time.Microsecond)
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.UpdateFindings(ctx, ids, func(f *Finding) (*Event, error) {
		if vis != nil && !vis[f.Service] {
			return nil, palisade.Errorf(palisade.EFORBIDDEN, "finding %s belongs to service %q, outside the teams this token may act for", f.ID, f.Service)
		}
		if f.State != StateInTriage && f.State != StateExploitable {
			return nil, palisade.Errorf(palisade.ECONFLICT, "finding %s is %s; only open findings (in_triage, exploitable) can be accepted", f.ID, f.State)
		}
		f.Acceptance = &Acceptance{Reason: r.Reason, RequestedBy: r.RequestedBy, ApprovedBy: actor.String(), AcceptedAt: now, ExpiresAt: r.ExpiresAt}
		f.UpdatedAt = now
		return &Event{At: now, Action: "accepted", FromState: f.State, ToState: f.State, Reason: r.String()}, nil
	})
}

// ExpireAcceptances reopens findings whose risk acceptance ran out: the
// acceptance is kept, marked expired, and the finding counts as open
// again. It runs as a job; it returns how many it reopened.
func (s *Service) ExpireAcceptances(ctx context.Context) (int, error) {
	now := s.clock()
	all, err := s.store.Findings(ctx, FindingFilter{Now: now})
	if err != nil {
		return 0, err
	}
	var ids []string
	for _, f := range all {
		if a := f.Acceptance; a != nil && a.ExpiredAt == nil && !now.Before(a.ExpiresAt) {
			ids = append(ids, f.ID)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	_, err = s.store.UpdateFindings(ctx, ids, func(f *Finding) (*Event, error) {
		a := f.Acceptance
		if a == nil || a.ExpiredAt != nil || now.Before(a.ExpiresAt) {
			return nil, nil
		}
		a.ExpiredAt = &now
		f.UpdatedAt = now
		return &Event{At: now, Action: "acceptance_expired", FromState: f.State, ToState: f.State,
			Reason: fmt.Sprintf("risk acceptance by %s expired on %s", a.ApprovedBy, a.ExpiresAt.Format(time.DateOnly))}, nil
	})
	return len(ids), err
}

// Policy returns the remediation policy. Requires viewer.
func (s *Service) Policy(ctx context.Context) (*Policy, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.Policy(ctx)
}

// SetPolicy stores the remediation policy and moves the deadline of every
// unresolved finding to match it. Requires editor.
func (s *Service) SetPolicy(ctx context.Context, p *Policy) error {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.store.SetPolicy(ctx, p); err != nil {
		return err
	}
	return s.redue(ctx, p, nil)
}

// redue recomputes deadlines of unresolved findings (of services, or all).
func (s *Service) redue(ctx context.Context, p *Policy, services map[string]bool) error {
	tiers, err := s.store.ServiceTiers(ctx)
	if err != nil {
		return err
	}
	now := s.clock()
	all, err := s.store.Findings(ctx, FindingFilter{Now: now})
	if err != nil {
		return err
	}
	var ids []string
	for _, f := range all {
		if f.State == StateResolved || (services != nil && !services[f.Service]) {
			continue
		}
		g := f
		if g.Redue(p, tiers[f.Service]) {
			ids = append(ids, f.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err = s.store.UpdateFindings(ctx, ids, func(f *Finding) (*Event, error) {
		old := f.DueAt
		if !f.Redue(p, tiers[f.Service]) {
			return nil, nil
		}
		f.UpdatedAt = now
		return &Event{At: now, Action: "deadline_changed", FromState: f.State, ToState: f.State,
			Reason: fmt.Sprintf("due %s instead of %s (remediation policy or tier changed)", f.DueAt.Format(time.DateOnly), old.Format(time.DateOnly))}, nil
	})
	return err
}

// Scope selects what metrics cover: everything, one team's services, or
// one service.
type Scope struct {
	Team    string `json:"team,omitempty"`
	Service string `json:"service,omitempty"`
}

// Key is how snapshots name the scope.
func (sc Scope) Key() string {
	switch {
	case sc.Service != "":
		return "service:" + sc.Service
	case sc.Team != "":
		return "team:" + sc.Team
	}
	return ""
}

// MetricsPeriod is the trailing window of period metrics.
const MetricsPeriod = 30 * 24 * time.Hour

// MetricsReport is the metrics page: current values, definitions and the
// daily trend.
type MetricsReport struct {
	Scope       Scope        `json:"scope"`
	Current     Metrics      `json:"current"`
	Definitions []Definition `json:"definitions"`
	Trend       []Metrics    `json:"trend"`
}

// Metrics computes the CVE metrics of a scope now, with the trend from
// daily snapshots since from. Requires viewer.
func (s *Service) Metrics(ctx context.Context, sc Scope, from time.Time) (*MetricsReport, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	now := s.clock()
	cur, err := s.computeScope(ctx, sc, now)
	if err != nil {
		return nil, err
	}
	// A scoped caller sees trends only of scopes wholly inside its teams.
	if a, _ := palisade.ActorFrom(ctx); a.Scoped() && sc.Service == "" && (sc.Team == "" || !slices.Contains(a.Teams, sc.Team)) {
		return &MetricsReport{Scope: sc, Current: cur, Definitions: MetricDefinitions, Trend: []Metrics{}}, nil
	}
	trend, err := s.store.Snapshots(ctx, sc.Key(), from, now)
	if err != nil {
		return nil, err
	}
	if trend == nil {
		trend = []Metrics{}
	}
	return &MetricsReport{Scope: sc, Current: cur, Definitions: MetricDefinitions, Trend: trend}, nil
}

// scopeServices returns the services of a scope (nil for everything).
func (s *Service) scopeServices(ctx context.Context, sc Scope) ([]string, error) {
	switch {
	case sc.Service != "":
		if _, err := s.catalog.Service(ctx, sc.Service); err != nil {
			return nil, err
		}
		return []string{sc.Service}, nil
	case sc.Team != "":
		if _, err := s.catalog.Team(ctx, sc.Team); err != nil {
			return nil, err
		}
		return s.catalog.TeamServices(ctx, sc.Team)
	}
	return nil, nil
}

func (s *Service) computeScope(ctx context.Context, sc Scope, now time.Time) (Metrics, error) {
	services, err := s.scopeServices(ctx, sc)
	if err != nil {
		return Metrics{}, err
	}
	if vis, err := s.visible(ctx); err != nil {
		return Metrics{}, err
	} else if vis != nil {
		if services == nil {
			services = names(vis)
		}
		services = slices.DeleteFunc(services, func(n string) bool { return !vis[n] })
	}
	fs, err := s.store.Findings(ctx, FindingFilter{Services: services, Now: now})
	if err != nil {
		return Metrics{}, err
	}
	inv, err := s.store.InventoryTimes(ctx)
	if err != nil {
		return Metrics{}, err
	}
	if services != nil {
		scoped := map[string]time.Time{}
		for _, name := range services {
			scoped[name] = inv[name]
		}
		inv = scoped
	}
	return ComputeMetrics(fs, inv, now, MetricsPeriod), nil
}

// Snapshot stores today's metrics for everything, every team and every
// service, so that trends exist. It runs as a daily job.
func (s *Service) Snapshot(ctx context.Context) error {
	now := s.clock()
	all, err := s.store.Findings(ctx, FindingFilter{Now: now})
	if err != nil {
		return err
	}
	inv, err := s.store.InventoryTimes(ctx)
	if err != nil {
		return err
	}
	cat, err := s.catalogServices(ctx)
	if err != nil {
		return err
	}
	byService := map[string][]Finding{}
	for _, f := range all {
		byService[f.Service] = append(byService[f.Service], f)
	}
	out := map[string]Metrics{"": ComputeMetrics(all, inv, now, MetricsPeriod)}
	byTeam := map[string][]string{}
	for name, team := range cat {
		byTeam[team] = append(byTeam[team], name)
		out[Scope{Service: name}.Key()] = ComputeMetrics(byService[name], map[string]time.Time{name: inv[name]}, now, MetricsPeriod)
	}
	for team, names := range byTeam {
		var fs []Finding
		ti := map[string]time.Time{}
		for _, n := range names {
			fs = append(fs, byService[n]...)
			ti[n] = inv[n]
		}
		out[Scope{Team: team}.Key()] = ComputeMetrics(fs, ti, now, MetricsPeriod)
	}
	return s.store.PutSnapshots(ctx, now, out)
}

// catalogServices maps every service to its team.
func (s *Service) catalogServices(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	f := catalog.ServiceFilter{Limit: catalog.MaxPageSize}
	for {
		page, next, err := s.catalog.ListServices(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			out[x.Name] = x.Team
		}
		if next == "" {
			return out, nil
		}
		f.After = next
	}
}

// Inventory returns a service's current inventory. Requires viewer.
func (s *Service) Inventory(ctx context.Context, service string) (*Inventory, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if err := s.checkService(ctx, service, false); err != nil {
		return nil, err
	}
	return s.store.Inventory(ctx, service)
}

// Advisory returns one advisory by id or alias. Requires viewer.
func (s *Service) Advisory(ctx context.Context, idOrAlias string) (*Advisory, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.Advisory(ctx, idOrAlias)
}

// PolicySection handles the remediation section of palisade.yaml (see
// catalog.Registry.HandleSection).
func (s *Service) PolicySection(ctx context.Context, n *catalog.Node, prune bool) (func(context.Context) error, error) {
	p, err := PolicyFromSection(n)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return s.SetPolicy(ctx, p) }, nil
}

// ServiceFindings returns every finding of a service, whatever its state,
// for indicators computed from the CVE process. Requires viewer.
func (s *Service) ServiceFindings(ctx context.Context, service string) ([]Finding, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if err := s.checkService(ctx, service, false); err != nil {
		return nil, err
	}
	return s.store.Findings(ctx, FindingFilter{Service: service, Now: s.clock()})
}

// InventoryTime reports when the service's inventory was recorded (zero
// without one). Requires viewer.
func (s *Service) InventoryTime(ctx context.Context, service string) (time.Time, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return time.Time{}, err
	}
	inv, err := s.store.InventoryTimes(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return inv[service], nil
}
