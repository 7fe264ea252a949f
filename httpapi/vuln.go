package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/vuln"
)

// FindingResponse is a finding with its history.
type FindingResponse struct {
	Finding *vuln.Finding `json:"finding"`
	History []vuln.Event  `json:"history"`
}

// TriageRequest is the body of the triage routes. For the bulk route,
// either IDs or Advisory selects the findings.
type TriageRequest struct {
	vuln.Triage
	IDs            []string `json:"ids,omitempty"`
	Advisory       string   `json:"advisory,omitempty"`
	Package        string   `json:"package,omitempty"`
	Services       []string `json:"services,omitempty"`
	IncludeDecided bool     `json:"includeDecided,omitempty"`
}

// AcceptBody is the body of the risk acceptance routes.
type AcceptBody struct {
	IDs         []string  `json:"ids,omitempty"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (s *Server) findingFilter(r *http.Request) (vuln.FindingFilter, error) {
	q := r.URL.Query()
	f := vuln.FindingFilter{Service: q.Get("service"), Advisory: q.Get("advisory"), Package: q.Get("package"),
		Severity: q.Get("severity"), State: q.Get("state"), After: q.Get("cursor")}
	var err error
	if f.Limit, err = queryInt(r, "limit", 1, 1000); err != nil {
		return f, err
	}
	if q.Get("kev") != "" {
		kev, err := queryBool(r, "kev")
		if err != nil {
			return f, err
		}
		f.KEV = &kev
	}
	if f.Overdue, err = queryBool(r, "overdue"); err != nil {
		return f, err
	}
	if team := q.Get("team"); team != "" {
		if f.Services, err = s.teamServices(r, team); err != nil {
			return f, err
		}
	}
	return f, nil
}

// teamServices lists the services of a team.
func (s *Server) teamServices(r *http.Request, team string) ([]string, error) {
	if _, err := s.cfg.Catalog.Team(r.Context(), team); err != nil {
		return nil, err
	}
	names, err := s.cfg.Catalog.TeamServices(r.Context(), team)
	if names == nil {
		names = []string{}
	}
	return names, err
}

func (s *Server) handleListFindings(w http.ResponseWriter, r *http.Request) error {
	f, err := s.findingFilter(r)
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Vuln.ListFindings(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[vuln.Finding]{Items: items, Next: next})
	return nil
}

func (s *Server) handleGetFinding(w http.ResponseWriter, r *http.Request) error {
	f, history, err := s.cfg.Vuln.Finding(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, FindingResponse{Finding: f, History: history})
	return nil
}

func (s *Server) handleTriageFinding(w http.ResponseWriter, r *http.Request) error {
	var t vuln.Triage
	if err := decodeJSON(w, r, &t); err != nil {
		return err
	}
	out, err := s.cfg.Vuln.Triage(r.Context(), []string{r.PathValue("id")}, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out[0])
	return nil
}

func (s *Server) handleBulkTriage(w http.ResponseWriter, r *http.Request) error {
	var req TriageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var out []vuln.Finding
	var err error
	switch {
	case len(req.IDs) > 0 && req.Advisory != "":
		return palisade.Errorf(palisade.EINVALID, "give either ids or advisory, not both")
	case len(req.IDs) > 0:
		if len(req.IDs) > 10000 {
			return palisade.FieldErrorf(palisade.EINVALID, "ids", "at most 10000 findings per request")
		}
		out, err = s.cfg.Vuln.Triage(r.Context(), req.IDs, req.Triage)
	default:
		out, err = s.cfg.Vuln.TriageAll(r.Context(), vuln.BulkTriage{Triage: req.Triage, Advisory: req.Advisory, Package: req.Package,
			Services: req.Services, IncludeDecided: req.IncludeDecided})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[vuln.Finding]{Items: out})
	return nil
}

func (s *Server) handleAcceptFinding(w http.ResponseWriter, r *http.Request) error {
	var b AcceptBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	ids := b.IDs
	if id := r.PathValue("id"); id != "" {
		if len(ids) > 0 {
			return palisade.FieldErrorf(palisade.EINVALID, "ids", "the finding is in the path; leave ids out")
		}
		ids = []string{id}
	}
	if len(ids) == 0 {
		return palisade.FieldErrorf(palisade.EINVALID, "ids", "name the findings to accept")
	}
	out, err := s.cfg.Vuln.Accept(r.Context(), ids, vuln.AcceptRequest{Reason: b.Reason, RequestedBy: b.RequestedBy, ExpiresAt: b.ExpiresAt})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[vuln.Finding]{Items: out})
	return nil
}

func (s *Server) handleVulnMetrics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sc := vuln.Scope{Service: q.Get("service"), Team: q.Get("team")}
	if sc.Service != "" && sc.Team != "" {
		return palisade.Errorf(palisade.EINVALID, "give service or team, not both")
	}
	from := time.Now().Add(-90 * 24 * time.Hour)
	if v := q.Get("from"); v != "" {
		t, err := parseDate(v)
		if err != nil {
			return palisade.FieldErrorf(palisade.EINVALID, "from", "from must be a date (2026-11-01) or an RFC 3339 time")
		}
		from = t
	}
	rep, err := s.cfg.Vuln.Metrics(r.Context(), sc, from)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// parseDate accepts a date or an RFC 3339 time.
func parseDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

func (s *Server) handleGetPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Vuln.Policy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) handlePutPolicy(w http.ResponseWriter, r *http.Request) error {
	var p vuln.Policy
	if err := decodeJSON(w, r, &p); err != nil {
		return err
	}
	if err := s.cfg.Vuln.SetPolicy(r.Context(), &p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) handleGetInventory(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.cfg.Vuln.Inventory(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

func (s *Server) handleGetAdvisory(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Vuln.Advisory(r.Context(), strings.TrimSpace(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// reportTypes are the media types of the audit report formats.
var reportTypes = map[string]string{
	vuln.ReportHTML:     "text/html; charset=utf-8",
	vuln.ReportMarkdown: "text/markdown; charset=utf-8",
	vuln.ReportJSON:     "application/json; charset=utf-8",
	vuln.ReportCSV:      "text/csv; charset=utf-8",
}

func (s *Server) handleVulnReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := parseDate(q.Get("from"))
	if err != nil {
		return palisade.FieldErrorf(palisade.EINVALID, "from", "from must be a date (2026-10-01) or an RFC 3339 time")
	}
	to, err := parseDate(q.Get("to"))
	if err != nil {
		return palisade.FieldErrorf(palisade.EINVALID, "to", "to must be a date (2026-10-31) or an RFC 3339 time")
	}
	format := q.Get("format")
	if format == "" {
		format = vuln.ReportJSON
	}
	ctype, ok := reportTypes[format]
	if !ok {
		return palisade.FieldErrorf(palisade.EINVALID, "format", "format must be html, markdown, json or csv")
	}
	rep, err := s.cfg.Vuln.Report(r.Context(), from, to, q.Get("service"), s.cfg.AuditHead)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	if format == vuln.ReportHTML {
		// The report is one self-contained page with one style block;
		// allow exactly that block and nothing else.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+vuln.ReportStyleHash+"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	}
	if format != vuln.ReportJSON {
		w.Header().Set("Content-Disposition", `inline; filename="vulnerability-report-`+from.Format(time.DateOnly)+`-`+to.Format(time.DateOnly)+`.`+extOf(format)+`"`)
	}
	return vuln.WriteReport(w, rep, format)
}

func extOf(format string) string {
	if format == vuln.ReportMarkdown {
		return "md"
	}
	return format
}
