package httpapi

import (
	"context"
	"net/http"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// ListResponse is the shape of every list: a page of items and the cursor
// of the next page ("" at the end).
type ListResponse[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// ApplyResponse reports what an apply did (or, with dryRun, would do).
type ApplyResponse struct {
	DryRun   bool                      `json:"dryRun"`
	Summary  map[string]catalog.Counts `json:"summary"`
	Changes  []ChangeSummary           `json:"changes"`
	Warnings []string                  `json:"warnings"`
	// Sections names the other sections applied (remediation, ...).
	Sections []string `json:"sections,omitempty"`
}

// ChangeSummary is one change of an apply without the object bodies, which
// the audit log keeps.
type ChangeSummary struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Op   string `json:"op"`
}

// NewApplyResponse summarises a plan.
func NewApplyResponse(p *catalog.Plan, dryRun bool) ApplyResponse {
	resp := ApplyResponse{DryRun: dryRun, Summary: p.Summary, Changes: []ChangeSummary{}, Warnings: p.Warnings, Sections: p.Sections}
	if resp.Warnings == nil {
		resp.Warnings = []string{}
	}
	for _, c := range p.Changes {
		resp.Changes = append(resp.Changes, ChangeSummary{Kind: c.Kind, Name: c.Name, Op: c.Op})
	}
	return resp
}

var yamlTypes = []string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}

func (s *Server) handleApply(w http.ResponseWriter, r *http.Request) error {
	prune, err := queryBool(r, "prune")
	if err != nil {
		return err
	}
	dryRun, err := queryBool(r, "dryRun")
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "palisade" && format != "backstage" {
		return palisade.FieldErrorf(palisade.EINVALID, "format", "format must be palisade or backstage")
	}
	body, mt, err := readBody(w, r, MaxApplySize, append([]string{"application/json"}, yamlTypes...)...)
	if err != nil {
		return err
	}
	var doc *catalog.Document
	switch {
	case format == "backstage":
		doc, err = catalog.ParseBackstage("request body", body)
	case mt == "application/json":
		doc, err = catalog.ParseJSON("request body", body)
	default:
		doc, err = catalog.ParseYAML("request body", body)
	}
	if err != nil {
		return err
	}
	plan, err := s.cfg.Catalog.Apply(r.Context(), doc, catalog.ApplyOptions{Prune: prune, DryRun: dryRun})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NewApplyResponse(plan, dryRun))
	return nil
}

func (s *Server) handleListServices(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 1, catalog.MaxPageSize)
	if err != nil {
		return err
	}
	tier, err := queryInt(r, "tier", catalog.MinTier, catalog.MaxTier)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	items, next, err := s.cfg.Catalog.ListServices(r.Context(), catalog.ServiceFilter{
		Team: q.Get("team"), Tier: tier, Tag: q.Get("tag"), After: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[catalog.Service]{Items: items, Next: next})
	return nil
}

// getByName answers GET .../{name} with what get returns for the name.
func getByName[T any](get func(ctx context.Context, name string) (T, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := get(r.Context(), r.PathValue("name"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// listPage answers a list route whose only parameters are limit and cursor.
func listPage[T any](list func(ctx context.Context, after string, limit int) ([]T, string, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		limit, err := queryInt(r, "limit", 1, catalog.MaxPageSize)
		if err != nil {
			return err
		}
		items, next, err := list(r.Context(), r.URL.Query().Get("cursor"), limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, ListResponse[T]{Items: items, Next: next})
		return nil
	}
}
