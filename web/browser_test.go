package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/vuln"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// cspProbe is a page served only by the test handler. Its inline script must
// be refused by the CSP, which proves the listener below sees violations
// and so that a clean run means something.
const cspProbe = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>probe</title></head>` +
	`<body><p>probe</p><script>document.title = "inline script ran";</script></body></html>`

// browserConsole collects what the browser reports as wrong: console errors,
// uncaught exceptions and error or security entries of the browser log
// (where CSP violations and failed loads appear).
type browserConsole struct {
	mu       sync.Mutex
	problems []string
}

func (b *browserConsole) listen(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range e.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			p = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		p = "exception: " + d.Text
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
		p += " at " + d.URL
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Source == log.EntrySourceSecurity {
			p = fmt.Sprintf("log %s/%s: %s (%s)", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL)
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// take returns the problems seen so far and forgets them.
func (b *browserConsole) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// TestBrowser drives Chromium through sign-in, the services list, a
// service page, the CVE process's pages (with a bulk triage), the
// security SLO and gate pages, the incident pages (with the live
// timeline) and the retrospective pages under the production CSP, and
// fails on any console error, exception or CSP violation. Screenshots go to
// $PALISADE_ARTIFACTS (or the test's artifact directory, kept with go test
// -artifacts).
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "Chromium", "apt-get install chromium")
	}
	probe := Route{"GET /test/csp-probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, cspProbe)
	})}
	app := newTestApp(t, probe)

	shots := os.Getenv("PALISADE_ARTIFACTS")
	if shots != "" {
		shots = filepath.Join(shots, "web-browser")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		shots = t.ArtifactDir()
	}
	t.Logf("screenshots in %s", shots)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container has no user namespace sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()

	console := &browserConsole{}
	if err := chromedp.Listen(bctx, console.listen); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// chromedp enables the Log domain when it attaches; enabling it again
	// states the dependency: CSP violations arrive only through it.
	if _, err := chromedp.Call(bctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	base := app.srv.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		start := time.Now()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(loc, base)
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}

	// The negative check: an inline script must be refused and reported.
	do("open the CSP probe", chromedp.Navigate(base+"/test/csp-probe"))
	if title := eval("document.title"); title != "probe" {
		t.Fatalf("inline script ran under the CSP: title %q", title)
	}
	var seen []string
	for deadline := time.Now().Add(5 * time.Second); len(seen) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		seen = console.take()
	}
	if len(seen) == 0 || !strings.Contains(strings.Join(seen, "\n"), "Content Security Policy") {
		t.Fatalf("the probe's CSP violation was not reported, so a clean run would prove nothing; saw %q", seen)
	}

	// Signed out, a page sends the browser to the sign-in form.
	do("open /services", chromedp.Navigate(base+"/services"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if loc := location(); loc != "/signin?next="+url.QueryEscape("/services") {
		t.Fatalf("signed out, /services went to %q", loc)
	}
	screenshot("signin")

	do("sign in",
		chromedp.SendKeys(chromedp.CSS("#token"), app.token),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.list")),
	)
	if loc := location(); loc != "/services" {
		t.Fatalf("after sign-in the browser is at %q, want /services", loc)
	}
	screenshot("services")

	// The script is there and works: its filter narrows the table.
	do("filter the table", chromedp.SendKeys(chromedp.CSS(".table-filter input"), "svc-01"))
	if n := eval(`String(document.querySelectorAll("table.list tbody tr:not([hidden])").length)`); n != "10" {
		t.Errorf("table filter shows %s rows, want 10", n)
	}

	do("back to the list", chromedp.Navigate(base+"/services"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	do("open a service", chromedp.Click(chromedp.CSS(`a[href="/services/checkout"]`)), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	if loc := location(); loc != "/services/checkout" {
		t.Fatalf("clicked checkout, at %q", loc)
	}
	do("open a large neighbourhood", chromedp.Navigate(base+"/services/db-core"), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	if n := eval(`String(document.querySelectorAll("svg.graph a").length)`); n != fmt.Sprint(colMax+1) {
		t.Errorf("db-core's drawing has %s nodes, want %d", n, colMax+1)
	}
	// The stylesheet applies (it would not, were it blocked): the centre
	// node is filled with the accent colour.
	if fill := eval(`getComputedStyle(document.querySelector("svg.graph .node-center rect")).fill`); fill != "rgb(28, 79, 156)" {
		t.Errorf("centre node fill = %q: is app.css applied?", fill)
	}
	screenshot("service")
	do("open a service with vendors", chromedp.Navigate(base+"/services/payments-api"), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	screenshot("service-vendors")
	do("open the overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".stats")))
	screenshot("overview")

	// The CVE process: the list, its script (select all, the
	// justification that only goes with not_affected), a bulk triage
	// through the real form, a finding and the metrics.
	do("open the vulnerabilities", chromedp.Navigate(base+"/vulnerabilities"), chromedp.WaitVisible(chromedp.CSS("table.findings")))
	screenshot("vulnerabilities")
	do("select every finding", chromedp.Click(chromedp.CSS("th[data-select-all] input")))
	if n := eval(`String(document.querySelectorAll("table.findings tbody input[name=id]:checked").length)`); n != fmt.Sprint(pageSize) {
		t.Errorf("select all ticked %s rows, want %d", n, pageSize)
	}
	do("clear the selection", chromedp.Click(chromedp.CSS("th[data-select-all] input")))
	if got := eval(`String(document.getElementById("b-justification").disabled)`); got != "true" {
		t.Errorf("justification enabled without not_affected: %s", got)
	}
	chooseState := func(v string) string {
		return eval(`(function () { var s = document.getElementById("b-state"); s.value = "` + v + `";` +
			` s.dispatchEvent(new Event("change")); return String(document.getElementById("b-justification").disabled); })()`)
	}
	if got := chooseState("not_affected"); got != "false" {
		t.Errorf("justification disabled with not_affected: %s", got)
	}
	if got := chooseState("exploitable"); got != "true" {
		t.Errorf("justification enabled again with exploitable: %s", got)
	}
	do("triage one finding",
		chromedp.Click(chromedp.CSS(`input[name=id][value="`+idCheckoutRCE+`"]`)),
		chromedp.SendKeys(chromedp.CSS("#b-reason"), "reproduced in staging"),
		chromedp.Click(chromedp.CSS("fieldset.action button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.confirm")),
	)
	if msg := eval(`document.querySelector("p.confirm").textContent`); msg != "1 finding triaged." {
		t.Errorf("after triage the page says %q", msg)
	}
	if f, _ := app.finding(t, idCheckoutRCE); f.State != "exploitable" {
		t.Errorf("the browser's triage left the finding %s", f.State)
	}
	do("open a finding", chromedp.Click(chromedp.CSS(`a[href="/vulnerabilities/findings/`+idCheckoutRCE+`"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	if loc := location(); loc != "/vulnerabilities/findings/"+idCheckoutRCE {
		t.Fatalf("clicked a finding, at %q", loc)
	}
	screenshot("finding")
	do("open the metrics", chromedp.Click(chromedp.CSS(`nav a[href="/vulnerabilities/metrics"]`)), chromedp.WaitVisible(chromedp.CSS("svg.spark")))
	if n := eval(`String(document.querySelectorAll("svg.spark polyline").length)`); n != fmt.Sprint(len(vuln.MetricDefinitions)) {
		t.Errorf("metrics page draws %s sparklines, want %d", n, len(vuln.MetricDefinitions))
	}
	if stroke := eval(`getComputedStyle(document.querySelector("svg.spark polyline")).stroke`); stroke != "rgb(28, 79, 156)" {
		t.Errorf("sparkline stroke = %q: is app.css applied?", stroke)
	}
	screenshot("metrics")
	do("open a service with an inventory", chromedp.Navigate(base+"/services/checkout"), chromedp.WaitVisible(chromedp.CSS("details.components")))
	do("open its components", chromedp.Click(chromedp.CSS("details.components summary")), chromedp.WaitVisible(chromedp.CSS("details.components table")))
	screenshot("service-vulnerabilities")

	// Security SLOs: the list with its budget bars, an SLO with its burn
	// rates and burn-down, the gate decisions and one decision with its
	// report for a pull request.
	do("open the SLOs", chromedp.Click(chromedp.CSS(`nav a[href="/slos"]`)), chromedp.WaitVisible(chromedp.CSS("table.slos")))
	if n := eval(`String(document.querySelectorAll("table.slos svg.budget-bar").length)`); n != "3" {
		t.Errorf("SLO list draws %s budget bars, want 3 (the fourth SLO has no data)", n)
	}
	if fill := eval(`getComputedStyle(document.querySelector("rect.budget-fill.budget-ok")).fill`); fill != "rgb(26, 127, 55)" {
		t.Errorf("budget bar fill = %q: is app.css applied?", fill)
	}
	screenshot("slos")
	do("open an SLO", chromedp.Click(chromedp.CSS(`a[href="/slos/`+sloLogin+`"]`)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if n := eval(`String(document.querySelectorAll("svg.chart").length)`); n != "3" {
		t.Errorf("SLO page draws %s charts, want 3 (burn rates, budget, SLI)", n)
	}
	if n := eval(`String(document.querySelectorAll("svg.chart rect.bar").length + "/" + document.querySelectorAll("svg.chart line.factor").length)`); n != "7/4" {
		t.Errorf("burn-rate chart has bars/factor lines %s, want 7/4", n)
	}
	if stroke := eval(`getComputedStyle(document.querySelector("svg.chart line.factor-page")).stroke`); stroke != "rgb(180, 35, 24)" {
		t.Errorf("page factor line stroke = %q: is app.css applied?", stroke)
	}
	if fill := eval(`getComputedStyle(document.querySelector("svg.chart polyline.series")).fill`); fill != "none" {
		t.Errorf("burn-down line fill = %q, want none", fill)
	}
	screenshot("slo")
	do("open the gate decisions", chromedp.Click(chromedp.CSS(`nav a[href="/gate"]`)), chromedp.WaitVisible(chromedp.CSS("table.gate")))
	screenshot("gate")
	do("open a decision", chromedp.Click(chromedp.CSS(`a[href="/gate/`+app.decisions[changeFail]+`"]`)), chromedp.WaitVisible(chromedp.CSS("ul.reasons")))
	do("open its report", chromedp.Click(chromedp.CSS("details.report summary")), chromedp.WaitVisible(chromedp.CSS("pre.markdown")))
	// The test server is on 127.0.0.1, a secure context, so the script
	// offers to copy the report.
	if got := eval(`(document.querySelector(".copy-row button") || {}).textContent || "none"`); got != "Copy the Markdown" {
		t.Errorf("copy button: %q", got)
	}
	screenshot("gate-decision")

	// Incidents: the list, an incident whose timeline follows a note
	// written elsewhere without a reload, a note through the page's own
	// form, the open form and the metrics.
	do("open the incidents", chromedp.Click(chromedp.CSS(`nav a[href="/incidents"]`)), chromedp.WaitVisible(chromedp.CSS("table.incidents")))
	if fill := eval(`getComputedStyle(document.querySelector("table.incidents .isev-1")).backgroundColor`); fill != "rgb(138, 27, 27)" {
		t.Errorf("SEV1 chip background = %q: is app.css applied?", fill)
	}
	screenshot("incidents")
	active := app.incidents[incActive]
	do("open an incident", chromedp.Click(chromedp.CSS(`a[href="/incidents/`+active+`"]`)), chromedp.WaitVisible(chromedp.CSS("#timeline-live")))
	if said := eval(`document.getElementById("timeline-live").textContent`); !strings.HasPrefix(said, "Live:") {
		t.Errorf("the live timeline says %q", said)
	}
	entries := eval(`String(document.querySelectorAll("#timeline li").length)`)
	screenshot("incident")
	if _, err := app.inc.Note(person("bob"), active, "Rate limits raised on the edge <b>for real</b>."); err != nil {
		t.Fatal(err)
	}
	var last string
	for deadline := time.Now().Add(3 * livePoll); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = eval(`(document.querySelector("#timeline li:last-child .entry-text") || {}).textContent || ""`); strings.HasPrefix(last, "Rate limits") {
			break
		}
	}
	if last != "Rate limits raised on the edge <b>for real</b>." {
		t.Fatalf("the note written elsewhere did not appear on the live timeline: last entry %q", last)
	}
	if got := eval(`(function () { var li = document.querySelector("#timeline li:last-child");` +
		` return li.className + "|" + li.querySelector(".timeline-head").textContent + "|" + document.querySelectorAll("#timeline li b").length; })()`); got != "entry entry-new entry-note|2026-11-20 12:00:00 UTC · note · token:bob|0" {
		t.Errorf("the live entry is %q", got)
	}
	if n := eval(`String(document.querySelectorAll("#timeline li").length)`); n != fmt.Sprint(mustAtoi(t, entries)+1) {
		t.Errorf("after one note the timeline has %s entries, had %s", n, entries)
	}
	if said := eval(`document.getElementById("timeline-live").textContent`); !strings.HasPrefix(said, "Live: 1 new entry at ") {
		t.Errorf("after a note the live timeline says %q", said)
	}
	screenshot("incident-live")
	do("add a note through the page",
		chromedp.SendKeys(chromedp.CSS("#n-text"), "Status page updated."),
		chromedp.Click(chromedp.CSS("form.note-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.confirm")),
	)
	if last := eval(`document.querySelector("#timeline li:last-child .entry-text").textContent`); last != "Status page updated." {
		t.Errorf("after the form the last entry is %q", last)
	}
	// Someone else moves the incident on: the page says its header is
	// out of date.
	mitigated := "mitigated"
	if _, err := app.inc.Update(person("bob"), active, incident.Patch{Status: &mitigated}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * livePoll); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if last = eval(`(document.querySelector("#timeline-h ~ p.notice") || {}).textContent || ""`); last != "" {
			break
		}
	}
	if !strings.HasPrefix(last, "The incident is now mitigated, SEV1") {
		t.Errorf("no notice that the incident changed: %q", last)
	}
	do("open the open form", chromedp.Navigate(base+"/incidents/new?service=checkout"), chromedp.WaitVisible(chromedp.CSS("#o-title")))
	screenshot("incident-new")
	do("open the incident metrics", chromedp.Click(chromedp.CSS(`nav a[href="/incidents/metrics"]`)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if n := eval(`String(document.querySelectorAll("svg.chart").length)`); n != "3" {
		t.Errorf("incident metrics draw %s charts, want 3", n)
	}
	if fill := eval(`getComputedStyle(document.querySelector("svg.chart rect.fill-kind-security")).fill`); fill != "rgb(111, 74, 168)" {
		t.Errorf("security bar fill = %q: is app.css applied?", fill)
	}
	screenshot("incident-metrics")

	// Retrospectives: the similar past incidents of the incident, starting
	// its retrospective and writing a section through the page's forms,
	// the library with a text search, a retrospective in review, its
	// printable page under its own policy, and the action items.
	do("back to the incident", chromedp.Navigate(base+"/incidents/"+active), chromedp.WaitVisible(chromedp.CSS("ol.similar")))
	if n := eval(`String(document.querySelectorAll("ol.similar > li").length)`); mustAtoi(t, n) == 0 {
		t.Error("the incident page suggests no similar past incident")
	}
	do("look at the similar past incidents", chromedp.ScrollIntoView(chromedp.CSS("#similar-h")))
	shot, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("div.retro-panels")))
	if err != nil {
		t.Fatalf("screenshot the retrospective panel: %v", err)
	}
	if err := os.WriteFile(filepath.Join(shots, "incident-retrospective.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	do("start the retrospective",
		chromedp.Click(chromedp.CSS("form.retro-start button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.confirm")),
	)
	if loc := location(); !strings.HasPrefix(loc, "/retrospectives/RETRO-") {
		t.Fatalf("after starting the retrospective the browser is at %q", loc)
	}
	screenshot("retrospective-new")
	do("write the summary",
		chromedp.Click(chromedp.CSS("#section-summary details.edit-box summary")),
		chromedp.WaitVisible(chromedp.CSS("#b-summary")),
		chromedp.SendKeys(chromedp.CSS("#b-summary"), "Bots tried **leaked passwords** against sign-in.\n\n- blocked at the edge\n- resets sent"),
		chromedp.Click(chromedp.CSS("#section-summary form button[type=submit]")),
		// The page before the save has a confirmation too (the start):
		// wait for what only the saved page has.
		chromedp.WaitVisible(chromedp.CSS("#section-summary .retro-body")),
	)
	if got := eval(`document.querySelector("#section-summary .retro-body").innerHTML`); !strings.Contains(got, "<strong>leaked passwords</strong>") || !strings.Contains(got, "<li>resets sent</li>") {
		t.Errorf("the summary renders as %q", got)
	}
	do("open the library", chromedp.Click(chromedp.CSS(`nav a[href="/retrospectives"]`)), chromedp.WaitVisible(chromedp.CSS("ol.hits")))
	screenshot("retrospectives")
	do("search the library",
		chromedp.SendKeys(chromedp.CSS("#l-q"), "card"),
		chromedp.Click(chromedp.CSS("form.library-search button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.snippet mark")),
	)
	if bg := eval(`getComputedStyle(document.querySelector("p.snippet mark")).backgroundColor`); bg != "rgb(255, 240, 168)" {
		t.Errorf("match highlight background = %q: is app.css applied?", bg)
	}
	screenshot("retrospectives-search")
	checkout := app.retros[retroCheckout]
	do("open a retrospective in review", chromedp.Navigate(base+"/retrospectives/"+checkout), chromedp.WaitVisible(chromedp.CSS(".retro-body table")))
	screenshot("retrospective")
	do("open its printable page", chromedp.Click(chromedp.CSS(`a[href="/retrospectives/`+checkout+`/export.html"]`)), chromedp.WaitVisible(chromedp.CSS("main section")))
	// Its one style block applies under its own policy.
	if bg := eval(`getComputedStyle(document.querySelector(".state")).backgroundColor`); bg != "rgb(224, 242, 254)" {
		t.Errorf("printable page state background = %q: is its style allowed?", bg)
	}
	screenshot("retrospective-print")
	do("open the action items", chromedp.Navigate(base+"/retrospectives/action-items"), chromedp.WaitVisible(chromedp.CSS("table.action-items")))
	screenshot("action-items")

	// The rest of the navigation, checked for violations and kept for a
	// look.
	for _, p := range []string{"/teams", "/teams/payments", "/third-parties", "/third-parties/stripe", "/experiments", "/watch"} {
		do("open "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		screenshot("page" + strings.ReplaceAll(p, "/", "-"))
	}
	// Late reports (a favicon fetch, a deferred script) arrive after load.
	time.Sleep(300 * time.Millisecond)
	for _, p := range console.take() {
		t.Errorf("browser reported: %s", p)
	}
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
