package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/vuln"
)

// The SLOs of the fixture, one in each status.
const (
	// sloLogin is pushed events, 99.9% over 28 days, burning fast in
	// the last hour: two page alerts fire, status warning.
	sloLogin = "checkout-login"
	// sloRemediation is checkout's findings fixed in time, 90% over 28
	// days; the overdue critical finding exhausts it.
	sloRemediation = "checkout-remediation"
	// sloMFA is a control check nobody pushed: no data.
	sloMFA = "db-core-mfa"
	// sloAuthz is pushed events over the calendar month, within budget.
	sloAuthz = "payments-api-authz"
)

// Changes of the fixture's gate decisions.
const (
	changeFail = "PR-101"       // checkout: adds a critical KEV and a high finding
	changeWarn = "PR-102"       // checkout: a security fix while an SLO is in warning
	changePass = "main@4f2a9c1" // svc-001: a security fix, its policy passes missing data
)

// seedSLO defines the fixture's SLOs, pushes their events (56 days of
// them, so that every point of a 28-day burn-down has a full window) and
// evaluates them as the evaluation job does, all at testNow.
func seedSLO(t testing.TB, db *store.DB, reg *catalog.Registry, vs *vuln.Service) *slo.Service {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	engine := slo.NewEngine(db, testClock, nil)
	engine.Register(slo.KindRemediation, slo.RemediationSource{Findings: vs})
	engine.Register(slo.KindControls, slo.ControlsSource{Store: db})
	ss := slo.NewService(db, engine, reg, testClock)
	rolling := func(d time.Duration) slo.Window { return slo.Window{Rolling: slo.Duration(d)} }
	slos := []*slo.SLO{
		{Name: sloLogin, Service: "checkout", Description: "Sign-ins that pass the credential-stuffing checks.", Objective: 0.999,
			Window: rolling(28 * day), Budgeting: slo.Occurrences, Indicator: slo.Indicator{Kind: slo.KindEvents}, Alerting: slo.Alerting{MinEvents: 10}},
		{Name: sloRemediation, Service: "checkout", Objective: 0.9, Window: rolling(28 * day), Budgeting: slo.Occurrences,
			Indicator: slo.Indicator{Kind: slo.KindRemediation, Severities: []string{"critical", "high"}}},
		{Name: sloMFA, Service: "db-core", Objective: 0.99, Window: rolling(7 * day), Budgeting: slo.Timeslices, Slice: slo.Duration(time.Hour),
			Indicator: slo.Indicator{Kind: slo.KindControls, Check: "mfa"}},
		{Name: sloAuthz, Service: "payments-api", Objective: 0.99, Window: slo.Window{Calendar: slo.CalendarMonth}, Budgeting: slo.Occurrences,
			Indicator: slo.Indicator{Kind: slo.KindEvents}},
	}
	if _, _, _, err := ss.Put(ctx, slos, false); err != nil {
		t.Fatalf("put SLOs: %v", err)
	}

	// checkout-login: 1000 sign-ins an hour with 0.02% refused, six hours
	// at 2% ten days ago, then every five minutes for the last six hours,
	// the last hour at 4%. Beyond a day, each event counts six hours: the
	// windows see the same rates and the push stays small.
	var login []slo.Event
	for k := 30; k <= 56*24; k += 6 {
		good := 5998.8
		if k == 240 {
			good = 5880
		}
		login = append(login, slo.Event{Time: testNow.Add(-time.Duration(k) * time.Hour), Good: good, Total: 6000})
	}
	for k := 7; k <= 24; k++ {
		login = append(login, slo.Event{Time: testNow.Add(-time.Duration(k) * time.Hour), Good: 999.8, Total: 1000})
	}
	for j := 1; j <= 72; j++ {
		good := 99.98
		if j <= 12 {
			good = 96
		}
		login = append(login, slo.Event{Time: testNow.Add(-time.Duration(j) * 5 * time.Minute), Good: good, Total: 100})
	}
	// payments-api-authz: 1000 checks every twelve hours, 0.2% refused.
	var authz []slo.Event
	for at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC); at.Before(testNow.Add(-time.Hour)); at = at.Add(12 * time.Hour) {
		authz = append(authz, slo.Event{Time: at, Good: 998, Total: 1000})
	}
	for name, events := range map[string][]slo.Event{sloLogin: login, sloAuthz: authz} {
		if _, err := ss.PushEvents(ctx, name, events); err != nil {
			t.Fatalf("push %s: %v", name, err)
		}
	}
	if _, err := engine.EvaluateAll(ctx); err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return ss
}

// cyclonedx returns a CycloneDX SBOM of PyPI or Go packages given as
// name, version pairs.
func cyclonedx(t testing.TB, ecosystem string, nameVersions ...string) []byte {
	t.Helper()
	type component struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Version string `json:"version"`
		Purl    string `json:"purl"`
	}
	bom := struct {
		BOMFormat   string      `json:"bomFormat"`
		SpecVersion string      `json:"specVersion"`
		Version     int         `json:"version"`
		Components  []component `json:"components"`
	}{"CycloneDX", "1.5", 1, []component{}}
	for i := 0; i+1 < len(nameVersions); i += 2 {
		bom.Components = append(bom.Components, component{"library", nameVersions[i], nameVersions[i+1],
			"pkg:" + ecosystem + "/" + nameVersions[i] + "@" + nameVersions[i+1]})
	}
	b, err := json.Marshal(bom)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// advisoryRecord is an OSV record of a, affecting one package below fixed.
func advisoryRecord(t testing.TB, a vuln.Advisory, ecosystem, name, fixed string) vuln.AdvisoryRecord {
	t.Helper()
	a.Modified = testNow.Add(-30 * day)
	a.Packages = []vuln.Package{{Ecosystem: ecosystem, Name: name}}
	type event map[string]string
	rec := map[string]any{"id": a.ID, "modified": a.Modified.Format(time.RFC3339), "aliases": a.Aliases,
		"affected": []any{map[string]any{"package": map[string]string{"ecosystem": ecosystem, "name": name},
			"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []event{{"introduced": "0"}, {"fixed": fixed}}}}}}}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return vuln.AdvisoryRecord{Advisory: a, Record: b}
}

var (
	advJinja = vuln.Advisory{ID: "GHSA-jinj-0005-eeee", Aliases: []string{"CVE-2026-0005"}, Summary: "Sandbox escape in templates",
		Severity: "critical", CVSS: ptr(9.1)}
	advYAML = vuln.Advisory{ID: "GHSA-yaml-0006-ffff", Aliases: []string{"CVE-2026-0006"}, Summary: "Code execution in load",
		Severity: "high", CVSS: ptr(7.8)}
)

// upsertAdvisories stores OSV records so that a gate's scan matches them.
func upsertAdvisories(t testing.TB, db *store.DB, recs ...vuln.AdvisoryRecord) {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	if _, err := db.UpsertAdvisories(ctx, recs); err != nil {
		t.Fatal(err)
	}
}

// gateAt returns the change gate with its clock at at.
func gateAt(db *store.DB, reg *catalog.Registry, vs *vuln.Service, ss *slo.Service, at time.Time) *gate.Service {
	return gate.NewService(db, vs, ss, reg, func() time.Time { return at })
}

// seedGate records the fixture's three gate decisions, an hour apart
// (fail, warn, pass), as CI would ask for them, and returns the gate at
// testNow with the decisions' ids by change.
func seedGate(t testing.TB, db *store.DB, reg *catalog.Registry, vs *vuln.Service, ss *slo.Service) (*gate.Service, map[string]string) {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("ci"))
	upsertAdvisories(t, db, advisoryRecord(t, advJinja, "PyPI", "jinja2", "3.1.5"), advisoryRecord(t, advYAML, "PyPI", "pyyaml", "5.4"))
	if err := db.PutGatePolicies(ctx, json.RawMessage(`[{"service":"svc-001","onMissingData":"pass"}]`)); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, req := range []gate.Request{
		{Service: "checkout", Change: changeFail, Files: []vuln.File{{Name: "bom.json", Data: cyclonedx(t, "pypi", "requests", "2.31.0", "urllib3", "1.26.0", "jinja2", "3.1.0", "pyyaml", "5.3")}}},
		{Service: "checkout", Change: changeWarn, Files: []vuln.File{{Name: "bom.json", Data: cyclonedx(t, "pypi", "requests", "2.31.0", "urllib3", "1.26.0")}}},
		{Service: "svc-001", Change: changePass, Files: []vuln.File{{Name: "bom.json", Data: cyclonedx(t, "golang", "golang.org/x/net", "v0.8.0")}}},
	} {
		rec, err := gateAt(db, reg, vs, ss, testNow.Add(-time.Duration(3-i)*time.Hour)).Decide(ctx, req)
		if err != nil {
			t.Fatalf("decide %s: %v", req.Change, err)
		}
		ids[req.Change] = rec.ID
	}
	return gateAt(db, reg, vs, ss, testNow), ids
}

// before reports whether a occurs in body before b, both present.
func before(body, a, b string) bool {
	i, j := strings.Index(body, a), strings.Index(body, b)
	return i >= 0 && j >= 0 && i < j
}

func TestSLOFixture(t *testing.T) {
	app := newTestApp(t)
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	want := map[string]string{sloLogin: slo.StatusWarning, sloRemediation: slo.StatusExhausted, sloMFA: slo.StatusNoData, sloAuthz: slo.StatusOK}
	views, err := app.slo.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.Status.Status != want[v.SLO.Name] {
			t.Errorf("%s: status %s (%s), want %s", v.SLO.Name, v.Status.Status, v.Status.Reason, want[v.SLO.Name])
		}
	}
	for change, outcome := range map[string]string{changeFail: gate.Fail, changeWarn: gate.Warn, changePass: gate.Pass} {
		rec, err := app.gate.Get(ctx, app.decisions[change])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Outcome != outcome {
			t.Errorf("%s: outcome %s, want %s:\n%s", change, rec.Outcome, outcome, rec.Decision.Text())
		}
	}
}

func TestSLOList(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/slos")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Security SLOs</h1>", `<a href="/slos" aria-current="page">Security SLOs</a>`, `href="/gate"`,
		"SLOs of all services: 4",
		`<a class="sevcount slo-count slo-count-exhausted" href="/slos?status=exhausted"><span class="sevcount-n">1</span> exhausted</a>`,
		`<a class="sevcount slo-count slo-count-warning" href="/slos?status=warning"><span class="sevcount-n">1</span> warning</a>`,
		`<a class="sevcount slo-count slo-count-no_data" href="/slos?status=no_data"><span class="sevcount-n">1</span> no data</a>`,
		`<a class="sevcount slo-count slo-count-ok" href="/slos?status=ok"><span class="sevcount-n">1</span> ok</a>`,
		// checkout-login in full.
		`<td class="nowrap"><a href="/slos/checkout-login">checkout-login</a></td>`, `<td><a href="/services/checkout">checkout</a></td>`,
		`<span class="kind" title="good and total events pushed through the API">events</span>`, `<td class="num">99.9%</td>`, `<td class="window">28 days<span class="metric-def">rolling</span></td>`, `<td class="num">99.955%</td>`,
		`<rect class="budget-fill budget-ok" width="55.3" height="8" rx="2"/>`, `<span class="budget-text budget-text-ok">55.3%</span>`,
		`<span class="slo-status slo-status-warning">warning</span>`,
		// The others: overspent, no data with its reason, a calendar window.
		`<rect class="budget-fill budget-spent" width="0.0" height="8" rx="2"/>`, `<span class="budget-text budget-text-spent">-900%</span>`,
		`<td class="num">0%</td>`, `<span class="slo-status slo-status-exhausted">exhausted</span>`,
		`<span class="slo-status slo-status-no_data">no data</span><span class="reason">no &#34;mfa&#34; check results for service db-core yet`,
		`<td class="window">month<span class="metric-def">calendar, UTC</span></td>`, `<span class="budget-text budget-text-ok">80%</span>`,
		`<span class="slo-status slo-status-ok">ok</span>`, "findings decided by their remediation deadline (critical, high)")
	// Worst first.
	order := []string{sloRemediation, sloLogin, sloMFA, sloAuthz}
	for i := 1; i < len(order); i++ {
		if !before(r.body, `href="/slos/`+order[i-1]+`"`, `href="/slos/`+order[i]+`"`) {
			t.Errorf("%s is not listed before %s", order[i-1], order[i])
		}
	}
	// The no-data SLO has no budget bar, only a dash.
	row := r.body[strings.Index(r.body, `href="/slos/`+sloMFA+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "budget-bar") || !strings.Contains(row, `<span class="none" title="No data">—</span>`) {
		t.Errorf("no-data row draws a budget:\n%s", row)
	}

	r = c.get("/slos?status=no_data")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `href="/slos/db-core-mfa"`, `<option value="no_data" selected>no data</option>`, `<a href="/slos">Clear</a>`)
	if strings.Contains(r.body, `href="/slos/checkout-login"`) {
		t.Error("status filter lists a warning SLO")
	}

	r = c.get("/slos?service=checkout")
	wantContains(t, r, "SLOs of service checkout: 2", `href="/slos/checkout-login"`, `href="/slos/checkout-remediation"`,
		`<option value="checkout" selected>checkout</option>`, `href="/slos?service=checkout&amp;status=ok"><span class="sevcount-n">0</span> ok</a>`)
	if strings.Contains(r.body, `href="/slos/db-core-mfa"`) || strings.Contains(r.body, `href="/slos/payments-api-authz"`) {
		t.Error("service filter lists another service's SLOs")
	}
	wantContains(t, c.get("/slos?service=svc-100"), "No SLO matches this filter.", "SLOs of service svc-100: 0", `<option value="svc-100" selected>`)
	r = c.get("/slos?status=burning")
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "status must be one of exhausted, warning, no_data, ok")
}

var (
	factorLineRE = regexp.MustCompile(`<line class="factor factor-(page|ticket)"`)
	barRE        = regexp.MustCompile(`<rect class="bar burn-(ok|ticket|page)"`)
)

func countMatches(re *regexp.Regexp, body, group string) int {
	n := 0
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		if m[1] == group {
			n++
		}
	}
	return n
}

func TestSLOPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	now, err := app.slo.Get(ctx, sloLogin)
	if err != nil {
		t.Fatal(err)
	}

	r := c.get("/slos/" + sloLogin)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h1>checkout-login <span class="h1-sub">on checkout</span></h1>`, "Sign-ins that pass the credential-stuffing checks.",
		`<a href="/slos" aria-current="page">Security SLOs</a>`, `<a href="/slos?service=checkout">checkout</a>`,
		`<span class="slo-status slo-status-warning">warning</span> <span class="badge alert-page">2 page alerts firing</span></p>`,
		"<dt>Objective</dt><dd>99.9% good</dd>", "<dt>Window</dt><dd>28 days, rolling</dd>", "<dt>Budgeting</dt><dd>occurrences</dd>",
		`<span class="kind">events</span>: good and total events pushed through the API`,
		"once the long window counts at least 10 events",
		"<dt>Evaluated</dt><dd>2026-11-20 12:00 UTC</dd>", `<strong class="big">99.955%</strong> <span class="muted">(672898.8 good of 673200 events)</span>`,
		`<span class="budget-text budget-text-ok">55.3%</span>`,
		"<dt>Exhausted in</dt><dd>"+humanDuration(time.Duration(*now.Status.TimeToExhaustion))+" <span",
		// The firing alerts and every condition with burn against factor.
		"over 1h and 5m: burning 40× over 1h and 40× over 5m, above 13.44×: at this rate 2% of the budget goes in 1h.",
		"over 6h and 30m: burning 6.83× over 6h and 40× over 30m, above 5.6×",
		`<td class="num">13.44×</td>`, `<td class="num">5.6×</td>`, `<td class="num">2.8×</td>`, `<td class="num">0.93×</td>`,
		`<td class="num over">40×</td>`, `<td class="num">2.1×</td>`, `<td class="num">0.85×</td>`,
		// The burn-rate table and chart.
		`<tr><td>5m</td><td class="num burn-text-page">40×</td>`, `<tr><td>2h</td><td class="num burn-text-ticket">20.1×</td>`,
		`<tr><td>3d</td><td class="num burn-text-ok">0.85×</td>`,
		`aria-labelledby="burn-checkout-login-title"`, `<title id="burn-checkout-login-title">Burn rates of checkout-login per window: 5m 40×, 30m 40×, 1h 40×, 2h 20.1×, 6h 6.83×, 1d 2.1×, 3d 0.85×.`,
		">page 1h/5m: 13.44×</text>", ">page 6h/30m: 5.6×</text>", ">ticket 1d/2h: 2.8×</text>", ">ticket 3d/6h: 0.93×</text>",
		// The burn-down: budget and SLI over the window, and the values.
		`aria-labelledby="budget-checkout-login-title"`, `<polyline class="series" points="`, `<line class="ref ref-zero"`, `<line class="ref ref-warn"`,
		">0%: exhausted</text>", `aria-labelledby="sli-checkout-login-title"`, `<line class="ref ref-objective"`, ">objective 99.9%</text>",
		"<summary>The values (60 points)</summary>", "The SLO evaluated at 60 instants from 2026-10-23 12:00 UTC to now",
		`<tr><td class="nowrap">2026-10-23 12:00 UTC</td><td class="num">99.98%</td><td class="num">80%</td>`,
		`<tr><td class="nowrap">2026-11-20 12:00 UTC</td><td class="num">99.955%</td><td class="num">55.3%</td>`)
	if n := strings.Count(r.body, `<tr class="row-firing">`); n != 2 {
		t.Errorf("%d firing conditions, want 2", n)
	}
	for sev, want := range map[string]int{"page": 2, "ticket": 2} {
		if n := countMatches(factorLineRE, r.body, sev); n != want {
			t.Errorf("%d %s factor lines, want %d", n, sev, want)
		}
	}
	// 5m, 30m, 1h and 6h burn above a page factor of a condition that
	// reads them; 2h above its ticket factor; 1d and 3d under theirs.
	for level, want := range map[string]int{"page": 4, "ticket": 1, "ok": 2} {
		if n := countMatches(barRE, r.body, level); n != want {
			t.Errorf("%d %s bars, want %d", n, level, want)
		}
	}
	// The incident ten days ago shows as a step down in the burn-down.
	if !strings.Contains(r.body, `Error budget left of checkout-login from 2026-10-23 to 2026-11-20: 80% on 2026-10-23 12:00, 55.3% on 2026-11-20 12:00; lowest 55.3%, highest 80%.`) {
		t.Errorf("budget chart summary is wrong:\n%s", r.body[strings.Index(r.body, `id="budget-checkout-login-title"`):][:300])
	}

	r = c.get("/slos/" + sloRemediation)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<span class="slo-status slo-status-exhausted">exhausted</span>`, `<span class="budget-text budget-text-spent">-900%</span>`,
		"already exhausted", "(0 good of 1 event)", "<dt>Severities</dt><dd>", `<span class="sev sev-critical">critical</span>`,
		"No alert fires.", `aria-labelledby="budget-checkout-remediation-title"`)

	r = c.get("/slos/" + sloMFA)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<span class="slo-status slo-status-no_data">no data</span>`,
		`<p class="notice" role="status">no &#34;mfa&#34; check results for service db-core yet (push them to POST /api/v1/services/db-core/checks)</p>`,
		"<dt>Budgeting</dt><dd>timeslices: timeslices of 1h</dd>", "<dt>Control check</dt><dd><code>mfa</code></dd>",
		"Nothing was measured in the window yet, so there is no burn-down to draw.", `<td class="num">—</td>`)
	if n := strings.Count(r.body, `<text class="t-mid bar-none"`); n != len(slo.BurnWindows()) {
		t.Errorf("no-data SLO: %d windows drawn as no data, want %d", n, len(slo.BurnWindows()))
	}
	if strings.Contains(r.body, `aria-labelledby="budget-`) {
		t.Error("no-data SLO draws a burn-down")
	}

	r = c.get("/slos/" + sloAuthz)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<span class="slo-status slo-status-ok">ok</span>`, "<dt>Window</dt><dd>calendar month (UTC)</dd>",
		`<span class="budget-text budget-text-ok">80%</span>`, "not burning", "2026-11-01 00:00 UTC")

	for path, msg := range map[string]string{"/slos/nope": `SLO &#34;nope&#34; not found`, "/slos/NOT%20VALID": "there is no SLO named"} {
		r := c.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r, msg)
	}
}

func TestGatePages(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	fail, warn, pass := app.decisions[changeFail], app.decisions[changeWarn], app.decisions[changePass]

	r := c.get("/gate")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Gate decisions</h1>", `<li class="sub"><a href="/gate" aria-current="page">Gate decisions</a></li>`,
		`<td class="nowrap"><a href="/gate/`+fail+`">2026-11-20 09:00 UTC</a></td>`, `<code class="wrap">PR-101</code>`,
		`<span class="outcome outcome-fail">fail</span>`, `<span class="outcome outcome-warn">warn</span>`, `<span class="outcome outcome-pass">pass</span>`,
		`<td class="num">2</td>`, "<td><code>system:ci</code></td>", `<a href="/services/svc-001">svc-001</a>`)
	if !before(r.body, pass, warn) || !before(r.body, warn, fail) {
		t.Error("decisions are not newest first")
	}
	r = c.get("/gate?service=checkout")
	wantContains(t, r, "Decisions about checkout, newest first", `href="/gate/`+fail+`"`, `href="/gate/`+warn+`"`, `<a href="/gate">Clear</a>`)
	if strings.Contains(r.body, pass) {
		t.Error("service filter lists another service's decision")
	}
	wantContains(t, c.get("/gate?service=db-core"), "No decision about db-core.")
	wantStatus(t, c.get("/gate?after=x"), http.StatusBadRequest)

	r = c.get("/gate/" + fail)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h1><span class="outcome outcome-fail">fail</span> checkout <span class="h1-sub">change PR-101</span></h1>`,
		`<a href="/gate?service=checkout">checkout</a>`, `<span class="badge tier tier-1">Tier 1</span>`,
		"<dt>Decided</dt><dd>2026-11-20 09:00 UTC, asked by <code>system:ci</code></dd>", "<dt>Policy</dt><dd><code>default</code></dd>",
		"<dt>Findings</dt><dd>2 introduced, 2 removed</dd>", `<span class="none">not checked</span>`,
		// Reasons, grouped worst first.
		"2 fail · 2 warn · 2 pass",
		`<li><code class="rule">critical-finding</code> adds critical CVE-2026-0005 (GHSA-jinj-0005-eeee) in pkg:pypi/jinja2@3.1.0; fixed in 3.1.5</li>`,
		`<li><code class="rule">kev-finding</code> adds no open KEV-listed finding</li>`,
		`<code class="rule">budget-exhausted</code> security SLO checkout-remediation has exhausted its error budget (-900.0% left) and the change adds 2 open findings (1 critical, 1 high)`,
		`<code class="rule">high-finding</code> adds high CVE-2026-0006 (GHSA-yaml-0006-ffff) in pkg:pypi/pyyaml@5.3; fixed in 5.4`,
		`<code class="rule">budget-warning</code> security SLO checkout-login is burning its error budget fast`,
		`<ul class="reasons reasons-fail">`, `<ul class="reasons reasons-warn">`, `<ul class="reasons reasons-pass">`,
		// The findings tables.
		"Introduced findings (2 open)", `<a href="https://osv.dev/vulnerability/GHSA-jinj-0005-eeee" rel="noopener noreferrer" class="external">GHSA-jinj-0005-eeee</a>`,
		`<span class="alias">CVE-2026-0005</span>`, `<code class="wrap">pkg:pypi/jinja2@3.1.0</code>`, "<code>3.1.5</code>", `<td class="num">9.1</td>`,
		"Removed findings (2)", `<code class="wrap">pkg:pypi/requests@2.0.0</code>`, `href="https://osv.dev/vulnerability/GHSA-rce0-0001-aaaa"`,
		`<td class="sevcell"><span class="sev sev-critical">critical</span> <span class="badge kev"`, `<td class="num">92.0%</td>`,
		// The SLO budgets, and the report.
		`<td><a href="/slos/checkout-login">checkout-login</a></td>`, `<td><a href="/slos/checkout-remediation">checkout-remediation</a></td>`,
		`<span class="budget-text budget-text-spent">-900%</span>`, `<span class="budget-text budget-text-ok">55.3%</span>`,
		`<pre class="markdown" data-copy>&lt;!-- palisade-gate:checkout --&gt;`, "## FAIL: Palisade change gate for checkout, change PR-101")
	if !before(r.body, "reasons-fail", "reasons-warn") || !before(r.body, "reasons-warn", "reasons-pass") {
		t.Error("reason groups are not fail, warn, pass")
	}
	if strings.Contains(r.body, "Not counted") {
		t.Error("a decision without suppressed findings shows a not-counted table")
	}

	r = c.get("/gate/" + warn)
	wantContains(t, r, `<span class="outcome outcome-warn">warn</span> checkout`, "The change adds no open finding.", "Removed findings (2)",
		"<code class=\"rule\">security-fix</code> the change removes 2 findings and adds no open finding")

	r = c.get("/gate/" + pass)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<span class="outcome outcome-pass">pass</span> svc-001`, "<dt>Policy</dt><dd><code>gates:svc-001</code></dd>",
		`<div class="alert" role="alert"><p>Data the policy needs was missing:</p><ul><li>current inventory of svc-001`,
		"(onMissingData: pass)", "svc-001 had no security SLO.", `<code class="wrap">pkg:golang/golang.org/x/net@v0.1.0</code>`)
	if strings.Contains(r.body, "reasons-fail") {
		t.Error("a pass shows fail reasons")
	}

	for _, p := range []string{"/gate/G0000000000000000", "/gate/nope", "/gate/" + strings.ToUpper(fail)} {
		wantStatus(t, c.get(p), http.StatusNotFound)
	}
}

// TestGateSuppressedAndPaging decides more changes: one that adds a
// finding already decided not affected, then enough for two pages.
func TestGateSuppressedAndPaging(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("ci"))
	if _, err := app.vuln.Triage(ctx, []string{idCheckoutDoS}, vuln.Triage{State: vuln.StateNotAffected, Justification: "code_not_reachable", Reason: "header parsing is behind the proxy"}); err != nil {
		t.Fatal(err)
	}
	upsertAdvisories(t, app.db, advisoryRecord(t, *advDoS, "PyPI", "requests", "2.31.0"))
	rec, err := app.gate.Decide(ctx, gate.Request{Service: "checkout", Change: "PR-103", Files: []vuln.File{{Name: "bom.json", Data: cyclonedx(t, "pypi", "requests", "2.30.0")}}})
	if err != nil {
		t.Fatal(err)
	}
	r := c.get("/gate/" + rec.ID)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Introduced findings (0 open, 1 not counted)", "<h3>Not counted</h3>", `<code class="wrap">pkg:pypi/requests@2.30.0</code>`,
		`<span class="state state-not_affected">not affected</span>`, `<code class="rule">not-counted</code>`)

	for i := range pageSize + 2 {
		if _, err := app.gate.Decide(ctx, gate.Request{Service: "svc-002", Change: fmt.Sprintf("build-%d", i),
			Files: []vuln.File{{Name: "bom.json", Data: cyclonedx(t, "golang", "golang.org/x/net", "v0.1.0")}}}); err != nil {
			t.Fatal(err)
		}
	}
	r = c.get("/gate?service=svc-002")
	if n := strings.Count(r.body, `<a href="/gate/G`); n != pageSize {
		t.Fatalf("first page lists %d decisions, want %d", n, pageSize)
	}
	next := regexp.MustCompile(`<a href="(/gate\?after=G[0-9a-f]{16}&amp;service=svc-002)" rel="next">`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatalf("no next link:\n%s", r.body)
	}
	r = c.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<a href="/gate?service=svc-002">« First page</a>`, "continued")
	if n := strings.Count(r.body, `<a href="/gate/G`); n != 2 {
		t.Errorf("second page lists %d decisions, want 2", n)
	}
}

func TestServicePageSLOs(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/services/checkout")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h2 id="security-slos">Security SLOs</h2>`, `<td><a href="/slos/checkout-login">checkout-login</a></td>`,
		`<td><a href="/slos/checkout-remediation">checkout-remediation</a></td>`, `<span class="budget-text budget-text-ok">55.3%</span>`,
		`<span class="slo-status slo-status-exhausted">exhausted</span>`, `href="/slos?service=checkout"`,
		"<h3>Recent gate decisions</h3>", `href="/gate/`+app.decisions[changeFail]+`"`, `href="/gate/`+app.decisions[changeWarn]+`"`,
		`href="/gate?service=checkout"`)
	if !before(r.body, "/slos/checkout-remediation", "/slos/checkout-login") {
		t.Error("the exhausted SLO is not listed first")
	}
	r = c.get("/services/svc-100")
	wantContains(t, r, "svc-100 has no security SLO.", "No change to svc-100 has been through the gate yet.")
	r = c.get("/services/db-core")
	wantContains(t, r, `<span class="reason">no &#34;mfa&#34; check results`)

	over := c.get("/")
	wantStatus(t, over, http.StatusOK)
	wantContains(t, over, `<a href="/slos?status=exhausted"><span class="figure-n figure-bad">1</span> exhausted</a>`,
		`<a href="/slos?status=warning"><span class="figure-n figure-bad">1</span> warning</a>`,
		`<a href="/slos?status=no_data"><span class="figure-n">1</span> no data</a>`, `<a href="/slos?status=ok"><span class="figure-n">1</span> ok</a>`,
		`<a href="/gate">Last 3 gate decisions</a>: 1 fail, 1 warn, 1 pass; the latest at 2026-11-20 11:00 UTC.`,
		`<li class="sub"><a href="/gate">Gate decisions</a></li>`)
	card := over.body[strings.Index(over.body, `<a href="/slos">Security SLOs</a></h3>`):]
	if card = card[:strings.Index(card, `</li>
    <li class="card">`)]; strings.Contains(card, "Not built yet") {
		t.Error("the SLO card still says it is not built")
	}
	if strings.Contains(over.body[:strings.Index(over.body, "<main")], `Security SLOs <span class="soon">`) {
		t.Error("the navigation still marks Security SLOs as not built")
	}
}

// TestSLOPagesAsViewerAndScoped checks that the SLO pages are for reading
// by every role, with no form to send, and that a token scoped to a team
// sees its services' SLOs and decisions only.
func TestSLOPagesAsViewerAndScoped(t *testing.T) {
	app := newTestApp(t)
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	for _, p := range []string{"/slos", "/slos/" + sloLogin, "/gate", "/gate/" + app.decisions[changeFail]} {
		r := viewer.get(p)
		wantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.body, `method="post"`); n != 1 {
			t.Errorf("%s: %d post forms, want only sign-out's", p, n)
		}
	}

	admin := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	_, secret, err := app.ids.CreateToken(admin, identity.CreateRequest{Name: "payments-reader", Role: palisade.RoleViewer, Teams: []string{"payments"}})
	if err != nil {
		t.Fatal(err)
	}
	scoped := app.client(t)
	if r := scoped.signIn(secret, "/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("scoped sign-in = %d", r.StatusCode)
	}
	r := scoped.get("/slos")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "SLOs of all services: 3", `href="/slos/checkout-login"`, `href="/slos/payments-api-authz"`)
	if strings.Contains(r.body, sloMFA) {
		t.Error("a payments token sees db-core's SLO")
	}
	wantStatus(t, scoped.get("/slos/"+sloMFA), http.StatusNotFound)
	wantStatus(t, scoped.get("/slos/"+sloLogin), http.StatusOK)
	r = scoped.get("/gate")
	wantContains(t, r, app.decisions[changeFail], app.decisions[changeWarn])
	if strings.Contains(r.body, app.decisions[changePass]) {
		t.Error("a payments token sees a fleet service's gate decision")
	}
	wantStatus(t, scoped.get("/gate/"+app.decisions[changePass]), http.StatusNotFound)
	wantStatus(t, scoped.get("/gate/"+app.decisions[changeFail]), http.StatusOK)
}

// TestWithoutSLOCapability serves the UI without Config.SLO and Gate, as a
// server not wired for them yet: their pages fail cleanly and the others
// leave the SLO parts out.
func TestWithoutSLOCapability(t *testing.T) {
	app := newTestApp(t)
	reg := catalog.NewRegistry(app.db)
	ui := New(Config{Catalog: reg, Identity: app.ids, Vuln: app.vuln, Now: testClock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	bare := *app
	bare.srv = httptest.NewServer(testHandler(ui))
	t.Cleanup(bare.srv.Close)
	c := bare.client(t)
	c.mustSignIn()
	r := c.get("/services/checkout")
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "security-slos") {
		t.Error("service page has an SLO section without the capability")
	}
	wantStatus(t, c.get("/"), http.StatusOK)
	wantStatus(t, c.get("/slos"), http.StatusInternalServerError)
	wantStatus(t, c.get("/gate"), http.StatusInternalServerError)
}

// TestSLOPagesHaveNoInlineScriptOrStyle runs the CSP scan over the SLO
// and gate pages in each of their states.
func TestSLOPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	pages := map[string]*response{}
	for _, p := range []string{"/slos", "/slos?status=no_data", "/slos?service=svc-100", "/slos?status=x",
		"/slos/" + sloLogin, "/slos/" + sloRemediation, "/slos/" + sloMFA, "/slos/" + sloAuthz, "/slos/nope",
		"/gate", "/gate?service=db-core", "/gate?after=x", "/gate/" + app.decisions[changeFail], "/gate/" + app.decisions[changeWarn],
		"/gate/" + app.decisions[changePass], "/gate/G0000000000000000", "/services/checkout", "/services/svc-100", "/"} {
		pages[p] = c.get(p)
	}
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	pages["viewer slo"] = viewer.get("/slos/" + sloLogin)
	pages["viewer decision"] = viewer.get("/gate/" + app.decisions[changeFail])
	for name, r := range pages {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
		}
		for _, problem := range checkHTML(r.body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{pct(0.999, 3), "99.9%"}, {pct(0.9, 3), "90%"}, {pct(-9, 1), "-900%"}, {pct(0.5526, 1), "55.3%"}, {pct(-0.00001, 1), "0%"},
		{sliText(0.999996), "99.999%"}, {sliText(1), "100%"}, {sliText(0.99955), "99.955%"},
		{times(40), "40×"}, {times(13.44), "13.4×"}, {times(5.6), "5.6×"}, {times(0.9333), "0.93×"}, {times(20.08), "20.1×"}, {times(250.4), "250×"},
		{factorText(13.44), "13.44×"}, {factorText(14.4), "14.4×"}, {factorText(0.9333), "0.93×"}, {factorText(1), "1×"},
		{windowText(slo.Window{Rolling: slo.Duration(28 * day)}), "28 days, rolling"}, {windowText(slo.Window{Rolling: slo.Duration(36 * time.Hour)}), "36h, rolling"},
		{windowText(slo.Window{Calendar: slo.CalendarWeek}), "calendar week (UTC, from Monday)"},
		{humanDuration(9*time.Hour + 17*time.Minute + 20*time.Second), "9 hours 17 minutes"}, {humanDuration(50 * time.Hour), "2 days 2 hours"},
		{humanDuration(24 * time.Hour), "1 day"}, {humanDuration(3 * time.Minute), "3 minutes"}, {humanDuration(time.Hour), "1 hour"},
		{count(672898.8), "672898.8"}, {count(1), "1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestChartScales(t *testing.T) {
	for raw, want := range map[float64]float64{0.7: 1, 1.3: 2, 2.2: 2.5, 4: 5, 7: 10, 0.0004: 0.0005, 0: 1, 3.96: 5} {
		if got := niceStep(raw); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
	for step, want := range map[float64]int{5: 0, 2.5: 1, 0.5: 1, 0.05: 2, 0.25: 2, 25: 0} {
		if got := stepPlaces(step); got != want {
			t.Errorf("stepPlaces(%v) = %d, want %d", step, got, want)
		}
	}
	// Labels too close are pushed apart, in order, and kept inside.
	ys := []float64{100, 101, 50, 199}
	spread(ys, 13, 0, 200)
	if ys[2] != 50 || ys[0] != 100 || ys[1] != 113 || ys[3] != 199 {
		t.Errorf("spread = %v", ys)
	}
	ys = []float64{195, 196, 197}
	spread(ys, 13, 0, 200)
	if ys[2] != 200 || ys[1] != 187 || ys[0] != 174 {
		t.Errorf("spread at the bottom = %v", ys)
	}
	// A calm SLO: the scale reaches the highest factor, and the bars are
	// low under it.
	st := slo.Status{BurnRates: map[string]float64{"5m": 0.1, "1h": 0.2}}
	c := burnChart("calm", st, slo.AlertWindows(30*day))
	if len(c.Rects) != 2 || len(c.Rules) != 5 {
		t.Errorf("calm chart: %d bars, %d rules", len(c.Rects), len(c.Rules))
	}
	for _, r := range c.Rects {
		if r.Class != "bar burn-ok" {
			t.Errorf("calm bar class %q", r.Class)
		}
	}
	if !strings.Contains(c.Title, "page 1h/5m: 14.4×") {
		t.Errorf("calm chart title: %s", c.Title)
	}
	// A gap in the history breaks the line; a lone point is a dot.
	v := func(f float64) *float64 { return &f }
	hist := []slo.Status{{At: testNow.Add(-4 * time.Hour), ErrorBudgetRemaining: v(1)}, {At: testNow.Add(-3 * time.Hour), ErrorBudgetRemaining: v(0.9)},
		{At: testNow.Add(-2 * time.Hour)}, {At: testNow.Add(-time.Hour), ErrorBudgetRemaining: v(-0.4)}, {At: testNow}}
	b := budgetChart("gappy", hist)
	if len(b.Lines) != 1 || len(b.Dots) != 1 {
		t.Errorf("gappy history: %d lines, %d dots", len(b.Lines), len(b.Dots))
	}
	if got := b.Texts[0].Text; got != "-50%" {
		t.Errorf("gappy history's lowest tick = %q, want -50%%", got)
	}
	if budgetChart("empty", []slo.Status{{At: testNow}}) != nil {
		t.Error("a history without data has a chart")
	}
}

// TestBurnChartCut checks that a window burning far faster than any factor
// is cut at the top of the scale instead of flattening the factor lines.
func TestBurnChartCut(t *testing.T) {
	conds := slo.AlertWindows(28 * day)
	c := burnChart("hot", slo.Status{BurnRates: map[string]float64{"5m": 400, "1h": 12}}, conds)
	var cuts, bars int
	for _, r := range c.Rects {
		switch r.Class {
		case "bar-break":
			cuts++
			if !strings.Contains(r.Title, "400×") {
				t.Errorf("cut title %q", r.Title)
			}
		default:
			bars++
		}
	}
	if cuts != 1 || bars != 2 {
		t.Errorf("%d cuts and %d bars, want 1 and 2", cuts, bars)
	}
	// The scale ends at 40×: 13.44 × 2.5, rounded up to a tick.
	top := ""
	for _, tx := range c.Texts {
		if strings.HasSuffix(tx.Class, "axis-label") && strings.HasSuffix(tx.Text, "×") {
			top = tx.Text
		}
	}
	if top != "40×" {
		t.Errorf("scale ends at %s, want 40×", top)
	}
}
