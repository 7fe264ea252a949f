package vuln

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Change is what reconciling does to one finding.
type Change struct {
	Op      string   // create, reopen, resolve, update
	Finding *Finding // the finding after the change
	// Before is the finding before the change (nil for a create).
	Before *Finding
	Event  Event
	// Quiet marks an update of advisory-derived data only (fixed versions,
	// EPSS, summary): the row changes, but it makes no history event or
	// audit entry of its own — the advisory import that caused it is
	// audited. Severity, KEV and deadline changes are never quiet.
	Quiet bool
}

// Change operations.
const (
	OpCreate  = "create"
	OpReopen  = "reopen"
	OpResolve = "resolve"
	OpUpdate  = "update"
)

// Reconcile compares the findings matching says should exist (matches)
// with the findings in scope (existing: every finding the matches could
// have produced, open or not) and returns the changes:
//
//   - a match without a finding creates one, detected now;
//   - a match whose finding was resolved automatically (fixed, withdrawn,
//     no longer matching) reopens it, keeping its id and history; a manual
//     decision (resolved by hand, not affected, false positive) stands;
//   - an unresolved finding without a match is resolved with gone's reason
//     for its advisory (fixed when the inventory changed, withdrawn or
//     no_longer_matches when the advisory did);
//   - a finding whose advisory data changed (severity, KEV, EPSS, fixed
//     versions) is updated, and its deadline recomputed.
//
// tier gives each service's tier for the deadlines. Changes come sorted by
// finding id.
func Reconcile(matches []Match, existing []Finding, gone func(f *Finding) string, now time.Time, p *Policy, tier func(service string) int) []Change {
	byID := make(map[string]*Finding, len(existing))
	for i := range existing {
		byID[existing[i].ID] = &existing[i]
	}
	var out []Change
	seen := map[string]bool{}
	for _, m := range matches {
		svc := m.Service
		id := FindingID(svc, m.Component.Purl, m.Advisory.ID)
		if seen[id] {
			continue
		}
		seen[id] = true
		want := findingFor(svc, m, now, p, tier(svc))
		f, ok := byID[id]
		switch {
		case !ok:
			out = append(out, Change{Op: OpCreate, Finding: want, Event: Event{At: now, Action: "detected", ToState: StateInTriage,
				Reason: "matched " + m.Component.Purl + " against " + m.Advisory.ID}})
		case f.State == StateResolved && autoResolved(f.Resolution):
			after := *f
			refresh(&after, want, p, tier(svc))
			after.State, after.Resolution, after.ResolvedAt = StateInTriage, "", nil
			after.UpdatedAt = now
			out = append(out, Change{Op: OpReopen, Finding: &after, Before: f, Event: Event{At: now, Action: "reopened",
				FromState: StateResolved, ToState: StateInTriage, Reason: m.Component.Purl + " matches " + m.Advisory.ID + " again"}})
		default:
			after := *f
			if refresh(&after, want, p, tier(svc)) {
				after.UpdatedAt = now
				loud := after.Severity != f.Severity || after.KEV != f.KEV || !after.DueAt.Equal(f.DueAt)
				out = append(out, Change{Op: OpUpdate, Finding: &after, Before: f, Quiet: !loud, Event: Event{At: now, Action: "updated",
					FromState: f.State, ToState: f.State, Reason: updateReason(f, &after)}})
			}
		}
	}
	for i := range existing {
		f := &existing[i]
		if seen[f.ID] || f.State == StateResolved {
			continue
		}
		after := *f
		reason := gone(f)
		after.State, after.Resolution = StateResolved, reason
		n := now
		after.ResolvedAt, after.UpdatedAt = &n, now
		out = append(out, Change{Op: OpResolve, Finding: &after, Before: f, Event: Event{At: now, Action: "resolved",
			FromState: f.State, ToState: StateResolved, Reason: reason}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Finding.ID < out[j].Finding.ID })
	return out
}

func autoResolved(r string) bool {
	return r == ResolutionFixed || r == ResolutionWithdrawn || r == ResolutionNoLongerMatches
}

// findingFor is the finding a match would create now.
func findingFor(service string, m Match, now time.Time, p *Policy, tier int) *Finding {
	a := m.Advisory
	f := &Finding{
		ID: FindingID(service, m.Component.Purl, a.ID), Service: service,
		Purl: m.Component.Purl, Ecosystem: m.Component.Ecosystem, Package: m.Component.Name, Version: m.Component.Version,
		Advisory: a.ID, Aliases: slices.Clone(a.Aliases), Summary: a.Summary,
		Severity: a.Severity, CVSS: a.CVSS, KEV: a.KEV, KEVDue: a.KEVDue, EPSS: a.EPSS, Fixed: slices.Clone(m.Fixed),
		State: StateInTriage, Published: a.Published, DetectedAt: now, UpdatedAt: now,
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	if f.Fixed == nil {
		f.Fixed = []string{}
	}
	f.DueAt = p.DueAt(now, f.Severity, tier, a.KEVDue)
	return f
}

// refresh copies advisory-derived data from want into f and recomputes
// the deadline from f's own detection time; it reports whether anything
// changed.
func refresh(f, want *Finding, p *Policy, tier int) bool {
	changed := f.Severity != want.Severity || !eqFloat(f.CVSS, want.CVSS) || f.KEV != want.KEV || !eqTime(f.KEVDue, want.KEVDue) ||
		!eqFloat(f.EPSS, want.EPSS) || !slices.Equal(f.Fixed, want.Fixed) || !slices.Equal(f.Aliases, want.Aliases) ||
		f.Summary != want.Summary || f.Version != want.Version
	f.Severity, f.CVSS, f.KEV, f.KEVDue, f.EPSS = want.Severity, want.CVSS, want.KEV, want.KEVDue, want.EPSS
	f.Fixed, f.Aliases, f.Summary, f.Version, f.Published = want.Fixed, want.Aliases, want.Summary, want.Version, want.Published
	return f.Redue(p, tier) || changed
}

// Redue recomputes the deadline from the detection time, the current
// severity, the tier and the KEV due date; it reports whether it moved.
func (f *Finding) Redue(p *Policy, tier int) bool {
	due := p.DueAt(f.DetectedAt, f.Severity, tier, f.KEVDue)
	if due.Equal(f.DueAt) {
		return false
	}
	f.DueAt = due
	return true
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func eqFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// updateReason says what re-matching changed in a finding.
func updateReason(before, after *Finding) string {
	var parts []string
	if before.Severity != after.Severity {
		parts = append(parts, "severity "+before.Severity+" → "+after.Severity)
	}
	if before.KEV != after.KEV {
		if after.KEV {
			parts = append(parts, "listed in CISA KEV")
		} else {
			parts = append(parts, "no longer in CISA KEV")
		}
	}
	if !before.DueAt.Equal(after.DueAt) {
		parts = append(parts, "due "+after.DueAt.Format(time.DateOnly)+" instead of "+before.DueAt.Format(time.DateOnly))
	}
	if len(parts) == 0 {
		return "advisory data changed"
	}
	return strings.Join(parts, "; ")
}
