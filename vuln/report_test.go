package vuln_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// world is a store with a catalog, a clock and the CVE process.
type world struct {
	db    *store.DB
	clock *clock
	svc   *vuln.Service
	ctx   context.Context
}

func newWorld(t *testing.T, dsn string) *world {
	t.Helper()
	c := &clock{t: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	db, err := store.Open(context.Background(), dsn, store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: "lea", Role: palisade.RoleAdmin, Address: "192.0.2.1"})
	reg := catalog.NewRegistry(db)
	_, err = reg.Apply(ctx, &catalog.Document{Catalog: catalog.Catalog{
		Teams:    []catalog.Team{{Name: "payments"}},
		Services: []catalog.Service{{Name: "checkout", Team: "payments", Tier: 1}, {Name: "search", Team: "payments", Tier: 3}},
	}}, catalog.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &world{db: db, clock: c, svc: vuln.NewService(db, reg, c.now, nil), ctx: ctx}
}

// detect creates findings for advisory on the services' component now.
func (w *world) detect(t *testing.T, advisory, severity string, services ...string) map[string][]string {
	t.Helper()
	a := &vuln.Advisory{ID: advisory, Severity: severity, Aliases: []string{"CVE-" + advisory}}
	var ms []vuln.Match
	for _, s := range services {
		ms = append(ms, vuln.Match{Service: s, Component: vuln.Component{Purl: "pkg:pypi/lib@1.0", Ecosystem: "PyPI", Name: "lib", Version: "1.0"}, Advisory: a})
	}
	tiers := map[string]int{"checkout": 1, "search": 3}
	ch := vuln.Reconcile(ms, nil, nil, w.clock.t, vuln.DefaultPolicy(), func(s string) int { return tiers[s] })
	if err := w.db.ApplyChanges(w.ctx, ch); err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	for _, c := range ch {
		ids[c.Finding.Service] = append(ids[c.Finding.Service], c.Finding.ID)
	}
	return ids
}

func TestAuditReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		day := 24 * time.Hour
		crit := w.detect(t, "GHSA-crit", "critical", "checkout", "search") // due in 7 days
		low := w.detect(t, "GHSA-low", "low", "checkout")                  // due in 180 days
		high := w.detect(t, "GHSA-high", "high", "search")                 // due in 30 days

		// Day 3: checkout's critical is not affected (in time).
		w.clock.t = w.clock.t.Add(3 * day)
		if _, err := w.svc.Triage(w.ctx, crit["checkout"], vuln.Triage{State: vuln.StateNotAffected, Justification: "code_not_reachable", Reason: "never imported"}); err != nil {
			t.Fatal(err)
		}
		// Day 10: search's critical resolved by hand (late).
		w.clock.t = w.clock.t.Add(7 * day)
		if _, err := w.svc.Triage(w.ctx, crit["search"], vuln.Triage{State: vuln.StateResolved, Reason: "upgraded"}); err != nil {
			t.Fatal(err)
		}
		// Day 12: the high one is accepted until day 60.
		w.clock.t = w.clock.t.Add(2 * day)
		exp := w.clock.t.Add(48 * day)
		if _, err := w.svc.Accept(w.ctx, high["search"], vuln.AcceptRequest{Reason: "vendor fix in Q1", RequestedBy: "search-team", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
		w.clock.t = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		r, err := w.svc.Report(w.ctx, from, to, "", w.db.AuditHead)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Advisories != 3 || r.Summary.Findings != 4 {
			t.Fatalf("summary %+v", r.Summary)
		}
		got := map[string]string{}
		for _, a := range r.Advisories {
			for _, l := range a.Findings {
				got[a.ID+"/"+l.Service] = l.Disposition + "/" + l.Deadline
			}
		}
		want := map[string]string{
			"GHSA-crit/checkout": "not_affected/held",
			"GHSA-crit/search":   "resolved/missed",
			"GHSA-high/search":   "accepted/n/a",
			"GHSA-low/checkout":  "open/pending",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		if r.Advisories[0].ID != "GHSA-crit" || r.AuditHead.Seq == 0 || r.GeneratedBy != "token:lea" {
			t.Errorf("order or provenance: %s, head %d, by %s", r.Advisories[0].ID, r.AuditHead.Seq, r.GeneratedBy)
		}
		if r.Summary.DeadlineHeld != 1 || r.Summary.DeadlineMissed != 1 {
			t.Errorf("deadlines: %+v", r.Summary)
		}
		_ = low

		// A period before anything happened is empty; one service's report
		// holds only its findings.
		empty, err := w.svc.Report(w.ctx, from.AddDate(0, -2, 0), from.AddDate(0, -1, 0), "", w.db.AuditHead)
		if err != nil || len(empty.Advisories) != 0 {
			t.Fatalf("empty period: %+v %v", empty, err)
		}
		one, err := w.svc.Report(w.ctx, from, to, "checkout", w.db.AuditHead)
		if err != nil || one.Summary.Findings != 2 {
			t.Fatalf("checkout report: %+v %v", one, err)
		}

		for _, format := range []string{vuln.ReportHTML, vuln.ReportMarkdown, vuln.ReportJSON, vuln.ReportCSV} {
			var buf bytes.Buffer
			if err := vuln.WriteReport(&buf, r, format); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.String()
			for _, s := range []string{"GHSA-crit", "code_not_reachable", "vendor fix in Q1"} {
				if !strings.Contains(out, s) {
					t.Errorf("%s output lacks %q", format, s)
				}
			}
			if format == vuln.ReportCSV {
				rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
				if err != nil || len(rows) != 5 {
					t.Errorf("csv: %d rows, %v", len(rows), err)
				}
			}
		}
		if err := vuln.WriteReport(&bytes.Buffer{}, r, "pdf"); palisade.ErrorCode(err) != palisade.EINVALID {
			t.Errorf("unknown format: %v", err)
		}
		if _, err := w.svc.Report(w.ctx, to, from, "", w.db.AuditHead); palisade.ErrorCode(err) != palisade.EINVALID {
			t.Errorf("reversed period: %v", err)
		}
	})
}
