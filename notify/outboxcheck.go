package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// StoreTB is the part of testing.TB that CheckOutboxStore uses; *testing.T
// is one. Taking an interface keeps package testing out of the binary.
type StoreTB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// CheckOutboxStore holds s, which must start empty, to the OutboxStore and
// Enqueuer contracts: idempotent enqueue, due-ness, claim order and limit,
// exclusive leases, lease expiry, ErrLeaseLost, attempt counting, dead
// letters, and concurrent claims that never share an entry. The SQL store's
// tests run it on each engine, so that it and the dispatcher's in-memory
// test store have the same semantics.
func CheckOutboxStore(ctx context.Context, t StoreTB, s interface {
	OutboxStore
	Enqueuer
}) {
	t.Helper()
	base := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	m1 := Message{ID: "INC-1/opened", Kind: "incident.opened", Title: "Exploit attempts on payments-api", Text: "two\nlines ✓",
		Severity: "SEV1", URL: "https://palisade.example.com/incidents/INC-1", Fields: []Field{{"Service", "payments-api"}, {"Commander", "ana"}},
		DedupKey: "INC-1", Action: ActionTrigger, Time: base}
	m2 := Message{ID: "INC-2/opened", Kind: "incident.opened", Title: "second"}
	m3 := Message{ID: "digest/2026-01-15", Kind: "digest", Title: "later"}
	es1, err := NewEntries(m1, []string{"slack", "pagerduty"}, at(0))
	if err != nil {
		t.Fatalf("NewEntries: %v", err)
	}
	es2, _ := NewEntries(m2, []string{"slack"}, at(time.Second))
	es3, _ := NewEntries(m3, []string{"slack"}, at(0))
	es3[0].NextAttempt = at(time.Hour)

	if n, err := s.Enqueue(ctx, slices.Concat(es1, es2, es3)...); err != nil || n != 4 {
		t.Fatalf("Enqueue 4 new entries = %d, %v; want 4, nil", n, err)
	}
	if n, err := s.Enqueue(ctx, es1[0]); err != nil || n != 0 {
		t.Fatalf("Enqueue of an existing (target, message id) = %d, %v; want 0, nil", n, err)
	}

	claim := func(worker string, now time.Time, limit int) []Entry {
		t.Helper()
		got, err := s.Claim(ctx, worker, now, time.Minute, limit)
		if err != nil {
			t.Fatalf("Claim(%s, %s): %v", worker, now.Sub(base), err)
		}
		return got
	}
	keys := func(es []Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Target+" "+e.Message.ID)
		}
		return out
	}
	want := func(what string, got []Entry, wantKeys ...string) {
		t.Helper()
		if k := keys(got); !slices.Equal(k, wantKeys) {
			t.Fatalf("%s claimed %q, want %q", what, k, wantKeys)
		}
	}
	lost := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("%s = %v, want ErrLeaseLost", what, err)
		}
	}
	ok := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Oldest NextAttempt first, then id (enqueue order), at most limit.
	first := claim("w1", at(2*time.Second), 2)
	want("w1, limit 2", first, "slack INC-1/opened", "pagerduty INC-1/opened")
	slackM1, pdM1 := first[0], first[1]
	if slackM1.ID == "" || slackM1.ID == pdM1.ID {
		t.Fatalf("entry ids %q and %q: want distinct, non-empty", slackM1.ID, pdM1.ID)
	}
	if slackM1.Attempts != 0 || !slackM1.CreatedAt.Equal(at(0)) || !slackM1.NextAttempt.Equal(at(0)) {
		t.Errorf("claimed entry: attempts %d, created %s, next %s; want 0, %s, %s", slackM1.Attempts, slackM1.CreatedAt, slackM1.NextAttempt, at(0), at(0))
	}
	if err := sameMessage(slackM1.Message, m1); err != nil {
		t.Errorf("message after a round trip through the store: %v", err)
	}

	second := claim("w2", at(2*time.Second), 10)
	want("w2 while w1 holds its leases", second, "slack INC-2/opened")
	m2e := second[0]
	want("w3 with everything due leased", claim("w3", at(2*time.Second), 10))

	lost("Done by a worker that does not hold the lease", s.Done(ctx, m2e.ID, "w1", at(3*time.Second)))
	ok("Done by the holder", s.Done(ctx, m2e.ID, "w2", at(3*time.Second)))
	lost("Done twice", s.Done(ctx, m2e.ID, "w2", at(3*time.Second)))
	lost("Retry after Done", s.Retry(ctx, m2e.ID, "w2", at(3*time.Second), at(4*time.Second), "x"))
	lost("Fail after Done", s.Fail(ctx, m2e.ID, "w2", at(3*time.Second), "x"))
	lost("Done of an unknown id", s.Done(ctx, "no-such-entry", "w2", at(3*time.Second)))

	ok("Retry", s.Retry(ctx, slackM1.ID, "w1", at(3*time.Second), at(33*time.Second), "HTTP 500"))
	ok("Fail", s.Fail(ctx, pdM1.ID, "w1", at(4*time.Second), "HTTP 400: invalid event"))
	want("before the retry is due", claim("w2", at(10*time.Second), 10))
	want("dead and sent entries are never claimed again", claim("w2", at(2*time.Hour), 10),
		"slack INC-1/opened", "slack digest/2026-01-15")

	// w2 now holds both until 2h1m and "crashes". The lease runs out at
	// exactly lease_until.
	want("before w2's lease ends", claim("w3", at(2*time.Hour+59*time.Second), 10))
	taken := claim("w3", at(2*time.Hour+time.Minute), 10)
	want("after w2's lease ends", taken, "slack INC-1/opened", "slack digest/2026-01-15")
	if taken[0].Attempts != 1 {
		t.Errorf("attempts after one Retry = %d, want 1", taken[0].Attempts)
	}
	lost("Done by the worker whose lease was taken over", s.Done(ctx, taken[1].ID, "w2", at(2*time.Hour+time.Minute)))
	ok("Done by the new holder", s.Done(ctx, taken[1].ID, "w3", at(2*time.Hour+time.Minute)))
	ok("second Retry", s.Retry(ctx, taken[0].ID, "w3", at(2*time.Hour+time.Minute), at(3*time.Hour), "timeout"))
	// An expired lease that nobody took over still lets its holder finish.
	again := claim("w4", at(3*time.Hour), 10)
	want("after the second retry", again, "slack INC-1/opened")
	if again[0].Attempts != 2 {
		t.Errorf("attempts after two Retries = %d, want 2", again[0].Attempts)
	}
	ok("Done by a holder whose lease ran out unclaimed", s.Done(ctx, again[0].ID, "w4", at(5*time.Hour)))

	if n, err := s.Enqueue(ctx, slices.Concat(es1, es2, es3)...); err != nil || n != 0 {
		t.Fatalf("Enqueue of sent and dead entries again = %d, %v; want 0, nil", n, err)
	}

	// Concurrent claims never return one entry twice.
	var many []Entry
	for i := range 60 {
		es, _ := NewEntries(Message{ID: fmt.Sprintf("bulk/%d", i), Kind: "digest", Title: "bulk"}, []string{"slack"}, at(6*time.Hour))
		many = append(many, es...)
	}
	if n, err := s.Enqueue(ctx, many...); err != nil || n != len(many) {
		t.Fatalf("Enqueue %d = %d, %v", len(many), n, err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker := fmt.Sprintf("c%d", w)
			for {
				got, err := s.Claim(ctx, worker, at(7*time.Hour), time.Minute, 5)
				if err != nil {
					t.Errorf("concurrent Claim: %v", err)
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
	if len(seen) != len(many) {
		t.Errorf("concurrent claims returned %d entries, want %d", len(seen), len(many))
	}
}

// sameMessage compares messages with times compared as instants, which is
// what a store can promise.
func sameMessage(got, want Message) error {
	if !got.Time.Equal(want.Time) {
		return fmt.Errorf("time %s, want %s", got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if got.ID != want.ID || got.Kind != want.Kind || got.Title != want.Title || got.Text != want.Text || got.Severity != want.Severity ||
		got.URL != want.URL || got.DedupKey != want.DedupKey || got.Action != want.Action || !slices.Equal(got.Fields, want.Fields) {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	return nil
}
