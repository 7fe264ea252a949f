package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/vuln"
)

// testNow is the time the CVE process and the pages run at in tests, so
// that deadlines, overdue markers and snapshot days are fixed.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func testClock() time.Time { return testNow }

const day = 24 * time.Hour

// fleetFindings is how many fleet services get a finding, so that the open
// findings fill more than one list page.
const fleetFindings = 55

func ptr[T any](v T) *T { return &v }

// The advisories of the fixture, built by hand as the matcher would hand
// them over.
var (
	advRCE = &vuln.Advisory{ID: "GHSA-rce0-0001-aaaa", Aliases: []string{"CVE-2026-0001"}, Summary: "Remote code execution in the request parser",
		Severity: "critical", CVSS: ptr(9.8), KEV: true, KEVDue: ptr(testNow.Add(-5 * day)), EPSS: ptr(0.92), Published: ptr(testNow.Add(-12 * day))}
	advDoS = &vuln.Advisory{ID: "GHSA-dos0-0002-bbbb", Aliases: []string{"CVE-2026-0002"}, Summary: "Denial of service with crafted headers",
		Severity: "high", CVSS: ptr(7.5), EPSS: ptr(0.05), Published: ptr(testNow.Add(-40 * day))}
	advLeak = &vuln.Advisory{ID: "GHSA-leak-0003-cccc", Aliases: []string{"CVE-2026-0003"}, Summary: "Information leak in error pages",
		Severity: "medium", CVSS: ptr(5.3), EPSS: ptr(0.0004)}
	advLow = &vuln.Advisory{ID: "PYSEC-2026-4", Aliases: []string{}, Summary: "Timing side channel", Severity: "low"}
)

var (
	compRequests = vuln.Component{Purl: "pkg:pypi/requests@2.0.0", Ecosystem: "PyPI", Name: "requests", Version: "2.0.0"}
	compNet      = vuln.Component{Purl: "pkg:golang/golang.org/x/net@v0.1.0", Ecosystem: "Go", Name: "golang.org/x/net", Version: "v0.1.0"}
	compLodash   = vuln.Component{Purl: "pkg:npm/lodash@4.17.0", Ecosystem: "npm", Name: "lodash", Version: "4.17.0"}
)

// Fixture finding ids.
var (
	idCheckoutRCE = vuln.FindingID("checkout", compRequests.Purl, advRCE.ID) // critical, KEV, overdue
	idCheckoutDoS = vuln.FindingID("checkout", compRequests.Purl, advDoS.ID) // high
	idAPIDoS      = vuln.FindingID("payments-api", compNet.Purl, advDoS.ID)  // high, overdue
	idAPILeak     = vuln.FindingID("payments-api", compNet.Purl, advLeak.ID) // medium, overdue
	idDBDoS       = vuln.FindingID("db-core", compLodash.Purl, advDoS.ID)    // resolved (fixed)
	idDBLow       = vuln.FindingID("db-core", compLodash.Purl, advLow.ID)    // low
)

// openFindings is every fixture finding but idDBDoS.
const openFindings = 5 + fleetFindings

// fixtureTiers are the sample catalog's tiers; the rest are fleet, tier 3.
var fixtureTiers = map[string]int{"checkout": 1, "payments-api": 1, "db-core": 2}

// seedVuln records findings, an inventory and daily snapshots in db the
// way scans and the snapshot job would, spread over the last 100 days so
// that the metrics have trends, and returns the CVE process at testNow.
func seedVuln(t testing.TB, db *store.DB, reg *catalog.Registry) *vuln.Service {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("scan"))
	p := vuln.DefaultPolicy()
	tier := func(s string) int {
		if n, ok := fixtureTiers[s]; ok {
			return n
		}
		return 3
	}
	apply := func(at time.Time, matches []vuln.Match, existing []vuln.Finding) {
		t.Helper()
		ch := vuln.Reconcile(matches, existing, func(*vuln.Finding) string { return vuln.ResolutionFixed }, at, p, tier)
		if err := db.ApplyChanges(ctx, ch); err != nil {
			t.Fatalf("apply changes at %v: %v", at, err)
		}
	}
	snapshot := func(at time.Time) {
		t.Helper()
		if err := vuln.NewService(db, reg, func() time.Time { return at }, nil).Snapshot(ctx); err != nil {
			t.Fatalf("snapshot at %v: %v", at, err)
		}
	}
	match := func(svc string, c vuln.Component, a *vuln.Advisory, fixed ...string) vuln.Match {
		return vuln.Match{Service: svc, Component: c, Advisory: a, Fixed: fixed}
	}

	apply(testNow.Add(-100*day), []vuln.Match{
		match("payments-api", compNet, advDoS, "v0.7.0"), match("payments-api", compNet, advLeak, "v0.8.0"),
		match("db-core", compLodash, advDoS, "4.17.21"),
	}, nil)
	snapshot(testNow.Add(-14 * day))

	// db-core upgrades lodash: its finding resolves as fixed; checkout's
	// new inventory brings two findings.
	_, events, err := db.Finding(ctx, idDBDoS)
	if err != nil || len(events) != 1 {
		t.Fatalf("db-core finding: %v, %v", events, err)
	}
	existing, err := db.Findings(ctx, vuln.FindingFilter{IDs: []string{idDBDoS}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	apply(testNow.Add(-10*day), nil, existing)
	apply(testNow.Add(-10*day), []vuln.Match{match("checkout", compRequests, advRCE, "2.31.0"), match("checkout", compRequests, advDoS, "2.31.0")}, nil)
	inv := &vuln.Inventory{Service: "checkout", Format: "cyclonedx", Source: "sbom/checkout.cdx.json", Digest: "sha256:00",
		RecordedAt: testNow.Add(-8 * day), Warnings: []string{"1 component without a version was skipped"},
		Components: []vuln.Component{compRequests, {Purl: "pkg:pypi/urllib3@1.26.0", Ecosystem: "PyPI", Name: "urllib3", Version: "1.26.0"}}}
	if err := db.PutInventory(ctx, inv); err != nil {
		t.Fatal(err)
	}
	snapshot(testNow.Add(-7 * day))

	apply(testNow.Add(-5*day), []vuln.Match{match("db-core", compLodash, advLow)}, nil)
	var fleet []vuln.Match
	for i := range fleetFindings {
		fleet = append(fleet, match(fmt.Sprintf("svc-%03d", i), compNet, advLeak, "v0.8.0"))
	}
	apply(testNow.Add(-1*day), fleet, nil)
	snapshot(testNow.Add(-1 * day))
	snapshot(testNow)
	return vuln.NewService(db, reg, testClock, nil)
}

// signInAs creates a token with role and returns a client signed in with it.
func (a *testApp) signInAs(t testing.TB, name string, role palisade.Role) *client {
	t.Helper()
	admin := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	_, secret, err := a.ids.CreateToken(admin, identity.CreateRequest{Name: name, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	c := a.client(t)
	if r := c.signIn(secret, "/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s = %d", name, r.StatusCode)
	}
	return c
}

// finding reads a finding and its history from the store.
func (a *testApp) finding(t testing.TB, id string) (*vuln.Finding, []vuln.Event) {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	f, events, err := a.vuln.Finding(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return f, events
}

var findingLinkRE = regexp.MustCompile(`<a href="/vulnerabilities/findings/(F[0-9a-f]{16})">`)

// listed returns the ids of the findings a list page shows, in order.
func listed(body string) []string {
	var ids []string
	for _, m := range findingLinkRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func sameIDs(got []string, want ...string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func TestFindingsList(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/vulnerabilities")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Vulnerabilities</h1>", `aria-current="page"`, `href="/vulnerabilities/metrics"`,
		// Counts of the scope, from the metrics.
		fmt.Sprintf("Open findings in all services: %d", openFindings),
		`<span class="sevcount-n">1</span> critical`, `<span class="sevcount-n">2</span> high`,
		fmt.Sprintf(`<span class="sevcount-n">%d</span> medium`, fleetFindings+1), `<span class="sevcount-n">3</span> overdue`,
		`<span class="sevcount-n">1</span> known exploited`,
		// One row in full.
		`<td><a href="/services/checkout">checkout</a></td>`, `<span class="pkg-name">requests</span> <span class="pkg-version">2.0.0</span>`,
		`<a href="/vulnerabilities/findings/`+idCheckoutRCE+`">GHSA-rce0-0001-aaaa</a>`, `<span class="alias">CVE-2026-0001</span>`,
		`<span class="sev sev-critical">critical</span>`, `<td class="num">9.8</td>`, `class="badge kev"`, `<td class="num">92.0%</td>`,
		`<td class="num">&lt;0.1%</td>`, `<span class="state state-in_triage">in triage</span>`, `<span class="badge overdue">overdue</span>`,
		`<time datetime="2026-11-10">2026-11-10</time>`, `name="id" value="`+idCheckoutRCE+`"`,
		// The bulk forms, with the token, enabled for an admin.
		`action="/vulnerabilities/triage"`, `formaction="/vulnerabilities/accept"`, `name="back" value="/vulnerabilities"`)
	if strings.Contains(r.body, "role-note") {
		t.Error("admin sees a role note")
	}
	// Pagination: the first page is full; the second has the rest, and the
	// filter travels with the cursor.
	first := listed(r.body)
	if len(first) != pageSize {
		t.Fatalf("first page lists %d findings, want %d", len(first), pageSize)
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no next page link")
	}
	r = c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "« First page", "Open findings, continued")
	second := listed(r.body)
	if len(second) != openFindings-pageSize || slices.ContainsFunc(second, func(id string) bool { return slices.Contains(first, id) }) {
		t.Errorf("second page lists %d findings (%v), want the %d others", len(second), second, openFindings-pageSize)
	}
	if strings.Contains(r.body, `rel="next"`) {
		t.Error("the last page links a next one")
	}
	r = c.get("/vulnerabilities?severity=medium")
	if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.body); m == nil || !strings.Contains(m[1], "severity=medium") {
		t.Errorf("next link of a filtered list: %v", m)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"severity=critical", []string{idCheckoutRCE}},
		{"severity=high", []string{idCheckoutDoS, idAPIDoS}},
		{"severity=high&state=all", []string{idCheckoutDoS, idAPIDoS, idDBDoS}},
		{"state=resolved", []string{idDBDoS}},
		{"state=exploitable", nil},
		{"overdue=1", []string{idCheckoutRCE, idAPIDoS, idAPILeak}},
		{"kev=1", []string{idCheckoutRCE}},
		{"kev=on&overdue=on", []string{idCheckoutRCE}},
		{"service=payments-api", []string{idAPIDoS, idAPILeak}},
		{"service=db-core&state=all", []string{idDBDoS, idDBLow}},
		{"team=payments", []string{idCheckoutRCE, idCheckoutDoS, idAPIDoS, idAPILeak}},
		{"team=payments&severity=medium", []string{idAPILeak}},
		{"team=platform", []string{idDBLow}},
		{"team=nobody", nil},
		{"service=nope", nil},
	} {
		r := c.get("/vulnerabilities?" + tc.query)
		wantStatus(t, r, http.StatusOK)
		if got := listed(r.body); !sameIDs(got, tc.want...) {
			t.Errorf("?%s lists %v, want %v", tc.query, got, tc.want)
		}
		if tc.want == nil {
			wantContains(t, r, "No finding matches this filter.")
		}
		wantContains(t, r, `<a href="/vulnerabilities">Clear</a>`)
	}
	// The counts follow the scope, and their links keep it.
	r = c.get("/vulnerabilities?team=payments&severity=critical")
	wantContains(t, r, "Open findings in team payments: 4", `href="/vulnerabilities?severity=high&amp;team=payments"`,
		`href="/vulnerabilities/metrics?scope=team%3Apayments"`, `<option value="payments" selected>`, `<option value="critical" selected>`)
	r = c.get("/vulnerabilities?service=checkout&overdue=1")
	wantContains(t, r, "Open findings in service checkout: 2", `name="overdue" value="1" checked`, `value="checkout"`)

	for query, msg := range map[string]string{
		"severity=urgent":                     "severity must be one of critical, high, medium, low, unknown",
		"state=closed":                        "state must be open, all or one of",
		"service=" + strings.Repeat("x", 300): "service is longer than 256 characters",
	} {
		r := c.get("/vulnerabilities?" + query)
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, msg)
	}
}

// bulkForm returns a bulk form post for ids from a list page.
func bulkPost(page *response, back string, ids []string, fields ...string) url.Values {
	v := url.Values{"csrf": {csrfFieldRE.FindStringSubmatch(page.body)[1]}, "back": {back}, "id": ids}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Set(fields[i], fields[i+1])
	}
	return v
}

func TestBulkTriage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	page := c.get("/vulnerabilities?service=checkout")
	wantStatus(t, page, http.StatusOK)
	back := "/vulnerabilities?service=checkout"
	ids := []string{idCheckoutRCE, idCheckoutDoS}

	// Refused forms come back with the message, the status, and the form as
	// it was filled; nothing changes.
	for name, tc := range map[string]struct {
		form   url.Values
		status int
		msg    string
	}{
		"not_affected without justification": {bulkPost(page, back, ids, "state", "not_affected", "reason", "we never parse requests"),
			http.StatusBadRequest, "not_affected needs a justification"},
		"no reason":    {bulkPost(page, back, ids, "state", "exploitable"), http.StatusBadRequest, "say why (reason)"},
		"no state":     {bulkPost(page, back, ids, "reason", "x"), http.StatusBadRequest, "choose the state to set"},
		"no selection": {bulkPost(page, back, nil, "state", "exploitable", "reason", "x"), http.StatusBadRequest, "select at least one finding"},
		"bad id":       {bulkPost(page, back, []string{"F1' OR 1=1"}, "state", "exploitable", "reason", "x"), http.StatusBadRequest, "is not a finding id"},
		"unknown id":   {bulkPost(page, back, []string{"F0000000000000000"}, "state", "exploitable", "reason", "x"), http.StatusNotFound, "not found"},
		"justification with another state": {bulkPost(page, back, ids, "state", "exploitable", "justification", "code_not_reachable", "reason", "x"),
			http.StatusBadRequest, "a justification goes only with not_affected"},
	} {
		r := c.post("/vulnerabilities/triage", tc.form)
		if r.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, r.StatusCode, tc.status)
		}
		wantContains(t, r, `<p class="alert" role="alert">`, tc.msg, `<h1>Vulnerabilities</h1>`, `name="back" value="/vulnerabilities?service=checkout"`)
		if len(tc.form["id"]) == 2 {
			wantContains(t, r, `value="`+idCheckoutRCE+`" aria-label="Select GHSA-rce0-0001-aaaa in checkout" checked`)
		}
		if reason := tc.form.Get("reason"); reason != "" {
			wantContains(t, r, ">"+reason+"</textarea>")
		}
	}
	for _, id := range ids {
		if f, events := app.finding(t, id); f.State != vuln.StateInTriage || len(events) != 1 {
			t.Fatalf("a refused form changed %s: %s, %d events", id, f.State, len(events))
		}
	}

	// A form without the session's token is refused before it is read.
	r := c.post("/vulnerabilities/triage", bulkPost(page, back, ids, "csrf", "forged", "state", "exploitable", "reason", "x"))
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "reload the page")
	r = c.post("/vulnerabilities/triage", bulkPost(page, back, ids, "state", "exploitable", "reason", "x"), "Origin", "https://evil.example")
	wantStatus(t, r, http.StatusForbidden)

	// The decision.
	r = c.post("/vulnerabilities/triage", bulkPost(page, back, ids, "state", "not_affected", "justification", "code_not_reachable",
		"detail", "the parser is never given outside input", "reason", "reviewed with the payments team"))
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	if loc != "/vulnerabilities?did=triaged&done=2&service=checkout" {
		t.Errorf("after triage Location = %q", loc)
	}
	for _, id := range ids {
		f, events := app.finding(t, id)
		last := events[len(events)-1]
		if f.State != vuln.StateNotAffected || f.Justification != "code_not_reachable" || f.Detail != "the parser is never given outside input" ||
			last.Action != "triaged" || last.Actor != "session:admin" || last.FromState != vuln.StateInTriage ||
			last.ToState != vuln.StateNotAffected || last.Reason != "reviewed with the payments team" {
			t.Errorf("%s after triage: %+v, last event %+v", id, f, last)
		}
	}
	r = c.get(loc)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<p class="confirm" role="status">2 findings triaged.</p>`, "No finding matches this filter.")

	// The redirect keeps only the filter: a forged back field cannot send
	// the browser elsewhere, and the confirmation shows no text from the
	// address.
	page = c.get("/vulnerabilities")
	r = c.post("/vulnerabilities/triage", bulkPost(page, "https://evil.example/?service=payments-api&x=<b>", []string{idAPILeak},
		"state", "exploitable", "reason", "confirmed"))
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/vulnerabilities?did=triaged&done=1&service=payments-api" {
		t.Errorf("forged back: Location = %q", loc)
	}
	r = c.post("/vulnerabilities/triage", bulkPost(page, "//evil.example/%zz", []string{idAPILeak}, "state", "exploitable", "reason", "again"))
	if loc := r.Header.Get("Location"); loc != "/vulnerabilities?did=triaged&done=1" {
		t.Errorf("unparsable back: Location = %q", loc)
	}
	for _, q := range []string{"done=<script>&did=triaged", "done=3&did=<script>alert(1)</script>", "done=-1&did=triaged", "done=99999&did=accepted"} {
		r := c.get("/vulnerabilities?" + q)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, `class="confirm"`) {
			t.Errorf("?%s shows a confirmation or echoes the address", q)
		}
	}
	wantContains(t, c.get("/vulnerabilities?done=1&did=accepted"), "1 finding risk-accepted.")
}

func TestBulkRoles(t *testing.T) {
	app := newTestApp(t)
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	page := viewer.get("/vulnerabilities")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, `<fieldset class="action" disabled>`,
		"Triage needs the <strong>responder</strong> role or higher; you are signed in as <strong>viewer</strong>.",
		"Accepting a risk needs the <strong>editor</strong> role or higher; you are signed in as <strong>viewer</strong>.")

	ids := []string{idAPIDoS, idAPILeak}
	expires := testNow.Add(30 * day).Format(time.DateOnly)
	for path, form := range map[string]url.Values{
		"/vulnerabilities/triage": bulkPost(page, "/vulnerabilities", ids, "state", "exploitable", "reason", "x"),
		// Even a form that would fail validation says the role first.
		"/vulnerabilities/accept": bulkPost(page, "/vulnerabilities", nil, "expires", "soon"),
	} {
		r := viewer.post(path, form)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r, "role viewer may not do this", `<h1>Vulnerabilities</h1>`)
	}
	for _, id := range ids {
		if f, events := app.finding(t, id); f.State != vuln.StateInTriage || f.Acceptance != nil || len(events) != 1 {
			t.Errorf("a viewer changed %s: %+v", id, f)
		}
	}

	// A responder triages but does not accept risks.
	responder := app.signInAs(t, "oncall", palisade.RoleResponder)
	page = responder.get("/vulnerabilities")
	wantContains(t, page, "Accepting a risk needs the <strong>editor</strong> role", `<fieldset class="action">`)
	r := responder.post("/vulnerabilities/accept", bulkPost(page, "/vulnerabilities", ids, "accept_reason", "r", "requested_by", "alice", "expires", expires))
	wantStatus(t, r, http.StatusForbidden)
	r = responder.post("/vulnerabilities/triage", bulkPost(page, "/vulnerabilities", ids, "state", "exploitable", "reason", "reproduced"))
	wantStatus(t, r, http.StatusSeeOther)
	if f, _ := app.finding(t, idAPIDoS); f.State != vuln.StateExploitable {
		t.Errorf("responder's triage: %s", f.State)
	}

	// An editor accepts the risk; the findings leave the open list.
	editor := app.signInAs(t, "lead", palisade.RoleEditor)
	page = editor.get("/vulnerabilities?service=payments-api")
	for _, tc := range []struct {
		expires, msg string
	}{
		{"", "give the date the risk acceptance expires"},
		{"31/12/2026", "must be a date like 2026-12-31"},
		{testNow.Add(-day).Format(time.DateOnly), "the acceptance must expire in the future"},
		{testNow.Add(400 * day).Format(time.DateOnly), "a risk acceptance lasts at most 366 days"},
	} {
		r := editor.post("/vulnerabilities/accept", bulkPost(page, "/vulnerabilities?service=payments-api", ids,
			"accept_reason", "fix scheduled for Q1", "requested_by", "alice@example.com", "expires", tc.expires))
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, tc.msg, ">fix scheduled for Q1</textarea>", `value="alice@example.com"`)
	}
	r = editor.post("/vulnerabilities/accept", bulkPost(page, "/vulnerabilities?service=payments-api", ids,
		"accept_reason", "fix scheduled for Q1", "requested_by", "alice@example.com", "expires", expires))
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/vulnerabilities?did=accepted&done=2&service=payments-api" {
		t.Errorf("after accept Location = %q", loc)
	}
	for _, id := range ids {
		f, events := app.finding(t, id)
		a := f.Acceptance
		if a == nil || a.ApprovedBy != "session:lead" || a.RequestedBy != "alice@example.com" || a.Reason != "fix scheduled for Q1" ||
			a.ExpiresAt.Format(time.DateOnly) != expires || events[len(events)-1].Action != "accepted" {
			t.Errorf("%s after accept: %+v", id, a)
		}
	}
	r = editor.get(r.Header.Get("Location"))
	wantContains(t, r, "2 findings risk-accepted.", "No finding matches this filter.")
	r = editor.get("/vulnerabilities?service=payments-api&state=all")
	wantContains(t, r, `<span class="badge accepted" title="Risk accepted until `+expires+`">accepted</span>`)
}

func TestFindingPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	path := "/vulnerabilities/findings/" + idCheckoutRCE

	r := c.get(path)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>GHSA-rce0-0001-aaaa <span class=\"h1-sub\">in checkout</span></h1>", "Remote code execution in the request parser",
		`<a href="https://osv.dev/vulnerability/GHSA-rce0-0001-aaaa" rel="noopener noreferrer" class="external">`,
		`<span class="alias">CVE-2026-0001</span>`, "CVSS 9.8", "in CISA's KEV catalog, CISA due date 2026-11-15", "92.0%",
		"<code>2.31.0</code>", "<code class=\"wrap\">pkg:pypi/requests@2.0.0</code>", `<a href="/services/checkout">checkout</a>`,
		"2026-11-10 12:00 UTC", "2026-11-15 12:00 UTC", `<span class="badge overdue">overdue</span>`,
		"No risk has been accepted for this finding.",
		// The history, with the detection.
		`<ol class="timeline">`, "<strong>detected</strong> by <code>system:scan</code>", "matched pkg:pypi/requests@2.0.0 against GHSA-rce0-0001-aaaa",
		// Both forms, enabled, with the token.
		`action="/vulnerabilities/findings/`+idCheckoutRCE+`/triage"`, `action="/vulnerabilities/findings/`+idCheckoutRCE+`/accept"`,
		`<option value="in_triage" selected>in triage</option>`, `data-justification="t-justification"`, `type="date"`,
		`min="2026-11-21"`, `max="2027-11-21"`, `href="/vulnerabilities?service=checkout"`)
	if strings.Contains(r.body, "disabled") {
		t.Error("an admin sees disabled forms")
	}
	csrf := csrfField(t, r.body)

	// Triage: refused, then recorded.
	r = c.post(path+"/triage", url.Values{"csrf": {csrf}, "state": {"not_affected"}, "reason": {"not reachable"}, "detail": {"behind a flag"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<p class="alert" role="alert">not_affected needs a justification`, `<option value="not_affected" selected>`,
		">not reachable</textarea>", ">behind a flag</textarea>")
	r = c.post(path+"/triage", url.Values{"csrf": {"nope"}, "state": {"exploitable"}, "reason": {"x"}})
	wantStatus(t, r, http.StatusForbidden)
	r = c.post(path+"/triage", url.Values{"csrf": {csrf}, "state": {"exploitable"}, "reason": {"reproduced in staging"}, "detail": {"any request"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != path+"?done=triaged" {
		t.Errorf("after triage Location = %q", loc)
	}
	r = c.get(path + "?done=triaged")
	wantContains(t, r, "Your decision is recorded.", "<strong>triaged</strong> by <code>session:admin</code>",
		`<span class="state state-in_triage">in triage</span> → <span class="state state-exploitable">exploitable</span>`,
		"reproduced in staging", `<option value="exploitable" selected>`)
	// The newest event comes first.
	if strings.Index(r.body, "<strong>triaged</strong>") > strings.Index(r.body, "<strong>detected</strong>") {
		t.Error("history is not newest first")
	}

	// Risk acceptance.
	expires := testNow.Add(60 * day).Format(time.DateOnly)
	r = c.post(path+"/accept", url.Values{"csrf": {csrf}, "accept_reason": {"WAF rule in place"}, "requested_by": {"bob@example.com"}, "expires": {"2020-01-01"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "the acceptance must expire in the future", ">WAF rule in place</textarea>")
	r = c.post(path+"/accept", url.Values{"csrf": {csrf}, "accept_reason": {"WAF rule in place"}, "requested_by": {"bob@example.com"}, "expires": {expires}})
	wantStatus(t, r, http.StatusSeeOther)
	r = c.get(r.Header.Get("Location"))
	wantContains(t, r, "The risk acceptance is recorded.", `<span class="badge accepted">active</span> until `+expires+" 00:00 UTC",
		"WAF rule in place", "bob@example.com", "<code>session:admin</code>", "<strong>accepted</strong>",
		"accepted until "+expires+": WAF rule in place", "Accepting again replaces the current acceptance.")
	if strings.Contains(r.body, `<span class="badge overdue">`) {
		t.Error("an accepted finding is shown overdue")
	}

	// A decided finding cannot be accepted.
	r = c.get("/vulnerabilities/findings/" + idDBDoS)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Only an open finding (in triage or exploitable) can be risk-accepted; this one is resolved.", "<dt>Resolution</dt><dd>fixed</dd>",
		"(no longer applies: the finding is not open)", "<strong>resolved</strong> by <code>system:scan</code>")
	r = c.post("/vulnerabilities/findings/"+idDBDoS+"/accept", url.Values{"csrf": {csrf}, "accept_reason": {"x"}, "requested_by": {"y"}, "expires": {expires}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, "only open findings (in_triage, exploitable) can be accepted")

	for _, p := range []string{"/vulnerabilities/findings/F0000000000000000", "/vulnerabilities/findings/nope", "/vulnerabilities/findings/" + strings.ToUpper(idDBLow)} {
		r := c.get(p)
		wantStatus(t, r, http.StatusNotFound)
	}
	wantStatus(t, c.post("/vulnerabilities/findings/nope/triage", url.Values{"csrf": {csrf}}), http.StatusNotFound)

	// A viewer reads the page with the forms disabled and the role each
	// needs; a forged post is refused.
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	r = viewer.get("/vulnerabilities/findings/" + idCheckoutDoS)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Triage needs the <strong>responder</strong> role or higher; you are signed in as <strong>viewer</strong>.",
		"Accepting a risk needs the <strong>editor</strong> role or higher")
	if n := strings.Count(r.body, `<fieldset class="action" disabled>`); n != 2 {
		t.Errorf("viewer sees %d disabled forms, want 2", n)
	}
	r = viewer.post("/vulnerabilities/findings/"+idCheckoutDoS+"/triage", url.Values{"csrf": {csrfField(t, r.body)}, "state": {"exploitable"}, "reason": {"x"}})
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, `<p class="alert" role="alert">role viewer may not do this`)
	if f, _ := app.finding(t, idCheckoutDoS); f.State != vuln.StateInTriage {
		t.Errorf("viewer changed the finding: %s", f.State)
	}
}

func TestMetricsPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/vulnerabilities/metrics")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>CVE metrics</h1>", `aria-current="page"`, "The CVE process of all services", "4 snapshots so far",
		`<option value="team:payments">payments</option>`, `<option value="service:checkout">checkout</option>`,
		`href="/vulnerabilities"`)
	for _, d := range vuln.MetricDefinitions {
		wantContains(t, r, `<tr id="metric-`+d.Key+`">`, d.Name, template.HTMLEscapeString(d.Measure), `<title id="spark-`+d.Key+`">`+d.Name+" over 4 daily snapshots")
	}
	if n := strings.Count(r.body, `<svg class="spark"`); n != len(vuln.MetricDefinitions) {
		t.Errorf("%d sparklines, want %d", n, len(vuln.MetricDefinitions))
	}
	if n := strings.Count(r.body, `<polyline class="spark-line" points="`); n != len(vuln.MetricDefinitions) {
		t.Errorf("%d sparkline polylines, want %d", n, len(vuln.MetricDefinitions))
	}
	// Current values, formatted per metric.
	row := func(key string) string {
		i := strings.Index(r.body, `<tr id="metric-`+key+`">`)
		if i < 0 {
			t.Fatalf("no row for %s", key)
		}
		j := strings.Index(r.body[i:], "</tr>")
		return r.body[i : i+j]
	}
	for key, want := range map[string][]string{
		// 4 open a week ago (api DoS and leak, checkout RCE and DoS;
		// db DoS resolved), 60 now: worse.
		"open": {fmt.Sprintf("<strong>%d</strong>", openFindings), `<li class="sev sev-critical">critical 1</li>`,
			fmt.Sprintf(`<li class="sev sev-medium">medium %d</li>`, fleetFindings+1), `class="trend trend-bad"`, "↑", fmt.Sprintf("&#43;%d", openFindings-4),
			"worse: 4 on 2026-11-13, 60 on 2026-11-20"},
		"new":               {"<strong>58</strong>", "trend-bad", "↑"},
		"resolved":          {"<strong>1</strong>", "trend-flat", "→", "±0"},
		"timeToRemediate":   {"mean 90.0 days", "high: mean 90.0 days, p90 90.0 days (1 finding)"},
		"withinDeadline":    {"<strong>0%</strong>", "0 of 4"},
		"overdue":           {"<strong>3</strong>", "trend-bad", "&#43;1"},
		"ageOpen":           {"p50 1.0 day", "p90 1.0 day, 60 findings", "trend-good", "↓"},
		"timeToDetect":      {"mean 16.0 days", "p90 30.0 days, 2 findings", "trend-flat"},
		"acceptedActive":    {"<strong>0</strong>", "trend-flat"},
		"openKev":           {"<strong>1</strong>"},
		"inventoryCoverage": {"<strong>0.5%</strong>", "1 of 204 services"},
	} {
		got := row(key)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("metric %s lacks %q:\n%s", key, w, got)
			}
		}
	}
	if !strings.Contains(r.body, "trend-good") {
		t.Error("no metric moved the right way; the fixture should have one")
	}

	// A team's and a service's scope.
	r = c.get("/vulnerabilities/metrics?scope=team:payments")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "The CVE process of team payments", `<option value="team:payments" selected>`, `href="/vulnerabilities?team=payments"`)
	r = c.get("/vulnerabilities/metrics?scope=" + url.QueryEscape("service:checkout"))
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "The CVE process of service checkout", `<option value="service:checkout" selected>`, "1 of 1 service")
	wantStatus(t, c.get("/vulnerabilities/metrics?scope=service:nope"), http.StatusNotFound)
	r = c.get("/vulnerabilities/metrics?scope=planet:earth")
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "scope must be empty (everything), team:NAME or service:NAME")
}

func TestTrendAndSparkline(t *testing.T) {
	open := vuln.MetricDefinitions[0]
	resolved := vuln.MetricDefinitions[2]
	if open.Key != "open" || resolved.Key != "resolved" {
		t.Fatal("MetricDefinitions changed order")
	}
	snap := func(d int, open, resolved int) vuln.Metrics {
		return vuln.Metrics{At: testNow.Add(time.Duration(d) * day), Open: open, Resolved: resolved}
	}
	if tr := trendOf(open, nil); !tr.None {
		t.Errorf("trend of nothing: %+v", tr)
	}
	if tr := trendOf(open, []vuln.Metrics{snap(0, 1, 0)}); !tr.None || sparkline(open, []vuln.Metrics{snap(0, 1, 0)}) != nil {
		t.Errorf("trend of one snapshot: %+v", tr)
	}
	// Compared with the snapshot closest to a week before the last.
	trend := []vuln.Metrics{snap(-30, 50, 0), snap(-8, 20, 3), snap(-6, 30, 5), snap(-1, 12, 9), snap(0, 10, 9)}
	for _, tc := range []struct {
		def          vuln.Definition
		arrow, class string
		delta        string
	}{
		{open, "↓", "trend-good", "−10"},
		{resolved, "↑", "trend-good", "+6"},
	} {
		tr := trendOf(tc.def, trend)
		if tr.Arrow != tc.arrow || tr.Class != tc.class || tr.Delta != tc.delta || !strings.Contains(tr.Text, "on 2026-11-12") {
			t.Errorf("%s: %+v", tc.def.Key, tr)
		}
	}
	worse := trendOf(open, []vuln.Metrics{snap(-2, 1, 0), snap(0, 4, 0)})
	if worse.Arrow != "↑" || worse.Class != "trend-bad" || worse.Text != "worse: 1 on 2026-11-18, 4 on 2026-11-20" {
		t.Errorf("worse: %+v", worse)
	}
	if flat := trendOf(open, []vuln.Metrics{snap(-7, 4, 0), snap(0, 4, 0)}); flat.Arrow != "→" || flat.Class != "trend-flat" {
		t.Errorf("flat: %+v", flat)
	}

	// Points are placed by date: the highest value at the top, the lowest
	// at the bottom, the last one marked.
	sp := sparkline(open, []vuln.Metrics{snap(-10, 10, 0), snap(-9, 30, 0), snap(0, 20, 0)})
	if sp.Points != "3.0,25.0 14.4,3.0 117.0,14.0" || sp.LastX != "117.0" || sp.LastY != "14.0" ||
		sp.Title != "Open findings over 3 daily snapshots from 2026-11-10 to 2026-11-20: from 10 to 20, lowest 10, highest 30" {
		t.Errorf("sparkline: %+v", sp)
	}
	// A flat line sits in the middle.
	if sp := sparkline(open, []vuln.Metrics{snap(-1, 5, 0), snap(0, 5, 0)}); sp.Points != "3.0,14.0 117.0,14.0" {
		t.Errorf("flat sparkline: %s", sp.Points)
	}
}

func TestMetricValues(t *testing.T) {
	m := vuln.Metrics{
		OpenBySeverity: map[string]int{"critical": 2}, Open: 2,
		TimeToRemediate: map[string]vuln.Stat{"critical": {Count: 2, Mean: 3.25, P90: 4}, "low": {Count: 1, Mean: 1, P90: 1}},
		WithinDeadline:  vuln.Ratio{Good: 2, Total: 3, Share: 2.0 / 3},
		AgeOpen:         vuln.Stat{Count: 1, P50: 1, P90: 1},
	}
	for key, want := range map[string]string{
		"open": "2", "timeToRemediate": "mean 2.5 days", "withinDeadline": "67%", "ageOpen": "p50 1.0 day",
		"timeToDetect": "—", "inventoryCoverage": "—", "overdue": "0",
	} {
		if got, _ := metricValue(key, &m); got != want {
			t.Errorf("metricValue(%s) = %q, want %q", key, got, want)
		}
	}
	if _, parts := metricValue("timeToRemediate", &m); len(parts) != 2 || parts[0].Text != "critical: mean 3.2 days, p90 4.0 days (2 findings)" {
		t.Errorf("time to remediate parts: %+v", parts)
	}
	for _, tc := range []struct {
		key  string
		v    float64
		want string
	}{
		{"open", 3, "3"}, {"withinDeadline", 50, "50%"}, {"withinDeadline", 66.67, "67%"}, {"inventoryCoverage", 0.49, "0.5%"},
		{"inventoryCoverage", 0, "0%"}, {"inventoryCoverage", 9.96, "10%"}, {"ageOpen", 2.5, "2.5 days"}, {"timeToDetect", 1, "1.0 day"},
	} {
		if got := headlineText(tc.key, tc.v); got != tc.want {
			t.Errorf("headlineText(%s, %v) = %q, want %q", tc.key, tc.v, got, tc.want)
		}
	}
}

func TestServicePageVulnerabilities(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/services/checkout")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h2 id="vulnerabilities">Vulnerabilities</h2>`, "cyclonedx from <code class=\"wrap\">sbom/checkout.cdx.json</code>, recorded 2026-11-12 12:00 UTC",
		"<dt>Components</dt><dd>2</dd>", "<li>1 component without a version was skipped</li>",
		`<details class="components">`, "<summary>Components (2)</summary>", "<code class=\"wrap\">pkg:pypi/urllib3@1.26.0</code>",
		`<a href="/vulnerabilities/findings/`+idCheckoutRCE+`">GHSA-rce0-0001-aaaa</a>`, `<a href="/vulnerabilities/findings/`+idCheckoutDoS+`">`,
		`href="/vulnerabilities?service=checkout"`, `href="/vulnerabilities/metrics?scope=service%3Acheckout"`)

	r = c.get("/services/db-core")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "No inventory recorded yet: run <code>palisade scan --service db-core FILE</code>.",
		`<a href="/vulnerabilities/findings/`+idDBLow+`">PYSEC-2026-4</a>`)
	if strings.Contains(r.body, idDBDoS) {
		t.Error("a resolved finding is listed among the open ones")
	}
	wantContains(t, c.get("/services/svc-100"), "svc-100 has no open findings.")

	over := c.get("/")
	wantStatus(t, over, http.StatusOK)
	wantContains(t, over, fmt.Sprintf(`<a href="/vulnerabilities"><span class="figure-n">%d</span> open</a>`, openFindings),
		`<a href="/vulnerabilities?overdue=1"><span class="figure-n figure-bad">3</span> overdue</a>`,
		`<a href="/vulnerabilities?kev=1"><span class="figure-n figure-bad">1</span> open KEV</a>`)
	card := over.body[strings.Index(over.body, "The CVE process"):]
	if card = card[:strings.Index(card, `<li class="card">`)]; strings.Contains(card, "Not built yet") {
		t.Error("the CVE process card still says it is not built")
	}
	// The navigation leads to the metrics, under the capability.
	wantContains(t, over, `<li class="sub"><a href="/vulnerabilities/metrics">CVE metrics</a></li>`)
}

// TestVulnPagesHaveNoInlineScriptOrStyle runs the CSP scan over the CVE
// pages in each of their states: filtered, paged, empty, with a refused
// form, and as a viewer.
func TestVulnPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	pages := map[string]*response{}
	for _, p := range []string{"/vulnerabilities", "/vulnerabilities?state=all&severity=high", "/vulnerabilities?team=nobody",
		"/vulnerabilities?after=" + idAPIDoS, "/vulnerabilities?done=2&did=triaged", "/vulnerabilities/findings/" + idCheckoutRCE,
		"/vulnerabilities/findings/" + idDBDoS, "/vulnerabilities/metrics", "/vulnerabilities/metrics?scope=team:payments",
		"/vulnerabilities/metrics?scope=service:svc-100", "/services/checkout", "/services/db-core", "/", "/vulnerabilities?severity=x"} {
		pages[p] = c.get(p)
	}
	page := pages["/vulnerabilities"]
	pages["refused bulk triage"] = c.post("/vulnerabilities/triage", bulkPost(page, "/vulnerabilities", []string{idAPIDoS}, "state", "not_affected", "reason", "x"))
	pages["refused finding triage"] = c.post("/vulnerabilities/findings/"+idAPIDoS+"/triage", url.Values{"csrf": {csrfField(t, page.body)}, "state": {"x"}})
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	pages["viewer list"] = viewer.get("/vulnerabilities")
	pages["viewer finding"] = viewer.get("/vulnerabilities/findings/" + idCheckoutRCE)
	for name, r := range pages {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
		}
		for _, problem := range checkHTML(r.body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}
