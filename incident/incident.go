// Package incident is incident response: alerts from Palisade and from
// outside (Alertmanager, PagerDuty-style senders, signed webhooks) are
// deduplicated and routed into incidents with a severity, roles and a
// timeline; incidents move through triage, active, mitigated, resolved and
// closed; their times give MTTD, MTTA, MTTM and MTTR. Retrospectives and
// notifications live in packages retro and notify.
package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Kinds of incident.
const (
	KindSecurity    = "security"
	KindReliability = "reliability"
)

// Statuses, in the order an incident normally moves through them.
const (
	StatusTriage    = "triage"
	StatusActive    = "active"
	StatusMitigated = "mitigated"
	StatusResolved  = "resolved"
	StatusClosed    = "closed"
	StatusDeclined  = "declined" // not an incident after all
	StatusMerged    = "merged"   // folded into another incident
)

// Statuses lists every status.
var Statuses = []string{StatusTriage, StatusActive, StatusMitigated, StatusResolved, StatusClosed, StatusDeclined, StatusMerged}

// Roles an incident can assign.
var Roles = []string{"commander", "deputy", "scribe", "communications"}

// Severity is one level of the severity scale, configurable in
// palisade.yaml.
type Severity struct {
	Name        string `json:"name"` // SEV1 … SEV4
	Title       string `json:"title"`
	Description string `json:"description"`
}

// DefaultSeverities are SEV1 (most severe) to SEV4.
func DefaultSeverities() []Severity {
	return []Severity{
		{"SEV1", "Critical", "Customer data exposed or actively exploited, or a tier-1 service down for everyone. All hands."},
		{"SEV2", "Major", "A security control failed or a tier-1 service is degraded for many. Page the owner now."},
		{"SEV3", "Minor", "Limited impact or a likely threat without exploitation. Handle in working hours."},
		{"SEV4", "Low", "No user impact; a near miss worth recording."},
	}
}

// Incident is one incident.
type Incident struct {
	ID       string `json:"id"` // INC-1, INC-2, ...
	Title    string `json:"title"`
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Summary  string `json:"summary,omitempty"`
	// Team owns the response; Services are affected.
	Team     string   `json:"team,omitempty"`
	Services []string `json:"services"`
	// Restricted security incidents are visible to their participants
	// and admins only.
	Restricted   bool              `json:"restricted"`
	Roles        map[string]string `json:"roles"`
	Participants []string          `json:"participants"`
	Links        []Link            `json:"links"`
	MergedInto   string            `json:"mergedInto,omitempty"`
	// Notify names the notifiers told of changes (from the routing rule
	// that opened the incident, or set by hand).
	Notify []string `json:"notify"`
	// ImpactStartedAt is when the problem began (the first alert's start);
	// OpenedAt when Palisade knew (the incident opened).
	ImpactStartedAt *time.Time `json:"impactStartedAt,omitempty"`
	OpenedAt        time.Time  `json:"openedAt"`
	AcknowledgedAt  *time.Time `json:"acknowledgedAt,omitempty"`
	MitigatedAt     *time.Time `json:"mitigatedAt,omitempty"`
	ResolvedAt      *time.Time `json:"resolvedAt,omitempty"`
	ClosedAt        *time.Time `json:"closedAt,omitempty"`
	UpdatedAt       time.Time  `json:"updatedAt"`
	// Alerts counts the alerts attached.
	Alerts int `json:"alerts"`
}

// Link ties an incident to something: a service, a finding, an SLO, a
// vendor, a URL.
type Link struct {
	Kind string `json:"kind"` // service, finding, slo, vendor, url, incident
	Ref  string `json:"ref"`
}

// LinkKinds lists the kinds of Link.
var LinkKinds = []string{"service", "finding", "slo", "vendor", "url", "incident"}

// Entry is one line of an incident's timeline.
type Entry struct {
	ID    int64     `json:"id"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // alert, status, severity, role, note, link, participant, merge, notification
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// Open reports whether the incident still needs work.
func (i *Incident) Open() bool {
	switch i.Status {
	case StatusTriage, StatusActive, StatusMitigated:
		return true
	}
	return false
}

// CanSee reports whether actor may see the incident.
func (i *Incident) CanSee(a palisade.Actor) bool {
	if !i.Restricted || a.Role.AtLeast(palisade.RoleAdmin) || a.Kind == "system" || a.Kind == "cli" {
		return true
	}
	name := a.Name
	return slices.Contains(i.Participants, name) || slices.ContainsFunc(mapValues(i.Roles), func(v string) bool { return v == name })
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// transitions lists the allowed moves; anything else is refused with the
// reason in refusals.
var transitions = map[string][]string{
	StatusTriage:    {StatusActive, StatusMitigated, StatusResolved, StatusDeclined, StatusMerged},
	StatusActive:    {StatusMitigated, StatusResolved, StatusMerged},
	StatusMitigated: {StatusActive, StatusResolved, StatusMerged},
	StatusResolved:  {StatusClosed, StatusActive},
	StatusClosed:    {},
	StatusDeclined:  {StatusTriage},
	StatusMerged:    {},
}

// refusal explains why a move is not allowed.
func refusal(from, to string) string {
	switch {
	case from == StatusMerged:
		return "a merged incident cannot be reopened or changed: work on the incident it was merged into"
	case from == StatusClosed:
		return "a closed incident is final; open a new incident and link this one"
	case to == StatusClosed && (from == StatusTriage || from == StatusActive || from == StatusMitigated):
		return "an incident is closed only after it is resolved: resolve it first (or decline it if it was not an incident)"
	case to == StatusDeclined:
		return "only an incident still in triage can be declined"
	case from == to:
		return "the incident is already " + from
	}
	return fmt.Sprintf("an incident cannot move from %s to %s", from, to)
}

// Transition moves the incident to status at now and stamps the time;
// nonsense moves are refused with the reason (ECONFLICT).
func (i *Incident) Transition(to string, now time.Time) error {
	if !slices.Contains(Statuses, to) {
		return palisade.FieldErrorf(palisade.EINVALID, "status", "unknown status %q: use %s", to, strings.Join(Statuses, ", "))
	}
	if !slices.Contains(transitions[i.Status], to) {
		return palisade.FieldErrorf(palisade.ECONFLICT, "status", "%s", refusal(i.Status, to))
	}
	n := now
	switch to {
	case StatusActive:
		if i.AcknowledgedAt == nil {
			i.AcknowledgedAt = &n
		}
		if i.Status == StatusResolved {
			i.ResolvedAt = nil // reopened
		}
	case StatusMitigated:
		if i.AcknowledgedAt == nil {
			i.AcknowledgedAt = &n
		}
		i.MitigatedAt = &n
	case StatusResolved:
		if i.AcknowledgedAt == nil {
			i.AcknowledgedAt = &n
		}
		if i.MitigatedAt == nil {
			i.MitigatedAt = &n
		}
		i.ResolvedAt = &n
	case StatusClosed:
		i.ClosedAt = &n
	case StatusTriage:
		// Declined, then reconsidered.
	}
	i.Status = to
	i.UpdatedAt = now
	return nil
}

// Limits on incident fields. Documented in docs/incidents.md.
const (
	MaxTitle        = 200
	MaxText         = 16 << 10
	MaxParticipants = 200
	MaxLinks        = 200
	MaxName         = 256 // a role holder or participant
)

// Validate checks an incident's fields against sevs (the severity scale).
func (i *Incident) Validate(sevs []Severity) error {
	switch {
	case strings.TrimSpace(i.Title) == "":
		return palisade.FieldErrorf(palisade.EINVALID, "title", "title is required")
	case len(i.Title) > MaxTitle:
		return palisade.FieldErrorf(palisade.EINVALID, "title", "title is longer than %d characters", MaxTitle)
	case len(i.Summary) > MaxText:
		return palisade.FieldErrorf(palisade.EINVALID, "summary", "summary is longer than %d bytes", MaxText)
	case i.Kind != KindSecurity && i.Kind != KindReliability:
		return palisade.FieldErrorf(palisade.EINVALID, "kind", "kind %q: use security or reliability", i.Kind)
	case !slices.ContainsFunc(sevs, func(s Severity) bool { return s.Name == i.Severity }):
		return palisade.FieldErrorf(palisade.EINVALID, "severity", "unknown severity %q: use %s", i.Severity, sevNames(sevs))
	case len(i.Participants) > MaxParticipants:
		return palisade.FieldErrorf(palisade.EINVALID, "participants", "at most %d participants", MaxParticipants)
	case len(i.Links) > MaxLinks:
		return palisade.FieldErrorf(palisade.EINVALID, "links", "at most %d links", MaxLinks)
	case i.Restricted && i.Kind != KindSecurity:
		return palisade.FieldErrorf(palisade.EINVALID, "restricted", "only security incidents can be restricted")
	}
	for role, who := range i.Roles {
		if !slices.Contains(Roles, role) {
			return palisade.FieldErrorf(palisade.EINVALID, "roles", "unknown role %q: use %s", role, strings.Join(Roles, ", "))
		}
		if len(who) > MaxName {
			return palisade.FieldErrorf(palisade.EINVALID, "roles", "the %s's name is longer than %d characters", role, MaxName)
		}
	}
	for _, p := range i.Participants {
		if len(p) > MaxName {
			return palisade.FieldErrorf(palisade.EINVALID, "participants", "a participant's name is longer than %d characters", MaxName)
		}
	}
	for _, l := range i.Links {
		if !slices.Contains(LinkKinds, l.Kind) || l.Ref == "" || len(l.Ref) > 2048 {
			return palisade.FieldErrorf(palisade.EINVALID, "links", "link %s:%s: kind is one of %s and ref is 1-2048 characters", l.Kind, l.Ref, strings.Join(LinkKinds, ", "))
		}
		if l.Kind == "url" && !strings.HasPrefix(l.Ref, "https://") && !strings.HasPrefix(l.Ref, "http://") {
			return palisade.FieldErrorf(palisade.EINVALID, "links", "link %q is not an http(s) URL", l.Ref)
		}
	}
	return nil
}

func sevNames(sevs []Severity) string {
	var names []string
	for _, s := range sevs {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
