package store_test

import (
	"testing"
	"time"

	"github.com/palisade-project/palisade/notify"
	"github.com/palisade-project/palisade/store/storetest"
)

// TestOutbox holds the SQL outbox to the contract the dispatcher relies on
// (the same check runs on the dispatcher's in-memory test store), on each
// engine, and checks the operators' listing of dead letters.
func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		notify.CheckOutboxStore(ctx(), t, db)

		at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		es, err := notify.NewEntries(notify.Message{ID: "INC-9/opened", Kind: "incident.opened", Title: "t"}, []string{"hook"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Enqueue(ctx(), es...); err != nil {
			t.Fatal(err)
		}
		got, err := db.Claim(ctx(), "w1", at, time.Minute, 100)
		if err != nil || len(got) == 0 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		for _, e := range got {
			if e.Message.ID == "INC-9/opened" {
				if err := db.Fail(ctx(), e.ID, "w1", at, "400 bad request"); err != nil {
					t.Fatal(err)
				}
			}
		}
		items, err := db.OutboxItems(ctx(), "dead", 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, it := range items {
			found = found || (it.LastError == "400 bad request" && it.Attempts == 1)
		}
		if !found {
			t.Fatalf("dead letters %+v", items)
		}
	})
}
