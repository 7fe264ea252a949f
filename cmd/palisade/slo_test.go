package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sloConfig = `
slos:
  - name: checkout-remediation
    service: checkout
    objective: 99
    window: 28d
    indicator:
      remediation: {severities: [critical, high]}
  - name: checkout-logins
    service: checkout
    objective: 99.9
    window: 30d
    indicator:
      events: {}
gates:
  - service: search
    rules:
      - name: nothing-new
        when: 'len(introduced) > 0'
        outcome: fail
        message: 'search takes no new findings at all'
`

// TestSLOsAndGateFromTheCLI: objectives declared in palisade.yaml, events
// pushed, statuses read, and the change gate deciding with its exit codes.
func TestSLOsAndGateFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	local := map[string]string{"PALISADE_DB": filepath.Join(dir, "p.db")}
	run := func(stdin string, want int, args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, local, stdin, args...)
		if code != want {
			t.Fatalf("palisade %s: exit %d, want %d\nstdout: %.2000s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out
	}
	cfg := filepath.Join(dir, "slos.yaml")
	os.WriteFile(cfg, []byte(sloConfig), 0o600)
	run("", 0, "apply", "-f", "../../examples/palisade.yaml", "-f", cfg)
	if out := run("", 0, "slo", "list"); !strings.Contains(out, "checkout-logins") || !strings.Contains(out, "no_data") {
		t.Errorf("slo list: %s", out)
	}
	now := time.Now().UTC()
	events := fmt.Sprintf(`{"events":[{"time":%q,"good":999,"total":1000,"id":"a"},{"time":%q,"good":1000,"total":1000,"id":"b"}]}`,
		now.Add(-10*time.Minute).Format(time.RFC3339), now.Add(-5*time.Minute).Format(time.RFC3339))
	if out := run(events, 0, "slo", "push", "checkout-logins", "-"); !strings.Contains(out, "2 counted") {
		t.Errorf("push: %s", out)
	}
	if out := run(events, 0, "slo", "push", "checkout-logins", "-"); !strings.Contains(out, "0 counted") {
		t.Errorf("repeated push: %s", out)
	}
	out := run("", 0, "slo", "show", "checkout-logins", "--format", "json")
	if !strings.Contains(out, `"sli": 0.9995`) || !strings.Contains(out, `"errorBudgetRemaining": 0.5`) {
		t.Errorf("slo show: %s", out)
	}
	// OpenSLO out and back in changes nothing; rules for Prometheus SLOs.
	exported := run("", 0, "slo", "export")
	if !strings.Contains(exported, "kind: SLO") || !strings.Contains(exported, "checkout-logins") {
		t.Errorf("export: %.500s", exported)
	}
	if out := run(exported, 0, "slo", "import", "-", "--format", "json"); !strings.Contains(out, `"created": 0`) || !strings.Contains(out, `"updated": 0`) {
		t.Errorf("re-import of the export: %s", out)
	}
	prom := filepath.Join(dir, "prom.yaml")
	os.WriteFile(prom, []byte("slos:\n  - name: api-availability\n    service: api-gateway\n    objective: 99.9\n    window: 30d\n    indicator:\n      prometheus:\n        server: http://127.0.0.1:9090\n        bad: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))\n        total: sum(rate(http_requests_total[{{.window}}]))\n"), 0o600)
	run("", 0, "apply", "-f", prom)
	rules := run("", 0, "slo", "rules", "--format", "prometheus")
	if !strings.Contains(rules, "api-availability") || !strings.Contains(rules, "14.4") {
		t.Errorf("rules: %.800s", rules)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		rf := filepath.Join(dir, "rules.yml")
		os.WriteFile(rf, []byte(rules), 0o600)
		if out, err := exec.Command(promtool, "check", "rules", rf).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, out)
		}
	}
	run("", 2, "slo", "rules", "--format", "sloth")
	run("", 0, "slo", "check", "checkout", "mfa", "--ok")
	run("", 2, "slo", "check", "checkout", "mfa")

	// The gate: no current inventory is missing data, which fails closed.
	run("", 0, "db", "import", testRecords)
	out = run("", 1, "gate", "--service", "checkout", "--sbom", testSBOM, "--change", "PR-7")
	if !strings.Contains(out, "FAIL") || !strings.Contains(out, "current inventory") {
		t.Errorf("gate without inventory: %s", out)
	}
	// With the inventory recorded, the same SBOM changes nothing: pass.
	run("", 1, "scan", "--service", "checkout", testSBOM)
	out = run("", 0, "gate", "--service", "checkout", "--sbom", testSBOM, "--format", "markdown")
	if !strings.Contains(out, "PASS") {
		t.Errorf("gate on an unchanged inventory: %s", out)
	}
	// An SBOM without the vulnerable components only removes findings: a
	// security fix passes even under a custom rule.
	fixed := filepath.Join(dir, "fixed.json")
	os.WriteFile(fixed, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"x","version":"1","purl":"pkg:pypi/x@1"}]}`), 0o600)
	run("", 0, "gate", "--service", "checkout", "--sbom", fixed)
	// search's custom rule fails any new finding.
	run("", 0, "scan", "--service", "search", fixed)
	if out := run("", 1, "gate", "--service", "search", "--sbom", testSBOM, "--format", "json"); !strings.Contains(out, "search takes no new findings") {
		t.Errorf("custom rule: %s", out)
	}
	run("", 2, "gate", "--service", "nope", "--sbom", testSBOM)
	run("", 2, "gate", "--service", "checkout", "--sbom", filepath.Join(dir, "missing.json"))
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"bomFormat":"CycloneDX","components":[}`), 0o600)
	run("", 2, "gate", "--service", "checkout", "--sbom", bad)
	if out := run("", 0, "audit", "log", "--action", "gate.", "--format", "json"); strings.Count(out, `"gate.decide"`) < 4 {
		t.Errorf("gate decisions not audited: %.500s", out)
	}
}
