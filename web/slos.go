package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
)

// sloStatuses are the statuses of an SLO, worst first: the order of the
// counts above the list and of its rows.
var sloStatuses = []string{slo.StatusExhausted, slo.StatusWarning, slo.StatusNoData, slo.StatusOK}

// statusClass is the CSS class of a status chip: the status, or no_data
// for one this version does not know.
func statusClass(s string) string { return sloStatuses[statusRank(s)] }

// statusRank orders statuses worst first; a status this version does not
// know sorts with no_data, since neither says the budget holds.
func statusRank(s string) int {
	if i := slices.Index(sloStatuses, s); i >= 0 {
		return i
	}
	return slices.Index(sloStatuses, slo.StatusNoData)
}

// historyPoints is how many instants the burn-down evaluates: about one
// every half day over a 28-day window, enough for the shape of a month.
const historyPoints = 60

// promHistoryPoints is the burn-down's resolution for Prometheus
// indicators, which cost a round of HTTP queries per point.
const promHistoryPoints = 15

// needSLO refuses a page of the SLO capability on a server that was not
// given it: a wiring defect, logged, not the user's to fix.
func (u *UI) needSLO() error {
	if u.cfg.SLO == nil || u.cfg.Gate == nil {
		return palisade.Errorf(palisade.EINTERNAL, "web: Config.SLO or Config.Gate is not set")
	}
	return nil
}

// pct formats a fraction as a percentage with at most places decimals,
// trailing zeros dropped: an objective of 99.95% needs its decimals, 90%
// does not.
func pct(f float64, places int) string {
	s := strconv.FormatFloat(f*100, 'f', places, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s + "%"
}

// sliText formats an SLI truncated rather than rounded, so that 99.9996%
// never reads as a perfect 100%.
func sliText(f float64) string {
	const places = 3
	p := math.Pow(10, places+2)
	// The epsilon keeps a binary rounding error (0.99955 stored as
	// 0.99954999…) from costing the last digit.
	return pct(math.Floor(f*p+1e-6)/p, places)
}

// times formats a burn rate: "40×", "20.1×", "0.93×"; the larger it is,
// the fewer decimals matter.
func times(f float64) string {
	places := 2
	switch {
	case f >= 100:
		places = 0
	case f >= 10:
		places = 1
	}
	s := strconv.FormatFloat(f, 'f', places, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + "×"
}

// factorText formats an alert condition's factor to two decimals, as
// the SRE Workbook and Sloth give them (13.44×, 0.93×).
func factorText(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".") + "×"
}

// humanDuration writes a duration in the two largest units that matter to
// someone planning around it: "4 days 6 hours", "3 hours 20 minutes".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return plural(days, "day", "days") + " " + plural(hours, "hour", "hours")
	case days > 0:
		return plural(days, "day", "days")
	case hours > 0 && mins > 0:
		return plural(hours, "hour", "hours") + " " + plural(mins, "minute", "minutes")
	case hours > 0:
		return plural(hours, "hour", "hours")
	}
	return plural(mins, "minute", "minutes")
}

// windowText says what an objective's window is.
func windowText(w slo.Window) string {
	switch w.Calendar {
	case slo.CalendarMonth:
		return "calendar month (UTC)"
	case slo.CalendarWeek:
		return "calendar week (UTC, from Monday)"
	}
	d := time.Duration(w.Rolling)
	if d%(24*time.Hour) == 0 {
		// Days, not slo.Duration's weeks: objectives are spoken of as
		// "28 days" or "30 days".
		return plural(int(d/(24*time.Hour)), "day", "days") + ", rolling"
	}
	return w.Rolling.String() + ", rolling"
}

// indicatorText says in a few words what an indicator counts.
func indicatorText(in slo.Indicator) string {
	sev := ""
	if len(in.Severities) > 0 {
		sev = " (" + strings.Join(in.Severities, ", ") + ")"
	}
	switch in.Kind {
	case slo.KindEvents:
		return "good and total events pushed through the API"
	case slo.KindRemediation:
		return "findings decided by their remediation deadline" + sev
	case slo.KindExposure:
		return "time without an overdue finding" + sev
	case slo.KindControls:
		return "time the control check “" + in.Check + "” passes"
	case slo.KindPrometheus:
		if in.Prometheus != nil {
			return "a ratio of Prometheus queries on " + in.Prometheus.Server
		}
		return "a ratio of Prometheus queries"
	}
	return in.Kind
}

// Budget bar geometry, in SVG user units.
const (
	budgetBarW = 100
	budgetBarH = 8
)

// budgetView is an error budget as a bar and a number. The bar is drawn by
// the template from these fields, so the page needs no inline style.
type budgetView struct {
	// None is set without data: a dash, no bar.
	None bool
	// Width is the filled part of the bar, out of budgetBarW.
	Width string
	// Level is ok, low (under a quarter left, where the status turns to
	// warning) or spent: the bar's colour.
	Level string
	Text  string
}

func newBudget(left *float64) budgetView {
	if left == nil {
		return budgetView{None: true}
	}
	b := budgetView{Level: "ok", Width: coord(budgetBarW * math.Max(0, math.Min(1, *left))), Text: pct(*left, 1)}
	switch {
	case *left <= 0:
		b.Level = "spent"
	case *left < 0.25:
		b.Level = "low"
	}
	return b
}

// sloRow is an SLO as a table shows it.
type sloRow struct {
	Name, Service, Kind string
	Indicator           string
	Objective, Window   string
	// WindowKind says whether Window is rolling or a calendar period,
	// under it: the list has no room for both on one line.
	WindowKind string
	// SLI is "—" without data.
	SLI    string
	Budget budgetView
	Status string
	// Reason says why there is no data (or what failed).
	Reason string
}

func newSLORow(o *slo.SLO, st slo.Status) sloRow {
	r := sloRow{Name: o.Name, Service: o.Service, Kind: o.Indicator.Kind, Indicator: indicatorText(o.Indicator),
		Objective: pct(o.Objective, 3), SLI: "—",
		Budget: newBudget(st.ErrorBudgetRemaining), Status: st.Status, Reason: st.Reason}
	if st.SLI != nil {
		r.SLI = sliText(*st.SLI)
	}
	switch o.Window.Calendar {
	case slo.CalendarMonth:
		r.Window, r.WindowKind = "month", "calendar, UTC"
	case slo.CalendarWeek:
		r.Window, r.WindowKind = "week", "calendar, UTC"
	default:
		r.Window, r.WindowKind = strings.TrimSuffix(windowText(o.Window), ", rolling"), "rolling"
	}
	return r
}

// sortSLOViews puts the SLOs that need attention first: by status, worst
// first, then by name.
func sortSLOViews(vs []slo.View) {
	slices.SortStableFunc(vs, func(a, b slo.View) int {
		if c := statusRank(a.Status.Status) - statusRank(b.Status.Status); c != 0 {
			return c
		}
		return strings.Compare(a.SLO.Name, b.SLO.Name)
	})
}

// sloQuery is the SLO list's filter.
type sloQuery struct {
	Service, Status string
}

func (q sloQuery) link() string {
	p := url.Values{}
	if q.Service != "" {
		p.Set("service", q.Service)
	}
	if q.Status != "" {
		p.Set("status", q.Status)
	}
	if len(p) == 0 {
		return "/slos"
	}
	return "/slos?" + p.Encode()
}

// statusCount is the number of SLOs in one status, linked to them.
type statusCount struct {
	Status string
	Count  int
	URL    string
}

type slosView struct {
	Query    sloQuery
	Statuses []string
	// Services are those with SLOs, for the filter.
	Services []string
	Filtered bool
	// Scope is what the counts cover: one service, or every SLO.
	Scope  string
	Total  int
	Counts []statusCount
	Rows   []sloRow
	// Latest is when the newest status shown was evaluated.
	Latest time.Time
}

// countStatuses counts views per status, each count linked to the list of
// base's service in that status.
func countStatuses(vs []slo.View, base sloQuery) []statusCount {
	n := map[string]int{}
	for _, v := range vs {
		n[statusClass(v.Status.Status)]++
	}
	out := make([]statusCount, 0, len(sloStatuses))
	for _, s := range sloStatuses {
		q := base
		q.Status = s
		out = append(out, statusCount{Status: s, Count: n[s], URL: q.link()})
	}
	return out
}

// slos serves the list of SLOs with their last evaluated status. The
// evaluation job refreshes those every minute; an SLO's own page
// evaluates it afresh.
func (u *UI) slos(w http.ResponseWriter, r *http.Request) error {
	if err := u.needSLO(); err != nil {
		return err
	}
	q := r.URL.Query()
	var fq sloQuery
	var err error
	if fq.Service, err = queryValue(q, "service"); err != nil {
		return err
	}
	if fq.Status, err = queryValue(q, "status"); err != nil {
		return err
	}
	if fq.Status != "" && !slices.Contains(sloStatuses, fq.Status) {
		return palisade.FieldErrorf(palisade.EINVALID, "status", "status must be one of %s", strings.Join(sloStatuses, ", "))
	}
	all, err := u.cfg.SLO.List(r.Context(), "")
	if err != nil {
		return err
	}
	sortSLOViews(all)
	v := slosView{Query: fq, Statuses: sloStatuses, Filtered: fq != sloQuery{}, Scope: "all services"}
	inService := all
	if fq.Service != "" {
		v.Scope = "service " + fq.Service
		inService = nil
	}
	for _, x := range all {
		if !slices.Contains(v.Services, x.SLO.Service) {
			v.Services = append(v.Services, x.SLO.Service)
		}
		if fq.Service != "" && x.SLO.Service == fq.Service {
			inService = append(inService, x)
		}
	}
	// A service without SLOs stays selected, so the filter shows what
	// the list is of.
	if fq.Service != "" && !slices.Contains(v.Services, fq.Service) {
		v.Services = append(v.Services, fq.Service)
	}
	slices.Sort(v.Services)
	v.Total = len(inService)
	v.Counts = countStatuses(inService, sloQuery{Service: fq.Service})
	for _, x := range inService {
		if fq.Status != "" && statusClass(x.Status.Status) != fq.Status {
			continue
		}
		v.Rows = append(v.Rows, newSLORow(x.SLO, x.Status))
		if x.Status.At.After(v.Latest) {
			v.Latest = x.Status.At
		}
	}
	return u.render(w, r, http.StatusOK, "slos", "Security SLOs", "slos", v)
}

// conditionRow is one multi-window burn-rate alert condition of an SLO,
// with the burn rates it compares and whether it fires.
type conditionRow struct {
	Severity     string
	Long, Short  string
	Factor       string
	BudgetShare  string
	LongBurn     string
	ShortBurn    string
	LongOver     bool
	ShortOver    bool
	Firing       bool
	FiringReason string
}

// burnRow is the burn rate over one window.
type burnRow struct {
	Window string
	// Burn is "—" without data in the window.
	Burn string
	// Level is the most severe alert condition reading this window whose
	// factor the burn rate exceeds: page, ticket or ok.
	Level string
	// ReadBy names the conditions that read the window.
	ReadBy string
}

// firingBadge says how many alerts of one severity fire.
type firingBadge struct {
	Severity, Text string
}

// historyRow is one point of the burn-down.
type historyRow struct {
	At     time.Time
	SLI    string
	Budget string
	Status string
}

type sloPageView struct {
	SLO        *slo.SLO
	St         slo.Status
	Objective  string
	Window     string
	Indicator  string
	SliceText  string
	SLI        string
	Counted    string
	Budget     budgetView
	Exhaustion string
	// Alerts are the firing conditions, worst first; Firing sums them
	// up per severity for the chips under the heading.
	Alerts     []conditionRow
	Firing     []firingBadge
	Conditions []conditionRow
	Burns      []burnRow
	BurnChart  *chartView
	// BudgetChart and SLIChart draw the history; nil when no point of
	// it had data.
	BudgetChart *chartView
	SLIChart    *chartView
	History     []historyRow
	HistoryFrom time.Time
	ListURL     string
}

// sloPage serves one SLO evaluated now, with its burn rates and the
// budget's burn-down over the window.
func (u *UI) sloPage(w http.ResponseWriter, r *http.Request) error {
	if err := u.needSLO(); err != nil {
		return err
	}
	name := r.PathValue("name")
	if !catalog.ValidName(name) {
		return palisade.Errorf(palisade.ENOTFOUND, "there is no SLO named %q", name)
	}
	ctx := r.Context()
	view, err := u.cfg.SLO.Get(ctx, name)
	if err != nil {
		return err
	}
	points := historyPoints
	if view.SLO.Indicator.Kind == slo.KindPrometheus {
		points = promHistoryPoints
	}
	hist, err := u.cfg.SLO.History(ctx, name, points)
	if err != nil {
		return err
	}
	v := newSLOPageView(view.SLO, view.Status, hist)
	return u.render(w, r, http.StatusOK, "slo", view.SLO.Name, "slos", v)
}

func newSLOPageView(o *slo.SLO, st slo.Status, hist []slo.Status) *sloPageView {
	v := &sloPageView{SLO: o, St: st, Objective: pct(o.Objective, 3), Window: windowText(o.Window), Indicator: indicatorText(o.Indicator),
		SLI: "—", Budget: newBudget(st.ErrorBudgetRemaining), ListURL: sloQuery{Service: o.Service}.link()}
	unit := "event"
	if o.Budgeting == slo.Timeslices {
		unit = "timeslice"
		v.SliceText = "timeslices of " + o.Slice.String()
	}
	if st.SLI != nil {
		v.SLI = sliText(*st.SLI)
		if st.Period.Total != 1 {
			unit += "s"
		}
		v.Counted = fmt.Sprintf("%s good of %s %s", count(st.Period.Good), count(st.Period.Total), unit)
	}
	if st.TimeToExhaustion != nil {
		v.Exhaustion = humanDuration(time.Duration(*st.TimeToExhaustion))
	}
	conds := slo.AlertWindows(o.Window.Period())
	firing := map[string]slo.Firing{}
	for _, f := range st.Alerts {
		firing[f.Severity+"/"+slo.Duration(f.Long).String()] = f
	}
	burn := func(d time.Duration) (float64, bool) {
		b, ok := st.BurnRates[slo.Duration(d).String()]
		return b, ok
	}
	for _, c := range conds {
		row := conditionRow{Severity: c.Severity, Long: slo.Duration(c.Long).String(), Short: slo.Duration(c.Short).String(),
			Factor: factorText(c.Factor), BudgetShare: pct(c.Budget, 1), LongBurn: "—", ShortBurn: "—"}
		if b, ok := burn(c.Long); ok {
			row.LongBurn, row.LongOver = times(b), b > c.Factor
		}
		if b, ok := burn(c.Short); ok {
			row.ShortBurn, row.ShortOver = times(b), b > c.Factor
		}
		if f, ok := firing[c.Severity+"/"+row.Long]; ok {
			row.Firing = true
			row.LongBurn, row.ShortBurn = times(f.LongBurn), times(f.ShortBurn)
			row.FiringReason = fmt.Sprintf("burning %s over %s and %s over %s, above %s: at this rate %s of the budget goes in %s",
				times(f.LongBurn), row.Long, times(f.ShortBurn), row.Short, row.Factor, row.BudgetShare, row.Long)
			v.Alerts = append(v.Alerts, row)
		}
		v.Conditions = append(v.Conditions, row)
	}
	for _, sev := range []string{slo.Page, slo.Ticket} {
		n := 0
		for _, a := range v.Alerts {
			if a.Severity == sev {
				n++
			}
		}
		if n > 0 {
			v.Firing = append(v.Firing, firingBadge{Severity: sev, Text: plural(n, sev+" alert", sev+" alerts") + " firing"})
		}
	}
	for _, d := range slo.BurnWindows() {
		row := burnRow{Window: slo.Duration(d).String(), Burn: "—", Level: "ok"}
		var readers []string
		b, ok := burn(d)
		for _, c := range conds {
			role := ""
			switch d {
			case c.Long:
				role = "long"
			case c.Short:
				role = "short"
			default:
				continue
			}
			readers = append(readers, fmt.Sprintf("%s %s/%s (%s)", c.Severity, slo.Duration(c.Long), slo.Duration(c.Short), role))
			if ok && b > c.Factor && row.Level != slo.Page {
				row.Level = c.Severity
			}
		}
		if ok {
			row.Burn = times(b)
		}
		row.ReadBy = strings.Join(readers, ", ")
		v.Burns = append(v.Burns, row)
	}
	v.BurnChart = burnChart(o.Name, st, conds)
	if len(hist) > 0 {
		v.HistoryFrom = hist[0].At
		v.BudgetChart = budgetChart(o.Name, hist)
		v.SLIChart = sliChart(o.Name, o.Objective, hist)
	}
	for _, h := range hist {
		row := historyRow{At: h.At, SLI: "—", Budget: "—", Status: h.Status}
		if h.SLI != nil {
			row.SLI = sliText(*h.SLI)
		}
		if h.ErrorBudgetRemaining != nil {
			row.Budget = pct(*h.ErrorBudgetRemaining, 1)
		}
		v.History = append(v.History, row)
	}
	return v
}

// count formats a number of events or slices: whole numbers as integers,
// pushed fractions with up to two decimals.
func count(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// serviceSLOView is the security SLO section of a service page.
type serviceSLOView struct {
	Service   string
	Rows      []sloRow
	ListURL   string
	Decisions []gateRow
	GateURL   string
}

// serviceGateMax is how many gate decisions a service page lists.
const serviceGateMax = 5

func (u *UI) serviceSLO(ctx context.Context, name string) (*serviceSLOView, error) {
	if u.cfg.SLO == nil || u.cfg.Gate == nil {
		return nil, nil
	}
	v := &serviceSLOView{Service: name, ListURL: sloQuery{Service: name}.link(), GateURL: gateQuery{Service: name}.link("")}
	views, err := u.cfg.SLO.List(ctx, name)
	if err != nil {
		return nil, err
	}
	sortSLOViews(views)
	for _, x := range views {
		v.Rows = append(v.Rows, newSLORow(x.SLO, x.Status))
	}
	recs, _, err := u.cfg.Gate.List(ctx, name, "", serviceGateMax)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		v.Decisions = append(v.Decisions, newGateRow(rec))
	}
	return v, nil
}

// overviewGateMax is how many recent gate decisions the overview sums up.
const overviewGateMax = 20

// outcomeCount is how many of the recent gate decisions had one outcome.
type outcomeCount struct {
	Outcome string
	Count   int
}

// overviewSLO is the security SLOs' card on the overview.
type overviewSLO struct {
	Total  int
	Counts []statusCount
	// Decisions is how many recent gate decisions Outcomes sums up.
	Decisions int
	Outcomes  []outcomeCount
	LastAt    time.Time
}

func (u *UI) overviewSLO(ctx context.Context) (*overviewSLO, error) {
	if u.cfg.SLO == nil || u.cfg.Gate == nil {
		return nil, nil
	}
	views, err := u.cfg.SLO.List(ctx, "")
	if err != nil {
		return nil, err
	}
	v := &overviewSLO{Total: len(views), Counts: countStatuses(views, sloQuery{})}
	recs, _, err := u.cfg.Gate.List(ctx, "", "", overviewGateMax)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, rec := range recs {
		n[outcomeClass(rec.Outcome)]++
		v.LastAt = maxTime(v.LastAt, rec.At)
	}
	v.Decisions = len(recs)
	for _, o := range gateOutcomes {
		v.Outcomes = append(v.Outcomes, outcomeCount{Outcome: o, Count: n[o]})
	}
	return v, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
