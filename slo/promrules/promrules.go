// Package promrules turns Prometheus-backed SLOs into a Prometheus rule file:
// recording rules for the error ratio over every burn window and over the
// SLO period, metadata rules (objective, error budget, burn rates, budget
// remaining) and the SRE Workbook's multi-window, multi-burn-rate alerts.
//
// The rules follow Sloth (https://github.com/slok/sloth) closely enough that
// the numbers are the same for the same spec: the same SLI expressions built
// from the same {{.window}} queries, the same objective and budget, and the
// same burn-rate factors and window pairs in each alert. Names and labels
// are Palisade's own (palisade_slo:..., palisade_slo, palisade_service,
// palisade_window) so the rules never collide with Sloth's when both run in
// one Prometheus, and the period SLI counts every event of the period as
// Palisade does (Sloth averages 5m ratios). docs/slo-prometheus.md
// describes every rule.
package promrules

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

// Names of the recorded series. The per-window SLI and total names end in
// the window ("palisade_slo:sli_error:ratio_rate5m"); see ErrorRatioRecord and
// TotalRecord.
const (
	ErrorRatioPrefix            = "palisade_slo:sli_error:ratio_rate"
	TotalPrefix                 = "palisade_slo:sli_total:count"
	ObjectiveRecord             = "palisade_slo:objective:ratio"
	ErrorBudgetRecord           = "palisade_slo:error_budget:ratio"
	TimePeriodRecord            = "palisade_slo:time_period:days"
	CurrentBurnRateRecord       = "palisade_slo:current_burn_rate:ratio"
	PeriodBurnRateRecord        = "palisade_slo:period_burn_rate:ratio"
	PeriodBudgetRemainingRecord = "palisade_slo:period_error_budget_remaining:ratio"
	InfoRecord                  = "palisade_slo_info"
)

// Labels on the generated series and alerts.
const (
	LabelSLO      = "palisade_slo"     // the SLO name (unique across a configuration)
	LabelService  = "palisade_service" // the SLO's service
	LabelWindow   = "palisade_window"  // the window of an SLI or total series: 5m ... 3d, or the period
	LabelSeverity = "severity"         // page or ticket, on alerts
)

// AlertName is the name of every burn-rate alert; the severity, palisade_slo
// and palisade_service labels tell them apart, so one Alertmanager route
// covers every SLO.
const AlertName = "PalisadeSLOErrorBudgetBurn"

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []Group `yaml:"groups"`
}

// Group is a rule group; Prometheus evaluates the rules of a group in order.
type Group struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// ErrorRatioRecord is the name of the recorded error ratio over w.
func ErrorRatioRecord(w time.Duration) string { return ErrorRatioPrefix + promDuration(w) }

// TotalRecord is the name of the recorded number of valid events over w
// (written only for the long alert windows of SLOs with a minimum event
// count).
func TotalRecord(w time.Duration) string { return TotalPrefix + promDuration(w) }

// Generate returns the rules for the SLOs whose indicator is Prometheus;
// other SLOs are evaluated by Palisade itself and are left out. Every SLO
// it writes must validate, count occurrences, and hold no template action
// but {{.window}}; otherwise it returns every problem found (a
// palisade.Errors naming each SLO and field) and no file.
func Generate(slos []*slo.SLO) (*RuleFile, error) {
	f := &RuleFile{Groups: []Group{}}
	var errs palisade.Errors
	seen := map[string]bool{}
	for _, s := range slos {
		if s == nil || s.Indicator.Kind != slo.KindPrometheus {
			continue
		}
		if seen[s.Name] {
			errs = append(errs, fieldError(s, "name", "duplicate SLO name: rule group names would collide"))
			continue
		}
		seen[s.Name] = true
		gs, err := generate(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.Groups = append(f.Groups, gs...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

func fieldError(s *slo.SLO, field, format string, args ...any) *palisade.Error {
	return palisade.FieldErrorf(palisade.EINVALID, "slos["+s.Name+"]."+field, format, args...)
}

// placeholder is where a query's range goes, as Sloth writes it.
const placeholder = "{{.window}}"

// spacedRE finds the placeholder written with spaces, which Go templates
// (and so Sloth) accept but Palisade's evaluation does not.
var spacedRE = regexp.MustCompile(`\{\{\s*\.window\s*\}\}`)

// windowed gives a query over w the way slo.PrometheusSource reads it, so
// the rules and Palisade's own evaluation count the same: a query with the
// placeholder is a per-second rate over w; one without is a counter, whose
// increase over w is counted.
func windowed(query string, w time.Duration) (expr string, rate bool) {
	q := strings.TrimSpace(query)
	if strings.Contains(q, placeholder) {
		return strings.ReplaceAll(q, placeholder, promDuration(w)), true
	}
	return "sum(increase((" + q + ")[" + promDuration(w) + ":]))", false
}

// count gives the number of events over w.
func count(query string, w time.Duration) string {
	expr, rate := windowed(query, w)
	if rate {
		return "(" + expr + ") * " + num(w.Seconds())
	}
	return expr
}

func checkQuery(s *slo.SLO, field, q string) *palisade.Error {
	rest := strings.ReplaceAll(q, placeholder, "")
	if spacedRE.MatchString(rest) {
		return fieldError(s, field, "write the range as {{.window}}, without spaces: Palisade's evaluation reads only that form")
	}
	if strings.Contains(rest, "{{") {
		return fieldError(s, field, "the query holds a template action other than {{.window}}")
	}
	return nil
}

type sloRules struct {
	s        *slo.SLO
	labels   map[string]string // palisade_service and palisade_slo
	selector string            // {palisade_service="...", palisade_slo="..."}
	budget   float64
	period   time.Duration
}

func generate(s *slo.SLO) ([]Group, *palisade.Error) {
	if err := s.Validate(); err != nil {
		return nil, fieldError(s, palisade.ErrorField(err), "%s", palisade.ErrorMessage(err))
	}
	if s.Budgeting != slo.Occurrences {
		return nil, fieldError(s, "budgeting", "Prometheus rules count occurrences (bad/total events); budgeting %q has no rule form: use occurrences", s.Budgeting)
	}
	p := s.Indicator.Prometheus
	for _, q := range []struct{ field, query string }{
		{"indicator.prometheus.good", p.Good}, {"indicator.prometheus.bad", p.Bad}, {"indicator.prometheus.total", p.Total},
	} {
		if q.query == "" {
			continue
		}
		if err := checkQuery(s, q.field, q.query); err != nil {
			return nil, err
		}
	}
	r := &sloRules{
		s:      s,
		labels: map[string]string{LabelService: s.Service, LabelSLO: s.Name},
		selector: fmt.Sprintf("{%s=%s, %s=%s}", LabelService, strconv.Quote(s.Service),
			LabelSLO, strconv.Quote(s.Name)),
		budget: 1 - s.Objective,
		period: s.Window.Period(),
	}
	gs := []Group{
		{Name: "palisade-slo-sli-" + s.Name, Rules: r.sliRules()},
		{Name: "palisade-slo-meta-" + s.Name, Rules: r.metaRules()},
	}
	if !s.Alerting.Disabled {
		gs = append(gs, Group{Name: "palisade-slo-alerts-" + s.Name, Rules: r.alertRules()})
	}
	return gs, nil
}

func (r *sloRules) with(extra ...string) map[string]string {
	m := make(map[string]string, len(r.labels)+len(extra)/2)
	for k, v := range r.labels {
		m[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// errorRatio is Sloth's SLI expression for one window: bad/total, or
// 1 − good/total written as Sloth writes it for OpenSLO good queries. When
// one query is a rate and the other a counter, the rate is turned into a
// count, as Palisade's evaluation does; two rates divide as they are.
func (r *sloRules) errorRatio(w time.Duration) string {
	p := r.s.Indicator.Prometheus
	numQuery := p.Bad
	if numQuery == "" {
		numQuery = p.Good
	}
	numer, numRate := windowed(numQuery, w)
	denom, denRate := windowed(p.Total, w)
	if numRate != denRate {
		numer, denom = count(numQuery, w), count(p.Total, w)
	}
	if p.Bad != "" {
		return "(" + numer + ")\n/\n(" + denom + ")"
	}
	return "(\n  1 - (\n    (\n      " + numer + "\n    )\n    /\n    (\n      " + denom + "\n    )\n  )\n)"
}

func (r *sloRules) sliRules() []Rule {
	var rules []Rule
	for _, w := range slo.BurnWindows() {
		rules = append(rules, Rule{Record: ErrorRatioRecord(w), Expr: r.errorRatio(w), Labels: r.with(LabelWindow, promDuration(w))})
	}
	// The period ratio reads the queries over the whole period, as Sloth
	// does with --disable-optimized-rules, rather than Sloth's default mean
	// of 5m ratios: it weighs every event equally, as Palisade's own
	// evaluation does, and one idle 5m window (0/0 = NaN, common for
	// low-traffic security indicators) cannot turn the period into NaN.
	if !slices.Contains(slo.BurnWindows(), r.period) { // a 1d or 3d SLO has its period recorded already
		rules = append(rules, Rule{Record: ErrorRatioRecord(r.period), Expr: r.errorRatio(r.period), Labels: r.with(LabelWindow, promDuration(r.period))})
	}
	if r.guarded() {
		for _, w := range r.longWindows() {
			rules = append(rules, Rule{Record: TotalRecord(w), Expr: count(r.s.Indicator.Prometheus.Total, w), Labels: r.with(LabelWindow, promDuration(w))})
		}
	}
	return rules
}

// guarded reports whether alerts need a minimum number of events in the
// long window, as slo.Evaluate requires Alerting.MinEvents there.
func (r *sloRules) guarded() bool { return !r.s.Alerting.Disabled && r.s.Alerting.MinEvents > 0 }

func (r *sloRules) longWindows() []time.Duration {
	var ws []time.Duration
	for _, aw := range slo.AlertWindows(r.period) {
		ws = append(ws, aw.Long)
	}
	return ws
}

func (r *sloRules) metaRules() []Rule {
	s := r.s
	ratioOverBudget := func(w time.Duration) string {
		return ErrorRatioRecord(w) + r.selector + "\n/ on(" + LabelService + ", " + LabelSLO + ") group_left\n" + ErrorBudgetRecord + r.selector
	}
	return []Rule{
		{Record: ObjectiveRecord, Expr: "vector(" + num(s.Objective) + ")", Labels: r.with()},
		{Record: ErrorBudgetRecord, Expr: "vector(" + num(r.budget) + ")", Labels: r.with()},
		{Record: TimePeriodRecord, Expr: "vector(" + num(r.period.Hours()/24) + ")", Labels: r.with()},
		{Record: CurrentBurnRateRecord, Expr: ratioOverBudget(slo.BurnWindows()[0]), Labels: r.with()},
		{Record: PeriodBurnRateRecord, Expr: ratioOverBudget(r.period), Labels: r.with()},
		{Record: PeriodBudgetRemainingRecord, Expr: "1 - " + PeriodBurnRateRecord + r.selector, Labels: r.with()},
		{Record: InfoRecord, Expr: "vector(1)", Labels: r.with(
			"palisade_objective", num(s.Objective*100),
			"palisade_period", s.Window.String(),
			"palisade_budgeting", s.Budgeting,
		)},
	}
}

func (r *sloRules) alertRules() []Rule {
	var rules []Rule
	for _, sev := range []string{slo.Page, slo.Ticket} {
		var conds, texts []string
		for _, aw := range slo.AlertWindows(r.period) {
			if aw.Severity != sev {
				continue
			}
			conds = append(conds, r.condition(aw))
			texts = append(texts, fmt.Sprintf("above %s (burn rate %s: %s of the budget in %s) over both %s and %s",
				pct(aw.Factor*r.budget), num(aw.Factor), pct(aw.Budget), promDuration(aw.Long), promDuration(aw.Long), promDuration(aw.Short)))
		}
		desc := fmt.Sprintf("SLO %s of service %s (objective %s over %s, error budget %s): the error ratio is %s. "+
			"Short-window error ratio now: {{ $value | humanizePercentage }}.",
			escape(r.s.Name), escape(r.s.Service), pct(r.s.Objective), escape(r.s.Window.String()), pct(r.budget),
			strings.Join(texts, ", or "))
		if r.guarded() {
			desc += fmt.Sprintf(" Alerts need at least %d events in the long window.", r.s.Alerting.MinEvents)
		}
		if d := strings.TrimSpace(r.s.Description); d != "" {
			desc += " " + escape(d)
		}
		rules = append(rules, Rule{
			Alert:  AlertName,
			Expr:   strings.Join(conds, "\nor\n"),
			Labels: map[string]string{LabelSeverity: sev},
			Annotations: map[string]string{
				"summary":     fmt.Sprintf("SLO %s of service %s is burning its error budget too fast (%s).", escape(r.s.Name), escape(r.s.Service), sev),
				"description": desc,
			},
		})
	}
	return rules
}

// condition is one multi-window condition in Sloth's form: both windows'
// error ratios above factor × budget, compared without the window label so
// the two sides match.
func (r *sloRules) condition(aw slo.AlertWindow) string {
	threshold := "(" + num(aw.Factor) + " * " + num(r.budget) + ")"
	side := func(record string, op, than string) string {
		return "    max(" + record + r.selector + " " + op + " " + than + ") without (" + LabelWindow + ")"
	}
	parts := []string{
		side(ErrorRatioRecord(aw.Short), ">", threshold),
		side(ErrorRatioRecord(aw.Long), ">", threshold),
	}
	if r.guarded() {
		parts = append(parts, side(TotalRecord(aw.Long), ">=", strconv.Itoa(r.s.Alerting.MinEvents)))
	}
	return "(\n" + strings.Join(parts, "\n    and\n") + "\n)"
}

// num writes a number for PromQL and labels. Rounding to 12 significant
// digits drops float artefacts (0.02 × 672h / 1h = 13.440000000000001)
// that would make the rules harder to read, at a relative error far below
// anything a burn rate can resolve.
func num(x float64) string {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return strconv.FormatFloat(r, 'g', -1, 64)
}

func pct(x float64) string { return num(x*100) + "%" }

// promDuration writes a duration as Prometheus reads it (5m, 1h, 1d, 4w).
func promDuration(d time.Duration) string { return slo.Duration(d).String() }

// escape keeps text that goes into an annotation from being read as a
// Prometheus template.
var templateEscaper = strings.NewReplacer("{{", `{{"{{"}}`, "}}", `{{"}}"}}`)

func escape(s string) string { return templateEscaper.Replace(s) }

// WriteYAML writes the rule file as `promtool check rules` and Prometheus's
// rule_files read it, with a header that says it is generated.
func (f *RuleFile) WriteYAML(w io.Writer) error {
	groups := f.Groups
	if groups == nil {
		groups = []Group{}
	}
	b, err := yaml.MarshalWithOptions(RuleFile{Groups: groups}, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(false))
	if err != nil {
		return fmt.Errorf("encoding rules: %w", err)
	}
	if _, err := io.WriteString(w, "# Code generated by Palisade (palisade slo rules --format prometheus). DO NOT EDIT.\n# Rules and labels: docs/slo-prometheus.md.\n\n"); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
