package promrules

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

const (
	badQuery   = `sum(rate(http_requests_total{job="web",code=~"5.."}[{{.window}}]))`
	goodQuery  = `sum(rate(http_requests_total{job="web",code!~"5.."}[{{.window}}]))`
	totalQuery = `sum(rate(http_requests_total{job="web"}[{{.window}}]))`
)

// promSLO is a valid Prometheus-backed SLO that options adjust.
func promSLO(name string, opts ...func(*slo.SLO)) *slo.SLO {
	s := &slo.SLO{
		Name: name, Service: "web", Objective: 0.999,
		Window: slo.Window{Rolling: slo.Duration(30 * day)}, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
		Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{
			Server: "http://prometheus:9090", Bad: badQuery, Total: totalQuery}},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func withWindow(w slo.Window) func(*slo.SLO) { return func(s *slo.SLO) { s.Window = w } }
func withMinEvents(n int) func(*slo.SLO)     { return func(s *slo.SLO) { s.Alerting.MinEvents = n } }
func withGood(s *slo.SLO)                    { s.Indicator.Prometheus.Bad, s.Indicator.Prometheus.Good = "", goodQuery }
func withoutAlerts(s *slo.SLO)               { s.Alerting.Disabled = true }

func rules(t *testing.T, f *RuleFile) map[string]Rule {
	t.Helper()
	m := map[string]Rule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			key := r.Record
			if r.Alert != "" {
				key = r.Alert + "/" + r.Labels[LabelSeverity]
			}
			if _, dup := m[key]; dup {
				t.Fatalf("rule %s appears twice", key)
			}
			m[key] = r
		}
	}
	return m
}

func TestGenerate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		slo     *slo.SLO
		period  string
		days    string
		factors []float64 // page fast, page slow, ticket fast, ticket slow
		totals  bool      // min-event guard rules
		alerts  bool
	}{
		{"30d", promSLO("a"), "30d", "30", []float64{14.4, 6, 3, 1}, false, true},
		{"28d", promSLO("a", withWindow(slo.Window{Rolling: slo.Duration(28 * day)})), "4w", "28", []float64{13.44, 5.6, 2.8, 0.933333333333}, false, true},
		{"month", promSLO("a", withWindow(slo.Window{Calendar: slo.CalendarMonth})), "30d", "30", []float64{14.4, 6, 3, 1}, false, true},
		{"week", promSLO("a", withWindow(slo.Window{Calendar: slo.CalendarWeek})), "1w", "7", []float64{3.36, 1.4, 0.7, 0.233333333333}, false, true},
		{"good", promSLO("a", withGood), "30d", "30", []float64{14.4, 6, 3, 1}, false, true},
		{"min events", promSLO("a", withMinEvents(10)), "30d", "30", []float64{14.4, 6, 3, 1}, true, true},
		{"alerts off", promSLO("a", withMinEvents(10), withoutAlerts), "30d", "30", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Generate([]*slo.SLO{tc.slo})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range f.Groups {
				names = append(names, g.Name)
			}
			want := []string{"palisade-slo-sli-a", "palisade-slo-meta-a"}
			if tc.alerts {
				want = append(want, "palisade-slo-alerts-a")
			}
			if !slices.Equal(names, want) {
				t.Errorf("groups %v, want %v", names, want)
			}
			rs := rules(t, f)
			for _, w := range append(slo.BurnWindows(), tc.slo.Window.Period()) {
				r, ok := rs[ErrorRatioRecord(w)]
				if !ok {
					t.Fatalf("no SLI rule for %v", w)
				}
				d := promDuration(w)
				if r.Labels[LabelWindow] != d || r.Labels[LabelSLO] != "a" || r.Labels[LabelService] != "web" {
					t.Errorf("%s labels %v", r.Record, r.Labels)
				}
				if strings.Contains(r.Expr, "{{") || !strings.Contains(r.Expr, "["+d+"]") {
					t.Errorf("%s: window not rendered: %s", r.Record, r.Expr)
				}
				if tc.slo.Indicator.Prometheus.Good != "" && !strings.HasPrefix(squash(r.Expr), "(1-((sum(rate(") {
					t.Errorf("%s: not 1 - good/total: %s", r.Record, r.Expr)
				}
			}
			if _, ok := rs[ErrorRatioPrefix+tc.period]; !ok {
				t.Errorf("no period SLI %s", tc.period)
			}
			for rec, want := range map[string]string{ObjectiveRecord: "vector(0.999)", ErrorBudgetRecord: "vector(0.001)", TimePeriodRecord: "vector(" + tc.days + ")"} {
				if got := rs[rec].Expr; got != want {
					t.Errorf("%s = %s, want %s", rec, got, want)
				}
			}
			if got := rs[InfoRecord].Labels["palisade_period"]; got != tc.slo.Window.String() {
				t.Errorf("info period %q", got)
			}
			_, hasTotal := rs[TotalRecord(time.Hour)]
			if hasTotal != tc.totals {
				t.Errorf("total rules: %v, want %v", hasTotal, tc.totals)
			}
			var buf bytes.Buffer
			if err := f.WriteYAML(&buf); err != nil {
				t.Fatal(err)
			}
			conds := extract(t, buf.Bytes(), palisadeDialect)[slothKey{"web", "a"}].conds
			if len(conds) != len(tc.factors) {
				t.Fatalf("conditions %v, want factors %v", conds, tc.factors)
			}
			wantWindows := []string{"page 1h&5m", "page 6h&30m", "ticket 1d&2h", "ticket 3d&6h"}
			for i, c := range conds {
				if !near(c.factor, tc.factors[i]) || !near(c.budget, 0.001) || !strings.HasPrefix(c.String(), wantWindows[i]) {
					t.Errorf("condition %d: %v, want %s %v×0.001", i, c, wantWindows[i], tc.factors[i])
				}
			}
			if tc.totals {
				page := rs[AlertName+"/page"].Expr
				if !strings.Contains(page, TotalRecord(time.Hour)+`{palisade_service="web", palisade_slo="a"} >= 10`) {
					t.Errorf("page alert without the min-events guard:\n%s", page)
				}
			}
			if tc.name == "30d" {
				a := rs[AlertName+"/page"].Annotations
				for _, want := range []string{"SLO a of service web", "objective 99.9% over 30d", "above 1.44% (burn rate 14.4: 2% of the budget in 1h) over both 1h and 5m", "{{ $value | humanizePercentage }}"} {
					if !strings.Contains(a["description"]+a["summary"], want) {
						t.Errorf("annotations lack %q: %v", want, a)
					}
				}
			}
		})
	}
}

// Queries are read as Palisade's evaluation reads them: with {{.window}}
// a rate, without it a counter whose increase is counted; a rate beside a
// counter is turned into a count.
func TestGenerateCounters(t *testing.T) {
	for _, tc := range []struct {
		name, bad, total, want string
	}{
		{"rates", badQuery, totalQuery,
			`(sum(rate(http_requests_total{job="web",code=~"5.."}[5m])))/(sum(rate(http_requests_total{job="web"}[5m])))`},
		{"counters", `http_errors_total{job="web"}`, `sum(http_requests_total{job="web"})`,
			`(sum(increase((http_errors_total{job="web"})[5m:])))/(sum(increase((sum(http_requests_total{job="web"}))[5m:])))`},
		{"rate and counter", badQuery, `sum(http_requests_total{job="web"})`,
			`((sum(rate(http_requests_total{job="web",code=~"5.."}[5m])))*300)/(sum(increase((sum(http_requests_total{job="web"}))[5m:])))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Generate([]*slo.SLO{promSLO("a", withMinEvents(10), func(s *slo.SLO) {
				s.Indicator.Prometheus.Bad, s.Indicator.Prometheus.Total = tc.bad, tc.total
			})})
			if err != nil {
				t.Fatal(err)
			}
			rs := rules(t, f)
			if got := squash(rs[ErrorRatioRecord(5*time.Minute)].Expr); got != tc.want {
				t.Errorf("5m SLI\n got  %s\n want %s", got, tc.want)
			}
			// The minimum-events guard compares counts, as slo.Evaluate does.
			total := squash(rs[TotalRecord(time.Hour)].Expr)
			if !strings.Contains(total, "[1h") || (strings.Contains(tc.total, "{{.window}}") != strings.HasSuffix(total, "*3600")) {
				t.Errorf("1h total is not a count: %s", total)
			}
		})
	}
}

// Non-Prometheus SLOs are Palisade's to evaluate; they add no rules.
func TestGenerateSkipsOtherIndicators(t *testing.T) {
	other := &slo.SLO{Name: "remediation", Service: "web", Objective: 0.99, Window: slo.Window{Calendar: slo.CalendarMonth},
		Budgeting: slo.Occurrences, Indicator: slo.Indicator{Kind: slo.KindRemediation}}
	f, err := Generate([]*slo.SLO{other, nil, promSLO("a")})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 3 {
		t.Errorf("%d groups, want the 3 of SLO a", len(f.Groups))
	}
	f, err = Generate(nil)
	if err != nil || f.Groups == nil || len(f.Groups) != 0 {
		t.Errorf("no SLOs: %+v, %v", f, err)
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		slos  []*slo.SLO
		field string // of the first error
		count int
	}{
		{"timeslices", []*slo.SLO{promSLO("a", func(s *slo.SLO) { s.Budgeting = slo.Timeslices })}, "slos[a].budgeting", 1},
		{"spaced window", []*slo.SLO{promSLO("a", func(s *slo.SLO) { s.Indicator.Prometheus.Bad = `sum(rate(x[{{ .window }}]))` })}, "slos[a].indicator.prometheus.bad", 1},
		{"other action", []*slo.SLO{promSLO("a", func(s *slo.SLO) { s.Indicator.Prometheus.Total = `sum(rate(x{job="{{.job}}"}[{{.window}}]))` })}, "slos[a].indicator.prometheus.total", 1},
		{"no server", []*slo.SLO{promSLO("a", func(s *slo.SLO) { s.Indicator.Prometheus.Server = "" })}, "slos[a].indicator.prometheus.server", 1},
		{"duplicate", []*slo.SLO{promSLO("a"), promSLO("a")}, "slos[a].name", 1},
		{"all at once", []*slo.SLO{promSLO("a", func(s *slo.SLO) { s.Objective = 1 }), promSLO("b", func(s *slo.SLO) { s.Budgeting = slo.Timeslices })}, "slos[a].objective", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Generate(tc.slos)
			if err == nil || f != nil {
				t.Fatalf("Generate = %v, %v; want an error", f, err)
			}
			if got := palisade.ErrorField(err); got != tc.field {
				t.Errorf("field %q, want %q (%v)", got, tc.field, err)
			}
			if code := palisade.ErrorCode(err); code != palisade.EINVALID {
				t.Errorf("code %q", code)
			}
			if es, ok := err.(palisade.Errors); !ok || len(es) != tc.count {
				t.Errorf("errors %v, want %d", err, tc.count)
			}
		})
	}
}

// What WriteYAML writes reads back as the same rules, whatever the
// queries hold (YAML's literal blocks are picky about trailing spaces and
// tabs).
func TestWriteYAMLRoundTrip(t *testing.T) {
	tricky := promSLO("tricky", withMinEvents(5), func(s *slo.SLO) {
		s.Service = `web "edge" {{x}}`
		s.Description = "Checks #1: it's\tfine.\n{{ $labels.job }}"
		s.Indicator.Prometheus.Bad = "sum(rate(http_requests_total{code=~\"5..\", path=\"/a: b # c\"}[{{.window}}]))   \n\t- 0 "
		s.Indicator.Prometheus.Total = "\n  sum(\n\trate(http_requests_total[{{.window}}])\n  )  \n"
	})
	f, err := Generate([]*slo.SLO{promSLO("a"), promSLO("b", withGood), tricky})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "# Code generated by Palisade") {
		t.Errorf("no generated-code header:\n%.200s", buf.String())
	}
	var back RuleFile
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, f) {
		t.Errorf("round trip differs:\n%s", buf.String())
	}
	// Text from the SLO must not run as an alert template.
	var d string
	for _, g := range f.Groups {
		if g.Name == "palisade-slo-alerts-tricky" {
			d = g.Rules[0].Annotations["description"]
		}
	}
	if !strings.Contains(d, `web "edge" {{"{{"}}x{{"}}"}}`) || !strings.Contains(d, `{{"{{"}} $labels.job {{"}}"}}`) {
		t.Errorf("template text not escaped: %s", d)
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.02 * float64(28*day) / float64(time.Hour), "13.44"},
		{1 - 0.999, "0.001"},
		{0.999 * 100, "99.9"},
		{0.1 * 28 / 3, "0.933333333333"},
		{1e-5, "1e-05"},
		{0, "0"},
	} {
		if got := num(tc.in); got != tc.want {
			t.Errorf("num(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
