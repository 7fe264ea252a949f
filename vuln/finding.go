// Package vuln is the CVE process: each service's inventory matched against
// OSV advisories, every finding tracked from detection to a decision, with
// remediation deadlines, risk acceptances that expire, VEX in and out, the
// CVE metrics and their trends, and audit reports.
//
// The readers of outside data live in sub-packages: vuln/osv (advisories and
// exact matching), vuln/sbom (inventories), vuln/vex (VEX documents) and
// vuln/enrich (CVSS, CISA KEV, EPSS). This package holds the decisions.
package vuln

import (
	"fmt"
	"slices"
	"time"

	"github.com/palisade-project/palisade"
)

// States of a finding, as in CycloneDX VEX analysis and Dependency-Track.
const (
	StateInTriage      = "in_triage"      // detected, nobody has decided yet
	StateExploitable   = "exploitable"    // confirmed to affect the service
	StateNotAffected   = "not_affected"   // present but not exploitable here (needs a justification)
	StateFalsePositive = "false_positive" // the match is wrong
	StateResolved      = "resolved"       // fixed, or gone with its component or advisory
)

// States lists every state.
var States = []string{StateInTriage, StateExploitable, StateNotAffected, StateFalsePositive, StateResolved}

// Justifications for not_affected, CycloneDX's vocabulary.
var Justifications = []string{
	"code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency",
	"requires_environment", "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter",
	"protected_by_mitigating_control",
}

// Resolutions say why a finding is resolved.
const (
	ResolutionFixed           = "fixed"             // the inventory no longer holds the vulnerable version
	ResolutionWithdrawn       = "withdrawn"         // the advisory was withdrawn
	ResolutionNoLongerMatches = "no_longer_matches" // the advisory changed and no longer covers the version
	ResolutionManual          = "manual"            // someone marked it resolved
)

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low", "unknown"}

// SeverityRank orders severities: 0 for critical, 4 for unknown and
// anything unrecognised.
func SeverityRank(s string) int {
	if i := slices.Index(Severities, s); i >= 0 {
		return i
	}
	return len(Severities) - 1
}

// Finding is one advisory affecting one component of one service.
type Finding struct {
	ID        string   `json:"id"`
	Service   string   `json:"service"`
	Purl      string   `json:"purl"`
	Package   string   `json:"package"`
	Ecosystem string   `json:"ecosystem"`
	Version   string   `json:"version"`
	Advisory  string   `json:"advisory"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary,omitempty"`

	Severity string   `json:"severity"`
	CVSS     *float64 `json:"cvss,omitempty"`
	KEV      bool     `json:"kev"`
	// KEVDue is CISA's due date when the advisory is KEV-listed.
	KEVDue *time.Time `json:"kevDue,omitempty"`
	EPSS   *float64   `json:"epss,omitempty"`
	Fixed  []string   `json:"fixed"`

	State         string `json:"state"`
	Justification string `json:"justification,omitempty"`
	Detail        string `json:"detail,omitempty"`
	Resolution    string `json:"resolution,omitempty"`

	Acceptance *Acceptance `json:"acceptance,omitempty"`

	// Published is the advisory's publication time, for time to detect.
	Published  *time.Time `json:"published,omitempty"`
	DetectedAt time.Time  `json:"detectedAt"`
	TriagedAt  *time.Time `json:"triagedAt,omitempty"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
	DueAt      time.Time  `json:"dueAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

// Acceptance is a decision to live with a finding until a date.
type Acceptance struct {
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	ApprovedBy  string    `json:"approvedBy"`
	AcceptedAt  time.Time `json:"acceptedAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
	// ExpiredAt is set when the acceptance ran out and the finding
	// reopened.
	ExpiredAt *time.Time `json:"expiredAt,omitempty"`
}

// Active reports whether the acceptance holds at now.
func (a *Acceptance) Active(now time.Time) bool {
	return a != nil && a.ExpiredAt == nil && now.Before(a.ExpiresAt)
}

// Open reports whether the finding still needs work at now: not resolved,
// not decided harmless, and not under an active risk acceptance.
func (f *Finding) Open(now time.Time) bool {
	switch f.State {
	case StateInTriage, StateExploitable:
		return !f.Acceptance.Active(now)
	}
	return false
}

// Overdue reports whether the finding is open past its deadline at now.
func (f *Finding) Overdue(now time.Time) bool { return f.Open(now) && now.After(f.DueAt) }

// FindingID is the stable id of (service, purl, advisory): the same
// finding keeps its id (and its history) when it is fixed and comes back.
func FindingID(service, purl, advisory string) string {
	return "F" + shortHash(service, purl, advisory)
}

// Triage is a decision about one finding.
type Triage struct {
	State         string `json:"state"`
	Justification string `json:"justification,omitempty"`
	Detail        string `json:"detail,omitempty"`
	// Reason says why; it is kept in the finding's history and the audit
	// log.
	Reason string `json:"reason"`
}

// Validate checks the decision on its own.
func (t *Triage) Validate() error {
	if !slices.Contains(States, t.State) {
		return palisade.FieldErrorf(palisade.EINVALID, "state", "unknown state %q: use one of %v", t.State, States)
	}
	if t.State == StateNotAffected && !slices.Contains(Justifications, t.Justification) {
		if t.Justification == "" {
			return palisade.FieldErrorf(palisade.EINVALID, "justification", "not_affected needs a justification: one of %v", Justifications)
		}
		return palisade.FieldErrorf(palisade.EINVALID, "justification", "unknown justification %q: use one of %v", t.Justification, Justifications)
	}
	if t.State != StateNotAffected && t.Justification != "" {
		return palisade.FieldErrorf(palisade.EINVALID, "justification", "a justification goes only with not_affected")
	}
	if t.Reason == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "reason", "say why (reason): it is kept in the finding's history and the audit log")
	}
	if len(t.Reason) > 4096 || len(t.Detail) > 4096 {
		return palisade.Errorf(palisade.EINVALID, "reason and detail are limited to 4096 characters")
	}
	return nil
}

// Apply applies the decision to f at now; the caller records the event.
func (t *Triage) Apply(f *Finding, now time.Time) {
	f.State, f.Justification, f.Detail = t.State, t.Justification, t.Detail
	if f.TriagedAt == nil {
		n := now
		f.TriagedAt = &n
	}
	if t.State == StateResolved {
		if f.ResolvedAt == nil {
			n := now
			f.ResolvedAt = &n
		}
		f.Resolution = ResolutionManual
	} else {
		f.ResolvedAt, f.Resolution = nil, ""
	}
	f.UpdatedAt = now
}

// AcceptRequest accepts the risk of a finding until a date. The approver is
// whoever makes the request (authenticated); RequestedBy names who asked.
type AcceptRequest struct {
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// MaxAcceptance is the longest a risk acceptance may last.
const MaxAcceptance = 366 * 24 * time.Hour

// Validate checks the request against now and the policy.
func (r *AcceptRequest) Validate(now time.Time, approver string, p *Policy) error {
	switch {
	case r.Reason == "":
		return palisade.FieldErrorf(palisade.EINVALID, "reason", "a risk acceptance needs a reason")
	case len(r.Reason) > 4096:
		return palisade.FieldErrorf(palisade.EINVALID, "reason", "reason is limited to 4096 characters")
	case r.RequestedBy == "":
		return palisade.FieldErrorf(palisade.EINVALID, "requestedBy", "name who asks for the acceptance (requestedBy)")
	case !r.ExpiresAt.After(now):
		return palisade.FieldErrorf(palisade.EINVALID, "expiresAt", "the acceptance must expire in the future")
	case r.ExpiresAt.Sub(now) > MaxAcceptance:
		return palisade.FieldErrorf(palisade.EINVALID, "expiresAt", "a risk acceptance lasts at most %d days; accept again when it expires", int(MaxAcceptance/(24*time.Hour)))
	case p.RequireDistinctApprover && r.RequestedBy == approver:
		return palisade.FieldErrorf(palisade.EFORBIDDEN, "requestedBy", "the policy requires the approver to differ from the requester (%s)", approver)
	}
	return nil
}

func (r *AcceptRequest) String() string {
	return fmt.Sprintf("accepted until %s: %s", r.ExpiresAt.Format(time.DateOnly), r.Reason)
}
