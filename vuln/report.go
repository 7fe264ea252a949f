package vuln

import (
	"context"
	"sort"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
)

// Dispositions in an audit report: what became of a finding by the end of
// the period.
const (
	DispositionResolved      = "resolved"       // fixed, or gone with its advisory
	DispositionMitigated     = "not_affected"   // present but not exploitable, with a justification
	DispositionFalsePositive = "false_positive" // the match was wrong
	DispositionAccepted      = "accepted"       // risk consciously accepted until a date
	DispositionOpen          = "open"           // still in triage or exploitable
)

// Deadline outcomes in an audit report.
const (
	DeadlineHeld    = "held"    // decided or resolved by the due date
	DeadlineMissed  = "missed"  // decided after the due date, or still open past it
	DeadlinePending = "pending" // still open, not yet due
	DeadlineNA      = "n/a"     // risk accepted: no deadline applies while it lasts
)

// Report is the audit report of a period: for every advisory that touched
// the scope, what became of each finding, with the dates and whether the
// deadline held.
type Report struct {
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Service     string           `json:"service,omitempty"`
	GeneratedAt time.Time        `json:"generatedAt"`
	GeneratedBy string           `json:"generatedBy"`
	AuditHead   auditlog.Head    `json:"auditHead"`
	Summary     ReportSummary    `json:"summary"`
	Advisories  []ReportAdvisory `json:"advisories"`
}

// ReportSummary counts the report's findings.
type ReportSummary struct {
	Advisories     int            `json:"advisories"`
	Findings       int            `json:"findings"`
	ByDisposition  map[string]int `json:"byDisposition"`
	BySeverity     map[string]int `json:"bySeverity"`
	DeadlineHeld   int            `json:"deadlineHeld"`
	DeadlineMissed int            `json:"deadlineMissed"`
	// DeadlineShare is held / (held + missed); 1 when nothing was due.
	DeadlineShare float64 `json:"deadlineShare"`
}

// ReportAdvisory is one advisory with its findings in the scope.
type ReportAdvisory struct {
	ID       string       `json:"id"`
	Aliases  []string     `json:"aliases"`
	Summary  string       `json:"summary,omitempty"`
	Severity string       `json:"severity"`
	KEV      bool         `json:"kev"`
	Findings []ReportLine `json:"findings"`
}

// ReportLine is one finding's disposition.
type ReportLine struct {
	Finding       string      `json:"finding"`
	Service       string      `json:"service"`
	Purl          string      `json:"purl"`
	Disposition   string      `json:"disposition"`
	Resolution    string      `json:"resolution,omitempty"`
	Justification string      `json:"justification,omitempty"`
	Detail        string      `json:"detail,omitempty"`
	Acceptance    *Acceptance `json:"acceptance,omitempty"`
	DetectedAt    time.Time   `json:"detectedAt"`
	DecidedAt     *time.Time  `json:"decidedAt,omitempty"`
	DueAt         time.Time   `json:"dueAt"`
	Deadline      string      `json:"deadline"`
}

// MaxReportPeriod bounds a report's period.
const MaxReportPeriod = 3 * 366 * 24 * time.Hour

// Report builds the audit report of [from, to] for one service or all.
// Requires viewer. head reads the audit chain's head, which the report
// names so that a reader can verify the log it came from.
func (s *Service) Report(ctx context.Context, from, to time.Time, service string, head func(context.Context) (auditlog.Head, error)) (*Report, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	switch {
	case from.IsZero() || to.IsZero():
		return nil, palisade.Errorf(palisade.EINVALID, "give the period: from and to")
	case !to.After(from):
		return nil, palisade.FieldErrorf(palisade.EINVALID, "to", "to must be after from")
	case to.Sub(from) > MaxReportPeriod:
		return nil, palisade.FieldErrorf(palisade.EINVALID, "from", "a report covers at most three years")
	}
	if service != "" {
		if _, err := s.catalog.Service(ctx, service); err != nil {
			return nil, err
		}
	}
	h, err := head(ctx)
	if err != nil {
		return nil, err
	}
	actor, _ := palisade.ActorFrom(ctx)
	r := &Report{From: from.UTC(), To: to.UTC(), Service: service, GeneratedAt: s.clock(), GeneratedBy: actor.String(), AuditHead: h,
		Summary: ReportSummary{ByDisposition: map[string]int{}, BySeverity: map[string]int{}}, Advisories: []ReportAdvisory{}}
	flt := FindingFilter{Service: service, Now: r.GeneratedAt}
	if err := s.restrict(ctx, &flt); err != nil {
		return nil, err
	}
	all, err := s.store.Findings(ctx, flt)
	if err != nil {
		return nil, err
	}
	byAdv := map[string]*ReportAdvisory{}
	for i := range all {
		f := &all[i]
		if f.DetectedAt.After(to) || (f.ResolvedAt != nil && f.ResolvedAt.Before(from)) {
			continue
		}
		_, events, err := s.store.Finding(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		line := dispositionAt(f, events, to)
		a, ok := byAdv[f.Advisory]
		if !ok {
			a = &ReportAdvisory{ID: f.Advisory, Aliases: f.Aliases, Summary: f.Summary, Severity: f.Severity, KEV: f.KEV}
			byAdv[f.Advisory] = a
		}
		a.Findings = append(a.Findings, line)
		r.Summary.Findings++
		r.Summary.ByDisposition[line.Disposition]++
		r.Summary.BySeverity[sevKey(f.Severity)]++
		switch line.Deadline {
		case DeadlineHeld:
			r.Summary.DeadlineHeld++
		case DeadlineMissed:
			r.Summary.DeadlineMissed++
		}
	}
	for _, a := range byAdv {
		sort.Slice(a.Findings, func(i, j int) bool {
			if a.Findings[i].Service != a.Findings[j].Service {
				return a.Findings[i].Service < a.Findings[j].Service
			}
			return a.Findings[i].Purl < a.Findings[j].Purl
		})
		r.Advisories = append(r.Advisories, *a)
	}
	sort.Slice(r.Advisories, func(i, j int) bool {
		ri, rj := SeverityRank(r.Advisories[i].Severity), SeverityRank(r.Advisories[j].Severity)
		if ri != rj {
			return ri < rj
		}
		return r.Advisories[i].ID < r.Advisories[j].ID
	})
	r.Summary.Advisories = len(r.Advisories)
	r.Summary.DeadlineShare = 1
	if n := r.Summary.DeadlineHeld + r.Summary.DeadlineMissed; n > 0 {
		r.Summary.DeadlineShare = float64(r.Summary.DeadlineHeld) / float64(n)
	}
	return r, nil
}

// dispositionAt reconstructs a finding's disposition at the end of the
// period from its history: the state after the last event at or before
// to, and whether a risk acceptance was in force then.
func dispositionAt(f *Finding, events []Event, to time.Time) ReportLine {
	line := ReportLine{Finding: f.ID, Service: f.Service, Purl: f.Purl, DetectedAt: f.DetectedAt, DueAt: f.DueAt}
	state := StateInTriage
	var decided *time.Time
	accepted := false
	for _, e := range events {
		if e.At.After(to) {
			break
		}
		if e.ToState != "" {
			if e.ToState != state && e.ToState != StateInTriage && e.ToState != StateExploitable {
				at := e.At
				decided = &at
			}
			state = e.ToState
		}
		switch e.Action {
		case "accepted":
			accepted = true
		case "acceptance_expired", "reopened":
			accepted = false
		}
	}
	// Fields reflect the finding now; they are shown only when its state
	// at the end of the period is the same decision.
	sameDecision := state == f.State
	switch {
	case state == StateResolved:
		line.Disposition = DispositionResolved
		if sameDecision {
			line.Resolution = f.Resolution
		}
	case state == StateNotAffected:
		line.Disposition = DispositionMitigated
		if sameDecision {
			line.Justification, line.Detail = f.Justification, f.Detail
		}
	case state == StateFalsePositive:
		line.Disposition = DispositionFalsePositive
		if sameDecision {
			line.Detail = f.Detail
		}
	case accepted:
		line.Disposition = DispositionAccepted
		line.Acceptance = f.Acceptance
	default:
		line.Disposition = DispositionOpen
	}
	line.DecidedAt = decided
	switch {
	case line.Disposition == DispositionAccepted:
		line.Deadline = DeadlineNA
		if f.Acceptance != nil && f.Acceptance.AcceptedAt.After(f.DueAt) {
			line.Deadline = DeadlineMissed // accepted only after the deadline had passed
		}
	case line.Disposition == DispositionOpen && to.After(f.DueAt):
		line.Deadline = DeadlineMissed
	case line.Disposition == DispositionOpen:
		line.Deadline = DeadlinePending
	case decided != nil && !decided.After(f.DueAt):
		line.Deadline = DeadlineHeld
	default:
		line.Deadline = DeadlineMissed
	}
	return line
}
