package gate

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gate -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test ./gate -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func renderCases(t *testing.T) map[string]*Decision {
	t.Helper()
	odd := finding("GHSA-odd|0001", "medium", "pkg:pypi/typing_extensions@4.0|x", "fix:4.1")
	kevCrit := withKEV(finding("GO-2024-0001", "critical", "pkg:golang/example.com/m@v1.0.0", "CVE-2024-0001", "GHSA-aaaa-bbbb-cccc", "fix:v1.0.1"))
	kevCrit.EPSS, kevCrit.CVSS = ptr(0.97), ptr(9.8)
	failing := Input{
		Service: "checkout", Tier: 1, Change: "PR #42",
		Introduced: []vuln.ScanFinding{medium, high, kevCrit, withState(critical, vuln.StateNotAffected), withState(odd, StateAccepted)},
		Removed:    []vuln.ScanFinding{kevLow, finding("GHSA-gone-0000-0001", "high", "pkg:npm/old@1.0")},
		SLOs: []slo.Status{status("remediation-7d", slo.StatusExhausted, -0.25), status("exposure", slo.StatusWarning, 0.125),
			status("mfa-coverage", slo.StatusNoData, 0), status("tls", slo.StatusOK, 0.9)},
		OpenIncidents: 1,
		Missing:       []string{"current inventory: database unavailable"},
	}
	fail, err := Decide(failing, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy("gates:cart", "", []Rule{
		{Name: "freeze", When: `any(slos, .status == "exhausted")`, Outcome: Fail, Message: "a security SLO is out of budget: changes are frozen"},
		{Name: "many-medium", When: "counts.introducedBySeverity.medium > 3", Outcome: Warn},
	})
	if err != nil {
		t.Fatal(err)
	}
	fix, err := Decide(Input{Service: "cart", Removed: []vuln.ScanFinding{critical}, SLOs: []slo.Status{status("remediation-7d", slo.StatusExhausted, -1)}, OpenIncidents: -1}, p)
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := Decide(Input{Service: "search", OpenIncidents: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*Decision{"fail": fail, "fix": fix, "pass": quiet}
}

func TestRenderGolden(t *testing.T) {
	for name, d := range renderCases(t) {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".md", d.Markdown())
			golden(t, name+".txt", d.Text())
		})
	}
}

// A decision that went through the API's JSON renders exactly as the one
// Decide returned: the CLI renders what the server decided.
func TestRenderAfterJSON(t *testing.T) {
	for name, d := range renderCases(t) {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back Decision
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Markdown() != d.Markdown() || back.Text() != d.Text() {
			t.Errorf("%s: rendering changed after a JSON round trip", name)
		}
	}
}

func TestRenderEscapes(t *testing.T) {
	evil := finding("GHSA-x\x1b[31m", "high", "pkg:npm/@evil/<script>alert(1)</script>@1|2")
	d, err := Decide(Input{Service: "check<out>", Change: "main\n## injected", Introduced: []vuln.ScanFinding{evil}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	md := d.Markdown()
	// Code spans show their content literally: only the text outside them
	// must be escaped.
	var outside strings.Builder
	for i, part := range strings.Split(md, "`") {
		if i%2 == 0 {
			outside.WriteString(part)
		}
	}
	if !strings.Contains(outside.String(), "&lt;script&gt;") {
		t.Errorf("purl in a reason not escaped:\n%s", md)
	}
	for _, bad := range []string{"<script>", "\x1b", "\n## injected", "check<out>"} {
		if strings.Contains(outside.String(), bad) || (bad != "<script>" && strings.Contains(md, bad)) {
			t.Errorf("markdown contains %q:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, "<!-- palisade-gate:check-out- -->") {
		t.Errorf("marker:\n%s", md)
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| high |") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 7 {
			t.Errorf("a value broke the table: %s", line)
		}
	}
	txt := d.Text()
	if strings.Contains(txt, "\x1b") || strings.Contains(txt, "\n## injected") {
		t.Errorf("text contains control characters:\n%q", txt)
	}
}
