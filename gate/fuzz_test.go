package gate

import (
	"errors"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// FuzzPoliciesFromSection feeds palisade.yaml files to the gates decoder:
// it must never panic, must fail only with located EINVALID errors, and
// every policy it returns must decide a change without error.
func FuzzPoliciesFromSection(f *testing.F) {
	for _, seed := range []string{
		exampleGates,
		"gates: []\n",
		"gates:\n  - service: default\n    onMissingData: pass\n",
		"gates:\n  - service: x\n    rules:\n      - {name: a, when: 'all(introduced, all(removed, .kev))', outcome: warn}\n",
		"gates:\n  - service: x\n    rules:\n      - {name: a, when: 'let s = \"a\"; s + s == \"aa\"', outcome: fail}\n",
		"gates:\n  - service: x\n    rules:\n      - name: b\n        outcome: fail\n        when: |\n          any(slos, .status == \"exhausted\")\n          && counts.introduced > 0\n",
		"gates:\n  - service: x\n    rules:\n      - {name: c, when: 'introduced[0].cvss >= 9 ?? false', outcome: warn, message: m}\n",
		"gates:\n  - &a {service: x}\n  - *a\n",
		"gates: {service: x}\n",
	} {
		f.Add([]byte(seed))
	}
	in := Input{
		Service:       "x",
		Introduced:    []vuln.ScanFinding{critical, withState(high, vuln.StateNotAffected), kevLow},
		Removed:       []vuln.ScanFinding{medium},
		SLOs:          []slo.Status{status("a", slo.StatusExhausted, -1), status("b", slo.StatusNoData, 0)},
		OpenIncidents: -1,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := catalog.ParseYAML("palisade.yaml", data)
		if err != nil {
			return
		}
		n, ok := d.Sections["gates"]
		if !ok {
			return
		}
		ps, err := PoliciesFromSection(n)
		if err != nil {
			var pe *palisade.Error
			if palisade.ErrorCode(err) != palisade.EINVALID || !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("error without code or location: %#v", err)
			}
			return
		}
		for name, p := range ps {
			dec, err := Decide(in, p)
			if err != nil {
				t.Fatalf("policy %s: %v", name, err)
			}
			if !validOutcome(dec.Outcome) {
				t.Fatalf("policy %s: outcome %q", name, dec.Outcome)
			}
			_ = dec.Markdown()
			_ = dec.Text()
		}
	})
}

// FuzzRule compiles arbitrary expressions as rules: compiling must not
// panic, and a rule that compiles must be evaluated to a decision within
// its budget, whatever it does.
func FuzzRule(f *testing.F) {
	for _, seed := range []string{
		`count(introduced, {.severity in ["critical","high"] && .epss > 0.1}) > 0`,
		`any(slos, {.budgetRemaining < 0.1})`,
		`all(introduced, all(introduced, all(removed, .id in map(introduced, .id))))`,
		`let x = filter(introduced, .kev); len(x) > 0 || max(map(slos, .sli)) < 0.9`,
		`sum(introduced, .cvss) / (len(introduced) + 1) > 5 and "CVE-1" not in introduced[0].aliases`,
		`(slos[0].burnRates["1h"] ?? 0) > 14.4 ? true : counts.introducedBySeverity["high"] > 0`,
		`introduced | filter(.hasEpss) | map(.epss) | max() > 0.5`,
	} {
		f.Add(seed)
	}
	var many []vuln.ScanFinding
	for i := 0; i < 60; i++ {
		many = append(many, critical, high, medium)
	}
	in := Input{Service: "x", Introduced: many, Removed: many, SLOs: []slo.Status{status("a", slo.StatusOK, 0.5)}}
	f.Fuzz(func(t *testing.T, when string) {
		p, err := NewPolicy("x", "", []Rule{{Name: "r", When: when, Outcome: Warn}})
		if err != nil {
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Fatalf("compile error without EINVALID: %v", err)
			}
			return
		}
		d, err := Decide(in, p)
		if err != nil || !validOutcome(d.Outcome) {
			t.Fatalf("decide: %v %v", d, err)
		}
	})
}
