// Package gate decides whether a proposed change may ship: pass, warn or
// fail, with the reasons, from the findings the change adds and removes,
// the service's security SLOs and its open security incidents.
//
// It is pure decision logic: the caller gathers the input (inventory diff,
// VEX decisions and risk acceptances applied, SLO statuses), records the
// decision and presents it. A service's policy is the built-in default or
// custom rules from palisade.yaml's gates section, written in expr-lang
// over the variables of Env. docs/gate.md is the user's guide.
//
// One rule holds whatever the policy says: a change that adds no open
// finding and removes at least one is a security fix and never fails on
// its rules (see Decide).
package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Input is everything a decision looks at.
type Input struct {
	Service string
	Tier    int
	// Change identifies the change (pull request, commit); may be "".
	Change string
	// Introduced are the findings the candidate inventory adds (those
	// not in the current one), with VEX decisions and risk acceptances
	// applied by the caller: State not_affected, false_positive,
	// resolved, or StateAccepted for a finding under an active risk
	// acceptance, keeps a finding from counting. Any other state, ""
	// included, counts as open.
	Introduced []vuln.ScanFinding
	// Removed are the findings the change removes.
	Removed []vuln.ScanFinding
	// SLOs are the service's security SLOs now.
	SLOs []slo.Status
	// OpenIncidents is the number of open security incidents on the
	// service, -1 when unknown.
	OpenIncidents int
	// Missing names the data the caller could not get ("slo budgets:
	// database unavailable", "current inventory"). Non-empty, it makes the
	// decision the policy's OnMissingData.
	Missing []string
}

// Decision is the gate's answer for one change. Its JSON form is the API's
// response and what is recorded.
type Decision struct {
	// Outcome is fail if any reason fails, else warn if any warns, else
	// pass.
	Outcome string `json:"outcome"`
	// Reasons are every rule's verdict, failures first, then warnings,
	// then passes; within each, in the policy's order.
	Reasons []Reason `json:"reasons"`
	// Policy is the name of the policy that decided (see Policy.Name).
	Policy string `json:"policy"`
	// Variables are the values the rules saw, by variable name (see Env).
	Variables map[string]any `json:"variables"`
}

// Reason is one rule's verdict on a change.
type Reason struct {
	Outcome string `json:"outcome"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Decide applies p (nil: DefaultPolicy) to in.
//
// The built-in rules fail a change that adds an open critical or KEV-listed
// finding, or adds any open finding while a security SLO has exhausted its
// budget; they warn when it adds open high findings, when an SLO is in
// warning or has no data, and when security incidents are open. Custom
// rules replace them; an evaluation error fails its rule closed.
//
// Whatever the rules say, a change that adds no open finding and removes
// at least one never fails on them: their fail reasons are lowered to warn
// and a security-fix reason says why. Security fixes must be able to ship
// when the budget is spent, which is exactly when they matter most.
//
// When in.Missing is not empty, a missing-data reason with the policy's
// OnMissingData outcome is added. The security-fix rule does not lower it:
// with data missing, "adds nothing" may itself be unknown.
//
// Errors are EINVALID for an input without a service or a policy with a
// bad OnMissingData, and EINTERNAL for a policy whose rules were not
// compiled (built by hand instead of with NewPolicy).
func Decide(in Input, p *Policy) (*Decision, error) {
	if p == nil {
		p = DefaultPolicy()
	}
	if strings.TrimSpace(in.Service) == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "service", "service is required")
	}
	if !validOutcome(p.OnMissingData) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "onMissingData", "policy %s: onMissingData %q: use fail, warn or pass", p.Name, p.OnMissingData)
	}
	for _, r := range p.Rules {
		if r.program == nil {
			return nil, palisade.Errorf(palisade.EINTERNAL, "policy %s: rule %q is not compiled; build policies with NewPolicy or PoliciesFromSection", p.Name, r.Name)
		}
	}
	e := newEnv(in)

	var reasons []Reason
	if p.Rules == nil {
		reasons = defaultReasons(e)
	} else {
		reasons = customReasons(e, p.Rules)
	}
	reasons = append(reasons, suppressedReasons(e)...)

	if len(e.Introduced) == 0 && len(e.Removed) > 0 {
		lowered := 0
		for i := range reasons {
			if reasons[i].Outcome == Fail {
				reasons[i].Outcome = Warn
				reasons[i].Message += " (not blocking: the change only removes findings)"
				lowered++
			}
		}
		msg := fmt.Sprintf("the change removes %s and adds no open finding: a security fix is never blocked",
			plural(len(e.Removed), "finding", "findings"))
		if lowered > 0 {
			msg += fmt.Sprintf("; %s lowered to warn", plural(lowered, "fail reason", "fail reasons"))
		}
		reasons = append(reasons, Reason{Outcome: Pass, Rule: ruleSecurityFix, Message: msg})
	}

	if len(e.Missing) > 0 {
		msg := "data the policy needs is missing: " + strings.Join(e.Missing, "; ")
		if p.OnMissingData != Fail {
			msg += fmt.Sprintf(" (onMissingData: %s)", p.OnMissingData)
		}
		reasons = append(reasons, Reason{Outcome: p.OnMissingData, Rule: ruleMissingData, Message: msg})
	}

	slices.SortStableFunc(reasons, func(a, b Reason) int { return outcomeRank(b.Outcome) - outcomeRank(a.Outcome) })
	d := &Decision{Outcome: Pass, Reasons: reasons, Policy: p.Name, Variables: e.variables()}
	for _, r := range reasons {
		if outcomeRank(r.Outcome) > outcomeRank(d.Outcome) {
			d.Outcome = r.Outcome
		}
	}
	return d, nil
}

// customReasons evaluates rules over e, in order, each with its own step
// budget.
func customReasons(e *Env, rules []Rule) []Reason {
	rs := make([]Reason, 0, len(rules))
	for i := range rules {
		r := &rules[i]
		ok, err := r.eval(e)
		switch {
		case err != nil:
			rs = append(rs, Reason{Outcome: Fail, Rule: r.Name, Message: "could not be evaluated, so it fails closed: " + err.Error()})
		case ok && r.Message != "":
			rs = append(rs, Reason{Outcome: r.Outcome, Rule: r.Name, Message: r.Message})
		case ok:
			rs = append(rs, Reason{Outcome: r.Outcome, Rule: r.Name, Message: "holds: " + oneLine(r.When)})
		default:
			rs = append(rs, Reason{Outcome: Pass, Rule: r.Name, Message: "does not hold: " + oneLine(r.When)})
		}
	}
	return rs
}

// oneLine folds a multi-line expression (a YAML block scalar) onto one
// line for a reason.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
