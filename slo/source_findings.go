package slo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/palisade-project/palisade/vuln"
)

// Findings gives the findings-based sources their data: the CVE process.
type Findings interface {
	ServiceFindings(ctx context.Context, service string) ([]vuln.Finding, error)
	InventoryTime(ctx context.Context, service string) (time.Time, error)
}

// RemediationSource measures remediation within deadline as occurrences:
// every finding of the chosen severities makes one event — good when it
// was resolved (or decided not affected, false positive, or risk-accepted)
// by its due date, at that time; bad at its due date when it was not.
// Findings neither decided nor due yet make no event.
type RemediationSource struct{ Findings Findings }

// decidedAt is when a finding stopped needing work, or nil.
func decidedAt(f *vuln.Finding) *time.Time {
	switch f.State {
	case vuln.StateResolved:
		return f.ResolvedAt
	case vuln.StateNotAffected, vuln.StateFalsePositive:
		t := f.UpdatedAt
		return &t
	}
	if a := f.Acceptance; a != nil {
		t := a.AcceptedAt
		return &t
	}
	return nil
}

// Measure implements Source.
func (r RemediationSource) Measure(ctx context.Context, s *SLO, now time.Time) (*Measurement, error) {
	if s.Budgeting != Occurrences {
		return nil, fmt.Errorf("remediation within deadline is counted as occurrences; set budgeting: occurrences")
	}
	fs, err := r.Findings.ServiceFindings(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	type event struct {
		at   time.Time
		good bool
	}
	var events []event
	for i := range fs {
		f := &fs[i]
		if !slices.Contains(s.Indicator.Severities, f.Severity) {
			continue
		}
		d := decidedAt(f)
		switch {
		case d != nil && !d.After(f.DueAt):
			events = append(events, event{*d, true})
		case !f.DueAt.After(now):
			events = append(events, event{f.DueAt, false})
		}
	}
	m := &Measurement{Windows: map[time.Duration]Counts{}}
	count := func(from time.Time) Counts {
		var c Counts
		for _, e := range events {
			if !e.at.Before(from) && !e.at.After(now) {
				c.Total++
				if e.good {
					c.Good++
				}
			}
		}
		return c
	}
	m.Period = count(s.Window.Start(now))
	for _, w := range BurnWindows() {
		m.Windows[w] = count(now.Add(-w))
	}
	return m, nil
}

// ExposureSource measures exposure-free time as timeslices: a slice is bad
// when the service had, at any moment of it, an open finding of the chosen
// severities past its due date. Before the service's first inventory there
// is no data.
type ExposureSource struct{ Findings Findings }

// Measure implements Source.
func (x ExposureSource) Measure(ctx context.Context, s *SLO, now time.Time) (*Measurement, error) {
	since, err := x.Findings.InventoryTime(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	if since.IsZero() {
		return nil, fmt.Errorf("service %s has no inventory: exposure is unknown (record one with palisade scan --service)", s.Service)
	}
	fs, err := x.Findings.ServiceFindings(ctx, s.Service)
	if err != nil {
		return nil, err
	}
	// Overdue intervals: from the due date until the finding was decided
	// (or now).
	var bad []interval
	first := since
	for i := range fs {
		f := &fs[i]
		if f.DetectedAt.Before(first) {
			first = f.DetectedAt
		}
		if !slices.Contains(s.Indicator.Severities, f.Severity) || f.DueAt.After(now) {
			continue
		}
		end := now
		if d := decidedAt(f); d != nil {
			end = *d
		}
		if end.After(f.DueAt) {
			bad = append(bad, interval{f.DueAt, end})
		}
	}
	return sliceMeasure(s, now, first, func(from, to time.Time) (known, good bool) {
		for _, b := range bad {
			if b.from.Before(to) && b.to.After(from) {
				return true, false
			}
		}
		return true, true
	}), nil
}

type interval struct{ from, to time.Time }

// sliceMeasure counts timeslices of s.Slice over the window and each burn
// window; slices before dataFrom have no data, and judge says whether a
// slice has data and whether it is good.
func sliceMeasure(s *SLO, now, dataFrom time.Time, judge func(from, to time.Time) (known, good bool)) *Measurement {
	width := time.Duration(s.Slice)
	if width <= 0 {
		width = time.Duration(DefaultSlice)
	}
	start := s.Window.Start(now)
	longest := BurnWindows()[len(BurnWindows())-1]
	if w := now.Add(-longest); w.Before(start) {
		start = w
	}
	// Slices end at now, aligned to the slice width.
	end := now.Truncate(width)
	m := &Measurement{Windows: map[time.Duration]Counts{}}
	periodStart := s.Window.Start(now)
	for t := end.Add(-width); !t.Before(start.Truncate(width)); t = t.Add(-width) {
		if t.Add(width).Before(dataFrom) || t.Add(width).Equal(dataFrom) {
			break
		}
		known, good := judge(t, t.Add(width))
		if !known {
			continue
		}
		c := Counts{Total: 1}
		if good {
			c.Good = 1
		}
		if !t.Before(periodStart) {
			m.Period = m.Period.Add(c)
		}
		for _, w := range BurnWindows() {
			if !t.Before(now.Add(-w)) {
				m.Windows[w] = m.Windows[w].Add(c)
			}
		}
	}
	return m
}
