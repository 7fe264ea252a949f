package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/store"
)

// Keys of the fixture's incidents; seedIncidents returns their ids.
const (
	// incActive is a security SEV1 on checkout and payments-api, opened
	// by alice three hours ago, active, with alice as commander, bob as
	// scribe, a note by bob and links to a finding, an SLO and a URL.
	incActive = "active"
	// incRestricted is a restricted security SEV1 on payments-api that
	// only ir-lead (and admins) may see.
	incRestricted = "restricted"
	// incTriage was opened by an internal alert on db-core half an hour
	// ago: SEV2, in triage, one alert attached.
	incTriage = "triage"
	// incClosed was opened by an Alertmanager alert on checkout forty
	// days ago and went through every status to closed.
	incClosed = "closed"
	// incDeclined was declined after a quarter of an hour.
	incDeclined = "declined"
	// incMerged was folded into incActive.
	incMerged = "merged"
)

// fixtureClock is the incident service's clock in tests: seeding walks it
// through the past; afterwards it stays at testNow.
type fixtureClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixtureClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixtureClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// person is the context of a responder token named name.
func person(name string) context.Context {
	return palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: name, Role: palisade.RoleResponder, Address: "test"})
}

// historyIncidents are resolved and closed incidents spread over the last
// three months, for the metrics and their weekly charts.
var historyIncidents = []struct {
	daysAgo  int
	title    string
	kind     string
	severity string
	services []string
	resolve  time.Duration
}{
	{80, "Exposed admin port on svc-001", incident.KindSecurity, "SEV2", []string{"svc-001"}, 3 * time.Hour},
	{60, "db-core replication lag", incident.KindReliability, "SEV3", []string{"db-core"}, 45 * time.Minute},
	{45, "Card data in payment logs", incident.KindSecurity, "SEV1", []string{"payments-api", "checkout"}, 6 * time.Hour},
	{30, "Status page certificate expired", incident.KindReliability, "SEV4", nil, 20 * time.Minute},
	{15, "Phishing page imitating svc-002", incident.KindSecurity, "SEV3", []string{"svc-002"}, time.Hour},
	{8, "db-core failover", incident.KindReliability, "SEV2", []string{"db-core"}, 2 * time.Hour},
}

// seedIncidents records the fixture's incidents the way alerts and
// responders would have, at their times, and returns incident response at
// testNow with the ids of the incidents by key.
func seedIncidents(t testing.TB, db *store.DB, reg *catalog.Registry) (*incident.Service, map[string]string) {
	t.Helper()
	clock := &fixtureClock{}
	is := incident.NewService(db, db, reg, clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	at := func(d time.Duration) { clock.set(testNow.Add(d)) }
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	status := func(who, id, to, note string) {
		t.Helper()
		_, err := is.Update(person(who), id, incident.Patch{Status: &to, Note: note})
		must(id+" to "+to, err)
	}
	open := func(who string, req incident.OpenRequest) string {
		t.Helper()
		inc, err := is.Open(person(who), req)
		must("open "+req.Title, err)
		return inc.ID
	}
	system := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	ids := map[string]string{}

	for _, h := range historyIncidents {
		start := -time.Duration(h.daysAgo) * day
		at(start)
		impact := testNow.Add(start - 15*time.Minute)
		id := open("alice", incident.OpenRequest{Title: h.title, Kind: h.kind, Severity: h.severity, Services: h.services, ImpactStartedAt: &impact})
		at(start + 10*time.Minute)
		status("alice", id, incident.StatusActive, "")
		at(start + h.resolve)
		status("alice", id, incident.StatusResolved, "")
		at(start + h.resolve + time.Hour)
		status("alice", id, incident.StatusClosed, "")
	}

	// An Alertmanager alert opens an incident on checkout; it is worked
	// through to closed.
	start := -40 * day
	at(start)
	page := incident.Signal{Source: "alertmanager", Kind: "alertmanager", DedupKey: "HighErrorRate-checkout", Action: incident.ActionTrigger,
		Summary: "checkout 5xx above 5%", Severity: "critical", StartsAt: testNow.Add(start - 12*time.Minute),
		Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}}
	res, err := is.Ingest(system, []incident.Signal{page})
	must("ingest", err)
	ids[incClosed] = res.Opened[0]
	at(start + 5*time.Minute)
	status("alice", ids[incClosed], incident.StatusActive, "")
	at(start + 30*time.Minute)
	status("alice", ids[incClosed], incident.StatusMitigated, "rolled back release 2026.10.3")
	at(start + 115*time.Minute)
	page.Action = incident.ActionResolve
	_, err = is.Ingest(system, []incident.Signal{page})
	must("resolve alert", err)
	at(start + 2*time.Hour)
	status("alice", ids[incClosed], incident.StatusResolved, "")
	at(start + day)
	status("alice", ids[incClosed], incident.StatusClosed, "")

	at(-20 * day)
	ids[incDeclined] = open("alice", incident.OpenRequest{Title: "Sign-in from a new country", Kind: incident.KindSecurity, Severity: "SEV4", Services: []string{"checkout"}})
	at(-20*day + 15*time.Minute)
	status("alice", ids[incDeclined], incident.StatusDeclined, "the user was travelling")

	at(-day)
	ids[incRestricted] = open("ir-lead", incident.OpenRequest{Title: "Suspected leak of a signing key", Kind: incident.KindSecurity, Severity: "SEV1",
		Services: []string{"payments-api"}, Restricted: true, Commander: "ir-lead"})
	at(-day + 30*time.Minute)
	status("ir-lead", ids[incRestricted], incident.StatusActive, "")

	at(-3*time.Hour - 10*time.Minute)
	ids[incMerged] = open("bob", incident.OpenRequest{Title: "Login errors on checkout", Kind: incident.KindReliability, Severity: "SEV3", Services: []string{"checkout"}})
	at(-3 * time.Hour)
	impact := testNow.Add(-4 * time.Hour)
	ids[incActive] = open("alice", incident.OpenRequest{Title: "Credential stuffing against checkout sign-in", Kind: incident.KindSecurity, Severity: "SEV1",
		Summary: "Sign-in failures from a botnet; some accounts may be taken over.", Services: []string{"checkout", "payments-api"}, Commander: "alice",
		ImpactStartedAt: &impact, Links: []incident.Link{{Kind: "url", Ref: "https://status.example.com/incidents/42"},
			{Kind: "finding", Ref: idCheckoutRCE}, {Kind: "slo", Ref: sloLogin}}})
	at(-2*time.Hour - 50*time.Minute)
	status("alice", ids[incActive], incident.StatusActive, "")
	at(-2*time.Hour - 40*time.Minute)
	_, err = is.Merge(person("bob"), ids[incMerged], ids[incActive])
	must("merge", err)
	at(-2 * time.Hour)
	_, err = is.Note(person("bob"), ids[incActive], "Blocked the top 20 source networks at the edge.")
	must("note", err)
	at(-time.Hour)
	_, err = is.Update(person("alice"), ids[incActive], incident.Patch{Roles: map[string]string{"scribe": "bob"}})
	must("roles", err)

	at(-30 * time.Minute)
	res, err = is.Ingest(system, []incident.Signal{{Source: "palisade", Kind: "internal", DedupKey: "disk-db-core", Action: incident.ActionTrigger,
		Summary: "db-core disk 92% full", Severity: "critical", Labels: map[string]string{"service": "db-core", "severity": "critical"}}})
	must("ingest internal", err)
	ids[incTriage] = res.Opened[0]

	at(0)
	return is, ids
}

// incident reads an incident as the system sees it.
func (a *testApp) incident(t testing.TB, key string) *incident.Incident {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	inc, err := a.inc.Get(ctx, a.incidents[key])
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// timeline reads an incident's timeline as the system sees it.
func (a *testApp) timeline(t testing.TB, key string) []incident.Entry {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	tl, err := a.inc.Timeline(ctx, a.incidents[key], 0)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestIncidentFixture(t *testing.T) {
	app := newTestApp(t)
	for key, want := range map[string]string{incActive: "active", incRestricted: "active", incTriage: "triage", incClosed: "closed",
		incDeclined: "declined", incMerged: "merged"} {
		if got := app.incident(t, key); got.Status != want {
			t.Errorf("%s (%s): status %s, want %s", key, got.ID, got.Status, want)
		}
	}
	if inc := app.incident(t, incActive); inc.Roles["scribe"] != "bob" || inc.Alerts != 0 {
		t.Errorf("active incident: roles %v, %d alerts", inc.Roles, inc.Alerts)
	}
	if inc := app.incident(t, incTriage); inc.Severity != "SEV2" || inc.Kind != incident.KindSecurity || inc.Alerts != 1 {
		t.Errorf("triage incident: %s %s, %d alerts", inc.Severity, inc.Kind, inc.Alerts)
	}
}

var incidentLinkRE = regexp.MustCompile(`<a href="/incidents/(INC-[0-9]+)"><span class="inc-id">`)

// listedIncidents returns the ids of the incidents a page's tables list,
// in order.
func listedIncidents(body string) []string {
	var ids []string
	for _, m := range incidentLinkRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestIncidentList(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	id := app.incidents

	r := c.get("/incidents")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Incidents</h1>", `<a href="/incidents" aria-current="page">Incidents</a>`,
		`<li class="sub"><a href="/incidents/metrics">Incident metrics</a></li>`, `<a class="button" href="/incidents/new">Open an incident</a>`,
		"Open incidents: 3</h2>",
		`<a class="sevcount sevcount-inc" href="/incidents?severity=SEV1&amp;status=open"><span class="sevcount-n">2</span> <span class="isev isev-1" title="SEV1: Critical">SEV1</span></a>`,
		`<span class="sevcount-n">1</span> <span class="isev isev-2" title="SEV2: Major">SEV2</span>`,
		`<span class="sevcount-n">0</span> <span class="isev isev-4" title="SEV4: Low">SEV4</span>`,
		// The active incident in full.
		`<td class="inc-title"><a href="/incidents/`+id[incActive]+`"><span class="inc-id">`+id[incActive]+`</span> Credential stuffing against checkout sign-in</a><span class="reason">security · payments</span></td>`,
		`<td><span class="istatus istatus-active">active</span></td>`,
		`<a class="chip" href="/services/checkout">checkout</a> <a class="chip" href="/services/payments-api">payments-api</a>`,
		`<td>alice</td>`, `<time datetime="2026-11-20T09:00:00Z">2026-11-20 09:00 UTC</time>`, `<td>3 hours</td>`,
		// The restricted one is marked; the ended ones say how they ended.
		`Suspected leak of a signing key</a> <span class="badge restricted"`,
		"resolved in 2 hours", "<td>declined</td>", "<td>merged into "+id[incActive]+"</td>",
		"<h2 id=\"past-h\">Incidents that are over</h2>")
	// Open first, most severe first (the two SEV1s newest first), then
	// the others newest first.
	want := []string{id[incActive], id[incRestricted], id[incTriage], id[incMerged], id[incDeclined], id[incClosed]}
	got := listedIncidents(r.body)
	if len(got) != 6+len(historyIncidents) {
		t.Fatalf("listed %v, want %d incidents", got, 6+len(historyIncidents))
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("row %d is %s, want %s (all: %v)", i, got[i], w, got)
		}
	}

	for path, want := range map[string][]string{
		"/incidents?status=open":                  {id[incActive], id[incRestricted], id[incTriage]},
		"/incidents?status=open&severity=SEV2":    {id[incTriage]},
		"/incidents?status=declined":              {id[incDeclined]},
		"/incidents?kind=reliability&status=open": nil,
		"/incidents?service=db-core":              {id[incTriage], "INC-6", "INC-2"},
		"/incidents?team=platform":                {id[incTriage], "INC-6", "INC-2"}, // alert-opened: the service owner's team
		"/incidents?severity=SEV1":                {id[incActive], id[incRestricted], "INC-3"},
		"/incidents?status=closed&before=INC-4":   {"INC-3", "INC-2", "INC-1"},
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusOK)
		if got := listedIncidents(r.body); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s lists %v, want %v", path, got, want)
		}
	}
	r = c.get("/incidents?status=closed&before=INC-4")
	wantContains(t, r, `<a href="/incidents?status=closed">« First page</a>`, "<h2 id=\"past-h\">Incidents closed</h2>")
	r = c.get("/incidents?status=open&kind=reliability")
	wantContains(t, r, "No incident is open that matches the filter.", "Open incidents matching the filter: 0")

	for path, msg := range map[string]string{
		"/incidents?status=over":  "status must be open or one of triage",
		"/incidents?kind=mystery": "kind must be security or reliability",
		"/incidents?before=x":     "before must be an incident id",
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, msg)
	}
}

func TestIncidentPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	id := app.incidents

	r := c.get("/incidents/" + id[incActive])
	wantStatus(t, r, http.StatusOK)
	tl := app.timeline(t, incActive)
	last := tl[len(tl)-1].ID
	wantContains(t, r, `<h1><span class="inc-id">`+id[incActive]+`</span> Credential stuffing against checkout sign-in</h1>`,
		`<span class="isev isev-1" title="SEV1: Critical">SEV1</span>`, `<span class="istatus istatus-active">active</span>`,
		`<span class="badge kind-badge kind-security">security</span>`,
		`<a href="/incidents?service=checkout">Incidents of checkout</a><a href="/incidents?service=payments-api">Incidents of payments-api</a><a href="/incidents/metrics">Incident metrics</a>`,
		"Sign-in failures from a botnet; some accounts may be taken over.",
		`<a class="chip" href="/services/checkout">checkout</a>`, `<a href="/teams/payments">payments</a>`,
		`<li><span class="kind">url</span> <a href="https://status.example.com/incidents/42" rel="noopener noreferrer" class="external">https://status.example.com/incidents/42</a></li>`,
		`<li><span class="kind">finding</span> <a href="/vulnerabilities/findings/`+idCheckoutRCE+`">`+idCheckoutRCE+`</a></li>`,
		`<li><span class="kind">slo</span> <a href="/slos/checkout-login">checkout-login</a></li>`,
		`<li><span class="kind">incident</span> <a href="/incidents/`+id[incMerged]+`">`+id[incMerged]+`</a></li>`,
		`<dt class="cap">commander</dt><dd>alice</dd>`, `<dt class="cap">deputy</dt><dd><span class="none">unassigned</span></dd>`,
		`<dt class="cap">scribe</dt><dd>bob</dd>`, "<dt>Participants</dt><dd>alice, bob</dd>",
		`<dt>Impact started</dt><dd><time datetime="2026-11-20T08:00:00Z">2026-11-20 08:00 UTC</time> <span class="muted">(detected 1 hour later)</span></dd>`,
		`<dt>Acknowledged</dt><dd><time datetime="2026-11-20T09:10:00Z">2026-11-20 09:10 UTC</time> <span class="muted">(10 minutes after opening)</span></dd>`,
		`<dt>Mitigated</dt><dd><span class="none">not yet</span></dd>`,
		// The live timeline's hooks and the entries, oldest first.
		`<ol class="timeline incident-timeline" id="timeline" data-live="/incidents/`+id[incActive]+`/timeline.json" data-after="`+strconv.FormatInt(last, 10)+`" data-poll="5000" data-status="active" data-severity="SEV1">`,
		`<li class="entry entry-note" id="entry-`, `<span class="entry-kind">note</span> · <code>token:bob</code></p>`,
		`<p class="entry-text prewrap">Blocked the top 20 source networks at the edge.</p>`,
		`<time datetime="2026-11-20T10:00:00Z">2026-11-20 10:00:00 UTC</time>`, "merged in (0 alerts): Login errors on checkout",
		`<p class="live-status" id="timeline-live" aria-live="polite" hidden></p>`,
		// Forms: the moves the incident allows, the reasons for the others.
		`<form method="post" action="/incidents/`+id[incActive]+`/status">`, `<label for="s-status">Move from active to</label>`,
		`<option value="mitigated">mitigated</option>`, `<option value="resolved">resolved</option>`,
		`<li><span class="istatus istatus-closed">closed</span> an incident is closed only after it is resolved: resolve it first (or decline it if it was not an incident).</li>`,
		`<li><span class="istatus istatus-declined">declined</span> only an incident still in triage can be declined.</li>`,
		`<option value="SEV1" selected>SEV1: Critical</option>`,
		`<input id="r-commander" name="role-commander" value="alice" maxlength="256" list="people"`, `<input type="hidden" name="was-commander" value="alice">`,
		`<datalist id="people"><option value="alice"></option><option value="alice@example.com"></option><option value="bob"></option><option value="bob@example.com"></option></datalist>`,
		`<form method="post" action="/incidents/`+id[incActive]+`/notes" class="note-form">`,
		"No alert is attached: this incident was opened by hand.")
	if strings.Contains(r.body, `<option value="closed">`) || strings.Contains(r.body, `<option value="merged">`) {
		t.Error("the status form offers a move the incident refuses")
	}
	if !before(r.body, "opened SEV1 security incident", "Blocked the top 20") {
		t.Error("the timeline is not oldest first")
	}

	// An incident an alert opened shows the alert.
	r = c.get("/incidents/" + id[incTriage])
	wantContains(t, r, "db-core disk 92% full<span class=\"reason\">palisade · <code class=\"wrap\">disk-db-core</code> · rule default</span>",
		`<span class="labels"><span class="chip">service=db-core</span> <span class="chip">severity=critical</span> </span>`,
		`<span class="alert-status alert-status-firing">firing</span>`, `<td><a href="/services/db-core">db-core</a></td>`,
		`<option value="declined">declined</option>`, "opened SEV2 security incident by routing rule default", "<code>alert:palisade</code>")

	// A closed incident takes notes only; a merged one says where it went.
	r = c.get("/incidents/" + id[incClosed])
	wantContains(t, r, "This incident is closed: it can no longer change, but notes can still be added to its timeline. a closed incident is final; open a new incident and link this one.",
		"alert resolved: checkout 5xx above 5%", "rolled back release 2026.10.3", `<span class="alert-status alert-status-resolved">resolved</span>`,
		`<dt>Resolved</dt><dd><time datetime="2026-10-11T14:00:00Z">2026-10-11 14:00 UTC</time> <span class="muted">(2 hours after opening)</span></dd>`,
		`(detected 12 minutes later)`)
	if n := strings.Count(r.body, `method="post"`); n != 2 {
		t.Errorf("closed incident: %d post forms, want sign-out and the note", n)
	}
	r = c.get("/incidents/" + id[incMerged])
	wantContains(t, r, `<span>merged into <a href="/incidents/`+id[incActive]+`">`+id[incActive]+`</a></span>`,
		"a merged incident cannot be reopened or changed: work on the incident it was merged into")

	for path, status := range map[string]int{"/incidents/INC-999": 404, "/incidents/inc-1": 404, "/incidents/INC-01": 404, "/incidents/INC-1/nope": 404} {
		wantStatus(t, c.get(path), status)
	}
	r = c.get("/incidents/" + id[incActive] + "?done=note")
	wantContains(t, r, `<p class="confirm" role="status">Your note is on the timeline.</p>`)
}

// incidentForm posts form to an incident's action with the page's CSRF
// token.
func (c *client) incidentForm(id, action string, form url.Values) *response {
	c.t.Helper()
	page := c.get("/incidents/" + id)
	form.Set("csrf", csrfField(c.t, page.body))
	return c.post("/incidents/"+id+"/"+action, form)
}

func TestIncidentForms(t *testing.T) {
	app := newTestApp(t)
	c := app.signInAs(t, "carol", palisade.RoleResponder)
	id := app.incidents[incActive]

	// A move the incident allows, with a note.
	r := c.incidentForm(id, "status", url.Values{"status": {"mitigated"}, "note": {"edge rules hold; resets sent"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/incidents/"+id+"?done=status" {
		t.Errorf("after a status change Location = %q", loc)
	}
	inc := app.incident(t, incActive)
	if inc.Status != "mitigated" || inc.MitigatedAt == nil || !slices.Contains(inc.Participants, "carol") {
		t.Errorf("after the form: %s, mitigated %v, participants %v", inc.Status, inc.MitigatedAt, inc.Participants)
	}
	page := c.get(r.Header.Get("Location"))
	wantContains(t, page, "The status is changed.", "status: active → mitigated", "edge rules hold; resets sent", "<code>session:carol</code>")

	// A move it refuses, from a form that is out of date: the reason, in
	// place, and what was typed is kept.
	r = c.incidentForm(id, "status", url.Values{"status": {"declined"}, "note": {"false alarm?"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<legend>Status</legend>
        <p class="alert" role="alert">only an incident still in triage can be declined</p>`, ">false alarm?</textarea>")
	r = c.incidentForm(id, "status", url.Values{"status": {"mitigated"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<p class="alert" role="alert">the incident is already mitigated</p>`)
	r = c.incidentForm(id, "status", url.Values{"status": {"sideways"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "unknown status &#34;sideways&#34;")

	// Severity.
	r = c.incidentForm(id, "severity", url.Values{"severity": {"SEV2"}, "note": {"no account taken over"}})
	wantStatus(t, r, http.StatusSeeOther)
	if inc := app.incident(t, incActive); inc.Severity != "SEV2" {
		t.Errorf("severity %s after the form", inc.Severity)
	}
	r = c.incidentForm(id, "severity", url.Values{"severity": {"SEV9"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<legend>Severity</legend>
        <p class="alert" role="alert">unknown severity &#34;SEV9&#34;: use SEV1, SEV2, SEV3, SEV4</p>`)

	// Roles: a changed field assigns, a cleared one unassigns, and one
	// the form did not change is left alone even if someone else changed
	// the role since the page was loaded.
	if _, err := app.inc.Update(person("alice"), id, incident.Patch{Roles: map[string]string{"deputy": "dave"}}); err != nil {
		t.Fatal(err)
	}
	r = c.incidentForm(id, "roles", url.Values{"role-commander": {"carol"}, "was-commander": {"alice"}, "role-scribe": {""}, "was-scribe": {"bob"},
		"role-deputy": {""}, "was-deputy": {""}, "role-communications": {"erin"}, "was-communications": {""}})
	wantStatus(t, r, http.StatusSeeOther)
	inc = app.incident(t, incActive)
	if inc.Roles["commander"] != "carol" || inc.Roles["deputy"] != "dave" || inc.Roles["scribe"] != "" || inc.Roles["communications"] != "erin" {
		t.Errorf("roles after the form: %v", inc.Roles)
	}
	r = c.incidentForm(id, "roles", url.Values{"role-commander": {"carol"}, "was-commander": {"carol"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "no role changed")
	r = c.incidentForm(id, "roles", url.Values{"role-deputy": {strings.Repeat("x", 300)}, "was-deputy": {"dave"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "the deputy&#39;s name is longer than 256 characters", `name="role-deputy" value="`+strings.Repeat("x", 300)+`"`)

	// Notes.
	r = c.incidentForm(id, "notes", url.Values{"text": {"  Customer comms sent at 12:05.  "}})
	wantStatus(t, r, http.StatusSeeOther)
	if tl := app.timeline(t, incActive); tl[len(tl)-1].Text != "Customer comms sent at 12:05." || tl[len(tl)-1].Actor != "session:carol" {
		t.Errorf("last entry after a note: %+v", tl[len(tl)-1])
	}
	r = c.incidentForm(id, "notes", url.Values{"text": {"   "}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<legend>Add a note</legend>
      <p class="alert" role="alert">a note needs text</p>`)

	// A closed incident still takes notes, and refuses anything else with
	// the reason at the top (its forms are not on the page).
	closed := app.incidents[incClosed]
	wantStatus(t, c.incidentForm(closed, "notes", url.Values{"text": {"retro scheduled"}}), http.StatusSeeOther)
	r = c.incidentForm(closed, "status", url.Values{"status": {"active"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<p class="alert" role="alert">a closed incident is final; open a new incident and link this one</p>`)
	if strings.Index(r.body, `role="alert"`) > strings.Index(r.body, `id="about-h"`) {
		t.Error("the refusal of a closed incident is not shown at the top")
	}

	// The forms need the session's CSRF token; a refused post changes
	// nothing.
	entries := len(app.timeline(t, incActive))
	for name, form := range map[string]url.Values{
		"no token":    {"text": {"sneaky"}},
		"wrong token": {"text": {"sneaky"}, "csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		r := c.post("/incidents/"+id+"/notes", form)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d", name, r.StatusCode)
		}
	}
	page = c.get("/incidents/" + id)
	r = c.post("/incidents/"+id+"/status", url.Values{"csrf": {csrfField(t, page.body)}, "status": {"resolved"}}, "Origin", "https://evil.example")
	wantStatus(t, r, http.StatusForbidden)
	if after := app.timeline(t, incActive); len(after) != entries || app.incident(t, incActive).Status != "mitigated" {
		t.Errorf("refused posts changed the incident: %d entries (was %d), status %s", len(after), entries, app.incident(t, incActive).Status)
	}
}

func TestIncidentPagesAsViewer(t *testing.T) {
	app := newTestApp(t)
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	id := app.incidents[incActive]
	for _, p := range []string{"/incidents", "/incidents/" + id, "/incidents/metrics", "/services/checkout"} {
		r := viewer.get(p)
		wantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.body, `method="post"`); n != 1 {
			t.Errorf("%s: %d post forms, want only sign-out's", p, n)
		}
		if strings.Contains(r.body, "/incidents/new") {
			t.Errorf("%s offers a viewer to open an incident", p)
		}
	}
	r := viewer.get("/incidents/" + id)
	wantContains(t, r, `<p class="role-note">Working an incident needs the <strong>responder</strong> role or higher; you are signed in as <strong>viewer</strong>.`,
		`data-live="/incidents/`+id+`/timeline.json"`)
	wantStatus(t, viewer.get("/incidents/new"), http.StatusForbidden)
	// A post a viewer crafts by hand is refused, with the reason on top.
	r = viewer.post("/incidents/"+id+"/notes", url.Values{"csrf": {csrfField(t, r.body)}, "text": {"hi"}})
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, `<p class="alert" role="alert">`, "needs responder")
	r = viewer.post("/incidents/new", url.Values{"csrf": {csrfField(t, r.body)}, "title": {"x"}})
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "<h1>Not allowed</h1>")
}

func TestRestrictedIncident(t *testing.T) {
	app := newTestApp(t)
	id := app.incidents[incRestricted]
	bob := app.signInAs(t, "bob", palisade.RoleResponder)
	lead := app.signInAs(t, "ir-lead", palisade.RoleResponder)
	admin := app.client(t)
	admin.mustSignIn()

	r := bob.get("/incidents/" + id)
	wantStatus(t, r, http.StatusNotFound)
	if strings.Contains(r.body, "signing key") {
		t.Error("the 404 page gives the restricted incident away")
	}
	r = bob.get("/incidents/" + id + "/timeline.json")
	wantStatus(t, r, http.StatusNotFound)
	r = bob.get("/incidents")
	wantContains(t, r, "Open incidents: 2</h2>")
	if strings.Contains(r.body, id) || strings.Contains(r.body, "signing key") {
		t.Error("bob's list shows the restricted incident")
	}
	r = bob.get("/")
	wantContains(t, r, `<a href="/incidents?status=open"><span class="figure-n figure-bad">2</span> open</a>`)
	// Bob cannot write to it either, whatever the form says.
	page := bob.get("/incidents/" + app.incidents[incActive])
	r = bob.post("/incidents/"+id+"/notes", url.Values{"csrf": {csrfField(t, page.body)}, "text": {"peek"}})
	wantStatus(t, r, http.StatusNotFound)

	for name, c := range map[string]*client{"ir-lead": lead, "admin": admin} {
		r := c.get("/incidents/" + id)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "Suspected leak of a signing key", `<span class="badge restricted"`, "only its participants and admins see it")
		if r := c.get("/incidents"); !strings.Contains(r.body, "signing key") {
			t.Errorf("%s's list lacks the restricted incident", name)
		}
	}
	// Giving bob a role lets him in.
	r = lead.incidentForm(id, "roles", url.Values{"role-deputy": {"bob"}, "was-deputy": {""}})
	wantStatus(t, r, http.StatusSeeOther)
	wantStatus(t, bob.get("/incidents/"+id), http.StatusOK)
}

func TestTimelineJSON(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	id := app.incidents[incActive]
	tl := app.timeline(t, incActive)
	last := tl[len(tl)-1].ID

	var got timelineResponse
	get := func(path string, want int) *response {
		t.Helper()
		r := c.get(path)
		wantStatus(t, r, want)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Content-Type %q, Cache-Control %q", path, ct, r.Header.Get("Cache-Control"))
		}
		got = timelineResponse{}
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, r.body)
		}
		return r
	}
	get("/incidents/"+id+"/timeline.json", http.StatusOK)
	if len(got.Entries) != len(tl) || got.Last != last || got.Status != "active" || got.Severity != "SEV1" {
		t.Fatalf("whole timeline: %d entries, last %d, %s %s; want %d, %d", len(got.Entries), got.Last, got.Status, got.Severity, len(tl), last)
	}
	if e := got.Entries[0]; e.Seq != tl[0].ID || e.At != "2026-11-20T09:00:00Z" || e.When != "2026-11-20 09:00:00 UTC" || e.Kind != "status" ||
		e.Class != "entry-status" || e.Actor != "token:alice" || e.Text != "opened SEV1 security incident" {
		t.Errorf("first entry: %+v", e)
	}
	get("/incidents/"+id+"/timeline.json?after="+strconv.FormatInt(last, 10), http.StatusOK)
	if len(got.Entries) != 0 || got.Last != last {
		t.Errorf("nothing new: %+v", got)
	}
	if !strings.Contains(c.get("/incidents/"+id+"/timeline.json?after="+strconv.FormatInt(last, 10)).body, `"entries":[]`) {
		t.Error("no entries is not an empty list")
	}

	// What the live page sees after someone adds a note elsewhere.
	if _, err := app.inc.Note(person("bob"), id, "<script>alert(1)</script> is in the logs"); err != nil {
		t.Fatal(err)
	}
	get("/incidents/"+id+"/timeline.json?after="+strconv.FormatInt(last, 10), http.StatusOK)
	if len(got.Entries) != 1 || got.Entries[0].Seq != last+1 || got.Last != last+1 || got.Entries[0].Text != "<script>alert(1)</script> is in the logs" ||
		got.Entries[0].Class != "entry-note" {
		t.Errorf("after a note: %+v", got)
	}

	for path, want := range map[string]int{
		"/incidents/" + id + "/timeline.json?after=-1": http.StatusBadRequest,
		"/incidents/" + id + "/timeline.json?after=x":  http.StatusBadRequest,
		"/incidents/INC-999/timeline.json":             http.StatusNotFound,
		"/incidents/nope/timeline.json":                http.StatusNotFound,
	} {
		r := c.get(path)
		wantStatus(t, r, want)
		var e struct{ Error string }
		if json.Unmarshal([]byte(r.body), &e) != nil || e.Error == "" {
			t.Errorf("%s: error body %q", path, r.body)
		}
	}
	// Signed out, the script gets a 401 it can act on, not the sign-in
	// page.
	anon := app.client(t)
	r := anon.get("/incidents/" + id + "/timeline.json")
	wantStatus(t, r, http.StatusUnauthorized)
	if !strings.Contains(r.body, `"error"`) || r.Header.Get("Location") != "" {
		t.Errorf("signed out: %q, Location %q", r.body, r.Header.Get("Location"))
	}
}

func TestOpenIncidentForm(t *testing.T) {
	app := newTestApp(t)
	c := app.signInAs(t, "carol", palisade.RoleResponder)

	r := c.get("/incidents/new?service=checkout")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Open an incident</h1>", `<a href="/incidents" aria-current="page">Incidents</a>`,
		`<input id="o-services" name="services" value="checkout"`, `<option value="SEV2" selected>SEV2: Major</option>`,
		`<option value="security" selected>security</option>`, `max="2026-11-20T12:00"`, `<option value="">From the first service</option>`)
	csrf := csrfField(t, r.body)
	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	r = c.post("/incidents/new", form("title", "Secrets in a public repository", "kind", "security", "severity", "SEV1", "services", "payments-api, db-core",
		"summary", "A deploy key was pushed.", "commander", "carol", "impact_started", "2026-11-20T10:30", "restricted", "1"))
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	m := regexp.MustCompile(`^/incidents/(INC-[0-9]+)\?done=opened$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after opening, Location = %q", loc)
	}
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	inc, err := app.inc.Get(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if inc.Title != "Secrets in a public repository" || inc.Severity != "SEV1" || strings.Join(inc.Services, ",") != "payments-api,db-core" ||
		inc.Roles["commander"] != "carol" || !inc.Restricted || inc.Team != "payments" || inc.ImpactStartedAt == nil ||
		!inc.ImpactStartedAt.Equal(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)) || inc.Summary != "A deploy key was pushed." {
		t.Errorf("opened: %+v", inc)
	}
	wantContains(t, c.get(loc), "The incident is open. Assign a commander, and keep the timeline going.", "Secrets in a public repository")

	// Refusals come back on the form, with what was typed.
	for name, tc := range map[string]struct {
		form url.Values
		want []string
	}{
		"no title":        {form("title", " ", "services", "checkout", "summary", "kept"), []string{"title is required", ">kept</textarea>", `value="checkout"`}},
		"unknown service": {form("title", "x", "services", "checkout nope"), []string{"service &#34;nope&#34; is not in the catalog", `value="checkout nope"`}},
		"bad time":        {form("title", "x", "impact_started", "yesterday"), []string{"the impact&#39;s start must be a date and time"}},
		"future impact":   {form("title", "x", "impact_started", "2026-11-21T10:00"), []string{"impact cannot start in the future"}},
		"unknown sev":     {form("title", "x", "severity", "SEV0"), []string{"unknown severity &#34;SEV0&#34;"}},
	} {
		r := c.post("/incidents/new", tc.form)
		wantStatus(t, r, http.StatusBadRequest)
		for _, w := range tc.want {
			if !strings.Contains(r.body, w) {
				t.Errorf("%s: body lacks %q", name, w)
			}
		}
	}
	wantStatus(t, c.post("/incidents/new", url.Values{"title": {"x"}}), http.StatusForbidden)

	// A token scoped to a team opens incidents for its team only.
	admin := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	_, secret, err := app.ids.CreateToken(admin, identity.CreateRequest{Name: "platform-oncall", Role: palisade.RoleResponder, Teams: []string{"platform"}})
	if err != nil {
		t.Fatal(err)
	}
	scoped := app.client(t)
	if r := scoped.signIn(secret, "/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("scoped sign-in = %d", r.StatusCode)
	}
	r = scoped.get("/incidents/new")
	wantContains(t, r, `<option value="platform" selected>platform</option>`)
	if strings.Contains(r.body, `<option value="payments"`) || strings.Contains(r.body, "From the first service") {
		t.Error("a platform token is offered other teams")
	}
	r = scoped.post("/incidents/new", url.Values{"csrf": {csrfField(t, r.body)}, "title": {"x"}, "services": {"checkout"}, "team": {"platform"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "service &#34;checkout&#34; is not one of your teams&#39; services")
}

func TestIncidentMetricsPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/incidents/metrics")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Incident metrics</h1>", `<a href="/incidents/metrics" aria-current="page">Incident metrics</a>`,
		"from 2026-08-22 12:00 UTC to 2026-11-20 12:00 UTC", `<option value="90" selected>the last 90 days</option>`,
		// Declined and merged incidents are left out: 6 + 4.
		`<span class="stat-n">10</span><span class="stat-l">opened in the period</span>`, `<span class="stat-n">3</span><span class="stat-l">open now</span>`,
		// Resolved: 20, 45, 60, 120, 120, 180 and 360 minutes.
		`<td class="num metric-value"><strong title="129.3 minutes">2 hours 9 minutes</strong></td>`,
		`<td class="num metric-value"><strong title="360 minutes">6 hours</strong></td>`,
		"<code>opened − impact started</code>", "<code>acknowledged − opened</code>", "<code>mitigated − opened</code>", "<code>resolved − opened</code>",
		"Declined and merged incidents: they were not separate incidents.",
		`<a href="/incidents?severity=SEV1"><span class="isev isev-1" title="SEV1: Critical">SEV1</span></a> Critical</td><td class="num">3</td>`,
		`<a href="/incidents?kind=security">security</a></td><td class="num">6</td>`,
		`<a href="/incidents?service=checkout">checkout</a></td><td class="num">3</td>`,
		`<h3 id="weekly-severity-h">By severity</h3>`, `<h3 id="weekly-kind-h">By kind</h3>`, `<h3 id="weekly-service-h">By service</h3>`,
		"Incidents opened per week, by severity, in the weeks of 2026-08-17 to 2026-11-16: 10 counted; SEV1 3, SEV2 4, SEV3 2, SEV4 1.",
		"Incidents opened per week, by kind, in the weeks of 2026-08-17 to 2026-11-16: 10 counted; security 6, reliability 4.",
		`class="stack fill-isev-1"`, `class="stack fill-kind-security"`, `class="stack fill-series-0"`, `class="stack fill-none"`)
	// Every definition of the capability is on the page, word for word.
	for key, def := range incident.MetricDefinitions {
		if !strings.Contains(r.body, htmlEscaped(def)) {
			t.Errorf("the definition of %s is not on the page: %q", key, def)
		}
	}
	// The weekly tables add up to the figures.
	weekly := regexp.MustCompile(`(?s)<table class="list compact-rows weekly">.*?</table>`).FindAllString(r.body, -1)
	total := regexp.MustCompile(`<td class="num">(\d+)</td></tr>`)
	for i, want := range []int{10, 10} {
		sum := 0
		for _, m := range total.FindAllStringSubmatch(weekly[i], -1) {
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		if sum != want {
			t.Errorf("weekly table %d adds up to %d, want %d", i, sum, want)
		}
	}

	r = c.get("/incidents/metrics?days=30")
	// From 30 days ago to the minute: three of the history and the three
	// open ones.
	wantContains(t, r, `<span class="stat-n">6</span><span class="stat-l">opened in the period</span>`)
	wantStatus(t, c.get("/incidents/metrics?days=7"), http.StatusBadRequest)

	// The figures count what the viewer may see: not the restricted one.
	bob := app.signInAs(t, "bob", palisade.RoleResponder)
	r = bob.get("/incidents/metrics")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<span class="stat-n">9</span><span class="stat-l">opened in the period</span>`, `<span class="stat-n">2</span><span class="stat-l">open now</span>`,
		"by severity, in the weeks of 2026-08-17 to 2026-11-16: 9 counted; SEV1 2, SEV2 4, SEV3 2, SEV4 1.")
	if strings.Contains(r.body, "signing key") {
		t.Error("the metrics give the restricted incident away")
	}
}

// htmlEscaped is s as html/template writes it in text.
func htmlEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestServiceAndOverviewIncidents(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/services/checkout")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h2 id="incidents-h">Incidents</h2>`, `<a href="/incidents?service=checkout">Every incident of checkout</a>`,
		`<a href="/incidents/new?service=checkout">Open an incident on checkout</a>`)
	if got := listedIncidents(r.body); strings.Join(got, " ") != app.incidents[incActive] {
		t.Errorf("checkout's page lists %v, want only its open incident", got)
	}
	r = c.get("/services/svc-100")
	wantContains(t, r, "No incident affecting svc-100 is open.")

	r = c.get("/")
	wantContains(t, r, `<a href="/incidents?status=open"><span class="figure-n figure-bad">3</span> open</a>`,
		`<a href="/incidents?severity=SEV1&amp;status=open"><span class="figure-n">2</span> SEV1</a>`,
		`<a href="/incidents/metrics">Incident metrics</a>: MTTD, MTTA, MTTM and MTTR.`)
	card := r.body[strings.Index(r.body, `<a href="/incidents">Incidents and retrospectives</a></h3>`):]
	if card = card[:strings.LastIndex(card, "</li>")]; strings.Contains(card, "Not built yet") || strings.Contains(card, "Not set up") {
		t.Error("the incidents card still says it is not there")
	}
}

// TestWithoutIncidentCapability serves the UI without Config.Incident: the
// navigation and /incidents say it is not set up, and no other incident
// page is served.
func TestWithoutIncidentCapability(t *testing.T) {
	app := newTestApp(t)
	ui := New(Config{Catalog: catalog.NewRegistry(app.db), Identity: app.ids, Vuln: app.vuln, SLO: app.slo, Gate: app.gate, Now: testClock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	bare := *app
	bare.srv = httptest.NewServer(testHandler(ui))
	t.Cleanup(bare.srv.Close)
	c := bare.client(t)
	c.mustSignIn()
	r := c.get("/incidents")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Incident response is not set up on this server", `Incidents <span class="soon">not set up</span>`)
	for _, p := range []string{"/incidents/" + app.incidents[incActive], "/incidents/metrics", "/incidents/new", "/incidents/INC-1/timeline.json"} {
		wantStatus(t, c.get(p), http.StatusNotFound)
	}
	if r := c.get("/services/checkout"); strings.Contains(r.body, "incidents-h") {
		t.Error("service page has an incidents section without the capability")
	}
	wantContains(t, c.get("/"), "Not set up on this server")
}

// TestIncidentPagesHaveNoInlineScriptOrStyle runs the CSP scan over the
// incident pages in each of their states.
func TestIncidentPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	pages := map[string]*response{}
	for _, p := range []string{"/incidents", "/incidents?status=open", "/incidents?status=closed&before=INC-3", "/incidents?status=x", "/incidents/metrics",
		"/incidents/metrics?days=30", "/incidents/new", "/incidents/new?service=checkout", "/incidents/INC-999"} {
		pages[p] = c.get(p)
	}
	for key, id := range app.incidents {
		pages[key] = c.get("/incidents/" + id)
	}
	pages["refused"] = c.incidentForm(app.incidents[incActive], "status", url.Values{"status": {"closed"}})
	pages["open refused"] = c.post("/incidents/new", url.Values{"csrf": {csrfField(t, pages["/incidents"].body)}})
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	pages["viewer incident"] = viewer.get("/incidents/" + app.incidents[incActive])
	for name, r := range pages {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
		}
		for _, problem := range checkHTML(r.body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

func TestValidIncidentID(t *testing.T) {
	for s, want := range map[string]bool{"INC-1": true, "INC-1234": true, "INC-0": false, "INC-01": false, "INC-": false, "inc-1": false,
		"INC-1a": false, "INC-1234567890123456789": false, "F0123456789abcdef": false} {
		if got := validIncidentID(s); got != want {
			t.Errorf("validIncidentID(%q) = %v", s, got)
		}
	}
}

func TestStackedWeeks(t *testing.T) {
	weeks := []string{"2026-11-02", "2026-11-09", "2026-11-16"}
	c := stackedWeeks("w", "By kind", weeks, []stackSeries{
		{Name: "security", Class: "fill-kind-security", Counts: []int{2, 0, 7}},
		{Name: "reliability", Class: "fill-kind-reliability", Counts: []int{1, 0, 3}},
	})
	// Two segments in two weeks, two legend swatches.
	if n := len(c.Rects); n != 6 {
		t.Fatalf("%d rects, want 6", n)
	}
	// The scale is whole counts from 0 to at least the highest week (10).
	var ticks []string
	for _, tx := range c.Texts {
		if tx.Class == "t-end axis-label" {
			ticks = append(ticks, tx.Text)
		}
	}
	if strings.Join(ticks, " ") != "0 3 6 9 12" {
		t.Errorf("ticks %v", ticks)
	}
	// Stacked: the second series starts where the first ends.
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if top, h := num(c.Rects[1].Y), num(c.Rects[1].H); math.Abs(top+h-num(c.Rects[0].Y)) > 0.11 || c.Rects[1].Title != "week of 2026-11-02, reliability: 1" {
		t.Errorf("rects %+v", c.Rects[:2])
	}
	if c.Title != "Incidents opened per week, by kind, in the weeks of 2026-11-02 to 2026-11-16: 13 counted; security 9, reliability 4." {
		t.Errorf("title %q", c.Title)
	}
	empty := stackedWeeks("e", "By service", weeks, nil)
	if len(empty.Rects) != 0 || !strings.Contains(empty.Title, ": 0 counted.") {
		t.Errorf("empty chart: %+v", empty)
	}
}
