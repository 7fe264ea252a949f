package retro_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/retro/retroincident"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

type env struct {
	db    *store.DB
	reg   *catalog.Registry
	inc   *incident.Service
	svc   *retro.Service
	now   *time.Time
	sys   context.Context
	alice context.Context // responder on the platform team's incidents
	bob   context.Context // responder, participant of the restricted incident
	view  context.Context // viewer
}

func as(name string, role palisade.Role, teams ...string) context.Context {
	return palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: name, Role: role, Address: "test", Teams: teams})
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	e := &env{now: &now, sys: palisade.WithActor(context.Background(), palisade.SystemActor("test")),
		alice: as("alice", palisade.RoleResponder), bob: as("bob", palisade.RoleResponder), view: as("vera", palisade.RoleViewer)}
	clock := func() time.Time { return *e.now }
	db, err := store.Open(e.sys, dsn, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.reg = catalog.NewRegistry(db)
	e.inc = incident.NewService(db, db, e.reg, clock, nil)
	e.svc = retro.NewService(db, retroincident.New(e.inc), db, clock, nil)
	e.reg.HandleSection(retro.SectionName, e.svc.Section())
	if _, err := e.reg.Apply(e.sys, &catalog.Document{Catalog: catalog.Catalog{
		Teams:    []catalog.Team{{Name: "platform"}, {Name: "payments"}},
		Services: []catalog.Service{{Name: "registry", Team: "platform", Tier: 1}, {Name: "ci", Team: "platform", Tier: 2}, {Name: "checkout", Team: "payments", Tier: 1}},
	}}, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) advance(d time.Duration) { *e.now = e.now.Add(d) }

func (e *env) incident(t *testing.T, ctx context.Context, req incident.OpenRequest) string {
	t.Helper()
	inc, err := e.inc.Open(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return inc.ID
}

func code(err error) string { return palisade.ErrorCode(err) }

func wantErr(t *testing.T, err error, wantCode, wantField string) {
	t.Helper()
	if code(err) != wantCode || palisade.ErrorField(err) != wantField {
		t.Fatalf("got %v (code %q field %q), want %s on %q", err, code(err), palisade.ErrorField(err), wantCode, wantField)
	}
}

// complete fills every section and adds an action item, so that r can be
// published.
func (e *env) complete(t *testing.T, ctx context.Context, r *retro.Retrospective, words string) *retro.Retrospective {
	t.Helper()
	p := retro.Patch{Sections: map[string]string{}}
	for _, s := range r.Sections {
		if s.Body == "" && !s.Optional && s.Key != retro.KeyActionItem {
			p.Sections[s.Key] = words + " in section " + s.Title
		}
	}
	r, err := e.svc.Update(ctx, r.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	due := e.now.Add(14 * 24 * time.Hour)
	if _, err := e.svc.AddActionItem(ctx, r.ID, retro.ItemInput{Title: "Guard " + words, Owner: "platform", DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) publish(t *testing.T, ctx context.Context, id string) *retro.Retrospective {
	t.Helper()
	if _, err := e.svc.Transition(ctx, id, retro.StateInReview, ""); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.Transition(ctx, id, retro.StatePublished, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOpenEditPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		id := e.incident(t, e.alice, incident.OpenRequest{Title: "Leaked CI token pushed a package", Severity: "SEV2", Services: []string{"registry", "ci"}})
		e.advance(2 * time.Hour)

		if _, err := e.svc.Open(e.view, id, retro.OpenRequest{}); code(err) != palisade.EFORBIDDEN {
			t.Fatalf("viewer opened: %v", err)
		}
		_, err := e.svc.Open(e.alice, id, retro.OpenRequest{Template: "nope"})
		wantErr(t, err, palisade.EINVALID, "template")
		_, err = e.svc.Open(e.alice, "INC-404", retro.OpenRequest{})
		wantErr(t, err, palisade.ENOTFOUND, "")

		r, err := e.svc.Open(e.alice, id, retro.OpenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != "RETRO-1" || r.IncidentID != id || r.State != retro.StateDraft || r.Template != retro.DefaultTemplateName ||
			r.Title != "Leaked CI token pushed a package" || r.Severity != "SEV2" || !slices.Equal(r.Services, []string{"ci", "registry"}) {
			t.Fatalf("opened %+v", r)
		}
		if tl := r.Section(retro.KeyTimeline).Body; !strings.Contains(tl, "opened SEV2 security incident") {
			t.Errorf("timeline not imported: %q", tl)
		}
		// One per incident, unless forced.
		_, err = e.svc.Open(e.alice, id, retro.OpenRequest{})
		wantErr(t, err, palisade.ECONFLICT, "incident")
		if !strings.Contains(err.Error(), "RETRO-1") {
			t.Errorf("conflict does not name the first: %v", err)
		}
		second, err := e.svc.Open(e.alice, id, retro.OpenRequest{Force: true})
		if err != nil || second.ID != "RETRO-2" {
			t.Fatalf("forced: %v %+v", err, second)
		}

		// Edit.
		e.advance(time.Minute)
		title, tags := "CI token leak", []string{"Credentials", "supply-chain", "credentials"}
		r2, err := e.svc.Update(e.alice, r.ID, retro.Patch{Title: &title, Tags: &tags, Sections: map[string]string{retro.KeySummary: "The token leaked."}, UpdatedAt: &r.UpdatedAt})
		if err != nil {
			t.Fatal(err)
		}
		if r2.Title != title || !slices.Equal(r2.Tags, []string{"credentials", "supply-chain"}) || r2.Section(retro.KeySummary).Body != "The token leaked." || !r2.UpdatedAt.Equal(*e.now) {
			t.Fatalf("updated %+v", r2)
		}
		_, err = e.svc.Update(e.alice, r.ID, retro.Patch{Title: &title, UpdatedAt: &r.UpdatedAt})
		wantErr(t, err, palisade.ECONFLICT, "updatedAt")
		_, err = e.svc.Update(e.alice, r.ID, retro.Patch{Sections: map[string]string{"nope": "x"}})
		wantErr(t, err, palisade.EINVALID, "sections.nope")
		bad := []string{"Not A Service!"}
		_, err = e.svc.Update(e.alice, r.ID, retro.Patch{Services: &bad})
		wantErr(t, err, palisade.EINVALID, "services[0]")
		e.advance(time.Minute)
		same, err := e.svc.Update(e.alice, r.ID, retro.Patch{Title: &title})
		if err != nil || !same.UpdatedAt.Equal(r2.UpdatedAt) {
			t.Fatalf("a change that changes nothing moved updatedAt: %v %v", err, same.UpdatedAt)
		}
		if _, err := e.svc.Update(e.view, r.ID, retro.Patch{Title: &title}); code(err) != palisade.EFORBIDDEN {
			t.Fatalf("viewer edited: %v", err)
		}

		// Lifecycle.
		_, err = e.svc.Transition(e.alice, r.ID, retro.StatePublished, "")
		wantErr(t, err, palisade.ECONFLICT, "state")
		if _, err := e.svc.Transition(e.alice, r.ID, retro.StateInReview, ""); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Transition(e.alice, r.ID, retro.StatePublished, "")
		if code(err) != palisade.ECONFLICT || !strings.Contains(err.Error(), "empty") {
			t.Fatalf("incomplete publish: %v", err)
		}
		r = e.complete(t, e.alice, r2, "canary")
		if r, err = e.svc.Transition(e.alice, r.ID, retro.StatePublished, ""); err != nil {
			t.Fatal(err)
		}
		if r.State != retro.StatePublished || r.PublishedAt == nil {
			t.Fatalf("published %+v", r)
		}
		_, err = e.svc.Update(e.alice, r.ID, retro.Patch{Title: &title})
		wantErr(t, err, palisade.ECONFLICT, "")
		_, err = e.svc.Transition(e.alice, r.ID, retro.StateInReview, " ")
		wantErr(t, err, palisade.EINVALID, "reason")
		r, err = e.svc.Transition(e.alice, r.ID, retro.StateInReview, "impact numbers were wrong")
		if err != nil || r.State != retro.StateInReview || r.PublishedAt != nil {
			t.Fatalf("reopen: %v %+v", err, r)
		}
		entries, err := e.db.ListAudit(e.sys, auditlog.Filter{Kind: "retrospective", Object: r.ID, Limit: 1})
		if err != nil || len(entries) != 1 || entries[0].Action != "retrospective.reopen" || entries[0].Actor != "token:alice" ||
			!strings.Contains(string(entries[0].After), "impact numbers were wrong") || !strings.Contains(string(entries[0].Before), `"published"`) {
			t.Fatalf("reopen audit: %v %+v", err, entries)
		}

		// Delete: drafts only.
		if err := e.svc.Delete(e.alice, r.ID); code(err) != palisade.ECONFLICT {
			t.Fatalf("deleted a reviewed retrospective: %v", err)
		}
		if err := e.svc.Delete(e.alice, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Get(e.view, second.ID); code(err) != palisade.ENOTFOUND {
			t.Fatalf("deleted: %v", err)
		}
		again, err := e.svc.Open(e.alice, id, retro.OpenRequest{Force: true})
		if err != nil || again.ID != "RETRO-3" {
			t.Fatalf("after delete: %v %+v", err, again)
		}
	})
}

func TestTemplatesFromPalisadeYAML(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	doc, err := catalog.ParseYAML("palisade.yaml", []byte(`
retrospectives:
  default: short
  templates:
    - name: short
      sections:
        - {key: summary, title: What happened}
        - {key: action_items, title: Follow-ups}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.Apply(e.sys, doc, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	ts, err := e.svc.Templates(e.view)
	if err != nil || len(ts) != 2 || !ts["short"].Default {
		t.Fatalf("templates: %v %+v", err, ts)
	}
	id := e.incident(t, e.alice, incident.OpenRequest{Title: "x", Services: []string{"ci"}})
	r, err := e.svc.Open(e.alice, id, retro.OpenRequest{})
	if err != nil || r.Template != "short" || len(r.Sections) != 2 || r.Sections[0].Title != "What happened" {
		t.Fatalf("open from the default: %v %+v", err, r)
	}
	r, err = e.svc.Open(e.alice, id, retro.OpenRequest{Template: retro.DefaultTemplateName, Force: true})
	if err != nil || len(r.Sections) != 10 {
		t.Fatalf("open from the built-in: %v %+v", err, r)
	}
	bad, _ := catalog.ParseYAML("palisade.yaml", []byte("retrospectives:\n  default: missing\n"))
	if _, err := e.reg.Apply(e.sys, bad, catalog.ApplyOptions{}); code(err) != palisade.EINVALID || !strings.Contains(err.Error(), "palisade.yaml:2") {
		t.Fatalf("bad section applied: %v", err)
	}
}

func TestActionItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		id := e.incident(t, e.alice, incident.OpenRequest{Title: "Expired certificate", Services: []string{"registry"}})
		r, err := e.svc.Open(e.alice, id, retro.OpenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		due := e.now.Add(48 * time.Hour)
		a1, err := e.svc.AddActionItem(e.alice, r.ID, retro.ItemInput{Title: "Alert on expiry", Owner: "platform", DueAt: &due, TrackerURL: "https://tracker.example.com/SEC-1"})
		if err != nil || a1.ID != "AI-1" || a1.Status != retro.StatusOpen || !a1.CreatedAt.Equal(*e.now) {
			t.Fatalf("add: %v %+v", err, a1)
		}
		a2, err := e.svc.AddActionItem(e.alice, r.ID, retro.ItemInput{Title: "Document renewal", Owner: "sre", Status: retro.StatusDone})
		if err != nil || a2.ID != "AI-2" || a2.DoneAt == nil {
			t.Fatalf("add done: %v %+v", err, a2)
		}
		_, err = e.svc.AddActionItem(e.alice, r.ID, retro.ItemInput{Title: "No owner"})
		wantErr(t, err, palisade.EINVALID, "owner")
		_, err = e.svc.AddActionItem(e.alice, r.ID, retro.ItemInput{Title: "x", Owner: "y", TrackerURL: "http://insecure.example.com"})
		wantErr(t, err, palisade.EINVALID, "trackerUrl")
		_, err = e.svc.UpdateActionItem(e.alice, r.ID, "AI-9", retro.ItemPatch{})
		wantErr(t, err, palisade.ENOTFOUND, "")

		// Overdue once the due date passes; done items never are.
		e.advance(72 * time.Hour)
		over, err := e.svc.OverdueActionItems(e.view, *e.now)
		if err != nil || len(over) != 1 || over[0].ID != "AI-1" || over[0].Retrospective != r.ID || over[0].IncidentID != id {
			t.Fatalf("overdue: %v %+v", err, over)
		}
		list, next, err := e.svc.ActionItems(e.view, retro.ItemFilter{Overdue: true})
		if err != nil || len(list) != 1 || next != "" {
			t.Fatalf("overdue list: %v %+v %q", err, list, next)
		}
		// A null due date clears it (JSON patch semantics).
		var p retro.ItemPatch
		if err := json.Unmarshal([]byte(`{"dueAt":null,"status":"in_progress"}`), &p); err != nil {
			t.Fatal(err)
		}
		a1, err = e.svc.UpdateActionItem(e.alice, r.ID, "AI-1", p)
		if err != nil || a1.DueAt != nil || a1.Status != retro.StatusInProgress {
			t.Fatalf("update: %v %+v", err, a1)
		}
		if over, _ := e.svc.OverdueActionItems(e.view, *e.now); len(over) != 0 {
			t.Errorf("no due date, still overdue: %+v", over)
		}
		done := retro.StatusDone
		a1, err = e.svc.UpdateActionItem(e.alice, r.ID, "AI-1", retro.ItemPatch{Status: &done})
		if err != nil || a1.DoneAt == nil || !a1.DoneAt.Equal(*e.now) {
			t.Fatalf("done: %v %+v", err, a1)
		}
		list, _, _ = e.svc.ActionItems(e.view, retro.ItemFilter{Owner: "sre"})
		if len(list) != 1 || list[0].ID != "AI-2" {
			t.Errorf("by owner: %+v", list)
		}
		_, _, err = e.svc.ActionItems(e.view, retro.ItemFilter{Status: "nope"})
		wantErr(t, err, palisade.EINVALID, "status")

		// A published retrospective whose note says none are needed takes no
		// action items until it is reopened.
		id2 := e.incident(t, e.alice, incident.OpenRequest{Title: "False alarm", Services: []string{"ci"}})
		r2, _ := e.svc.Open(e.alice, id2, retro.OpenRequest{})
		note := "The alert was a test."
		p2 := retro.Patch{NoActionItems: &note, Sections: map[string]string{}}
		for _, s := range r2.Sections {
			if !s.Optional && s.Key != retro.KeyActionItem {
				p2.Sections[s.Key] = "Nothing to report."
			}
		}
		if _, err := e.svc.Update(e.alice, r2.ID, p2); err != nil {
			t.Fatal(err)
		}
		e.publish(t, e.alice, r2.ID)
		_, err = e.svc.AddActionItem(e.alice, r2.ID, retro.ItemInput{Title: "x", Owner: "y"})
		wantErr(t, err, palisade.ECONFLICT, "noActionItems")
	})
}

// TestRestrictedVisibility: a retrospective of a restricted incident is
// visible to those who may see the incident, and to nobody else by any
// path: get, search, action items, similar, digest.
func TestRestrictedVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		secret := e.incident(t, e.bob, incident.OpenRequest{Title: "Insider copied the payroll export", Kind: incident.KindSecurity, Restricted: true, Services: []string{"registry"}})
		open := e.incident(t, e.alice, incident.OpenRequest{Title: "Payroll export job failed", Services: []string{"registry"}})
		rs, err := e.svc.Open(e.bob, secret, retro.OpenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		ro, err := e.svc.Open(e.alice, open, retro.OpenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Open(e.alice, secret, retro.OpenRequest{Force: true}); code(err) != palisade.ENOTFOUND {
			t.Fatalf("alice opened a retrospective of a restricted incident: %v", err)
		}
		e.complete(t, e.bob, rs, "payroll exfiltration")
		e.complete(t, e.alice, ro, "payroll export")
		e.publish(t, e.bob, rs.ID)
		e.publish(t, e.alice, ro.ID)

		for _, who := range []struct {
			name string
			ctx  context.Context
			sees bool
		}{{"participant", e.bob, true}, {"admin", as("root", palisade.RoleAdmin), true}, {"responder", e.alice, false}, {"viewer", e.view, false}} {
			t.Run(who.name, func(t *testing.T) {
				ctx := who.ctx
				_, err := e.svc.Get(ctx, rs.ID)
				if (err == nil) != who.sees || (err != nil && code(err) != palisade.ENOTFOUND) {
					t.Errorf("get: %v", err)
				}
				hits, _, err := e.svc.Search(ctx, retro.Query{Text: "payroll"})
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, h := range hits {
					ids = append(ids, h.ID)
				}
				if slices.Contains(ids, rs.ID) != who.sees || !slices.Contains(ids, ro.ID) {
					t.Errorf("search: %v", ids)
				}
				if hits, _, _ := e.svc.Search(ctx, retro.Query{Text: "exfiltration"}); (len(hits) == 1) != who.sees {
					t.Errorf("search for a word only the restricted one has: %+v", hits)
				}
				items, _, err := e.svc.ActionItems(ctx, retro.ItemFilter{})
				if err != nil || len(items) != map[bool]int{true: 2, false: 1}[who.sees] {
					t.Errorf("action items: %v %+v", err, items)
				}
				pub, err := e.svc.RecentlyPublished(ctx, time.Time{})
				if err != nil || len(pub) != map[bool]int{true: 2, false: 1}[who.sees] {
					t.Errorf("published: %v %+v", err, pub)
				}
				if _, err := e.svc.Export(ctx, rs.ID, retro.FormatMarkdown); (err == nil) != who.sees {
					t.Errorf("export: %v", err)
				}
				sim, err := e.svc.Similar(ctx, open, 5)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range sim {
					if s.ID == rs.ID || s.ID == secret {
						if !who.sees {
							t.Errorf("similar suggests the restricted %s", s.ID)
						}
					}
				}
			})
		}
		// A page stays full and the cursor moves past what was skipped.
		for range 3 {
			id := e.incident(t, e.bob, incident.OpenRequest{Title: "Restricted payroll case", Kind: incident.KindSecurity, Restricted: true, Services: []string{"registry"}})
			if _, err := e.svc.Open(e.bob, id, retro.OpenRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := e.svc.Search(e.alice, retro.Query{Text: "payroll", Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != ro.ID {
			t.Fatalf("page past hidden results: %v %+v %q", err, page, next)
		}
		if next != "" {
			rest, next2, err := e.svc.Search(e.alice, retro.Query{Text: "payroll", Limit: 1, Cursor: next})
			if err != nil || len(rest) != 0 || next2 != "" {
				t.Fatalf("next page: %v %+v %q", err, rest, next2)
			}
		}
	})
}

func TestTeamScope(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	pay := e.incident(t, e.alice, incident.OpenRequest{Title: "Card testing attack", Team: "payments", Services: []string{"checkout"}})
	r, err := e.svc.Open(e.alice, pay, retro.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	platform := as("pat", palisade.RoleResponder, "platform")
	if _, err := e.svc.Get(platform, r.ID); code(err) != palisade.ENOTFOUND {
		t.Fatalf("another team's retrospective: %v", err)
	}
	if hits, _, _ := e.svc.Search(platform, retro.Query{}); len(hits) != 0 {
		t.Errorf("search shows another team's: %+v", hits)
	}
	if _, err := e.svc.Get(as("paula", palisade.RoleViewer, "payments"), r.ID); err != nil {
		t.Errorf("own team: %v", err)
	}
}

func TestSearchAndSimilar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		mk := func(title string, services []string, words string, publish bool) (string, *retro.Retrospective) {
			id := e.incident(t, e.alice, incident.OpenRequest{Title: title, Services: services})
			r, err := e.svc.Open(e.alice, id, retro.OpenRequest{})
			if err != nil {
				t.Fatal(err)
			}
			r = e.complete(t, e.alice, r, words)
			if publish {
				r = e.publish(t, e.alice, r.ID)
			}
			e.advance(time.Hour)
			return id, r
		}
		_, leak := mk("Deploy token leaked in build log", []string{"ci"}, "deploy token leaked build log scanner", true)
		_, cert := mk("TLS certificate expired", []string{"checkout"}, "certificate renewal expired", true)
		_, draft := mk("Token found in public repo", []string{"ci"}, "token public repository scanner", false)
		lone := e.incident(t, e.alice, incident.OpenRequest{Title: "Registry token misuse", Services: []string{"registry"}})
		e.advance(time.Hour)
		target := e.incident(t, e.alice, incident.OpenRequest{Title: "CI deploy token leaked through build output", Services: []string{"ci"}})

		sim, err := e.svc.Similar(e.view, target, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(sim) == 0 || sim[0].ID != leak.ID || sim[0].Kind != retro.DocRetrospective || sim[0].IncidentID != leak.IncidentID || len(sim[0].Reasons) == 0 {
			t.Fatalf("similar: %+v", sim)
		}
		for _, s := range sim {
			if s.ID == draft.ID || s.ID == target {
				t.Errorf("suggested %s (a draft or itself): %+v", s.ID, sim)
			}
			if s.ID == cert.ID && s.Score >= sim[0].Score/2 {
				t.Errorf("the unrelated retrospective scores close to the related one: %+v", sim)
			}
		}
		if !slices.ContainsFunc(sim, func(s retro.Suggestion) bool { return s.Kind == retro.DocIncident && s.ID == lone }) {
			t.Errorf("the past incident without a retrospective is not suggested: %+v", sim)
		}

		hits, next, err := e.svc.Search(e.view, retro.Query{Text: "token service:ci state:published"})
		if err != nil || len(hits) != 1 || hits[0].ID != leak.ID || next != "" || len(hits[0].Snippet) == 0 {
			t.Fatalf("search: %v %+v", err, hits)
		}
		hits, next, err = e.svc.Search(e.view, retro.Query{Service: "ci", Limit: 1})
		if err != nil || len(hits) != 1 || hits[0].ID != draft.ID || next != "1" {
			t.Fatalf("page 1: %v %+v %q", err, hits, next)
		}
		hits, next, err = e.svc.Search(e.view, retro.Query{Service: "ci", Limit: 1, Cursor: next})
		if err != nil || len(hits) != 1 || hits[0].ID != leak.ID || next != "" {
			t.Fatalf("page 2: %v %+v %q", err, hits, next)
		}
		for _, tc := range []struct {
			q     retro.Query
			field string
		}{
			{retro.Query{Text: "service:ci", Service: "checkout"}, "q"},
			{retro.Query{Text: "-token"}, "q"},
			{retro.Query{State: "final"}, "state"},
			{retro.Query{Cursor: "x"}, "cursor"},
			{retro.Query{Limit: 1000}, "limit"},
			{retro.Query{From: *e.now, To: e.now.Add(-time.Hour)}, "from"},
		} {
			_, _, err := e.svc.Search(e.view, tc.q)
			wantErr(t, err, palisade.EINVALID, tc.field)
		}
		pub, err := e.svc.RecentlyPublished(e.view, leak.PublishedAt.Add(time.Second))
		if err != nil || len(pub) != 1 || pub[0].ID != cert.ID {
			t.Fatalf("recently published: %v %+v", err, pub)
		}
		md, err := e.svc.Export(e.view, leak.ID, "markdown")
		if err != nil || !strings.HasPrefix(string(md.Body), "# Deploy token leaked in build log") || md.Filename != leak.ID+".md" {
			t.Fatalf("markdown: %v %+v", err, md)
		}
		page, err := e.svc.Export(e.view, leak.ID, "html")
		if err != nil || !strings.Contains(string(page.Body), "Content-Security-Policy") || !strings.HasPrefix(page.MediaType, "text/html") {
			t.Fatalf("html: %v", err)
		}
		_, err = e.svc.Export(e.view, leak.ID, "pdf")
		wantErr(t, err, palisade.EINVALID, "format")
	})
}
