package gate

import (
	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// maxSectionErrors stops collecting problems in a gates section: past it
// they are mostly consequences of the first ones.
const maxSectionErrors = 50

// PoliciesFromSection decodes the gates section of palisade.yaml:
//
//	gates:
//	  - service: default        # replaces the built-in default for every service
//	    onMissingData: fail     # fail (default) | warn | pass
//	  - service: checkout
//	    rules:
//	      - name: no-new-high-with-exploit
//	        when: 'count(introduced, {.severity in ["critical","high"] && .epss > 0.1}) > 0'
//	        outcome: fail       # fail | warn
//	        message: adds high-risk findings with EPSS above 10%
//
// The result maps each service name, and "default" when given, to its
// compiled policy; PolicyFor picks the one for a service. An entry without
// rules takes the rules of the default entry, or the built-in rules; one
// without onMissingData takes the default entry's, or fail. A null section
// is no policies.
//
// Errors are EINVALID with Field "file:line:col": unknown fields, bad
// values, duplicate services or rule names, limits, and expressions that do
// not compile (located at their `when`, with expr's message). Every entry
// is checked; several problems come back as palisade.Errors. Service names
// are not checked against the catalog here: the caller knows the catalog.
func PoliciesFromSection(n *catalog.Node) (map[string]*Policy, error) {
	out := map[string]*Policy{}
	if n == nil || n.Kind == catalog.NullNode {
		return out, nil
	}
	if n.Kind != catalog.ListNode {
		return nil, n.Errorf("gates: expected a list of gate policies, got %s", n.Kind)
	}
	var errs palisade.Errors
	var entries []*decodedEntry
	where := map[string]catalog.Loc{}
	for _, item := range n.List {
		if len(errs) >= maxSectionErrors {
			break
		}
		e, err := decodeEntry(item)
		if err != nil {
			errs = appendError(errs, err)
			continue
		}
		if first, dup := where[e.service]; dup {
			errs = append(errs, item.Errorf("gates: service %q already has a policy at %s", e.service, first))
			continue
		}
		where[e.service] = item.Loc
		entries = append(entries, e)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}

	base := &decodedEntry{}
	for _, e := range entries {
		if e.service == DefaultPolicyName {
			base = e
		}
	}
	for _, e := range entries {
		rules, onMissing := e.rules, e.onMissingData
		if rules == nil {
			rules = base.rules
		}
		if onMissing == "" {
			onMissing = base.onMissingData
		}
		p, err := NewPolicy(sectionPrefix+e.service, onMissing, rules)
		if err != nil {
			errs = appendError(errs, err)
			continue
		}
		out[e.service] = p
	}
	if len(errs) > maxSectionErrors {
		errs = errs[:maxSectionErrors]
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodedEntry is one item of the gates section; "" and nil mean not
// given, so that the default entry's values can fill them.
type decodedEntry struct {
	service       string
	onMissingData string
	rules         []Rule
}

// decodeEntry reads one item of the gates section, its rules compiled.
func decodeEntry(n *catalog.Node) (*decodedEntry, error) {
	f, err := n.Fields("gate policy", "service", "onMissingData", "rules")
	if err != nil {
		return nil, err
	}
	if n.Kind != catalog.MapNode {
		return nil, n.Errorf("gates: expected a mapping with service, onMissingData and rules, got %s", n.Kind)
	}
	out := &decodedEntry{}
	sn, ok := f["service"]
	if !ok {
		return nil, n.Errorf("gates: service is required (a service name, or default)")
	}
	if out.service, err = sn.String("service"); err != nil {
		return nil, err
	}
	if out.service == "" {
		return nil, sn.Errorf("service: must not be empty")
	}
	if m, ok := f["onMissingData"]; ok {
		if out.onMissingData, err = m.String("onMissingData"); err != nil {
			return nil, err
		}
		if !validOutcome(out.onMissingData) {
			return nil, m.Errorf("onMissingData %q: use fail, warn or pass", out.onMissingData)
		}
	}
	rn, ok := f["rules"]
	if !ok {
		return out, nil
	}
	if rn.Kind != catalog.ListNode {
		return nil, rn.Errorf("rules: expected a list of rules, got %s", rn.Kind)
	}
	if len(rn.List) == 0 {
		return nil, rn.Errorf("rules: an empty list would pass every change; leave rules out to use the default rules")
	}
	if len(rn.List) > MaxRules {
		return nil, rn.Errorf("rules: %d rules; a policy has at most %d", len(rn.List), MaxRules)
	}
	out.rules = make([]Rule, 0, len(rn.List))
	var errs palisade.Errors
	for _, item := range rn.List {
		r, err := decodeRule(item)
		if err != nil {
			errs = appendError(errs, err)
			continue
		}
		out.rules = append(out.rules, *r)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeRule(n *catalog.Node) (*Rule, error) {
	f, err := n.Fields("rule", "name", "when", "outcome", "message")
	if err != nil {
		return nil, err
	}
	if n.Kind != catalog.MapNode {
		return nil, n.Errorf("rule: expected a mapping with name, when, outcome and message, got %s", n.Kind)
	}
	r := &Rule{Loc: n.Loc}
	text := func(key string, required bool) (string, error) {
		v, ok := f[key]
		if !ok {
			if required {
				return "", n.Errorf("rule: %s is required", key)
			}
			return "", nil
		}
		return v.String(key)
	}
	if r.Name, err = text("name", true); err != nil {
		return nil, err
	}
	if msg := nameProblem(r.Name); msg != "" {
		return nil, f["name"].Errorf("%s", msg)
	}
	if r.Outcome, err = text("outcome", true); err != nil {
		return nil, err
	}
	if r.Outcome != Fail && r.Outcome != Warn {
		return nil, f["outcome"].Errorf("rule %q: outcome %q: use fail or warn", r.Name, r.Outcome)
	}
	if r.When, err = text("when", true); err != nil {
		return nil, err
	}
	r.Loc = f["when"].Loc
	if r.Message, err = text("message", false); err != nil {
		return nil, err
	}
	// Compile here too, so that an expression error is reported once
	// per rule where it is written, not once per entry that takes the
	// default's rules.
	if err := r.compile(); err != nil {
		return nil, err
	}
	return r, nil
}
