package httpapi

import (
	"net/http"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

// MaxEventsBody bounds an events push: 10,000 events of about 100 bytes.
const MaxEventsBody = 4 << 20

// EventsRequest is the body of POST /api/v1/slos/{name}/events.
type EventsRequest struct {
	Events []slo.Event `json:"events"`
}

// ChecksRequest is the body of POST /api/v1/services/{name}/checks.
type ChecksRequest struct {
	Checks []slo.CheckResult `json:"checks"`
}

func (s *Server) handleListSLOs(w http.ResponseWriter, r *http.Request) error {
	views, err := s.cfg.SLO.List(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[slo.View]{Items: views})
	return nil
}

func (s *Server) handleGetSLO(w http.ResponseWriter, r *http.Request) error {
	v, err := s.cfg.SLO.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) handlePutSLO(w http.ResponseWriter, r *http.Request) error {
	var o slo.SLO
	if err := decodeJSON(w, r, &o); err != nil {
		return err
	}
	if o.Name == "" {
		o.Name = r.PathValue("name")
	}
	if o.Name != r.PathValue("name") {
		return palisade.FieldErrorf(palisade.EINVALID, "name", "the body names SLO %q but the path %q", o.Name, r.PathValue("name"))
	}
	if o.Budgeting == "" {
		o.Budgeting = slo.Occurrences
	}
	if o.Slice == 0 {
		o.Slice = slo.DefaultSlice
	}
	created, _, _, err := s.cfg.SLO.Put(r.Context(), []*slo.SLO{&o}, false)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, o)
	return nil
}

func (s *Server) handleDeleteSLO(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.SLO.Delete(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handlePushEvents(w http.ResponseWriter, r *http.Request) error {
	body, _, err := readBody(w, r, MaxEventsBody, "application/json")
	if err != nil {
		return err
	}
	var req EventsRequest
	if err := DecodeStrict(body, &req); err != nil {
		return err
	}
	res, err := s.cfg.SLO.PushEvents(r.Context(), r.PathValue("name"), req.Events)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handlePushChecks(w http.ResponseWriter, r *http.Request) error {
	var req ChecksRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := s.cfg.SLO.PushChecks(r.Context(), r.PathValue("name"), req.Checks)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
