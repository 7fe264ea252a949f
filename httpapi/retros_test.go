package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/store/storetest"
)

// call sends a request as role and decodes a JSON answer into out (when
// not nil); it returns the response and the raw body.
func (f *fixture) call(t *testing.T, role palisade.Role, method, path, body string, out any) (*http.Response, []byte) {
	t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	resp, b := f.do(t, method, path, f.tokens[role], ctype, body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp, b
}

func wantError(t *testing.T, resp *http.Response, b []byte, status int, field string) ErrorBody {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || resp.StatusCode != status || eb.Error.Field != field {
		t.Fatalf("got %d %s, want %d on field %q", resp.StatusCode, b, status, field)
	}
	return eb
}

func TestRetrospectiveAPI(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	const R, V = palisade.RoleResponder, palisade.RoleViewer
	actx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	inc, err := f.inc.Open(actx, incident.OpenRequest{Title: "Deploy token leaked in a build log", Services: []string{"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/incidents/" + inc.ID + "/retrospective"

	// Open with an empty body: the default template.
	var rt retro.Retrospective
	resp, b := f.call(t, R, "POST", base, "", &rt)
	if resp.StatusCode != 201 || rt.State != retro.StateDraft || rt.IncidentID != inc.ID || resp.Header.Get("Location") != "/api/v1/retrospectives/"+rt.ID {
		t.Fatalf("open: %d %s", resp.StatusCode, b)
	}
	resp, b = f.call(t, R, "POST", base, `{}`, nil)
	if eb := wantError(t, resp, b, 409, "incident"); !strings.Contains(eb.Error.Message, rt.ID) {
		t.Errorf("conflict does not name %s: %s", rt.ID, b)
	}
	resp, b = f.call(t, R, "POST", base, `{"template":"nope","force":true}`, nil)
	wantError(t, resp, b, 400, "template")
	resp, b = f.call(t, R, "POST", "/api/v1/incidents/INC-999/retrospective", "", nil)
	wantError(t, resp, b, 404, "")

	path := "/api/v1/retrospectives/" + rt.ID
	resp, b = f.call(t, R, "PATCH", path, `{"titel":"x"}`, nil)
	wantError(t, resp, b, 400, "titel")
	resp, b = f.call(t, R, "PATCH", path, `{"sections":{"nope":"x"}}`, nil)
	wantError(t, resp, b, 400, "sections.nope")
	resp, b = f.call(t, R, "PATCH", path, `{"tags":["Not a tag!"]}`, nil)
	wantError(t, resp, b, 400, "tags[0]")
	resp, b = f.call(t, R, "PATCH", path, `{"title":"x","updatedAt":"2001-01-01T00:00:00Z"}`, nil)
	wantError(t, resp, b, 409, "updatedAt")
	body := map[string]any{"sections": map[string]string{}, "tags": []string{"credentials", "security"}, "authors": []string{"lea"}}
	for _, s := range rt.Sections {
		if !s.Optional && s.Key != retro.KeyActionItem {
			body["sections"].(map[string]string)[s.Key] = "The canary credential fired; <script>alert(1)</script> was in the log."
		}
	}
	patch, _ := json.Marshal(body)
	resp, b = f.call(t, R, "PATCH", path, string(patch), &rt)
	if resp.StatusCode != 200 || len(rt.Tags) != 2 || rt.Authors[0] != "lea" {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	resp, b = f.call(t, V, "PATCH", path, `{"title":"x"}`, nil)
	wantError(t, resp, b, 403, "")

	// Action items.
	resp, b = f.call(t, R, "POST", path+"/action-items", `{"title":"Mask tokens","owner":"platform","trackerUrl":"http://x.example.com"}`, nil)
	wantError(t, resp, b, 400, "trackerUrl")
	var item retro.ActionItem
	resp, b = f.call(t, R, "POST", path+"/action-items", `{"title":"Mask tokens","owner":"platform","dueAt":"2020-01-01T00:00:00Z"}`, &item)
	if resp.StatusCode != 201 || item.ID != "AI-1" || item.DueAt == nil {
		t.Fatalf("add item: %d %s", resp.StatusCode, b)
	}
	var page struct {
		Items []retro.ItemRef `json:"items"`
		Next  string          `json:"next"`
	}
	resp, b = f.call(t, V, "GET", "/api/v1/action-items?overdue=true&owner=platform", "", &page)
	if resp.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].Retrospective != rt.ID {
		t.Fatalf("overdue: %d %s", resp.StatusCode, b)
	}
	var patched retro.ActionItem
	resp, b = f.call(t, R, "PATCH", path+"/action-items/AI-1", `{"dueAt":null,"status":"in_progress"}`, &patched)
	if resp.StatusCode != 200 || patched.DueAt != nil || patched.Status != retro.StatusInProgress {
		t.Fatalf("patch item: %d %s", resp.StatusCode, b)
	}
	resp, b = f.call(t, R, "PATCH", path+"/action-items/AI-9", `{}`, nil)
	wantError(t, resp, b, 404, "")
	resp, b = f.call(t, V, "GET", "/api/v1/action-items?overdue=maybe", "", nil)
	wantError(t, resp, b, 400, "overdue")

	// Lifecycle.
	resp, b = f.call(t, R, "POST", path+"/transition", `{}`, nil)
	wantError(t, resp, b, 400, "state")
	resp, b = f.call(t, R, "POST", path+"/transition", `{"state":"published"}`, nil)
	wantError(t, resp, b, 409, "state")
	for _, st := range []string{"in_review", "published"} {
		if resp, b = f.call(t, R, "POST", path+"/transition", `{"state":"`+st+`"}`, &rt); resp.StatusCode != 200 || rt.State != st {
			t.Fatalf("to %s: %d %s", st, resp.StatusCode, b)
		}
	}
	resp, b = f.call(t, R, "POST", path+"/transition", `{"state":"in_review"}`, nil)
	wantError(t, resp, b, 400, "reason")
	resp, b = f.call(t, R, "DELETE", path, "", nil)
	wantError(t, resp, b, 409, "state")

	// Exports: the page is locked down by its own policy.
	resp, b = f.call(t, V, "GET", path+"/export?format=html", "", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "default-src 'none'") ||
		!strings.Contains(csp, "style-src "+retro.StyleHash()) || strings.Contains(csp, "script-src") || strings.Contains(string(b), "<script>") ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("html export: %d %v", resp.StatusCode, resp.Header)
	}
	resp, b = f.call(t, V, "GET", path+"/export", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") || !strings.HasPrefix(string(b), "# Deploy token leaked") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), rt.ID+".md") {
		t.Fatalf("markdown export: %d %v %.80s", resp.StatusCode, resp.Header, b)
	}
	resp, b = f.call(t, V, "GET", path+"/export?format=pdf", "", nil)
	wantError(t, resp, b, 400, "format")

	// Search.
	var hits struct {
		Items []retro.Hit `json:"items"`
		Next  *string     `json:"next"`
	}
	resp, b = f.call(t, V, "GET", "/api/v1/retrospectives?q=canary+state:published&service=checkout", "", &hits)
	if resp.StatusCode != 200 || len(hits.Items) != 1 || hits.Items[0].ID != rt.ID || len(hits.Items[0].Snippet) == 0 || hits.Next == nil {
		t.Fatalf("search: %d %s", resp.StatusCode, b)
	}
	for q, field := range map[string]string{"q=-canary": "q", "cursor=abc": "cursor", "limit=101": "limit", "from=yesterday": "from", "state=done": "state"} {
		resp, b = f.call(t, V, "GET", "/api/v1/retrospectives?"+q, "", nil)
		wantError(t, resp, b, 400, field)
	}

	// Similar incidents: the published retrospective of a like incident.
	other, err := f.inc.Open(actx, incident.OpenRequest{Title: "Deploy token leaked again", Services: []string{"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	var sim struct {
		Items []retro.Suggestion `json:"items"`
	}
	resp, b = f.call(t, V, "GET", "/api/v1/incidents/"+other.ID+"/similar", "", &sim)
	if resp.StatusCode != 200 || len(sim.Items) == 0 || sim.Items[0].ID != rt.ID || len(sim.Items[0].Reasons) == 0 {
		t.Fatalf("similar: %d %s", resp.StatusCode, b)
	}
	resp, b = f.call(t, V, "GET", "/api/v1/incidents/"+other.ID+"/similar?limit=99", "", nil)
	wantError(t, resp, b, 400, "limit")
}

// TestRestrictedRetrospectiveAPI: a retrospective of a restricted incident
// is a 404 for whoever may not see the incident, and absent from search.
func TestRestrictedRetrospectiveAPI(t *testing.T) {
	f := newFixture(t, storetest.DSN(t, "sqlite"))
	resp := palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: string(palisade.RoleResponder), Role: palisade.RoleResponder, Address: "test"})
	inc, err := f.inc.Open(resp, incident.OpenRequest{Title: "Insider exfiltration", Kind: incident.KindSecurity, Restricted: true, Services: []string{"checkout"}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := f.retro.Open(resp, inc.ID, retro.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role palisade.Role
		sees bool
	}{{palisade.RoleResponder, true}, {palisade.RoleAdmin, true}, {palisade.RoleViewer, false}, {palisade.RoleEditor, false}} {
		r, b := f.call(t, tc.role, "GET", "/api/v1/retrospectives/"+rt.ID, "", nil)
		if (r.StatusCode == 200) != tc.sees || (!tc.sees && r.StatusCode != 404) {
			t.Errorf("%s: get %d %s", tc.role, r.StatusCode, b)
		}
		_, b = f.call(t, tc.role, "GET", "/api/v1/retrospectives?q=exfiltration", "", nil)
		if strings.Contains(string(b), rt.ID) != tc.sees {
			t.Errorf("%s: search %s", tc.role, b)
		}
		r, _ = f.call(t, tc.role, "GET", "/api/v1/retrospectives/"+rt.ID+"/export?format=html", "", nil)
		if (r.StatusCode == 200) != tc.sees {
			t.Errorf("%s: export %d", tc.role, r.StatusCode)
		}
	}
}
