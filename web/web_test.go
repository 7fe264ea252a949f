package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

// testCSP is the policy the API server sends; the tests send it too, so the
// browser test sees exactly what production serves.
const testCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// fleetSize services depend on db-core, so that its page has a neighbourhood
// far larger than one drawing column.
const fleetSize = 200

// testApp is the UI on a real SQLite store with a sample catalog, behind an
// httptest server.
type testApp struct {
	srv  *httptest.Server
	db   *store.DB
	ids  *identity.Service
	vuln *vuln.Service
	slo  *slo.Service
	gate *gate.Service
	inc  *incident.Service
	rs   *retro.Service
	ui   *UI
	// decisions are the fixture's gate decision ids by change.
	decisions map[string]string
	// incidents are the fixture's incident ids by key (see seedIncidents).
	incidents map[string]string
	// retros are the fixture's retrospective ids by key (see seedRetros).
	retros map[string]string
	token  string // the admin token's secret
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sampleCatalog() catalog.Catalog {
	c := catalog.Catalog{
		Teams: []catalog.Team{
			{Name: "payments", Description: "Takes the money.", Members: []string{"alice@example.com", "bob@example.com"}},
			{Name: "platform", Description: "Runs the shared infrastructure.", Members: []string{"carol@example.com"}},
			{Name: "fleet"},
		},
		ThirdParties: []catalog.ThirdParty{
			{Name: "stripe", Description: "Card payments.", Website: "https://stripe.com", StatusPage: "https://status.stripe.com", DataClasses: []string{"payment-card"}},
			{Name: "aws", StatusPage: "https://health.aws.amazon.com/health/status"},
			{Name: "sendgrid", StatusPage: "https://status.sendgrid.com"},
			{Name: "twilio"},
			{Name: "datadog"},
			{Name: "pagerduty"},
		},
		Services: []catalog.Service{
			{Name: "checkout", Description: "The web checkout.", Team: "payments", Tier: 1, Tags: []string{"web", "pci"},
				DataClasses: []string{"payment-card", "pii"}, DependsOn: []string{"payments-api", "db-core"}, ThirdParties: []string{"stripe"}},
			{Name: "payments-api", Team: "payments", Tier: 1, System: "payments", Lifecycle: "production", DependsOn: []string{"db-core"},
				ThirdParties: []string{"stripe", "aws", "sendgrid", "twilio", "datadog", "pagerduty"}},
			{Name: "db-core", Team: "platform", Tier: 2, System: "core", Lifecycle: "production", Tags: []string{"database"}},
			{Name: "a-service-with-a-name-much-too-long-for-a-node", Team: "platform", Tier: 4, DependsOn: []string{"db-core"}},
		},
	}
	for i := range fleetSize {
		c.Services = append(c.Services, catalog.Service{Name: fmt.Sprintf("svc-%03d", i), Team: "fleet", Tier: 3, Tags: []string{"fleet"}, DependsOn: []string{"db-core"}})
	}
	return c
}

// testHandler is the UI's routes on a mux beside stand-ins for the API's
// routes (so a pattern conflict panics here, as it would in production),
// behind the security headers the API server sets. extra adds test-only
// routes.
func testHandler(ui *UI, extra ...Route) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "GET /healthz", "GET /readyz", "GET /metrics"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api:"+p) })
	}
	for _, rt := range append(ui.Routes(), extra...) {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	var n int
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		id := fmt.Sprintf("req-%d", n)
		mu.Unlock()
		w.Header().Set("Content-Security-Policy", testCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Request-Id", id)
		mux.ServeHTTP(w, r)
	})
}

func newTestApp(t testing.TB, extra ...Route) *testApp {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "sqlite"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := catalog.NewRegistry(db)
	ids := identity.NewService(db, nil, nil)
	token, err := ids.Bootstrap(ctx, "")
	if err != nil || token == "" {
		t.Fatalf("bootstrap: %q, %v", token, err)
	}
	if _, err := reg.Apply(palisade.WithActor(ctx, palisade.SystemActor("test")), &catalog.Document{Catalog: sampleCatalog()}, catalog.ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	vs := seedVuln(t, db, reg)
	ss := seedSLO(t, db, reg, vs)
	gs, decisions := seedGate(t, db, reg, vs, ss)
	is, incidents := seedIncidents(t, db, reg)
	rs, retros := seedRetros(t, db, reg, is, incidents)
	logs := &syncBuffer{}
	ui := New(Config{Catalog: reg, Identity: ids, Vuln: vs, SLO: ss, Gate: gs, Incident: is, Retro: rs, Now: testClock,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "v0.0.0-test"})
	srv := httptest.NewServer(testHandler(ui, extra...))
	t.Cleanup(srv.Close)
	return &testApp{srv: srv, db: db, ids: ids, vuln: vs, slo: ss, gate: gs, inc: is, rs: rs, ui: ui, decisions: decisions, incidents: incidents, retros: retros,
		token: token, logs: logs}
}

// client is a browser stand-in: it keeps cookies and does not follow
// redirects, so tests see each one.
type client struct {
	t    testing.TB
	app  *testApp
	http *http.Client
}

func (a *testApp) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, app: a, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}}
}

type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Response: resp, body: string(b)}
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.app.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.app.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

var csrfFieldRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfField(t testing.TB, body string) string {
	t.Helper()
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", body)
	}
	return m[1]
}

// signIn signs c in with token, going to next, and returns the response to
// the form post.
func (c *client) signIn(token, next string) *response {
	c.t.Helper()
	form := c.get("/signin?next=" + url.QueryEscape(next))
	if form.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /signin = %d", form.StatusCode)
	}
	return c.post("/signin", url.Values{"csrf": {csrfField(c.t, form.body)}, "next": {next}, "token": {token}})
}

func (c *client) mustSignIn() {
	c.t.Helper()
	if r := c.signIn(c.app.token, "/"); r.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in = %d:\n%s", r.StatusCode, r.body)
	}
}

func wantStatus(t testing.TB, r *response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d\n%s", r.Request.Method, r.Request.URL.RequestURI(), r.StatusCode, want, r.body)
	}
}

func wantContains(t testing.TB, r *response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s %s: body lacks %q", r.Request.Method, r.Request.URL.RequestURI(), s)
		}
	}
}

func cookieNamed(r *response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestRedirectWhenSignedOut(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	for _, path := range []string{"/", "/services?tier=1&tag=pci", "/services/checkout", "/teams", "/teams/payments",
		"/third-parties/stripe", "/vulnerabilities", "/slos", "/slos/checkout-login", "/gate", "/gate/G0123456789abcdef", "/experiments", "/watch", "/incidents", "/retrospectives", "/retrospectives/action-items", "/no/such/page"} {
		r := c.get(path)
		wantStatus(t, r, http.StatusSeeOther)
		want := "/signin"
		if path != "/" {
			want += "?next=" + url.QueryEscape(path)
		}
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("GET %s: Location = %q, want %q", path, got, want)
		}
	}
	// A form post without a session is not replayed after sign-in.
	r := c.post("/services", url.Values{})
	if got := r.Header.Get("Location"); got != "/signin" {
		t.Errorf("POST /services: Location = %q, want /signin", got)
	}
	// A stale cookie is dropped and treated as no session.
	c.http.Jar.SetCookies(mustURL(t, app.srv.URL), []*http.Cookie{{Name: SessionCookie, Value: "pal_stale", Path: "/"}})
	r = c.get("/teams")
	wantStatus(t, r, http.StatusSeeOther)
	if k := cookieNamed(r, SessionCookie); k == nil || k.MaxAge >= 0 {
		t.Errorf("stale session cookie not cleared: %+v", k)
	}

	// The sign-in form, static files and the API's own routes need no session.
	wantStatus(t, c.get("/signin"), http.StatusOK)
	wantStatus(t, c.get("/static/app.css"), http.StatusOK)
	if r := c.get("/healthz"); r.body != "api:GET /healthz" {
		t.Errorf("/healthz reached %q, not the API", r.body)
	}
	if r := c.get("/api/v1/nope"); r.body != "api:/api/" {
		t.Errorf("/api/v1/nope reached %q, not the API", r.body)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSignInFlow(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)

	r := c.get("/services?tier=1")
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	form := c.get(loc)
	wantStatus(t, form, http.StatusOK)
	wantContains(t, form, `type="password"`, `name="token"`, `name="next" value="/services?tier=1"`)
	csrf := cookieNamed(form, CSRFCookie)
	if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode || csrf.Path != "/signin" {
		t.Fatalf("csrf cookie = %+v", csrf)
	}
	if form.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in page Cache-Control = %q", form.Header.Get("Cache-Control"))
	}

	r = c.post("/signin", url.Values{"csrf": {csrfField(t, form.body)}, "next": {"/services?tier=1"}, "token": {"  " + app.token + "\n"}})
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != "/services?tier=1" {
		t.Errorf("after sign-in Location = %q", got)
	}
	sess := cookieNamed(r, SessionCookie)
	switch {
	case sess == nil:
		t.Fatal("no session cookie")
	case !sess.HttpOnly, sess.SameSite != http.SameSiteStrictMode, sess.Path != "/", sess.Secure:
		t.Errorf("session cookie flags: %+v", sess)
	case sess.MaxAge <= 0 || time.Duration(sess.MaxAge)*time.Second > identity.SessionTTL:
		t.Errorf("session cookie MaxAge = %d, want 1..%v", sess.MaxAge, identity.SessionTTL)
	}
	if k := cookieNamed(r, CSRFCookie); k == nil || k.MaxAge >= 0 {
		t.Errorf("sign-in csrf cookie not cleared: %+v", k)
	}

	list := c.get("/services?tier=1")
	wantStatus(t, list, http.StatusOK)
	wantContains(t, list, `href="/services/checkout"`, `href="/services/payments-api"`, "Signed in as <strong>admin</strong>")
	if strings.Contains(list.body, "svc-000") {
		t.Error("tier filter not applied")
	}

	// Signed in, the form sends the browser on.
	r = c.get("/signin?next=/teams")
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != "/teams" {
		t.Errorf("GET /signin while signed in: Location = %q", got)
	}

	over := c.get("/")
	wantStatus(t, over, http.StatusOK)
	wantContains(t, over, `<span class="stat-n">204</span><span class="stat-l">services</span>`,
		`<span class="stat-n">3</span><span class="stat-l">teams</span>`,
		`<span class="stat-n">6</span><span class="stat-l">third parties</span>`,
		`with the <strong>admin</strong> role`, "The CVE process")
	for tier, n := range map[int]int{1: 2, 2: 1, 3: fleetSize, 4: 1} {
		wantContains(t, over, fmt.Sprintf(`Tier %d</span></a></td><td class="num">%d</td>`, tier, n))
	}

	// Signing in again (from a form that was open before) replaces the
	// session and ends the old one.
	formToken := strings.Repeat("B", 26)
	c.http.Jar.SetCookies(mustURL(t, app.srv.URL+"/signin"), []*http.Cookie{{Name: CSRFCookie, Value: formToken, Path: "/signin"}})
	r = c.post("/signin", url.Values{"csrf": {formToken}, "token": {app.token}})
	wantStatus(t, r, http.StatusSeeOther)
	if _, _, err := app.ids.Session(context.Background(), sess.Value, "127.0.0.1"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Errorf("replaced session still live: %v", err)
	}
	if sess = cookieNamed(r, SessionCookie); sess == nil {
		t.Fatal("no session cookie on second sign-in")
	}
	over = c.get("/")
	wantStatus(t, over, http.StatusOK)

	// Sign out: the session ends on the server, not just in the browser.
	cookieValue := sess.Value
	r = c.post("/signout", url.Values{"csrf": {csrfField(t, over.body)}})
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != "/signin" {
		t.Errorf("after sign-out Location = %q", got)
	}
	if k := cookieNamed(r, SessionCookie); k == nil || k.MaxAge >= 0 {
		t.Errorf("session cookie not cleared: %+v", k)
	}
	wantStatus(t, c.get("/services"), http.StatusSeeOther)
	if _, _, err := app.ids.Session(context.Background(), cookieValue, "127.0.0.1"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Errorf("session after sign-out: %v", err)
	}
}

func TestSignInSecureCookieOverTLS(t *testing.T) {
	app := newTestApp(t)
	tlsSrv := httptest.NewTLSServer(app.srv.Config.Handler)
	defer tlsSrv.Close()
	c := app.client(t)
	c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	c.app = &testApp{srv: tlsSrv, token: app.token}
	r := c.signIn(app.token, "/")
	wantStatus(t, r, http.StatusSeeOther)
	if k := cookieNamed(r, SessionCookie); k == nil || !k.Secure {
		t.Errorf("session cookie over TLS = %+v, want Secure", k)
	}
}

func TestSignInFailures(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	r := c.signIn("pal_wrong", "/teams")
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, `role="alert"`, "that token is unknown, revoked or expired", `name="next" value="/teams"`)
	if cookieNamed(r, SessionCookie) != nil {
		t.Error("failed sign-in set a session cookie")
	}
	// Guessing is limited per address.
	for i := 0; ; i++ {
		r = c.post("/signin", url.Values{"csrf": {csrfField(t, r.body)}, "token": {"pal_guess"}})
		if r.StatusCode == http.StatusTooManyRequests {
			break
		}
		wantStatus(t, r, http.StatusUnauthorized)
		if i > identity.DefaultFailureLimit {
			t.Fatal("no rate limit after", i, "failures")
		}
	}
	wantContains(t, r, "too many failed sign-ins")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Even the right token waits out the limit.
	r = c.post("/signin", url.Values{"csrf": {csrfField(t, r.body)}, "token": {app.token}})
	wantStatus(t, r, http.StatusTooManyRequests)
}

func TestRevokedTokenEndsSession(t *testing.T) {
	app := newTestApp(t)
	admin := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	_, secret, err := app.ids.CreateToken(admin, identity.CreateRequest{Name: "reader", Role: palisade.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	c := app.client(t)
	wantStatus(t, c.signIn(secret, "/"), http.StatusSeeOther)
	r := c.get("/")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `with the <strong>viewer</strong> role`)
	if _, err := app.ids.RevokeToken(admin, "reader"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.get("/"), http.StatusSeeOther)
}

func TestCSRF(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	form := c.get("/signin")
	token := csrfField(t, form.body)

	// Sign-in: the field must match the double-submit cookie.
	for name, tc := range map[string]struct {
		csrf   string
		header []string
	}{
		"missing field":   {csrf: ""},
		"wrong field":     {csrf: strings.Repeat("A", 26)},
		"foreign origin":  {csrf: token, header: []string{"Origin", "https://evil.example"}},
		"null origin":     {csrf: token, header: []string{"Origin", "null"}},
		"cross-site post": {csrf: token, header: []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		r := c.post("/signin", url.Values{"csrf": {tc.csrf}, "token": {app.token}}, tc.header...)
		if r.StatusCode != http.StatusForbidden || cookieNamed(r, SessionCookie) != nil {
			t.Errorf("sign-in, %s: status %d, cookies %v", name, r.StatusCode, r.Cookies())
		}
	}
	// Without the cookie, the field alone proves nothing.
	bare := app.client(t)
	r := bare.post("/signin", url.Values{"csrf": {token}, "token": {app.token}})
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "Not allowed", "reload the page")

	// The same origin (and a request that says so) passes.
	r = c.post("/signin", url.Values{"csrf": {token}, "token": {app.token}}, "Origin", app.srv.URL, "Sec-Fetch-Site", "same-origin")
	wantStatus(t, r, http.StatusSeeOther)

	// Signed in: posts carry the session's token.
	page := c.get("/")
	sessionToken := csrfField(t, page.body)
	if sessionToken == token {
		t.Error("session CSRF token equals the sign-in form's")
	}
	for name, tc := range map[string]struct {
		csrf   string
		header []string
	}{
		"missing field":      {csrf: ""},
		"sign-in form token": {csrf: token},
		"foreign origin":     {csrf: sessionToken, header: []string{"Origin", "http://evil.example"}},
	} {
		r := c.post("/signout", url.Values{"csrf": {tc.csrf}}, tc.header...)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("sign-out, %s: status %d", name, r.StatusCode)
		}
	}
	// Pages behind the session check posts the same way.
	wantStatus(t, c.post("/services", url.Values{"csrf": {"x"}}), http.StatusForbidden)
	// Still signed in after all that.
	wantStatus(t, c.get("/"), http.StatusOK)
	if logs := app.logs.String(); !strings.Contains(logs, `reason="cross-origin request"`) || !strings.Contains(logs, "origin=http://evil.example") {
		t.Errorf("rejected forms not logged:\n%s", logs)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/services":                     "/services",
		"/services?tier=1&tag=pci":      "/services?tier=1&tag=pci",
		"/services/checkout#graph":      "/services/checkout#graph",
		"https://evil.example/":         "/",
		"http:/evil.example":            "/",
		"//evil.example":                "/",
		"///evil.example":               "/",
		"/\\evil.example":               "/",
		"\\\\evil.example":              "/",
		"/\t/evil.example":              "/",
		"/\n/evil.example":              "/",
		"javascript:alert(1)":           "/",
		"evil.example":                  "/",
		"services":                      "/",
		"/signin":                       "/",
		"/signin?next=//evil":           "/",
		"/signout":                      "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenRedirectRejected(t *testing.T) {
	app := newTestApp(t)
	for _, next := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example"} {
		c := app.client(t)
		form := c.get("/signin?next=" + url.QueryEscape(next))
		wantContains(t, form, `name="next" value="/"`)
		// A forged next field is checked again on the post.
		r := c.post("/signin", url.Values{"csrf": {csrfField(t, form.body)}, "next": {next}, "token": {app.token}})
		wantStatus(t, r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != "/" {
			t.Errorf("next=%q: Location = %q, want /", next, got)
		}
		// And once signed in, the form does not bounce anywhere else either.
		r = c.get("/signin?next=" + url.QueryEscape(next))
		if got := r.Header.Get("Location"); got != "/" {
			t.Errorf("signed in, next=%q: Location = %q, want /", next, got)
		}
	}
}

var svgNodeRE = regexp.MustCompile(`<a href="([^"]*)" class="node ([^"]*)">`)

func TestServicePage(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/services/db-core")
	wantStatus(t, r, http.StatusOK)
	dependents := fleetSize + 3
	wantContains(t, r, "<h1>db-core</h1>", `<svg class="graph"`, `<marker id="arrow"`, `marker-end="url(#arrow)"`,
		fmt.Sprintf("Dependents (%d)", dependents), "&#43;189 more", `href="#dependents"`,
		"carol@example.com", `href="/teams/platform"`, "core", "production")
	// Every dependent is listed in the text, even those the drawing folds.
	for i := range fleetSize {
		wantContains(t, r, fmt.Sprintf(`<li><a href="/services/svc-%03d">svc-%03d</a></li>`, i, i))
	}
	// The drawing caps each column.
	counts := map[string]int{}
	for _, m := range svgNodeRE.FindAllStringSubmatch(r.body, -1) {
		counts[strings.Fields(m[2])[0]]++
	}
	if counts["node-up"] != colMax || counts["node-center"] != 1 || counts["node-down"] != 0 {
		t.Errorf("drawn nodes = %v, want %d dependents and the centre", counts, colMax)
	}
	// Long names are shortened in the drawing and kept whole in the tooltip.
	wantContains(t, r, "<title>a-service-with-a-name-much-too-long-for-a-node</title>", "a-service-with-a-name-m…")

	r = c.get("/services/payments-api")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `class="node node-down"`, `href="/services/db-core"`,
		`class="node node-vendor"`, `href="/third-parties/aws"`, "&#43;3 more", `href="#third-parties"`,
		`<a href="https://status.stripe.com" rel="noopener noreferrer" class="external">`,
		"alice@example.com, bob@example.com", "Third parties (6)")
	r = c.get("/services/checkout")
	wantContains(t, r, `<li><a href="/services/payments-api">payments-api</a></li>`, "No service depends on checkout.",
		`<span class="chip chip-data">payment-card</span>`, `href="/services?tag=pci"`)
}

func TestListsAndPagination(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	r := c.get("/services")
	wantStatus(t, r, http.StatusOK)
	if n := strings.Count(r.body, `<tr>`) - 1; n != pageSize {
		t.Errorf("first page has %d rows, want %d", n, pageSize)
	}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		for _, m := range regexp.MustCompile(`<td><a href="/services/([^"]+)">`).FindAllStringSubmatch(r.body, -1) {
			if seen[m[1]] {
				t.Fatalf("service %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
		if m == nil {
			break
		}
		if page > 10 {
			t.Fatal("pagination does not end")
		}
		r = c.get(strings.ReplaceAll(m[1], "&amp;", "&"))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "« First page")
	}
	if len(seen) != fleetSize+4 {
		t.Errorf("pages listed %d services, want %d", len(seen), fleetSize+4)
	}

	// Filters travel with the cursor.
	r = c.get("/services?team=fleet")
	wantContains(t, r, `rel="next"`, "team=fleet", "Services matching the filter")
	r = c.get("/services?tag=pci")
	wantContains(t, r, `href="/services/checkout"`)
	if strings.Contains(r.body, "payments-api") {
		t.Error("tag filter not applied")
	}
	wantContains(t, c.get("/services?tag=nope"), "No service matches this filter.")
	r = c.get("/services?tier=9")
	wantStatus(t, r, http.StatusBadRequest)
	wantContains(t, r, "tier must be a number from 1 to 4")
	wantStatus(t, c.get("/services?team="+strings.Repeat("x", 300)), http.StatusBadRequest)

	r = c.get("/teams")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `href="/teams/payments"`, "alice@example.com, bob@example.com", "Runs the shared infrastructure.")
	r = c.get("/teams/payments")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `href="/services/checkout"`, `href="/services/payments-api"`, "<li>alice@example.com</li>")
	r = c.get("/teams/fleet")
	wantContains(t, r, `rel="next"`, "No members listed.")

	r = c.get("/third-parties")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `href="/third-parties/stripe"`, `<a href="https://status.stripe.com" rel="noopener noreferrer" class="external">`)
	r = c.get("/third-parties/stripe")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, `<td><a href="/services/checkout">checkout</a></td>`, `<td><a href="/services/payments-api">payments-api</a></td>`,
		`<a class="chip" href="/teams/payments">payments</a>`, `<span class="chip chip-data">pii</span>`,
		`<a href="https://stripe.com" rel="noopener noreferrer" class="external">`)
	wantContains(t, c.get("/third-parties/twilio"), `<td><a href="/services/payments-api">payments-api</a></td>`)

	for _, cp := range app.ui.caps {
		r := c.get(cp.Path)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, `aria-current="page"`)
		if !cp.Built {
			wantContains(t, r, cp.Pending)
		} else if strings.Contains(r.body, `class="notice"`) {
			t.Errorf("%s is built but shows the pending notice", cp.Path)
		}
	}
}

func TestNotFound(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()
	for path, msg := range map[string]string{
		"/services/nope":         `service &#34;nope&#34; not found`,
		"/services/NOT%20VALID":  "there is no service named",
		"/teams/nope":            `team &#34;nope&#34; not found`,
		"/third-parties/nope":    `third party &#34;nope&#34; not found`,
		"/no/such/page":          "there is no page at /no/such/page",
		"/services/checkout/etc": "there is no page",
	} {
		r := c.get(path)
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r, "<h1>Not found</h1>", msg, `aria-label="Main"`)
	}
}

func TestErrorPages(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	c.mustSignIn()

	// A role the page's action needs and the actor lacks.
	ui := New(Config{Identity: app.ids})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	ui.fail(rec, req, palisade.Errorf(palisade.EFORBIDDEN, "role viewer may not do this; it needs editor or higher"))
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "role viewer may not do this") {
		t.Errorf("forbidden: %d\n%s", rec.Code, rec.Body)
	}

	// Anything unexpected: logged in full, shown without detail.
	app.db.Close()
	r := c.get("/services")
	wantStatus(t, r, http.StatusInternalServerError)
	wantContains(t, r, "Something went wrong", "The error has been logged", "<code>req-")
	for _, leak := range []string{"sql", "closed", "database is", "session"} {
		if strings.Contains(strings.ToLower(r.body[strings.Index(r.body, "<main"):]), leak) {
			t.Errorf("500 page leaks %q:\n%s", leak, r.body)
		}
	}
	if logs := app.logs.String(); !strings.Contains(logs, "sql: database is closed") || !strings.Contains(logs, "request_id=req-") {
		t.Errorf("internal error not logged with its cause and request id:\n%s", logs)
	}

	for code, status := range map[string]int{
		palisade.EFORBIDDEN: 403, palisade.ENOTFOUND: 404, palisade.EINVALID: 400, palisade.ERATELIMIT: 429,
		palisade.EUNAVAILABLE: 503, palisade.EINTERNAL: 500, "something-new": 500,
	} {
		if got := errorStatus(palisade.Errorf(code, "x")); got != status {
			t.Errorf("errorStatus(%s) = %d, want %d", code, got, status)
		}
	}
	if got := errorStatus(io.ErrUnexpectedEOF); got != 500 {
		t.Errorf("errorStatus(plain error) = %d", got)
	}
}

func TestStatic(t *testing.T) {
	app := newTestApp(t)
	c := app.client(t)
	page := c.get("/signin")
	for name, ctype := range map[string]string{"app.css": "text/css", "app.js": "text/javascript", "favicon.svg": "image/svg+xml"} {
		m := regexp.MustCompile(`"(/static/` + strings.Replace(regexp.QuoteMeta(name), `\.`, `\.[0-9a-f]{12}\.`, 1) + `)"`).FindStringSubmatch(page.body)
		if m == nil {
			t.Errorf("page does not link a hashed %s", name)
			continue
		}
		r := c.get(m[1])
		wantStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), ctype) || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Content-Type %q, Cache-Control %q", m[1], r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"))
		}
		req, _ := http.NewRequest("GET", app.srv.URL+m[1], nil)
		req.Header.Set("If-None-Match", r.Header.Get("ETag"))
		if r := c.do(req); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s with its ETag = %d, want 304", m[1], r.StatusCode)
		}
		plain := c.get("/static/" + name)
		if plain.StatusCode != http.StatusOK || strings.Contains(plain.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("/static/%s: %d, Cache-Control %q", name, plain.StatusCode, plain.Header.Get("Cache-Control"))
		}
	}
	wantStatus(t, c.get("/static/nope.css"), http.StatusNotFound)
	if r := c.get("/static/../web.go"); r.StatusCode == http.StatusOK {
		t.Errorf("/static/../web.go = %d", r.StatusCode)
	}
	r := c.get("/favicon.ico")
	if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/static/favicon.svg" {
		t.Errorf("/favicon.ico = %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestNoInlineScriptOrStyle renders every kind of page and checks what the
// CSP would otherwise have to allow: no inline script, no style element or
// attribute, no event-handler attribute, no javascript: URL, nothing loaded
// from another origin, and external links that cannot reach back.
func TestNoInlineScriptOrStyle(t *testing.T) {
	app := newTestApp(t)
	anon := app.client(t)
	pages := map[string]*response{
		"sign-in":         anon.get("/signin?next=/services"),
		"sign-in failure": anon.signIn("pal_wrong", "/"),
		"csrf failure":    anon.post("/signin", url.Values{}),
	}
	c := app.client(t)
	c.mustSignIn()
	for _, p := range []string{"/", "/services", "/services?tier=3&after=svc-010", "/services/db-core", "/services/payments-api",
		"/services/checkout", "/teams", "/teams/payments", "/third-parties", "/third-parties/stripe",
		"/vulnerabilities", "/slos", "/experiments", "/watch", "/incidents", "/services/nope", "/nowhere", "/services?tier=x"} {
		pages[p] = c.get(p)
	}
	for name, r := range pages {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q", name, r.Header.Get("Content-Type"))
		}
		for _, problem := range checkHTML(r.body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
	// The checker itself must catch what it looks for.
	bad := `<p style="color:red" onclick="x()"><script>alert(1)</script><style>p{}</style><a href="javascript:x">x</a>` +
		`<svg><a href="/x" onmouseover="y()"><rect style="fill:red"/></a></svg><a href="https://x.example">x</a>` +
		`<img src="https://cdn.example/x.png"><script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/x.css">`
	if got := checkHTML(bad); len(got) != 11 {
		t.Errorf("checker found %d problems in the bad page, want 11:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// checkHTML returns the CSP-relevant problems of an HTML document. It is a
// small tokenizer rather than a parser: html/template output is regular
// enough, and the project takes no HTML parsing dependency for one test.
func checkHTML(doc string) []string {
	var problems []string
	lower := strings.ToLower(doc)
	for i := 0; i < len(doc); {
		j := strings.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		i += j
		switch {
		case strings.HasPrefix(doc[i:], "<!--"):
			end := strings.Index(doc[i:], "-->")
			if end < 0 {
				return append(problems, "unterminated comment")
			}
			i += end + 3
			continue
		case strings.HasPrefix(doc[i:], "<!"), strings.HasPrefix(doc[i:], "</"):
			end := strings.IndexByte(doc[i:], '>')
			if end < 0 {
				return append(problems, "unterminated tag")
			}
			i += end + 1
			continue
		}
		name, attrs, n := scanTag(doc[i+1:])
		if name == "" {
			i++
			continue
		}
		i += 1 + n
		for _, a := range attrs {
			switch {
			case a[0] == "style":
				problems = append(problems, fmt.Sprintf("<%s> has a style attribute", name))
			case strings.HasPrefix(a[0], "on"):
				problems = append(problems, fmt.Sprintf("<%s> has an event handler attribute %s", name, a[0]))
			case (a[0] == "href" || a[0] == "src" || a[0] == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a[1])), "javascript:"):
				problems = append(problems, fmt.Sprintf("<%s> has a javascript: URL", name))
			}
		}
		attr := func(k string) (string, bool) {
			for _, a := range attrs {
				if a[0] == k {
					return a[1], true
				}
			}
			return "", false
		}
		local := func(u string) bool { return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") }
		switch name {
		case "style":
			problems = append(problems, "<style> element")
		case "script":
			if src, ok := attr("src"); !ok || src == "" {
				problems = append(problems, "inline <script>")
			} else if !local(src) {
				problems = append(problems, "script from another origin: "+src)
			}
			end := strings.Index(lower[i:], "</script")
			if end < 0 {
				return append(problems, "unterminated <script>")
			}
			if src, _ := attr("src"); src != "" && strings.TrimSpace(doc[i:i+end]) != "" {
				problems = append(problems, "<script> with a src and a body")
			}
			i += end
		case "img", "link":
			k := "src"
			if name == "link" {
				k = "href"
			}
			if u, ok := attr(k); ok && !local(u) && !strings.HasPrefix(u, "data:") {
				problems = append(problems, fmt.Sprintf("<%s> loads from another origin: %s", name, u))
			}
		case "a":
			href, _ := attr("href")
			if strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "//") {
				rel, _ := attr("rel")
				if !strings.Contains(rel, "noopener") || !strings.Contains(rel, "noreferrer") {
					problems = append(problems, "external link without rel=\"noopener noreferrer\": "+href)
				}
			}
		}
	}
	return problems
}

// scanTag reads a start tag after its '<': the lower-cased name, the
// attributes as [name, value] pairs and the bytes consumed through '>'.
func scanTag(s string) (name string, attrs [][2]string, n int) {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == ':') {
		i++
	}
	if i == 0 || !isAlpha(s[0]) {
		return "", nil, 0
	}
	name = strings.ToLower(s[:i])
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '/') {
			i++
		}
		if i >= len(s) || s[i] == '>' {
			return name, attrs, i + 1
		}
		start := i
		for i < len(s) && !strings.ContainsRune(" \t\n\r=>/", rune(s[i])) {
			i++
		}
		key := strings.ToLower(s[start:i])
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					return name, attrs, len(s)
				}
				val = s[i+1 : i+1+end]
				i += end + 2
			} else {
				start := i
				for i < len(s) && !strings.ContainsRune(" \t\n\r>", rune(s[i])) {
					i++
				}
				val = s[start:i]
			}
		}
		if key != "" {
			attrs = append(attrs, [2]string{key, val})
		} else {
			i++
		}
	}
	return name, attrs, len(s)
}

func isAlpha(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }
func isAlnum(b byte) bool { return isAlpha(b) || b >= '0' && b <= '9' }
