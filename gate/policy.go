package gate

import (
	"github.com/palisade-project/palisade"
)

// Outcomes of a decision and of each reason, least to most severe.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// outcomeRank orders outcomes by severity; unknown ones rank as fail so
// that a bad value never lets a change through.
func outcomeRank(o string) int {
	switch o {
	case Pass:
		return 0
	case Warn:
		return 1
	}
	return 2
}

// Policy names of the built-in default and the prefix of configured ones.
const (
	// DefaultPolicyName is the built-in policy's name.
	DefaultPolicyName = "default"
	// sectionPrefix prefixes the name of a policy from palisade.yaml:
	// "gates:checkout", "gates:default".
	sectionPrefix = "gates:"
)

// Policy decides changes to a service: the built-in default rules or custom
// ones, and what to do when data is missing.
//
// Build it with DefaultPolicy, NewPolicy or PoliciesFromSection: a Policy
// decoded from JSON has no compiled rules, and Decide refuses it. A built
// Policy is read-only and safe for concurrent use.
type Policy struct {
	// Name says which policy decided: "default" for the built-in one,
	// "gates:default" or "gates:<service>" for one from palisade.yaml.
	Name string `json:"name"`
	// OnMissingData is the outcome when the caller could not get some
	// data: fail (the default), warn or pass.
	OnMissingData string `json:"onMissingData"`
	// Rules are the custom rules, in file order; nil means the built-in
	// default rules.
	Rules []Rule `json:"rules,omitempty"`
}

// DefaultPolicy returns the built-in policy: the default rules, failing
// closed on missing data.
func DefaultPolicy() *Policy {
	return &Policy{Name: DefaultPolicyName, OnMissingData: Fail}
}

// NewPolicy returns a policy with custom rules (nil rules: the built-in
// default rules) after checking and compiling them. onMissingData "" means
// fail. Errors are EINVALID, located at the offending rule's Loc; every
// rule is checked, and several problems come back as palisade.Errors.
func NewPolicy(name, onMissingData string, rules []Rule) (*Policy, error) {
	if onMissingData == "" {
		onMissingData = Fail
	}
	if !validOutcome(onMissingData) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "onMissingData", "onMissingData %q: use fail, warn or pass", onMissingData)
	}
	if rules != nil && len(rules) == 0 {
		return nil, palisade.Errorf(palisade.EINVALID, "a policy with an empty list of rules would pass every change; leave rules out to use the default rules")
	}
	if len(rules) > MaxRules {
		return nil, palisade.Errorf(palisade.EINVALID, "%d rules; a policy has at most %d", len(rules), MaxRules)
	}
	p := &Policy{Name: name, OnMissingData: onMissingData}
	if rules != nil {
		p.Rules = make([]Rule, len(rules))
	}
	var errs palisade.Errors
	seen := map[string]bool{}
	for i, r := range rules {
		// A program is only ever set by compile in this package, and
		// programs are immutable: a rule the gates section already
		// compiled is shared, not compiled once per service.
		var err error
		if r.program == nil {
			err = r.compile()
		}
		if err != nil {
			errs = appendError(errs, err)
		} else if seen[r.Name] {
			errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, r.Loc.String(), "rule %q is defined twice", r.Name))
		}
		seen[r.Name] = true
		p.Rules[i] = r
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// PolicyFor returns the policy that decides service's changes: its own
// from policies, else policies["default"], else the built-in DefaultPolicy.
func PolicyFor(policies map[string]*Policy, service string) *Policy {
	if p, ok := policies[service]; ok && p != nil {
		return p
	}
	if p, ok := policies[DefaultPolicyName]; ok && p != nil {
		return p
	}
	return DefaultPolicy()
}

func validOutcome(o string) bool { return o == Pass || o == Warn || o == Fail }

// appendError adds err to errs, flattening lists so every problem stays
// visible on its own.
func appendError(errs palisade.Errors, err error) palisade.Errors {
	switch e := err.(type) {
	case palisade.Errors:
		return append(errs, e...)
	case *palisade.Error:
		return append(errs, e)
	}
	return append(errs, &palisade.Error{Code: palisade.ErrorCode(err), Message: palisade.ErrorMessage(err), Err: err})
}
