package web

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade/slo"
)

// chartView is an SVG drawing laid out here, so that the template only
// prints coordinates and class names: no script, no inline style. Layers
// are drawn in field order, grid first and text last.
type chartView struct {
	ID    string
	W, H  int
	Title string // the accessible summary, the SVG's <title>
	Grid  []chartRule
	Rects []chartRect
	Rules []chartRule
	Lines []chartLine
	Dots  []chartDot
	Texts []chartText
}

type chartRule struct {
	X1, Y1, X2, Y2 string
	Class          string
}

type chartRect struct {
	X, Y, W, H string
	Class      string
	Title      string
}

type chartLine struct {
	Points string
	Class  string
}

type chartDot struct {
	X, Y  string
	Class string
}

// chartText is a label; its Class sets the anchor (t-start, t-mid, t-end)
// and the look.
type chartText struct {
	X, Y  string
	Text  string
	Class string
}

// niceStep returns a round step (1, 2, 2.5 or 5 times a power of ten) of
// about raw, for axis ticks people can read.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch n := raw / mag; {
	case n <= 1:
		return mag
	case n <= 2:
		return 2 * mag
	case n <= 2.5:
		return 2.5 * mag
	case n <= 5:
		return 5 * mag
	}
	return 10 * mag
}

// stepPlaces is how many decimals a tick label needs for step (in the
// label's own unit).
func stepPlaces(step float64) int {
	if step >= 1 {
		if step != math.Trunc(step) {
			return 1
		}
		return 0
	}
	p := int(math.Ceil(-math.Log10(step) - 1e-9))
	if s := step * math.Pow(10, float64(p)); math.Abs(s-math.Round(s)) > 1e-6 {
		p++
	}
	return p
}

// spread moves labels apart vertically so that none is closer than gap to
// the one above it, keeping them inside [top, bottom]. ys are changed in
// place; the order of the labels is kept.
func spread(ys []float64, gap, top, bottom float64) {
	idx := make([]int, len(ys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ys[a], ys[b]) })
	for k := 1; k < len(idx); k++ {
		if prev := ys[idx[k-1]]; ys[idx[k]] < prev+gap {
			ys[idx[k]] = prev + gap
		}
	}
	// Pushed past the bottom: walk back up from it.
	if n := len(idx); n > 0 && ys[idx[n-1]] > bottom {
		ys[idx[n-1]] = bottom
		for k := n - 2; k >= 0; k-- {
			if next := ys[idx[k+1]]; ys[idx[k]] > next-gap {
				ys[idx[k]] = math.Max(top, next-gap)
			}
		}
	}
}

// Geometry of the burn-rate chart, in SVG user units. The right margin
// holds the factor lines' labels.
const (
	burnW      = 640
	burnH      = 300
	burnLeft   = 52
	burnRight  = 168
	burnTop    = 16
	burnBottom = 34
	labelGap   = 13 // the smallest distance between two labels' baselines
)

// burnCap bounds the burn-rate scale, in multiples of the highest factor:
// during an incident a window can burn hundreds of times over, and a scale
// that reached that would squash every factor line into the baseline.
const burnCap = 2.5

// burnChart draws the burn rate over each window the alert conditions
// read, as bars, with a line at each condition's factor: a bar above a line
// is a window burning faster than that condition allows. The scale is
// linear from zero, so a calm SLO shows low bars far under the lines; it
// stops at burnCap times the highest factor, and a bar beyond is cut, with
// its value printed above it.
func burnChart(name string, st slo.Status, conds []slo.AlertWindow) *chartView {
	windows := slo.BurnWindows()
	hiFactor, hiBurn := 0.0, 0.0
	for _, c := range conds {
		hiFactor = math.Max(hiFactor, c.Factor)
	}
	for _, d := range windows {
		if b, ok := st.BurnRates[slo.Duration(d).String()]; ok {
			hiBurn = math.Max(hiBurn, b)
		}
	}
	top := math.Max(hiFactor, math.Min(hiBurn, hiFactor*burnCap))
	step := niceStep(top * 1.08 / 5)
	ymax := math.Ceil(top*1.08/step) * step
	plotW, plotH := float64(burnW-burnLeft-burnRight), float64(burnH-burnTop-burnBottom)
	base := float64(burnTop) + plotH
	y := func(v float64) float64 { return float64(burnTop) + plotH*(1-v/ymax) }
	right := float64(burnLeft) + plotW

	c := &chartView{ID: "burn-" + name, W: burnW, H: burnH}
	places := stepPlaces(step)
	for v := 0.0; v <= ymax+step/1000; v += step {
		c.Grid = append(c.Grid, chartRule{X1: coord(burnLeft), Y1: coord(y(v)), X2: coord(right), Y2: coord(y(v)), Class: "grid"})
		c.Texts = append(c.Texts, chartText{X: coord(burnLeft - 6), Y: coord(y(v) + 4), Text: strconv.FormatFloat(v, 'f', places, 64) + "×", Class: "t-end axis-label"})
	}
	slot := plotW / float64(len(windows))
	barW := slot * 0.56
	var parts []string
	for i, d := range windows {
		key := slo.Duration(d).String()
		cx := float64(burnLeft) + slot*(float64(i)+0.5)
		c.Texts = append(c.Texts, chartText{X: coord(cx), Y: coord(base + 18), Text: key, Class: "t-mid axis-label"})
		b, ok := st.BurnRates[key]
		if !ok {
			c.Texts = append(c.Texts, chartText{X: coord(cx), Y: coord(base - 6), Text: "no data", Class: "t-mid bar-none"})
			parts = append(parts, key+" no data")
			continue
		}
		level := "ok"
		for _, cond := range conds {
			if (cond.Long == d || cond.Short == d) && b > cond.Factor && level != slo.Page {
				level = cond.Severity
			}
		}
		drawn := math.Min(b, ymax)
		c.Rects = append(c.Rects, chartRect{X: coord(cx - barW/2), Y: coord(y(drawn)), W: coord(barW), H: coord(base - y(drawn)),
			Class: "bar burn-" + level, Title: fmt.Sprintf("burn rate over %s: %s", key, times(b))})
		if b > ymax {
			c.Rects = append(c.Rects, chartRect{X: coord(cx - barW/2 - 1), Y: coord(y(ymax) + 8), W: coord(barW + 2), H: "3",
				Class: "bar-break", Title: fmt.Sprintf("the scale is cut here: the bar goes on to %s", times(b))})
		}
		c.Texts = append(c.Texts, chartText{X: coord(cx), Y: coord(y(drawn) - 5), Text: times(b), Class: "t-mid bar-value"})
		parts = append(parts, key+" "+times(b))
	}
	c.Rules = append(c.Rules, chartRule{X1: coord(burnLeft), Y1: coord(base), X2: coord(right), Y2: coord(base), Class: "axis"})
	ys := make([]float64, len(conds))
	for i, cond := range conds {
		ys[i] = y(cond.Factor) + 4
		c.Rules = append(c.Rules, chartRule{X1: coord(burnLeft), Y1: coord(y(cond.Factor)), X2: coord(right), Y2: coord(y(cond.Factor)),
			Class: "factor factor-" + cond.Severity})
	}
	spread(ys, labelGap, float64(burnTop), base)
	var factors []string
	for i, cond := range conds {
		label := fmt.Sprintf("%s %s/%s: %s", cond.Severity, slo.Duration(cond.Long), slo.Duration(cond.Short), factorText(cond.Factor))
		c.Texts = append(c.Texts, chartText{X: coord(right + 6), Y: coord(ys[i]), Text: label, Class: "t-start factor-label factor-label-" + cond.Severity})
		factors = append(factors, label)
	}
	c.Title = fmt.Sprintf("Burn rates of %s per window: %s. Alert factors: %s.", name, strings.Join(parts, ", "), strings.Join(factors, "; "))
	return c
}

// Geometry of the history charts.
const (
	histW      = 640
	histH      = 210
	histLeft   = 60
	histRight  = 168
	histTop    = 14
	histBottom = 30
)

// timePoint is one value of a series over time; Has is false where
// nothing was measured, which breaks the line.
type timePoint struct {
	At  time.Time
	V   float64
	Has bool
}

// refLine is a horizontal reference drawn across a history chart.
type refLine struct {
	V            float64
	Class, Label string
}

// timeChart draws pts as a line over [lo, hi], with ticks every step
// (values are fractions, labelled as percentages) and reference lines.
// Gaps without data break the line; a lone point is drawn as a dot.
func timeChart(id, title string, pts []timePoint, lo, hi, step float64, refs []refLine) *chartView {
	c := &chartView{ID: id, W: histW, H: histH, Title: title}
	plotW, plotH := float64(histW-histLeft-histRight), float64(histH-histTop-histBottom)
	right, base := float64(histLeft)+plotW, float64(histTop)+plotH
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	span := t1.Sub(t0)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return float64(histLeft) + plotW/2
		}
		return float64(histLeft) + plotW*float64(t.Sub(t0))/float64(span)
	}
	y := func(v float64) float64 { return float64(histTop) + plotH*(hi-v)/(hi-lo) }

	places := stepPlaces(step * 100)
	first := math.Ceil(lo/step-1e-9) * step
	var ticks []float64
	for v := first; v <= hi+step/1000; v += step {
		ticks = append(ticks, v)
	}
	// The top of the scale is labelled even off the step, when there is
	// room: it is the 100% every budget and SLI starts from.
	if n := len(ticks); n == 0 || (hi-ticks[n-1] > step*0.45) {
		ticks = append(ticks, hi)
	}
	for _, v := range ticks {
		c.Grid = append(c.Grid, chartRule{X1: coord(histLeft), Y1: coord(y(v)), X2: coord(right), Y2: coord(y(v)), Class: "grid"})
		c.Texts = append(c.Texts, chartText{X: coord(histLeft - 6), Y: coord(y(v) + 4), Text: pct(v, places), Class: "t-end axis-label"})
	}
	layout := "Jan 2"
	if span < 72*time.Hour {
		layout = "Jan 2 15:04"
	}
	for k := range 5 {
		t := t0.Add(span * time.Duration(k) / 4)
		class := "t-mid axis-label"
		switch k {
		case 0:
			class = "t-start axis-label"
		case 4:
			class = "t-end axis-label"
		}
		c.Texts = append(c.Texts, chartText{X: coord(x(t)), Y: coord(base + 18), Text: t.UTC().Format(layout), Class: class})
	}
	c.Rules = append(c.Rules, chartRule{X1: coord(histLeft), Y1: coord(base), X2: coord(right), Y2: coord(base), Class: "axis"})
	ys := make([]float64, len(refs))
	for i, r := range refs {
		ys[i] = y(r.V) + 4
		c.Rules = append(c.Rules, chartRule{X1: coord(histLeft), Y1: coord(y(r.V)), X2: coord(right), Y2: coord(y(r.V)), Class: "ref " + r.Class})
	}
	spread(ys, labelGap, float64(histTop), base)
	for i, r := range refs {
		c.Texts = append(c.Texts, chartText{X: coord(right + 6), Y: coord(ys[i]), Text: r.Label, Class: "t-start ref-label " + r.Class + "-label"})
	}

	var seg []string
	var lastX, lastY string
	flush := func() {
		switch len(seg) {
		case 0:
		case 1:
			xy := strings.SplitN(seg[0], ",", 2)
			c.Dots = append(c.Dots, chartDot{X: xy[0], Y: xy[1], Class: "series-dot"})
		default:
			c.Lines = append(c.Lines, chartLine{Points: strings.Join(seg, " "), Class: "series"})
		}
		seg = nil
	}
	for _, p := range pts {
		if !p.Has {
			flush()
			continue
		}
		lastX, lastY = coord(x(p.At)), coord(y(p.V))
		seg = append(seg, lastX+","+lastY)
	}
	flush()
	if p := pts[len(pts)-1]; p.Has {
		c.Dots = append(c.Dots, chartDot{X: lastX, Y: lastY, Class: "series-last"})
	}
	return c
}

// historyRange returns the lowest and highest values of pts with data,
// and whether there was any.
func historyRange(pts []timePoint) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if p.Has {
			lo, hi, ok = math.Min(lo, p.V), math.Max(hi, p.V), true
		}
	}
	return lo, hi, ok
}

// seriesSummary is the accessible summary of a history series.
func seriesSummary(what string, pts []timePoint, lo, hi float64, format func(float64) string) string {
	var first, last *timePoint
	for i := range pts {
		if pts[i].Has {
			if first == nil {
				first = &pts[i]
			}
			last = &pts[i]
		}
	}
	return fmt.Sprintf("%s from %s to %s: %s on %s, %s on %s; lowest %s, highest %s.", what,
		pts[0].At.UTC().Format(time.DateOnly), pts[len(pts)-1].At.UTC().Format(time.DateOnly),
		format(first.V), first.At.UTC().Format("2006-01-02 15:04"), format(last.V), last.At.UTC().Format("2006-01-02 15:04"),
		format(lo), format(hi))
}

// budgetChart draws the error budget left at each point of the history,
// from 100% down; below the zero line the budget is overspent. The scale
// reaches down to the lowest point, so an overspent budget shows how far.
func budgetChart(name string, hist []slo.Status) *chartView {
	pts := make([]timePoint, len(hist))
	for i, h := range hist {
		pts[i] = timePoint{At: h.At}
		if h.ErrorBudgetRemaining != nil {
			pts[i].V, pts[i].Has = *h.ErrorBudgetRemaining, true
		}
	}
	lo, hi, ok := historyRange(pts)
	if !ok {
		return nil
	}
	top := math.Max(1, hi)
	bottom := math.Min(0, lo)
	step := niceStep((top - bottom) / 4)
	bottom = math.Floor(bottom/step+1e-9) * step
	title := seriesSummary("Error budget left of "+name, pts, lo, hi, func(f float64) string { return pct(f, 1) })
	return timeChart("budget-"+name, title, pts, bottom, top, step, []refLine{
		{V: 0.25, Class: "ref-warn", Label: "25%: warning below"},
		{V: 0, Class: "ref-zero", Label: "0%: exhausted"},
	})
}

// sliChart draws the SLI at each point of the history against the
// objective. The scale shows at least twice the error budget below the
// objective, so that a line just under it is visibly under.
func sliChart(name string, objective float64, hist []slo.Status) *chartView {
	pts := make([]timePoint, len(hist))
	for i, h := range hist {
		pts[i] = timePoint{At: h.At}
		if h.SLI != nil {
			pts[i].V, pts[i].Has = *h.SLI, true
		}
	}
	lo, hi, ok := historyRange(pts)
	if !ok {
		return nil
	}
	bottom := math.Max(0, math.Min(lo, objective-(1-objective)))
	step := niceStep((1 - bottom) / 4)
	bottom = math.Max(0, math.Floor(bottom/step+1e-9)*step)
	title := seriesSummary("SLI of "+name, pts, lo, hi, sliText)
	return timeChart("sli-"+name, title, pts, bottom, 1, step, []refLine{
		{V: objective, Class: "ref-objective", Label: "objective " + pct(objective, 3)},
	})
}
