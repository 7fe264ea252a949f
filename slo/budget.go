package slo

import (
	"math"
	"time"
)

// Statuses of an SLO.
const (
	StatusOK        = "ok"        // the budget is not being burnt too fast
	StatusWarning   = "warning"   // a ticket-level burn-rate alert fires, or less than a quarter of the budget is left
	StatusExhausted = "exhausted" // the budget is spent (or a page-level alert fires)
	StatusNoData    = "no_data"   // nothing was measured in the window; never counted as good
)

// Counts are good and total over a window (events or slices).
type Counts struct {
	Good  float64 `json:"good"`
	Total float64 `json:"total"`
}

// Add returns the sum of c and d.
func (c Counts) Add(d Counts) Counts { return Counts{Good: c.Good + d.Good, Total: c.Total + d.Total} }

// ErrorRatio is the share of bad in total, and false when there is no
// data.
func (c Counts) ErrorRatio() (float64, bool) {
	if c.Total <= 0 {
		return 0, false
	}
	r := 1 - c.Good/c.Total
	return math.Max(0, math.Min(1, r)), true
}

// BurnRate is how fast an error ratio spends the budget: the error ratio
// divided by the budget (1 − objective). 1 spends exactly the budget over
// the period (SRE Workbook, chapter 5).
func BurnRate(errorRatio, objective float64) float64 { return errorRatio / (1 - objective) }

// BudgetRemaining is the fraction of the budget left given the error ratio
// over the period: 1 − errorRatio / (1 − objective). Negative when
// overspent.
func BudgetRemaining(errorRatio, objective float64) float64 { return 1 - errorRatio/(1-objective) }

// AlertWindow is one multi-window burn-rate condition: it fires when the
// burn rate over both the long and the short window exceeds Factor.
type AlertWindow struct {
	Severity string        `json:"severity"` // page or ticket
	Long     time.Duration `json:"long"`
	Short    time.Duration `json:"short"`
	Factor   float64       `json:"factor"`
	// Budget is the share of the budget the condition spends over Long
	// at Factor (2% for the fastest page).
	Budget float64 `json:"budget"`
}

// Alert severities.
const (
	Page   = "page"
	Ticket = "ticket"
)

// AlertWindows returns the SRE Workbook's four conditions for a period:
// page on 2% of the budget in 1h (short 5m) or 5% in 6h (30m), ticket on
// 10% in 1d (2h) or 10% in 3d (6h). The factor is the budget share times
// the period over the long window, so a 30-day period gives 14.4, 6, 3 and 1
// and 28 days 13.44, 5.6, 2.8 and 0.933, as Sloth computes them.
func AlertWindows(period time.Duration) []AlertWindow {
	ws := []AlertWindow{
		{Page, time.Hour, 5 * time.Minute, 0, 0.02},
		{Page, 6 * time.Hour, 30 * time.Minute, 0, 0.05},
		{Ticket, 24 * time.Hour, 2 * time.Hour, 0, 0.10},
		{Ticket, 72 * time.Hour, 6 * time.Hour, 0, 0.10},
	}
	for i := range ws {
		ws[i].Factor = ws[i].Budget * float64(period) / float64(ws[i].Long)
	}
	return ws
}

// BurnWindows lists every window the alert conditions read, shortest first.
func BurnWindows() []time.Duration {
	return []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}
}

// Firing is an alert condition that holds.
type Firing struct {
	AlertWindow
	LongBurn  float64 `json:"longBurn"`
	ShortBurn float64 `json:"shortBurn"`
}

// Status is an evaluated SLO.
type Status struct {
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	At        time.Time `json:"at"`
	Objective float64   `json:"objective"`
	// SLI is good/total over the window, as a fraction; nil without data.
	SLI *float64 `json:"sli"`
	// Period counts the window's good and total.
	Period Counts `json:"period"`
	// ErrorBudgetRemaining is 1 − error ratio / (1 − objective) over
	// the window; nil without data.
	ErrorBudgetRemaining *float64 `json:"errorBudgetRemaining"`
	// BurnRates maps each alert window ("5m", "1h", ...) to its burn rate;
	// windows without data are absent.
	BurnRates map[string]float64 `json:"burnRates"`
	// TimeToExhaustion is how long the remaining budget lasts at the 1h
	// burn rate; nil when nothing burns or nothing is left.
	TimeToExhaustion *Duration `json:"timeToExhaustion"`
	Alerts           []Firing  `json:"alerts"`
	Status           string    `json:"status"`
	// Reason says why the status is no_data (or what failed).
	Reason string `json:"reason,omitempty"`
}

// Evaluate computes an SLO's status from its window counts and the counts
// over each burn window (keyed by duration). Alerts need at least
// minEvents in the long window.
func Evaluate(s *SLO, at time.Time, period Counts, windows map[time.Duration]Counts) Status {
	st := Status{Name: s.Name, Service: s.Service, At: at, Objective: s.Objective, Period: period, BurnRates: map[string]float64{}, Alerts: []Firing{}}
	burn := map[time.Duration]float64{}
	for d, c := range windows {
		if er, ok := c.ErrorRatio(); ok {
			burn[d] = BurnRate(er, s.Objective)
			st.BurnRates[Duration(d).String()] = round(burn[d], 4)
		}
	}
	er, ok := period.ErrorRatio()
	if !ok {
		st.Status = StatusNoData
		st.Reason = "no measurements in the window"
		return st
	}
	sli := 1 - er
	st.SLI = &sli
	left := BudgetRemaining(er, s.Objective)
	st.ErrorBudgetRemaining = &left
	if b, ok := burn[time.Hour]; ok && b > 0 && left > 0 {
		tte := Duration(time.Duration(left * float64(s.Window.Period()) / b).Round(time.Minute))
		st.TimeToExhaustion = &tte
	}
	min := float64(s.Alerting.MinEvents)
	if !s.Alerting.Disabled {
		for _, aw := range AlertWindows(s.Window.Period()) {
			lb, lok := burn[aw.Long]
			sb, sok := burn[aw.Short]
			if lok && sok && lb > aw.Factor && sb > aw.Factor && windows[aw.Long].Total >= min {
				st.Alerts = append(st.Alerts, Firing{AlertWindow: aw, LongBurn: round(lb, 4), ShortBurn: round(sb, 4)})
			}
		}
	}
	st.Status = StatusOK
	switch {
	case left <= 0:
		st.Status = StatusExhausted
	case len(st.Alerts) > 0 || left < 0.25:
		st.Status = StatusWarning
	}
	return st
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
