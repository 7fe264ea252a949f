package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade/notify"
	"github.com/palisade-project/palisade/store/storetest"
)

func TestOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		var entries []notify.Entry
		for i := range 30 {
			m := notify.Message{ID: fmt.Sprintf("INC-%d/opened", i), Kind: "incident.opened", Title: "t"}
			e, err := notify.NewEntries(m, []string{"slack", "pd"}, now.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, e...)
		}
		n, err := db.Enqueue(ctx(), entries...)
		if err != nil || n != 60 {
			t.Fatalf("enqueue: %d %v", n, err)
		}
		// Enqueueing again adds nothing.
		if n, err = db.Enqueue(ctx(), entries...); err != nil || n != 0 {
			t.Fatalf("re-enqueue: %d %v", n, err)
		}
		// Nothing is due before its time.
		if got, err := db.Claim(ctx(), "w0", now.Add(-time.Second), time.Minute, 100); err != nil || len(got) != 0 {
			t.Fatalf("early claim: %d %v", len(got), err)
		}
		// Four workers claim at once: every entry exactly once.
		at := now.Add(time.Hour)
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worker := fmt.Sprintf("w%d", w)
				for {
					got, err := db.Claim(ctx(), worker, at, time.Minute, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, e := range got {
						if prev, dup := seen[e.ID]; dup {
							t.Errorf("entry %s claimed by %s and %s", e.ID, prev, worker)
						}
						seen[e.ID] = worker
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 60 {
			t.Fatalf("claimed %d of 60", len(seen))
		}
		// Outcomes: only the holder records them.
		var ids []string
		for id := range seen {
			ids = append(ids, id)
		}
		first, second, third := ids[0], ids[1], ids[2]
		other := "w9"
		if err := db.Done(ctx(), first, other, at); !errors.Is(err, notify.ErrLeaseLost) {
			t.Fatalf("done by a stranger: %v", err)
		}
		if err := db.Done(ctx(), first, seen[first], at); err != nil {
			t.Fatal(err)
		}
		if err := db.Done(ctx(), first, seen[first], at); !errors.Is(err, notify.ErrLeaseLost) {
			t.Fatalf("done twice: %v", err)
		}
		if err := db.Fail(ctx(), second, seen[second], at, "400 bad request"); err != nil {
			t.Fatal(err)
		}
		if err := db.Retry(ctx(), third, seen[third], at, at.Add(time.Minute), "503"); err != nil {
			t.Fatal(err)
		}
		// Leases of the others ran out at at+1m: they and the retried
		// entry come back, with their attempt counts.
		got, err := db.Claim(ctx(), "w5", at.Add(time.Minute), time.Minute, 100)
		if err != nil || len(got) != 58 {
			t.Fatalf("reclaim: %d %v", len(got), err)
		}
		for _, e := range got {
			if e.ID == third && e.Attempts != 1 {
				t.Fatalf("retried entry attempts %d", e.Attempts)
			}
			if e.ID == first || e.ID == second {
				t.Fatalf("finished entry %s claimed again", e.ID)
			}
		}
		for i := 1; i < len(got); i++ {
			if got[i].NextAttempt.Before(got[i-1].NextAttempt) {
				t.Fatalf("claims not in due order")
			}
		}
		// The old holder lost its lease.
		if err := db.Done(ctx(), got[0].ID, seen[got[0].ID], at); !errors.Is(err, notify.ErrLeaseLost) && seen[got[0].ID] != "w5" {
			t.Fatalf("expired holder recorded: %v", err)
		}
		items, err := db.OutboxItems(ctx(), "dead", 10)
		if err != nil || len(items) != 1 || items[0].LastError != "400 bad request" || items[0].Attempts != 1 {
			t.Fatalf("dead letters %+v %v", items, err)
		}
	})
}
