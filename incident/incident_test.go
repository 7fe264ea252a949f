package incident_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

type env struct {
	db  *store.DB
	reg *catalog.Registry
	svc *incident.Service
	now *time.Time
	ctx context.Context
}

func as(ctx context.Context, name string, role palisade.Role, teams ...string) context.Context {
	return palisade.WithActor(ctx, palisade.Actor{Kind: "token", Name: name, Role: role, Address: "test", Teams: teams})
}

func newEnv(t testing.TB, dsn string) *env {
	t.Helper()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e := &env{now: &now}
	clock := func() time.Time { return *e.now }
	e.ctx = palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	db, err := store.Open(e.ctx, dsn, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.reg = catalog.NewRegistry(db)
	e.svc = incident.NewService(db, db, e.reg, clock, nil)
	e.reg.HandleSection("severities", e.svc.Sections("severities"))
	e.reg.HandleSection("routing", e.svc.Sections("routing"))
	if _, err := e.reg.Apply(e.ctx, &catalog.Document{Catalog: catalog.Catalog{
		Teams: []catalog.Team{{Name: "platform"}, {Name: "security"}},
		Services: []catalog.Service{{Name: "api", Team: "platform", Tier: 1}, {Name: "auth", Team: "security", Tier: 1},
			{Name: "web", Team: "platform", Tier: 2}},
	}}, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) advance(d time.Duration) { *e.now = e.now.Add(d) }

func firing(key, service, severity, summary string) incident.Signal {
	return incident.Signal{Source: "am", Kind: "alertmanager", DedupKey: key, Action: incident.ActionTrigger, Summary: summary,
		Labels: map[string]string{"service": service, "severity": severity, "alertname": key}}
}

func TestIngestDefaultRouteDedupAndResolve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := e.ctx
		res, err := e.svc.Ingest(ctx, []incident.Signal{
			firing("HighErrors", "api", "critical", "api 5xx above 5%"),
			firing("DiskFilling", "api", "warning", "disk 80% full"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 2 || len(res.Opened) != 1 || res.Recorded != 1 {
			t.Fatalf("first delivery: %+v", res)
		}
		id := res.Opened[0]
		inc, err := e.svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Severity != "SEV2" || inc.Status != incident.StatusTriage || !slices.Equal(inc.Services, []string{"api"}) || inc.Alerts != 1 {
			t.Fatalf("incident: %+v", inc)
		}
		tl, _ := e.svc.Timeline(ctx, id, 0)
		before := len(tl)

		// The same delivery again: counted, nothing new.
		e.advance(time.Minute)
		res, err = e.svc.Ingest(ctx, []incident.Signal{firing("HighErrors", "api", "critical", "api 5xx above 5%")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Repeated != 1 || res.New != 0 || len(res.Opened) != 0 || len(res.Incidents) != 0 {
			t.Fatalf("repeat: %+v", res)
		}
		if tl, _ := e.svc.Timeline(ctx, id, 0); len(tl) != before {
			t.Fatalf("a repeated delivery wrote the timeline: %d → %d", before, len(tl))
		}

		// Resolve.
		e.advance(time.Minute)
		sig := firing("HighErrors", "api", "critical", "api 5xx above 5%")
		sig.Action = incident.ActionResolve
		if res, err = e.svc.Ingest(ctx, []incident.Signal{sig}); err != nil {
			t.Fatal(err)
		}
		if res.Resolved != 1 || !slices.Equal(res.Incidents, []string{id}) {
			t.Fatalf("resolve: %+v", res)
		}
		tl, _ = e.svc.Timeline(ctx, id, 0)
		if last := tl[len(tl)-1]; !strings.Contains(last.Text, "alert resolved") {
			t.Fatalf("last entry %+v", last)
		}
		alerts, _ := e.svc.IncidentAlerts(ctx, id)
		if len(alerts) != 1 || alerts[0].Status != incident.AlertResolved || alerts[0].Deliveries != 3 || alerts[0].ResolvedAt == nil {
			t.Fatalf("alerts: %+v", alerts)
		}
		// Firing again after resolution rejoins the open incident.
		e.advance(time.Minute)
		if res, err = e.svc.Ingest(ctx, []incident.Signal{firing("HighErrors", "api", "critical", "again")}); err != nil {
			t.Fatal(err)
		}
		if len(res.Opened) != 0 || !slices.Equal(res.Incidents, []string{id}) {
			t.Fatalf("refire: %+v", res)
		}
		all, _ := e.svc.Alerts(ctx, "", 10)
		if len(all) != 2 {
			t.Fatalf("alerts: %d", len(all))
		}
		var n int
		if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM alerts`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("stored alerts %d %v", n, err)
		}
	})
}

func TestIngestRejectsBadSignals(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	for _, sig := range []incident.Signal{
		{Source: "am", Action: "trigger"},
		{Source: "", DedupKey: "x"},
		{Source: "am", DedupKey: "x", Action: "explode"},
		{Source: "am", DedupKey: strings.Repeat("k", 300)},
	} {
		_, err := e.svc.Ingest(e.ctx, []incident.Signal{firing("ok", "api", "critical", "fine"), sig})
		if palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), "alerts[1]") {
			t.Errorf("%+v: %v", sig, err)
		}
	}
	if l, _ := e.svc.Alerts(e.ctx, "", 10); len(l) != 0 {
		t.Fatalf("a refused delivery stored %d alerts", len(l))
	}
}

const routingYAML = `
severities:
  - {name: P1, title: Critical, description: all hands}
  - {name: P2, title: Major}
  - {name: P3, title: Minor}
routing:
  - name: security-joins
    when: 'labels.team == "security"'
    incident: join
    severity: P1
    kind: security
    service: '${labels.service}'
    team: security
    restricted: true
    notify: [slack-sec]
  - name: noise
    when: 'source == "am" && labels.severity == "info"'
    incident: none
    severity: P3
`

func applyYAML(t *testing.T, e *env, y string) error {
	t.Helper()
	doc, err := catalog.ParseYAML("palisade.yaml", []byte(y))
	if err != nil {
		return err
	}
	_, err = e.reg.Apply(e.ctx, doc, catalog.ApplyOptions{})
	return err
}

func TestRoutingRulesJoinRestrictAndNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		if err := applyYAML(t, e, routingYAML); err != nil {
			t.Fatal(err)
		}
		a := firing("TokenAbuse", "auth", "warning", "token abuse")
		a.Labels["team"] = "security"
		b := firing("BruteForce", "auth", "warning", "brute force")
		b.Labels["team"] = "security"
		res, err := e.svc.Ingest(e.ctx, []incident.Signal{a, b})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Opened) != 1 || len(res.Joined) != 1 || res.Opened[0] != res.Joined[0] {
			t.Fatalf("join: %+v", res)
		}
		id := res.Opened[0]
		inc, _ := e.svc.Get(e.ctx, id)
		if inc.Severity != "P1" || inc.Kind != "security" || !inc.Restricted || inc.Team != "security" || inc.Alerts != 2 ||
			!slices.Equal(inc.Notify, []string{"slack-sec"}) {
			t.Fatalf("incident %+v", inc)
		}
		// Restricted: a viewer who is not a participant does not see it.
		viewer := as(context.Background(), "alice", palisade.RoleViewer)
		if _, err := e.svc.Get(viewer, id); palisade.ErrorCode(err) != palisade.ENOTFOUND {
			t.Fatalf("viewer sees restricted incident: %v", err)
		}
		if l, _, _ := e.svc.List(viewer, incident.Filter{}); len(l) != 0 {
			t.Fatalf("viewer lists restricted incident")
		}
		admin := as(context.Background(), "root", palisade.RoleAdmin)
		if _, err := e.svc.Get(admin, id); err != nil {
			t.Fatal(err)
		}
		// Adding alice as participant lets her see it.
		if _, err := e.svc.Update(admin, id, incident.Patch{AddParticipants: []string{"alice"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Get(viewer, id); err != nil {
			t.Fatalf("participant cannot see: %v", err)
		}
		// Info alerts: recorded, no incident.
		info := firing("Info", "api", "info", "fyi")
		if res, err = e.svc.Ingest(e.ctx, []incident.Signal{info}); err != nil || res.Recorded != 1 || len(res.Opened) != 0 {
			t.Fatalf("none route: %+v %v", res, err)
		}
		// One notification queued for slack-sec (opened), one joined.
		var n int
		if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM outbox WHERE target = 'slack-sec'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("outbox %d %v", n, err)
		}
	})
}

func TestRoutingConfigErrors(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	for _, tc := range []struct{ yaml, want string }{
		{"routing:\n  - name: x\n    when: 'labels.team =='\n", "palisade.yaml:4:11: when:"},
		{"routing:\n  - name: x\n    when: 'true'\n    severity: SEV9\n", `palisade.yaml:5:15: unknown severity "SEV9"`},
		{"routing:\n  - name: x\n    when: 'true'\n    incident: maybe\n", `palisade.yaml:5:15: incident "maybe"`},
		{"routing:\n  - name: x\n    when: '1 + 1'\n", "palisade.yaml:4:11: when:"},
		{"severities:\n  - {name: 'bad name'}\n", `severity name "bad name"`},
	} {
		err := applyYAML(t, e, "\n"+tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// Nothing was stored: the default route still applies.
	cfg, err := e.svc.Config(e.ctx)
	if err != nil || len(cfg.Rules) != 0 || cfg.Severities[0].Name != "SEV1" {
		t.Fatalf("config after refused applies: %+v %v", cfg, err)
	}
}

func TestLifecycleAndRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		bob := as(context.Background(), "bob", palisade.RoleResponder)
		inc, err := e.svc.Open(bob, incident.OpenRequest{Title: "Leaked key in public repo", Kind: "security", Severity: "SEV1",
			Services: []string{"auth"}, Commander: "carol"})
		if err != nil {
			t.Fatal(err)
		}
		if inc.ID != "INC-1" || inc.Team != "security" || inc.Roles["commander"] != "carol" || !slices.Contains(inc.Participants, "bob") {
			t.Fatalf("opened %+v", inc)
		}
		status := func(s string) *string { return &s }
		_, err = e.svc.Update(bob, inc.ID, incident.Patch{Status: status("closed")})
		if palisade.ErrorCode(err) != palisade.ECONFLICT || !strings.Contains(err.Error(), "resolve it first") {
			t.Fatalf("closing a triage incident: %v", err)
		}
		for _, s := range []string{"active", "mitigated", "resolved", "closed"} {
			e.advance(10 * time.Minute)
			if inc, err = e.svc.Update(bob, inc.ID, incident.Patch{Status: status(s)}); err != nil {
				t.Fatalf("→ %s: %v", s, err)
			}
		}
		if inc.AcknowledgedAt == nil || inc.MitigatedAt == nil || inc.ResolvedAt == nil || inc.ClosedAt == nil ||
			inc.ResolvedAt.Sub(inc.OpenedAt) != 30*time.Minute {
			t.Fatalf("timestamps %+v", inc)
		}
		if _, err = e.svc.Update(bob, inc.ID, incident.Patch{Status: status("active")}); palisade.ErrorCode(err) != palisade.ECONFLICT {
			t.Fatalf("reopening a closed incident: %v", err)
		}
		if _, err := e.svc.Note(bob, inc.ID, "post-close note for the retrospective"); err != nil {
			t.Fatalf("note on closed incident: %v", err)
		}
		// Bad input names the field.
		for _, p := range []incident.Patch{{Severity: status("SEV9")}, {Status: status("exploded")}, {Roles: map[string]string{"captain": "x"}}} {
			other, _ := e.svc.Open(bob, incident.OpenRequest{Title: "x", Kind: "reliability"})
			if _, err := e.svc.Update(bob, other.ID, p); palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("%+v: %v", p, err)
			}
		}
		if _, err := e.svc.Open(bob, incident.OpenRequest{Title: "x", Services: []string{"nope"}}); palisade.ErrorCode(err) != palisade.EINVALID ||
			!strings.Contains(err.Error(), `"nope" is not in the catalog`) {
			t.Fatalf("unknown service: %v", err)
		}
		viewer := as(context.Background(), "v", palisade.RoleViewer)
		if _, err := e.svc.Open(viewer, incident.OpenRequest{Title: "x"}); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Fatalf("viewer opened: %v", err)
		}
		tl, _ := e.svc.Timeline(bob, inc.ID, 0)
		var kinds []string
		for _, en := range tl {
			kinds = append(kinds, en.Kind)
		}
		if !slices.Equal(kinds, []string{"status", "role", "status", "status", "status", "status", "note"}) {
			t.Fatalf("timeline kinds %v", kinds)
		}
	})
}

func TestMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		res, err := e.svc.Ingest(e.ctx, []incident.Signal{firing("A", "api", "critical", "a"), firing("B", "web", "page", "b")})
		if err != nil || len(res.Opened) != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		src, dst := res.Opened[1], res.Opened[0]
		bob := as(context.Background(), "bob", palisade.RoleResponder)
		merged, err := e.svc.Merge(bob, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		if merged.Status != incident.StatusMerged || merged.MergedInto != dst || merged.Alerts != 0 {
			t.Fatalf("merged %+v", merged)
		}
		into, _ := e.svc.Get(bob, dst)
		if into.Alerts != 2 || !slices.Equal(into.Services, []string{"api", "web"}) {
			t.Fatalf("into %+v", into)
		}
		if al, _ := e.svc.IncidentAlerts(bob, dst); len(al) != 2 {
			t.Fatalf("alerts moved: %d", len(al))
		}
		s := "active"
		if _, err := e.svc.Update(bob, src, incident.Patch{Status: &s}); palisade.ErrorCode(err) != palisade.ECONFLICT ||
			!strings.Contains(err.Error(), "merged incident cannot be reopened") {
			t.Fatalf("reopen merged: %v", err)
		}
		if _, err := e.svc.Merge(bob, dst, dst); palisade.ErrorCode(err) != palisade.EINVALID {
			t.Fatalf("self merge: %v", err)
		}
		// The alert firing again joins the incident it was merged into.
		e.advance(time.Minute)
		b := firing("B", "web", "page", "b")
		b.Action = incident.ActionResolve
		if res, err = e.svc.Ingest(e.ctx, []incident.Signal{b}); err != nil || !slices.Equal(res.Incidents, []string{dst}) {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	bob := as(context.Background(), "bob", palisade.RoleResponder)
	start := *e.now
	for i, mins := range []int{10, 20, 30, 40, 100} {
		impact := e.now.Add(-time.Duration(i+1) * time.Minute)
		inc, err := e.svc.Open(bob, incident.OpenRequest{Title: "x", Kind: "reliability", Severity: "SEV3", Services: []string{"api"}, ImpactStartedAt: &impact})
		if err != nil {
			t.Fatal(err)
		}
		e.advance(time.Duration(mins) * time.Minute)
		s := "resolved"
		if _, err := e.svc.Update(bob, inc.ID, incident.Patch{Status: &s}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := e.svc.Metrics(bob, start.Add(-time.Hour), e.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.Incidents != 5 || m.TimeToResolve.Mean != 40 || m.TimeToResolve.P90 != 100 || m.TimeToDetect.Mean != 3 || m.BySeverity["SEV3"] != 5 ||
		m.ByService["api"] != 5 || m.Open != 0 {
		t.Fatalf("metrics %+v", m)
	}
	if _, err := e.svc.Metrics(bob, start, start); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Fatalf("empty period: %v", err)
	}
}

func TestTeamScope(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	if _, err := e.svc.Ingest(e.ctx, []incident.Signal{firing("A", "api", "critical", "a"), firing("B", "auth", "critical", "b")}); err != nil {
		t.Fatal(err)
	}
	plat := as(context.Background(), "p", palisade.RoleResponder, "platform")
	l, _, err := e.svc.List(plat, incident.Filter{})
	if err != nil || len(l) != 1 || l[0].Services[0] != "api" {
		t.Fatalf("scoped list %+v %v", l, err)
	}
	if _, err := e.svc.Open(plat, incident.OpenRequest{Title: "x", Services: []string{"auth"}}); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Fatalf("opened on another team's service: %v", err)
	}
	if al, _ := e.svc.Alerts(plat, "", 10); len(al) != 1 {
		t.Fatalf("scoped alerts %d", len(al))
	}
}
