package httpapi

import (
	"net/http"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/gate"
)

func (s *Server) handleGate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("service") == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "service", "name the service the change is for (?service=)")
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "markdown" && format != "text" {
		return palisade.FieldErrorf(palisade.EINVALID, "format", "format must be json, markdown or text")
	}
	files, err := readFiles(w, r, MaxInventorySize, inventoryTypes...)
	if err != nil {
		return err
	}
	rec, err := s.cfg.Gate.Decide(r.Context(), gate.Request{Service: q.Get("service"), Change: q.Get("change"), Files: files})
	if err != nil {
		return err
	}
	switch format {
	case "markdown":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, err = w.Write([]byte(rec.Decision.Markdown()))
		return err
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err = w.Write([]byte(rec.Decision.Text()))
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (s *Server) handleListGateDecisions(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 1, 1000)
	if err != nil {
		return err
	}
	recs, next, err := s.cfg.Gate.List(r.Context(), r.URL.Query().Get("service"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[gate.Record]{Items: recs, Next: next})
	return nil
}

func (s *Server) handleGetGateDecision(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.cfg.Gate.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}
