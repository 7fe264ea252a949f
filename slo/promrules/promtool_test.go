package promrules

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/slo"
)

// promtool finds Prometheus's rule checker (Debian: apt-get install
// prometheus).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		testenv.Missing(t, "promtool", "install Prometheus's promtool, e.g. apt-get install prometheus")
	}
	return p
}

func writeRules(t *testing.T, dir string, slos []*slo.SLO) string {
	t.Helper()
	f, err := Generate(slos)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPromtoolCheckRules(t *testing.T) {
	bin := promtool(t)
	for name, slos := range map[string][]*slo.SLO{
		"none": nil,
		"every variant": {
			promSLO("bad-30d"),
			promSLO("good-28d", withGood, withWindow(slo.Window{Rolling: slo.Duration(28 * day)})),
			promSLO("month", withWindow(slo.Window{Calendar: slo.CalendarMonth}), withMinEvents(10)),
			promSLO("week", withWindow(slo.Window{Calendar: slo.CalendarWeek})),
			promSLO("quiet", withoutAlerts),
			promSLO("counters", withMinEvents(10), func(s *slo.SLO) {
				s.Indicator.Prometheus.Bad, s.Indicator.Prometheus.Total = `http_errors_total{job="web"}`, totalQuery
			}),
			promSLO("one-day", withWindow(slo.Window{Rolling: slo.Duration(day)}), withMinEvents(1)),
			promSLO("ninety-minutes", withWindow(slo.Window{Rolling: slo.Duration(90 * time.Minute)})),
			promSLO("odd-text", func(s *slo.SLO) {
				s.Service = `edge "proxy" {{x}}`
				s.Description = "Runbook: {{ $labels.job }} — 100% of \"logins\""
				s.Indicator.Prometheus.Bad = "sum(\n\trate(login_failures_total{reason!=\"bad password\"}[{{.window}}])   \n)"
			}),
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeRules(t, t.TempDir(), slos)
			out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
			if err != nil {
				rules, _ := os.ReadFile(path)
				t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, rules)
			}
			t.Logf("%s", bytes.TrimSpace(out))
		})
	}
}

// The alerts fire on exactly the SRE Workbook's conditions, as Prometheus
// itself evaluates them: promtool test rules feeds request counters in and
// checks which alerts fire. Traffic is 1000 requests a minute; after 5 good
// hours an error ratio starts, so the short windows see all of it and the
// long ones a part. Samples and evaluations are 5 minutes apart, which the
// 5m window needs and keeps promtool quick.
func TestPromtoolBurnRateAlerts(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	const (
		bad   = `sum(rate(http_requests_total{code="500"}[{{.window}}]))`
		total = `sum(rate(http_requests_total[{{.window}}]))`
	)
	mk := func(name string, minEvents int) *slo.SLO {
		return promSLO(name, withMinEvents(minEvents), func(s *slo.SLO) {
			s.Indicator.Prometheus.Bad, s.Indicator.Prometheus.Total = bad, total
		})
	}
	// minEvents counts events, as Palisade's evaluation does (a rate
	// times the window's seconds): 60 000 in the last hour hold the page
	// of web-min back, 360 000 over a day let its ticket through.
	slos := []*slo.SLO{mk("web", 0), mk("web-min", 100000)}
	writeRules(t, dir, slos)
	f, _ := Generate(slos)
	annotations := func(sloName, sev, value string) map[string]string {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if g.Name == "palisade-slo-alerts-"+sloName && r.Labels[LabelSeverity] == sev {
					a := map[string]string{}
					for k, v := range r.Annotations {
						a[k] = strings.ReplaceAll(v, "{{ $value | humanizePercentage }}", value)
					}
					return a
				}
			}
		}
		t.Fatalf("no %s alert for %s", sev, sloName)
		return nil
	}
	type expAlert struct {
		Labels      map[string]string `yaml:"exp_labels"`
		Annotations map[string]string `yaml:"exp_annotations"`
	}
	alert := func(sloName, sev, value string) expAlert {
		return expAlert{map[string]string{LabelService: "web", LabelSLO: sloName, LabelSeverity: sev}, annotations(sloName, sev, value)}
	}
	type alertTest struct {
		EvalTime  string     `yaml:"eval_time"`
		Alertname string     `yaml:"alertname"`
		ExpAlerts []expAlert `yaml:"exp_alerts"`
	}
	type sample struct {
		Labels string  `yaml:"labels"`
		Value  float64 `yaml:"value"`
	}
	type exprTest struct {
		Expr       string   `yaml:"expr"`
		EvalTime   string   `yaml:"eval_time"`
		ExpSamples []sample `yaml:"exp_samples"`
	}
	type series struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	}
	type group struct {
		Name      string      `yaml:"name"`
		Interval  string      `yaml:"interval"`
		Input     []series    `yaml:"input_series"`
		Alerts    []alertTest `yaml:"alert_rule_test"`
		ExprTests []exprTest  `yaml:"promql_expr_test,omitempty"`
	}
	// traffic is 5h without errors, then 1h with errsPerMin errors in the
	// 1000 requests a minute, then optionally 10 minutes without errors.
	traffic := func(errsPerMin int, thenClean bool) []series {
		e := 5 * errsPerMin // per 5m step
		ok := fmt.Sprintf("0+5000x60 %d+%dx11", 300000+5000-e, 5000-e)
		bad := fmt.Sprintf("0+0x60 %d+%dx11", e, e)
		if thenClean {
			ok += fmt.Sprintf(" %d+5000x1", 300000+12*(5000-e)+5000)
			bad += fmt.Sprintf(" %d+0x1", 12*e)
		}
		return []series{
			{`http_requests_total{code="200"}`, ok},
			{`http_requests_total{code="500"}`, bad},
		}
	}
	sel := `{palisade_service="web", palisade_slo="web"`
	// Prometheus evaluates groups concurrently, so an alert may read the
	// recordings of the previous evaluation; the test fixes the order to
	// make the values in the annotations exact.
	var order []string
	for _, g := range f.Groups {
		order = append(order, g.Name)
	}
	file := struct {
		RuleFiles []string `yaml:"rule_files"`
		Interval  string   `yaml:"evaluation_interval"`
		Order     []string `yaml:"group_eval_order"`
		Tests     []group  `yaml:"tests"`
	}{[]string{"rules.yaml"}, "5m", order, []group{
		{
			// 2%: burn rate 20 over 5m and 1h (above 14.4) pages; over 6h
			// the ratio is 2%/6, burn 3.3, under the slow page's 6. The
			// ticket fires on 2h (1%, burn 10) and 1d (burn 3.3 > 3).
			Name: "2% errors for the last hour", Interval: "5m", Input: traffic(20, false),
			Alerts: []alertTest{
				{"360m", AlertName, []expAlert{alert("web", "page", "2%"), alert("web", "ticket", "1%"), alert("web-min", "ticket", "1%")}},
				{"300m", AlertName, nil},
			},
			ExprTests: []exprTest{
				{"round(" + ErrorRatioRecord(time.Hour) + sel + "}, 0.0001)", "360m", []sample{{sel + `, palisade_window="1h"}`, 0.02}}},
				{"round(" + CurrentBurnRateRecord + sel + "}, 0.001)", "360m", []sample{{sel + `, palisade_window="5m"}`, 20}}},
				// 1200 errors in 360000 requests spend 3.33 budgets.
				{"round(" + PeriodBudgetRemainingRecord + sel + "}, 0.001)", "360m", []sample{{sel + `, palisade_window="30d"}`, -2.333}}},
				{"round(" + TotalRecord(time.Hour) + `{palisade_slo="web-min"})`, "360m", []sample{{`{palisade_service="web", palisade_slo="web-min", palisade_window="1h"}`, 60000}}},
				{"round(" + TotalRecord(day) + `{palisade_slo="web-min"})`, "360m", []sample{{`{palisade_service="web", palisade_slo="web-min", palisade_window="1d"}`, 360000}}},
			},
		},
		{
			// 1.3%: burn 13 over 5m and 1h, under 14.4: no page. The
			// slow ticket (6h and 3d above burn 1) fires.
			Name: "1.3% errors for the last hour", Interval: "5m", Input: traffic(13, false),
			Alerts: []alertTest{{"360m", AlertName, []expAlert{alert("web", "ticket", "0.2167%"), alert("web-min", "ticket", "0.2167%")}}},
		},
		{
			// The errors stopped 10 minutes ago: 1h still burns at 16.7,
			// but the 5m window is clean, so the page resolves.
			Name: "2% errors that stopped", Interval: "5m", Input: traffic(20, true),
			Alerts: []alertTest{{"370m", AlertName, []expAlert{alert("web", "ticket", "1%"), alert("web-min", "ticket", "1%")}}},
		},
	}}
	b, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	test := filepath.Join(dir, "rules_test.yaml")
	if err := os.WriteFile(test, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "test", "rules", "rules_test.yaml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s\n%s", err, out, b)
	}
}
