package slo

import (
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The SRE Workbook's numbers (chapter 5, "Alerting on SLOs").
func TestWorkbookNumbers(t *testing.T) {
	// A 99.9% SLO: a 1.44% error ratio burns at 14.4, which spends 2% of a
	// 30-day budget in one hour.
	if b := BurnRate(0.0144, 0.999); !near(b, 14.4) {
		t.Errorf("burn rate = %v, want 14.4", b)
	}
	if spent := 14.4 * float64(time.Hour) / float64(30*24*time.Hour); !near(spent, 0.02) {
		t.Errorf("budget spent in 1h at 14.4 = %v, want 0.02", spent)
	}
	// Burn rate 1 spends exactly the budget: an error ratio of 0.1% on 99.9%.
	if b := BurnRate(0.001, 0.999); !near(b, 1) {
		t.Errorf("burn rate = %v, want 1", b)
	}
	// Half the allowed errors over the period leave half the budget.
	if r := BudgetRemaining(0.0005, 0.999); !near(r, 0.5) {
		t.Errorf("remaining = %v, want 0.5", r)
	}
	if r := BudgetRemaining(0.002, 0.999); !near(r, -1) {
		t.Errorf("overspent remaining = %v, want -1", r)
	}
}

func TestAlertWindowFactors(t *testing.T) {
	for _, tc := range []struct {
		period time.Duration
		want   []float64
	}{
		{30 * 24 * time.Hour, []float64{14.4, 6, 3, 1}},
		{28 * 24 * time.Hour, []float64{13.44, 5.6, 2.8, 0.9333333333333333}},
	} {
		ws := AlertWindows(tc.period)
		for i, w := range ws {
			if math.Abs(w.Factor-tc.want[i]) > 1e-9 {
				t.Errorf("period %v window %v: factor %v, want %v", tc.period, w.Long, w.Factor, tc.want[i])
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	s := &SLO{Name: "x", Service: "s", Objective: 0.999, Window: Window{Rolling: Duration(30 * 24 * time.Hour)}, Budgeting: Occurrences,
		Alerting: Alerting{MinEvents: 100}}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	win := map[time.Duration]Counts{}
	for _, d := range BurnWindows() {
		win[d] = Counts{Good: 9800, Total: 10000} // 2% errors: burn 20 everywhere
	}
	st := Evaluate(s, at, Counts{Good: 999_600, Total: 1_000_000}, win)
	if st.Status != StatusWarning || len(st.Alerts) != 4 || !near(*st.SLI, 0.9996) || !near(*st.ErrorBudgetRemaining, 0.6) {
		t.Fatalf("burning: %+v", st)
	}
	if st.BurnRates["1h"] != 20 || st.TimeToExhaustion == nil || time.Duration(*st.TimeToExhaustion) != 1296*time.Minute {
		t.Errorf("burn %v, tte %v (want 0.6 × 30d / 20 = 21h36m)", st.BurnRates, st.TimeToExhaustion)
	}
	// Low traffic: the same ratios with too few events do not alert.
	for d := range win {
		win[d] = Counts{Good: 49, Total: 50}
	}
	if st := Evaluate(s, at, Counts{Good: 999_600, Total: 1_000_000}, win); len(st.Alerts) != 0 {
		t.Errorf("alerted on %v events: %+v", 50, st.Alerts)
	}
	// No data is no_data, never good.
	if st := Evaluate(s, at, Counts{}, map[time.Duration]Counts{}); st.Status != StatusNoData || st.SLI != nil {
		t.Errorf("no data: %+v", st)
	}
	// Overspent.
	if st := Evaluate(s, at, Counts{Good: 990, Total: 1000}, nil); st.Status != StatusExhausted || *st.ErrorBudgetRemaining > -8.9 {
		t.Errorf("exhausted: %+v", st)
	}
}

func TestParseWindowAndDuration(t *testing.T) {
	for in, want := range map[string]string{"28d": "4w", "30d": "30d", "720h": "30d", "month": "month", "week": "week", "90m": "90m"} {
		w, err := ParseWindow(in)
		if in == "90m" {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
			continue
		}
		if err != nil || w.String() != want {
			t.Errorf("ParseWindow(%s) = %v, %v; want %s", in, w, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "0d", "30m", "400d", "-5d"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
	mon := Window{Calendar: CalendarMonth}
	if got := mon.Start(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("month start %v", got)
	}
	wk := Window{Calendar: CalendarWeek}
	if got := wk.Start(time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("week start %v (2026-11-27 is a Friday; the week began Monday 23rd)", got)
	}
}
