package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/incident/intake"
)

// roleSource marks routes that alert senders call with their source's
// credential (a token, a routing key or a signature) instead of an API
// token.
const roleSource palisade.Role = "source"

// MaxAlertBody is the body limit of the alert endpoints.
const MaxAlertBody = intake.RecommendedBodyLimit

// SourceFailureLimit is how many refused alert deliveries one client
// address may make per minute before it gets 429. Source credentials are
// long random values, so the limit guards the log more than the secret; it
// is higher than the sign-in limit because a misconfigured sender retries.
const SourceFailureLimit = 60

// sourceAuth runs an alert handler's authentication step, counting
// failures per client address so that guessing credentials is slow.
func (s *Server) sourceAuth(r *http.Request, auth func() (*incident.Source, error)) (*incident.Source, error) {
	addr := ClientAddr(r, s.cfg.TrustProxy)
	if !s.sourceFailures.Allow(addr) {
		return nil, palisade.Errorf(palisade.ERATELIMIT, "too many failed alert deliveries from this address; wait a minute")
	}
	src, err := auth()
	if err != nil {
		if palisade.ErrorCode(err) == palisade.EUNAUTHORIZED {
			s.sourceFailures.Fail(addr)
			s.log.Warn("alert delivery refused", "reason", err, "address", addr, "path", r.URL.Path)
		}
		return nil, err
	}
	return src, s.cfg.Incident.Allow(src)
}

func (s *Server) alertBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, _, err := readBody(w, r, MaxAlertBody, "application/json")
	return body, err
}

func (s *Server) handleAlertmanager(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("source")
	if name == "" {
		name = "alertmanager"
	}
	src, err := s.sourceAuth(r, func() (*incident.Source, error) {
		return s.cfg.Incident.SourceByToken(r.Context(), incident.SourceAlertmanager, name, r.Header.Get("Authorization"))
	})
	if err != nil {
		return err
	}
	body, err := s.alertBody(w, r)
	if err != nil {
		return err
	}
	alerts, err := intake.ParseAlertmanager(src.Name, body)
	if err != nil {
		return err
	}
	res, err := s.cfg.Incident.IngestFrom(r.Context(), src, ClientAddr(r, s.cfg.TrustProxy), alerts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// eventsResponse is PagerDuty's Events API v2 answer, so senders that read
// it keep working.
type eventsResponse struct {
	Status   string                 `json:"status"`
	Message  string                 `json:"message"`
	DedupKey string                 `json:"dedup_key"`
	Result   *incident.IngestResult `json:"palisade"`
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	body, err := s.alertBody(w, r)
	if err != nil {
		return err
	}
	key, err := intake.EventsRoutingKey(body)
	if err != nil {
		return err
	}
	src, err := s.sourceAuth(r, func() (*incident.Source, error) { return s.cfg.Incident.SourceByRoutingKey(r.Context(), key) })
	if err != nil {
		return err
	}
	a, err := intake.ParseEvents(src.Name, body)
	if err != nil {
		return err
	}
	res, err := s.cfg.Incident.IngestFrom(r.Context(), src, ClientAddr(r, s.cfg.TrustProxy), []intake.Alert{*a})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, eventsResponse{Status: "success", Message: "Event processed", DedupKey: a.DedupKey, Result: res})
	return nil
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) error {
	// The signature covers the body: read it first (bounded), verify,
	// then parse.
	body, err := s.alertBody(w, r)
	if err != nil {
		return err
	}
	src, err := s.sourceAuth(r, func() (*incident.Source, error) {
		return s.cfg.Incident.SourceBySignature(r.Context(), r.PathValue("source"), r.Header, body)
	})
	if err != nil {
		return err
	}
	a, err := intake.ParseWebhook(src.Name, body, src.Fields)
	if err != nil {
		return err
	}
	res, err := s.cfg.Incident.IngestFrom(r.Context(), src, ClientAddr(r, s.cfg.TrustProxy), []intake.Alert{*a})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleListAlerts(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 1, incident.MaxPage)
	if err != nil {
		return err
	}
	alerts, err := s.cfg.Incident.Alerts(r.Context(), r.URL.Query().Get("status"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[incident.Alert]{Items: alerts})
	return nil
}

func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, palisade.FieldErrorf(palisade.EINVALID, name, "%s must be a date (2026-11-27) or an RFC 3339 time", name)
	}
	return t.UTC(), nil
}

func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 1, incident.MaxPage)
	if err != nil {
		return err
	}
	since, err := queryTime(r, "since")
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Incident.List(r.Context(), incident.Filter{Status: q.Get("status"), Severity: q.Get("severity"), Kind: q.Get("kind"),
		Service: q.Get("service"), Team: q.Get("team"), Query: q.Get("q"), Since: since, Before: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[incident.Incident]{Items: items, Next: next})
	return nil
}

func (s *Server) handleOpenIncident(w http.ResponseWriter, r *http.Request) error {
	var req incident.OpenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	inc, err := s.cfg.Incident.Open(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inc)
	return nil
}

// IncidentDetail is an incident with its timeline and alerts.
type IncidentDetail = incident.Detail

func (s *Server) handleGetIncident(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.Incident.Detail(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after", 0, 1<<30)
	if err != nil {
		return err
	}
	tl, err := s.cfg.Incident.Timeline(r.Context(), r.PathValue("id"), int64(after))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[incident.Entry]{Items: tl})
	return nil
}

func (s *Server) handleUpdateIncident(w http.ResponseWriter, r *http.Request) error {
	var p incident.Patch
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	inc, err := s.cfg.Incident.Update(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

func (s *Server) handleNote(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	e, err := s.cfg.Incident.Note(r.Context(), r.PathValue("id"), req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (s *Server) handleMerge(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Into string `json:"into"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Into) == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "into", "name the incident to merge into")
	}
	inc, err := s.cfg.Incident.Merge(r.Context(), r.PathValue("id"), req.Into)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

func (s *Server) handleIncidentMetrics(w http.ResponseWriter, r *http.Request) error {
	from, err := queryTime(r, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(r, "to")
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = time.Now().UTC()
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -90)
	}
	m, err := s.cfg.Incident.Metrics(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
