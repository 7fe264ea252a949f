package vuln_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
	"github.com/palisade-project/palisade/vuln/vex"
)

// TestVEXInAndOut applies the CycloneDX VEX example (CycloneDX's
// bom-examples, copied in vuln/vex/testdata) to a finding for the same
// component and advisory, then exports the decision and reads it back.
func TestVEXInAndOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		w := newWorld(t, dsn)
		a := &vuln.Advisory{ID: "GHSA-57j2-w4cx-62h2", Aliases: []string{"CVE-2020-25649"}, Severity: "high"}
		purl := "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
		comp := vuln.Component{Purl: purl, Ecosystem: "Maven", Name: "com.fasterxml.jackson.core:jackson-databind", Version: "2.10.0"}
		other := vuln.Component{Purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.0", Ecosystem: "Maven", Name: comp.Name, Version: "2.9.0"}
		ch := vuln.Reconcile([]vuln.Match{{Service: "checkout", Component: comp, Advisory: a}, {Service: "search", Component: other, Advisory: a}},
			nil, nil, w.clock.t, vuln.DefaultPolicy(), func(string) int { return 1 })
		if err := w.db.ApplyChanges(w.ctx, ch); err != nil {
			t.Fatal(err)
		}
		res, err := w.svc.ImportVEX(w.ctx, "vex.json", readFile(t, "vex/testdata/cyclonedx-vex.json"), "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Statements != 1 || res.Applied != 1 || len(res.Unmatched) != 0 {
			t.Fatalf("import: %+v", res)
		}
		fs, _, err := w.svc.ListFindings(w.ctx, vuln.FindingFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			switch f.Service {
			case "checkout":
				if f.State != vuln.StateNotAffected || f.Justification != "code_not_reachable" {
					t.Errorf("checkout finding after VEX: %s/%s", f.State, f.Justification)
				}
			case "search":
				if f.State != vuln.StateInTriage {
					t.Errorf("the statement changed another version's finding: %s", f.State)
				}
			}
		}
		for _, format := range []string{vuln.VEXOpenVEX, vuln.VEXCycloneDX} {
			var buf bytes.Buffer
			if err := w.svc.ExportVEX(w.ctx, &buf, "checkout", format); err != nil {
				t.Fatal(err)
			}
			st, err := vex.Read("export."+format, buf.Bytes())
			if err != nil {
				t.Fatalf("%s export does not read back: %v\n%s", format, err, buf.String())
			}
			if len(st) != 1 || st[0].State != vuln.StateNotAffected || st[0].Vulnerability != a.ID || !strings.Contains(strings.Join(st[0].Products, " "), "jackson-databind") {
				t.Errorf("%s export: %+v", format, st)
			}
		}
		bad := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,
			"statements":[{"vulnerability":{"name":"CVE-2020-25649"},"products":[{"@id":"` + purl + `"}],"status":"maybe"}]}`
		if _, err := w.svc.ImportVEX(w.ctx, "bad.json", []byte(bad), ""); palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), `"maybe"`) {
			t.Errorf("unknown status: %v", err)
		}
	})
}
