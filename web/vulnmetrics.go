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
	"github.com/palisade-project/palisade/vuln"
)

// trendWindow is how far back the metrics page reads daily snapshots.
const trendWindow = 90 * 24 * time.Hour

// trendStep is the distance the trend arrow compares over: a week smooths
// out the day-to-day noise of scans and still shows a change while it is
// fresh.
const trendStep = 7 * 24 * time.Hour

// Sparkline geometry, in SVG user units.
const (
	sparkW   = 120
	sparkH   = 28
	sparkPad = 3
)

// metricsURL is the metrics page of a scope.
func metricsURL(sc vuln.Scope) string {
	if k := sc.Key(); k != "" {
		return "/vulnerabilities/metrics?scope=" + url.QueryEscape(k)
	}
	return "/vulnerabilities/metrics"
}

// parseScope reads the metrics page's scope: "" for everything,
// "team:NAME" or "service:NAME", as vuln.Scope.Key writes them.
func parseScope(s string) (vuln.Scope, error) {
	kind, name, _ := strings.Cut(s, ":")
	switch {
	case s == "":
		return vuln.Scope{}, nil
	case kind == "team" && name != "":
		return vuln.Scope{Team: name}, nil
	case kind == "service" && name != "":
		return vuln.Scope{Service: name}, nil
	}
	return vuln.Scope{}, palisade.FieldErrorf(palisade.EINVALID, "scope", "scope must be empty (everything), team:NAME or service:NAME")
}

// metricPart is one piece of a metric's breakdown.
type metricPart struct {
	Text, Class string
}

// trendView is a metric's move between two snapshots a week apart.
type trendView struct {
	// None is set when there are fewer than two snapshots.
	None  bool
	Arrow string
	// Class is trend-good when the metric moved the way it should,
	// trend-bad when it moved the other way and trend-flat when it held.
	Class string
	Delta string
	// Text says the same in words, for the tooltip and screen readers.
	Text string
}

// sparkView is a metric's headline over the trend, laid out as an SVG
// polyline.
type sparkView struct {
	ID           string
	W, H         int
	Points       string
	LastX, LastY string
	Title        string
}

type metricRow struct {
	Def    vuln.Definition
	Value  string
	Parts  []metricPart
	Better string
	Trend  trendView
	Spark  *sparkView
}

type scopeChoice struct {
	Value, Label string
}

type metricsView struct {
	Scope      string
	ScopeLabel string
	Teams      []scopeChoice
	Services   []scopeChoice
	Period     string
	At         time.Time
	Snapshots  int
	Rows       []metricRow
	ListURL    string
}

// vulnMetrics serves the CVE metrics of a scope with their trends.
func (u *UI) vulnMetrics(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	raw, err := queryValue(r.URL.Query(), "scope")
	if err != nil {
		return err
	}
	sc, err := parseScope(raw)
	if err != nil {
		return err
	}
	rep, err := u.cfg.Vuln.Metrics(ctx, sc, u.cfg.Now().Add(-trendWindow))
	if err != nil {
		return err
	}
	v := metricsView{Scope: sc.Key(), ScopeLabel: scopeLabel(sc), At: rep.Current.At, Snapshots: len(rep.Trend),
		Period:  fmt.Sprintf("the last %d days", int(vuln.MetricsPeriod/(24*time.Hour))),
		ListURL: findingsQuery{Service: sc.Service, Team: sc.Team, State: "open"}.link("")}
	if v.Teams, v.Services, err = u.scopeChoices(ctx, sc); err != nil {
		return err
	}
	for _, d := range rep.Definitions {
		row := metricRow{Def: d, Trend: trendOf(d, rep.Trend), Spark: sparkline(d, rep.Trend)}
		row.Value, row.Parts = metricValue(d.Key, &rep.Current)
		row.Better = "Lower is better"
		if d.Better == "up" {
			row.Better = "Higher is better"
		}
		v.Rows = append(v.Rows, row)
	}
	return u.render(w, r, http.StatusOK, "vulnmetrics", "CVE metrics", "vuln-metrics", v)
}

// scopeChoices lists the scopes the selector offers, keeping the current
// one even when it is beyond the first page of services.
func (u *UI) scopeChoices(ctx context.Context, cur vuln.Scope) (teams, services []scopeChoice, err error) {
	tn, sn, err := u.scopeNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	if cur.Service != "" && !slices.Contains(sn, cur.Service) {
		sn = append(sn, cur.Service)
	}
	for _, t := range tn {
		teams = append(teams, scopeChoice{Value: vuln.Scope{Team: t}.Key(), Label: t})
	}
	for _, s := range sn {
		services = append(services, scopeChoice{Value: vuln.Scope{Service: s}.Key(), Label: s})
	}
	return teams, services, nil
}

// isCount reports whether a metric's headline is a number of findings or
// acceptances; the others are days or percentages.
func isCount(key string) bool {
	switch key {
	case "timeToRemediate", "ageOpen", "timeToDetect", "withinDeadline", "inventoryCoverage":
		return false
	}
	return true
}

// headlineText formats a metric's headline number in its unit.
func headlineText(key string, v float64) string {
	switch key {
	case "timeToRemediate", "ageOpen", "timeToDetect":
		return days1(v)
	case "withinDeadline", "inventoryCoverage":
		return percent(v)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// percent formats a percentage without decimals, except below 10% where
// rounding would hide a real difference ("0%" for one service in 200).
func percent(v float64) string {
	if v < 10 && math.Abs(v-math.Round(v)) >= 0.05 {
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "%"
}

func days1(d float64) string {
	if d == 1 {
		return "1.0 day"
	}
	return strconv.FormatFloat(d, 'f', 1, 64) + " days"
}

func share(r vuln.Ratio) string { return percent(r.Share * 100) }

// metricValue formats a metric's current value, with its breakdown.
func metricValue(key string, m *vuln.Metrics) (string, []metricPart) {
	switch key {
	case "open":
		var parts []metricPart
		for _, s := range vuln.Severities {
			parts = append(parts, metricPart{Text: fmt.Sprintf("%s %d", s, m.OpenBySeverity[s]), Class: "sev sev-" + s})
		}
		return strconv.Itoa(m.Open), parts
	case "timeToRemediate":
		var parts []metricPart
		n := 0
		for _, s := range vuln.Severities {
			st, ok := m.TimeToRemediate[s]
			if !ok || st.Count == 0 {
				continue
			}
			n += st.Count
			parts = append(parts, metricPart{Text: fmt.Sprintf("%s: mean %s, p90 %s (%s)", s, days1(st.Mean), days1(st.P90), plural(st.Count, "finding", "findings"))})
		}
		if n == 0 {
			return "—", []metricPart{{Text: "no finding was resolved in the period", Class: "none"}}
		}
		return "mean " + days1(m.Headline(key)), parts
	case "withinDeadline":
		if m.WithinDeadline.Total == 0 {
			return "—", []metricPart{{Text: "no deadline fell in the period", Class: "none"}}
		}
		return share(m.WithinDeadline), []metricPart{{Text: fmt.Sprintf("%d of %d", m.WithinDeadline.Good, m.WithinDeadline.Total)}}
	case "ageOpen":
		if m.AgeOpen.Count == 0 {
			return "—", []metricPart{{Text: "no open finding", Class: "none"}}
		}
		return "p50 " + days1(m.AgeOpen.P50), []metricPart{{Text: "p90 " + days1(m.AgeOpen.P90) + ", " + plural(m.AgeOpen.Count, "finding", "findings")}}
	case "timeToDetect":
		if m.TimeToDetect.Count == 0 {
			return "—", []metricPart{{Text: "no finding with a publication date was detected in the period", Class: "none"}}
		}
		return "mean " + days1(m.TimeToDetect.Mean), []metricPart{{Text: "p90 " + days1(m.TimeToDetect.P90) + ", " + plural(m.TimeToDetect.Count, "finding", "findings")}}
	case "inventoryCoverage":
		if m.InventoryCoverage.Total == 0 {
			return "—", []metricPart{{Text: "no service in scope", Class: "none"}}
		}
		return share(m.InventoryCoverage), []metricPart{{Text: fmt.Sprintf("%d of %s", m.InventoryCoverage.Good, plural(m.InventoryCoverage.Total, "service", "services"))}}
	}
	return headlineText(key, m.Headline(key)), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// trendOf compares the latest snapshot with the one closest to a week
// before it (the earliest, while there is less than a week of them).
func trendOf(d vuln.Definition, trend []vuln.Metrics) trendView {
	if len(trend) < 2 {
		return trendView{None: true, Text: "no trend yet: it needs daily snapshots on two days"}
	}
	last := trend[len(trend)-1]
	target := last.At.Add(-trendStep)
	prev := trend[0]
	for _, m := range trend[1 : len(trend)-1] {
		if absDuration(m.At.Sub(target)) < absDuration(prev.At.Sub(target)) {
			prev = m
		}
	}
	a, b := prev.Headline(d.Key), last.Headline(d.Key)
	t := trendView{Arrow: "→", Class: "trend-flat", Delta: "±0"}
	const eps = 1e-9
	dir := ""
	switch {
	case b > a+eps:
		t.Arrow, dir = "↑", "up"
		t.Delta = "+" + deltaText(d.Key, b-a)
	case b < a-eps:
		t.Arrow, dir = "↓", "down"
		t.Delta = "−" + deltaText(d.Key, a-b)
	}
	verdict := "unchanged"
	switch {
	case dir == "":
	case dir == d.Better:
		t.Class, verdict = "trend-good", "better"
	default:
		t.Class, verdict = "trend-bad", "worse"
	}
	t.Text = fmt.Sprintf("%s: %s on %s, %s on %s", verdict, headlineText(d.Key, a), prev.At.UTC().Format(time.DateOnly),
		headlineText(d.Key, b), last.At.UTC().Format(time.DateOnly))
	return t
}

func deltaText(key string, v float64) string {
	switch {
	case isCount(key):
		return strconv.FormatFloat(v, 'f', 0, 64)
	case key == "withinDeadline" || key == "inventoryCoverage":
		return strconv.FormatFloat(v, 'f', 0, 64) + " pts"
	}
	return days1(v)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// sparkline draws a metric's headline over the snapshots, spaced by their
// dates so that a missed day shows as a longer segment. The drawing is
// scaled to its own range: it shows the shape, the table shows the values.
func sparkline(d vuln.Definition, trend []vuln.Metrics) *sparkView {
	if len(trend) < 2 {
		return nil
	}
	first, last := trend[0].At, trend[len(trend)-1].At
	span := last.Sub(first)
	lo, hi := math.Inf(1), math.Inf(-1)
	vals := make([]float64, len(trend))
	for i := range trend {
		vals[i] = trend[i].Headline(d.Key)
		lo, hi = math.Min(lo, vals[i]), math.Max(hi, vals[i])
	}
	innerW, innerH := float64(sparkW-2*sparkPad), float64(sparkH-2*sparkPad)
	pts := make([]string, len(trend))
	var x, y float64
	for i, v := range vals {
		if span > 0 {
			x = sparkPad + innerW*float64(trend[i].At.Sub(first))/float64(span)
		} else {
			x = sparkPad + innerW*float64(i)/float64(len(trend)-1)
		}
		y = sparkPad + innerH/2 // a flat line sits in the middle
		if hi > lo {
			y = sparkPad + innerH*(hi-v)/(hi-lo)
		}
		pts[i] = coord(x) + "," + coord(y)
	}
	return &sparkView{
		ID: "spark-" + d.Key, W: sparkW, H: sparkH, Points: strings.Join(pts, " "), LastX: coord(x), LastY: coord(y),
		Title: fmt.Sprintf("%s over %s from %s to %s: from %s to %s, lowest %s, highest %s", d.Name,
			plural(len(trend), "daily snapshot", "daily snapshots"), first.UTC().Format(time.DateOnly), last.UTC().Format(time.DateOnly),
			headlineText(d.Key, vals[0]), headlineText(d.Key, vals[len(vals)-1]), headlineText(d.Key, lo), headlineText(d.Key, hi)),
	}
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
