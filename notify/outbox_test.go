package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore is an in-memory outbox with the semantics the SQL store must
// have (CheckOutboxStore holds both to them).
type memStore struct {
	mu   sync.Mutex
	seq  int
	rows map[string]*memRow
	// failDone, when set, makes Done fail without recording anything,
	// as when the process dies between Send and Done.
	failDone atomic.Bool
}

type memRow struct {
	e          Entry
	seq        int
	state      string // pending, sent, dead
	leasedBy   string
	leaseUntil time.Time
	lastErr    string
	finishedAt time.Time
}

func newMemStore() *memStore { return &memStore{rows: map[string]*memRow{}} }

func (s *memStore) Enqueue(ctx context.Context, entries ...Entry) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, e := range entries {
		dup := false
		for _, r := range s.rows {
			dup = dup || (r.e.Target == e.Target && r.e.Message.ID == e.Message.ID)
		}
		if dup {
			continue
		}
		s.seq++
		e.ID, e.Attempts = strconv.Itoa(s.seq), 0
		s.rows[e.ID] = &memRow{e: e, seq: s.seq, state: "pending"}
		added++
	}
	return added, nil
}

func (s *memStore) Claim(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*memRow
	for _, r := range s.rows {
		if r.state == "pending" && !r.e.NextAttempt.After(now) && (r.leasedBy == "" || !r.leaseUntil.After(now)) {
			due = append(due, r)
		}
	}
	slices.SortFunc(due, func(a, b *memRow) int {
		if c := a.e.NextAttempt.Compare(b.e.NextAttempt); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	var out []Entry
	for _, r := range due[:min(len(due), max(limit, 0))] {
		r.leasedBy, r.leaseUntil = worker, now.Add(lease)
		out = append(out, r.e)
	}
	return out, nil
}

// held returns the row id if worker holds it, under s.mu.
func (s *memStore) held(id, worker string) (*memRow, error) {
	r, ok := s.rows[id]
	if !ok || r.state != "pending" || r.leasedBy != worker {
		return nil, ErrLeaseLost
	}
	return r, nil
}

func (s *memStore) Done(ctx context.Context, id, worker string, at time.Time) error {
	if s.failDone.Load() {
		return errors.New("simulated crash before Done")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.held(id, worker)
	if err != nil {
		return err
	}
	r.e.Attempts++
	r.state, r.leasedBy, r.finishedAt = "sent", "", at
	return nil
}

func (s *memStore) Retry(ctx context.Context, id, worker string, at, next time.Time, errText string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.held(id, worker)
	if err != nil {
		return err
	}
	r.e.Attempts++
	r.e.NextAttempt, r.lastErr, r.leasedBy = next, errText, ""
	return nil
}

func (s *memStore) Fail(ctx context.Context, id, worker string, at time.Time, errText string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.held(id, worker)
	if err != nil {
		return err
	}
	r.e.Attempts++
	r.state, r.lastErr, r.leasedBy, r.finishedAt = "dead", errText, "", at
	return nil
}

// row returns a copy of the only row for message id.
func (s *memStore) row(t *testing.T, msgID string) memRow {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if r.e.Message.ID == msgID {
			return *r
		}
	}
	t.Fatalf("no outbox row for %s", msgID)
	return memRow{}
}

func (s *memStore) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rows {
		if r.state == "pending" {
			n++
		}
	}
	return n
}

func TestMemStoreMeetsTheOutboxContract(t *testing.T) {
	CheckOutboxStore(context.Background(), t, newMemStore())
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// funcNotifier sends with a function and counts deliveries per message.
type funcNotifier struct {
	name string
	fn   func(ctx context.Context, m Message) error
	mu   sync.Mutex
	sent map[string]int
}

func newFuncNotifier(name string, fn func(ctx context.Context, m Message) error) *funcNotifier {
	return &funcNotifier{name: name, fn: fn, sent: map[string]int{}}
}

func (n *funcNotifier) Name() string { return n.name }

func (n *funcNotifier) Send(ctx context.Context, m Message) error {
	if n.fn != nil {
		if err := n.fn(ctx, m); err != nil {
			return err
		}
	}
	n.mu.Lock()
	n.sent[m.ID]++
	n.mu.Unlock()
	return nil
}

func (n *funcNotifier) count(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sent[id]
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func enqueue(t *testing.T, s *memStore, now time.Time, target string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		es, err := NewEntries(Message{ID: id, Kind: "incident.opened", Title: "title " + id}, []string{target}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enqueue(context.Background(), es...); err != nil {
			t.Fatal(err)
		}
	}
}

func newTestDispatcher(s OutboxStore, c *clock, ns ...Notifier) *Dispatcher {
	m := map[string]Notifier{}
	for _, n := range ns {
		m[n.Name()] = n
	}
	d := NewDispatcher(s, m, c.Now, quietLog())
	d.Rand = func() float64 { return 0 }
	return d
}

func runOnce(t *testing.T, d *Dispatcher) (sent, retried, failed int) {
	t.Helper()
	sent, retried, failed, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return sent, retried, failed
}

func TestDispatcherSendsAndRecords(t *testing.T) {
	s, c := newMemStore(), newClock()
	n := newFuncNotifier("slack", nil)
	enqueue(t, s, c.Now(), "slack", "INC-1/opened", "INC-2/opened")
	d := newTestDispatcher(s, c, n)
	if sent, retried, failed := runOnce(t, d); sent != 2 || retried != 0 || failed != 0 {
		t.Fatalf("RunOnce = %d sent, %d retried, %d failed; want 2, 0, 0", sent, retried, failed)
	}
	r := s.row(t, "INC-1/opened")
	if r.state != "sent" || r.e.Attempts != 1 || !r.finishedAt.Equal(c.Now()) {
		t.Errorf("row after sending = %s, %d attempts, at %s", r.state, r.e.Attempts, r.finishedAt)
	}
	if sent, _, _ := runOnce(t, d); sent != 0 {
		t.Errorf("second RunOnce sent %d again", sent)
	}
	if n.count("INC-1/opened") != 1 {
		t.Errorf("INC-1/opened sent %d times", n.count("INC-1/opened"))
	}
}

func TestDispatcherBacksOffThenDeadLetters(t *testing.T) {
	s, c := newMemStore(), newClock()
	n := newFuncNotifier("slack", func(context.Context, Message) error { return errors.New("slack: HTTP 503") })
	enqueue(t, s, c.Now(), "slack", "INC-1/opened")
	d := newTestDispatcher(s, c, n)
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		before := c.Now()
		if _, retried, _ := runOnce(t, d); retried != 1 {
			t.Fatalf("attempt %d: retried %d, want 1", i+1, retried)
		}
		r := s.row(t, "INC-1/opened")
		if got := r.e.NextAttempt.Sub(before); got != w || r.e.Attempts != i+1 || r.lastErr != "slack: HTTP 503" {
			t.Fatalf("after attempt %d: wait %s, attempts %d, error %q; want %s, %d", i+1, got, r.e.Attempts, r.lastErr, w, i+1)
		}
		// Not due a moment before its time.
		c.Set(r.e.NextAttempt.Add(-time.Second))
		if sent, retried, failed := runOnce(t, d); sent+retried+failed != 0 {
			t.Fatalf("an entry was tried before it was due")
		}
		c.Set(r.e.NextAttempt)
	}
	if _, _, failed := runOnce(t, d); failed != 1 {
		t.Fatalf("attempt 12 did not dead-letter")
	}
	r := s.row(t, "INC-1/opened")
	if r.state != "dead" || r.e.Attempts != 12 || !strings.HasPrefix(r.lastErr, "gave up after 12 attempts: ") {
		t.Errorf("after 12 attempts: %s, %d, %q", r.state, r.e.Attempts, r.lastErr)
	}
}

func TestBackoffJitterOnlyShortens(t *testing.T) {
	b := DefaultBackoff()
	for attempts := 1; attempts <= 20; attempts++ {
		full := b.Delay(attempts, 0)
		if full > b.Max {
			t.Errorf("Delay(%d) = %s over the maximum", attempts, full)
		}
		if j := b.Delay(attempts, 0.999); j > full || j < time.Duration(float64(full)*0.8) {
			t.Errorf("Delay(%d) with jitter = %s, want within [80%%, 100%%] of %s", attempts, j, full)
		}
	}
	if got := b.Delay(1, 0.5); got != 27*time.Second {
		t.Errorf("Delay(1, 0.5) = %s, want 27s", got)
	}
	if got := b.Delay(1000, 0); got != time.Hour {
		t.Errorf("Delay(1000) = %s, want the 1h cap (no overflow)", got)
	}
}

func TestDispatcherDeadLettersPermanentFailures(t *testing.T) {
	s, c := newMemStore(), newClock()
	n := newFuncNotifier("pagerduty", func(context.Context, Message) error {
		return httpStatusError("pagerduty", 400, "Event object is invalid", 0)
	})
	enqueue(t, s, c.Now(), "pagerduty", "INC-1/opened")
	if _, _, failed := runOnce(t, newTestDispatcher(s, c, n)); failed != 1 {
		t.Fatalf("a 400 was not dead-lettered")
	}
	if r := s.row(t, "INC-1/opened"); r.state != "dead" || r.e.Attempts != 1 || r.lastErr != "pagerduty: HTTP 400: Event object is invalid" {
		t.Errorf("row = %s, %d, %q", r.state, r.e.Attempts, r.lastErr)
	}
}

func TestDispatcherHonoursRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  time.Duration
	}{
		{"longer than the backoff wins", 2 * time.Hour, 2 * time.Hour},
		{"shorter than the backoff loses", time.Second, 30 * time.Second},
		{"capped", 100 * time.Hour, 6 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newMemStore(), newClock()
			n := newFuncNotifier("slack", func(context.Context, Message) error {
				return httpStatusError("slack", 429, "rate_limited", tc.after)
			})
			enqueue(t, s, c.Now(), "slack", "INC-1/opened")
			start := c.Now()
			runOnce(t, newTestDispatcher(s, c, n))
			if r := s.row(t, "INC-1/opened"); r.state != "pending" || r.e.NextAttempt.Sub(start) != tc.want {
				t.Errorf("next attempt in %s (%s), want %s", r.e.NextAttempt.Sub(start), r.state, tc.want)
			}
		})
	}
}

func TestLeaseExpiryLetsAnotherWorkerSend(t *testing.T) {
	s, c := newMemStore(), newClock()
	n := newFuncNotifier("slack", nil)
	enqueue(t, s, c.Now(), "slack", "INC-1/opened")
	// A worker claims and dies before sending anything.
	claimed, err := s.Claim(context.Background(), "crashed", c.Now(), 2*time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	d := newTestDispatcher(s, c, n)
	if sent, _, _ := runOnce(t, d); sent != 0 {
		t.Fatalf("sent an entry another worker holds")
	}
	c.Advance(2 * time.Minute)
	if sent, _, _ := runOnce(t, d); sent != 1 {
		t.Fatalf("entry not sent after the crashed worker's lease ran out")
	}
	if err := s.Done(context.Background(), claimed[0].ID, "crashed", c.Now()); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("late Done of the crashed worker = %v, want ErrLeaseLost", err)
	}
	if n.count("INC-1/opened") != 1 {
		t.Errorf("sent %d times", n.count("INC-1/opened"))
	}
}

// Two dispatchers (as on two replicas) hammer one store; every entry must
// be sent exactly once. Run with -race.
func TestConcurrentDispatchersNeverSendAnEntryTwice(t *testing.T) {
	s := newMemStore()
	now := time.Now()
	var ids []string
	for i := range 300 {
		ids = append(ids, fmt.Sprintf("INC-%d/opened", i))
	}
	a := newFuncNotifier("a", func(context.Context, Message) error { time.Sleep(50 * time.Microsecond); return nil })
	b := newFuncNotifier("b", nil)
	enqueue(t, s, now, "a", ids...)
	enqueue(t, s, now, "b", ids...)

	var wg sync.WaitGroup
	var total atomic.Int64
	for w := range 3 {
		d := NewDispatcher(s, map[string]Notifier{"a": a, "b": b}, time.Now, quietLog())
		d.Worker = fmt.Sprintf("replica-%d", w)
		d.Batch = 7
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s.pending() > 0 {
				sent, retried, failed, err := d.RunOnce(context.Background())
				if err != nil || retried+failed != 0 {
					t.Errorf("RunOnce: %v (%d retried, %d failed)", err, retried, failed)
					return
				}
				total.Add(int64(sent))
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if a.count(id) != 1 || b.count(id) != 1 {
			t.Fatalf("%s sent %d times to a and %d times to b", id, a.count(id), b.count(id))
		}
	}
	if total.Load() != int64(2*len(ids)) {
		t.Errorf("dispatchers reported %d sent, want %d", total.Load(), 2*len(ids))
	}
}

func TestDispatcherRetriesUnknownTargets(t *testing.T) {
	s, c := newMemStore(), newClock()
	enqueue(t, s, c.Now(), "gone", "INC-1/opened")
	if _, retried, _ := runOnce(t, newTestDispatcher(s, c)); retried != 1 {
		t.Fatalf("an entry for an unknown target was not retried")
	}
	if r := s.row(t, "INC-1/opened"); !strings.Contains(r.lastErr, `no notifier named "gone"`) {
		t.Errorf("last error %q", r.lastErr)
	}
}

func TestDispatcherSurvivesAPanickingNotifier(t *testing.T) {
	s, c := newMemStore(), newClock()
	bad := newFuncNotifier("bad", func(context.Context, Message) error { panic("boom") })
	good := newFuncNotifier("good", nil)
	enqueue(t, s, c.Now(), "bad", "INC-1/opened")
	enqueue(t, s, c.Now(), "good", "INC-2/opened")
	sent, retried, _ := runOnce(t, newTestDispatcher(s, c, bad, good))
	if sent != 1 || retried != 1 {
		t.Fatalf("sent %d, retried %d; want 1, 1", sent, retried)
	}
	if r := s.row(t, "INC-1/opened"); r.lastErr != "notifier bad panicked: boom" {
		t.Errorf("last error %q", r.lastErr)
	}
}

// Sends that eat the lease leave the rest of the batch claimed but unsent:
// sending them could overlap with the worker that takes them over.
func TestDispatcherStopsBeforeTheLeaseRunsOut(t *testing.T) {
	s, c := newMemStore(), newClock()
	slow := newFuncNotifier("slow", func(context.Context, Message) error { c.Advance(20 * time.Second); return nil })
	enqueue(t, s, c.Now(), "slow", "m/1", "m/2", "m/3", "m/4")
	d := newTestDispatcher(s, c, slow)
	d.Lease, d.SendTimeout = time.Minute, 20*time.Second
	// 0 s: 20+10 <= 60, send; 20 s: 50 <= 60, send; 40 s: 70 > 60, stop.
	if sent, _, _ := runOnce(t, d); sent != 2 {
		t.Fatalf("sent %d in one lease, want 2", sent)
	}
	if s.row(t, "m/3").leasedBy != d.Worker {
		t.Fatalf("deferred entry lost its lease")
	}
	c.Set(newClock().Now().Add(time.Minute))
	if sent, _, _ := runOnce(t, d); sent != 2 {
		t.Fatalf("deferred entries not sent after the lease ran out: %d", sent)
	}
}

func TestDispatcherRefusesALeaseShorterThanASend(t *testing.T) {
	d := newTestDispatcher(newMemStore(), newClock())
	d.Lease, d.SendTimeout = 30*time.Second, 30*time.Second
	if _, _, _, err := d.RunOnce(context.Background()); err == nil {
		t.Fatal("RunOnce accepted a lease no longer than a send")
	}
}

func TestDispatcherShutdownMidSendMakesTheEntryDueAgain(t *testing.T) {
	s, c := newMemStore(), newClock()
	ctx, cancel := context.WithCancel(context.Background())
	n := newFuncNotifier("slack", func(sctx context.Context, m Message) error {
		cancel()
		<-sctx.Done()
		return sctx.Err()
	})
	enqueue(t, s, c.Now(), "slack", "INC-1/opened")
	d := newTestDispatcher(s, c, n)
	if _, retried, _, err := d.RunOnce(ctx); err != nil || retried != 1 {
		t.Fatalf("RunOnce = %d retried, %v", retried, err)
	}
	if r := s.row(t, "INC-1/opened"); r.state != "pending" || !r.e.NextAttempt.Equal(c.Now()) || r.leasedBy != "" {
		t.Errorf("after shutdown: %s, next %s, leased by %q", r.state, r.e.NextAttempt, r.leasedBy)
	}
}

func TestDispatcherRunWakesUp(t *testing.T) {
	s := newMemStore()
	n := newFuncNotifier("slack", nil)
	d := NewDispatcher(s, map[string]Notifier{"slack": n}, nil, quietLog())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx, time.Hour); close(done) }()
	enqueue(t, s, time.Now(), "slack", "INC-1/opened")
	deadline := time.Now().Add(5 * time.Second)
	for n.count("INC-1/opened") == 0 && time.Now().Before(deadline) {
		d.Wake()
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n.count("INC-1/opened") != 1 {
		t.Fatalf("Wake did not deliver: sent %d times", n.count("INC-1/opened"))
	}
}

func TestNewEntries(t *testing.T) {
	now := newClock().Now()
	es, err := NewEntries(Message{ID: "INC-1/opened", Kind: "incident.opened", Title: "t"}, []string{"a", "b", "a", ""}, now)
	if err != nil || len(es) != 2 || es[0].Target != "a" || es[1].Target != "b" || !es[0].NextAttempt.Equal(now) {
		t.Fatalf("NewEntries = %+v, %v", es, err)
	}
	if _, err := NewEntries(Message{Kind: "incident.opened", Title: "t"}, []string{"a"}, now); err == nil {
		t.Fatal("NewEntries accepted a message without an id")
	}
}
