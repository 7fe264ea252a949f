package openslo

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

var update = flag.Bool("update", false, "rewrite testdata/palisade.golden.yaml")

// palisadeSLOs covers every indicator kind, window and alerting setting.
func palisadeSLOs() []*slo.SLO {
	return []*slo.SLO{
		{Name: "checkout-availability", Service: "checkout", Description: "Requests that fail on our side.\nExcludes 429s.",
			Objective: 0.999, Window: slo.Window{Rolling: slo.Duration(28 * day)}, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
			Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{Server: "http://prometheus:9090",
				Bad:   `sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))`,
				Total: `sum(rate(http_requests_total{job="checkout"}[{{.window}}]))`}},
			Alerting: slo.Alerting{MinEvents: 0}},
		{Name: "critical-remediation", Service: "platform", Objective: 0.95, Window: slo.Window{Calendar: slo.CalendarMonth},
			Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
			Indicator: slo.Indicator{Kind: slo.KindRemediation, Severities: []string{"critical", "high"}},
			Alerting:  slo.Alerting{MinEvents: slo.DefaultMinEvents, Disabled: true}},
		{Name: "no-exposure", Service: "platform", Objective: 0.99, Window: slo.Window{Rolling: slo.Duration(30 * day)},
			Budgeting: slo.Timeslices, Slice: slo.Duration(time.Hour),
			Indicator: slo.Indicator{Kind: slo.KindExposure, Severities: []string{"critical"}},
			Alerting:  slo.Alerting{MinEvents: 3}},
		{Name: "mfa-coverage", Service: "platform", Objective: 0.9990000000000001, Window: slo.Window{Calendar: slo.CalendarWeek},
			Budgeting: slo.Timeslices, Slice: slo.DefaultSlice, Indicator: slo.Indicator{Kind: slo.KindControls, Check: "mfa"},
			Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}},
		{Name: "deploy-events", Service: "checkout", Objective: 0.9, Window: slo.Window{Rolling: slo.Duration(90 * time.Minute)},
			Budgeting: slo.Occurrences, Slice: slo.DefaultSlice, Indicator: slo.Indicator{Kind: slo.KindEvents},
			Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}},
	}
}

// Palisade's own output reads back as exactly the SLOs written, with no
// warnings.
func TestRoundTrip(t *testing.T) {
	want := palisadeSLOs()
	var buf bytes.Buffer
	if err := Write(&buf, want); err != nil {
		t.Fatal(err)
	}
	res, err := Read("palisade.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings:\n  %s", strings.Join(res.Warnings, "\n  "))
	}
	if !reflect.DeepEqual(res.SLOs, want) {
		t.Errorf("read back:%s\nwant:%s\n%s", show(res.SLOs...), show(want...), buf.String())
	}
	if !reflect.DeepEqual(res.Services, []string{"checkout", "platform"}) {
		t.Errorf("services %v", res.Services)
	}
}

func TestWriteGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, palisadeSLOs()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "palisade.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write output differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
	}
}

func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*slo.SLO)
		field string
	}{
		{"invalid", func(s *slo.SLO) { s.Objective = 1 }, "slos[checkout-availability].objective"},
		{"seconds", func(s *slo.SLO) { s.Window.Rolling = slo.Duration(time.Hour + time.Second) }, "slos[checkout-availability].window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := palisadeSLOs()[0]
			tc.edit(s)
			var buf bytes.Buffer
			err := Write(&buf, []*slo.SLO{s})
			if palisade.ErrorField(err) != tc.field || buf.Len() != 0 {
				t.Errorf("error %v (field %q), wrote %d bytes; want field %s and nothing written", err, palisade.ErrorField(err), buf.Len(), tc.field)
			}
		})
	}
}

// One DataSource per Prometheus server, shared by the SLOs that use it.
func TestWriteDataSources(t *testing.T) {
	a, b, c := palisadeSLOs()[0], palisadeSLOs()[0], palisadeSLOs()[0]
	b.Name, c.Name = "b", "c"
	c.Indicator.Prometheus.Server = "https://other:9090"
	var buf bytes.Buffer
	if err := Write(&buf, []*slo.SLO{a, b, c}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "kind: DataSource"); n != 2 || !strings.Contains(out, "name: prometheus-2\n") {
		t.Errorf("%d DataSources:\n%s", n, out)
	}
	res, err := Read("x.yaml", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.SLOs[2].Indicator.Prometheus.Server; got != "https://other:9090" {
		t.Errorf("server %q", got)
	}
}
