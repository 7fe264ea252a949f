package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/client"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/retro/retroincident"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

// TestRetrospectiveClient runs every retrospective method of the client
// against a server on a temporary database.
func TestRetrospectiveClient(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, "sqlite"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := palisade.WithActor(ctx, palisade.SystemActor("test"))
	ids := identity.NewService(db, nil, nil)
	reg := catalog.NewRegistry(db)
	is := incident.NewService(db, db, reg, nil, nil)
	rs := retro.NewService(db, retroincident.New(is), db, nil, nil)
	if _, err := reg.Apply(sys, &catalog.Document{Catalog: catalog.Catalog{Teams: []catalog.Team{{Name: "platform"}},
		Services: []catalog.Service{{Name: "ci", Team: "platform", Tier: 1}}}}, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	token, err := ids.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Catalog: reg, Identity: ids, Incident: is, Retro: rs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	defer srv.Close()
	c, err := client.New(srv.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := is.Open(sys, incident.OpenRequest{Title: "Build token leaked", Services: []string{"ci"}})
	if err != nil {
		t.Fatal(err)
	}

	r, err := c.OpenRetrospective(ctx, inc.ID, retro.OpenRequest{})
	if err != nil || r.IncidentID != inc.ID {
		t.Fatalf("open: %v %+v", err, r)
	}
	if _, err := c.OpenRetrospective(ctx, inc.ID, retro.OpenRequest{}); palisade.ErrorCode(err) != palisade.ECONFLICT || palisade.ErrorField(err) != "incident" {
		t.Fatalf("second open: %v", err)
	}
	p := retro.Patch{Sections: map[string]string{}}
	for _, s := range r.Sections {
		if !s.Optional && s.Key != retro.KeyActionItem {
			p.Sections[s.Key] = "The scanner missed the token format."
		}
	}
	if r, err = c.UpdateRetrospective(ctx, r.ID, p); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Retrospective(ctx, r.ID); err != nil || !got.UpdatedAt.Equal(r.UpdatedAt) {
		t.Fatalf("get: %v %+v", err, got)
	}
	due := time.Now().Add(-time.Hour)
	item, err := c.AddActionItem(ctx, r.ID, retro.ItemInput{Title: "Teach the scanner the v2 format", Owner: "platform", DueAt: &due})
	if err != nil || item.ID != "AI-1" {
		t.Fatalf("add item: %v %+v", err, item)
	}
	items, _, err := c.ActionItems(ctx, retro.ItemFilter{Overdue: true})
	if err != nil || len(items) != 1 {
		t.Fatalf("overdue: %v %+v", err, items)
	}
	if item, err = c.UpdateActionItem(ctx, r.ID, "AI-1", retro.ItemPatch{DueAt: retro.OptionalTime{Set: true}}); err != nil || item.DueAt != nil {
		t.Fatalf("clear due date: %v %+v", err, item)
	}
	for _, st := range []string{retro.StateInReview, retro.StatePublished} {
		if r, err = c.TransitionRetrospective(ctx, r.ID, st, ""); err != nil || r.State != st {
			t.Fatalf("to %s: %v", st, err)
		}
	}
	if _, err := c.UpdateRetrospective(ctx, r.ID, p); palisade.ErrorCode(err) != palisade.ECONFLICT {
		t.Fatalf("edit while published: %v", err)
	}
	hits, next, err := c.Retrospectives(ctx, retro.Query{Text: "scanner", Service: "ci", From: time.Now().Add(-time.Hour)})
	if err != nil || len(hits) != 1 || next != "" || len(hits[0].Snippet) == 0 {
		t.Fatalf("search: %v %+v", err, hits)
	}
	page, err := c.ExportRetrospective(ctx, r.ID, retro.FormatHTML)
	if err != nil || !strings.Contains(string(page), "<html") {
		t.Fatalf("export: %v %.80s", err, page)
	}
	other, _ := is.Open(sys, incident.OpenRequest{Title: "Build token leaked again", Services: []string{"ci"}})
	sim, err := c.SimilarIncidents(ctx, other.ID, 3)
	if err != nil || len(sim) == 0 || sim[0].ID != r.ID {
		t.Fatalf("similar: %v %+v", err, sim)
	}
	draft, err := c.OpenRetrospective(ctx, other.ID, retro.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRetrospective(ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retrospective(ctx, draft.ID); palisade.ErrorCode(err) != palisade.ENOTFOUND {
		t.Fatalf("deleted: %v", err)
	}
}
