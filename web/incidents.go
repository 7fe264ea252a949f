package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
)

// incidentRoutes are the pages of incident response; Routes declares them
// only when Config.Incident is set. The timeline's JSON is for the page's
// own script: it is behind the session like the page, not part of the API.
func (u *UI) incidentRoutes() []Route {
	return []Route{
		{"GET /incidents", u.page(u.incidents)},
		{"GET /incidents/new", u.page(u.newIncidentForm)},
		{"POST /incidents/new", u.page(u.openIncident)},
		{"GET /incidents/metrics", u.page(u.incidentMetrics)},
		{"GET /incidents/{id}", u.page(u.incidentPage)},
		{"GET /incidents/{id}/timeline.json", u.jsonEndpoint(u.timelineJSON)},
		{"POST /incidents/{id}/status", u.page(u.incidentStatus)},
		{"POST /incidents/{id}/severity", u.page(u.incidentSeverity)},
		{"POST /incidents/{id}/roles", u.page(u.incidentRoles)},
		{"POST /incidents/{id}/notes", u.page(u.incidentNote)},
	}
}

// incidentKinds are the kinds of incident, for filters and forms.
var incidentKinds = []string{incident.KindSecurity, incident.KindReliability}

// validSeqID reports whether s has the shape of a numbered id with prefix
// (INC-1, RETRO-2, ...), so that anything else is refused without a query.
func validSeqID(prefix, s string) bool {
	n, ok := strings.CutPrefix(s, prefix)
	if !ok || n == "" || len(n) > 18 || n[0] == '0' {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pathSeqID returns the {id} of the path when it can name a what (an
// incident, a retrospective) numbered with prefix.
func pathSeqID(r *http.Request, prefix, what string) (string, error) {
	id := r.PathValue("id")
	if !validSeqID(prefix, id) {
		return "", palisade.Errorf(palisade.ENOTFOUND, "there is no %s %q", what, id)
	}
	return id, nil
}

func validIncidentID(s string) bool { return validSeqID("INC-", s) }

func pathIncidentID(r *http.Request) (string, error) { return pathSeqID(r, "INC-", "incident") }

// sevScale is the configured severity scale, most severe first.
type sevScale []incident.Severity

func (u *UI) severities(ctx context.Context) (sevScale, error) {
	cfg, err := u.cfg.Incident.Config(ctx)
	if err != nil {
		return nil, err
	}
	return sevScale(cfg.Severities), nil
}

// rank is a severity's place on the scale, 0 the most severe; a severity
// no longer on it sorts after every other.
func (s sevScale) rank(name string) int {
	if i := slices.IndexFunc(s, func(x incident.Severity) bool { return x.Name == name }); i >= 0 {
		return i
	}
	return len(s)
}

// sevBadge is an incident severity as a chip. The scale's names are
// configurable, so the colour follows the rank: the most severe level is
// isev-1, the fourth and any below it isev-4.
type sevBadge struct {
	Name, Title, Class string
}

func (s sevScale) badge(name string) sevBadge {
	i := s.rank(name)
	if i == len(s) {
		return sevBadge{Name: name, Title: "not on the configured severity scale", Class: "isev-unknown"}
	}
	return sevBadge{Name: name, Title: s[i].Title, Class: "isev-" + strconv.Itoa(min(i+1, 4))}
}

// incidentStatusClass is the CSS hook of an incident status; one this
// version does not know gets a neutral chip.
func incidentStatusClass(s string) string {
	if slices.Contains(incident.Statuses, s) {
		return s
	}
	return "unknown"
}

// incidentRow is an incident as a list shows it.
type incidentRow struct {
	ID, Title, Status, Kind, Team string
	Sev                           sevBadge
	Services                      []string
	Restricted, Open              bool
	OpenedAt                      time.Time
	// Age is how long an open incident has been open; for one that is
	// over, how long it took to resolve, or what ended it.
	Age       string
	Commander string
	Alerts    int
}

func newIncidentRow(in *incident.Incident, sevs sevScale, now time.Time) incidentRow {
	r := incidentRow{ID: in.ID, Title: in.Title, Status: in.Status, Kind: in.Kind, Team: in.Team, Sev: sevs.badge(in.Severity),
		Services: in.Services, Restricted: in.Restricted, Open: in.Open(), OpenedAt: in.OpenedAt, Commander: in.Roles["commander"], Alerts: in.Alerts}
	switch {
	case r.Open:
		r.Age = humanDuration(max(0, now.Sub(in.OpenedAt)))
	case in.Status == incident.StatusMerged && in.MergedInto != "":
		r.Age = "merged into " + in.MergedInto
	case in.ResolvedAt != nil:
		r.Age = "resolved in " + humanDuration(max(0, in.ResolvedAt.Sub(in.OpenedAt)))
	default:
		r.Age = in.Status
	}
	return r
}

// sortOpenIncidents puts the most severe first and, within a severity,
// the newest.
func sortOpenIncidents(l []incident.Incident, sevs sevScale) {
	slices.SortStableFunc(l, func(a, b incident.Incident) int {
		if c := cmp.Compare(sevs.rank(a.Severity), sevs.rank(b.Severity)); c != 0 {
			return c
		}
		return b.OpenedAt.Compare(a.OpenedAt)
	})
}

// sevCount is how many open incidents have one severity, linked to them.
type sevCount struct {
	Badge sevBadge
	Count int
	URL   string
}

// countOpen counts open incidents per severity of the scale (and any
// severity off it), each linked to base's list of them.
func countOpen(open []incident.Incident, sevs sevScale, base incidentsQuery) []sevCount {
	n := map[string]int{}
	names := make([]string, 0, len(sevs))
	for _, s := range sevs {
		names = append(names, s.Name)
	}
	for _, in := range open {
		n[in.Severity]++
		if !slices.Contains(names, in.Severity) {
			names = append(names, in.Severity)
		}
	}
	out := make([]sevCount, 0, len(names))
	for _, name := range names {
		q := base
		q.Status, q.Severity = "open", name
		out = append(out, sevCount{Badge: sevs.badge(name), Count: n[name], URL: q.link("")})
	}
	return out
}

// incidentsQuery is the incident list's filter.
type incidentsQuery struct {
	Status, Severity, Kind, Service, Team string
}

// link is the list with the filter, from the page before the cursor.
func (q incidentsQuery) link(before string) string {
	p := url.Values{}
	for k, v := range map[string]string{"status": q.Status, "severity": q.Severity, "kind": q.Kind, "service": q.Service, "team": q.Team, "before": before} {
		if v != "" {
			p.Set(k, v)
		}
	}
	if len(p) == 0 {
		return "/incidents"
	}
	return "/incidents?" + p.Encode()
}

// statusOption is a choice of the status filter.
type statusOption struct {
	Value, Label string
}

func incidentStatusOptions() []statusOption {
	out := []statusOption{{"", "Any, open first"}, {"open", "Open (triage, active, mitigated)"}}
	for _, s := range incident.Statuses {
		out = append(out, statusOption{s, s})
	}
	return out
}

type incidentsView struct {
	Query      incidentsQuery
	Statuses   []statusOption
	Severities sevScale
	Kinds      []string
	Teams      []string
	Services   []string
	Filtered   bool
	CanOpen    bool
	// OpenTotal and OpenCounts are the open incidents of the filter,
	// whatever its severity and status; OpenMore says there are more
	// than one list call returns.
	OpenTotal  int
	OpenCounts []sevCount
	OpenMore   bool
	// ShowOpen is set when the page lists the open incidents first (the
	// first page of any status, or the open ones only).
	ShowOpen bool
	Open     []incidentRow
	// ShowPast is set when the page lists incidents newest first, page by
	// page: those that are over, or those of one status.
	ShowPast  bool
	PastTitle string
	Past      []incidentRow
	FirstURL  string
	NextURL   string
}

// incidents serves the list of incidents: the open ones first, most
// severe first, then the others newest first, page by page.
func (u *UI) incidents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var fq incidentsQuery
	for name, dst := range map[string]*string{"status": &fq.Status, "severity": &fq.Severity, "kind": &fq.Kind, "service": &fq.Service, "team": &fq.Team} {
		v, err := queryValue(q, name)
		if err != nil {
			return err
		}
		*dst = v
	}
	before, err := queryValue(q, "before")
	if err != nil {
		return err
	}
	switch {
	case fq.Status != "" && fq.Status != "open" && !slices.Contains(incident.Statuses, fq.Status):
		return palisade.FieldErrorf(palisade.EINVALID, "status", "status must be open or one of %s", strings.Join(incident.Statuses, ", "))
	case fq.Kind != "" && !slices.Contains(incidentKinds, fq.Kind):
		return palisade.FieldErrorf(palisade.EINVALID, "kind", "kind must be security or reliability")
	case before != "" && !validIncidentID(before):
		return palisade.FieldErrorf(palisade.EINVALID, "before", "before must be an incident id such as INC-12")
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	v := incidentsView{Query: fq, Statuses: incidentStatusOptions(), Severities: sevs, Kinds: incidentKinds,
		Filtered: fq != incidentsQuery{}, CanOpen: canRespond(ctx)}
	if v.Teams, v.Services, err = u.scopeNames(ctx); err != nil {
		return err
	}
	now := u.cfg.Now()
	base := incident.Filter{Kind: fq.Kind, Service: fq.Service, Team: fq.Team}

	// The open incidents of the filter, of every severity: they give the
	// counts, and the first rows when the list starts with them.
	of := base
	of.Status, of.Limit = "open", incident.MaxPage
	open, more, err := u.cfg.Incident.List(ctx, of)
	if err != nil {
		return err
	}
	sortOpenIncidents(open, sevs)
	v.OpenTotal, v.OpenMore = len(open), more != ""
	v.OpenCounts = countOpen(open, sevs, incidentsQuery{Kind: fq.Kind, Service: fq.Service, Team: fq.Team})
	if (fq.Status == "" || fq.Status == "open") && before == "" {
		v.ShowOpen = true
		for i := range open {
			if fq.Severity == "" || open[i].Severity == fq.Severity {
				v.Open = append(v.Open, newIncidentRow(&open[i], sevs, now))
			}
		}
	}
	if fq.Status != "open" {
		v.ShowPast = true
		v.PastTitle = "Incidents that are over"
		if fq.Status != "" {
			v.PastTitle = "Incidents " + fq.Status
		}
		pf := base
		pf.Status, pf.Severity, pf.Before, pf.Limit = fq.Status, fq.Severity, before, pageSize
		page, next, err := u.cfg.Incident.List(ctx, pf)
		if err != nil {
			return err
		}
		for i := range page {
			// With any status, the open ones are listed above already.
			if fq.Status == "" && page[i].Open() {
				continue
			}
			v.Past = append(v.Past, newIncidentRow(&page[i], sevs, now))
		}
		if before != "" {
			v.FirstURL = fq.link("")
		}
		if next != "" {
			v.NextURL = fq.link(next)
		}
	}
	return u.render(w, r, http.StatusOK, "incidents", "Incidents", "incidents", v)
}

// overviewIncidents is the incidents' card on the overview.
type overviewIncidents struct {
	Open   int
	More   bool
	Counts []sevCount
	// Retro is nil on a server without retrospectives.
	Retro *overviewRetros
}

func (u *UI) overviewIncidents(ctx context.Context) (*overviewIncidents, error) {
	if u.cfg.Incident == nil {
		return nil, nil
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return nil, err
	}
	open, more, err := u.cfg.Incident.List(ctx, incident.Filter{Status: "open", Limit: incident.MaxPage})
	if err != nil {
		return nil, err
	}
	rv, err := u.overviewRetros(ctx)
	if err != nil {
		return nil, err
	}
	return &overviewIncidents{Open: len(open), More: more != "", Counts: countOpen(open, sevs, incidentsQuery{}), Retro: rv}, nil
}

// serviceIncidentsView is the incidents section of a service page.
type serviceIncidentsView struct {
	Service string
	// Open are the service's open incidents, most severe first.
	Open    []incidentRow
	More    bool
	ListURL string
	NewURL  string
	CanOpen bool
}

func (u *UI) serviceIncidents(ctx context.Context, name string) (*serviceIncidentsView, error) {
	if u.cfg.Incident == nil {
		return nil, nil
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return nil, err
	}
	open, more, err := u.cfg.Incident.List(ctx, incident.Filter{Status: "open", Service: name, Limit: incident.MaxPage})
	if err != nil {
		return nil, err
	}
	sortOpenIncidents(open, sevs)
	v := &serviceIncidentsView{Service: name, More: more != "", ListURL: incidentsQuery{Service: name}.link(""),
		NewURL: "/incidents/new?service=" + url.QueryEscape(name), CanOpen: canRespond(ctx)}
	now := u.cfg.Now()
	for i := range open {
		v.Open = append(v.Open, newIncidentRow(&open[i], sevs, now))
	}
	return v, nil
}
