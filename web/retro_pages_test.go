package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/retro/retroincident"
	"github.com/palisade-project/palisade/store"
)

// Keys of the fixture's retrospectives; seedRetros returns their ids.
const (
	// retroCard is the published review of "Card data in payment logs"
	// (SEV1, payments-api and checkout), tagged pci and logging, with an
	// overdue action item of alice's and a done one of bob's.
	retroCard = "card"
	// retroCheckout reviews incClosed, in review: every section but
	// "What went poorly" is written (the summary in Markdown with a
	// table, a demoted heading and HTML that must stay text), and carol
	// has an action item in progress, due in two weeks.
	retroCheckout = "checkout"
	// retroLag is the published review of "db-core replication lag",
	// tagged database, with an overdue action item of bob's in progress.
	retroLag = "lag"
	// retroFailover is an untouched draft of "db-core failover".
	retroFailover = "failover"
	// retroRestricted is ir-lead's draft of the restricted incident, with
	// an overdue action item only ir-lead and admins may see.
	retroRestricted = "restricted"
)

// checkoutSummary is the Markdown of retroCheckout's summary.
const checkoutSummary = "Release 2026.10.3 raised **5xx** on checkout.\n\n" +
	"### Error rates\n\n| Window | 5xx |\n| --- | --- |\n| 09:50 | 6% |\n\n" +
	"The payload `<script>alert(1)</script>` was in the logs: <script>alert(2)</script>\n\n" +
	"[a bad link](javascript:alert(3)) and <img src=x onerror=alert(4)>\n"

// retroTemplates is palisade.yaml's retrospectives section in the
// fixture: a second template besides the built-in default.
const retroTemplates = `
retrospectives:
  templates:
    - name: short
      sections:
        - {key: summary, title: What happened, prompt: "In a few sentences."}
        - {key: action_items, title: Follow-ups}
`

// seedRetros writes the fixture's retrospectives as responders would
// have, at their times, and returns the capability at testNow with the
// ids of the retrospectives by key.
func seedRetros(t testing.TB, db *store.DB, reg *catalog.Registry, is *incident.Service, incidents map[string]string) (*retro.Service, map[string]string) {
	t.Helper()
	clock := &fixtureClock{}
	rs := retro.NewService(db, retroincident.New(is), db, clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	reg.HandleSection(retro.SectionName, rs.Section())
	system := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	doc, err := catalog.ParseYAML("palisade.yaml", []byte(retroTemplates))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Apply(system, doc, catalog.ApplyOptions{}); err != nil {
		t.Fatalf("apply the templates: %v", err)
	}
	at := func(d time.Duration) { clock.set(testNow.Add(d)) }
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	byTitle := func(title string) string {
		t.Helper()
		list, _, err := is.List(system, incident.Filter{Query: title, Limit: incident.MaxPage})
		must("find "+title, err)
		for _, in := range list {
			if in.Title == title {
				return in.ID
			}
		}
		t.Fatalf("no incident %q", title)
		return ""
	}
	open := func(ctx context.Context, incidentID string) *retro.Retrospective {
		t.Helper()
		r, err := rs.Open(ctx, incidentID, retro.OpenRequest{})
		must("open the retrospective of "+incidentID, err)
		return r
	}
	// fill writes every empty section but the action items and those of
	// skip, with text about words.
	fill := func(ctx context.Context, r *retro.Retrospective, words string, p retro.Patch, skip ...string) {
		t.Helper()
		if p.Sections == nil {
			p.Sections = map[string]string{}
		}
		for _, s := range r.Sections {
			if _, set := p.Sections[s.Key]; set || s.Key == retro.KeyActionItem || strings.TrimSpace(s.Body) != "" {
				continue
			}
			if !strings.Contains(strings.Join(skip, " "), s.Key) {
				p.Sections[s.Key] = s.Title + ": " + words + "."
			}
		}
		_, err := rs.Update(ctx, r.ID, p)
		must("fill "+r.ID, err)
	}
	item := func(ctx context.Context, id string, in retro.ItemInput) {
		t.Helper()
		_, err := rs.AddActionItem(ctx, id, in)
		must("add an action item to "+id, err)
	}
	move := func(ctx context.Context, id string, to ...string) {
		t.Helper()
		for _, s := range to {
			_, err := rs.Transition(ctx, id, s, "")
			must(id+" to "+s, err)
		}
	}
	due := func(d time.Duration) *time.Time { t := testNow.Add(d); return &t }
	list := func(v ...string) *[]string { return &v }
	alice, bob, carol, lead := person("alice"), person("bob"), person("carol"), person("ir-lead")
	ids := map[string]string{}

	at(-59 * day)
	r := open(bob, byTitle("db-core replication lag"))
	ids[retroLag] = r.ID
	fill(bob, r, "replica lag after a vacuum on db-core", retro.Patch{Tags: list("database"), Authors: list("bob")})
	item(bob, r.ID, retro.ItemInput{Title: "Alert on replication lag before it reaches a minute", Owner: "bob", DueAt: due(-20 * day), Status: retro.StatusInProgress})
	at(-55 * day)
	move(bob, r.ID, retro.StateInReview, retro.StatePublished)

	at(-44 * day)
	r = open(alice, byTitle("Card data in payment logs"))
	ids[retroCard] = r.ID
	fill(alice, r, "card numbers written to payment logs by the SDK debug mode", retro.Patch{Tags: list("pci", "logging"), Authors: list("alice", "bob")})
	item(alice, r.ID, retro.ItemInput{Title: "Turn off SDK debug logging in production builds", Owner: "alice", DueAt: due(-10 * day),
		TrackerURL: "https://tracker.example.com/browse/SEC-101?focus=1"})
	item(bob, r.ID, retro.ItemInput{Title: "Scan the log pipelines for card numbers", Owner: "bob", DueAt: due(-30 * day), Status: retro.StatusDone})
	at(-40 * day)
	move(alice, r.ID, retro.StateInReview, retro.StatePublished)

	at(-38 * day)
	r = open(carol, incidents[incClosed])
	ids[retroCheckout] = r.ID
	fill(carol, r, "a release raised checkout errors until it was rolled back", retro.Patch{Sections: map[string]string{retro.KeySummary: checkoutSummary},
		Tags: list("release"), Authors: list("carol")}, "what_went_poorly")
	item(carol, r.ID, retro.ItemInput{Title: "Canary releases for checkout", Owner: "carol", DueAt: due(14 * day), Status: retro.StatusInProgress})
	move(carol, r.ID, retro.StateInReview)

	at(-7 * day)
	ids[retroFailover] = open(alice, byTitle("db-core failover")).ID

	at(-12 * time.Hour)
	r = open(lead, incidents[incRestricted])
	ids[retroRestricted] = r.ID
	item(lead, r.ID, retro.ItemInput{Title: "Rotate every signing key", Owner: "ir-lead", DueAt: due(-time.Hour)})

	at(0)
	return rs, ids
}

// retro reads a retrospective as the system sees it.
func (a *testApp) retro(t testing.TB, key string) *retro.Retrospective {
	t.Helper()
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	id := a.retros[key]
	if id == "" {
		id = key
	}
	r, err := a.rs.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRetroFixture(t *testing.T) {
	app := newTestApp(t)
	for key, want := range map[string]string{retroCard: retro.StatePublished, retroCheckout: retro.StateInReview, retroLag: retro.StatePublished,
		retroFailover: retro.StateDraft, retroRestricted: retro.StateDraft} {
		if got := app.retro(t, key); got.State != want {
			t.Errorf("%s (%s): %s, want %s", key, got.ID, got.State, want)
		}
	}
	if r := app.retro(t, retroCheckout); r.IncidentID != app.incidents[incClosed] || r.CheckPublishable() == nil {
		t.Errorf("checkout retrospective: incident %s, publishable", r.IncidentID)
	}
}

var retroLinkRE = regexp.MustCompile(`<h3 class="hit-title"><a href="/retrospectives/(RETRO-[0-9]+)">`)

// listedRetros returns the ids of the retrospectives the library lists,
// in order.
func listedRetros(body string) []string {
	var ids []string
	for _, m := range retroLinkRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestRetroLibrary(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	id := app.retros

	r := c.get("/retrospectives")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Retrospectives</h1>", `<li class="sub"><a href="/retrospectives" aria-current="page">Retrospectives</a></li>`,
		`<h2 id="counts-h" class="counts-h">Retrospectives: 5</h2>`,
		`<a class="sevcount sevcount-inc" href="/retrospectives?state=draft"><span class="sevcount-n">2</span> <span class="rstate rstate-draft">draft</span></a>`,
		`<span class="sevcount-n">1</span> <span class="rstate rstate-in_review">in review</span>`,
		`<span class="sevcount-n">2</span> <span class="rstate rstate-published">published</span>`,
		// A result in full.
		`<h3 class="hit-title"><a href="/retrospectives/`+id[retroCard]+`"><span class="inc-id">`+id[retroCard]+`</span> Card data in payment logs</a></h3>`,
		`<span class="isev isev-1" title="SEV1: Critical">SEV1</span>`, `published <time datetime="2026-10-11">2026-10-11</time>`,
		`<a class="chip" href="/retrospectives?service=checkout" title="Retrospectives of checkout">checkout</a>`,
		`<a class="chip chip-tag" href="/retrospectives?tag=pci" title="Retrospectives tagged pci">#pci</a>`,
		"Newest first.",
		// The overdue action items: three, most overdue first.
		`<a href="/retrospectives/action-items?overdue=1">3 action items past due</a>, most overdue first:`,
		`<td>Alert on replication lag before it reaches a minute<span class="reason">AI-1</span></td>`,
		`<a href="https://tracker.example.com/browse/SEC-101?focus=1" rel="noopener noreferrer" class="external">tracker.example.com/browse/SEC-101</a>`,
		`<td class="due"><time datetime="2026-11-10">2026-11-10</time> <span class="badge overdue">overdue</span></td>`)
	want := []string{id[retroRestricted], id[retroFailover], id[retroCheckout], id[retroCard], id[retroLag]}
	if got := listedRetros(r.body); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the library lists %v, want %v", got, want)
	}
	if !before(r.body, "Alert on replication lag", "Turn off SDK debug logging") || !before(r.body, "Turn off SDK debug logging", "Rotate every signing key") {
		t.Error("the overdue action items are not most overdue first")
	}

	// A text search: best first, with the matches marked and every
	// fragment escaped.
	r = c.get("/retrospectives?q=card")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Best match first.", `<mark>card</mark>`, `<h2 id="counts-h" class="counts-h">Matching retrospectives: 1</h2>`)
	if got := listedRetros(r.body); strings.Join(got, " ") != id[retroCard] {
		t.Errorf("q=card lists %v", got)
	}
	r = c.get("/retrospectives?q=" + url.QueryEscape("script alert"))
	if got := listedRetros(r.body); strings.Join(got, " ") != id[retroCheckout] {
		t.Errorf("q=script lists %v", got)
	}
	wantContains(t, r, `<mark>script</mark>`)
	if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
		t.Error("a snippet was not escaped")
	}
	for _, p := range checkHTML(r.body) {
		t.Errorf("search page: %s", p)
	}

	for path, want := range map[string][]string{
		"/retrospectives?service=db-core":                     {id[retroFailover], id[retroLag]},
		"/retrospectives?tag=pci":                             {id[retroCard]},
		"/retrospectives?state=published":                     {id[retroCard], id[retroLag]},
		"/retrospectives?q=state:published":                   {id[retroCard], id[retroLag]},
		"/retrospectives?severity=SEV1":                       {id[retroRestricted], id[retroCard]},
		"/retrospectives?from=2026-10-01&to=2026-10-13":       {id[retroCheckout], id[retroCard]},
		"/retrospectives?from=2026-10-08&to=2026-10-12":       nil,
		"/retrospectives?to=2026-10-07":                       {id[retroCard], id[retroLag]},
		"/retrospectives?q=db+core+-failover":                 {id[retroLag]},
		"/retrospectives?q=logs&service=checkout&state=draft": nil,
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusOK)
		if got := listedRetros(r.body); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s lists %v, want %v", path, got, want)
		}
	}
	// A state the query names is the only one counted.
	r = c.get("/retrospectives?q=state:published")
	wantContains(t, r, "Matching retrospectives: 2</h2>")
	if strings.Contains(r.body, `href="/retrospectives?q=state%3Apublished&amp;state=draft"`) {
		t.Error("counts a state the query excludes")
	}
	wantContains(t, c.get("/retrospectives?q=nothingmatchesthis"), "No retrospective matches.")

	// Refusals are shown on the form, with what was typed.
	for path, msg := range map[string]string{
		"/retrospectives?q=-canary":                     "the query only excludes: add a word to search for",
		"/retrospectives?q=state:published&state=draft": "the query says state:published but the state filter is &#34;draft&#34;",
		"/retrospectives?state=lost":                    "unknown state &#34;lost&#34;",
		"/retrospectives?from=yesterday":                "from must be a date such as 2026-10-01",
		"/retrospectives?from=2026-10-12&to=2026-10-01": "the first day (2026-10-12) is after the last (2026-10-01)",
		"/retrospectives?cursor=x":                      "is not one this server returned",
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, `<p class="alert" role="alert">`, msg, `<h2 id="overdue-h">Overdue action items</h2>`)
		if len(listedRetros(r.body)) != 0 {
			t.Errorf("%s: results with a refused search", path)
		}
	}
	r = c.get("/retrospectives?q=-canary")
	wantContains(t, r, `name="q" type="search" value="-canary"`)
}

func TestRetroLibraryPages(t *testing.T) {
	app := newTestApp(t)
	// Twenty more retrospectives of one incident fill more than a page.
	inc := app.incidents[incTriage]
	for i := range 20 {
		if _, err := app.rs.Open(person("alice"), inc, retro.OpenRequest{Force: true}); err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	c := app.client(t)
	c.mustSignIn()
	r := c.get("/retrospectives?state=draft")
	wantContains(t, r, `<a href="/retrospectives?cursor=20&amp;state=draft" rel="next">Next page »</a>`, "Matching retrospectives: 22</h2>")
	if n := len(listedRetros(r.body)); n != retro.DefaultPage {
		t.Errorf("first page lists %d", n)
	}
	r = c.get("/retrospectives?cursor=20&state=draft")
	wantContains(t, r, `<a href="/retrospectives?state=draft">« First page</a>`)
	if got := listedRetros(r.body); strings.Join(got, " ") != app.retros[retroRestricted]+" "+app.retros[retroFailover] {
		t.Errorf("second page lists %v", got)
	}
	if strings.Contains(r.body, `rel="next"`) {
		t.Error("the last page has a next page")
	}
}

func TestRetroPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	rt := app.retro(t, retroCheckout)
	inc := app.incident(t, incClosed)

	r := c.get("/retrospectives/" + rt.ID)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h1><span class="inc-id">`+rt.ID+`</span> `+inc.Title+`</h1>`,
		`<a href="/retrospectives" aria-current="page">Retrospectives</a>`,
		`<span class="rstate rstate-in_review">in review</span>`, `<span class="isev isev-2" title="SEV2: Major">SEV2</span>`,
		`<span>review of <a href="/incidents/`+inc.ID+`">`+inc.ID+`</a> `+inc.Title+`</span>`,
		`<a href="/retrospectives/`+rt.ID+`/export.html">Printable page</a><a href="/retrospectives/`+rt.ID+`/export.md" download>Markdown</a>`,
		`<a class="chip" href="/services/checkout">checkout</a>`, `<a class="chip chip-tag" href="/retrospectives?tag=release">#release</a>`,
		"<dt>Authors</dt><dd>carol</dd>", "<dt>Template</dt><dd>blameless</dd>",
		`<dt>Started</dt><dd><time datetime="2026-10-13T12:00:00Z">2026-10-13 12:00 UTC</time></dd>`,
		// The sections, rendered safely from Markdown: the body's heading
		// sits below the section's, the table is a table, HTML is text
		// and the javascript: link lost its target.
		`<section class="retro-section" id="section-summary" aria-labelledby="h-summary">`, `<h2 id="h-summary">Summary</h2>`,
		`<p>Release 2026.10.3 raised <strong>5xx</strong> on checkout.</p>`, `<h5>Error rates</h5>`, `<th>Window</th>`,
		`<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>`, `&lt;script&gt;alert(2)&lt;/script&gt;`, `&lt;img src=x onerror=alert(4)&gt;`,
		`<h2 id="h-what_went_poorly">What went poorly</h2>
  <p class="none">Nothing written yet.</p>`,
		`<h2 id="h-where_we_got_lucky">Where we got lucky <span class="hint">optional</span></h2>`,
		// What publishing needs, in the capability's words.
		`<ul class="reasons reasons-warn blockers" aria-labelledby="blockers-h"><li>section &#34;What went poorly&#34; is empty: write it before publishing</li></ul>`,
		// The action items.
		`<div id="action-items" class="retro-items">`, `<td>Canary releases for checkout<span class="reason">AI-1</span></td>`,
		`<td><a href="/retrospectives/action-items?owner=carol">carol</a></td>`, `<td class="due"><time datetime="2026-12-04">2026-12-04</time></td>`,
		`<span class="item-status item-status-in_progress">in progress</span>`,
		// The forms of a responder: the moves, the sections with their
		// prompt, the details and the action items.
		`<button type="submit" class="button" name="to" value="published">Publish</button>`,
		`<button type="submit" class="button button-quiet" name="to" value="draft">Send back to draft</button>`,
		`<input type="hidden" name="form" value="section-what_went_poorly">`, `<summary>Write “What went poorly”</summary>`,
		`placeholder="What made the incident longer, larger or harder`, `<input type="hidden" name="updated" value="`+rt.UpdatedAt.Format(time.RFC3339Nano)+`">`,
		`<input id="d-title" name="title" value="`+inc.Title+`" maxlength="200" required>`, `<option value="SEV2" selected>SEV2: Major</option>`,
		`<input id="d-tags" name="tags" value="release"`,
		`<form method="post" action="/retrospectives/`+rt.ID+`/action-items/AI-1">`, `<input id="e0-due" name="due" type="date" value="2026-12-04">`,
		`<option value="in_progress" selected>in progress</option>`, `<form method="post" action="/retrospectives/`+rt.ID+`/action-items">`)
	// (The textarea holds the source, escaped: that is text too.)
	if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, `href="javascript`) || strings.Contains(r.body, "<img src=x") ||
		!strings.Contains(r.body, `<a href="">a bad link</a>`) {
		t.Error("the body's HTML or its javascript: link reached the page")
	}
	if strings.Contains(r.body, `name="note"`) {
		t.Error("a retrospective with action items offers the no-action-items note")
	}

	// A published one: read-only text, an overdue item with its tracker,
	// and the reopen form.
	card := app.retro(t, retroCard)
	r = c.get("/retrospectives/" + card.ID)
	wantContains(t, r, `<span class="rstate rstate-published">published</span>`, "Read-only: reopen it, with a reason, to correct it.",
		`<dt>Published</dt><dd><time datetime="2026-10-11T12:00:00Z">2026-10-11 12:00 UTC</time></dd>`,
		`<tr class="row-overdue">`, `<td class="due"><time datetime="2026-11-10">2026-11-10</time> <span class="badge overdue">overdue</span></td>`,
		`<a href="https://tracker.example.com/browse/SEC-101?focus=1" rel="noopener noreferrer" class="external">tracker.example.com/browse/SEC-101</a>`,
		`<span class="item-status item-status-done">done</span>`, `<td class="nowrap"><time datetime="2026-10-07">2026-10-07</time></td>`,
		`<textarea id="s-reason" name="reason" rows="2" maxlength="2000" required></textarea>`,
		`<button type="submit" class="button" name="to" value="in_review">Reopen for review</button>`)
	if strings.Contains(r.body, `action="/retrospectives/`+card.ID+`/edit"`) || strings.Contains(r.body, "Before it can be published") {
		t.Error("a published retrospective offers its text for editing")
	}
	// A draft without action items offers the note.
	r = c.get("/retrospectives/" + app.retros[retroFailover])
	wantContains(t, r, `<button type="submit" class="button" name="to" value="in_review">Submit for review</button>`, `<input type="hidden" name="form" value="note">`,
		"<li>add at least one action item, or write in the no-action-items note why this incident needs none</li>", `<p class="none">No action item yet.</p>`)

	for path, status := range map[string]int{"/retrospectives/RETRO-999": 404, "/retrospectives/retro-1": 404, "/retrospectives/RETRO-01": 404,
		"/retrospectives/RETRO-1/nope": 404, "/retrospectives/RETRO-999/export.html": 404} {
		wantStatus(t, c.get(path), status)
	}
	r = c.get("/retrospectives/" + rt.ID + "?done=section")
	wantContains(t, r, `<p class="confirm" role="status">The section is saved.</p>`)
}

func TestRetroExports(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	rt := app.retro(t, retroCheckout)

	r := c.get("/retrospectives/" + rt.ID + "/export.html")
	wantStatus(t, r, http.StatusOK)
	csp := r.Header.Get("Content-Security-Policy")
	if csp != "default-src 'none'; style-src "+retro.StyleHash()+"; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" {
		t.Errorf("printable page CSP %q", csp)
	}
	if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/html; charset=utf-8" || cd != `inline; filename=`+rt.ID+`.html` ||
		r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("printable page: %q, %q", ct, cd)
	}
	want, err := rt.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if r.body != want {
		t.Error("the printable page is not the capability's export")
	}
	if strings.Contains(r.body, "<script") {
		t.Error("the printable page has a script")
	}

	r = c.get("/retrospectives/" + rt.ID + "/export.md")
	wantStatus(t, r, http.StatusOK)
	if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/markdown; charset=utf-8" || cd != `attachment; filename=`+rt.ID+`.md` {
		t.Errorf("markdown: %q, %q", ct, cd)
	}
	if r.body != rt.Markdown() {
		t.Error("the Markdown is not the capability's export")
	}
	// Behind the session, like every page.
	anon := app.client(t)
	r = anon.get("/retrospectives/" + rt.ID + "/export.md")
	wantStatus(t, r, http.StatusSeeOther)
}

// retroForm posts form to a retrospective's action with the page's CSRF
// token.
func (c *client) retroForm(id, action string, form url.Values) *response {
	c.t.Helper()
	page := c.get("/retrospectives/" + id)
	form.Set("csrf", csrfField(c.t, page.body))
	return c.post("/retrospectives/"+id+"/"+action, form)
}

func TestRetroForms(t *testing.T) {
	app := newTestApp(t)
	c := app.signInAs(t, "carol", palisade.RoleResponder)
	rt := app.retro(t, retroCheckout)
	id := rt.ID
	updated := rt.UpdatedAt.Format(time.RFC3339Nano)

	// Publishing with a section empty: the capability's reasons, in
	// place.
	r := c.retroForm(id, "state", url.Values{"to": {"published"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<legend>State</legend>
      <p class="alert" role="alert">section &#34;What went poorly&#34; is empty: write it before publishing</p>`)

	// Writing the section: CRLF from the browser is stored as LF.
	r = c.retroForm(id, "edit", url.Values{"form": {"section-what_went_poorly"}, "updated": {updated}, "body": {"The rollback took *35 minutes*.\r\nNobody owned it."}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/retrospectives/"+id+"?done=section#section-what_went_poorly" {
		t.Errorf("after a section Location = %q", loc)
	}
	if got := app.retro(t, retroCheckout).Section("what_went_poorly").Body; got != "The rollback took *35 minutes*.\nNobody owned it." {
		t.Errorf("section body %q", got)
	}
	wantContains(t, c.get("/retrospectives/"+id), "<p>The rollback took <em>35 minutes</em>.\nNobody owned it.</p>", "the action items are decided: it can be published.")

	// A form made from an older version is refused, and what was typed is
	// kept, the form open.
	r = c.retroForm(id, "edit", url.Values{"form": {"section-impact"}, "updated": {updated}, "body": {"my stale <b>edit</b>"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, "reload it and apply the change again", `<details class="edit-box" open>
    <summary>Edit “Impact”</summary>`, `>my stale &lt;b&gt;edit&lt;/b&gt;</textarea>`)
	if strings.Contains(app.retro(t, retroCheckout).Section("impact").Body, "stale") {
		t.Error("a stale form overwrote the section")
	}
	updated = app.retro(t, retroCheckout).UpdatedAt.Format(time.RFC3339Nano)

	// The details.
	r = c.retroForm(id, "edit", url.Values{"form": {"details"}, "updated": {updated}, "title": {"  Checkout errors after release 2026.10.3 "},
		"severity": {"SEV1"}, "services": {"checkout, payments-api"}, "tags": {"Release rollback"}, "authors": {"carol, Dan Smith"}})
	wantStatus(t, r, http.StatusSeeOther)
	got := app.retro(t, retroCheckout)
	if got.Title != "Checkout errors after release 2026.10.3" || got.Severity != "SEV1" || strings.Join(got.Services, ",") != "checkout,payments-api" ||
		strings.Join(got.Tags, ",") != "release,rollback" || strings.Join(got.Authors, ",") != "carol,Dan Smith" {
		t.Errorf("after the details: %+v", got)
	}
	r = c.retroForm(id, "edit", url.Values{"form": {"details"}, "title": {"x"}, "tags": {"Bad Tag!"}, "services": {"checkout"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<details class="edit-box" open>`, `<legend>Details</legend>`, "use lowercase letters, digits", `name="tags" value="Bad Tag!"`)
	r = c.retroForm(id, "edit", url.Values{"form": {"everything"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "the form does not say what it changes")

	// Action items: added, refused with the reason and what was typed,
	// updated.
	r = c.retroForm(id, "action-items", url.Values{"title": {"Runbook for rollbacks"}, "owner": {"dan"}, "due": {"2026-12-01"}, "status": {"open"},
		"tracker": {"https://tracker.example.com/browse/OPS-7"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/retrospectives/"+id+"?done=item-new#action-items" {
		t.Errorf("after adding Location = %q", loc)
	}
	got = app.retro(t, retroCheckout)
	ai := got.ActionItem("AI-2")
	if ai == nil || ai.Owner != "dan" || ai.DueAt == nil || !ai.DueAt.Equal(time.Date(2026, 12, 1, 23, 59, 59, 0, time.UTC)) || ai.TrackerURL != "https://tracker.example.com/browse/OPS-7" {
		t.Fatalf("added %+v", ai)
	}
	r = c.retroForm(id, "action-items", url.Values{"title": {"No owner"}, "owner": {" "}, "tracker": {"http://tracker.example.com/x"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<legend>Add an action item</legend>
        <div class="alert" role="alert"><p>Not done, for these reasons:</p><ul><li>owner is required: every action item has an owner who answers for it</li><li>tracker URL &#34;http://tracker.example.com/x&#34; must use https</li></ul></div>`,
		`<input id="n-title" name="title" value="No owner"`)
	r = c.retroForm(id, "action-items", url.Values{"title": {"x"}, "owner": {"y"}, "due": {"soon"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "the due date must be a date such as 2026-12-01")

	r = c.retroForm(id, "action-items/AI-1", url.Values{"title": {"Canary releases for checkout"}, "owner": {"carol"}, "due": {"2026-12-04"}, "status": {"done"}, "tracker": {""}})
	wantStatus(t, r, http.StatusSeeOther)
	if ai := app.retro(t, retroCheckout).ActionItem("AI-1"); ai.Status != retro.StatusDone || ai.DoneAt == nil || !ai.DueAt.Equal(rt.ActionItems[0].DueAt.UTC()) {
		t.Errorf("after the update (the due date unchanged): %+v", ai)
	}
	r = c.retroForm(id, "action-items/AI-2", url.Values{"title": {"Runbook for rollbacks"}, "owner": {"dan"}, "due": {""}, "status": {"in_progress"}})
	wantStatus(t, r, http.StatusSeeOther)
	if ai := app.retro(t, retroCheckout).ActionItem("AI-2"); ai.DueAt != nil || ai.Status != retro.StatusInProgress || ai.TrackerURL != "" {
		t.Errorf("after clearing the due date: %+v", ai)
	}
	r = c.retroForm(id, "action-items/AI-2", url.Values{"title": {""}, "owner": {"dan"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<details class="edit-box" open>
      <summary>Update AI-2: Runbook for rollbacks</summary>`, "title is required")
	wantStatus(t, c.retroForm(id, "action-items/AI-9", url.Values{"title": {"x"}, "owner": {"y"}}), http.StatusNotFound)

	// Publish, then reopen: the reason is required.
	r = c.retroForm(id, "state", url.Values{"to": {"published"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/retrospectives/"+id+"?done=published" {
		t.Errorf("after publishing Location = %q", loc)
	}
	wantContains(t, c.get("/retrospectives/"+id+"?done=published"), "The retrospective is published.")
	if got := app.retro(t, retroCheckout); got.State != retro.StatePublished || got.PublishedAt == nil {
		t.Errorf("after publishing: %s", got.State)
	}
	// A change to the text of a published one comes back with the reason
	// on top: its forms are gone.
	r = c.retroForm(id, "edit", url.Values{"form": {"section-impact"}, "body": {"late"}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<p class="alert" role="alert">a published retrospective is read-only: reopen it for review (with a reason) to change it</p>`)
	if strings.Index(r.body, `role="alert"`) > strings.Index(r.body, `id="about-h"`) {
		t.Error("the refusal is not at the top")
	}
	r = c.retroForm(id, "state", url.Values{"to": {"in_review"}, "reason": {"  "}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<legend>Reopen</legend>
      <p class="alert" role="alert">say why the published retrospective is reopened</p>`)
	r = c.retroForm(id, "state", url.Values{"to": {"in_review"}, "reason": {"the timeline missed the first alert"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/retrospectives/"+id+"?done=reopened" {
		t.Errorf("after reopening Location = %q", loc)
	}
	if got := app.retro(t, retroCheckout); got.State != retro.StateInReview || got.PublishedAt != nil {
		t.Errorf("after reopening: %s", got.State)
	}
	wantStatus(t, c.retroForm(id, "state", url.Values{}), http.StatusBadRequest)

	// The forms need the session's CSRF token and this origin; a refused
	// post changes nothing.
	before := app.retro(t, retroCheckout)
	for name, form := range map[string]url.Values{
		"no token":    {"to": {"draft"}},
		"wrong token": {"to": {"draft"}, "csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		if r := c.post("/retrospectives/"+id+"/state", form); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d", name, r.StatusCode)
		}
	}
	page := c.get("/retrospectives/" + id)
	r = c.post("/retrospectives/"+id+"/action-items", url.Values{"csrf": {csrfField(t, page.body)}, "title": {"x"}, "owner": {"y"}}, "Origin", "https://evil.example")
	wantStatus(t, r, http.StatusForbidden)
	r = c.post("/incidents/"+app.incidents[incActive]+"/retrospective", url.Values{"csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAA"}})
	wantStatus(t, r, http.StatusForbidden)
	if after := app.retro(t, retroCheckout); after.State != before.State || len(after.ActionItems) != len(before.ActionItems) {
		t.Errorf("refused posts changed the retrospective: %s, %d items", after.State, len(after.ActionItems))
	}
	if hits, _, _ := app.rs.Search(palisade.WithActor(context.Background(), palisade.SystemActor("test")), retro.Query{Incident: app.incidents[incActive]}); len(hits) != 0 {
		t.Error("a refused post started a retrospective")
	}
}

func TestNoActionItemsNote(t *testing.T) {
	app := newTestApp(t)
	c := app.signInAs(t, "carol", palisade.RoleResponder)
	id := app.retros[retroFailover]
	r := c.retroForm(id, "edit", url.Values{"form": {"note"}, "note": {"A failover drill, working as designed.\r\n"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/retrospectives/"+id+"?done=note#action-items" {
		t.Errorf("after the note Location = %q", loc)
	}
	if got := app.retro(t, retroFailover).NoActionItems; got != "A failover drill, working as designed." {
		t.Errorf("note %q", got)
	}
	r = c.get("/retrospectives/" + id)
	wantContains(t, r, `<p class="note"><strong>No action items:</strong> <span class="prewrap">A failover drill, working as designed.</span></p>`)
	if strings.Contains(r.body, "add at least one action item") {
		t.Error("the note did not satisfy publishing")
	}
}

func TestRetroPagesAsViewer(t *testing.T) {
	app := newTestApp(t)
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	id := app.retros[retroCheckout]
	for _, p := range []string{"/retrospectives", "/retrospectives/" + id, "/retrospectives/" + app.retros[retroFailover], "/retrospectives/action-items",
		"/incidents/" + app.incidents[incActive], "/incidents/" + app.incidents[incClosed]} {
		r := viewer.get(p)
		wantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.body, `method="post"`); n != 1 {
			t.Errorf("%s: %d post forms, want only sign-out's", p, n)
		}
	}
	r := viewer.get("/retrospectives/" + id)
	wantContains(t, r, `<p class="role-note">Writing and reviewing a retrospective needs the <strong>responder</strong> role or higher; you are signed in as <strong>viewer</strong>.</p>`,
		"<h5>Error rates</h5>")
	wantContains(t, viewer.get("/incidents/"+app.incidents[incActive]), "No retrospective has been started for this incident.", `<h2 id="similar-h">Similar past incidents</h2>`)
	// A post a viewer crafts by hand is refused, with the reason on top.
	for action, form := range map[string]url.Values{
		"edit":              {"form": {"section-impact"}, "body": {"x"}},
		"state":             {"to": {"draft"}},
		"action-items":      {"title": {"x"}, "owner": {"y"}},
		"action-items/AI-1": {"title": {"x"}, "owner": {"y"}},
	} {
		form.Set("csrf", csrfField(t, r.body))
		r := viewer.post("/retrospectives/"+id+"/"+action, form)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r, `<p class="alert" role="alert">`, "needs responder")
	}
	r = viewer.post("/incidents/"+app.incidents[incActive]+"/retrospective", url.Values{"csrf": {csrfField(t, r.body)}})
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, `<p class="alert" role="alert">`, "needs responder")
	if got := app.retro(t, retroCheckout); got.State != retro.StateInReview || got.Section("impact").Body == "x" {
		t.Error("a viewer changed the retrospective")
	}
}

func TestRestrictedRetro(t *testing.T) {
	app := newTestApp(t)
	id := app.retros[retroRestricted]
	bob := app.signInAs(t, "bob", palisade.RoleResponder)
	lead := app.signInAs(t, "ir-lead", palisade.RoleResponder)

	for _, p := range []string{"/retrospectives/" + id, "/retrospectives/" + id + "/export.html", "/retrospectives/" + id + "/export.md"} {
		r := bob.get(p)
		wantStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.body, "signing key") {
			t.Errorf("%s gives the restricted retrospective away", p)
		}
	}
	for _, p := range []string{"/retrospectives", "/retrospectives?q=signing", "/retrospectives/action-items", "/retrospectives/action-items?overdue=1&status=all", "/"} {
		r := bob.get(p)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, id) || strings.Contains(r.body, "signing key") {
			t.Errorf("bob's %s shows the restricted retrospective", p)
		}
	}
	wantContains(t, bob.get("/retrospectives"), "Retrospectives: 4</h2>", "2 action items past due")
	wantContains(t, bob.get("/"), `<a href="/retrospectives/action-items?overdue=1"><span class="figure-n figure-bad">2</span> overdue action items</a>`)
	page := bob.get("/retrospectives/" + app.retros[retroCheckout])
	r := bob.post("/retrospectives/"+id+"/action-items", url.Values{"csrf": {csrfField(t, page.body)}, "title": {"peek"}, "owner": {"bob"}})
	wantStatus(t, r, http.StatusNotFound)

	r = lead.get("/retrospectives/" + id)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "Suspected leak of a signing key", "Rotate every signing key")
	wantContains(t, lead.get("/retrospectives"), "3 action items past due")
}

func TestIncidentRetroPanel(t *testing.T) {
	app := newTestApp(t)
	c := app.signInAs(t, "carol", palisade.RoleResponder)
	active := app.incidents[incActive]
	card := app.retro(t, retroCard)

	r := c.get("/incidents/" + active)
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<h2 id="retro-h">Retrospective</h2>`, `<form method="post" action="/incidents/`+active+`/retrospective" class="retro-start">`,
		`<option value="blameless" selected>blameless</option>`, `<option value="short">short</option>`,
		`<button type="submit" class="button">Start the retrospective</button>`,
		// The similar past incidents, with why.
		`<h2 id="similar-h">Similar past incidents</h2>`,
		`<a href="/retrospectives/`+card.ID+`"><span class="inc-id">`+card.ID+`</span> Card data in payment logs</a>`,
		`retrospective of <a href="/incidents/`+card.IncidentID+`">`+card.IncidentID+`</a>, published 2026-10-11`,
		"<li>same services: checkout, payments-api</li>", "<li>same severity SEV1</li>")
	if m := regexp.MustCompile(`title="Similarity score (\d+)%"`).FindStringSubmatch(r.body); m == nil {
		t.Error("no similarity score")
	} else if n, _ := strconv.Atoi(m[1]); n <= 0 || n > 100 {
		t.Errorf("similarity score %d%%", n)
	}

	// Starting it from the form, with the other template.
	r = c.post("/incidents/"+active+"/retrospective", url.Values{"csrf": {csrfField(t, r.body)}, "template": {"short"}})
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	m := regexp.MustCompile(`^/retrospectives/(RETRO-[0-9]+)\?done=opened$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after starting, Location = %q", loc)
	}
	rt := app.retro(t, m[1])
	if rt.IncidentID != active || rt.Template != "short" || len(rt.Sections) != 2 || rt.State != retro.StateDraft {
		t.Errorf("started %+v", rt)
	}
	r = c.get(loc)
	wantContains(t, r, "The retrospective is started, filled with what the incident knows.", `<h2 id="h-summary">What happened</h2>`,
		`<p class="prompt" id="p-summary">In a few sentences.</p>`, `<h2 id="h-action_items">Follow-ups</h2>`)

	// The incident now links it, and offers no second one.
	r = c.get("/incidents/" + active)
	wantContains(t, r, `<p class="page-links related"><a href="/retrospectives/`+rt.ID+`">Retrospective `+rt.ID+` (draft)</a>`,
		`<li><a href="/retrospectives/`+rt.ID+`"><span class="inc-id">`+rt.ID+`</span> Credential stuffing against checkout sign-in</a> <span class="rstate rstate-draft">draft</span></li>`)
	if strings.Contains(r.body, "retro-start") {
		t.Error("the incident offers a second retrospective")
	}
	// A form that was open before is refused with the capability's
	// reason, at the top since the form is gone.
	r = c.post("/incidents/"+active+"/retrospective", url.Values{"csrf": {csrfField(t, r.body)}})
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, `<p class="alert" role="alert">incident `+active+` already has retrospective `+rt.ID+`: edit that one, or pass force to start another</p>`)
	r = c.post("/incidents/"+app.incidents[incTriage]+"/retrospective", url.Values{"csrf": {csrfField(t, r.body)}, "template": {"nope"}})
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, `<legend>Start the retrospective</legend>
      <p class="alert" role="alert">no template is named &#34;nope&#34; (have blameless, short)</p>`)

	// A closed incident links its retrospective.
	r = c.get("/incidents/" + app.incidents[incClosed])
	wantContains(t, r, `<a href="/retrospectives/`+app.retros[retroCheckout]+`">Retrospective `+app.retros[retroCheckout]+` (in review)</a>`)
	// An incident the reader may not see has no retrospective to start.
	wantStatus(t, c.post("/incidents/"+app.incidents[incRestricted]+"/retrospective", url.Values{"csrf": {csrfField(t, r.body)}}), http.StatusNotFound)
}

func TestActionItemsPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/retrospectives/action-items")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, "<h1>Action items</h1>", `<a href="/retrospectives" aria-current="page">Retrospectives</a>`, `<h2 id="items-h">Action items to do</h2>`,
		`<a class="sevcount sevcount-overdue" href="/retrospectives/action-items?overdue=1"><span class="sevcount-n figure-bad">3</span> overdue</a>`,
		`<a href="/retrospectives/`+app.retros[retroCard]+`"><span class="inc-id">`+app.retros[retroCard]+`</span> Card data in payment logs</a>`,
		`<option value="" selected>To do (open or in progress)</option>`)
	items := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<tr(?: class="row-overdue")?>\s*<td>([^<]+)<span class="reason">`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	// Soonest due first; done items are not to do.
	if got := strings.Join(items(r.body), "|"); got != "Alert on replication lag before it reaches a minute|Turn off SDK debug logging in production builds|Rotate every signing key|Canary releases for checkout" {
		t.Errorf("to do: %s", got)
	}
	for path, want := range map[string]string{
		"/retrospectives/action-items?status=all":          "Scan the log pipelines for card numbers|Alert on replication lag before it reaches a minute|Turn off SDK debug logging in production builds|Rotate every signing key|Canary releases for checkout",
		"/retrospectives/action-items?status=done":         "Scan the log pipelines for card numbers",
		"/retrospectives/action-items?status=in_progress":  "Alert on replication lag before it reaches a minute|Canary releases for checkout",
		"/retrospectives/action-items?owner=alice":         "Turn off SDK debug logging in production builds",
		"/retrospectives/action-items?overdue=1":           "Alert on replication lag before it reaches a minute|Turn off SDK debug logging in production builds|Rotate every signing key",
		"/retrospectives/action-items?overdue=1&owner=bob": "Alert on replication lag before it reaches a minute",
		"/retrospectives/action-items?owner=nobody":        "",
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusOK)
		if got := strings.Join(items(r.body), "|"); got != want {
			t.Errorf("%s lists %q, want %q", path, got, want)
		}
	}
	wantContains(t, c.get("/retrospectives/action-items?owner=nobody"), "No action item matches the filter.", `<h2 id="items-h">Action items to do of nobody</h2>`)
	for path, msg := range map[string]string{
		"/retrospectives/action-items?status=lost": "status must be all or one of open",
		"/retrospectives/action-items?overdue=yes": "overdue must be 1 or left out",
		"/retrospectives/action-items?cursor=-1":   "is not one this server returned",
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusBadRequest)
		wantContains(t, r, msg)
	}
	// The overview counts them on the incidents card.
	wantContains(t, c.get("/"), `<a href="/retrospectives/action-items?overdue=1"><span class="figure-n figure-bad">3</span> overdue action items</a>`,
		`<a href="/retrospectives">Retrospectives</a>: the searchable library`)
}

// TestWithoutRetroCapability serves the UI without Config.Retro: no
// navigation entry, no retrospective page and nothing of them on the
// incident pages or the overview.
func TestWithoutRetroCapability(t *testing.T) {
	app := newTestApp(t)
	ui := New(Config{Catalog: catalog.NewRegistry(app.db), Identity: app.ids, Vuln: app.vuln, SLO: app.slo, Gate: app.gate, Incident: app.inc, Now: testClock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	bare := *app
	bare.srv = httptest.NewServer(testHandler(ui))
	t.Cleanup(bare.srv.Close)
	c := bare.client(t)
	c.mustSignIn()
	for _, p := range []string{"/retrospectives", "/retrospectives/action-items", "/retrospectives/" + app.retros[retroCard], "/retrospectives/" + app.retros[retroCard] + "/export.md"} {
		wantStatus(t, c.get(p), http.StatusNotFound)
	}
	r := c.get("/incidents/" + app.incidents[incActive])
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "retro-h") || strings.Contains(r.body, "similar-h") || strings.Contains(r.body, `href="/retrospectives"`) {
		t.Error("the incident page has retrospectives without the capability")
	}
	r = c.get("/")
	if strings.Contains(r.body, "action-items") || strings.Contains(r.body, `href="/retrospectives"`) {
		t.Error("the overview has retrospectives without the capability")
	}
	// Retrospectives without incident response have no pages either.
	ui = New(Config{Catalog: catalog.NewRegistry(app.db), Identity: app.ids, Vuln: app.vuln, Retro: app.rs, Now: testClock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	bare.srv = httptest.NewServer(testHandler(ui))
	t.Cleanup(bare.srv.Close)
	c = bare.client(t)
	c.mustSignIn()
	wantStatus(t, c.get("/retrospectives"), http.StatusNotFound)
	if strings.Contains(c.get("/").body, `href="/retrospectives"`) {
		t.Error("navigation has Retrospectives without incident response")
	}
}

// TestRetroPagesHaveNoInlineScriptOrStyle runs the CSP scan over the
// retrospective pages in each of their states, and the incident page's
// retrospective parts.
func TestRetroPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	pages := map[string]*response{}
	for _, p := range []string{"/retrospectives", "/retrospectives?q=card", "/retrospectives?q=script", "/retrospectives?q=-x", "/retrospectives?service=checkout&state=published",
		"/retrospectives/action-items", "/retrospectives/action-items?overdue=1", "/retrospectives/RETRO-999", "/"} {
		pages[p] = c.get(p)
	}
	for key, id := range app.retros {
		pages[key] = c.get("/retrospectives/" + id)
	}
	for key, id := range app.incidents {
		pages["incident "+key] = c.get("/incidents/" + id)
	}
	pages["refused publish"] = c.retroForm(app.retros[retroCheckout], "state", url.Values{"to": {"published"}})
	pages["refused item"] = c.retroForm(app.retros[retroCheckout], "action-items", url.Values{"title": {"x"}})
	viewer := app.signInAs(t, "reader", palisade.RoleViewer)
	pages["viewer retro"] = viewer.get("/retrospectives/" + app.retros[retroCheckout])
	for name, r := range pages {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
		}
		for _, problem := range checkHTML(r.body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

func TestValidRetroID(t *testing.T) {
	for s, want := range map[string]bool{"RETRO-1": true, "RETRO-1234": true, "RETRO-0": false, "RETRO-01": false, "RETRO-": false, "retro-1": false,
		"RETRO-1a": false, "RETRO-1234567890123456789": false, "INC-1": false} {
		if got := validRetroID(s); got != want {
			t.Errorf("validRetroID(%q) = %v", s, got)
		}
	}
}
