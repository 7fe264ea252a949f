package gate

import (
	"fmt"
	"strings"

	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Names of the built-in rules and of the reasons Decide adds itself. They
// appear in Reason.Rule; docs/gate.md lists them.
const (
	ruleCritical        = "critical-finding"
	ruleKEV             = "kev-finding"
	ruleBudgetExhausted = "budget-exhausted"
	ruleHigh            = "high-finding"
	ruleBudgetWarning   = "budget-warning"
	ruleSLONoData       = "slo-no-data"
	ruleIncidents       = "open-incidents"

	ruleMissingData = "missing-data"
	ruleSecurityFix = "security-fix"
	ruleNotCounted  = "not-counted"
)

// defaultReasons applies the built-in rules to e. A rule that matches
// gives one reason per finding or SLO it matched, so that the reasons name
// exactly what to fix; one that does not gives a pass reason saying so.
func defaultReasons(e *Env) []Reason {
	var rs []Reason
	add := func(outcome, rule, format string, args ...any) {
		rs = append(rs, Reason{Outcome: outcome, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}

	var critical, kev, high []*Finding
	for _, f := range e.Introduced {
		switch f.Severity {
		case "critical":
			critical = append(critical, f)
		case "high":
			high = append(high, f)
		}
		if f.KEV {
			kev = append(kev, f)
		}
	}
	for _, f := range critical {
		add(Fail, ruleCritical, "adds critical %s", describeFinding(f))
	}
	if len(critical) == 0 {
		add(Pass, ruleCritical, "adds no open critical finding")
	}
	for _, f := range kev {
		add(Fail, ruleKEV, "adds %s %s in %s, listed in CISA KEV as exploited in the wild; %s", f.Severity, findingName(f), f.Purl, fixedText(f.Fixed))
	}
	if len(kev) == 0 {
		add(Pass, ruleKEV, "adds no open KEV-listed finding")
	}

	var exhausted, warning, noData []*SLO
	for _, s := range e.SLOs {
		switch s.Status {
		case slo.StatusOK:
		case slo.StatusExhausted:
			exhausted = append(exhausted, s)
		case slo.StatusWarning:
			warning = append(warning, s)
		default:
			// no_data, and any status this version does not know:
			// neither may count as a budget that holds.
			noData = append(noData, s)
		}
	}
	for _, s := range exhausted {
		if len(e.Introduced) > 0 {
			add(Fail, ruleBudgetExhausted, "security SLO %s has exhausted its error budget (%s left) and the change adds %s",
				s.Name, percent(s.BudgetRemaining), describeCounts(e))
		} else {
			add(Pass, ruleBudgetExhausted, "security SLO %s has exhausted its error budget, but the change adds no open finding", s.Name)
		}
	}
	if len(exhausted) == 0 {
		add(Pass, ruleBudgetExhausted, "no security SLO of %s has exhausted its error budget", e.Service)
	}

	for _, f := range high {
		add(Warn, ruleHigh, "adds high %s", describeFinding(f))
	}
	if len(high) == 0 {
		add(Pass, ruleHigh, "adds no open high finding")
	}
	for _, s := range warning {
		add(Warn, ruleBudgetWarning, "security SLO %s is burning its error budget fast or has little left (%s left)", s.Name, percent(s.BudgetRemaining))
	}
	for _, s := range noData {
		if s.Status == slo.StatusNoData {
			add(Warn, ruleSLONoData, "security SLO %s has no data, so the gate cannot tell whether its budget holds", s.Name)
		} else {
			add(Warn, ruleSLONoData, "security SLO %s has status %q, which this gate does not know", s.Name, s.Status)
		}
	}
	switch {
	case len(e.SLOs) == 0:
		add(Pass, ruleBudgetWarning, "%s has no security SLOs", e.Service)
	case len(warning) == 0 && len(noData) == 0 && len(exhausted) == 0:
		add(Pass, ruleBudgetWarning, "every security SLO of %s is within budget", e.Service)
	}

	switch n := e.OpenIncidents; {
	case n > 0:
		add(Warn, ruleIncidents, "%s on %s", plural(n, "open security incident", "open security incidents"), e.Service)
	case n == 0:
		add(Pass, ruleIncidents, "no open security incident on %s", e.Service)
	default:
		add(Pass, ruleIncidents, "open security incidents not checked: their number is unknown")
	}
	return rs
}

// suppressedReasons say, for every introduced finding that does not count,
// why: a reviewer sees that it was seen, not missed.
func suppressedReasons(e *Env) []Reason {
	var rs []Reason
	for _, f := range e.Suppressed {
		rs = append(rs, Reason{Outcome: Pass, Rule: ruleNotCounted, Message: fmt.Sprintf("adds %s %s in %s, not counted: %s", f.Severity, findingName(f), f.Purl, f.State)})
	}
	return rs
}

// describeFinding names a finding as people look for it: "CVE-2024-1234
// (GHSA-xxxx-xxxx-xxxx) in pkg:pypi/x@1.0; fixed in 1.1".
func describeFinding(f *Finding) string {
	return fmt.Sprintf("%s in %s; %s", findingName(f), f.Purl, fixedText(f.Fixed))
}

// findingName puts a CVE id first, as people search for it, and the OSV
// id next to it so the advisory can be found.
func findingName(f *Finding) string {
	if strings.HasPrefix(f.ID, "CVE-") {
		return f.ID
	}
	for _, a := range f.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			return fmt.Sprintf("%s (%s)", a, f.ID)
		}
	}
	return f.ID
}

func fixedText(fixed []string) string {
	if len(fixed) == 0 {
		return "no fixed version known"
	}
	return "fixed in " + strings.Join(fixed, ", ")
}

// describeCounts is "3 open findings (1 high, 2 medium)".
func describeCounts(e *Env) string {
	var parts []string
	for _, s := range vuln.Severities {
		if n := e.Counts.IntroducedBySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return fmt.Sprintf("%s (%s)", plural(e.Counts.Introduced, "open finding", "open findings"), strings.Join(parts, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
