package vuln

import (
	"strings"
	"time"
)

// Advisory is an OSV record as the CVE process uses it: identity, dates,
// severity and enrichment. The full record is kept by the store for
// matching.
type Advisory struct {
	ID        string     `json:"id"`
	Aliases   []string   `json:"aliases"`
	Summary   string     `json:"summary,omitempty"`
	Modified  time.Time  `json:"modified"`
	Published *time.Time `json:"published,omitempty"`
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	// Severity is critical, high, medium, low or unknown: from the highest
	// CVSS base score of the record's vectors, else the record's
	// database_specific.severity, else unknown.
	Severity   string   `json:"severity"`
	CVSS       *float64 `json:"cvss,omitempty"`
	CVSSVector string   `json:"cvssVector,omitempty"`
	// KEV is set when an alias is in CISA's Known Exploited
	// Vulnerabilities catalog; KEVDue is CISA's due date.
	KEV    bool       `json:"kev"`
	KEVDue *time.Time `json:"kevDue,omitempty"`
	// EPSS is the highest exploit probability among the aliases.
	EPSS *float64 `json:"epss,omitempty"`
	// Packages are the (ecosystem, name) pairs the record affects.
	Packages []Package `json:"packages"`
	// Source says where the record was imported from.
	Source string `json:"source,omitempty"`
}

// Package is a package in an OSV ecosystem, with OSV's naming (PyPI names
// normalized).
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// Component is one entry of an inventory, placed in an OSV ecosystem.
type Component struct {
	Purl string `json:"purl"` // as the inventory gave it
	// Ecosystem is OSV's, with its release when it has one ("Debian:12").
	Ecosystem string `json:"ecosystem"`
	// Name is the package name in OSV's normalized form.
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Package returns the component's package keyed as advisories are: the
// base ecosystem, without release.
func (c Component) Package() Package {
	base, _, _ := strings.Cut(c.Ecosystem, ":")
	return Package{Ecosystem: base, Name: c.Name}
}

// Inventory is a service's current list of components.
type Inventory struct {
	Service    string      `json:"service"`
	Format     string      `json:"format"`
	Source     string      `json:"source"`
	Digest     string      `json:"digest"`
	RecordedAt time.Time   `json:"recordedAt"`
	Warnings   []string    `json:"warnings"`
	Components []Component `json:"components"`
}

// Match is an advisory affecting a component of a service.
type Match struct {
	Service   string
	Component Component
	Advisory  *Advisory
	// Fixed are the versions that fix it, from the matching ranges.
	Fixed []string
}

// Event is one entry of a finding's history.
type Event struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"` // detected, triaged, accepted, acceptance_expired, resolved, reopened, updated
	FromState string    `json:"fromState,omitempty"`
	ToState   string    `json:"toState,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}
