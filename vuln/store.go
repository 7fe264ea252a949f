package vuln

import (
	"context"
	"time"
)

// AdvisoryRecord is an advisory with its OSV record as imported.
type AdvisoryRecord struct {
	Advisory
	Record []byte
}

// ServiceComponent is a component of a service's stored inventory.
type ServiceComponent struct {
	Service string
	Component
}

// KEVEntry is one CISA KEV catalog entry as stored.
type KEVEntry struct {
	CVE        string
	DateAdded  time.Time
	DueDate    *time.Time
	Ransomware bool
	Name       string
}

// EPSSScore is one CVE's EPSS score as stored.
type EPSSScore struct {
	CVE         string
	Probability float64
	Percentile  float64
	Date        time.Time
}

// FindingFilter selects findings. Zero fields match everything.
type FindingFilter struct {
	Service    string
	Services   []string // any of these services (team scope)
	Advisory   string   // id or alias
	Package    string
	Severity   string
	State      string // a state, or "open" for in_triage and exploitable
	KEV        *bool
	Overdue    bool // open and past due at Now
	Now        time.Time
	Advisories []string // any of these advisory ids
	IDs        []string // any of these finding ids
	// After continues a listing (finding id); Limit bounds it (0: all).
	After string
	Limit int
}

// Store is what the CVE process needs from persistence. Methods that change
// data write audit entries in the same transaction.
type Store interface {
	// UpsertAdvisories stores records that are new or whose modified time
	// is newer than the stored one, and returns the ids it changed.
	UpsertAdvisories(ctx context.Context, recs []AdvisoryRecord) ([]string, error)
	// AdvisoryRecords returns the stored records that name any of pkgs,
	// withdrawn ones included, with KEV and EPSS filled in.
	AdvisoryRecords(ctx context.Context, pkgs []Package) ([]AdvisoryRecord, error)
	// AdvisoryPackages returns the packages each of the advisories names.
	AdvisoryPackages(ctx context.Context, ids []string) (map[string][]Package, error)
	// AdvisoryRecordsByID returns the stored records with these ids.
	AdvisoryRecordsByID(ctx context.Context, ids []string) ([]AdvisoryRecord, error)
	// Advisory returns one advisory by id or alias, or ENOTFOUND.
	Advisory(ctx context.Context, idOrAlias string) (*Advisory, error)
	// AdvisoryStats counts advisories per ecosystem.
	AdvisoryStats(ctx context.Context) (map[string]int, error)
	// ReplaceKEV and ReplaceEPSS swap the enrichment data and return the
	// advisory ids whose KEV or EPSS values changed.
	ReplaceKEV(ctx context.Context, entries []KEVEntry) ([]string, error)
	ReplaceEPSS(ctx context.Context, scores []EPSSScore) ([]string, error)

	// PutInventory replaces a service's inventory.
	PutInventory(ctx context.Context, inv *Inventory) error
	// Inventory returns a service's inventory or ENOTFOUND.
	Inventory(ctx context.Context, service string) (*Inventory, error)
	// InventoryTimes maps every catalog service to its inventory's time
	// (zero without one).
	InventoryTimes(ctx context.Context) (map[string]time.Time, error)
	// ComponentsOf returns the stored components, in all inventories, of
	// any of pkgs.
	ComponentsOf(ctx context.Context, pkgs []Package) ([]ServiceComponent, error)
	// ServiceTiers maps every catalog service to its tier.
	ServiceTiers(ctx context.Context) (map[string]int, error)

	// Findings lists findings in id order.
	Findings(ctx context.Context, f FindingFilter) ([]Finding, error)
	// Finding returns one finding with its history, or ENOTFOUND.
	Finding(ctx context.Context, id string) (*Finding, []Event, error)
	// ApplyChanges writes reconciliation changes with their events.
	ApplyChanges(ctx context.Context, changes []Change) error
	// UpdateFindings reads the findings with these ids in a write
	// transaction, lets fn change them (returning the event to record for
	// each changed one, or nil to leave it), and writes them.
	UpdateFindings(ctx context.Context, ids []string, fn func(f *Finding) (*Event, error)) ([]Finding, error)

	// Policy returns the remediation policy (the default when none was set).
	Policy(ctx context.Context) (*Policy, error)
	// SetPolicy stores the policy.
	SetPolicy(ctx context.Context, p *Policy) error

	// PutSnapshots stores the day's metrics per scope.
	PutSnapshots(ctx context.Context, day time.Time, byScope map[string]Metrics) error
	// Snapshots returns a scope's daily metrics from from to to.
	Snapshots(ctx context.Context, scope string, from, to time.Time) ([]Metrics, error)
}
