package gate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

func rule(name, when, outcome string) Rule {
	return Rule{Name: name, When: when, Outcome: outcome, Loc: catalog.Loc{File: "palisade.yaml", Line: 7, Col: 15}}
}

func mustPolicy(t *testing.T, rules ...Rule) *Policy {
	t.Helper()
	p, err := NewPolicy("gates:checkout", "", rules)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCustomRules(t *testing.T) {
	epss := withKEV(high)
	epss.EPSS = ptr(0.3)
	base := Input{Service: "checkout", Tier: 1, Change: "PR-1", Introduced: []vuln.ScanFinding{epss, medium},
		Removed: []vuln.ScanFinding{kevLow}, SLOs: []slo.Status{status("exposure", slo.StatusWarning, 0.05)}, OpenIncidents: 0}
	tests := []struct {
		name    string
		when    string
		outcome string
		want    string // decision outcome
	}{
		{"brief example", `count(introduced, {.severity in ["critical","high"] && .epss > 0.1}) > 0`, Fail, Fail},
		{"budget low warns", `any(slos, {.budgetRemaining < 0.1})`, Warn, Warn},
		{"not holding passes", `counts.introducedBySeverity.critical > 0`, Fail, Pass},
		{"counts", `counts.introduced == 2 && counts.introducedKEV == 1 && counts.removed == 1 && counts.suppressed == 0`, Fail, Fail},
		{"scalars", `service == "checkout" && tier == 1 && change == "PR-1" && openIncidents == 0 && len(missing) == 0`, Warn, Warn},
		{"aliases and fixed", `any(introduced, "CVE-2024-2222" in .aliases && "3.0" in .fixed)`, Fail, Fail},
		{"removed", `any(removed, .kev && .severity == "low")`, Warn, Warn},
		{"burn rates", `any(slos, (.burnRates["1h"] ?? 0) > 2)`, Warn, Warn},
		{"missing burn window", `any(slos, (.burnRates["5m"] ?? 0) > 2)`, Warn, Pass},
		{"pipes and lets", `let hot = introduced | filter(.hasEpss && .epss >= 0.3); len(hot) == 1 and hot[0].cvss == 0`, Fail, Fail},
		{"aggregates", `max(map(introduced, .epss)) > 0.2 && sum(introduced, .epss) < 1`, Warn, Warn},
		{"nil checks", `find(introduced, .kev) != nil && first(removed) != nil && slos[0].burnRates != nil`, Warn, Warn},
		{"strings", `any(introduced, hasPrefix(.purl, "pkg:npm/") && lower(.severity) == "high" && .id matches "^GHSA-")`, Fail, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule("r", tt.when, tt.outcome)
			r.Message = "custom message"
			d, err := Decide(base, mustPolicy(t, r))
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != tt.want {
				t.Errorf("outcome = %s, want %s%s", d.Outcome, tt.want, dump(d))
			}
			if d.Policy != "gates:checkout" {
				t.Errorf("policy = %q", d.Policy)
			}
			if tt.want != Pass && !hasReason(d, tt.want, "r", "custom message") {
				t.Errorf("no reason with the rule's message%s", dump(d))
			}
			if tt.want == Pass && !hasReason(d, Pass, "r", "does not hold: "+tt.when) {
				t.Errorf("no pass reason%s", dump(d))
			}
		})
	}
}

// Custom rules replace the default rules: a critical finding passes a
// policy that does not look at it.
func TestCustomRulesReplaceDefault(t *testing.T) {
	d, err := Decide(Input{Service: "checkout", Introduced: []vuln.ScanFinding{critical}}, mustPolicy(t, rule("kev-only", "counts.introducedKEV > 0", Fail)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Pass || hasReason(d, Fail, ruleCritical, "") {
		t.Errorf("outcome = %s%s", d.Outcome, dump(d))
	}
	r := rule("kev-only", "counts.introducedKEV > 0", Fail)
	r.Message = ""
	d, _ = Decide(Input{Service: "checkout", Introduced: []vuln.ScanFinding{kevLow}}, mustPolicy(t, r))
	if !hasReason(d, Fail, "kev-only", "holds: counts.introducedKEV > 0") {
		t.Errorf("default message missing%s", dump(d))
	}
}

// Suppressed findings are not in introduced; a rule that wants them reads
// suppressed.
func TestCustomRulesSuppressed(t *testing.T) {
	in := Input{Service: "checkout", Introduced: []vuln.ScanFinding{withState(critical, vuln.StateNotAffected), withState(high, StateAccepted)}}
	p := mustPolicy(t,
		rule("any-introduced", "len(introduced) > 0", Fail),
		rule("accepted-high", `any(suppressed, .state == "accepted" && .severity == "high")`, Warn),
	)
	d, err := Decide(in, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Warn || !hasReason(d, Pass, "any-introduced", "") {
		t.Errorf("outcome = %s%s", d.Outcome, dump(d))
	}
}

func TestEvaluationErrorFailsClosed(t *testing.T) {
	tests := []struct{ name, when, want string }{
		{"index out of range", `introduced[0].severity == "critical"`, "out of range"},
		{"nested loops over budget", `all(introduced, all(introduced, all(introduced, true)))`, fmt.Sprintf("the rule spent its evaluation budget of %d steps", StepBudget)},
		{"in over a large list in a loop", `let ids = map(introduced, .id); all(introduced, all(introduced, .id in ids))`, "evaluation budget"},
	}
	var many []vuln.ScanFinding
	for i := 0; i < 100; i++ {
		many = append(many, finding(fmt.Sprintf("GHSA-%04d", i), "low", fmt.Sprintf("pkg:pypi/p%d@1", i)))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Service: "checkout", Introduced: many}
			if tt.name == "index out of range" {
				in.Introduced = nil
			}
			d, err := Decide(in, mustPolicy(t, rule("r", tt.when, Warn)))
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != Fail || !hasReason(d, Fail, "r", "could not be evaluated, so it fails closed: ") || !hasReason(d, Fail, "r", tt.want) {
				t.Errorf("outcome = %s%s", d.Outcome, dump(d))
			}
		})
	}
	// Within budget, the same nested loop works.
	d, _ := Decide(Input{Service: "checkout", Introduced: many[:10]}, mustPolicy(t, rule("r", `all(introduced, all(introduced, all(introduced, true)))`, Warn)))
	if d.Outcome != Warn {
		t.Errorf("small nested loop: %s%s", d.Outcome, dump(d))
	}
}

// The hard rule: a change that only removes findings never fails on the
// rules, whatever they say, and says so.
func TestSecurityFixCannotBeOverridden(t *testing.T) {
	exhausted := []slo.Status{status("remediation", slo.StatusExhausted, -1)}
	p := mustPolicy(t,
		rule("freeze", `any(slos, .status == "exhausted")`, Fail),
		rule("always", `true`, Fail),
		rule("broken", `removed[5].id == ""`, Fail),
		rule("note", `counts.removed > 0`, Warn),
	)
	d, err := Decide(Input{Service: "checkout", Removed: []vuln.ScanFinding{critical, high}, Introduced: []vuln.ScanFinding{withState(medium, vuln.StateNotAffected)}, SLOs: exhausted}, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Warn {
		t.Errorf("outcome = %s, want warn%s", d.Outcome, dump(d))
	}
	if !hasReason(d, Warn, "freeze", "not blocking: the change only removes findings") ||
		!hasReason(d, Pass, ruleSecurityFix, "the change removes 2 findings and adds no open finding: a security fix is never blocked; 3 fail reasons lowered to warn") {
		t.Errorf("reasons%s", dump(d))
	}
	// Adding one open finding, even a low one, is no longer only a fix.
	d, _ = Decide(Input{Service: "checkout", Removed: []vuln.ScanFinding{critical}, Introduced: []vuln.ScanFinding{medium}, SLOs: exhausted}, p)
	if d.Outcome != Fail || hasReason(d, Pass, ruleSecurityFix, "") {
		t.Errorf("fix plus a new finding: %s%s", d.Outcome, dump(d))
	}
	// A change that neither adds nor removes is no fix.
	d, _ = Decide(Input{Service: "checkout", SLOs: exhausted}, p)
	if d.Outcome != Fail {
		t.Errorf("empty change: %s%s", d.Outcome, dump(d))
	}
}

func TestCompileErrors(t *testing.T) {
	long := "true" + strings.Repeat(" && true", MaxExpressionLen/8)
	tests := []struct {
		name string
		r    Rule
		want string
	}{
		{"unknown field", rule("r", `count(introduced, .severty == "high") > 0`, Fail), `palisade.yaml:7:15: rule "r": when: type finding has no field severty (at 1:20 of the expression)`},
		{"unknown variable", rule("r", `vulns > 0`, Fail), `palisade.yaml:7:15: rule "r": when: unknown name vulns (at 1:1 of the expression)`},
		{"syntax", rule("r", `count(introduced,`, Fail), `palisade.yaml:7:15: rule "r": when: unexpected token EOF (at 1:17 of the expression)`},
		{"not a boolean", rule("r", `counts.introduced`, Fail), `palisade.yaml:7:15: rule "r": when: expected bool, but got int`},
		{"disabled builtin", rule("r", `len(repeat("x", 1000000000)) > 0`, Fail), `unknown name repeat`},
		{"clock", rule("r", `now().Year() > 2000`, Fail), `unknown name now`},
		{"map order", rule("r", `len(keys(counts.introducedBySeverity)) > 0`, Fail), `unknown name keys`},
		{"string growth", rule("r", `let a = "xx"; let b = a + a + a; len(b) > 0`, Fail), `'+' is allowed on numbers only in gate rules (at 1:`},
		{"range", rule("r", `len(1..1000000) > 0`, Fail), `ranges (..) are not allowed`},
		{"deep compare", rule("r", `introduced == removed`, Fail), `lists, maps and records cannot be compared with ==`},
		{"charge is hidden", rule("r", `%charge($env, introduced) != nil`, Fail), `rule "r": when:`},
		{"too long", rule("r", long, Fail), fmt.Sprintf("when is %d bytes long; the limit is %d", len(long), MaxExpressionLen)},
		{"empty when", rule("r", " ", Fail), `when is required`},
		{"bad outcome", rule("r", "true", Pass), `outcome "pass": use fail or warn`},
		{"bad name", rule("no spaces", "true", Fail), `rule name "no spaces"`},
		{"reserved name", rule(ruleSecurityFix, "true", Fail), `is reserved`},
		{"long message", Rule{Name: "r", When: "true", Outcome: Fail, Message: strings.Repeat("m", MaxMessageLen+1)}, `message is 1025 bytes long`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPolicy("x", "", []Rule{tt.r})
			if err == nil {
				t.Fatal("no error")
			}
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("code = %s", palisade.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestNewPolicyLimits(t *testing.T) {
	var rules []Rule
	for i := 0; i <= MaxRules; i++ {
		rules = append(rules, rule(fmt.Sprintf("r%d", i), "true", Warn))
	}
	if _, err := NewPolicy("x", "", rules); err == nil || !strings.Contains(err.Error(), "at most 100") {
		t.Errorf("too many rules: %v", err)
	}
	if _, err := NewPolicy("x", "", rules[:MaxRules]); err != nil {
		t.Errorf("%d rules: %v", MaxRules, err)
	}
	if _, err := NewPolicy("x", "", []Rule{}); err == nil {
		t.Error("empty rule list accepted")
	}
	if _, err := NewPolicy("x", "", []Rule{rule("a", "true", Warn), rule("a", "false", Warn)}); err == nil || !strings.Contains(err.Error(), `rule "a" is defined twice`) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := NewPolicy("x", "sometimes", nil); err == nil {
		t.Error("bad onMissingData accepted")
	}
	// Every bad rule is reported, not only the first.
	_, err := NewPolicy("x", "", []Rule{rule("a", "nope", Warn), rule("b", "true", Warn), rule("c", "nada", Warn)})
	if es, ok := err.(palisade.Errors); !ok || len(es) != 2 {
		t.Errorf("errors = %#v", err)
	}
}

func TestPolicyFor(t *testing.T) {
	own, _ := NewPolicy("gates:checkout", "", nil)
	def, _ := NewPolicy("gates:default", Warn, nil)
	ps := map[string]*Policy{"checkout": own, "default": def}
	if PolicyFor(ps, "checkout") != own || PolicyFor(ps, "cart") != def {
		t.Error("wrong policy")
	}
	if p := PolicyFor(nil, "cart"); p.Name != DefaultPolicyName || p.OnMissingData != Fail || p.Rules != nil {
		t.Errorf("built-in = %+v", p)
	}
}

// The rules of one decision share PolicyStepBudget: once it is spent, the
// remaining rules fail closed instead of running.
func TestPolicyStepBudget(t *testing.T) {
	in := Input{Service: "checkout", Introduced: []vuln.ScanFinding{medium, high, critical}}
	p := mustPolicy(t, rule("a", `count(introduced, .epss >= 0) == 3`, Warn), rule("b", `count(introduced, .epss >= 0) == 3`, Warn))
	e := newEnv(in)
	if ok, err := p.Rules[0].eval(e); !ok || err != nil {
		t.Fatal(ok, err)
	}
	per := e.steps
	if per <= 0 {
		t.Fatalf("the rule spent %d steps", per)
	}
	// Rules add up: the next one starts where the first stopped.
	if ok, err := p.Rules[1].eval(e); !ok || err != nil || e.steps != 2*per {
		t.Fatalf("second rule: %v %v, steps %d", ok, err, e.steps)
	}
	// With less than one rule's work left in the decision, the rule
	// stops and says whose budget ran out.
	e.steps = PolicyStepBudget - per/2
	_, err := p.Rules[1].eval(e)
	if err == nil || !strings.Contains(err.Error(), "the policy's rules together spent their evaluation budget") {
		t.Errorf("policy budget: %v", err)
	}
	e.steps = 0
	if _, err := p.Rules[1].eval(e); err != nil {
		t.Errorf("after a reset: %v", err)
	}
}
