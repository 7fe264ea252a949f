package promrules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/slo/openslo"
)

// These tests hold Palisade's rules to Sloth's: for the same spec, the same
// objective, budget and period, the same SLI expression for every window,
// and in every alert the same window pairs and burn-rate factors. Names and
// labels differ on purpose (docs/slo-prometheus.md).

const day = 24 * time.Hour

// slothCase is one `sloth generate` run whose output the corpus holds.
type slothCase struct {
	name, input, output string
	period              time.Duration
	noAlerts            bool // --disable-alerts
	// workbookDiffers marks a run with custom alert windows whose budget
	// shares are not the SRE Workbook's: windows match, factors do not.
	workbookDiffers bool
	skip            string
}

// slothKey names an SLO the way Sloth's labels do.
type slothKey struct{ service, slo string }

// slothSLOs converts a Sloth spec file (prometheus/v1, the Kubernetes
// PrometheusServiceLevel, or OpenSLO v1alpha, which goes through
// openslo.Read) to Palisade SLOs. Palisade SLO names are unique across a
// configuration, so each is named service-slo (Sloth's sloth_id); keys maps
// it back. skipped says which SLOs have no Palisade form, and why.
func slothSLOs(t *testing.T, file string, data []byte, period time.Duration, noAlerts bool) (slos []*slo.SLO, keys map[string]slothKey, skipped []string) {
	t.Helper()
	keys = map[string]slothKey{}
	docs := decodeAll(t, data)
	for _, doc := range docs {
		m, _ := doc.(map[string]any)
		if m["apiVersion"] == openslo.APIVersionAlpha {
			res, err := openslo.Read(file, data)
			if err != nil {
				t.Fatalf("openslo.Read: %v", err)
			}
			for _, s := range res.SLOs {
				// Sloth names an OpenSLO SLO's objectives name-0, name-1...;
				// Palisade imports the first.
				k := slothKey{s.Service, s.Name + "-0"}
				s.Name = s.Service + "-" + k.slo
				s.Indicator.Prometheus.Server = "http://prometheus.invalid:9090"
				s.Window = slo.Window{Rolling: slo.Duration(period)}
				// Sloth writes no alerts for OpenSLO specs.
				s.Alerting = slo.Alerting{Disabled: true}
				keys[s.Name] = k
				slos = append(slos, s)
			}
			for _, w := range res.Warnings {
				if strings.Contains(w, "objectives") {
					skipped = append(skipped, w)
				}
			}
			return slos, keys, skipped
		}
		spec := m
		if m["kind"] == "PrometheusServiceLevel" {
			spec, _ = m["spec"].(map[string]any)
		}
		service, _ := spec["service"].(string)
		list, _ := spec["slos"].([]any)
		for _, item := range list {
			x, _ := item.(map[string]any)
			name, _ := x["name"].(string)
			obj, _ := toFloat(x["objective"])
			sli, _ := x["sli"].(map[string]any)
			events, _ := sli["events"].(map[string]any)
			if events == nil {
				kind := "no"
				for k := range sli {
					kind = k
				}
				skipped = append(skipped, fmt.Sprintf("%s/%s: a %s SLI has no Palisade form (Palisade needs bad or good, and total)", service, name, kind))
				continue
			}
			bad := str(events, "error_query", "errorQuery")
			total := str(events, "total_query", "totalQuery")
			al, _ := x["alerting"].(map[string]any)
			page, ticket := disabled(al, "page_alert", "pageAlert"), disabled(al, "ticket_alert", "ticketAlert")
			if page != ticket && !noAlerts {
				skipped = append(skipped, fmt.Sprintf("%s/%s: only one of page and ticket is disabled; Palisade turns an SLO's alerts on or off together", service, name))
				continue
			}
			id := service + "-" + name
			if len(id) > 63 { // longer than a Palisade name may be
				id = name
			}
			s := &slo.SLO{
				Name: id, Service: service, Objective: obj / 100,
				Window: slo.Window{Rolling: slo.Duration(period)}, Budgeting: slo.Occurrences,
				Indicator: slo.Indicator{Kind: slo.KindPrometheus, Prometheus: &slo.Prometheus{
					Server: "http://prometheus.invalid:9090", Bad: bad, Total: total}},
				// Sloth has no minimum event count.
				Alerting: slo.Alerting{MinEvents: 0, Disabled: noAlerts || page},
			}
			keys[s.Name] = slothKey{service, name}
			slos = append(slos, s)
		}
	}
	return slos, keys, skipped
}

func str(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k].(string); ok {
			return v
		}
	}
	return ""
}

func disabled(al map[string]any, keys ...string) bool {
	for _, k := range keys {
		if a, ok := al[k].(map[string]any); ok {
			d, _ := a["disable"].(bool)
			return d
		}
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case uint64:
		return float64(v), true
	case int64:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func decodeAll(t *testing.T, data []byte) []any {
	t.Helper()
	// The expected files are Go templates; the version is the only variable.
	data = bytes.ReplaceAll(data, []byte("{{ .version }}"), []byte("dev"))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

// dialect is how a generator names its series and labels.
type dialect struct{ ns, service, slo, window, severity string }

var (
	slothDialect    = dialect{"slo:", "sloth_service", "sloth_slo", "sloth_window", "sloth_severity"}
	palisadeDialect = dialect{"palisade_slo:", LabelService, LabelSLO, LabelWindow, LabelSeverity}
)

// numbers is what must agree between Sloth's rules and Palisade's for one
// SLO.
type numbers struct {
	sli                     map[string]string // window -> expression without whitespace
	objective, budget, days float64
	conds                   []cond
}

type cond struct {
	severity, short, long string
	factor, budget        float64
}

func (c cond) String() string {
	return fmt.Sprintf("%s %s&%s %v×%v", c.severity, c.long, c.short, c.factor, c.budget)
}

var spaceRE = regexp.MustCompile(`\s+`)

func squash(s string) string { return spaceRE.ReplaceAllString(s, "") }

// extract reads the numbers of every SLO in a rule file, plain or inside
// a PrometheusRule.
func extract(t *testing.T, data []byte, d dialect) map[slothKey]*numbers {
	t.Helper()
	out := map[slothKey]*numbers{}
	get := func(k slothKey) *numbers {
		if out[k] == nil {
			out[k] = &numbers{sli: map[string]string{}}
		}
		return out[k]
	}
	condRE := regexp.MustCompile(`max\(` + regexp.QuoteMeta(d.ns+"sli_error:ratio_rate") + `(\w+)\{([^}]*)\} > \(([-+.e0-9]+) \* ([-+.e0-9]+)\)\) without \(` + d.window + `\)`)
	labelRE := func(l string) *regexp.Regexp { return regexp.MustCompile(l + `="([^"]*)"`) }
	svcRE, sloRE := labelRE(d.service), labelRE(d.slo)
	for _, doc := range decodeAll(t, data) {
		m, _ := doc.(map[string]any)
		groups, _ := m["groups"].([]any)
		if spec, ok := m["spec"].(map[string]any); ok && groups == nil {
			groups, _ = spec["groups"].([]any)
		}
		for _, g := range groups {
			rules, _ := g.(map[string]any)["rules"].([]any)
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				expr, _ := rule["expr"].(string)
				labels, _ := rule["labels"].(map[string]any)
				if rec, ok := rule["record"].(string); ok {
					svc, _ := labels[d.service].(string)
					name, _ := labels[d.slo].(string)
					n := get(slothKey{svc, name})
					inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(expr), "vector("), ")")
					switch {
					case strings.HasPrefix(rec, d.ns+"sli_error:ratio_rate"):
						n.sli[strings.TrimPrefix(rec, d.ns+"sli_error:ratio_rate")] = squash(expr)
					case rec == d.ns+"objective:ratio":
						n.objective = parseNum(t, inner)
					case rec == d.ns+"error_budget:ratio":
						if rest, ok := strings.CutPrefix(inner, "1-"); ok {
							n.budget = 1 - parseNum(t, rest)
						} else {
							n.budget = parseNum(t, inner)
						}
					case rec == d.ns+"time_period:days":
						n.days = parseNum(t, inner)
					}
					continue
				}
				if _, ok := rule["alert"]; !ok {
					continue
				}
				sev, _ := labels[d.severity].(string)
				ms := condRE.FindAllStringSubmatch(expr, -1)
				if len(ms) == 0 || len(ms)%2 != 0 {
					t.Fatalf("alert expression not understood: %s", expr)
				}
				for i := 0; i < len(ms); i += 2 {
					short, long := ms[i], ms[i+1]
					k := slothKey{svcRE.FindStringSubmatch(short[2])[1], sloRE.FindStringSubmatch(short[2])[1]}
					if short[3] != long[3] || short[4] != long[4] {
						t.Fatalf("the two windows of a condition differ: %s", expr)
					}
					n := get(k)
					n.conds = append(n.conds, cond{sev, short[1], long[1], parseNum(t, short[3]), parseNum(t, short[4])})
				}
			}
		}
	}
	return out
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// compareWithSloth runs one case and returns how many SLOs it compared.
func compareWithSloth(t *testing.T, dir string, c slothCase) int {
	t.Helper()
	in, err := os.ReadFile(filepath.Join(dir, c.input))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dir, c.output))
	if err != nil {
		t.Fatal(err)
	}
	slos, keys, skipped := slothSLOs(t, c.input, in, c.period, c.noAlerts)
	for _, s := range skipped {
		t.Logf("not compared: %s", s)
	}
	f, err := Generate(slos)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var buf bytes.Buffer
	if err := f.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	want := extract(t, out, slothDialect)
	got := extract(t, buf.Bytes(), palisadeDialect)
	period := promDuration(c.period)
	compared := 0
	for _, s := range slos {
		k := keys[s.Name]
		w, g := want[k], got[slothKey{s.Service, s.Name}]
		if w == nil {
			t.Errorf("%v: Sloth has no rules for it", k)
			continue
		}
		compared++
		if len(w.sli) != len(slo.BurnWindows())+1 || w.objective == 0 || (!s.Alerting.Disabled && len(w.conds) != 4) {
			t.Fatalf("%v: Sloth's rules not understood: %d SLIs, objective %v, %d conditions", k, len(w.sli), w.objective, len(w.conds))
		}
		if !near(g.objective, w.objective) || !near(g.budget, w.budget) || !near(g.days, w.days) {
			t.Errorf("%v: objective %v budget %v days %v; Sloth %v %v %v", k, g.objective, g.budget, g.days, w.objective, w.budget, w.days)
		}
		for _, win := range slo.BurnWindows() {
			ws := promDuration(win)
			if g.sli[ws] != w.sli[ws] {
				t.Errorf("%v: SLI over %s:\n got  %s\n want %s", k, ws, g.sli[ws], w.sli[ws])
			}
		}
		// Sloth's default period SLI is the mean of the 5m ratios;
		// Palisade reads the queries over the period, which is the 5m
		// expression with the period as the range (Sloth's
		// --disable-optimized-rules form).
		if _, ok := w.sli[period]; !ok {
			t.Errorf("%v: Sloth has no %s SLI (period names differ)", k, period)
		}
		wantPeriod := strings.NewReplacer("[5m]", "["+period+"]", "[5m:", "["+period+":").Replace(w.sli["5m"])
		if g.sli[period] != wantPeriod {
			t.Errorf("%v: period SLI\n got  %s\n want %s", k, g.sli[period], wantPeriod)
		}
		if len(g.conds) != len(w.conds) {
			t.Errorf("%v: %d alert conditions %v; Sloth %d %v", k, len(g.conds), g.conds, len(w.conds), w.conds)
			continue
		}
		sortConds(g.conds)
		sortConds(w.conds)
		for i := range g.conds {
			gc, wc := g.conds[i], w.conds[i]
			if gc.severity != wc.severity || gc.short != wc.short || gc.long != wc.long || !near(gc.budget, wc.budget) {
				t.Errorf("%v: condition %v; Sloth %v", k, gc, wc)
			}
			if c.workbookDiffers {
				continue
			}
			if !near(gc.factor, wc.factor) {
				t.Errorf("%v: factor %v; Sloth %v", k, gc, wc)
			}
		}
		if c.workbookDiffers && len(g.conds) > 0 {
			t.Logf("%v: factors (Workbook budget shares) %v; Sloth's custom windows %v", k, g.conds, w.conds)
		}
	}
	return compared
}

func sortConds(cs []cond) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].severity != cs[j].severity {
			return cs[i].severity < cs[j].severity
		}
		return cs[i].short < cs[j].short
	})
}

// TestSlothTestdata runs the cases copied into testdata, so the comparison
// holds without the corpus.
func TestSlothTestdata(t *testing.T) {
	for _, c := range []slothCase{
		{name: "getting-started", input: "getting-started.yml", output: "getting-started.gen.yml", period: 30 * day},
		{name: "base-28d", input: "in-base.yaml", output: "out-base-28d.yaml.tpl", period: 28 * day},
	} {
		t.Run(c.name, func(t *testing.T) {
			if n := compareWithSloth(t, "testdata/sloth", c); n == 0 {
				t.Error("nothing compared")
			}
		})
	}
}

// slothCorpusCases lists every run in the corpus (CASES.md and
// examples/_gen) with the reason for each one Palisade cannot reproduce.
var slothCorpusCases = []slothCase{
	{name: "base", input: "test/integration/prometheus/testdata/in-base.yaml", output: "test/integration/prometheus/testdata/out-base.yaml.tpl", period: 30 * day},
	{name: "base-k8s", input: "test/integration/prometheus/testdata/in-base-k8s.yaml", output: "test/integration/prometheus/testdata/out-base-k8s.yaml.tpl", period: 30 * day},
	{name: "base-no-alerts", input: "test/integration/prometheus/testdata/in-base.yaml", output: "test/integration/prometheus/testdata/out-base-no-alerts.yaml.tpl", period: 30 * day, noAlerts: true},
	{name: "base-extra-labels", input: "test/integration/prometheus/testdata/in-base.yaml", output: "test/integration/prometheus/testdata/out-base-extra-labels.yaml.tpl", period: 30 * day},
	{name: "base-28d", input: "test/integration/prometheus/testdata/in-base.yaml", output: "test/integration/prometheus/testdata/out-base-28d.yaml.tpl", period: 28 * day},
	{name: "base-custom-windows-7d", input: "test/integration/prometheus/testdata/in-base.yaml", output: "test/integration/prometheus/testdata/out-base-custom-windows-7d.yaml.tpl", period: 7 * day, workbookDiffers: true},
	{name: "base-no-recordings", skip: "--disable-recordings: Palisade always writes the SLI recordings its alerts read"},
	{name: "multifile", input: "test/integration/prometheus/testdata/in-multifile.yaml", output: "test/integration/prometheus/testdata/out-multifile.yaml.tpl", period: 30 * day},
	{name: "multifile-k8s", input: "test/integration/prometheus/testdata/in-multifile-k8s.yaml", output: "test/integration/prometheus/testdata/out-multifile-k8s.yaml.tpl", period: 30 * day},
	{name: "openslo", input: "test/integration/prometheus/testdata/in-openslo.yaml", output: "test/integration/prometheus/testdata/out-openslo.yaml.tpl", period: 30 * day},
	{name: "slo-plugin-k8s", input: "test/integration/prometheus/testdata/in-slo-plugin-k8s.yaml", output: "test/integration/prometheus/testdata/out-slo-plugin-k8s.yaml.tpl", period: 30 * day},
	{name: "slo-plugin", skip: "needs Sloth's SLO plugin source, which the corpus does not hold"},
	{name: "sli-plugin", skip: "the SLI comes from a Sloth SLI plugin (code), which has no Palisade form"},
	{name: "invalid-version", skip: "a Sloth spec error case; nothing to generate"},
	{name: "examples/getting-started", input: "examples/getting-started.yml", output: "examples/_gen/getting-started.yml", period: 30 * day},
	{name: "examples/k8s-getting-started", input: "examples/k8s-getting-started.yml", output: "examples/_gen/k8s-getting-started.yml", period: 30 * day},
	{name: "examples/home-wifi", input: "examples/home-wifi.yml", output: "examples/_gen/home-wifi.yml", period: 30 * day},
	{name: "examples/k8s-home-wifi", input: "examples/k8s-home-wifi.yml", output: "examples/_gen/k8s-home-wifi.yml", period: 30 * day},
	{name: "examples/kubernetes-apiserver", input: "examples/kubernetes-apiserver.yml", output: "examples/_gen/kubernetes-apiserver.yml", period: 30 * day},
	{name: "examples/multifile", input: "examples/multifile.yml", output: "examples/_gen/multifile.yml", period: 30 * day},
	{name: "examples/k8s-multifile", input: "examples/k8s-multifile.yml", output: "examples/_gen/k8s-multifile.yml", period: 30 * day},
	{name: "examples/no-alerts", input: "examples/no-alerts.yml", output: "examples/_gen/no-alerts.yml", period: 30 * day},
	{name: "examples/openslo-getting-started", input: "examples/openslo-getting-started.yml", output: "examples/_gen/openslo-getting-started.yml", period: 30 * day},
	{name: "examples/openslo-kubernetes-apiserver", input: "examples/openslo-kubernetes-apiserver.yml", output: "examples/_gen/openslo-kubernetes-apiserver.yml", period: 30 * day},
	{name: "examples/slo-plugin-getting-started", input: "examples/slo-plugin-getting-started.yml", output: "examples/_gen/slo-plugin-getting-started.yml", period: 30 * day},
	{name: "examples/slo-plugin-k8s-getting-started", input: "examples/slo-plugin-k8s-getting-started.yml", output: "examples/_gen/slo-plugin-k8s-getting-started.yml", period: 30 * day},
	{name: "examples/contrib-slo-plugins", input: "examples/contrib-slo-plugins.yml", output: "examples/_gen/contrib-slo-plugins.yml", period: 30 * day},
	{name: "examples/victoria-metrics", input: "examples/victoria-metrics.yml", output: "examples/_gen/victoria-metrics.yml", period: 30 * day},
	{name: "examples/raw-home-wifi", skip: "a raw error-ratio SLI has no Palisade form (Palisade needs bad or good, and total)"},
	{name: "examples/plugin-getting-started", skip: "the SLI comes from a Sloth SLI plugin (code), which has no Palisade form"},
	{name: "examples/plugin-k8s-getting-started", skip: "the SLI comes from a Sloth SLI plugin (code), which has no Palisade form"},
	{name: "examples/contrib-denominator-corrected", skip: "the denominator_corrected_rules plugin rewrites the SLI with a correction factor Palisade does not have"},
}

func TestSlothCorpus(t *testing.T) {
	dir := testenv.Corpus(t, "sloth")
	compared := 0
	for _, c := range slothCorpusCases {
		t.Run(c.name, func(t *testing.T) {
			if c.skip != "" {
				t.Skip(c.skip)
			}
			compared += compareWithSloth(t, dir, c)
		})
	}
	// Guard against a corpus change that silently compares nothing.
	if compared < 30 {
		t.Errorf("compared %d SLOs, want at least 30", compared)
	}
	t.Logf("compared %d SLOs with Sloth's rules", compared)
}
