package slo

import (
	"context"
	"fmt"
	"time"
)

// ControlStaleness is how long a control check's last result holds: a
// check not reported for longer has no data, never counted as passing.
const ControlStaleness = 24 * time.Hour

// ControlsSource measures pushed control checks (MFA enforced, TLS valid,
// audit logging on, ...) as timeslices: a slice is good when the check's
// state during it was passing, bad when it failed at any moment of it.
type ControlsSource struct{ Store Store }

// Measure implements Source.
func (c ControlsSource) Measure(ctx context.Context, s *SLO, now time.Time) (*Measurement, error) {
	from := s.Window.Start(now)
	if w := now.Add(-BurnWindows()[len(BurnWindows())-1]); w.Before(from) {
		from = w
	}
	h, err := c.Store.ControlHistory(ctx, s.Service, s.Indicator.Check, from)
	if err != nil {
		return nil, err
	}
	if h.Before == nil && len(h.Transitions) == 0 {
		return nil, fmt.Errorf("no %q check results for service %s yet (push them to POST /api/v1/services/%s/checks)", s.Indicator.Check, s.Service, s.Service)
	}
	staleAfter := h.LastSeen.Add(ControlStaleness)
	dataFrom := from
	if h.Before == nil {
		dataFrom = h.Transitions[0].At
	}
	return sliceMeasure(s, now, dataFrom, func(a, b time.Time) (bool, bool) {
		if !a.Before(staleAfter) {
			return false, false
		}
		state := h.Before
		good := true
		known := state != nil
		if known && !*state {
			good = false
		}
		for _, t := range h.Transitions {
			if !t.At.Before(b) {
				break
			}
			if t.At.After(a) {
				// A change inside the slice: a failure at any moment
				// makes the slice bad.
				known = true
				if !t.OK {
					good = false
				}
			} else {
				ok := t.OK
				state = &ok
				known = true
				good = ok
			}
		}
		return known, good
	}), nil
}
