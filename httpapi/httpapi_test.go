package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/retro/retroincident"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

type fixture struct {
	srv      *Server
	http     *httptest.Server
	tokens   map[palisade.Role]string
	ids      *identity.Service
	finding  string
	decision string
	inc      *incident.Service
	incident string
	retro    *retro.Service
	// retroID is a draft retrospective of incident, with action item AI-1
	// (overdue).
	retroID string
}

func newFixture(t testing.TB, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ids := identity.NewService(db, nil, nil)
	reg := catalog.NewRegistry(db)
	vs := vuln.NewService(db, reg, nil, nil)
	engine := slo.NewEngine(db, nil, nil)
	ss := slo.NewService(db, engine, reg, nil)
	gs := gate.NewService(db, vs, ss, reg, nil)
	is := incident.NewService(db, db, reg, nil, nil)
	is.SetLookup(func(name string) (string, bool) { v, ok := testSecrets[name]; return v, ok })
	reg.HandleSection("alertSources", is.SourcesSection())
	rs := retro.NewService(db, retroincident.New(is), db, nil, nil)
	reg.HandleSection(retro.SectionName, rs.Section())
	srv := New(Config{Catalog: reg, Identity: ids, Audit: auditlog.NewService(db), Vuln: vs, SLO: ss, Gate: gs, Incident: is, Retro: rs, AuditHead: db.AuditHead, Ready: db.Ready,
		Registry: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f := &fixture{srv: srv, ids: ids, tokens: map[palisade.Role]string{}, inc: is, retro: rs}
	admin, err := ids.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f.tokens[palisade.RoleAdmin] = admin
	actx := palisade.WithActor(ctx, palisade.SystemActor("test"))
	for _, r := range []palisade.Role{palisade.RoleViewer, palisade.RoleResponder, palisade.RoleEditor} {
		_, secret, err := ids.CreateToken(actx, identity.CreateRequest{Name: string(r), Role: r})
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r] = secret
	}
	doc := &catalog.Document{Catalog: catalog.Catalog{
		Teams:        []catalog.Team{{Name: "payments-team"}},
		Services:     []catalog.Service{{Name: "checkout", Team: "payments-team", Tier: 1, DependsOn: []string{"payments-api"}, ThirdParties: []string{"stripe"}}, {Name: "payments-api", Team: "payments-team", Tier: 1}},
		ThirdParties: []catalog.ThirdParty{{Name: "stripe"}},
	}}
	if _, err := reg.Apply(actx, doc, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	// One finding and an inventory, for the CVE-process routes.
	comp := vuln.Component{Purl: "pkg:pypi/jinja2@2.4.1", Ecosystem: "PyPI", Name: "jinja2", Version: "2.4.1"}
	if err := db.PutInventory(actx, &vuln.Inventory{Service: "checkout", Format: "cyclonedx-json", Digest: "d", RecordedAt: time.Now(), Components: []vuln.Component{comp}}); err != nil {
		t.Fatal(err)
	}
	adv := &vuln.Advisory{ID: "GHSA-test-0001", Aliases: []string{"CVE-2026-0001"}, Severity: "high", Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Packages: []vuln.Package{{Ecosystem: "PyPI", Name: "jinja2"}}}
	if _, err := db.UpsertAdvisories(actx, []vuln.AdvisoryRecord{{Advisory: *adv, Record: []byte(`{"id":"GHSA-test-0001","modified":"2026-01-01T00:00:00Z","aliases":["CVE-2026-0001"],"affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.5"}]}]}]}`)}}); err != nil {
		t.Fatal(err)
	}
	changes := vuln.Reconcile([]vuln.Match{{Service: "checkout", Component: comp, Advisory: adv}}, nil, nil, time.Now(), vuln.DefaultPolicy(), func(string) int { return 1 })
	if err := db.ApplyChanges(actx, changes); err != nil {
		t.Fatal(err)
	}
	f.finding = changes[0].Finding.ID
	dec, err := gs.Decide(actx, gate.Request{Service: "checkout", Files: []vuln.File{{Name: "bom.json", Data: []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[]}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	f.decision = dec.ID
	srcDoc, err := catalog.ParseYAML("sources.yaml", []byte(testSources))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Apply(actx, srcDoc, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	inc, err := is.Open(actx, incident.OpenRequest{Title: "Fixture incident", Services: []string{"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	f.incident = inc.ID
	rt, err := rs.Open(actx, inc.ID, retro.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	f.retroID = rt.ID
	due := time.Now().Add(-24 * time.Hour)
	if _, err := rs.AddActionItem(actx, rt.ID, retro.ItemInput{Title: "Rotate the deploy token", Owner: "payments-team", DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "doomed-viewer", "doomed-responder", "doomed-editor", "doomed-admin"} {
		if _, _, _, err := ss.Put(actx, []*slo.SLO{{Name: name, Service: "checkout", Objective: 0.999, Window: slo.Window{Rolling: slo.Duration(30 * 24 * time.Hour)},
			Budgeting: slo.Occurrences, Indicator: slo.Indicator{Kind: slo.KindEvents}}}, false); err != nil {
			t.Fatal(err)
		}
	}
	f.http = httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, token, ctype, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// testSecrets are the alert sources' credentials, as the server's
// environment would hold them.
var testSecrets = map[string]string{
	"AM_TOKEN": "am-token-0123456789", "AM_TOKEN_OLD": "am-token-old", "EVENTS_KEY": "events-routing-key-1",
	"CI_SECRET": "ci-secret-new", "CI_SECRET_OLD": "ci-secret-old", "STD_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}

const testSources = `
alertSources:
  - name: alertmanager
    type: alertmanager
    tokens: ['${AM_TOKEN}', '${AM_TOKEN_OLD}']
  - name: uptime
    type: events
    routingKeys: ['${EVENTS_KEY}']
    labels: {team: payments-team}
  - name: ci
    type: webhook
    signature: github
    secrets: ['${CI_SECRET}', '${CI_SECRET_OLD}']
    fields: {dedupKey: check.id, action: check.state, summary: check.name, service: check.service, severity: check.severity}
  - name: std
    type: webhook
    signature: standard
    secrets: ['${STD_SECRET}']
    fields: {dedupKey: id}
  - name: unset
    type: alertmanager
    tokens: ['${NOT_SET_ANYWHERE}']
`

// sample requests per route, so that every declared route is exercised by
// the role matrix with a valid call.
var sampleCalls = map[string]struct{ path, ctype, body string }{
	"GET /api/v1/openapi.json":               {"/api/v1/openapi.json", "", ""},
	"GET /api/v1/whoami":                     {"/api/v1/whoami", "", ""},
	"POST /api/v1/apply":                     {"/api/v1/apply?dryRun=true", "application/yaml", "teams:\n  - name: payments-team\n"},
	"GET /api/v1/services":                   {"/api/v1/services", "", ""},
	"GET /api/v1/services/{name}":            {"/api/v1/services/checkout", "", ""},
	"GET /api/v1/teams":                      {"/api/v1/teams", "", ""},
	"GET /api/v1/teams/{name}":               {"/api/v1/teams/payments-team", "", ""},
	"GET /api/v1/third-parties":              {"/api/v1/third-parties", "", ""},
	"GET /api/v1/third-parties/{name}":       {"/api/v1/third-parties/stripe", "", ""},
	"GET /api/v1/tokens":                     {"/api/v1/tokens", "", ""},
	"GET /api/v1/services/{name}/inventory":  {"/api/v1/services/checkout/inventory", "", ""},
	"GET /api/v1/vuln/findings":              {"/api/v1/vuln/findings?state=open&severity=high", "", ""},
	"GET /api/v1/vuln/findings/{id}":         {"/api/v1/vuln/findings/{finding}", "", ""},
	"POST /api/v1/vuln/findings/{id}/triage": {"/api/v1/vuln/findings/{finding}/triage", "application/json", `{"state":"exploitable","reason":"confirmed by %s"}`},
	"POST /api/v1/vuln/findings/{id}/accept": {"/api/v1/vuln/findings/{finding}/accept", "application/json", `{"reason":"patch next sprint","requestedBy":"lea","expiresAt":"{future}"}`},
	"POST /api/v1/vuln/triage":               {"/api/v1/vuln/triage", "application/json", `{"advisory":"CVE-2026-0001","state":"exploitable","reason":"bulk by %s"}`},
	"POST /api/v1/vuln/accept":               {"/api/v1/vuln/accept", "application/json", `{"ids":["{finding}"],"reason":"r","requestedBy":"lea","expiresAt":"{future}"}`},
	"GET /api/v1/vuln/advisories/{id}":       {"/api/v1/vuln/advisories/CVE-2026-0001", "", ""},
	"GET /api/v1/vuln/metrics":               {"/api/v1/vuln/metrics?team=payments-team", "", ""},
	"GET /api/v1/vuln/policy":                {"/api/v1/vuln/policy", "", ""},
	"GET /api/v1/prometheus/rules":           {"/api/v1/prometheus/rules", "", ""},
	"GET /api/v1/openslo":                    {"/api/v1/openslo?service=checkout", "", ""},
	"POST /api/v1/openslo":                   {"/api/v1/openslo", "application/yaml", "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: imported-%s\nspec:\n  service: checkout\n  indicator:\n    metadata:\n      name: x\n    spec:\n      ratioMetric:\n        good:\n          metricSource:\n            type: Palisade\n            spec:\n              count: good\n              indicator: events\n        total:\n          metricSource:\n            type: Palisade\n            spec:\n              count: total\n              indicator: events\n  timeWindow:\n  - duration: 4w\n    isRolling: true\n  budgetingMethod: Occurrences\n  objectives:\n  - target: 0.99\n"},
	"POST /api/v1/gate":                      {"/api/v1/gate?service=checkout&change=PR-1", "application/json", `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"jinja2","version":"2.5","purl":"pkg:pypi/jinja2@2.5"}]}`},
	"GET /api/v1/gate/decisions":             {"/api/v1/gate/decisions?service=checkout", "", ""},
	"GET /api/v1/gate/decisions/{id}":        {"/api/v1/gate/decisions/{decision}", "", ""},
	"GET /api/v1/slos":                       {"/api/v1/slos?service=checkout", "", ""},
	"GET /api/v1/slos/{name}":                {"/api/v1/slos/login", "", ""},
	"PUT /api/v1/slos/{name}":                {"/api/v1/slos/login", "application/json", `{"service":"checkout","objective":0.99,"window":"28d","indicator":{"kind":"events"},"alerting":{"minEvents":10}}`},
	"DELETE /api/v1/slos/{name}":             {"/api/v1/slos/doomed-%s", "", ""},
	"POST /api/v1/slos/{name}/events":        {"/api/v1/slos/login/events", "application/json", `{"events":[{"time":"{now}","good":99,"total":100}]}`},
	"POST /api/v1/services/{name}/checks":    {"/api/v1/services/checkout/checks", "application/json", `{"checks":[{"check":"mfa","ok":true}]}`},
	"GET /api/v1/vuln/database":              {"/api/v1/vuln/database", "", ""},
	"POST /api/v1/vuln/advisories":           {"/api/v1/vuln/advisories", "application/json", `{"id":"GHSA-test-0002","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.5"}]}]}]}`},
	"POST /api/v1/vuln/sync":                 {"/api/v1/vuln/sync", "application/json", `{"ecosystems":[]}`},
	"POST /api/v1/vuln/kev":                  {"/api/v1/vuln/kev", "application/json", `{"catalogVersion":"2026.01.01","dateReleased":"2026-01-01T00:00:00Z","count":1,"vulnerabilities":[{"cveID":"CVE-2026-0001","vendorProject":"x","product":"y","vulnerabilityName":"z","dateAdded":"2026-01-01","shortDescription":"d","requiredAction":"a","dueDate":"2026-01-22","knownRansomwareCampaignUse":"Unknown","notes":""}]}`},
	"POST /api/v1/vuln/epss":                 {"/api/v1/vuln/epss", "text/csv", "#model_version:v2025.03.14,score_date:2026-01-01T00:00:00+0000\ncve,epss,percentile\nCVE-2026-0001,0.5,0.9\n"},
	"POST /api/v1/vuln/scan":                 {"/api/v1/vuln/scan", "application/json", `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"jinja2","version":"2.4.1","purl":"pkg:pypi/jinja2@2.4.1"}]}`},
	"POST /api/v1/vuln/vex":                  {"/api/v1/vuln/vex", "application/json", `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2026-0001"},"products":[{"@id":"pkg:pypi/jinja2@2.4.1"}],"status":"affected","action_statement":"update"}]}`},
	"GET /api/v1/vuln/vex":                   {"/api/v1/vuln/vex?format=cyclonedx", "", ""},
	"GET /api/v1/vuln/report":                {"/api/v1/vuln/report?from=2026-01-01&to=2027-01-01&format=html", "", ""},
	"PUT /api/v1/vuln/policy":                {"/api/v1/vuln/policy", "application/json", `{"days":{"critical":7,"high":30,"medium":90,"low":180,"unknown":30}}`},
	"POST /api/v1/tokens":                    {"/api/v1/tokens", "application/json", `{"name":"matrix-%s","role":"viewer"}`},
	"DELETE /api/v1/tokens/{ref}":            {"/api/v1/tokens/victim-%s", "", ""},
	"GET /api/v1/audit":                      {"/api/v1/audit", "", ""},
	// Alert sources authenticate with their own credentials: an API token
	// of any role is refused (the positive paths are in alerts_test.go).
	"POST /api/v1/alerts/alertmanager":     {"/api/v1/alerts/alertmanager", "application/json", `{"version":"4","status":"firing","alerts":[]}`},
	"POST /api/v1/alerts/events":           {"/api/v1/alerts/events", "application/json", `{"routing_key":"guess","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}`},
	"POST /api/v1/alerts/webhook/{source}": {"/api/v1/alerts/webhook/ci", "application/json", `{"id":"1"}`},
	"GET /api/v1/alerts":                   {"/api/v1/alerts?status=firing", "", ""},
	"GET /api/v1/incidents":                {"/api/v1/incidents?status=open", "", ""},
	"POST /api/v1/incidents":               {"/api/v1/incidents", "application/json", `{"title":"opened by %s","kind":"security","services":["checkout"]}`},
	"GET /api/v1/incidents/metrics":        {"/api/v1/incidents/metrics?from=2026-01-01", "", ""},
	"GET /api/v1/incidents/{id}":           {"/api/v1/incidents/{incident}", "", ""},
	"PATCH /api/v1/incidents/{id}":         {"/api/v1/incidents/{incident}", "application/json", `{"addParticipants":["%s"]}`},
	"GET /api/v1/incidents/{id}/timeline":  {"/api/v1/incidents/{incident}/timeline?after=1", "", ""},
	"POST /api/v1/incidents/{id}/notes":    {"/api/v1/incidents/{incident}/notes", "application/json", `{"text":"note by %s"}`},
	"POST /api/v1/incidents/{id}/merge":    {"/api/v1/incidents/{mergeable}/merge", "application/json", `{"into":"{incident}"}`},
	"GET /api/v1/audit/verify":             {"/api/v1/audit/verify", "", ""},

	"GET /api/v1/incidents/{id}/similar":                    {"/api/v1/incidents/{incident}/similar?limit=3", "", ""},
	"GET /api/v1/retrospectives":                            {"/api/v1/retrospectives?q=fixture+incident&service=checkout&state=draft", "", ""},
	"POST /api/v1/incidents/{id}/retrospective":             {"/api/v1/incidents/{incident}/retrospective", "application/json", `{"force":true}`},
	"GET /api/v1/retrospectives/{id}":                       {"/api/v1/retrospectives/{retro}", "", ""},
	"PATCH /api/v1/retrospectives/{id}":                     {"/api/v1/retrospectives/{retro}", "application/json", `{"tags":["by-%s"]}`},
	"DELETE /api/v1/retrospectives/{id}":                    {"/api/v1/retrospectives/{fresh-retro}", "", ""},
	"POST /api/v1/retrospectives/{id}/transition":           {"/api/v1/retrospectives/{fresh-retro}/transition", "application/json", `{"state":"in_review"}`},
	"POST /api/v1/retrospectives/{id}/action-items":         {"/api/v1/retrospectives/{retro}/action-items", "application/json", `{"title":"Follow-up by %s","owner":"payments-team"}`},
	"PATCH /api/v1/retrospectives/{id}/action-items/{item}": {"/api/v1/retrospectives/{retro}/action-items/AI-1", "application/json", `{"owner":"%s"}`},
	"GET /api/v1/retrospectives/{id}/export":                {"/api/v1/retrospectives/{retro}/export?format=html", "", ""},
	"GET /api/v1/action-items":                              {"/api/v1/action-items?overdue=true", "", ""},
}

// TestRoleMatrix calls every route with every role and without a token:
// a role below the route's gets 403, at or above gets success, no token
// 401. Routes without a sample call fail the test, so a new route cannot
// skip the matrix.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	actx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	for _, rt := range f.srv.apiRoutes {
		key := rt.Method + " " + rt.Path
		call, ok := sampleCalls[key]
		if !ok {
			t.Errorf("route %s has no sample call in TestRoleMatrix", key)
			continue
		}
		for _, role := range append([]palisade.Role{""}, palisade.Roles...) {
			t.Run(key+"/"+string(role), func(t *testing.T) {
				path, body := call.path, call.body
				if strings.Contains(path, "doomed-") {
					path = strings.ReplaceAll(path, "%s", string(orRole(role)))
				}
				if strings.Contains(path, "%s") || strings.Contains(body, "%s") {
					path = strings.ReplaceAll(path, "%s", string(role)+"x")
					body = strings.ReplaceAll(body, "%s", string(role)+"x")
					if strings.Contains(path, "victim-") {
						f.ids.CreateToken(actx, identity.CreateRequest{Name: "victim-" + string(role) + "x", Role: palisade.RoleViewer})
					}
				}
				future := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
				nowText := time.Now().UTC().Format(time.RFC3339)
				if strings.Contains(path, "{mergeable}") {
					m, err := f.inc.Open(actx, incident.OpenRequest{Title: "to merge", Services: []string{"checkout"}})
					if err != nil {
						t.Fatal(err)
					}
					path = strings.ReplaceAll(path, "{mergeable}", m.ID)
				}
				path = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(path, "{finding}", f.finding), "{future}", future), "{decision}", f.decision)
				if strings.Contains(path, "{fresh-retro}") {
					rt, err := f.retro.Open(actx, f.incident, retro.OpenRequest{Force: true})
					if err != nil {
						t.Fatal(err)
					}
					path = strings.ReplaceAll(path, "{fresh-retro}", rt.ID)
				}
				path = strings.ReplaceAll(path, "{incident}", f.incident)
				path = strings.ReplaceAll(path, "{retro}", f.retroID)
				body = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(body, "{finding}", f.finding), "{future}", future), "{now}", nowText)
				body = strings.ReplaceAll(body, "{incident}", f.incident)
				token := ""
				if role != "" {
					token = f.tokens[role]
				}
				resp, b := f.do(t, rt.Method, path, token, call.ctype, body)
				var want int
				switch {
				case rt.Role == roleSource:
					want = 401
				case rt.Role == "":
					want = 200
				case role == "":
					want = 401
				case !role.AtLeast(rt.Role):
					want = 403
				case rt.Method == "POST" && (rt.Path == "/api/v1/tokens" || rt.Path == "/api/v1/incidents" || strings.HasSuffix(rt.Path, "/notes") ||
					strings.HasSuffix(rt.Path, "/retrospective") || strings.HasSuffix(rt.Path, "/action-items")):
					want = 201
				case rt.Method == "DELETE" && (strings.HasPrefix(rt.Path, "/api/v1/slos/") || strings.HasPrefix(rt.Path, "/api/v1/retrospectives/")):
					want = 204
				case rt.Path == "/api/v1/vuln/sync":
					want = 400 // allowed through, then refused: no ecosystems (the test has no network)
				default:
					want = 200
				}
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, b)
				}
			})
		}
	}
}

// TestOpenAPIMatchesRoutes keeps openapi.json and the route table in step,
// including each route's role.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	s := New(Config{})
	declared := map[string]palisade.Role{}
	for _, rt := range s.apiRoutes {
		declared[strings.ToLower(rt.Method)+" "+rt.Path] = rt.Role
	}
	documented := map[string]palisade.Role{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Role palisade.Role `json:"x-palisade-role"`
			}
			json.Unmarshal(raw, &op)
			documented[method+" "+path] = op.Role
		}
	}
	for k, role := range declared {
		if d, ok := documented[k]; !ok {
			t.Errorf("route %s is not in openapi.json", k)
		} else if d != role {
			t.Errorf("route %s: openapi.json says role %q, the route table %q", k, d, role)
		}
	}
	for k := range documented {
		if _, ok := declared[k]; !ok {
			t.Errorf("openapi.json documents %s, which no route serves", k)
		}
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	editor, viewer := f.tokens[palisade.RoleEditor], f.tokens[palisade.RoleViewer]
	cases := []struct {
		name                       string
		method, path, token, ctype string
		body                       string
		status                     int
		code, field, msg           string
	}{
		{"no token", "GET", "/api/v1/services", "", "", "", 401, "unauthorized", "", "Bearer"},
		{"revoked or unknown", "GET", "/api/v1/services", "pal_unknown", "", "", 401, "unauthorized", "", "unknown token"},
		{"role", "POST", "/api/v1/apply", viewer, "application/yaml", "teams: []", 403, "forbidden", "", "needs editor"},
		{"unknown service", "GET", "/api/v1/services/nope", viewer, "", "", 404, "not_found", "", `"nope"`},
		{"unknown route", "GET", "/api/v1/nope", viewer, "", "", 404, "not_found", "", "no API route"},
		{"content type", "POST", "/api/v1/apply", editor, "text/plain", "teams: []", 415, "unsupported_media", "", "Content-Type"},
		{"malformed yaml", "POST", "/api/v1/apply", editor, "application/yaml", "teams: [\n", 400, "invalid", "request body:1:8", "YAML"},
		{"malformed json", "POST", "/api/v1/apply", editor, "application/json", `{"teams": [}`, 400, "invalid", "request body:1:12", "JSON"},
		{"unknown field", "POST", "/api/v1/tokens", f.tokens[palisade.RoleAdmin], "application/json", `{"name":"a","role":"viewer","rol":"x"}`, 400, "invalid", "rol", "unknown field"},
		{"bad reference", "POST", "/api/v1/apply", editor, "application/yaml", "services:\n  - name: a\n    team: ghost\n", 422, "unprocessable", "request body:3:11", `unknown team "ghost"`},
		{"conflict", "POST", "/api/v1/tokens", f.tokens[palisade.RoleAdmin], "application/json", `{"name":"viewer","role":"viewer"}`, 409, "conflict", "name", "exists"},
		{"too large", "POST", "/api/v1/tokens", f.tokens[palisade.RoleAdmin], "application/json", `{"name":"` + strings.Repeat("a", MaxBodySize) + `"}`, 413, "too_large", "", "larger than"},
		{"bad limit", "GET", "/api/v1/services?limit=0", viewer, "", "", 400, "invalid", "limit", "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.do(t, tc.method, tc.path, tc.token, tc.ctype, tc.body)
			var eb ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil {
				t.Fatalf("error body is not JSON: %s", b)
			}
			if resp.StatusCode != tc.status || eb.Error.Code != tc.code || eb.Error.Field != tc.field || !strings.Contains(eb.Error.Message, tc.msg) {
				t.Fatalf("got %d %+v, want %d %s field %q message containing %q", resp.StatusCode, eb.Error, tc.status, tc.code, tc.field, tc.msg)
			}
		})
	}
	// Nothing of the failed applies was written.
	if _, b := f.do(t, "GET", "/api/v1/services/a", viewer, "", ""); !strings.Contains(string(b), "not_found") {
		t.Errorf("a failed apply wrote service a: %s", b)
	}
}

func TestFailedAuthIsRateLimited(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	var last int
	for range identity.DefaultFailureLimit + 1 {
		resp, _ := f.do(t, "GET", "/api/v1/services", "pal_guess", "", "")
		last = resp.StatusCode
	}
	if last != 429 {
		t.Fatalf("after %d failures: %d, want 429", identity.DefaultFailureLimit+1, last)
	}
	// Even the right token waits: the limit is per address, before lookup.
	if resp, _ := f.do(t, "GET", "/api/v1/services", f.tokens[palisade.RoleViewer], "", ""); resp.StatusCode != 429 {
		t.Fatalf("valid token while limited: %d", resp.StatusCode)
	}
}

func TestListShapeAndHeaders(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	resp, b := f.do(t, "GET", "/api/v1/services?limit=1", f.tokens[palisade.RoleViewer], "", "")
	var page struct {
		Items []map[string]any `json:"items"`
		Next  *string          `json:"next"`
	}
	if err := json.Unmarshal(b, &page); err != nil || len(page.Items) != 1 || page.Next == nil || *page.Next != "checkout" {
		t.Fatalf("page = %s", b)
	}
	for _, k := range []string{"name", "team", "tier", "dependsOn"} {
		if _, ok := page.Items[0][k]; !ok {
			t.Errorf("service lacks %q: %s", k, b)
		}
	}
	for h, re := range map[string]string{
		"Content-Security-Policy": `default-src 'none'.*script-src 'self'`,
		"X-Content-Type-Options":  `nosniff`,
		"X-Request-Id":            `^[0-9a-f]{16}$`,
		"Cache-Control":           `no-store`,
	} {
		if !regexp.MustCompile(re).MatchString(resp.Header.Get(h)) {
			t.Errorf("header %s = %q, want %s", h, resp.Header.Get(h), re)
		}
	}
	_, b = f.do(t, "GET", "/api/v1/services?cursor=checkout", f.tokens[palisade.RoleViewer], "", "")
	if !strings.Contains(string(b), `"payments-api"`) || !strings.Contains(string(b), `"next":""`) {
		t.Errorf("second page = %s", b)
	}
	if !slices.Contains([]int{200}, resp.StatusCode) {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// orRole names the anonymous caller for paths that need a name per role.
func orRole(r palisade.Role) palisade.Role {
	if r == "" {
		return "viewer"
	}
	return r
}
