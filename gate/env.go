package gate

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Env is what a rule's `when` expression sees: each field is a variable
// named by its expr tag. docs/gate.md lists them with examples; the names
// are a contract with every palisade.yaml that uses them, so rename none.
//
// Env has no exported methods on purpose: expr makes every exported method
// of the environment callable from rules.
type Env struct {
	Service string `expr:"service" json:"service"`
	Tier    int    `expr:"tier" json:"tier"`
	Change  string `expr:"change" json:"change"`
	// Introduced are the open findings the change adds, most severe first.
	//
	// The lists hold pointers because expr boxes each element it visits
	// into an interface: a pointer boxes for free, a Finding is copied to
	// the heap, which made loops several times slower.
	Introduced []*Finding `expr:"introduced" json:"introduced"`
	// Suppressed are the findings the change adds that do not count:
	// decided not_affected, false_positive or resolved, or risk-accepted.
	Suppressed []*Finding `expr:"suppressed" json:"suppressed"`
	// Removed are the findings the change removes.
	Removed []*Finding `expr:"removed" json:"removed"`
	Counts  Counts     `expr:"counts" json:"counts"`
	// SLOs are the service's security SLOs, by name.
	SLOs []*SLO `expr:"slos" json:"slos"`
	// OpenIncidents is -1 when unknown.
	OpenIncidents int `expr:"openIncidents" json:"openIncidents"`
	// Missing lists the data the caller could not get.
	Missing []string `expr:"missing" json:"missing"`

	// steps is the work the rules of this decision have done so far and
	// limit where the rule being evaluated must stop (see charge);
	// unexported so rules cannot see or change them.
	steps, limit  int
	limitByPolicy bool
}

// Finding is a finding as rules see it.
type Finding struct {
	ID       string   `expr:"id" json:"id"`
	Aliases  []string `expr:"aliases" json:"aliases"`
	Purl     string   `expr:"purl" json:"purl"`
	Severity string   `expr:"severity" json:"severity"`
	// CVSS is the base score, 0 when unknown (see HasCVSS): a nil would
	// make every comparison in a rule an evaluation error.
	CVSS    float64 `expr:"cvss" json:"cvss"`
	HasCVSS bool    `expr:"hasCvss" json:"hasCvss"`
	KEV     bool    `expr:"kev" json:"kev"`
	// EPSS is the exploit probability in [0, 1], 0 when unknown.
	EPSS    float64  `expr:"epss" json:"epss"`
	HasEPSS bool     `expr:"hasEpss" json:"hasEpss"`
	Fixed   []string `expr:"fixed" json:"fixed"`
	// State is the finding's state; a finding never triaged is
	// in_triage, one under an active risk acceptance is accepted.
	State string `expr:"state" json:"state"`
}

// SLO is a security SLO as rules see it.
type SLO struct {
	Name      string  `expr:"name" json:"name"`
	Status    string  `expr:"status" json:"status"`
	SLI       float64 `expr:"sli" json:"sli"`
	Objective float64 `expr:"objective" json:"objective"`
	// BudgetRemaining is the fraction of the error budget left, negative
	// when overspent. Without data it is 0, not 1: no data is never
	// counted as good (see HasData).
	BudgetRemaining float64 `expr:"budgetRemaining" json:"budgetRemaining"`
	HasData         bool    `expr:"hasData" json:"hasData"`
	// BurnRates maps an alert window ("5m", "1h", ...) to its burn rate;
	// windows without data are absent.
	BurnRates map[string]float64 `expr:"burnRates" json:"burnRates"`
}

// Counts summarise the findings of a change.
type Counts struct {
	// Introduced counts the open findings the change adds.
	Introduced int `expr:"introduced" json:"introduced"`
	// IntroducedBySeverity holds every severity, 0 included, so that a
	// rule never reads a missing key.
	IntroducedBySeverity map[string]int `expr:"introducedBySeverity" json:"introducedBySeverity"`
	IntroducedKEV        int            `expr:"introducedKEV" json:"introducedKEV"`
	Suppressed           int            `expr:"suppressed" json:"suppressed"`
	Removed              int            `expr:"removed" json:"removed"`
}

// StateAccepted is the State a caller gives a finding under an active risk
// acceptance. vuln.ScanFinding has no acceptance of its own, and the
// finding's underlying state (in_triage, exploitable) would make it count
// as open.
const StateAccepted = "accepted"

// closedStates are the states that keep an introduced finding from
// counting. Anything else, an unknown state included, counts: a typo in a
// state must not let a finding through.
var closedStates = []string{vuln.StateNotAffected, vuln.StateFalsePositive, vuln.StateResolved, StateAccepted}

// open reports whether a finding in state counts against a change.
func open(state string) bool { return !slices.Contains(closedStates, state) }

func newFinding(f vuln.ScanFinding) *Finding {
	out := &Finding{
		ID:       f.ID,
		Aliases:  sortedCopy(f.Aliases),
		Purl:     f.Purl,
		Severity: strings.ToLower(f.Severity),
		KEV:      f.KEV,
		Fixed:    slices.Clone(f.Fixed),
		State:    f.State,
	}
	if vuln.SeverityRank(out.Severity) == len(vuln.Severities)-1 {
		out.Severity = "unknown"
	}
	if f.CVSS != nil {
		out.CVSS, out.HasCVSS = *f.CVSS, true
	}
	if f.EPSS != nil {
		out.EPSS, out.HasEPSS = *f.EPSS, true
	}
	if out.State == "" {
		out.State = vuln.StateInTriage
	}
	if out.Fixed == nil {
		out.Fixed = []string{}
	}
	return out
}

func newSLO(s slo.Status) *SLO {
	out := &SLO{Name: s.Name, Status: s.Status, Objective: s.Objective, BurnRates: map[string]float64{}}
	for k, v := range s.BurnRates {
		out.BurnRates[k] = v
	}
	if s.SLI != nil && s.ErrorBudgetRemaining != nil && s.Status != slo.StatusNoData {
		out.SLI, out.BudgetRemaining, out.HasData = *s.SLI, *s.ErrorBudgetRemaining, true
	}
	return out
}

// newEnv builds the variables of in. Lists are copied and sorted so that
// rules, reasons and reports never depend on the caller's order.
func newEnv(in Input) *Env {
	e := &Env{
		Service:       in.Service,
		Tier:          in.Tier,
		Change:        in.Change,
		Introduced:    []*Finding{},
		Suppressed:    []*Finding{},
		Removed:       []*Finding{},
		SLOs:          []*SLO{},
		OpenIncidents: in.OpenIncidents,
		Missing:       []string{},
		Counts:        Counts{IntroducedBySeverity: map[string]int{}},
	}
	for _, s := range vuln.Severities {
		e.Counts.IntroducedBySeverity[s] = 0
	}
	for _, sf := range in.Introduced {
		f := newFinding(sf)
		if !open(f.State) {
			e.Suppressed = append(e.Suppressed, f)
			continue
		}
		e.Introduced = append(e.Introduced, f)
		e.Counts.IntroducedBySeverity[f.Severity]++
		if f.KEV {
			e.Counts.IntroducedKEV++
		}
	}
	for _, sf := range in.Removed {
		e.Removed = append(e.Removed, newFinding(sf))
	}
	sortFindings(e.Introduced)
	sortFindings(e.Suppressed)
	sortFindings(e.Removed)
	e.Counts.Introduced, e.Counts.Suppressed, e.Counts.Removed = len(e.Introduced), len(e.Suppressed), len(e.Removed)
	for _, s := range in.SLOs {
		e.SLOs = append(e.SLOs, newSLO(s))
	}
	slices.SortStableFunc(e.SLOs, func(a, b *SLO) int { return strings.Compare(a.Name, b.Name) })
	for _, m := range in.Missing {
		if m = strings.TrimSpace(m); m != "" {
			e.Missing = append(e.Missing, m)
		}
	}
	slices.Sort(e.Missing)
	e.Missing = slices.Compact(e.Missing)
	return e
}

// sortFindings orders findings as vuln.SortScan does: severity, purl, id.
func sortFindings(fs []*Finding) {
	slices.SortStableFunc(fs, func(a, b *Finding) int {
		if ra, rb := vuln.SeverityRank(a.Severity), vuln.SeverityRank(b.Severity); ra != rb {
			return ra - rb
		}
		if c := strings.Compare(a.Purl, b.Purl); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

// variables is the Env as Decision.Variables holds it.
func (e *Env) variables() map[string]any {
	return map[string]any{
		"service":       e.Service,
		"tier":          e.Tier,
		"change":        e.Change,
		"introduced":    e.Introduced,
		"suppressed":    e.Suppressed,
		"removed":       e.Removed,
		"counts":        e.Counts,
		"slos":          e.SLOs,
		"openIncidents": e.OpenIncidents,
		"missing":       e.Missing,
	}
}

// envFromVariables reads Decision.Variables back into an Env. It goes
// through JSON so that a Decision decoded from the API (whose Variables are
// plain maps and slices) renders exactly as the one Decide returned.
func envFromVariables(vars map[string]any) *Env {
	e := &Env{}
	if b, err := json.Marshal(vars); err == nil {
		// A malformed decision renders with what could be read.
		_ = json.Unmarshal(b, e)
	}
	return e
}
