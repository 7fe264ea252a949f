// Package slo holds security indicators (SLIs) and objectives (SLOs) with
// error budgets, multi-window multi-burn-rate alerts, and the engine that
// evaluates them from time buckets. The formulas follow the SRE Workbook;
// docs/slo.md writes them out with an example.
package slo

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Budgeting methods.
const (
	Occurrences = "occurrences" // good events / valid events
	Timeslices  = "timeslices"  // good slices / slices with data
)

// Indicator kinds: where good and total come from.
const (
	KindEvents      = "events"      // pushed through the API
	KindRemediation = "remediation" // findings resolved by their due date
	KindExposure    = "exposure"    // timeslices without an overdue finding
	KindControls    = "controls"    // pushed control checks (booleans over time)
	KindPrometheus  = "prometheus"  // PromQL against a Prometheus HTTP API
)

// Calendar windows.
const (
	CalendarMonth = "month"
	CalendarWeek  = "week"
)

// SLO is an objective on an indicator.
type SLO struct {
	Name        string `json:"name"`
	Service     string `json:"service"`
	Description string `json:"description,omitempty"`
	// Objective is the target fraction of good, in (0, 1).
	Objective float64   `json:"objective"`
	Window    Window    `json:"window"`
	Budgeting string    `json:"budgeting"`
	Slice     Duration  `json:"slice,omitempty"` // timeslice length
	Indicator Indicator `json:"indicator"`
	Alerting  Alerting  `json:"alerting"`
}

// Indicator says what is measured.
type Indicator struct {
	Kind string `json:"kind"`
	// Severities limit remediation and exposure to these finding
	// severities (default critical and high).
	Severities []string `json:"severities,omitempty"`
	// Check names the control check for the controls kind (mfa, tls, ...).
	Check string `json:"check,omitempty"`
	// Prometheus queries for the prometheus kind: Good or Bad, and Total,
	// are PromQL counters (or rates) summed over the evaluated window.
	Prometheus *Prometheus `json:"prometheus,omitempty"`
}

// Prometheus is a Prometheus-backed indicator.
type Prometheus struct {
	// Server is the Prometheus base URL (http://127.0.0.1:9090).
	Server string `json:"server"`
	Good   string `json:"good,omitempty"`
	Bad    string `json:"bad,omitempty"`
	Total  string `json:"total"`
}

// Alerting tunes the burn-rate alerts.
type Alerting struct {
	// MinEvents is how many valid events (or slices) the long window
	// needs before an alert can fire: low traffic makes ratios noisy.
	MinEvents int `json:"minEvents"`
	// Disabled turns the alerts of this SLO off.
	Disabled bool `json:"disabled,omitempty"`
}

// DefaultMinEvents is Alerting.MinEvents when not given.
const DefaultMinEvents = 10

// DefaultSlice is the timeslice length when not given.
const DefaultSlice = Duration(5 * time.Minute)

// Window is the period of an objective: rolling (a duration) or calendar
// (the current month or ISO week, in UTC).
type Window struct {
	Rolling  Duration `json:"rolling,omitempty"`
	Calendar string   `json:"calendar,omitempty"`
}

// String is how palisade.yaml writes the window.
func (w Window) String() string {
	if w.Calendar != "" {
		return w.Calendar
	}
	return w.Rolling.String()
}

// Period returns the length the budget is spread over: the rolling
// duration, or a nominal 30 days for a month and 7 for a week (burn-rate
// factors are scaled by it).
func (w Window) Period() time.Duration {
	switch w.Calendar {
	case CalendarMonth:
		return 30 * 24 * time.Hour
	case CalendarWeek:
		return 7 * 24 * time.Hour
	}
	return time.Duration(w.Rolling)
}

// Start returns where the window begins for an evaluation at now.
func (w Window) Start(now time.Time) time.Time {
	now = now.UTC()
	switch w.Calendar {
	case CalendarMonth:
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	case CalendarWeek:
		d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		wd := (int(d.Weekday()) + 6) % 7 // Monday = 0
		return d.AddDate(0, 0, -wd)
	}
	return now.Add(-time.Duration(w.Rolling))
}

// ParseWindow reads "28d", "720h", "4w", "month" or "week".
func ParseWindow(s string) (Window, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case CalendarMonth:
		return Window{Calendar: CalendarMonth}, nil
	case CalendarWeek:
		return Window{Calendar: CalendarWeek}, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return Window{}, err
	}
	if d < Duration(time.Hour) || d > Duration(366*24*time.Hour) {
		return Window{}, fmt.Errorf("window %q is outside 1h..366d", s)
	}
	return Window{Rolling: d}, nil
}

// Duration is a time.Duration that reads and writes days and weeks
// ("28d", "4w") as Prometheus and Sloth users write them.
type Duration time.Duration

var durationRE = regexp.MustCompile(`^(\d+)(ms|s|m|h|d|w)$`)

// ParseDuration reads a duration such as 5m, 6h, 28d or 4w (one unit), or
// any Go duration ("1h30m").
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if m := durationRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > 1<<31 {
			return 0, fmt.Errorf("duration %q is too large", s)
		}
		unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
			"d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		return Duration(time.Duration(n) * unit), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 5m, 6h or 28d", s)
	}
	return Duration(d), nil
}

// String writes the duration in the largest whole unit.
func (d Duration) String() string {
	t := time.Duration(d)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if t >= u.unit && t%u.unit == 0 {
			return strconv.FormatInt(int64(t/u.unit), 10) + u.suffix
		}
	}
	return t.String()
}

// MarshalText writes the duration as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	*d = v
	return err
}

// MarshalText writes the window as palisade.yaml does.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads what ParseWindow reads.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	*w = v
	return err
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)

// Validate checks the SLO on its own (not that its service exists).
// Errors name the field.
func (s *SLO) Validate() error {
	f := func(field, format string, args ...any) error {
		return palisade.FieldErrorf(palisade.EINVALID, field, format, args...)
	}
	switch {
	case !nameRE.MatchString(s.Name):
		return f("name", "invalid SLO name %q: lowercase letters, digits, '.', '_', '-'", s.Name)
	case s.Service == "":
		return f("service", "service is required")
	case !(s.Objective > 0 && s.Objective < 1):
		return f("objective", "objective %v%% is outside (0, 100)", s.Objective*100)
	case s.Window.Calendar == "" && s.Window.Rolling == 0:
		return f("window", "window is required (such as 28d, month or week)")
	case s.Budgeting != Occurrences && s.Budgeting != Timeslices:
		return f("budgeting", "budgeting %q: use occurrences or timeslices", s.Budgeting)
	case s.Budgeting == Timeslices && (s.Slice < Duration(time.Minute) || time.Duration(s.Slice) > s.Window.Period()/10):
		return f("slice", "slice %s must be at least 1m and at most a tenth of the window", s.Slice)
	case s.Alerting.MinEvents < 0:
		return f("alerting.minEvents", "minEvents must not be negative")
	}
	in := s.Indicator
	switch in.Kind {
	case KindEvents:
	case KindRemediation, KindExposure:
		for _, sev := range in.Severities {
			if !slices.Contains([]string{"critical", "high", "medium", "low", "unknown"}, sev) {
				return f("indicator."+in.Kind+".severities", "unknown severity %q", sev)
			}
		}
		if in.Kind == KindExposure && s.Budgeting != Timeslices {
			return f("budgeting", "the exposure indicator counts timeslices: set budgeting: timeslices")
		}
	case KindControls:
		if !nameRE.MatchString(in.Check) {
			return f("indicator.controls.check", "invalid check name %q", in.Check)
		}
		if s.Budgeting != Timeslices {
			return f("budgeting", "control checks count timeslices: set budgeting: timeslices")
		}
	case KindPrometheus:
		p := in.Prometheus
		switch {
		case p == nil:
			return f("indicator.prometheus", "give the server and the queries")
		case !strings.HasPrefix(p.Server, "http://") && !strings.HasPrefix(p.Server, "https://"):
			return f("indicator.prometheus.server", "server %q is not an http(s) URL", p.Server)
		case p.Total == "":
			return f("indicator.prometheus.total", "total is required")
		case (p.Good == "") == (p.Bad == ""):
			return f("indicator.prometheus", "give exactly one of good and bad")
		}
	default:
		return f("indicator", "unknown indicator %q: use events, remediation, exposure, controls or prometheus", in.Kind)
	}
	return nil
}
