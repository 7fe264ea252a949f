// Package jobs runs Palisade's background work (advisory sync, re-matching,
// metric snapshots, expiries) on a schedule. Each run first takes a lease
// in the database, so several `palisade serve` replicas on one PostgreSQL run
// each job once per interval; on SQLite the same code runs in one process.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/palisade-project/palisade"
)

// Store keeps the leases.
type Store interface {
	// AcquireLease takes the lease on name for holder until until, when
	// nobody holds it or the lease ran out before now. It reports whether
	// holder got it.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// FinishLease records the outcome of holder's run (errText "" for
	// success) without giving the lease up: the next run is due when it
	// expires.
	FinishLease(ctx context.Context, name, holder string, at time.Time, errText string) error
	// Leases lists every job's last run, for status pages.
	Leases(ctx context.Context) ([]Lease, error)
}

// Lease is a job's schedule state.
type Lease struct {
	Name       string     `json:"name"`
	Holder     string     `json:"holder"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Job is a piece of background work.
type Job struct {
	Name string
	// Every is the interval between runs, across all replicas.
	Every time.Duration
	// Timeout bounds one run; zero means Every.
	Timeout time.Duration
	Run     func(ctx context.Context) error
}

// Runner runs jobs.
type Runner struct {
	store  Store
	holder string
	now    palisade.Clock
	log    *slog.Logger
	jobs   []Job
	// tick is how often the runner looks for due jobs.
	tick time.Duration
}

// NewRunner returns a runner for jobs; holder names this process in leases
// (host and pid make a good one).
func NewRunner(store Store, holder string, now palisade.Clock, log *slog.Logger, jobs ...Job) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{store: store, holder: holder, now: now, log: log, jobs: jobs, tick: 30 * time.Second}
}

// SetTick changes how often the runner looks for due jobs (default 30 s).
func (r *Runner) SetTick(d time.Duration) { r.tick = d }

// Run runs due jobs until ctx is done. Jobs run one at a time in this
// process; a job that fails is logged and retried when its lease runs out.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.tick)
	defer t.Stop()
	for {
		for _, j := range r.jobs {
			if ctx.Err() != nil {
				return
			}
			r.RunOnce(ctx, j)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce runs j if its lease is free, and reports whether it ran.
func (r *Runner) RunOnce(ctx context.Context, j Job) bool {
	now := r.now()
	ok, err := r.store.AcquireLease(ctx, j.Name, r.holder, now, now.Add(j.Every))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("job lease", "job", j.Name, "error", err.Error())
		}
		return false
	}
	if !ok {
		return false
	}
	timeout := j.Timeout
	if timeout == 0 {
		timeout = j.Every
	}
	rctx, cancel := context.WithTimeout(palisade.WithActor(ctx, palisade.SystemActor("job:"+j.Name)), timeout)
	defer cancel()
	start := r.now()
	err = safeRun(rctx, j)
	errText := ""
	if err != nil {
		errText = err.Error()
		r.log.Error("job failed", "job", j.Name, "error", errText, "duration", r.now().Sub(start))
	} else {
		r.log.Info("job done", "job", j.Name, "duration", r.now().Sub(start))
	}
	if ferr := r.store.FinishLease(context.WithoutCancel(ctx), j.Name, r.holder, r.now(), errText); ferr != nil {
		r.log.Warn("job finish", "job", j.Name, "error", ferr.Error())
	}
	return true
}

// safeRun keeps a panicking job from taking the server down.
func safeRun(ctx context.Context, j Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return j.Run(ctx)
}
