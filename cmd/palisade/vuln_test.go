package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade/store/storetest"
)

const (
	testRecords = "../../vuln/osv/testdata/oracle/records"
	testSBOM    = "../../vuln/osv/testdata/oracle/mini.cdx.json"
	testKEV     = "../../vuln/enrich/testdata/kev-excerpt.json"
	testEPSS    = "../../vuln/enrich/testdata/epss-sample.csv.gz"
)

// TestCVEProcessFromTheCLI runs the CVE process the way a user would:
// locally on a database, then against a server with a token.
func TestCVEProcessFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	local := map[string]string{"PALISADE_DB": filepath.Join(dir, "p.db")}
	run := func(env map[string]string, stdin string, want int, args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, env, stdin, args...)
		if code != want {
			t.Fatalf("palisade %s: exit %d, want %d\nstdout: %.1500s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	from, to := time.Now().AddDate(0, -1, 0).Format(time.DateOnly), time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	run(local, "", 0, "apply", "-f", "../../examples/palisade.yaml")
	out := run(local, "", 0, "db", "import", testRecords, "--format", "json")
	var imports []struct{ Imported, Skipped int }
	if err := json.Unmarshal([]byte(out), &imports); err != nil || imports[0].Imported < 70 {
		t.Fatalf("db import: %s", out)
	}
	run(local, "", 0, "db", "kev", testKEV)
	run(local, "", 0, "db", "epss", testEPSS)
	if out := run(local, "", 0, "db", "status"); !strings.Contains(out, "PyPI") || !strings.Contains(out, "Go") {
		t.Errorf("db status: %s", out)
	}

	// Report-only scan: findings mean exit 1; --fail-on never means 0.
	out = run(local, "", 1, "scan", testSBOM, "--format", "json")
	var scan struct {
		Findings []struct {
			Purl, ID, Severity string
			Aliases, Fixed     []string
			KEV                bool
		}
	}
	if err := json.Unmarshal([]byte(out), &scan); err != nil || len(scan.Findings) < 20 {
		t.Fatalf("scan json: %v %.500s", err, out)
	}
	for _, f := range scan.Findings {
		if f.Purl == "" || f.ID == "" || f.Aliases == nil || f.Fixed == nil {
			t.Fatalf("incomplete scan finding %+v", f)
		}
	}
	run(local, "", 0, "scan", testSBOM, "--fail-on", "never", "--format", "sarif")
	if out := run(local, "", 0, "scan", testSBOM, "--fail-on", "never", "--format", "openvex"); !strings.Contains(out, "openvex") {
		t.Errorf("openvex output: %.300s", out)
	}

	// Record it for checkout, triage one finding, accept another.
	run(local, "", 1, "scan", "--service", "checkout", testSBOM)
	out = run(local, "", 0, "findings", "list", "--service", "checkout", "--format", "json", "--limit", "1000")
	var list struct {
		Items []struct{ ID, Advisory, State string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Items) < 20 {
		t.Fatalf("findings list: %v %.300s", err, out)
	}
	first, second := list.Items[0].ID, list.Items[1].ID
	run(local, "", 0, "findings", "triage", first, "--state", "not_affected", "--justification", "code_not_reachable", "--reason", "never imported")
	run(local, "", 2, "findings", "triage", first, "--state", "not_affected", "--reason", "no justification")
	run(local, "", 0, "findings", "accept", second, "--reason", "fix next sprint", "--requested-by", "payments-team", "--until", time.Now().AddDate(0, 2, 0).Format(time.DateOnly))
	if out := run(local, "", 0, "findings", "show", first); !strings.Contains(out, "never imported") || !strings.Contains(out, "triaged") {
		t.Errorf("findings show: %s", out)
	}
	if out := run(local, "", 0, "vex", "export", "--service", "checkout"); !strings.Contains(out, "not_affected") {
		t.Errorf("vex export: %.300s", out)
	}
	report := filepath.Join(dir, "report.html")
	run(local, "", 0, "audit", "report", "--from", from, "--to", to, "--format", "html", "-o", report)
	if b, _ := os.ReadFile(report); !strings.Contains(string(b), "never imported") && !strings.Contains(string(b), "code_not_reachable") {
		t.Errorf("report lacks the decision")
	}
	run(local, "", 2, "audit", "report", "--from", from, "--to", to, "--format", "pdf")
	if out := run(local, "", 0, "findings", "metrics", "--service", "checkout"); !strings.Contains(out, "Open findings") {
		t.Errorf("metrics: %s", out)
	}
	if out := run(local, "", 0, "audit", "verify"); !strings.Contains(out, "intact") {
		t.Errorf("audit chain after the CVE process: %s", out)
	}

	// The same against a server.
	storetest.Each(t, func(t *testing.T, dsn string) {
		a := startApp(t, dsn, map[string]string{"PALISADE_ADMIN_TOKEN": adminToken}, "--config", "../../examples/palisade.yaml")
		srv := map[string]string{"PALISADE_SERVER": a.url, "PALISADE_TOKEN": adminToken}
		run(srv, "", 0, "db", "import", testRecords+"/PyPI/PYSEC-2018-51.json")
		run(srv, "", 2, "db", "import", testRecords) // directories are local only
		run(srv, "", 0, "db", "kev", testKEV)
		out := run(srv, "", 1, "scan", "--service", "search", testSBOM, "--format", "json")
		if !strings.Contains(out, "PYSEC-2018-51") || !strings.Contains(out, `"finding"`) {
			t.Fatalf("remote scan: %.500s", out)
		}
		out = run(srv, "", 0, "findings", "list", "--advisory", "PYSEC-2018-51", "--format", "json")
		if !strings.Contains(out, "search") {
			t.Fatalf("remote findings: %s", out)
		}
		run(srv, "", 0, "findings", "triage", "--advisory", "PYSEC-2018-51", "--state", "exploitable", "--reason", "reachable")
		run(srv, "", 0, "audit", "report", "--from", from, "--to", to, "--format", "csv")
		run(srv, "", 0, "vex", "export", "--format", "cyclonedx")
	})
}
