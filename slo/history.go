package slo

import (
	"context"
	"time"

	"github.com/palisade-project/palisade"
)

// MaxHistoryPoints bounds History.
const MaxHistoryPoints = 200

// History evaluates an SLO at points instants evenly spaced from the start
// of its window to now, oldest first: the budget burn-down. Each point is a
// full evaluation as it would have been at that instant (a rolling window
// ending there). Requires viewer.
func (s *Service) History(ctx context.Context, name string, points int) ([]Status, error) {
	v, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	if points < 2 {
		points = 2
	}
	if points > MaxHistoryPoints {
		points = MaxHistoryPoints
	}
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if err := s.engine.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	start := v.SLO.Window.Start(now)
	step := now.Sub(start) / time.Duration(points-1)
	out := make([]Status, 0, points)
	for i := range points {
		at := start.Add(time.Duration(i) * step)
		if i == points-1 {
			at = now
		}
		out = append(out, s.engine.evaluate(ctx, v.SLO, at))
	}
	return out, nil
}
