package incident

import (
	"math"
	"slices"
	"time"
)

// Stat summarises durations in minutes.
type Stat struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P90   float64 `json:"p90"`
}

func stat(mins []float64) Stat {
	if len(mins) == 0 {
		return Stat{}
	}
	slices.Sort(mins)
	sum := 0.0
	for _, m := range mins {
		sum += m
	}
	rank := int(math.Ceil(0.9 * float64(len(mins))))
	return Stat{Count: len(mins), Mean: math.Round(sum/float64(len(mins))*10) / 10, P90: math.Round(mins[max(0, rank-1)]*10) / 10}
}

// Metrics are incident response figures over a period.
type Metrics struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Incidents counts incidents opened in the period.
	Incidents int `json:"incidents"`
	// TimeToDetect is opened − impact started; TimeToAcknowledge
	// acknowledged − opened; TimeToMitigate mitigated − opened;
	// TimeToResolve resolved − opened; all in minutes, over incidents
	// opened in the period that reached that point.
	TimeToDetect      Stat              `json:"timeToDetect"`
	TimeToAcknowledge Stat              `json:"timeToAcknowledge"`
	TimeToMitigate    Stat              `json:"timeToMitigate"`
	TimeToResolve     Stat              `json:"timeToResolve"`
	BySeverity        map[string]int    `json:"bySeverity"`
	ByKind            map[string]int    `json:"byKind"`
	ByService         map[string]int    `json:"byService"`
	Weekly            []WeekCount       `json:"weekly"`
	Open              int               `json:"open"`
	Definitions       map[string]string `json:"definitions"`
}

// WeekCount is the incidents opened in one ISO week, by severity.
type WeekCount struct {
	Week       string         `json:"week"` // the Monday, 2026-11-23
	Total      int            `json:"total"`
	BySeverity map[string]int `json:"bySeverity"`
}

// MetricDefinitions say how each figure is measured.
var MetricDefinitions = map[string]string{
	"timeToDetect":      "Minutes from the impact's start (the first alert's start time, or as set on the incident) to the incident opening; mean and p90 (nearest rank).",
	"timeToAcknowledge": "Minutes from opening to the first move out of triage (someone took it on); mean and p90.",
	"timeToMitigate":    "Minutes from opening to mitigated (impact stopped, cause maybe not fixed); mean and p90.",
	"timeToResolve":     "Minutes from opening to resolved; mean and p90.",
	"incidents":         "Incidents opened in the period, by severity, kind and service, and per ISO week.",
	"open":              "Incidents in triage, active or mitigated now.",
}

// ComputeMetrics computes the figures for incidents opened in [from, to).
// Declined and merged incidents are not counted: they were not separate
// incidents.
func ComputeMetrics(incs []Incident, from, to time.Time) Metrics {
	m := Metrics{From: from, To: to, BySeverity: map[string]int{}, ByKind: map[string]int{}, ByService: map[string]int{}, Weekly: []WeekCount{},
		Definitions: MetricDefinitions}
	var ttd, tta, ttm, ttr []float64
	weeks := map[string]*WeekCount{}
	mins := func(a time.Time, b *time.Time) (float64, bool) {
		if b == nil || b.Before(a) {
			return 0, false
		}
		return b.Sub(a).Minutes(), true
	}
	for i := range incs {
		in := &incs[i]
		if in.Open() {
			m.Open++
		}
		if in.Status == StatusDeclined || in.Status == StatusMerged || in.OpenedAt.Before(from) || !in.OpenedAt.Before(to) {
			continue
		}
		m.Incidents++
		m.BySeverity[in.Severity]++
		m.ByKind[in.Kind]++
		for _, s := range in.Services {
			m.ByService[s]++
		}
		if in.ImpactStartedAt != nil {
			if d, ok := mins(*in.ImpactStartedAt, &in.OpenedAt); ok {
				ttd = append(ttd, d)
			}
		}
		if d, ok := mins(in.OpenedAt, in.AcknowledgedAt); ok {
			tta = append(tta, d)
		}
		if d, ok := mins(in.OpenedAt, in.MitigatedAt); ok {
			ttm = append(ttm, d)
		}
		if d, ok := mins(in.OpenedAt, in.ResolvedAt); ok {
			ttr = append(ttr, d)
		}
		wk := weekStart(in.OpenedAt).Format(time.DateOnly)
		w, ok := weeks[wk]
		if !ok {
			w = &WeekCount{Week: wk, BySeverity: map[string]int{}}
			weeks[wk] = w
		}
		w.Total++
		w.BySeverity[in.Severity]++
	}
	m.TimeToDetect, m.TimeToAcknowledge, m.TimeToMitigate, m.TimeToResolve = stat(ttd), stat(tta), stat(ttm), stat(ttr)
	// Every week of the period, empty ones included, so charts have an axis.
	for t := weekStart(from); t.Before(to); t = t.AddDate(0, 0, 7) {
		wk := t.Format(time.DateOnly)
		if w, ok := weeks[wk]; ok {
			m.Weekly = append(m.Weekly, *w)
		} else {
			m.Weekly = append(m.Weekly, WeekCount{Week: wk, BySeverity: map[string]int{}})
		}
	}
	return m
}

// weekStart is the Monday 00:00 UTC of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
