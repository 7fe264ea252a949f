package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// memStore is an in-memory lease store with the same semantics as the
// database's (store tests check those on both engines).
type memStore struct {
	mu     sync.Mutex
	leases map[string]Lease
}

func (m *memStore) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[name]; ok && now.Before(l.ExpiresAt) {
		return false, nil
	}
	m.leases[name] = Lease{Name: name, Holder: holder, ExpiresAt: until, StartedAt: now}
	return true, nil
}

func (m *memStore) FinishLease(ctx context.Context, name, holder string, at time.Time, errText string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.leases[name]
	l.FinishedAt, l.Error = &at, errText
	m.leases[name] = l
	return nil
}

func (m *memStore) Leases(ctx context.Context) ([]Lease, error) { return nil, nil }

func TestReplicasRunEachJobOncePerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memStore{leases: map[string]Lease{}}
		var mu sync.Mutex
		runs := map[string]int{}
		job := Job{Name: "snapshot", Every: time.Hour, Run: func(ctx context.Context) error {
			mu.Lock()
			runs["snapshot"]++
			mu.Unlock()
			return nil
		}}
		failing := Job{Name: "sync", Every: 10 * time.Minute, Run: func(ctx context.Context) error {
			mu.Lock()
			runs["sync"]++
			first := runs["sync"] == 1
			mu.Unlock()
			if first {
				panic("boom")
			}
			return errors.New("upstream down")
		}}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, holder := range []string{"a", "b", "c"} {
			r := NewRunner(store, holder, time.Now, log, job, failing)
			r.SetTick(time.Minute)
			wg.Go(func() { r.Run(ctx) })
		}
		time.Sleep(3*time.Hour + 30*time.Second)
		cancel()
		wg.Wait()
		// Runs at 0h, 1h, 2h and 3h: once each, whatever the replicas.
		if runs["snapshot"] != 4 {
			t.Errorf("snapshot ran %d times in 3 h across 3 replicas, want 4", runs["snapshot"])
		}
		// Every 10 minutes, panics and errors included: 19 runs.
		if runs["sync"] != 19 {
			t.Errorf("sync ran %d times, want 19", runs["sync"])
		}
		if l := store.leases["sync"]; l.Error != "upstream down" || l.FinishedAt == nil {
			t.Errorf("sync lease = %+v", l)
		}
	})
}
