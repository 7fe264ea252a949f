package gate

import (
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// gatesSection parses yml as palisade.yaml and returns its gates section.
func gatesSection(t testing.TB, yml string) *catalog.Node {
	t.Helper()
	d, err := catalog.ParseYAML("palisade.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return d.Sections["gates"]
}

const exampleGates = `gates:
  - service: default
    onMissingData: warn
  - service: checkout
    onMissingData: fail
    rules:
      - name: no-new-high-with-exploit
        when: 'count(introduced, {.severity in ["critical","high"] && .epss > 0.1}) > 0'
        outcome: fail
        message: 'adds high-risk findings with EPSS above 10%'
      - name: budget-low
        when: 'any(slos, {.budgetRemaining < 0.1})'
        outcome: warn
  - service: cart
`

func TestPoliciesFromSection(t *testing.T) {
	ps, err := PoliciesFromSection(gatesSection(t, exampleGates))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("policies = %v", ps)
	}
	co := ps["checkout"]
	if co.Name != "gates:checkout" || co.OnMissingData != Fail || len(co.Rules) != 2 {
		t.Fatalf("checkout = %+v", co)
	}
	if r := co.Rules[0]; r.Name != "no-new-high-with-exploit" || r.Outcome != Fail || r.Message != "adds high-risk findings with EPSS above 10%" ||
		r.Loc.String() != "palisade.yaml:8:15" {
		t.Errorf("rule 0 = %+v at %s", r, r.Loc)
	}
	// An entry without rules or onMissingData takes the default entry's;
	// the default entry without rules has the built-in rules.
	if c := ps["cart"]; c.Name != "gates:cart" || c.OnMissingData != Warn || c.Rules != nil {
		t.Errorf("cart = %+v", c)
	}
	if PolicyFor(ps, "search") != ps["default"] || ps["default"].Rules != nil {
		t.Errorf("default = %+v", ps["default"])
	}

	hot := withKEV(high)
	hot.EPSS = ptr(0.5)
	d, err := Decide(Input{Service: "checkout", Introduced: []vuln.ScanFinding{hot}, SLOs: []slo.Status{status("x", slo.StatusOK, 0.05)}}, PolicyFor(ps, "checkout"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != Fail || !hasReason(d, Fail, "no-new-high-with-exploit", "EPSS above 10%") || !hasReason(d, Warn, "budget-low", "holds") {
		t.Errorf("decision %s%s", d.Outcome, dump(d))
	}
	d, _ = Decide(Input{Service: "cart", Missing: []string{"current inventory"}}, PolicyFor(ps, "cart"))
	if d.Outcome != Warn {
		t.Errorf("cart with missing data: %s%s", d.Outcome, dump(d))
	}
}

// The default entry's rules apply to every entry that has none, and are
// compiled once.
func TestPoliciesFromSectionDefaultRules(t *testing.T) {
	ps, err := PoliciesFromSection(gatesSection(t, `gates:
  - service: payments
    onMissingData: pass
  - service: default
    rules:
      - {name: any-kev, when: counts.introducedKEV > 0, outcome: fail}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := ps["payments"]
	if p.OnMissingData != Pass || len(p.Rules) != 1 || p.Rules[0].Name != "any-kev" || p.Rules[0].program != ps["default"].Rules[0].program {
		t.Errorf("payments = %+v", p)
	}
}

func TestPoliciesFromSectionEmpty(t *testing.T) {
	for _, n := range []*catalog.Node{nil, {Kind: catalog.NullNode}, gatesSection(t, "gates: []\n"), gatesSection(t, "gates:\n")} {
		ps, err := PoliciesFromSection(n)
		if err != nil || len(ps) != 0 {
			t.Errorf("%+v: %v %v", n, ps, err)
		}
	}
}

func TestPoliciesFromSectionErrors(t *testing.T) {
	tests := []struct{ name, yml, want string }{
		{"not a list", "gates: {service: x}\n", "palisade.yaml:1:8: gates: expected a list of gate policies, got a mapping"},
		{"entry not a mapping", "gates:\n  - checkout\n", "palisade.yaml:2:5: gate policy: expected a mapping, got a scalar"},
		{"unknown field", "gates:\n  - service: x\n    rule: []\n", `palisade.yaml:3:5: unknown field "rule" in gate policy (expected service, onMissingData, rules)`},
		{"no service", "gates:\n  - onMissingData: warn\n", "palisade.yaml:2:5: gates: service is required"},
		{"empty service", "gates:\n  - service: ''\n", "palisade.yaml:2:14: service: must not be empty"},
		{"duplicate service", "gates:\n  - service: x\n  - service: x\n", `palisade.yaml:3:5: gates: service "x" already has a policy at palisade.yaml:2:5`},
		{"bad onMissingData", "gates:\n  - service: x\n    onMissingData: maybe\n", `palisade.yaml:3:20: onMissingData "maybe": use fail, warn or pass`},
		{"rules not a list", "gates:\n  - service: x\n    rules: {}\n", "palisade.yaml:3:12: rules: expected a list of rules, got a mapping"},
		{"empty rules", "gates:\n  - service: x\n    rules: []\n", "rules: an empty list would pass every change"},
		{"rule unknown field", "gates:\n  - service: x\n    rules:\n      - {name: a, when: 'true', outcome: warn, level: 1}\n", `unknown field "level" in rule`},
		{"rule without when", "gates:\n  - service: x\n    rules:\n      - {name: a, outcome: warn}\n", "palisade.yaml:4:9: rule: when is required"},
		{"rule bad name", "gates:\n  - service: x\n    rules:\n      - {name: 'a b', when: 'true', outcome: warn}\n", `palisade.yaml:4:16: rule name "a b"`},
		{"rule bad outcome", "gates:\n  - service: x\n    rules:\n      - {name: a, when: 'true', outcome: block}\n", `palisade.yaml:4:42: rule "a": outcome "block": use fail or warn`},
		{"when not text", "gates:\n  - service: x\n    rules:\n      - {name: a, when: [1], outcome: warn}\n", "palisade.yaml:4:25: when: expected text, got a list"},
		{"compile error at when", "gates:\n  - service: x\n    rules:\n      - name: a\n        outcome: warn\n        when: 'count(introduced, .severty == \"high\") > 0'\n",
			`palisade.yaml:6:15: rule "a": when: type finding has no field severty (at 1:20 of the expression)`},
		{"duplicate rule", "gates:\n  - service: x\n    rules:\n      - {name: a, when: 'true', outcome: warn}\n      - {name: a, when: 'false', outcome: warn}\n", `palisade.yaml:5:25: rule "a" is defined twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PoliciesFromSection(gatesSection(t, tt.yml))
			if err == nil {
				t.Fatal("no error")
			}
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("code = %s", palisade.ErrorCode(err))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// Every broken rule of every entry is reported at once.
func TestPoliciesFromSectionAllErrors(t *testing.T) {
	_, err := PoliciesFromSection(gatesSection(t, `gates:
  - service: a
    rules:
      - {name: one, when: 'nope > 1', outcome: warn}
      - {name: two, when: 'true', outcome: warn}
  - service: b
    rules:
      - {name: three, when: 'len(', outcome: fail}
`))
	es, ok := err.(palisade.Errors)
	if !ok || len(es) != 2 {
		t.Fatalf("errors = %v", err)
	}
	if es[0].Field != "palisade.yaml:4:27" || es[1].Field != "palisade.yaml:8:29" {
		t.Errorf("fields = %s, %s", es[0].Field, es[1].Field)
	}
}

// Sections come from JSON too (the API's form of palisade.yaml), and from
// nodes built by hand.
func TestPoliciesFromSectionJSONAndHandBuilt(t *testing.T) {
	d, err := catalog.ParseJSON("p.json", []byte(`{"gates": [{"service": "checkout", "rules": [{"name": "a", "when": "counts.introduced > 3", "outcome": "warn"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := PoliciesFromSection(d.Sections["gates"])
	if err != nil || len(ps["checkout"].Rules) != 1 {
		t.Fatalf("%v %v", ps, err)
	}
	at := func(line, col int) catalog.Loc { return catalog.Loc{File: "hand.yaml", Line: line, Col: col} }
	scalar := func(s string, line, col int) *catalog.Node {
		return &catalog.Node{Kind: catalog.ScalarNode, Scalar: s, Quoted: true, Loc: at(line, col)}
	}
	n := &catalog.Node{Kind: catalog.ListNode, Loc: at(1, 1), List: []*catalog.Node{{
		Kind: catalog.MapNode, Loc: at(2, 3), Map: []catalog.MapEntry{
			{Key: "service", KeyLoc: at(2, 3), Value: scalar("checkout", 2, 12)},
			{Key: "rules", KeyLoc: at(3, 3), Value: &catalog.Node{Kind: catalog.ListNode, Loc: at(4, 5), List: []*catalog.Node{{
				Kind: catalog.MapNode, Loc: at(4, 7), Map: []catalog.MapEntry{
					{Key: "name", KeyLoc: at(4, 7), Value: scalar("x", 4, 13)},
					{Key: "outcome", KeyLoc: at(5, 7), Value: scalar("fail", 5, 16)},
					{Key: "when", KeyLoc: at(6, 7), Value: scalar("bogus(", 6, 13)},
				}}}}},
		}}}}
	_, err = PoliciesFromSection(n)
	if err == nil || palisade.ErrorField(err) != "hand.yaml:6:13" {
		t.Errorf("hand-built: %v (field %q)", err, palisade.ErrorField(err))
	}
}
