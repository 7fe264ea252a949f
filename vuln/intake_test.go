package vuln_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

const (
	oracleRecords = "osv/testdata/oracle/records"
	oracleSBOM    = "osv/testdata/oracle/mini.cdx.json"
	oracleWant    = "osv/testdata/oracle/mini.expected.json"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// byPurl groups a scan's advisory ids per component.
func byPurl(r *vuln.ScanResult) map[string][]string {
	out := map[string][]string{}
	for _, f := range r.Findings {
		out[f.Purl] = append(out[f.Purl], f.ID)
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out
}

// TestScanMatchesOSVScanner scans the mini oracle case through the whole
// path (import into the store, SBOM reader, matcher) and requires
// osv-scanner's ids for every component.
func TestScanMatchesOSVScanner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		res, err := w.svc.ImportAdvisories(w.ctx, oracleRecords, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != res.Read || res.Changed != res.Imported || res.Imported < 70 {
			t.Fatalf("import: %+v", res)
		}
		scan, err := w.svc.Scan(w.ctx, []vuln.File{{Name: "mini.cdx.json", Data: readFile(t, oracleSBOM)}}, vuln.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var want map[string][]string
		if err := json.Unmarshal(readFile(t, oracleWant), &want); err != nil {
			t.Fatal(err)
		}
		// osv-scanner misses these (documented and checked in
		// vuln/osv/oracle_test.go): Go module paths with capitals, and
		// PyPA records whose GIT range comes before the ECOSYSTEM one.
		for purl, extra := range map[string][]string{
			"pkg:golang/github.com/Tencent/WeKnora@v0.2.11": strings.Fields("GO-2026-4628 GO-2026-4637 GO-2026-4638 GO-2026-4640 GO-2026-4641 GO-2026-4642 GO-2026-4643"),
			"pkg:pypi/salt@2015.6":                          {"PYSEC-2017-36", "PYSEC-2017-37"},
		} {
			want[purl] = append(want[purl], extra...)
			sort.Strings(want[purl])
		}
		got := byPurl(scan)
		for purl, ids := range want {
			if !slices.Equal(got[purl], ids) && !(len(ids) == 0 && got[purl] == nil) {
				t.Errorf("%s: got %v, osv-scanner %v", purl, got[purl], ids)
			}
		}
		for _, f := range scan.Findings {
			if f.Severity == "" || f.Fixed == nil || f.Aliases == nil {
				t.Errorf("incomplete finding %+v", f)
			}
		}
		// Importing the same records again changes nothing.
		again, err := w.svc.ImportAdvisories(w.ctx, oracleRecords, nil)
		if err != nil || again.Changed != 0 || again.Rematch.Created != 0 {
			t.Fatalf("re-import: %+v %v", again, err)
		}
	})
}

// TestFindingLifecycleThroughScansAndAdvisories drives a service's
// findings through recording, re-matching after an advisory changes,
// withdrawal, and an upgrade that fixes the rest.
func TestFindingLifecycleThroughScansAndAdvisories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		dir := t.TempDir()
		// Only one record at first.
		src := filepath.Join(oracleRecords, "Go", "GO-2022-0774.json")
		os.WriteFile(filepath.Join(dir, "GO-2022-0774.json"), readFile(t, src), 0o600)
		if _, err := w.svc.ImportAdvisories(w.ctx, dir, nil); err != nil {
			t.Fatal(err)
		}
		sbomData := readFile(t, oracleSBOM)
		scan, err := w.svc.Scan(w.ctx, []vuln.File{{Name: "mini.cdx.json", Data: sbomData}}, vuln.ScanOptions{Service: "checkout"})
		if err != nil {
			t.Fatal(err)
		}
		if len(scan.Findings) != 1 || scan.Findings[0].Finding == "" || scan.Findings[0].State != vuln.StateInTriage {
			t.Fatalf("first recorded scan: %+v", scan.Findings)
		}
		traefik := scan.Findings[0].Finding

		// Every other record arrives later: re-matching finds the rest of
		// the service's findings without a rescan, detected now.
		w.clock.t = w.clock.t.Add(24 * time.Hour)
		res, err := w.svc.ImportAdvisories(w.ctx, oracleRecords, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rematch.Created == 0 {
			t.Fatalf("re-match created nothing: %+v", res.Rematch)
		}
		open, _, err := w.svc.ListFindings(w.ctx, vuln.FindingFilter{Service: "checkout", State: "open", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1+res.Rematch.Created {
			t.Fatalf("open findings %d, want %d", len(open), 1+res.Rematch.Created)
		}
		for _, f := range open {
			if f.ID != traefik && !f.DetectedAt.Equal(w.clock.t) {
				t.Errorf("%s detected %v, want the re-match time %v", f.ID, f.DetectedAt, w.clock.t)
			}
		}

		// The advisory is withdrawn: its finding resolves with that reason.
		var rec map[string]any
		json.Unmarshal(readFile(t, src), &rec)
		w.clock.t = w.clock.t.Add(24 * time.Hour)
		rec["withdrawn"] = w.clock.t.Format(time.RFC3339)
		rec["modified"] = w.clock.t.Format(time.RFC3339)
		b, _ := json.Marshal(rec)
		wd := t.TempDir()
		os.WriteFile(filepath.Join(wd, "GO-2022-0774.json"), b, 0o600)
		if _, err := w.svc.ImportAdvisories(w.ctx, wd, nil); err != nil {
			t.Fatal(err)
		}
		f, history, err := w.svc.Finding(w.ctx, traefik)
		if err != nil {
			t.Fatal(err)
		}
		if f.State != vuln.StateResolved || f.Resolution != vuln.ResolutionWithdrawn || len(history) != 2 {
			t.Fatalf("after withdrawal: %+v %+v", f, history)
		}

		// A new inventory without the vulnerable components: everything
		// else resolves as fixed.
		w.clock.t = w.clock.t.Add(24 * time.Hour)
		empty := `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"x","version":"1","purl":"pkg:pypi/x@1"}]}`
		if _, err := w.svc.Scan(w.ctx, []vuln.File{{Name: "next.cdx.json", Data: []byte(empty)}}, vuln.ScanOptions{Service: "checkout"}); err != nil {
			t.Fatal(err)
		}
		all, _, err := w.svc.ListFindings(w.ctx, vuln.FindingFilter{Service: "checkout", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range all {
			if f.State != vuln.StateResolved || (f.ID != traefik && f.Resolution != vuln.ResolutionFixed) {
				t.Errorf("after the upgrade %s is %s/%s", f.ID, f.State, f.Resolution)
			}
		}
		inv, err := w.svc.Inventory(w.ctx, "checkout")
		if err != nil || len(inv.Components) != 1 || inv.Source != "next.cdx.json" {
			t.Fatalf("inventory: %+v %v", inv, err)
		}
	})
}

func TestScanBadInput(t *testing.T) {
	w := newWorld(t, storetest.DSN(t, "sqlite"))
	for name, data := range map[string]string{
		"garbage":  "not an sbom",
		"bad json": `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"purl":}]}`,
	} {
		_, err := w.svc.Scan(w.ctx, []vuln.File{{Name: name + ".json", Data: []byte(data)}}, vuln.ScanOptions{Service: "checkout"})
		if err == nil || !strings.Contains(err.Error(), name+".json") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := w.svc.Inventory(w.ctx, "checkout"); err == nil {
		t.Error("a failed scan recorded an inventory")
	}
	if _, err := w.svc.Scan(w.ctx, []vuln.File{{Name: "x.json", Data: readFile(t, oracleSBOM)}}, vuln.ScanOptions{Service: "nope"}); err == nil {
		t.Error("scan recorded for an unknown service")
	}
}
