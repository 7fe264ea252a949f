package gate

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

func ptr[T any](v T) *T { return &v }

// finding returns a scan finding; aliases and fixed versions follow in
// that order as "CVE-..." and "fix:..." strings.
func finding(id, severity, purl string, extra ...string) vuln.ScanFinding {
	f := vuln.ScanFinding{ID: id, Severity: severity, Purl: purl, Aliases: []string{}, Fixed: []string{}}
	for _, x := range extra {
		if v, ok := strings.CutPrefix(x, "fix:"); ok {
			f.Fixed = append(f.Fixed, v)
		} else {
			f.Aliases = append(f.Aliases, x)
		}
	}
	return f
}

func withState(f vuln.ScanFinding, state string) vuln.ScanFinding { f.State = state; return f }
func withKEV(f vuln.ScanFinding) vuln.ScanFinding                 { f.KEV = true; return f }

func status(name, st string, left float64) slo.Status {
	s := slo.Status{Name: name, Service: "checkout", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Objective: 0.99,
		Status: st, BurnRates: map[string]float64{"1h": 2.5}}
	if st != slo.StatusNoData {
		sli := 1 - (1-left)*0.01
		s.SLI, s.ErrorBudgetRemaining = &sli, &left
	}
	return s
}

var (
	critical = finding("GHSA-crit-0000-0001", "critical", "pkg:pypi/x@1.0", "CVE-2024-1234", "fix:1.1")
	high     = finding("GHSA-high-0000-0002", "high", "pkg:npm/y@2.0", "CVE-2024-2222", "fix:2.0.1", "fix:3.0")
	medium   = finding("PYSEC-2024-3", "medium", "pkg:pypi/z@0.1")
	kevLow   = withKEV(finding("CVE-2023-9999", "low", "pkg:golang/example.com/m@v1.0.0", "fix:v1.0.1"))
)

func reasonsOf(d *Decision, outcome string) []Reason {
	var out []Reason
	for _, r := range d.Reasons {
		if r.Outcome == outcome {
			out = append(out, r)
		}
	}
	return out
}

func hasReason(d *Decision, outcome, rule, text string) bool {
	for _, r := range d.Reasons {
		if r.Outcome == outcome && r.Rule == rule && strings.Contains(r.Message, text) {
			return true
		}
	}
	return false
}

func dump(d *Decision) string {
	var b strings.Builder
	for _, r := range d.Reasons {
		b.WriteString("\n  " + r.Outcome + " " + r.Rule + ": " + r.Message)
	}
	return b.String()
}

func TestDefaultPolicy(t *testing.T) {
	type want struct{ outcome, rule, text string }
	tests := []struct {
		name string
		in   Input
		want want
	}{
		{"nothing changes", Input{}, want{Pass, ruleCritical, "adds no open critical finding"}},
		{"critical added", Input{Introduced: []vuln.ScanFinding{critical}},
			want{Fail, ruleCritical, "adds critical CVE-2024-1234 (GHSA-crit-0000-0001) in pkg:pypi/x@1.0; fixed in 1.1"}},
		{"KEV added", Input{Introduced: []vuln.ScanFinding{kevLow}},
			want{Fail, ruleKEV, "adds low CVE-2023-9999 in pkg:golang/example.com/m@v1.0.0, listed in CISA KEV as exploited in the wild; fixed in v1.0.1"}},
		{"high added", Input{Introduced: []vuln.ScanFinding{high}},
			want{Warn, ruleHigh, "adds high CVE-2024-2222 (GHSA-high-0000-0002) in pkg:npm/y@2.0; fixed in 2.0.1, 3.0"}},
		{"medium added", Input{Introduced: []vuln.ScanFinding{medium}}, want{Pass, ruleHigh, "adds no open high finding"}},
		{"only removals, budget exhausted", Input{Removed: []vuln.ScanFinding{critical}, SLOs: []slo.Status{status("remediation", slo.StatusExhausted, -0.5)}},
			want{Pass, ruleBudgetExhausted, "has exhausted its error budget, but the change adds no open finding"}},
		{"budget exhausted, medium added", Input{Introduced: []vuln.ScanFinding{medium}, SLOs: []slo.Status{status("remediation", slo.StatusExhausted, -0.5)}},
			want{Fail, ruleBudgetExhausted, "security SLO remediation has exhausted its error budget (-50.0% left) and the change adds 1 open finding (1 medium)"}},
		{"budget exhausted, only a not_affected finding added", Input{Introduced: []vuln.ScanFinding{withState(medium, vuln.StateNotAffected)}, SLOs: []slo.Status{status("remediation", slo.StatusExhausted, 0)}},
			want{Pass, ruleBudgetExhausted, "adds no open finding"}},
		{"not_affected critical ignored", Input{Introduced: []vuln.ScanFinding{withState(critical, vuln.StateNotAffected)}},
			want{Pass, ruleNotCounted, "adds critical CVE-2024-1234 (GHSA-crit-0000-0001) in pkg:pypi/x@1.0, not counted: not_affected"}},
		{"false_positive KEV ignored", Input{Introduced: []vuln.ScanFinding{withState(kevLow, vuln.StateFalsePositive)}}, want{Pass, ruleKEV, "adds no open KEV-listed finding"}},
		{"accepted critical ignored", Input{Introduced: []vuln.ScanFinding{withState(critical, StateAccepted)}}, want{Pass, ruleNotCounted, "not counted: accepted"}},
		{"exploitable critical counts", Input{Introduced: []vuln.ScanFinding{withState(critical, vuln.StateExploitable)}}, want{Fail, ruleCritical, "CVE-2024-1234"}},
		{"unknown state counts", Input{Introduced: []vuln.ScanFinding{withState(critical, "acepted")}}, want{Fail, ruleCritical, "CVE-2024-1234"}},
		{"SLO in warning", Input{SLOs: []slo.Status{status("exposure", slo.StatusWarning, 0.2)}}, want{Warn, ruleBudgetWarning, "security SLO exposure is burning its error budget fast or has little left (20.0% left)"}},
		{"SLO without data", Input{SLOs: []slo.Status{status("mfa", slo.StatusNoData, 0)}}, want{Warn, ruleSLONoData, "security SLO mfa has no data"}},
		{"SLOs fine", Input{SLOs: []slo.Status{status("mfa", slo.StatusOK, 0.9)}}, want{Pass, ruleBudgetWarning, "every security SLO of checkout is within budget"}},
		{"open incidents", Input{OpenIncidents: 2}, want{Warn, ruleIncidents, "2 open security incidents on checkout"}},
		{"incidents unknown", Input{OpenIncidents: -1}, want{Pass, ruleIncidents, "not checked"}},
		{"missing data fails closed", Input{Missing: []string{"slo budgets: database unavailable", "current inventory"}},
			want{Fail, ruleMissingData, "data the policy needs is missing: current inventory; slo budgets: database unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Service = "checkout"
			d, err := Decide(tt.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tt.want.outcome {
				t.Errorf("outcome = %s, want %s%s", d.Outcome, tt.want.outcome, dump(d))
			}
			if !hasReason(d, tt.want.outcome, tt.want.rule, tt.want.text) {
				t.Errorf("no %s reason %s containing %q%s", tt.want.outcome, tt.want.rule, tt.want.text, dump(d))
			}
			if d.Policy != DefaultPolicyName {
				t.Errorf("policy = %q", d.Policy)
			}
		})
	}
}

// The outcome is the most severe reason, and reasons come failures first,
// then warnings, then passes.
func TestOutcomeAndOrder(t *testing.T) {
	d, err := Decide(Input{Service: "checkout", Introduced: []vuln.ScanFinding{medium, high, critical}, OpenIncidents: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Fail {
		t.Fatalf("outcome = %s%s", d.Outcome, dump(d))
	}
	last := 3
	for _, r := range d.Reasons {
		if k := outcomeRank(r.Outcome); k > last {
			t.Fatalf("reasons out of order:%s", dump(d))
		} else {
			last = k
		}
	}
	if n := len(reasonsOf(d, Warn)); n != 2 {
		t.Errorf("%d warn reasons, want 2 (high, incidents)%s", n, dump(d))
	}
}

func TestMissingDataSetting(t *testing.T) {
	for _, setting := range []string{Fail, Warn, Pass} {
		t.Run(setting, func(t *testing.T) {
			p, err := NewPolicy("gates:checkout", setting, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decide(Input{Service: "checkout", Missing: []string{"current inventory"}}, p)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != setting {
				t.Errorf("outcome = %s, want %s%s", d.Outcome, setting, dump(d))
			}
			if !hasReason(d, setting, ruleMissingData, "current inventory") {
				t.Errorf("no missing-data reason%s", dump(d))
			}
		})
	}
	// A pass setting does not hide what the rules found.
	p, _ := NewPolicy("x", Pass, nil)
	d, _ := Decide(Input{Service: "checkout", Missing: []string{"slo budgets"}, Introduced: []vuln.ScanFinding{critical}}, p)
	if d.Outcome != Fail {
		t.Errorf("onMissingData pass let a critical finding through:%s", dump(d))
	}
}

// The security-fix rule does not lower the missing-data outcome: with the
// inventory missing, "adds nothing" cannot be trusted.
func TestMissingDataNotLoweredBySecurityFix(t *testing.T) {
	d, err := Decide(Input{Service: "checkout", Removed: []vuln.ScanFinding{critical}, Missing: []string{"slo budgets"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Fail || !hasReason(d, Pass, ruleSecurityFix, "never blocked") {
		t.Errorf("outcome = %s%s", d.Outcome, dump(d))
	}
}

func TestDecideInvalid(t *testing.T) {
	if _, err := Decide(Input{}, nil); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Errorf("no service: %v", err)
	}
	if _, err := Decide(Input{Service: "s"}, &Policy{Name: "x", OnMissingData: "maybe"}); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Errorf("bad onMissingData: %v", err)
	}
	hand := &Policy{Name: "x", OnMissingData: Fail, Rules: []Rule{{Name: "r", When: "true", Outcome: Fail}}}
	if _, err := Decide(Input{Service: "s"}, hand); palisade.ErrorCode(err) != palisade.EINTERNAL {
		t.Errorf("uncompiled rule: %v", err)
	}
}

// Decide does not change its input, and its variables do not depend on the
// input's order.
func TestDecideInputUntouched(t *testing.T) {
	in := Input{Service: "checkout", Introduced: []vuln.ScanFinding{medium, critical, high}, SLOs: []slo.Status{status("b", slo.StatusOK, 0.5), status("a", slo.StatusOK, 0.5)}}
	before, _ := json.Marshal(in)
	d1, err := Decide(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(in)
	if string(before) != string(after) {
		t.Error("Decide changed its input")
	}
	in.Introduced = []vuln.ScanFinding{high, critical, medium}
	in.SLOs = []slo.Status{in.SLOs[1], in.SLOs[0]}
	d2, _ := Decide(in, nil)
	j1, _ := json.Marshal(d1)
	j2, _ := json.Marshal(d2)
	if string(j1) != string(j2) {
		t.Errorf("decision depends on input order:\n%s\n%s", j1, j2)
	}
}

func TestVariables(t *testing.T) {
	in := Input{Service: "checkout", Tier: 1, Change: "PR-7", Introduced: []vuln.ScanFinding{withKEV(critical), withState(high, vuln.StateNotAffected), medium},
		Removed: []vuln.ScanFinding{kevLow}, SLOs: []slo.Status{status("mfa", slo.StatusNoData, 0)}, OpenIncidents: -1}
	in.Introduced[0].EPSS, in.Introduced[0].CVSS = ptr(0.42), ptr(9.8)
	d, err := Decide(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := envFromVariables(d.Variables)
	if e.Counts.Introduced != 2 || e.Counts.IntroducedKEV != 1 || e.Counts.Suppressed != 1 || e.Counts.Removed != 1 ||
		e.Counts.IntroducedBySeverity["critical"] != 1 || e.Counts.IntroducedBySeverity["high"] != 0 || len(e.Counts.IntroducedBySeverity) != 5 {
		t.Errorf("counts = %+v", e.Counts)
	}
	if f := e.Introduced[0]; f.ID != critical.ID || !f.HasEPSS || f.EPSS != 0.42 || !f.HasCVSS || f.CVSS != 9.8 || f.State != vuln.StateInTriage {
		t.Errorf("introduced[0] = %+v", f)
	}
	if f := e.Introduced[1]; f.HasEPSS || f.HasCVSS || f.EPSS != 0 {
		t.Errorf("introduced[1] = %+v", f)
	}
	if s := e.SLOs[0]; s.HasData || s.BudgetRemaining != 0 || s.Status != slo.StatusNoData {
		t.Errorf("slo = %+v", s)
	}
	if e.Tier != 1 || e.Change != "PR-7" || e.OpenIncidents != -1 || len(e.Missing) != 0 {
		t.Errorf("env = %+v", e)
	}
}

// Policies are shared by concurrent requests; run with -race.
func TestDecideConcurrent(t *testing.T) {
	p, err := NewPolicy("gates:checkout", "", []Rule{
		{Name: "crit", When: `any(introduced, .severity == "critical")`, Outcome: Fail},
		{Name: "many", When: `count(introduced, all(introduced, true)) > 1`, Outcome: Warn},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := Input{Service: "checkout", Introduced: []vuln.ScanFinding{medium, high}}
			want := Warn
			if i%2 == 0 {
				in.Introduced = append(in.Introduced, critical)
				want = Fail
			}
			for j := 0; j < 20; j++ {
				d, err := Decide(in, p)
				if err != nil || d.Outcome != want {
					t.Errorf("outcome = %v %v, want %s", d, err, want)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}
