package httpapi

import (
	"net/http"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/retro"
)

// The retrospective routes: the searchable library, the document through
// its review, its action items, its exports, and similar past incidents.

func (s *Server) handleSearchRetros(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 1, retro.MaxPage)
	if err != nil {
		return err
	}
	from, err := queryTime(r, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(r, "to")
	if err != nil {
		return err
	}
	hits, next, err := s.cfg.Retro.Search(r.Context(), retro.Query{Text: q.Get("q"), Incident: q.Get("incident"), Service: q.Get("service"),
		Tag: q.Get("tag"), Severity: q.Get("severity"), State: q.Get("state"), From: from, To: to, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[retro.Hit]{Items: hits, Next: next})
	return nil
}

func (s *Server) handleOpenRetro(w http.ResponseWriter, r *http.Request) error {
	var req retro.OpenRequest
	// The body is optional: an empty one starts from the default template.
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	rt, err := s.cfg.Retro.Open(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/retrospectives/"+rt.ID)
	writeJSON(w, http.StatusCreated, rt)
	return nil
}

func (s *Server) handleGetRetro(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.cfg.Retro.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

func (s *Server) handleUpdateRetro(w http.ResponseWriter, r *http.Request) error {
	var p retro.Patch
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	rt, err := s.cfg.Retro.Update(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

func (s *Server) handleDeleteRetro(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Retro.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TransitionRequest moves a retrospective to another state; reopening a
// published one (state in_review) needs a reason.
type TransitionRequest struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) handleTransitionRetro(w http.ResponseWriter, r *http.Request) error {
	var req TransitionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.State) == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "state", "name the state to move to: %s", strings.Join(retro.States, ", "))
	}
	rt, err := s.cfg.Retro.Transition(r.Context(), r.PathValue("id"), req.State, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

func (s *Server) handleAddActionItem(w http.ResponseWriter, r *http.Request) error {
	var in retro.ItemInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	item, err := s.cfg.Retro.AddActionItem(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, item)
	return nil
}

func (s *Server) handleUpdateActionItem(w http.ResponseWriter, r *http.Request) error {
	var p retro.ItemPatch
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	item, err := s.cfg.Retro.UpdateActionItem(r.Context(), r.PathValue("id"), r.PathValue("item"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, item)
	return nil
}

// exportCSP allows the exported page's one style block and nothing else:
// no script, no outside resource, no form, no framing.
func exportCSP() string {
	return "default-src 'none'; style-src " + retro.StyleHash() + "; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func (s *Server) handleExportRetro(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = retro.FormatMarkdown
	}
	ex, err := s.cfg.Retro.Export(r.Context(), r.PathValue("id"), format)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ex.MediaType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `inline; filename="`+ex.Filename+`"`)
	if format == retro.FormatHTML {
		h.Set("Content-Security-Policy", exportCSP())
	}
	_, err = w.Write(ex.Body)
	return err
}

func (s *Server) handleSimilar(w http.ResponseWriter, r *http.Request) error {
	k, err := queryInt(r, "limit", 1, retro.MaxSimilar)
	if err != nil {
		return err
	}
	items, err := s.cfg.Retro.Similar(r.Context(), r.PathValue("id"), k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[retro.Suggestion]{Items: items})
	return nil
}

func (s *Server) handleListActionItems(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 1, retro.MaxItemsPage)
	if err != nil {
		return err
	}
	overdue, err := queryBool(r, "overdue")
	if err != nil {
		return err
	}
	open, err := queryBool(r, "open")
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Retro.ActionItems(r.Context(), retro.ItemFilter{Owner: q.Get("owner"), Status: q.Get("status"),
		Open: open, Overdue: overdue, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[retro.ItemRef]{Items: items, Next: next})
	return nil
}
