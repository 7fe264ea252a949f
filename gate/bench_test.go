package gate

import (
	"fmt"
	"testing"

	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// BenchmarkDecide is a large change (1,000 findings added) under a full
// custom policy (MaxRules rules, each a loop over the findings).
func BenchmarkDecide(b *testing.B) {
	var rules []Rule
	for i := 0; i < MaxRules; i++ {
		rules = append(rules, Rule{Name: fmt.Sprintf("r%d", i), When: fmt.Sprintf(`count(introduced, {.severity in ["critical","high"] && .epss > 0.%d}) > 0`, i%10), Outcome: Warn})
	}
	p, err := NewPolicy("x", "", rules)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Service: "x", SLOs: []slo.Status{status("a", slo.StatusOK, 0.5)}}
	for i := 0; i < 1000; i++ {
		f := finding(fmt.Sprintf("GHSA-%04d", i), vuln.Severities[i%5], fmt.Sprintf("pkg:pypi/p%d@1", i))
		f.EPSS = ptr(float64(i%100) / 100)
		in.Introduced = append(in.Introduced, f)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Decide(in, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorstRule is one rule that spends its whole step budget.
func BenchmarkWorstRule(b *testing.B) {
	p, err := NewPolicy("x", "", []Rule{{Name: "r", When: `all(introduced, all(introduced, all(introduced, .epss >= 0 && .cvss >= 0 && .id != "" && len(.aliases) >= 0)))`, Outcome: Warn}})
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Service: "x"}
	for i := 0; i < 100; i++ {
		in.Introduced = append(in.Introduced, finding(fmt.Sprintf("GHSA-%04d", i), "low", "pkg:pypi/p@1"))
	}
	for b.Loop() {
		d, _ := Decide(in, p)
		if d.Outcome != Fail {
			b.Fatal(d.Outcome)
		}
	}
}

// BenchmarkCompile is the cost of loading a gates section: per rule.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		r := Rule{Name: "r", When: `count(introduced, {.severity in ["critical","high"] && .epss > 0.1}) > 0 || any(slos, .budgetRemaining < 0.1)`, Outcome: Warn}
		if err := r.compile(); err != nil {
			b.Fatal(err)
		}
	}
}
