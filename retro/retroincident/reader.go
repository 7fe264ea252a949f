// Package retroincident lets retrospectives read incidents: it adapts the
// incident service to retro.IncidentReader. It lives apart from both so
// that neither capability imports the other (incident reaches notify, and
// whatever announces retrospectives may need retro).
package retroincident

import (
	"context"
	"slices"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
)

// Reader reads incidents for retrospectives through the incident service,
// so that its visibility rules (restricted incidents, team scopes) apply
// to retrospectives too.
type Reader struct {
	Incidents *incident.Service
}

// New returns a Reader over the incident service.
func New(s *incident.Service) *Reader { return &Reader{Incidents: s} }

var _ retro.IncidentReader = (*Reader)(nil)

// Incident implements retro.IncidentReader.
func (r *Reader) Incident(ctx context.Context, id string) (retro.IncidentSummary, error) {
	inc, err := r.Incidents.Get(ctx, id)
	if err != nil {
		return retro.IncidentSummary{}, err
	}
	tl, err := r.Incidents.Timeline(ctx, id, 0)
	if err != nil {
		return retro.IncidentSummary{}, err
	}
	s := Summary(inc)
	for _, e := range tl {
		s.Timeline = append(s.Timeline, retro.TimelineEntry{At: e.At, Kind: e.Kind, Actor: e.Actor, Text: e.Text})
	}
	return s, nil
}

// Visible implements retro.IncidentReader.
func (r *Reader) Visible(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		_, err := r.Incidents.Get(ctx, id)
		switch palisade.ErrorCode(err) {
		case "":
			out[id] = true
		case palisade.ENOTFOUND:
			out[id] = false
		default:
			return nil, err
		}
	}
	return out, nil
}

// Recent implements retro.IncidentReader.
func (r *Reader) Recent(ctx context.Context, limit int) ([]retro.IncidentSummary, error) {
	list, _, err := r.Incidents.List(ctx, incident.Filter{Limit: min(limit, incident.MaxPage)})
	if err != nil {
		return nil, err
	}
	out := make([]retro.IncidentSummary, 0, len(list))
	for i := range list {
		if list[i].Status == incident.StatusMerged || list[i].Status == incident.StatusDeclined {
			continue // not incidents of their own
		}
		out = append(out, Summary(&list[i]))
	}
	return out, nil
}

// Summary returns what a retrospective needs to know of inc, without its
// timeline. The incident's open time stands in for its detection: alerts
// open incidents as soon as they fire.
func Summary(inc *incident.Incident) retro.IncidentSummary {
	opened := inc.OpenedAt
	return retro.IncidentSummary{
		ID: inc.ID, Title: inc.Title, Severity: inc.Severity, Kind: inc.Kind, Services: slices.Clone(inc.Services), Restricted: inc.Restricted,
		ImpactStartedAt: inc.ImpactStartedAt, OpenedAt: &opened, AcknowledgedAt: inc.AcknowledgedAt,
		MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt,
	}
}
