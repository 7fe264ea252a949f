package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"time"

	"github.com/palisade-project/palisade"
)

// Entry is one message for one target in the outbox.
type Entry struct {
	// ID is assigned by the store and opaque to the dispatcher.
	ID string `json:"id"`
	// Target is the name of the notifier that delivers it.
	Target  string  `json:"target"`
	Message Message `json:"message"`
	// Attempts is how many deliveries were tried before this claim.
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt"`
	CreatedAt   time.Time `json:"createdAt"`
}

// NewEntries returns one entry per distinct target for m, due at now, for a
// capability to enqueue in the transaction of the change that caused m.
func NewEntries(m Message, targets []string, now time.Time) ([]Entry, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var out []Entry
	seen := map[string]bool{}
	for _, t := range targets {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, Entry{Target: t, Message: m, NextAttempt: now, CreatedAt: now})
	}
	return out, nil
}

// Enqueuer is the write side of the outbox. The store implements it on its
// write transaction too, so an entry commits or rolls back with the change
// that caused it: a notification for a change that never happened is never
// sent, and one for a change that did is never lost.
type Enqueuer interface {
	// Enqueue stores entries (ID and Attempts are ignored) and returns
	// how many it added. An entry whose (Target, Message.ID) is already
	// in the outbox, in any state, is skipped without error: enqueueing
	// is idempotent, so replaying a change never sends its messages
	// twice.
	Enqueue(ctx context.Context, entries ...Entry) (int, error)
}

// OutboxStore is the dispatcher's side of the outbox. Each method is one
// atomic step; the store takes the times it is given and never reads a
// clock. docs/notifications.md restates these rules for the SQL schema.
type OutboxStore interface {
	// Claim leases up to limit pending entries whose NextAttempt is at
	// or before now and whose lease is absent or ran out (lease_until
	// <= now), oldest NextAttempt first and then in enqueue order, to
	// worker until now+lease, and returns them with Attempts as stored.
	// Two concurrent claims never return the same entry.
	Claim(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]Entry, error)
	// Done marks the entry sent at at, counts the attempt and clears
	// the lease. It returns ErrLeaseLost, and changes nothing, unless
	// the entry is pending and its lease holder is worker (an expired
	// lease nobody took over still counts as held).
	Done(ctx context.Context, id, worker string, at time.Time) error
	// Retry counts the attempt, records errText, makes the entry due
	// again at next and clears the lease; ErrLeaseLost as for Done.
	Retry(ctx context.Context, id, worker string, at, next time.Time, errText string) error
	// Fail counts the attempt, records errText and moves the entry to
	// the dead letters, which Claim never returns; ErrLeaseLost as for
	// Done.
	Fail(ctx context.Context, id, worker string, at time.Time, errText string) error
}

// ErrLeaseLost is returned by Done, Retry and Fail when the worker no longer
// holds the entry: its lease ran out and another worker claimed it, or it
// was already finished. A dispatcher that sees it may have sent a
// duplicate, which the receiver's dedup key absorbs.
const ErrLeaseLost = leaseLostError("outbox entry is no longer leased by this worker")

type leaseLostError string

func (e leaseLostError) Error() string { return string(e) }

// Backoff is the retry schedule: attempt n waits Base·2^(n-1), at most
// Max, less a random part of up to Jitter of it so that entries that failed
// together do not retry together; after MaxAttempts the entry is dead.
type Backoff struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
	Jitter      float64
	// MaxRetryAfter caps a receiver's Retry-After, so a buggy or
	// hostile one cannot park a page for a week.
	MaxRetryAfter time.Duration
}

// DefaultBackoff is 30 s, 1 m, 2 m, 4 m, 8 m, 16 m, 32 m, then 1 h, twelve
// attempts in all (about five hours), 20 % jitter, Retry-After up to 6 h.
func DefaultBackoff() Backoff {
	return Backoff{Base: 30 * time.Second, Max: time.Hour, MaxAttempts: 12, Jitter: 0.2, MaxRetryAfter: 6 * time.Hour}
}

// Delay is the wait after the attempts-th failed attempt (1 for the
// first); r in [0,1) picks the jitter. The jitter only shortens the wait,
// so Max stays a true maximum.
func (b Backoff) Delay(attempts int, r float64) time.Duration {
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	j := min(max(b.Jitter, 0), 1) * min(max(r, 0), 1)
	return d - time.Duration(float64(d)*j)
}

// Dispatcher delivers outbox entries. Several dispatchers, in one process
// or on several replicas, may run against one store: claims keep them from
// sending one entry at the same time. Set the exported fields before the
// first RunOnce.
type Dispatcher struct {
	store     OutboxStore
	notifiers func(ctx context.Context, name string) (Notifier, error)
	now       func() time.Time
	log       *slog.Logger

	// Worker names this dispatcher in leases; it must differ between
	// dispatchers. NewDispatcher makes one from the host, pid and a
	// random part.
	Worker string
	// Lease is how long a claim holds its entries (default 2 m). It
	// must be longer than SendTimeout plus the store's own margin: a
	// send still running when the lease ends could be duplicated by the
	// worker that takes over.
	Lease time.Duration
	// Batch is how many entries one RunOnce claims (default 20).
	Batch int
	// SendTimeout bounds one Send (default 30 s).
	SendTimeout time.Duration
	Backoff     Backoff
	// Rand returns the jitter's randomness in [0,1); default
	// math/rand/v2.
	Rand func() float64

	wake chan struct{}
}

// storeMargin is reserved at the end of a lease for recording the outcome.
const storeMargin = 10 * time.Second

// NewDispatcher returns a dispatcher for the notifiers, keyed by their
// names. now and log may be nil.
func NewDispatcher(store OutboxStore, notifiers map[string]Notifier, now func() time.Time, log *slog.Logger) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	host, _ := os.Hostname()
	return &Dispatcher{
		store: store, notifiers: fixed(notifiers), now: now, log: log,
		Worker:      fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8]),
		Lease:       2 * time.Minute,
		Batch:       20,
		SendTimeout: 30 * time.Second,
		Backoff:     DefaultBackoff(),
		Rand:        mrand.Float64,
		wake:        make(chan struct{}, 1),
	}
}

// NewLiveDispatcher returns a dispatcher that sends through the
// notifiers live holds, following changes to the notifiers section.
func NewLiveDispatcher(store OutboxStore, live *Live, now func() time.Time, log *slog.Logger) *Dispatcher {
	d := NewDispatcher(store, nil, now, log)
	d.notifiers = live.Notifier
	return d
}

func fixed(m map[string]Notifier) func(context.Context, string) (Notifier, error) {
	return func(_ context.Context, name string) (Notifier, error) {
		if n, ok := m[name]; ok {
			return n, nil
		}
		return nil, fmt.Errorf("no notifier named %q in this process's configuration", name)
	}
}

// Wake makes a running Run look for due entries now instead of at its next
// tick; call it after committing a change that enqueued messages. It never
// blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run calls RunOnce every interval until ctx is done, and again at once
// when a batch came back full or Wake was called.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for ctx.Err() == nil {
		sent, retried, failed, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("notify outbox", "worker", d.Worker, "error", err.Error())
		}
		if err == nil && sent+retried+failed >= d.Batch {
			continue
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce claims a batch of due entries, sends each and records the
// outcome: sent (Done), retried later (Retry) or dead (Fail). err reports a
// failed claim or failures to record outcomes; a failed send is an outcome,
// not an error.
func (d *Dispatcher) RunOnce(ctx context.Context) (sent, retried, failed int, err error) {
	if d.Lease < d.SendTimeout+storeMargin {
		return 0, 0, 0, palisade.Errorf(palisade.EINVALID, "notify: lease %s must exceed the send timeout %s by %s", d.Lease, d.SendTimeout, storeMargin)
	}
	start := d.now()
	entries, err := d.store.Claim(ctx, d.Worker, start, d.Lease, d.Batch)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("claim outbox entries: %w", err)
	}
	leaseEnd := start.Add(d.Lease)
	var errs []error
	for i, e := range entries {
		if ctx.Err() != nil {
			break
		}
		// An entry whose send could outlive the lease stays claimed
		// and unsent; it is due again when the lease runs out. Sending
		// it now could overlap with the worker that takes it over.
		if d.now().Add(d.SendTimeout + storeMargin).After(leaseEnd) {
			d.log.Info("notify outbox: lease too short for the rest of the batch", "worker", d.Worker, "deferred", len(entries)-i)
			break
		}
		outcome, rerr := d.deliver(ctx, e)
		switch outcome {
		case outcomeSent:
			sent++
		case outcomeRetried:
			retried++
		case outcomeFailed:
			failed++
		}
		if rerr != nil {
			errs = append(errs, rerr)
		}
	}
	return sent, retried, failed, errors.Join(errs...)
}

type outcome int

const (
	outcomeNone outcome = iota
	outcomeSent
	outcomeRetried
	outcomeFailed
)

// deliver sends one entry and records what happened. The outcome is
// recorded even when ctx is cancelled after the send: a message that went
// out must be marked sent, or it goes out again.
func (d *Dispatcher) deliver(ctx context.Context, e Entry) (outcome, error) {
	log := d.log.With("target", e.Target, "message", e.Message.ID, "kind", e.Message.Kind, "entry", e.ID, "attempt", e.Attempts+1)
	// A notifier this process cannot resolve is a temporary failure on
	// purpose: during a rolling deploy a replica with the old
	// configuration can claim an entry for a target only the new one
	// knows, and an unset variable can be set; the entry is retried with
	// backoff and dead-lettered after the last attempt.
	n, err := d.notifiers(ctx, e.Target)
	if err == nil {
		err = d.send(ctx, n, e.Message)
	}

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeMargin)
	defer cancel()
	at := d.now()
	attempts := e.Attempts + 1
	var res outcome
	var serr error
	switch {
	case err == nil:
		res, serr = outcomeSent, d.store.Done(rctx, e.ID, d.Worker, at)
		if serr == nil {
			log.Info("notification sent")
		}
	case ctx.Err() != nil:
		// Shutting down mid-send: whether it arrived is unknown, so it
		// is due again at once, for whichever worker comes next.
		res, serr = outcomeRetried, d.store.Retry(rctx, e.ID, d.Worker, at, at, errText(err))
	case IsPermanent(err):
		res, serr = outcomeFailed, d.store.Fail(rctx, e.ID, d.Worker, at, errText(err))
		if serr == nil {
			log.Error("notification failed permanently; moved to dead letters", "error", err.Error())
		}
	case attempts >= d.Backoff.MaxAttempts:
		text := fmt.Sprintf("gave up after %d attempts: %s", attempts, errText(err))
		res, serr = outcomeFailed, d.store.Fail(rctx, e.ID, d.Worker, at, text)
		if serr == nil {
			log.Error("notification failed too often; moved to dead letters", "error", err.Error())
		}
	default:
		wait := d.Backoff.Delay(attempts, d.Rand())
		if ra, ok := RetryAfterOf(err); ok {
			wait = max(wait, min(ra, d.Backoff.MaxRetryAfter))
		}
		next := at.Add(wait)
		res, serr = outcomeRetried, d.store.Retry(rctx, e.ID, d.Worker, at, next, errText(err))
		if serr == nil {
			log.Warn("notification failed; will retry", "error", err.Error(), "next", next)
		}
	}
	if errors.Is(serr, ErrLeaseLost) {
		// Another worker took the entry over; it will have its own
		// outcome. If both sent, the receiver's dedup key absorbs it.
		log.Warn("notify outbox: lease lost before recording the outcome")
		return outcomeNone, nil
	}
	if serr != nil {
		return outcomeNone, fmt.Errorf("record outcome of outbox entry %s: %w", e.ID, serr)
	}
	return res, nil
}

// send calls n.Send with the send timeout, turning a panic into a
// temporary error so that one broken notifier cannot stop the others.
func (d *Dispatcher) send(ctx context.Context, n Notifier, m Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("notifier panicked", "target", n.Name(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("notifier %s panicked: %v", n.Name(), v)
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
	defer cancel()
	return n.Send(sctx, m)
}

// maxErrText bounds the error stored with an entry.
const maxErrText = 1000

func errText(err error) string { return truncate(clean(err.Error()), maxErrText) }
