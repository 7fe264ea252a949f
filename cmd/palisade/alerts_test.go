package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/store"
)

// TestInternalAlertSources runs the jobs that raise Palisade's own alerts
// on a database: overdue action items fire and resolve, the digest is
// queued once per period.
func TestInternalAlertSources(t *testing.T) {
	ctx := palisade.WithActor(context.Background(), palisade.SystemActor("test"))
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLocal(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	doc, err := catalog.ParseYAML("p.yaml", []byte(`
teams: [{name: platform}]
services: [{name: registry, team: platform, tier: 1}]
retrospectives:
  digest: {every: daily, notify: [hook]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.catalog.Apply(ctx, doc, catalog.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	inc, err := l.incident.Open(ctx, incident.OpenRequest{Title: "Registry outage", Services: []string{"registry"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.retro.Open(ctx, inc.ID, retro.OpenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-time.Hour)
	item, err := l.retro.AddActionItem(ctx, r.ID, retro.ItemInput{Title: "Alert on registry disk", Owner: "platform", DueAt: &due})
	if err != nil {
		t.Fatal(err)
	}
	if err := actionItemAlerts(ctx, l.retro, l.incident, time.Now()); err != nil {
		t.Fatal(err)
	}
	alerts, _ := l.incident.Alerts(ctx, incident.AlertFiring, 10)
	if len(alerts) != 1 || alerts[0].Source != sourceActionItems || !strings.Contains(alerts[0].Summary, "Alert on registry disk") {
		t.Fatalf("firing alerts: %+v", alerts)
	}
	done := retro.StatusDone
	if _, err := l.retro.UpdateActionItem(ctx, r.ID, item.ID, retro.ItemPatch{Status: &done}); err != nil {
		t.Fatal(err)
	}
	if err := actionItemAlerts(ctx, l.retro, l.incident, time.Now()); err != nil {
		t.Fatal(err)
	}
	if alerts, _ := l.incident.Alerts(ctx, incident.AlertResolved, 10); len(alerts) != 1 {
		t.Fatalf("the done item's alert did not resolve: %+v", alerts)
	}

	// The digest: nothing published yesterday, nothing queued.
	woken := 0
	job := digestJob(l.retro, db, "", func() { woken++ })
	if err := job(ctx); err != nil || woken != 0 {
		t.Fatalf("empty digest: %v, woken %d", err, woken)
	}
	counts, _ := db.OutboxCounts(ctx)
	if counts["pending"] != 0 {
		t.Fatalf("queued %v", counts)
	}
}
