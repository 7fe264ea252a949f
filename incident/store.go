package incident

import (
	"context"
	"time"

	"github.com/palisade-project/palisade/notify"
)

// Alert is a stored alert: one (source, dedup key), however many times it
// was delivered.
type Alert struct {
	ID         int64             `json:"id"`
	Source     string            `json:"source"`
	DedupKey   string            `json:"dedupKey"`
	Status     string            `json:"status"` // firing, acknowledged, resolved
	Summary    string            `json:"summary"`
	Severity   string            `json:"severity"`
	Service    string            `json:"service,omitempty"`
	Labels     map[string]string `json:"labels"`
	IncidentID string            `json:"incident,omitempty"`
	Route      string            `json:"route"`
	FirstSeen  time.Time         `json:"firstSeen"`
	LastSeen   time.Time         `json:"lastSeen"`
	StartsAt   time.Time         `json:"startsAt"`
	ResolvedAt *time.Time        `json:"resolvedAt,omitempty"`
	// Deliveries counts the deliveries of this alert.
	Deliveries int `json:"deliveries"`
}

// Alert statuses.
const (
	AlertFiring       = "firing"
	AlertAcknowledged = "acknowledged"
	AlertResolved     = "resolved"
)

// Tx is what a write transaction offers the incident logic. The store
// audits incident changes and notes (not each alert delivery: those are on
// the timeline and in the alert's own record).
type Tx interface {
	Alert(source, dedupKey string) (*Alert, error) // nil when unknown
	PutAlert(a *Alert) error                       // insert (ID 0) or update
	Incident(id string) (*Incident, error)
	// OpenIncident returns the newest open incident of a service and kind,
	// or nil.
	OpenIncident(service, kind string) (*Incident, error)
	// CreateIncident assigns the next INC-n id and stores the incident.
	CreateIncident(i *Incident) error
	UpdateIncident(before, after *Incident) error
	AddEntries(incident string, entries ...Entry) error
	// Enqueue puts notifications in the outbox, in this transaction.
	Enqueue(entries ...notify.Entry) error
	// MoveAlerts attaches every alert of incident from to incident to
	// and returns how many moved.
	MoveAlerts(from, to string) (int, error)
}

// Filter selects incidents, newest first.
type Filter struct {
	Status   string // a status, or "open"
	Severity string
	Kind     string
	Service  string
	Team     string
	Query    string // in the title
	Since    time.Time
	Before   string // cursor: an incident id
	Limit    int
}

// Store is what incident response needs from persistence.
type Store interface {
	// WriteIncidents runs fn in one write transaction.
	WriteIncidents(ctx context.Context, fn func(tx Tx) error) error
	Incidents(ctx context.Context, f Filter) ([]Incident, error)
	Incident(ctx context.Context, id string) (*Incident, error)
	Timeline(ctx context.Context, id string, after int64) ([]Entry, error)
	IncidentAlerts(ctx context.Context, id string) ([]Alert, error)
	RecentAlerts(ctx context.Context, status string, limit int) ([]Alert, error)
	// ActiveAlerts returns a source's alerts that are not resolved.
	ActiveAlerts(ctx context.Context, source string) ([]Alert, error)
	// AllIncidents returns every incident opened since a time, for metrics.
	AllIncidents(ctx context.Context, since time.Time) ([]Incident, error)
}
