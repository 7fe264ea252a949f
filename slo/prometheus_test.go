package slo_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/slo"
)

// startPrometheus runs Debian's prometheus on loopback, scraping target
// every second, and returns its URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		testenv.Missing(t, "Prometheus", "apt-get install prometheus")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['%s']\n", target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	for range 100 {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("prometheus did not become ready")
	return ""
}

// TestPrometheusSLO checks a Prometheus-backed SLO end to end against a
// real Prometheus scraping a small exporter that serves 2% errors.
func TestPrometheusSLO(t *testing.T) {
	var n atomic.Int64
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 100 requests a second, 2 of them failing.
		total := n.Add(100)
		fmt.Fprintf(w, "# TYPE app_requests_total counter\napp_requests_total{code=\"200\"} %d\napp_requests_total{code=\"500\"} %d\n", total*98/100, total*2/100)
	}))
	defer exporter.Close()
	url := startPrometheus(t, strings.TrimPrefix(exporter.URL, "http://"))

	s := &slo.SLO{Name: "app-availability", Service: "app", Objective: 0.99, Window: slo.Window{Rolling: slo.Duration(30 * 24 * time.Hour)},
		Budgeting: slo.Occurrences, Alerting: slo.Alerting{MinEvents: 1},
		Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{Server: url,
			Bad:   `sum(rate(app_requests_total{code=~"5.."}[{{.window}}]))`,
			Total: `sum(rate(app_requests_total[{{.window}}]))`}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	src := slo.PrometheusSource{}
	ctx := context.Background()
	var m *slo.Measurement
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		m, err = src.Measure(ctx, s, time.Now())
		if err == nil && m.Period.Total > 0 && m.Windows[5*time.Minute].Total > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no data from Prometheus after 60 s: %+v %v", m, err)
		}
		time.Sleep(time.Second)
	}
	st := slo.Evaluate(s, time.Now(), m.Period, m.Windows)
	if st.SLI == nil || *st.SLI < 0.975 || *st.SLI > 0.985 {
		t.Fatalf("SLI = %v, want about 0.98 (%+v)", st.SLI, m)
	}
	// 2% errors on a 99% objective: burn rate 2 over every window, under
	// the page factors, over the slow ticket one (1 for 30 days).
	if br := st.BurnRates["5m"]; br < 1.8 || br > 2.2 {
		t.Errorf("5m burn rate = %v, want about 2", br)
	}
	if st.ErrorBudgetRemaining == nil || *st.ErrorBudgetRemaining > -0.8 {
		t.Errorf("budget remaining = %v, want about -1", st.ErrorBudgetRemaining)
	}

	// A query Prometheus refuses is no data with the reason, never good.
	s.Indicator.Prometheus.Bad = `sum(rate(app_requests_total{code=~"5.."[{{.window}}]))`
	if _, err := src.Measure(ctx, s, time.Now()); err == nil || !strings.Contains(err.Error(), "query") {
		t.Errorf("bad query: %v", err)
	}
	// So is a series that does not exist.
	s.Indicator.Prometheus.Bad, s.Indicator.Prometheus.Total = `sum(rate(nothing_total[{{.window}}]))`, `sum(rate(nothing_total[{{.window}}]))`
	m, err := src.Measure(ctx, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := slo.Evaluate(s, time.Now(), m.Period, m.Windows); st.Status != slo.StatusNoData {
		t.Errorf("missing series: %+v", st)
	}
}
