package openslo

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/slo"
)

const day = 24 * time.Hour

// baseSLO is a valid v1 SLO document with a Prometheus ratio; tests replace
// parts of it.
const baseSLO doc = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata:
      name: api-errors
    spec:
      ratioMetric:
        bad:
          metricSource:
            metricSourceRef: prom
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total:
          metricSource:
            metricSourceRef: prom
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total[{{.window}}]))
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
`

// controlsSLO is a Palisade indicator as Write writes it, counted in
// timeslices.
const controlsSLO doc = `apiVersion: openslo/v1
kind: SLO
metadata: {name: api-mfa}
spec:
  service: api
  indicator:
    metadata: {name: mfa}
    spec:
      ratioMetric:
        good: {metricSource: {type: Palisade, spec: {indicator: controls, check: mfa, count: good}}}
        total: {metricSource: {type: Palisade, spec: {indicator: controls, check: mfa, count: total}}}
  timeWindow: [{duration: 1w, isRolling: false}]
  budgetingMethod: Timeslices
  objectives: [{target: 0.999, timeSliceTarget: 0.95, timeSliceWindow: 10}]
`

const promSource doc = `apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus:9090
`

// doc is YAML text that tests edit.
type doc string

func docs(ds ...doc) []byte {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(string(d))
	}
	return []byte(b.String())
}

// replace is strings.Replace that insists on a match, so an edit that
// stops applying fails instead of testing the unedited document.
func (d doc) replace(old, new string) doc {
	if !strings.Contains(string(d), old) {
		panic("test edit does not apply: " + old)
	}
	return doc(strings.Replace(string(d), old, new, 1))
}

func edit(old, new string) doc { return baseSLO.replace(old, new) }

func wantSLO(opts ...func(*slo.SLO)) *slo.SLO {
	s := &slo.SLO{
		Name: "api-availability", Service: "api", Objective: 0.999,
		Window: slo.Window{Rolling: slo.Duration(30 * day)}, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
		Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{
			Server: "http://prometheus:9090",
			Bad:    `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`,
			Total:  `sum(rate(http_requests_total[{{.window}}]))`,
		}},
		Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func TestReadMappings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       []byte
		want     *slo.SLO
		warnings []string // substrings, one warning each, in order
	}{
		{"prometheus ratio", docs(promSource, baseSLO), wantSLO(), nil},
		{"targetPercent", docs(promSource, edit("target: 0.999", "targetPercent: 99.5")),
			wantSLO(func(s *slo.SLO) { s.Objective = 0.995 }), nil},
		{"good", docs(promSource, edit("bad:", "good:")),
			wantSLO(func(s *slo.SLO) {
				s.Indicator.Prometheus.Good, s.Indicator.Prometheus.Bad = s.Indicator.Prometheus.Bad, ""
			}), nil},
		{"28d rolling", docs(promSource, edit("duration: 30d", "duration: 28d")),
			wantSLO(func(s *slo.SLO) { s.Window.Rolling = slo.Duration(28 * day) }), nil},
		{"rolling month", docs(promSource, edit("duration: 30d", "duration: 1M")),
			wantSLO(), []string{"spec.timeWindow[0].duration: a rolling 1M window is read as 30d"}},
		{"calendar month", docs(promSource, edit("      isRolling: true", "      isRolling: false\n      calendar:\n        startTime: 2024-03-01 00:00:00\n        timeZone: UTC").
			replace("duration: 30d", "duration: 1M")),
			wantSLO(func(s *slo.SLO) { s.Window = slo.Window{Calendar: slo.CalendarMonth} }), nil},
		{"calendar week elsewhere", docs(promSource, edit("      isRolling: true", "      calendar:\n        startTime: 2022-01-01 12:00:00\n        timeZone: America/New_York").
			replace("duration: 30d", "duration: 1w")),
			wantSLO(func(s *slo.SLO) { s.Window = slo.Window{Calendar: slo.CalendarWeek} }),
			[]string{"spec.timeWindow[0].calendar: the calendar start (2022-01-01 12:00:00 America/New_York) is not kept"}},
		{"timeslices", docs(controlsSLO), &slo.SLO{Name: "api-mfa", Service: "api", Objective: 0.999,
			Window: slo.Window{Calendar: slo.CalendarWeek}, Budgeting: slo.Timeslices, Slice: slo.Duration(10 * time.Minute),
			Indicator: slo.Indicator{Kind: slo.KindControls, Check: "mfa"}, Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}},
			[]string{"spec.objectives[0].timeSliceTarget: timeSliceTarget 0.95 not kept"}},
		{"no window", docs(promSource, edit("  timeWindow:\n    - duration: 30d\n      isRolling: true\n", "")),
			wantSLO(), []string{"spec.timeWindow: no time window: Palisade uses a rolling 30d window"}},
		{"no server", docs(baseSLO),
			wantSLO(func(s *slo.SLO) { s.Indicator.Prometheus.Server = "" }),
			[]string{"document 1: spec.indicator: SLO api-availability has no Prometheus server"}},
		{"server in a list", docs(promSource.replace("    url: ", "    - url: "), baseSLO), wantSLO(), nil},
		{"alerting annotations", docs(promSource, edit("  name: api-availability\n", "  name: api-availability\n  annotations:\n    palisade/min-events: \"0\"\n    palisade/alerting: disabled\n")),
			wantSLO(func(s *slo.SLO) { s.Alerting = slo.Alerting{MinEvents: 0, Disabled: true} }), nil},
		{"alert policies", docs(promSource, edit("    - target: 0.999\n", "    - target: 0.999\n  alertPolicies:\n    - alertPolicyRef: pager\n")),
			wantSLO(), []string{"document 2: spec.alertPolicies: 1 alert policies not imported"}},
		{"two objectives", docs(promSource, edit("    - target: 0.999\n", "    - target: 0.999\n    - target: 0.99\n")),
			wantSLO(), []string{"spec.objectives: 2 objectives: only the first is imported"}},
		{"bare counter", docs(promSource, edit("      ratioMetric:\n", "      ratioMetric:\n        counter: true\n").
			replace(`sum(rate(http_requests_total[{{.window}}]))`, `http_requests_total{job="api"}`)),
			wantSLO(func(s *slo.SLO) {
				s.Indicator.Prometheus.Total = `sum(rate(http_requests_total{job="api"}[{{.window}}]))`
			}),
			[]string{`total.metricSource.spec.query: the counter http_requests_total{job="api"} is read as sum(rate(http_requests_total{job="api"}[{{.window}}]))`}},
		{"query without window", docs(promSource, edit(`sum(rate(http_requests_total[{{.window}}]))`, `sum(http_requests_total)`)),
			wantSLO(func(s *slo.SLO) { s.Indicator.Prometheus.Total = `sum(http_requests_total)` }),
			[]string{"total.metricSource.spec.query: the query has no [{{.window}}] range, so Palisade reads it as a counter"}},
		{"gauge without window", docs(promSource, edit("      ratioMetric:\n", "      ratioMetric:\n        counter: false\n").
			replace(`sum(rate(http_requests_total[{{.window}}]))`, `sum(http_requests_in_flight)`)),
			wantSLO(func(s *slo.SLO) { s.Indicator.Prometheus.Total = `sum(http_requests_in_flight)` }),
			[]string{"total.metricSource.spec.query: the query is not a counter, but without a [{{.window}}] range"}},
		{"spaced window", docs(promSource, edit(`[{{.window}}]))`+"\n        total:", `[{{ .window }}]))`+"\n        total:")), wantSLO(), nil},
		{"json", []byte(`[{"apiVersion": "openslo/v1", "kind": "DataSource", "metadata": {"name": "prom"},
			"spec": {"type": "Prometheus", "connectionDetails": {"url": "http://prometheus:9090"}}},
		 {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "api-availability"}, "spec": {
			"service": "api", "budgetingMethod": "Occurrences", "objectives": [{"target": 0.999}],
			"timeWindow": [{"duration": "30d", "isRolling": true}],
			"indicator": {"metadata": {"name": "x"}, "spec": {"ratioMetric": {
				"bad": {"metricSource": {"metricSourceRef": "prom", "spec": {"query": "sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))"}}},
				"total": {"metricSource": {"metricSourceRef": "prom", "spec": {"query": "sum(rate(http_requests_total[{{.window}}]))"}}}}}}}}]`),
			wantSLO(), nil},
		{"v1alpha", []byte(`apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  budgetingMethod: Occurrences
  objectives:
    - ratioMetrics:
        bad: {source: prometheus, queryType: promql, query: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))'}
        total: {source: prometheus, queryType: promql, query: 'sum(rate(http_requests_total[{{.window}}]))'}
      target: 0.999
  timeWindows:
    - count: 30
      unit: Day
`), wantSLO(func(s *slo.SLO) { s.Indicator.Prometheus.Server = "" }), []string{"has no Prometheus server"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read("slos.yaml", tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SLOs) != 1 || !reflect.DeepEqual(res.SLOs[0], tc.want) {
				t.Fatalf("SLOs %s\nwant %s", show(res.SLOs...), show(tc.want))
			}
			if !reflect.DeepEqual(res.Services, []string{"api"}) {
				t.Errorf("services %v", res.Services)
			}
			checkWarnings(t, res.Warnings, tc.warnings)
		})
	}
}

func show(ss ...*slo.SLO) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n  ")
		if s == nil {
			b.WriteString("nil")
			continue
		}
		p := s.Indicator.Prometheus
		s2 := *s
		s2.Indicator.Prometheus = nil
		fmt.Fprintf(&b, "%+v", s2)
		if p != nil {
			fmt.Fprintf(&b, " %+v", *p)
		}
	}
	return b.String()
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("warnings:\n  %s\nwant %d: %q", strings.Join(got, "\n  "), len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) || !strings.HasPrefix(got[i], "slos.yaml: document ") {
			t.Errorf("warning %q, want it to name the file and document and contain %q", got[i], want[i])
		}
	}
}

func TestReadSkips(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     doc
		reason string
	}{
		{"threshold", edit("      ratioMetric:\n", "      thresholdMetric:\n        metricSource: {type: Prometheus, spec: {query: x}}\n      ratioMetricX:\n"),
			"spec.indicator.spec.thresholdMetric: a threshold metric has no Palisade form"},
		{"datadog", edit("metricSourceRef: prom\n            type: Prometheus\n            spec:\n              query: sum(rate(http_requests_total{", "type: Datadog\n            spec:\n              query: sum(rate(http_requests_total{").
			replace("metricSourceRef: prom\n            type: Prometheus\n            spec:\n              query: sum(rate(http_requests_total[", "type: Datadog\n            spec:\n              query: sum(rate(http_requests_total["),
			"metric source type Datadog has no Palisade form"},
		{"mixed sources", edit("metricSourceRef: prom\n            type: Prometheus\n            spec:\n              query: sum(rate(http_requests_total{", "type: Datadog\n            spec:\n              query: sum(rate(http_requests_total{"),
			"bad reads Datadog and total reads Prometheus"},
		{"raw", edit("      ratioMetric:\n", "      ratioMetric:\n        rawType: failure\n        raw: {metricSource: {type: Prometheus, spec: {query: x}}}\n"),
			"ratioMetric.raw: a raw (precomputed) ratio has no Palisade form"},
		{"ratio timeslices", edit("Occurrences", "RatioTimeslices"), "spec.budgetingMethod: RatioTimeslices"},
		{"quarter", edit("duration: 30d\n      isRolling: true", "duration: 1Q\n      isRolling: false"), "a calendar window of 1Q"},
		{"one minute", edit("duration: 30d\n      isRolling: true", "duration: 1m\n      isRolling: false"), "(m is minutes; a month is M)"},
		{"rolling too long", edit("duration: 30d", "duration: 2Y"), "outside 1h..366d"},
		{"prometheus timeslices", edit("Occurrences", "Timeslices").replace("target: 0.999", "target: 0.999\n      timeSliceWindow: 1m"),
			"spec.budgetingMethod: Palisade counts Prometheus indicators as occurrences"},
		{"composite", edit("    - target: 0.999\n", "    - target: 0.999\n      indicatorRef: other\n      compositeWeight: 1\n"), "a composite SLO"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read("slos.yaml", docs(promSource, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SLOs) != 0 {
				t.Fatalf("imported %s", show(res.SLOs...))
			}
			last := res.Warnings[len(res.Warnings)-1]
			if !strings.Contains(last, "document 2: SLO api-availability skipped: ") || !strings.Contains(last, tc.reason) {
				t.Errorf("warnings %q, want a skip because %q", res.Warnings, tc.reason)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string // the message of the first error; a prefix of it when it ends in a space
	}{
		{"target out of range", docs(promSource, "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: api}\n", edit("target: 0.999", "target: 1.5")),
			"f.yaml: document 3: spec.objectives[0].target: target 1.5 is outside (0, 1)"},
		{"target not a number", docs(edit("target: 0.999", "target: high")),
			"f.yaml: document 1: spec.objectives[0].target: expected a number, got the string \"high\""},
		{"both targets", docs(edit("target: 0.999", "target: 0.999\n      targetPercent: 99.9")),
			"f.yaml: document 1: spec.objectives[0].targetPercent: give target or targetPercent, not both"},
		{"no objectives", docs(edit("  objectives:\n    - target: 0.999\n", "")),
			"f.yaml: document 1: spec.objectives: at least one objective is required"},
		{"no service", docs(edit("  service: api\n", "")), "f.yaml: document 1: spec.service: is required"},
		{"no budgeting", docs(edit("  budgetingMethod: Occurrences\n", "")), "f.yaml: document 1: spec.budgetingMethod: is required"},
		{"bad budgeting", docs(edit("Occurrences", "Sometimes")), `f.yaml: document 1: spec.budgetingMethod: budgetingMethod "Sometimes": use Occurrences or Timeslices`},
		{"bad duration", docs(edit("duration: 30d", "duration: a month")), `f.yaml: document 1: spec.timeWindow[0].duration: "a month" is not a duration shorthand (a number and one of m, h, d, w, M, Q, Y)`},
		{"two windows", docs(edit("  timeWindow:\n", "  timeWindow:\n    - duration: 7d\n")), "f.yaml: document 1: spec.timeWindow: expected exactly one time window, got 2"},
		{"good and bad", docs(edit("        bad:", "        good: {metricSource: {type: Prometheus, spec: {query: x}}}\n        bad:")),
			"f.yaml: document 1: spec.indicator.spec.ratioMetric: give good or bad, not both"},
		{"no total", docs(edit("        total:", "        totalX:")), "f.yaml: document 1: spec.indicator.spec.ratioMetric: total is required"},
		{"no query", docs(promSource, edit("              query: sum(rate(http_requests_total[{{.window}}]))", "              q: x")),
			"f.yaml: document 2: spec.indicator.spec.ratioMetric.total.metricSource.spec.query: is required"},
		{"no type", docs(edit("metricSourceRef: prom\n            type: Prometheus\n", "metricSourceRef: elsewhere\n")),
			"f.yaml: document 1: spec.indicator.spec.ratioMetric.bad.metricSource: type is required when metricSourceRef does not name a DataSource in this file"},
		{"missing SLI", docs(edit("  indicator:\n    metadata:", "  indicatorRef: nope\n  x:\n    metadata:")),
			`f.yaml: document 1: spec.indicatorRef: no SLI named "nope" in this file (put the SLI in the same file, or inline it as spec.indicator)`},
		{"invalid name", docs(edit("name: api-availability", "name: API_Availability")),
			`f.yaml: document 1: metadata.name: SLO API_Availability is not a valid Palisade SLO: invalid SLO name "API_Availability": lowercase letters, digits, '.', '_', '-'`},
		{"slice too long", docs(promSource, controlsSLO.replace("timeSliceWindow: 10", "timeSliceWindow: 1d")),
			"f.yaml: document 2: spec.objectives[0].timeSliceWindow: SLO api-mfa is not a valid Palisade SLO: slice 1d must be at least 1m and at most a tenth of the window"},
		{"duplicate SLO", docs(baseSLO, baseSLO), `f.yaml: document 2: metadata.name: an SLO named "api-availability" is already defined (f.yaml: document 1)`},
		{"v2alpha", []byte("apiVersion: openslo.com/v2alpha\nkind: SLO\nmetadata: {name: x}\nspec: {}\n"),
			`f.yaml: document 1: apiVersion: apiVersion "openslo.com/v2alpha" is not supported: use openslo/v1 (or openslo/v1alpha)`},
		{"unknown kind", []byte("apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: x}\n"),
			`f.yaml: document 1: kind: kind "Dashboard" is not an openslo/v1 kind (SLO, SLI, DataSource, Service, AlertPolicy, AlertCondition, AlertNotificationTarget)`},
		{"not an object", []byte("- 1\n- apiVersion: openslo/v1\n"), "f.yaml: document 1, item 1: expected an OpenSLO object (apiVersion, kind, metadata, spec), got the number 1"},
		{"no name", []byte("apiVersion: openslo/v1\nkind: Service\nmetadata: {}\n"), "f.yaml: document 1: metadata.name: is required"},
		{"spec not a mapping", []byte("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec: [1]\n"), "f.yaml: document 1: spec: expected a mapping, got a list"},
		{"malformed YAML", []byte("apiVersion: openslo/v1\n---\nkind: [\n"), "f.yaml: malformed YAML: [3:7] "},
		{"too deep", []byte("a: " + strings.Repeat("[", 100000)), "f.yaml: the YAML nests about 100001 levels deep; the limit is 32"},
		{"duplicate key", []byte("apiVersion: openslo/v1\napiVersion: openslo/v1\n"), "f.yaml: malformed YAML: [2:1] "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read("f.yaml", tc.in)
			if err == nil {
				t.Fatalf("no error; got %s, warnings %q", show(res.SLOs...), res.Warnings)
			}
			if code := palisade.ErrorCode(err); code != palisade.EINVALID {
				t.Errorf("code %s", code)
			}
			es, ok := err.(palisade.Errors)
			if !ok || len(es) == 0 {
				if e, ok := err.(*palisade.Error); ok {
					es = palisade.Errors{e}
				} else {
					t.Fatalf("%T %v", err, err)
				}
			}
			if got := es[0].Error(); !strings.HasPrefix(got, tc.want) || (!strings.HasSuffix(tc.want, " ") && got != tc.want) {
				t.Errorf("error\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// Every problem in a file is reported, not only the first.
func TestReadReportsAll(t *testing.T) {
	_, err := Read("f.yaml", docs(edit("target: 0.999", "target: 2"), edit("name: api-availability", "name: other").replace("  service: api\n", "")))
	es, ok := err.(palisade.Errors)
	if !ok || len(es) != 2 {
		t.Fatalf("errors %v, want 2", err)
	}
}

func TestReadTooLarge(t *testing.T) {
	_, err := Read("big.yaml", make([]byte, MaxSize+1))
	if palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Errorf("error %v, want %s", err, palisade.ETOOLARGE)
	}
}

// testdataCases says what each file in testdata holds; TestReadTestdata
// fails on a file it does not list, so new files get an expectation.
var testdataCases = map[string]struct {
	slos, services []string
	err            string // a substring of the error
	warnings       int
}{
	"sdk-v1-slos.yaml":              {warnings: 1},
	"sdk-v1-slis.yaml":              {},
	"sdk-v1-data-sources.yaml":      {},
	"sdk-v1alpha-slos.yaml":         {warnings: 2},
	"sdk-decode-v1-slos.yaml":       {slos: []string{"foo-slo"}, services: []string{"foo"}, warnings: 6},
	"sdk-decode-sequence.json":      {services: []string{"users-auth", "users-login"}},
	"sdk-decode-two-documents.yaml": {services: []string{"users-auth", "users-login"}},
	"spec-ratio-timeslices.yaml":    {warnings: 1},
	"spec-timeslices.yaml":          {warnings: 1},
	"web-prometheus.yaml":           {slos: []string{"login-availability"}, services: []string{"identity"}, warnings: 1},
	"palisade.golden.yaml":          {slos: []string{"checkout-availability", "critical-remediation", "no-exposure", "mfa-coverage", "deploy-events"}, services: []string{"checkout", "platform"}},
}

func TestReadTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "LICENSE") || name == "SOURCE.txt" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			want, ok := testdataCases[name]
			if !ok {
				t.Fatalf("no expectation for testdata/%s", name)
			}
			seen++
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Read(name, data)
			if want.err != "" {
				if err == nil || !strings.Contains(err.Error(), want.err) {
					t.Fatalf("error %v, want %q", err, want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range res.SLOs {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, want.slos) || !slices.Equal(res.Services, want.services) || len(res.Warnings) != want.warnings {
				t.Errorf("SLOs %v services %v, %d warnings:\n  %s\nwant %v %v %d", names, res.Services, len(res.Warnings),
					strings.Join(res.Warnings, "\n  "), want.slos, want.services, want.warnings)
			}
		})
	}
	if seen != len(testdataCases) {
		t.Errorf("%d of %d expected files found", seen, len(testdataCases))
	}
}

// Specific mappings from the OpenSLO examples.
func TestReadExamples(t *testing.T) {
	read := func(name string) *Result {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Read(name, data)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// The go-sdk's decoding example: bare counters, read as rates; no
	// window, so 30 days; its DataSource is in another file.
	got := read("sdk-decode-v1-slos.yaml").SLOs[0]
	want := &slo.SLO{Name: "foo-slo", Service: "foo", Objective: 0.98,
		Window: slo.Window{Rolling: slo.Duration(30 * day)}, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
		Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{
			Good:  `sum(rate(http_requests_total{status_code="200"}[{{.window}}]))`,
			Total: `sum(rate(http_requests_total{}[{{.window}}]))`}},
		Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sdk-decode-v1-slos.yaml:%s\nwant%s", show(got), show(want))
	}
	// The go-sdk's SLO example counts 1m timeslices of a Prometheus ratio,
	// which Palisade does not.
	if w := read("sdk-v1-slos.yaml").Warnings; len(w) != 1 || !strings.Contains(w[0], "SLO web-availability skipped: spec.budgetingMethod: Palisade counts Prometheus indicators as occurrences") {
		t.Errorf("sdk-v1-slos.yaml warnings %q", w)
	}
	// An SLI by reference, its server from a DataSource listed as
	// connectionDetails items, the type inferred from the DataSource.
	got = read("web-prometheus.yaml").SLOs[0]
	want = &slo.SLO{Name: "login-availability", Service: "identity", Description: "Logins that fail on our side", Objective: 0.995,
		Window: slo.Window{Rolling: slo.Duration(28 * day)}, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
		Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{Server: "https://prometheus.example.com",
			Bad:   `sum(rate(login_attempts_total{result="error"}[{{.window}}]))`,
			Total: `sum(rate(login_attempts_total[{{.window}}]))`}},
		Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("web-prometheus.yaml:%s\nwant%s", show(got), show(want))
	}
	if err := got.Validate(); err != nil {
		t.Errorf("imported SLO does not validate: %v", err)
	}
}

// corpusCases says, for every file of the OpenSLO corpus, what Read makes
// of it and why: imported SLOs, or the error that rejects the file, or
// nothing (objects Palisade keeps no SLO for, or SLOs skipped with a
// warning). TestCorpus fails on a file it does not list.
var corpusCases = map[string]struct {
	slos   int
	err    string
	reason string
}{
	"OpenSLO/examples/budgeting-method/occurences-slo.yaml":                                  {reason: "thresholdMetric: skipped"},
	"OpenSLO/examples/budgeting-method/ratio-timeslices.yaml":                                {reason: "metric source type Any and RatioTimeslices: skipped"},
	"OpenSLO/examples/budgeting-method/timeslices-slo.yaml":                                  {reason: "metric source type Any, and a calendar window of 1m (minutes): skipped"},
	"OpenSLO/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml":            {reason: "metric source type Any: skipped"},
	"go-sdk/pkg/openslo/v1/examples/alert_conditions.yaml":                                   {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslo/v1/examples/alert_notification_targets.yaml":                         {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslo/v1/examples/alert_policies.yaml":                                     {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslo/v1/examples/data_sources.yaml":                                       {reason: "DataSources only"},
	"go-sdk/pkg/openslo/v1/examples/services.yaml":                                           {reason: "Services only"},
	"go-sdk/pkg/openslo/v1/examples/slis.yaml":                                               {reason: "SLIs only"},
	"go-sdk/pkg/openslo/v1/examples/slos.yaml":                                               {reason: "a Prometheus ratio counted in timeslices: skipped"},
	"go-sdk/pkg/openslo/v1alpha/examples/services.yaml":                                      {reason: "Services only"},
	"go-sdk/pkg/openslo/v1alpha/examples/slos.yaml":                                          {reason: "thresholdMetric and a Datadog ratio: skipped"},
	"go-sdk/pkg/openslo/v2alpha/examples/alert_conditions.yaml":                              {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/alert_notification_targets.yaml":                    {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/alert_policies.yaml":                                {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/data_sources.yaml":                                  {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/services.yaml":                                      {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/slis.yaml":                                          {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslo/v2alpha/examples/slos.yaml":                                          {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslosdk/test_data/decode/sequence_of_objects.json":                        {reason: "Services only"},
	"go-sdk/pkg/openslosdk/test_data/decode/sequence_of_objects.yaml":                        {reason: "Services only"},
	"go-sdk/pkg/openslosdk/test_data/decode/single_object.json":                              {reason: "Services only"},
	"go-sdk/pkg/openslosdk/test_data/decode/single_object.yaml":                              {reason: "Services only"},
	"go-sdk/pkg/openslosdk/test_data/decode/two_documents.yaml":                              {reason: "Services only"},
	"go-sdk/pkg/openslosdk/test_data/decode/v1_slos.yaml":                                    {slos: 1},
	"go-sdk/pkg/openslosdk/test_data/decode/v2alpha_data_source.yaml":                        {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslosdk/test_data/decode/v2alpha_slos.yaml":                               {err: "openslo.com/v2alpha"},
	"go-sdk/pkg/openslosdk/test_data/encode/v1_slo.json":                                     {slos: 1},
	"go-sdk/pkg/openslosdk/test_data/encode/v1_slo.yaml":                                     {slos: 1},
	"go-sdk/pkg/openslosdk/test_data/export/inputs/custom_config.yaml":                       {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/export/inputs/v1_alert_policies.yaml":                   {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/export/inputs/v1_slo.yaml":                              {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/export/outputs/custom_config.yaml":                      {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/export/outputs/v1_alert_policies.yaml":                  {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/export/outputs/v1_slo.yaml":                             {reason: "thresholdMetric (in a referenced SLI): skipped"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/custom_config.yaml":                       {err: `no SLI named "my-sli" in this file`},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_invalid_condition.yaml": {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_invalid_target.yaml":    {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_keep_refs.yaml":         {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_remove_refs.yaml":       {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo.yaml":                              {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_policy.yaml":               {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_sli.yaml":                  {err: `no SLI named "no-sli" in this file`},
	"go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_target.yaml":               {reason: "thresholdMetric: skipped"},
	"go-sdk/pkg/openslosdk/test_data/inline/outputs/custom_config.yaml":                      {err: `no SLI named "my-sli" in this file`},
	"go-sdk/pkg/openslosdk/test_data/inline/outputs/v1_alert_policies_keep_refs.yaml":        {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/outputs/v1_alert_policies_remove_refs.yaml":      {reason: "alerting objects: warned, not imported"},
	"go-sdk/pkg/openslosdk/test_data/inline/outputs/v1_slo.yaml":                             {reason: "thresholdMetric: skipped"},
}

func TestCorpus(t *testing.T) {
	dir := testenv.Corpus(t, "openslo")
	seen := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(path)) {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			want, ok := corpusCases[rel]
			if !ok {
				t.Fatalf("no expectation for %s: add it to corpusCases with the reason", rel)
			}
			seen++
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Read(filepath.Base(rel), data)
			if want.err != "" {
				if err == nil || !strings.Contains(err.Error(), want.err) {
					t.Fatalf("error %v, want one containing %q", err, want.err)
				}
				t.Logf("rejected: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SLOs) != want.slos {
				t.Errorf("%d SLOs, want %d (%s)", len(res.SLOs), want.slos, want.reason)
			}
			for _, w := range res.Warnings {
				t.Logf("warning: %s", w)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(corpusCases) {
		t.Errorf("%d of the %d listed corpus files found", seen, len(corpusCases))
	}
}
