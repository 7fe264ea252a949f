package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
)

// incidentPeriods are the periods the incident metrics page offers, in
// days back from now.
var incidentPeriods = []int{30, 90, 180, 365}

const defaultIncidentPeriod = 90

// maxMetricPages bounds the list pages the weekly charts by kind and by
// service read: beyond MaxPage times this many incidents in the period,
// those two charts count the newest only, and say so.
const maxMetricPages = 20

// topServices is how many services the weekly chart by service draws on
// their own; the others are summed up as one.
const topServices = 5

// measure is one of the incident response times.
type measure struct {
	Key, Name, Abbr string
	// Formula is how incident.Metrics documents the measure.
	Formula string
	stat    func(*incident.Metrics) incident.Stat
}

var measures = []measure{
	{"timeToDetect", "Time to detect", "MTTD", "opened − impact started", func(m *incident.Metrics) incident.Stat { return m.TimeToDetect }},
	{"timeToAcknowledge", "Time to acknowledge", "MTTA", "acknowledged − opened", func(m *incident.Metrics) incident.Stat { return m.TimeToAcknowledge }},
	{"timeToMitigate", "Time to mitigate", "MTTM", "mitigated − opened", func(m *incident.Metrics) incident.Stat { return m.TimeToMitigate }},
	{"timeToResolve", "Time to resolve", "MTTR", "resolved − opened", func(m *incident.Metrics) incident.Stat { return m.TimeToResolve }},
}

// minutesText writes a number of minutes as a duration a person reads.
func minutesText(m float64) string {
	return sinceText(time.Duration(m * float64(time.Minute)))
}

// minutesExact is the same figure as the metric gives it, for a tooltip.
func minutesExact(m float64) string {
	return strconv.FormatFloat(m, 'f', -1, 64) + " minutes"
}

type measureRow struct {
	Key, Name, Abbr, Formula, Definition string
	Count                                int
	Mean, P90                            string
	MeanExact, P90Exact                  string
}

// countRow is one count of the period, linked to the incidents it counts.
type countRow struct {
	Label string
	Badge *sevBadge
	Count int
	URL   string
}

// stackSeries is one series of a weekly stacked bar chart.
type stackSeries struct {
	Name, Class string
	Counts      []int // per week
}

// weeklyChart is a chart of incidents per week and the table of its
// values.
type weeklyChart struct {
	ID, Heading, Caption string
	Chart                *chartView
	Series               []string
	Rows                 []weekRow
}

type weekRow struct {
	Week   string
	Counts []int
	Total  int
}

type incidentMetricsView struct {
	Days     int
	Periods  []int
	From, To time.Time
	M        *incident.Metrics
	Measures []measureRow
	// IncidentsDef and OpenDef define the counts.
	IncidentsDef, OpenDef string
	BySeverity            []countRow
	ByKind                []countRow
	ByService             []countRow
	Charts                []weeklyChart
	// Truncated says that the charts by kind and service count only the
	// newest incidents of the period.
	Truncated  bool
	TruncCount int
}

// incidentMetrics serves MTTD, MTTA, MTTM and MTTR over a period, with
// the counts of incidents by severity, kind and service, per week.
func (u *UI) incidentMetrics(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	days := defaultIncidentPeriod
	raw, err := queryValue(r.URL.Query(), "days")
	if err != nil {
		return err
	}
	if raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || !slices.Contains(incidentPeriods, n) {
			return palisade.FieldErrorf(palisade.EINVALID, "days", "days must be one of 30, 90, 180 or 365")
		}
		days = n
	}
	to := u.cfg.Now().UTC()
	from := to.AddDate(0, 0, -days)
	m, err := u.cfg.Incident.Metrics(ctx, from, to)
	if err != nil {
		return err
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	v := incidentMetricsView{Days: days, Periods: incidentPeriods, From: from, To: to, M: m,
		IncidentsDef: m.Definitions["incidents"], OpenDef: m.Definitions["open"]}
	for _, ms := range measures {
		st := ms.stat(m)
		row := measureRow{Key: ms.Key, Name: ms.Name, Abbr: ms.Abbr, Formula: ms.Formula, Definition: m.Definitions[ms.Key], Count: st.Count}
		if st.Count > 0 {
			row.Mean, row.P90 = minutesText(st.Mean), minutesText(st.P90)
			row.MeanExact, row.P90Exact = minutesExact(st.Mean), minutesExact(st.P90)
		}
		v.Measures = append(v.Measures, row)
	}

	sevNames := severityNames(sevs, m)
	for _, name := range sevNames {
		b := sevs.badge(name)
		v.BySeverity = append(v.BySeverity, countRow{Label: name, Badge: &b, Count: m.BySeverity[name], URL: incidentsQuery{Severity: name}.link("")})
	}
	for _, k := range incidentKinds {
		v.ByKind = append(v.ByKind, countRow{Label: k, Count: m.ByKind[k], URL: incidentsQuery{Kind: k}.link("")})
	}
	services := make([]string, 0, len(m.ByService))
	for s := range m.ByService {
		services = append(services, s)
	}
	slices.SortFunc(services, func(a, b string) int {
		if c := cmp.Compare(m.ByService[b], m.ByService[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, s := range services {
		v.ByService = append(v.ByService, countRow{Label: s, Count: m.ByService[s], URL: incidentsQuery{Service: s}.link("")})
	}

	if m.Incidents > 0 {
		incs, truncated, err := u.incidentsSince(ctx, from)
		if err != nil {
			return err
		}
		v.Truncated, v.TruncCount = truncated, len(incs)
		v.Charts = weeklyCharts(m, sevs, sevNames, services, incs, from, to)
	}
	return u.render(w, r, http.StatusOK, "incidentmetrics", "Incident metrics", "incident-metrics", v)
}

// severityNames are the scale's severities and, after them, any other
// severity incidents of the period have.
func severityNames(sevs sevScale, m *incident.Metrics) []string {
	names := make([]string, 0, len(sevs))
	for _, s := range sevs {
		names = append(names, s.Name)
	}
	var extra []string
	for name := range m.BySeverity {
		if !slices.Contains(names, name) {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	return append(names, extra...)
}

// incidentsSince lists the incidents opened since from that the viewer
// may see, newest first, up to maxMetricPages pages; truncated says there
// were more.
func (u *UI) incidentsSince(ctx context.Context, from time.Time) ([]incident.Incident, bool, error) {
	var all []incident.Incident
	f := incident.Filter{Since: from, Limit: incident.MaxPage}
	for range maxMetricPages {
		page, next, err := u.cfg.Incident.List(ctx, f)
		if err != nil {
			return nil, false, err
		}
		all = append(all, page...)
		if next == "" {
			return all, false, nil
		}
		f.Before = next
	}
	return all, true, nil
}

// weeklyCharts draws the incidents opened per week by severity (from the
// metrics themselves), by kind and by service. The last two count
// subsets of incs with incident.ComputeMetrics, so that they follow the
// same rules as the figures (declined and merged incidents are left out,
// weeks start on Monday, UTC).
func weeklyCharts(m *incident.Metrics, sevs sevScale, sevNames, services []string, incs []incident.Incident, from, to time.Time) []weeklyChart {
	weeks := make([]string, len(m.Weekly))
	for i, wk := range m.Weekly {
		weeks[i] = wk.Week
	}
	weekly := func(keep func(*incident.Incident) bool) []int {
		var sub []incident.Incident
		for i := range incs {
			if keep(&incs[i]) {
				sub = append(sub, incs[i])
			}
		}
		sm := incident.ComputeMetrics(sub, from, to)
		out := make([]int, len(weeks))
		for i, wk := range sm.Weekly {
			if i < len(out) {
				out[i] = wk.Total
			}
		}
		return out
	}

	var bySev []stackSeries
	for _, name := range sevNames {
		s := stackSeries{Name: name, Class: "fill-" + sevs.badge(name).Class, Counts: make([]int, len(weeks))}
		for i, wk := range m.Weekly {
			s.Counts[i] = wk.BySeverity[name]
		}
		bySev = append(bySev, s)
	}
	var byKind []stackSeries
	for _, k := range incidentKinds {
		byKind = append(byKind, stackSeries{Name: k, Class: "fill-kind-" + k, Counts: weekly(func(in *incident.Incident) bool { return in.Kind == k })})
	}
	top := services[:min(topServices, len(services))]
	var bySvc []stackSeries
	for i, s := range top {
		bySvc = append(bySvc, stackSeries{Name: s, Class: "fill-series-" + strconv.Itoa(i),
			Counts: weekly(func(in *incident.Incident) bool { return slices.Contains(in.Services, s) })})
	}
	if len(services) > len(top) {
		bySvc = append(bySvc, stackSeries{Name: "other services", Class: "fill-other", Counts: weekly(func(in *incident.Incident) bool {
			return slices.ContainsFunc(in.Services, func(s string) bool { return !slices.Contains(top, s) })
		})})
	}
	bySvc = append(bySvc, stackSeries{Name: "no service", Class: "fill-none", Counts: weekly(func(in *incident.Incident) bool { return len(in.Services) == 0 })})

	return []weeklyChart{
		newWeeklyChart("weekly-severity", "By severity", "Incidents opened per week, by severity.", weeks, bySev),
		newWeeklyChart("weekly-kind", "By kind", "Incidents opened per week, security and reliability.", weeks, byKind),
		newWeeklyChart("weekly-service", "By service",
			fmt.Sprintf("Incidents opened per week on the %s with the most incidents in the period. An incident that affects several services counts for each of them, so a week can add up to more than the incidents opened in it.",
				plural(len(top), "service", "services")), weeks, bySvc),
	}
}

func newWeeklyChart(id, heading, caption string, weeks []string, series []stackSeries) weeklyChart {
	// A series with nothing in the period only clutters the legend.
	kept := series[:0:0]
	for _, s := range series {
		for _, n := range s.Counts {
			if n > 0 {
				kept = append(kept, s)
				break
			}
		}
	}
	c := weeklyChart{ID: id, Heading: heading, Caption: caption, Chart: stackedWeeks(id, heading, weeks, kept)}
	for _, s := range kept {
		c.Series = append(c.Series, s.Name)
	}
	for i, wk := range weeks {
		row := weekRow{Week: wk}
		for _, s := range kept {
			row.Counts = append(row.Counts, s.Counts[i])
			row.Total += s.Counts[i]
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// Geometry of the weekly charts, in SVG user units. The right margin
// holds the legend.
const (
	weeksW      = 640
	weeksH      = 230
	weeksLeft   = 40
	weeksRight  = 170
	weeksTop    = 14
	weeksBottom = 30
	legendStep  = 18
)

// stackedWeeks draws series as bars stacked per week, the first series at
// the bottom, with a legend on the right that gives each series' total.
func stackedWeeks(id, what string, weeks []string, series []stackSeries) *chartView {
	h := max(weeksH, weeksTop+legendStep*len(series)+weeksBottom)
	c := &chartView{ID: id, W: weeksW, H: h}
	plotW, plotH := float64(weeksW-weeksLeft-weeksRight), float64(h-weeksTop-weeksBottom)
	right, base := float64(weeksLeft)+plotW, float64(weeksTop)+plotH
	totals := make([]int, len(weeks))
	hi := 0
	for i := range weeks {
		for _, s := range series {
			totals[i] += s.Counts[i]
		}
		hi = max(hi, totals[i])
	}
	step := math.Max(1, niceStep(float64(hi)/4))
	if step != math.Trunc(step) {
		step = math.Ceil(step) // counts: whole ticks only
	}
	ymax := math.Max(step, math.Ceil(float64(hi)/step)*step)
	y := func(v float64) float64 { return float64(weeksTop) + plotH*(1-v/ymax) }
	for v := 0.0; v <= ymax+step/1000; v += step {
		c.Grid = append(c.Grid, chartRule{X1: coord(weeksLeft), Y1: coord(y(v)), X2: coord(right), Y2: coord(y(v)), Class: "grid"})
		c.Texts = append(c.Texts, chartText{X: coord(weeksLeft - 6), Y: coord(y(v) + 4), Text: strconv.FormatFloat(v, 'f', 0, 64), Class: "t-end axis-label"})
	}
	n := len(weeks)
	slot := plotW / float64(max(n, 1))
	barW := math.Max(1, slot*0.7)
	every := (n + 7) / 8 // at most eight dates under the axis
	for i, wk := range weeks {
		cx := float64(weeksLeft) + slot*(float64(i)+0.5)
		if i%every == 0 {
			label := wk
			if t, err := time.Parse(time.DateOnly, wk); err == nil {
				label = t.Format("Jan 2")
			}
			c.Texts = append(c.Texts, chartText{X: coord(cx), Y: coord(base + 18), Text: label, Class: "t-mid axis-label"})
		}
		level := 0
		for _, s := range series {
			k := s.Counts[i]
			if k == 0 {
				continue
			}
			top := y(float64(level + k))
			c.Rects = append(c.Rects, chartRect{X: coord(cx - barW/2), Y: coord(top), W: coord(barW), H: coord(y(float64(level)) - top),
				Class: "stack " + s.Class, Title: fmt.Sprintf("week of %s, %s: %d", wk, s.Name, k)})
			level += k
		}
		if totals[i] > 0 && n <= 26 {
			c.Texts = append(c.Texts, chartText{X: coord(cx), Y: coord(y(float64(totals[i])) - 4), Text: strconv.Itoa(totals[i]), Class: "t-mid bar-value"})
		}
	}
	c.Rules = append(c.Rules, chartRule{X1: coord(weeksLeft), Y1: coord(base), X2: coord(right), Y2: coord(base), Class: "axis"})
	var parts []string
	sum := 0
	for i, s := range series {
		t := 0
		for _, k := range s.Counts {
			t += k
		}
		sum += t
		ly := float64(weeksTop + legendStep*i)
		c.Rects = append(c.Rects, chartRect{X: coord(right + 14), Y: coord(ly), W: "10", H: "10", Class: "stack " + s.Class, Title: s.Name})
		c.Texts = append(c.Texts, chartText{X: coord(right + 30), Y: coord(ly + 9), Text: fmt.Sprintf("%s (%d)", s.Name, t), Class: "t-start legend-label"})
		parts = append(parts, fmt.Sprintf("%s %d", s.Name, t))
	}
	if len(series) == 0 {
		c.Texts = append(c.Texts, chartText{X: coord(float64(weeksLeft) + plotW/2), Y: coord(base - plotH/2), Text: "no incident", Class: "t-mid bar-none"})
	}
	first, last := "", ""
	if n > 0 {
		first, last = weeks[0], weeks[n-1]
	}
	c.Title = fmt.Sprintf("Incidents opened per week, %s, in the weeks of %s to %s: %d counted", strings.ToLower(what), first, last, sum)
	if len(parts) > 0 {
		c.Title += "; " + strings.Join(parts, ", ")
	}
	c.Title += "."
	return c
}
