package slo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type sink struct{ alerts []slo.Alert }

func (s *sink) Notify(ctx context.Context, a slo.Alert) error {
	s.alerts = append(s.alerts, a)
	return nil
}

type world struct {
	db     *store.DB
	clock  *clock
	engine *slo.Engine
	svc    *slo.Service
	vuln   *vuln.Service
	sink   *sink
	ctx    context.Context
}

const spec = `
teams:
  - name: payments
services:
  - name: checkout
    team: payments
    tier: 1
slos:
  - name: login-success
    service: checkout
    objective: 99.9
    window: 30d
    indicator:
      events: {}
    alerting: {minEvents: 100}
  - name: checkout-remediation
    service: checkout
    objective: 90
    window: 28d
    indicator:
      remediation: {severities: [critical, high]}
  - name: checkout-mfa
    service: checkout
    objective: 99
    window: 7d
    slice: 1h
    indicator:
      controls: {check: mfa}
  - name: checkout-exposure
    service: checkout
    objective: 95
    window: 28d
    slice: 1h
    indicator:
      exposure: {}
`

func newWorld(t *testing.T, dsn string) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	db, err := store.Open(context.Background(), dsn, store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: "ci", Role: palisade.RoleAdmin, Address: "192.0.2.1"})
	reg := catalog.NewRegistry(db)
	v := vuln.NewService(db, reg, c.now, nil)
	e := slo.NewEngine(db, c.now, nil)
	e.Register(slo.KindRemediation, slo.RemediationSource{Findings: v})
	e.Register(slo.KindExposure, slo.ExposureSource{Findings: v})
	e.Register(slo.KindControls, slo.ControlsSource{Store: db})
	sk := &sink{}
	e.AddSink(sk)
	svc := slo.NewService(db, e, reg, c.now)
	reg.HandleSection("slos", svc.Section)
	doc, err := catalog.ParseYAML("palisade.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Apply(ctx, doc, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	return &world{db: db, clock: c, engine: e, svc: svc, vuln: v, sink: sk, ctx: ctx}
}

func (w *world) status(t *testing.T, name string) slo.Status {
	t.Helper()
	v, err := w.svc.Get(w.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return v.Status
}

func TestEventsSLO(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		if st := w.status(t, "login-success"); st.Status != slo.StatusNoData {
			t.Fatalf("before any event: %+v", st)
		}
		// A day of good traffic, one push per 5 minutes.
		var evs []slo.Event
		for i := range 288 {
			at := w.clock.now().Add(time.Duration(i) * 5 * time.Minute)
			evs = append(evs, slo.Event{Time: at, Good: 1000, Total: 1000, ID: at.Format(time.RFC3339)})
		}
		w.clock.add(24 * time.Hour)
		res, err := w.svc.PushEvents(w.ctx, "login-success", evs)
		if err != nil || res.Counted != 288 {
			t.Fatalf("push: %+v %v", res, err)
		}
		// The same push again counts nothing.
		if res, err := w.svc.PushEvents(w.ctx, "login-success", evs); err != nil || res.Counted != 0 || res.Duplicate != 288 {
			t.Fatalf("repeated push: %+v %v", res, err)
		}
		st := w.status(t, "login-success")
		if st.Status != slo.StatusOK || *st.SLI != 1 || *st.ErrorBudgetRemaining != 1 || st.Period.Total != 288000 {
			t.Fatalf("good day: %+v", st)
		}
		// An hour at 5% errors: burn rate 50 over 1h and 5m: page.
		var bad []slo.Event
		for i := range 12 {
			bad = append(bad, slo.Event{Time: w.clock.now().Add(time.Duration(i) * 5 * time.Minute), Good: 950, Total: 1000})
		}
		w.clock.add(time.Hour)
		if _, err := w.svc.PushEvents(w.ctx, "login-success", bad); err != nil {
			t.Fatal(err)
		}
		sts, err := w.engine.EvaluateAll(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got slo.Status
		for _, s := range sts {
			if s.Name == "login-success" {
				got = s
			}
		}
		if got.BurnRates["1h"] != 50 || len(got.Alerts) == 0 || got.Alerts[0].Severity != slo.Page {
			t.Fatalf("burning: %+v", got)
		}
		if len(w.sink.alerts) == 0 || !w.sink.alerts[0].Firing || w.sink.alerts[0].SLO != "login-success" {
			t.Fatalf("alert not delivered: %+v", w.sink.alerts)
		}
		// Evaluating again does not notify again.
		n := len(w.sink.alerts)
		w.engine.EvaluateAll(w.ctx)
		if len(w.sink.alerts) != n {
			t.Errorf("alert delivered twice")
		}
		// Three days later the short windows are clean: alerts resolve.
		w.clock.add(3*24*time.Hour + time.Hour)
		var good []slo.Event
		for i := range 12 {
			good = append(good, slo.Event{Time: w.clock.now().Add(-time.Duration(i+1) * 5 * time.Minute), Good: 1000, Total: 1000})
		}
		w.svc.PushEvents(w.ctx, "login-success", good)
		w.engine.EvaluateAll(w.ctx)
		resolved := 0
		for _, a := range w.sink.alerts[n:] {
			if !a.Firing {
				resolved++
			}
		}
		if resolved == 0 {
			t.Errorf("alerts did not resolve: %+v", w.sink.alerts)
		}
		// Compaction keeps the sums.
		before := w.status(t, "login-success").Period
		if err := w.svc.Compact(w.ctx); err != nil {
			t.Fatal(err)
		}
		if after := w.status(t, "login-success").Period; after != before {
			t.Errorf("compaction changed the window: %+v → %+v", before, after)
		}
		// Bad pushes.
		for _, tc := range []struct {
			ev   slo.Event
			want string
		}{
			{slo.Event{Time: w.clock.now(), Good: 2, Total: 1}, "more than total"},
			{slo.Event{Time: w.clock.now().Add(time.Hour), Good: 1, Total: 1}, "future"},
			{slo.Event{Good: 1, Total: 1}, "time is required"},
			{slo.Event{Time: w.clock.now(), Good: -1, Total: 1}, "negative"},
		} {
			if _, err := w.svc.PushEvents(w.ctx, "login-success", []slo.Event{tc.ev}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("push %+v: %v, want %q", tc.ev, err, tc.want)
			}
		}
		if _, err := w.svc.PushEvents(w.ctx, "checkout-mfa", evs[:1]); palisade.ErrorCode(err) != palisade.ECONFLICT {
			t.Errorf("events to a controls SLO: %v", err)
		}
	})
}

func TestControlsSLO(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		if st := w.status(t, "checkout-mfa"); st.Status != slo.StatusNoData || !strings.Contains(st.Reason, "mfa") {
			t.Fatalf("no checks yet: %+v", st)
		}
		start := w.clock.now()
		push := func(at time.Time, ok bool) {
			w.clock.mu.Lock()
			w.clock.t = at
			w.clock.mu.Unlock()
			if _, err := w.svc.PushChecks(w.ctx, "checkout", []slo.CheckResult{{Check: "mfa", OK: ok, Time: at}}); err != nil {
				t.Fatal(err)
			}
		}
		push(start, true)
		push(start.Add(24*time.Hour), false) // off for 2 hours
		push(start.Add(26*time.Hour), true)
		push(start.Add(47*time.Hour), true)
		w.clock.add(time.Hour)
		st := w.status(t, "checkout-mfa")
		// 48 hourly slices with data, 2 bad.
		if st.Period.Total != 48 || st.Period.Good != 46 {
			t.Fatalf("mfa slices: %+v", st.Period)
		}
		// No report for more than a day: the tail has no data.
		w.clock.add(72 * time.Hour)
		if st := w.status(t, "checkout-mfa"); st.Period.Total != 48+23 {
			t.Errorf("stale check counted: %+v", st.Period)
		}
	})
}

func TestFindingsSLOs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		if st := w.status(t, "checkout-exposure"); st.Status != slo.StatusNoData || !strings.Contains(st.Reason, "inventory") {
			t.Fatalf("exposure without inventory: %+v", st)
		}
		now := w.clock.now()
		comp := vuln.Component{Purl: "pkg:pypi/x@1", Ecosystem: "PyPI", Name: "x", Version: "1"}
		if err := w.db.PutInventory(w.ctx, &vuln.Inventory{Service: "checkout", Format: "cyclonedx-json", Digest: "d", RecordedAt: now, Components: []vuln.Component{comp}}); err != nil {
			t.Fatal(err)
		}
		// Two critical findings: one fixed in time, one left overdue.
		var ms []vuln.Match
		for _, id := range []string{"GHSA-a", "GHSA-b"} {
			ms = append(ms, vuln.Match{Service: "checkout", Component: comp, Advisory: &vuln.Advisory{ID: id, Severity: "critical", Aliases: []string{}}})
		}
		ch := vuln.Reconcile(ms, nil, nil, now, vuln.DefaultPolicy(), func(string) int { return 1 })
		if err := w.db.ApplyChanges(w.ctx, ch); err != nil {
			t.Fatal(err)
		}
		w.clock.add(2 * 24 * time.Hour)
		if _, err := w.vuln.Triage(w.ctx, []string{ch[0].Finding.ID}, vuln.Triage{State: vuln.StateResolved, Reason: "patched"}); err != nil {
			t.Fatal(err)
		}
		w.clock.add(8 * 24 * time.Hour) // the other is 3 days overdue
		rem := w.status(t, "checkout-remediation")
		if rem.Period.Good != 1 || rem.Period.Total != 2 || rem.Status != slo.StatusExhausted {
			t.Errorf("remediation: %+v", rem)
		}
		exp := w.status(t, "checkout-exposure")
		// 10 days of hourly slices since the inventory; overdue for 3 days.
		if exp.Period.Total != 240 || exp.Period.Good != 168 {
			t.Errorf("exposure: %+v", exp.Period)
		}
	})
}

func TestSLOSectionErrors(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{"slos:\n  - name: x\n    service: s\n    objective: 120\n    window: 28d\n    indicator: {events: {}}\n", "p.yaml:4:16: objective 120 is outside (0, 100)"},
		{"slos:\n  - name: x\n    service: s\n    objective: 99\n    window: soon\n    indicator: {events: {}}\n", "p.yaml:5:13: window:"},
		{"slos:\n  - name: x\n    service: s\n    objective: 99\n    window: 28d\n    indicator: {magic: {}}\n", `unknown field "magic"`},
		{"slos:\n  - name: x\n    service: s\n    objective: 99\n    window: 28d\n    indicator: {prometheus: {server: 'ftp://x', total: 'y', good: 'z'}}\n", "not an http(s) URL"},
		{"slos:\n  - name: x\n    service: s\n    objective: 99\n    window: 28d\n    indicatr: {events: {}}\n", `unknown field "indicatr"`},
	} {
		doc, err := catalog.ParseYAML("p.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		_, err = slo.FromSection(doc.Sections["slos"])
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestHistory(t *testing.T) {
	w := newWorld(t, storetest.DSN(t, "sqlite"))
	// Ten days of traffic with a bad day in the middle.
	var evs []slo.Event
	start := w.clock.now()
	for h := range 240 {
		good := 1000.0
		if h/24 == 5 {
			good = 990
		}
		evs = append(evs, slo.Event{Time: start.Add(time.Duration(h) * time.Hour), Good: good, Total: 1000})
	}
	w.clock.add(240 * time.Hour)
	if _, err := w.svc.PushEvents(w.ctx, "login-success", evs); err != nil {
		t.Fatal(err)
	}
	hist, err := w.svc.History(w.ctx, "login-success", 31)
	if err != nil || len(hist) != 31 {
		t.Fatalf("history: %d %v", len(hist), err)
	}
	last := hist[len(hist)-1]
	if last.ErrorBudgetRemaining == nil || *last.ErrorBudgetRemaining >= 1 {
		t.Fatalf("last point: %+v", last)
	}
	// Points are a day apart across the 30-day window; traffic starts 20
	// days in and its sixth day is bad (1% errors on a 99.9% objective).
	at := func(day int) slo.Status { return hist[day] }
	if at(19).Status != slo.StatusNoData {
		t.Errorf("before any traffic: %+v", at(19))
	}
	if b := at(24).ErrorBudgetRemaining; b == nil || *b != 1 {
		t.Errorf("after five good days the budget is whole: %v", b)
	}
	if b := at(26).ErrorBudgetRemaining; b == nil || *b >= 0 {
		t.Errorf("after the bad day the budget is overspent: %v", b)
	}
}
