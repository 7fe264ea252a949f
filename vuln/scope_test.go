package vuln_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

// TestTeamScopedTokens: a token scoped to a team sees and changes only its
// services' findings and cannot do what spans the organisation.
func TestTeamScopedTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		reg := catalog.NewRegistry(w.db)
		if _, err := reg.Apply(w.ctx, &catalog.Document{Catalog: catalog.Catalog{
			Teams:    []catalog.Team{{Name: "search-team"}},
			Services: []catalog.Service{{Name: "search", Team: "search-team", Tier: 3}},
		}}, catalog.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		ids := w.detect(t, "GHSA-x", "high", "checkout", "search")
		scoped := palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: "payments-ci", Role: palisade.RoleEditor, Teams: []string{"payments"}})

		list, _, err := w.svc.ListFindings(scoped, vuln.FindingFilter{})
		if err != nil || len(list) != 1 || list[0].Service != "checkout" {
			t.Fatalf("scoped list: %+v %v", list, err)
		}
		if other, _, _ := w.svc.ListFindings(scoped, vuln.FindingFilter{Service: "search"}); len(other) != 0 {
			t.Fatalf("scoped list of another team's service: %+v", other)
		}
		if _, _, err := w.svc.Finding(scoped, ids["search"][0]); palisade.ErrorCode(err) != palisade.ENOTFOUND {
			t.Errorf("another team's finding: %v", err)
		}
		tr := vuln.Triage{State: vuln.StateExploitable, Reason: "r"}
		if _, err := w.svc.Triage(scoped, ids["search"], tr); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("triage of another team's finding: %v", err)
		}
		if _, err := w.svc.Triage(scoped, ids["checkout"], tr); err != nil {
			t.Errorf("triage of its own finding: %v", err)
		}
		// Bulk triage across services stays inside the scope.
		out, err := w.svc.TriageAll(scoped, vuln.BulkTriage{Triage: vuln.Triage{State: vuln.StateFalsePositive, Reason: "r"}, Advisory: "GHSA-x", IncludeDecided: true})
		if err != nil || len(out) != 1 || out[0].Service != "checkout" {
			t.Fatalf("scoped bulk triage: %+v %v", out, err)
		}
		if f, _, _ := w.svc.Finding(w.ctx, ids["search"][0]); f.State != vuln.StateInTriage {
			t.Errorf("bulk triage reached another team: %s", f.State)
		}
		if _, err := w.svc.ImportAdvisories(scoped, oracleRecords, nil); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("scoped advisory import: %v", err)
		}
		if err := w.svc.SetPolicy(scoped, vuln.DefaultPolicy()); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("scoped policy change: %v", err)
		}
		if _, err := w.svc.Scan(scoped, []vuln.File{{Name: "x", Data: readFile(t, oracleSBOM)}}, vuln.ScanOptions{Service: "search"}); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("scoped scan recorded for another team: %v", err)
		}
		r, err := w.svc.Report(scoped, w.clock.t.AddDate(0, -1, 0), w.clock.t.AddDate(0, 0, 1), "", w.db.AuditHead)
		if err != nil || r.Summary.Findings != 1 {
			t.Errorf("scoped report: %+v %v", r, err)
		}
		var buf bytes.Buffer
		if err := w.svc.ExportVEX(scoped, &buf, "", vuln.VEXOpenVEX); err != nil || bytes.Contains(buf.Bytes(), []byte("search")) {
			t.Errorf("scoped VEX export: %v", err)
		}
		m, err := w.svc.Metrics(scoped, vuln.Scope{}, w.clock.t.AddDate(0, -1, 0))
		if err != nil || m.Current.InventoryCoverage.Total != 1 {
			t.Errorf("scoped metrics cover %d services: %v", m.Current.InventoryCoverage.Total, err)
		}
	})
}
