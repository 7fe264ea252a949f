package slo

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PrometheusSource measures Prometheus-backed indicators by querying the
// server's HTTP API at evaluation time: for each window, the good (or bad)
// and total counts. A query holds {{.window}} where its range goes
// (sum(rate(x[{{.window}}]))); it then gives a per-second rate, turned into
// a count by the window's length. A query without it is taken as a
// counter and wrapped in increase(...[window:]).
type PrometheusSource struct {
	// Client makes the requests; nil means a client with a 10 s timeout.
	Client *http.Client
}

// Measure implements Source.
func (p PrometheusSource) Measure(ctx context.Context, s *SLO, now time.Time) (*Measurement, error) {
	if s.Budgeting != Occurrences {
		return nil, fmt.Errorf("Prometheus indicators are counted as occurrences; set budgeting: occurrences")
	}
	pr := s.Indicator.Prometheus
	hc := p.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	c, err := api.NewClient(api.Config{Address: pr.Server, Client: hc})
	if err != nil {
		return nil, fmt.Errorf("prometheus server %q: %v", pr.Server, err)
	}
	papi := promv1.NewAPI(c)
	query := func(q string, w time.Duration) (float64, bool, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		expr := windowed(q, w)
		v, _, _, err := papi.Query(ctx, expr, now)
		if err != nil {
			return 0, false, fmt.Errorf("query %s on %s: %v", expr, pr.Server, err)
		}
		vec, ok := v.(model.Vector)
		if !ok {
			if sc, ok := v.(*model.Scalar); ok {
				return float64(sc.Value), true, nil
			}
			return 0, false, fmt.Errorf("query %s returned %s, not a vector", expr, v.Type())
		}
		if len(vec) == 0 {
			return 0, false, nil // no series: no data
		}
		sum := 0.0
		for _, sample := range vec {
			sum += float64(sample.Value)
		}
		if math.IsNaN(sum) || math.IsInf(sum, 0) {
			return 0, false, nil
		}
		if windowPlaceholder.MatchString(q) {
			sum *= w.Seconds() // rate → count
		}
		return sum, true, nil
	}
	measure := func(w time.Duration) (Counts, error) {
		total, ok, err := query(pr.Total, w)
		if err != nil || !ok {
			return Counts{}, err
		}
		if pr.Good != "" {
			good, ok, err := query(pr.Good, w)
			if err != nil || !ok {
				return Counts{}, err
			}
			return Counts{Good: good, Total: total}, nil
		}
		bad, ok, err := query(pr.Bad, w)
		if err != nil {
			return Counts{}, err
		}
		if !ok {
			bad = 0 // no error series at all: nothing went wrong
		}
		return Counts{Good: total - bad, Total: total}, nil
	}
	m := &Measurement{Windows: map[time.Duration]Counts{}}
	if m.Period, err = measure(now.Sub(s.Window.Start(now))); err != nil {
		return nil, err
	}
	for _, w := range BurnWindows() {
		c, err := measure(w)
		if err != nil {
			return nil, err
		}
		if c.Total > 0 {
			m.Windows[w] = c
		}
	}
	return m, nil
}

// windowPlaceholder matches {{.window}}, spaces allowed as Go templates
// and Sloth allow them.
var windowPlaceholder = regexp.MustCompile(`\{\{\s*\.window\s*\}\}`)

// windowed puts the window into a query: in place of {{.window}}, or
// around a counter expression.
func windowed(q string, w time.Duration) string {
	r := promDuration(w)
	if windowPlaceholder.MatchString(q) {
		return windowPlaceholder.ReplaceAllLiteralString(q, r)
	}
	return "sum(increase((" + q + ")[" + r + ":]))"
}

// promDuration writes a duration in Prometheus' syntax.
func promDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		d = time.Second
	}
	return model.Duration(d).String()
}
