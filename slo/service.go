package slo

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Limits on pushed data. Documented in docs/slo.md.
const (
	MaxEventsPerPush = 10000
	MaxChecksPerPush = 1000
	// EventIDRetention is how long an event id is remembered.
	EventIDRetention = 7 * 24 * time.Hour
	// FineBucket is the width of event buckets for recent data; older
	// buckets are merged into CoarseBucket ones.
	FineBucket   = 5 * time.Minute
	CoarseBucket = time.Hour
	// FineRetention is how long fine buckets are kept before merging:
	// the longest burn window.
	FineRetention = 3*24*time.Hour + CoarseBucket
	// MaxFuture and MaxPast bound event times.
	MaxFuture = 5 * time.Minute
	MaxPast   = 400 * 24 * time.Hour
)

// Service is the SLO capability.
type Service struct {
	store   Store
	engine  *Engine
	catalog *catalog.Registry
	now     func() time.Time
}

// NewService returns the SLO capability.
func NewService(store Store, engine *Engine, reg *catalog.Registry, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, engine: engine, catalog: reg, now: now}
}

// View is an SLO with its current status.
type View struct {
	SLO    *SLO   `json:"slo"`
	Status Status `json:"status"`
}

// visible returns the services the caller may see, nil for all.
func (s *Service) visible(ctx context.Context) (map[string]bool, error) {
	return s.catalog.Visible(ctx)
}

// List returns every SLO (of service, when given) with its last evaluated
// status. Requires viewer.
func (s *Service) List(ctx context.Context, service string) ([]View, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, err
	}
	slos, err := s.store.SLOs(ctx)
	if err != nil {
		return nil, err
	}
	sts, err := s.store.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]Status{}
	for _, st := range sts {
		byName[st.Name] = st
	}
	out := []View{}
	for _, o := range slos {
		if (service != "" && o.Service != service) || (vis != nil && !vis[o.Service]) {
			continue
		}
		st, ok := byName[o.Name]
		if !ok {
			st = noData(o, s.now().UTC(), "not evaluated yet")
		}
		out = append(out, View{SLO: o, Status: st})
	}
	return out, nil
}

// Get evaluates one SLO now. Requires viewer.
func (s *Service) Get(ctx context.Context, name string) (*View, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	o, err := s.store.SLO(ctx, name)
	if err != nil {
		return nil, err
	}
	if vis, err := s.visible(ctx); err != nil {
		return nil, err
	} else if vis != nil && !vis[o.Service] {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "SLO %q not found", name)
	}
	st, err := s.engine.Evaluate(ctx, o)
	if err != nil {
		return nil, err
	}
	return &View{SLO: o, Status: st}, nil
}

// ServiceStatuses evaluates the SLOs of a service now, for the change
// gate. Requires viewer.
func (s *Service) ServiceStatuses(ctx context.Context, service string) ([]Status, error) {
	views, err := s.List(ctx, service)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(views))
	for _, v := range views {
		st, err := s.engine.Evaluate(ctx, v.SLO)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Put creates or updates SLOs (the API's way; palisade.yaml goes through
// Section). Requires editor.
func (s *Service) Put(ctx context.Context, slos []*SLO, prune bool) (created, updated, deleted int, err error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return 0, 0, 0, err
	}
	for _, o := range slos {
		if err := o.Validate(); err != nil {
			return 0, 0, 0, err
		}
		if _, err := s.catalog.Service(ctx, o.Service); err != nil {
			return 0, 0, 0, palisade.FieldErrorf(palisade.EUNPROCESSABLE, "service", "SLO %s: unknown service %q", o.Name, o.Service)
		}
	}
	return s.store.PutSLOs(ctx, slos, prune)
}

// Delete deletes an SLO and its data. Requires editor.
func (s *Service) Delete(ctx context.Context, name string) error {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return err
	}
	return s.store.DeleteSLO(ctx, name)
}

// Section handles the slos section of palisade.yaml: the declared SLOs
// are upserted (and, with prune, the others deleted) after the catalog is
// applied.
func (s *Service) Section(ctx context.Context, n *catalog.Node, prune bool) (func(context.Context) error, error) {
	slos, err := FromSection(n)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		_, _, _, err := s.Put(ctx, slos, prune)
		return err
	}, nil
}

// PushResult says what a push counted.
type PushResult struct {
	Received  int `json:"received"`
	Counted   int `json:"counted"`
	Duplicate int `json:"duplicate"`
}

// PushEvents adds events to an SLO of the events kind. Requires responder.
func (s *Service) PushEvents(ctx context.Context, name string, events []Event) (*PushResult, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	o, err := s.store.SLO(ctx, name)
	if err != nil {
		return nil, err
	}
	if vis, err := s.visible(ctx); err != nil {
		return nil, err
	} else if vis != nil && !vis[o.Service] {
		return nil, palisade.Errorf(palisade.EFORBIDDEN, "SLO %q belongs to a service outside the teams this token may act for", name)
	}
	if o.Indicator.Kind != KindEvents {
		return nil, palisade.Errorf(palisade.ECONFLICT, "SLO %q measures %s, not pushed events", name, o.Indicator.Kind)
	}
	if len(events) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "events", "no events")
	}
	if len(events) > MaxEventsPerPush {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, "events", "%d events in one push; the limit is %d", len(events), MaxEventsPerPush)
	}
	now := s.now().UTC()
	for i, e := range events {
		field := fmt.Sprintf("events[%d]", i)
		switch {
		case e.Time.IsZero():
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".time", "time is required (RFC 3339)")
		case e.Time.After(now.Add(MaxFuture)):
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".time", "%s is in the future", e.Time.Format(time.RFC3339))
		case e.Time.Before(now.Add(-MaxPast)):
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".time", "%s is too old", e.Time.Format(time.RFC3339))
		case e.Total < 0 || e.Good < 0 || math.IsNaN(e.Good) || math.IsNaN(e.Total) || math.IsInf(e.Good, 0) || math.IsInf(e.Total, 0):
			return nil, palisade.FieldErrorf(palisade.EINVALID, field, "good and total must be finite and not negative")
		case e.Good > e.Total:
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".good", "good %v is more than total %v", e.Good, e.Total)
		case len(e.ID) > 128:
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".id", "id is longer than 128 characters")
		}
	}
	counted, err := s.store.AddEvents(ctx, name, events, FineBucket, now)
	if err != nil {
		return nil, err
	}
	return &PushResult{Received: len(events), Counted: counted, Duplicate: len(events) - counted}, nil
}

// PushChecks records control check results of a service. Requires
// responder.
func (s *Service) PushChecks(ctx context.Context, service string, results []CheckResult) (*PushResult, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if _, err := s.catalog.Service(ctx, service); err != nil {
		return nil, err
	}
	if vis, err := s.visible(ctx); err != nil {
		return nil, err
	} else if vis != nil && !vis[service] {
		return nil, palisade.Errorf(palisade.EFORBIDDEN, "service %q is outside the teams this token may act for", service)
	}
	if len(results) == 0 || len(results) > MaxChecksPerPush {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "checks", "send 1 to %d check results", MaxChecksPerPush)
	}
	now := s.now().UTC()
	for i := range results {
		r := &results[i]
		r.Service = service
		if r.Time.IsZero() {
			r.Time = now
		}
		field := fmt.Sprintf("checks[%d]", i)
		switch {
		case !nameRE.MatchString(r.Check):
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".check", "invalid check name %q", r.Check)
		case r.Time.After(now.Add(MaxFuture)):
			return nil, palisade.FieldErrorf(palisade.EINVALID, field+".time", "%s is in the future", r.Time.Format(time.RFC3339))
		}
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Time.Before(results[j].Time) })
	if err := s.store.AddChecks(ctx, results); err != nil {
		return nil, err
	}
	return &PushResult{Received: len(results), Counted: len(results)}, nil
}

// Compact merges old fine buckets into coarse ones and forgets what is
// older than any window needs. It runs as a job.
func (s *Service) Compact(ctx context.Context) error {
	now := s.now().UTC()
	return s.store.Compact(ctx, now.Add(-FineRetention), CoarseBucket, now.Add(-MaxPast))
}
