package vuln

import (
	"math"
	"slices"
	"time"
)

// Metrics are the CVE metrics of a scope (everything, a team or a service)
// at a moment, over a trailing period. MetricDefinitions says how each is
// measured and which way it should go.
type Metrics struct {
	At     time.Time `json:"at"`
	Period string    `json:"period"` // the trailing window of the period metrics, e.g. "720h0m0s"

	OpenBySeverity map[string]int `json:"openBySeverity"`
	Open           int            `json:"open"`
	New            int            `json:"new"`
	Resolved       int            `json:"resolved"`
	// TimeToRemediate is per severity, in days, over findings resolved in
	// the period.
	TimeToRemediate map[string]Stat `json:"timeToRemediate"`
	WithinDeadline  Ratio           `json:"withinDeadline"`
	Overdue         int             `json:"overdue"`
	// AgeOpen is the age of open findings in days.
	AgeOpen Stat `json:"ageOpen"`
	// TimeToDetect is detected_at minus the advisory's publication, in
	// days, over findings detected in the period.
	TimeToDetect      Stat  `json:"timeToDetect"`
	AcceptedActive    int   `json:"acceptedActive"`
	AcceptedExpired   int   `json:"acceptedExpired"`
	OpenKEV           int   `json:"openKev"`
	InventoryCoverage Ratio `json:"inventoryCoverage"`
}

// Stat summarises durations in days.
type Stat struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
}

// Ratio is good out of total; Share is NaN-free (0 when total is 0).
type Ratio struct {
	Good  int     `json:"good"`
	Total int     `json:"total"`
	Share float64 `json:"share"`
}

func ratio(good, total int) Ratio {
	r := Ratio{Good: good, Total: total}
	if total > 0 {
		r.Share = float64(good) / float64(total)
	}
	return r
}

func stat(days []float64) Stat {
	if len(days) == 0 {
		return Stat{}
	}
	slices.Sort(days)
	sum := 0.0
	for _, d := range days {
		sum += d
	}
	return Stat{Count: len(days), Mean: round2(sum / float64(len(days))), P50: round2(percentile(days, 0.5)), P90: round2(percentile(days, 0.9))}
}

// percentile uses the nearest-rank method on sorted values: the smallest
// value with at least p of the values at or below it.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[max(0, min(rank, len(sorted))-1)]
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func days(d time.Duration) float64 { return d.Hours() / 24 }

// CoverageAge is how recent an inventory must be to count as covering its
// service.
const CoverageAge = 30 * 24 * time.Hour

// ComputeMetrics computes the metrics of findings at now over the trailing
// period. inventories maps each service in scope to when its inventory was
// last recorded (a zero time: no inventory); its size is the number of
// services in scope.
func ComputeMetrics(findings []Finding, inventories map[string]time.Time, now time.Time, period time.Duration) Metrics {
	from := now.Add(-period)
	m := Metrics{At: now, Period: period.String(), OpenBySeverity: map[string]int{}, TimeToRemediate: map[string]Stat{}}
	for _, s := range Severities {
		m.OpenBySeverity[s] = 0
	}
	ttr := map[string][]float64{}
	var ages, ttd []float64
	good, total := 0, 0
	for i := range findings {
		f := &findings[i]
		open := f.Open(now)
		if open {
			m.Open++
			m.OpenBySeverity[sevKey(f.Severity)]++
			ages = append(ages, days(now.Sub(f.DetectedAt)))
			if f.KEV {
				m.OpenKEV++
			}
			if now.After(f.DueAt) {
				m.Overdue++
			}
		}
		if !f.DetectedAt.Before(from) && !f.DetectedAt.After(now) {
			m.New++
			if f.Published != nil && !f.Published.After(f.DetectedAt) {
				ttd = append(ttd, days(f.DetectedAt.Sub(*f.Published)))
			}
		}
		resolvedInPeriod := f.ResolvedAt != nil && !f.ResolvedAt.Before(from) && !f.ResolvedAt.After(now)
		if resolvedInPeriod {
			m.Resolved++
			ttr[sevKey(f.Severity)] = append(ttr[sevKey(f.Severity)], days(f.ResolvedAt.Sub(f.DetectedAt)))
		}
		// Within deadline: findings resolved in the period count by
		// whether they made their deadline; open findings whose deadline
		// passed count as misses.
		switch {
		case resolvedInPeriod:
			total++
			if !f.ResolvedAt.After(f.DueAt) {
				good++
			}
		case open && now.After(f.DueAt):
			total++
		}
		if a := f.Acceptance; a != nil {
			if a.Active(now) {
				m.AcceptedActive++
			} else if exp := acceptanceEnd(a); !exp.Before(from) && !exp.After(now) {
				m.AcceptedExpired++
			}
		}
	}
	for s, v := range ttr {
		m.TimeToRemediate[s] = stat(v)
	}
	m.WithinDeadline = ratio(good, total)
	m.AgeOpen = stat(ages)
	m.TimeToDetect = stat(ttd)
	covered := 0
	for _, at := range inventories {
		if !at.IsZero() && now.Sub(at) <= CoverageAge {
			covered++
		}
	}
	m.InventoryCoverage = ratio(covered, len(inventories))
	return m
}

func acceptanceEnd(a *Acceptance) time.Time {
	if a.ExpiredAt != nil {
		return *a.ExpiredAt
	}
	return a.ExpiresAt
}

func sevKey(s string) string {
	return Severities[SeverityRank(s)]
}

// Definition explains one metric: how it is measured and which way is good.
type Definition struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Measure string `json:"measure"`
	// Better is "down" or "up".
	Better string `json:"better"`
}

// MetricDefinitions are the CVE metrics, in the order pages show them.
var MetricDefinitions = []Definition{
	{"open", "Open findings", "Findings in_triage or exploitable without an active risk acceptance, now; also by severity.", "down"},
	{"new", "New findings", "Findings detected in the period.", "down"},
	{"resolved", "Resolved findings", "Findings resolved in the period (fixed, withdrawn, no longer matching, or by hand).", "up"},
	{"timeToRemediate", "Time to remediate", "Days from detection to resolution of findings resolved in the period, mean and p90 (nearest rank), per severity.", "down"},
	{"withinDeadline", "Resolved within deadline", "Share of findings resolved in the period by their due date, counting open findings past their due date as misses.", "up"},
	{"overdue", "Overdue findings", "Open findings past their due date, now.", "down"},
	{"ageOpen", "Age of open findings", "Days since detection of open findings, p50 and p90.", "down"},
	{"timeToDetect", "Time to detect", "Days from the advisory's publication to the finding's detection, for findings detected in the period, mean and p90.", "down"},
	{"acceptedActive", "Active risk acceptances", "Findings under a risk acceptance that has not expired, now.", "down"},
	{"acceptedExpired", "Expired risk acceptances", "Risk acceptances that ran out in the period (their findings reopened).", "down"},
	{"openKev", "Open KEV findings", "Open findings whose advisory is in CISA's Known Exploited Vulnerabilities catalog, now.", "down"},
	{"inventoryCoverage", "Inventory coverage", "Share of services whose inventory was recorded in the last 30 days.", "up"},
}

// Headline returns the single number a metric's trend line plots.
func (m *Metrics) Headline(key string) float64 {
	switch key {
	case "open":
		return float64(m.Open)
	case "new":
		return float64(m.New)
	case "resolved":
		return float64(m.Resolved)
	case "timeToRemediate":
		var all []float64
		n := 0
		for _, s := range m.TimeToRemediate {
			all = append(all, s.Mean*float64(s.Count))
			n += s.Count
		}
		if n == 0 {
			return 0
		}
		sum := 0.0
		for _, v := range all {
			sum += v
		}
		return round2(sum / float64(n))
	case "withinDeadline":
		return round2(m.WithinDeadline.Share * 100)
	case "overdue":
		return float64(m.Overdue)
	case "ageOpen":
		return m.AgeOpen.P50
	case "timeToDetect":
		return m.TimeToDetect.Mean
	case "acceptedActive":
		return float64(m.AcceptedActive)
	case "acceptedExpired":
		return float64(m.AcceptedExpired)
	case "openKev":
		return float64(m.OpenKEV)
	case "inventoryCoverage":
		return round2(m.InventoryCoverage.Share * 100)
	}
	return 0
}
