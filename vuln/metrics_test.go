package vuln

import (
	"testing"
	"time"
)

func TestComputeMetrics(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d int) *time.Time { x := now.Add(time.Duration(d) * day); return &x }
	pub := at(-40)
	fs := []Finding{
		// open critical, detected 10 days ago, due 7 days after: overdue, KEV
		{ID: "1", Severity: "critical", State: StateInTriage, DetectedAt: *at(-10), DueAt: *at(-3), KEV: true, Published: pub},
		// open high, detected 2 days ago, not overdue
		{ID: "2", Severity: "high", State: StateExploitable, DetectedAt: *at(-2), DueAt: *at(28), Published: at(-3)},
		// resolved in period within deadline: 4 days to fix
		{ID: "3", Severity: "high", State: StateResolved, DetectedAt: *at(-20), ResolvedAt: at(-16), DueAt: *at(10)},
		// resolved in period late: 40 days to fix, detected before the period
		{ID: "4", Severity: "high", State: StateResolved, DetectedAt: *at(-45), ResolvedAt: at(-5), DueAt: *at(-15)},
		// resolved long ago: outside the period
		{ID: "5", Severity: "low", State: StateResolved, DetectedAt: *at(-200), ResolvedAt: at(-100), DueAt: *at(-20)},
		// accepted, active: not open
		{ID: "6", Severity: "medium", State: StateExploitable, DetectedAt: *at(-50), DueAt: *at(-1), Acceptance: &Acceptance{ExpiresAt: *at(5)}},
		// acceptance expired 3 days ago: open again and overdue
		{ID: "7", Severity: "medium", State: StateInTriage, DetectedAt: *at(-60), DueAt: *at(-30), Acceptance: &Acceptance{ExpiresAt: *at(-3), ExpiredAt: at(-3)}},
		// not affected: not open
		{ID: "8", Severity: "critical", State: StateNotAffected, DetectedAt: *at(-1), DueAt: *at(6)},
	}
	inv := map[string]time.Time{"a": *at(-1), "b": *at(-31), "c": {}}
	m := ComputeMetrics(fs, inv, now, 30*day)

	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("open", m.Open, 3)
	check("open critical", m.OpenBySeverity["critical"], 1)
	check("open medium", m.OpenBySeverity["medium"], 1)
	check("new", m.New, 4) // 1, 2, 3, 8
	check("resolved", m.Resolved, 2)
	check("ttr high count", m.TimeToRemediate["high"].Count, 2)
	check("ttr high mean", m.TimeToRemediate["high"].Mean, 22.0)
	check("ttr high p90", m.TimeToRemediate["high"].P90, 40.0)
	// within deadline: 3 good; 4 late; 1 and 7 open past due: 1 of 4
	check("within deadline", m.WithinDeadline, Ratio{Good: 1, Total: 4, Share: 0.25})
	check("overdue", m.Overdue, 2)
	check("age p50", m.AgeOpen.P50, 10.0)
	check("age p90", m.AgeOpen.P90, 60.0)
	// detected in period with a publication date: 1 (30 days), 2 (1 day)
	check("ttd count", m.TimeToDetect.Count, 2)
	check("ttd mean", m.TimeToDetect.Mean, 15.5)
	check("accepted active", m.AcceptedActive, 1)
	check("accepted expired", m.AcceptedExpired, 1)
	check("open kev", m.OpenKEV, 1)
	check("coverage", m.InventoryCoverage, Ratio{Good: 1, Total: 3, Share: 1.0 / 3})
	check("headline within deadline", m.Headline("withinDeadline"), 25.0)
}
