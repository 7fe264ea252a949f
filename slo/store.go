package slo

import (
	"context"
	"time"
)

// Bucket counts the events of an SLO whose time falls in [Start,
// Start+Width).
type Bucket struct {
	SLO   string
	Start time.Time
	Width time.Duration
	Counts
}

// Event is one pushed measurement.
type Event struct {
	Time  time.Time `json:"time"`
	Good  float64   `json:"good"`
	Total float64   `json:"total"`
	// ID makes a push idempotent: an id seen before (within
	// EventIDRetention) is not counted again.
	ID string `json:"id,omitempty"`
}

// CheckResult is one pushed control check result.
type CheckResult struct {
	Service string    `json:"service"`
	Check   string    `json:"check"`
	OK      bool      `json:"ok"`
	Time    time.Time `json:"time"`
}

// Transition is a change of a control check's state.
type Transition struct {
	At time.Time
	OK bool
}

// ControlHistory is a check's transitions since a time and when it was
// last reported.
type ControlHistory struct {
	// Before is the state at the start (nil when unknown).
	Before      *bool
	Transitions []Transition
	LastSeen    time.Time
}

// AlertState is a firing (or resolved) burn-rate alert as stored.
type AlertState struct {
	SLO        string
	Key        string // severity/long window, e.g. page/1h
	FiringAt   time.Time
	ResolvedAt *time.Time
}

// Store is what the SLO capability needs from persistence.
type Store interface {
	// PutSLOs upserts objectives; with prune it deletes the others. It
	// returns how many it created, updated and deleted.
	PutSLOs(ctx context.Context, slos []*SLO, prune bool) (created, updated, deleted int, err error)
	DeleteSLO(ctx context.Context, name string) error
	SLOs(ctx context.Context) ([]*SLO, error)
	SLO(ctx context.Context, name string) (*SLO, error)

	// AddEvents stores events in buckets of width, skipping those whose
	// id was seen before; it returns how many it counted.
	AddEvents(ctx context.Context, slo string, events []Event, width time.Duration, now time.Time) (int, error)
	// BucketsChanged returns the buckets changed after since (all of them
	// for a zero since) and the time to pass next.
	BucketsChanged(ctx context.Context, since time.Time) ([]Bucket, time.Time, error)
	// Compact merges buckets older than before into buckets of width and
	// deletes buckets and event ids older than expire.
	Compact(ctx context.Context, before time.Time, width time.Duration, expire time.Time) error

	// AddChecks records control check results, keeping only changes of
	// state and the time each check was last seen.
	AddChecks(ctx context.Context, results []CheckResult) error
	// ControlHistory returns a check's history since a time.
	ControlHistory(ctx context.Context, service, check string, since time.Time) (*ControlHistory, error)

	// PutStatuses stores the latest evaluation of each SLO.
	PutStatuses(ctx context.Context, st []Status) error
	// Statuses returns the latest stored evaluations.
	Statuses(ctx context.Context) ([]Status, error)
	// Alerts returns the alerts not yet resolved.
	Alerts(ctx context.Context) ([]AlertState, error)
	// PutAlerts records alerts that started and resolved.
	PutAlerts(ctx context.Context, fired, resolved []AlertState) error
}
