package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/incident"
)

// Incidents lists incidents (GET /api/v1/incidents).
func (c *Client) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "severity": f.Severity, "kind": f.Kind, "service": f.Service,
		"team": f.Team, "q": f.Query, "cursor": f.Before} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out httpapi.ListResponse[incident.Incident]
	if err := c.getJSON(ctx, "/api/v1/incidents", q, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.Next, nil
}

// Incident returns an incident with its timeline and alerts.
func (c *Client) Incident(ctx context.Context, id string) (*httpapi.IncidentDetail, error) {
	var out httpapi.IncidentDetail
	return &out, c.getJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id), nil, &out)
}

// OpenIncident declares an incident.
func (c *Client) OpenIncident(ctx context.Context, req incident.OpenRequest) (*incident.Incident, error) {
	var out incident.Incident
	return &out, c.postJSON(ctx, "/api/v1/incidents", req, &out)
}

// UpdateIncident changes an incident.
func (c *Client) UpdateIncident(ctx context.Context, id string, p incident.Patch) (*incident.Incident, error) {
	var out incident.Incident
	return &out, c.sendJSON(ctx, http.MethodPatch, "/api/v1/incidents/"+url.PathEscape(id), p, &out)
}

// Note adds a note to an incident's timeline.
func (c *Client) Note(ctx context.Context, id, text string) (*incident.Entry, error) {
	var out incident.Entry
	return &out, c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id)+"/notes", map[string]string{"text": text}, &out)
}

// MergeIncident merges an incident into another.
func (c *Client) MergeIncident(ctx context.Context, id, into string) (*incident.Incident, error) {
	var out incident.Incident
	return &out, c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(id)+"/merge", map[string]string{"into": into}, &out)
}

// IncidentMetrics returns the incident metrics between from and to.
func (c *Client) IncidentMetrics(ctx context.Context, from, to time.Time) (*incident.Metrics, error) {
	q := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	var out incident.Metrics
	return &out, c.getJSON(ctx, "/api/v1/incidents/metrics", q, &out)
}
