package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/retro"
)

// retroWired reports whether a server's Config has the retrospective
// pages: they need incident response as well, which retrospectives review.
func retroWired(c *Config) bool { return c.Incident != nil && c.Retro != nil }

func (u *UI) retroOn() bool { return retroWired(&u.cfg) }

// retroRoutes are the pages of retrospectives; Routes declares them only
// when Config.Retro and Config.Incident are set. The exports are served
// here, under the session, so that a browser needs no API token for them.
func (u *UI) retroRoutes() []Route {
	return []Route{
		{"GET /retrospectives", u.page(u.retroLibrary)},
		{"GET /retrospectives/action-items", u.page(u.actionItems)},
		{"GET /retrospectives/{id}", u.page(u.retroPage)},
		{"GET /retrospectives/{id}/export.html", u.page(u.retroExport(retro.FormatHTML))},
		{"GET /retrospectives/{id}/export.md", u.page(u.retroExport(retro.FormatMarkdown))},
		{"POST /retrospectives/{id}/edit", u.page(u.retroEdit)},
		{"POST /retrospectives/{id}/state", u.page(u.retroState)},
		{"POST /retrospectives/{id}/action-items", u.page(u.retroAddItem)},
		{"POST /retrospectives/{id}/action-items/{item}", u.page(u.retroUpdateItem)},
		{"POST /incidents/{id}/retrospective", u.page(u.startRetro)},
	}
}

func validRetroID(s string) bool { return validSeqID("RETRO-", s) }

func pathRetroID(r *http.Request) (string, error) { return pathSeqID(r, "RETRO-", "retrospective") }

// retroStateLabel is a retrospective state in words.
func retroStateLabel(s string) string {
	if s == retro.StateInReview {
		return "in review"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// retroStateClass is the CSS hook of a retrospective state; one this
// version does not know gets a neutral chip.
func retroStateClass(s string) string {
	if slices.Contains(retro.States, s) {
		return s
	}
	return "unknown"
}

// itemStatusLabel is an action item status in words.
func itemStatusLabel(s string) string {
	if s == retro.StatusWontDo {
		return "won't do"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// itemStatusClass is the CSS hook of an action item status.
func itemStatusClass(s string) string {
	if slices.Contains(retro.Statuses, s) {
		return s
	}
	return "unknown"
}

// trackerLabel is the visible text of a tracker link: the host and path,
// which name the issue without the noise of a query string.
func trackerLabel(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	t := p.Host + strings.TrimSuffix(p.EscapedPath(), "/")
	if r := []rune(t); len(r) > 60 {
		t = string(r[:59]) + "…"
	}
	return t
}

// trackerHref is u when it is a link the page may show (https, as the
// capability requires), and "" otherwise.
func trackerHref(u string) string {
	if p, err := url.Parse(u); err == nil && p.Scheme == "https" && p.Host != "" && p.User == nil {
		return u
	}
	return ""
}

// itemRow is an action item as a table shows it.
type itemRow struct {
	ID, Title, Owner, Status string
	DueAt, DoneAt            *time.Time
	Overdue                  bool
	Tracker, TrackerText     string
	// The retrospective the item belongs to, on lists of every item.
	Retro, RetroTitle, IncidentID string
}

func newItemRow(a *retro.ActionItem, now time.Time) itemRow {
	row := itemRow{ID: a.ID, Title: a.Title, Owner: a.Owner, Status: a.Status, DueAt: a.DueAt, DoneAt: a.DoneAt,
		Overdue: !a.Closed() && a.DueAt != nil && a.DueAt.Before(now)}
	if a.TrackerURL != "" {
		row.Tracker, row.TrackerText = trackerHref(a.TrackerURL), trackerLabel(a.TrackerURL)
	}
	return row
}

func newItemRef(a *retro.ItemRef, now time.Time) itemRow {
	row := newItemRow(&a.ActionItem, now)
	row.Retro, row.RetroTitle, row.IncidentID = a.Retrospective, a.RetroTitle, a.IncidentID
	return row
}

// overdueItems are the overdue action items the caller may see, most
// overdue first, at most a page of the capability's list; more says there
// are others.
func (u *UI) overdueItems(ctx context.Context) (items []retro.ItemRef, more bool, err error) {
	items, next, err := u.cfg.Retro.ActionItems(ctx, retro.ItemFilter{Overdue: true, Limit: retro.MaxPage})
	return items, next != "", err
}

// libraryQuery is the library's search and filters, as typed.
type libraryQuery struct {
	Q, Service, Tag, Severity, State, From, To string
}

// link is the library with the query, from the page at cursor.
func (q libraryQuery) link(cursor string) string {
	p := url.Values{}
	for k, v := range map[string]string{"q": q.Q, "service": q.Service, "tag": q.Tag, "severity": q.Severity, "state": q.State,
		"from": q.From, "to": q.To, "cursor": cursor} {
		if v != "" {
			p.Set(k, v)
		}
	}
	if len(p) == 0 {
		return "/retrospectives"
	}
	return "/retrospectives?" + p.Encode()
}

// parseDay reads a date of a filter (2026-10-01), as UTC midnight.
func parseDay(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		return time.Time{}, palisade.FieldErrorf(palisade.EINVALID, name, "%s must be a date such as 2026-10-01", name)
	}
	return t, nil
}

// query is what the capability's Search takes for q; the dates are
// whole days, to included.
func (q libraryQuery) query() (retro.Query, error) {
	rq := retro.Query{Text: q.Q, Service: q.Service, Tag: q.Tag, Severity: q.Severity, State: q.State}
	var err error
	if rq.From, err = parseDay("from", q.From); err != nil {
		return rq, err
	}
	if rq.To, err = parseDay("to", q.To); err != nil {
		return rq, err
	}
	if !rq.To.IsZero() {
		rq.To = rq.To.AddDate(0, 0, 1)
	}
	if !rq.From.IsZero() && !rq.To.IsZero() && !rq.From.Before(rq.To) {
		return rq, palisade.FieldErrorf(palisade.EINVALID, "from", "the first day (%s) is after the last (%s)", q.From, q.To)
	}
	return rq, nil
}

// hitRow is a search result as the library shows it.
type hitRow struct {
	retro.Hit
	Sev *sevBadge
}

// stateCount is how many retrospectives of one state match, linked to
// them; More says there are more than counted.
type stateCount struct {
	State, Label string
	Count        int
	More         bool
	URL          string
}

type libraryView struct {
	Query      libraryQuery
	States     []statusOption
	Severities sevScale
	Services   []string
	Filtered   bool
	// Message is why the search was refused; the page then has no
	// results.
	Message string
	// Counts are the matches per state, whatever the state filter;
	// Total is the matches of the whole filter (TotalMore: at least).
	Counts    []stateCount
	Total     int
	TotalMore bool
	Hits      []hitRow
	Text      bool
	FirstURL  string
	NextURL   string
	// Overdue are the first overdue action items, of OverdueTotal (at
	// least, with OverdueMore).
	Overdue      []itemRow
	OverdueTotal int
	OverdueMore  bool
}

// libraryOverdue is how many overdue action items the library lists.
const libraryOverdue = 5

// retroLibrary serves the library of retrospectives: a full-text search
// with filters, the matches per state, a page of results with highlighted
// snippets, and the overdue action items.
func (u *UI) retroLibrary(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var lq libraryQuery
	for name, dst := range map[string]*string{"q": &lq.Q, "service": &lq.Service, "tag": &lq.Tag, "severity": &lq.Severity, "state": &lq.State,
		"from": &lq.From, "to": &lq.To} {
		v, err := queryValue(q, name)
		if err != nil {
			return err
		}
		*dst = v
	}
	cursor, err := queryValue(q, "cursor")
	if err != nil {
		return err
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	v := libraryView{Query: lq, Severities: sevs, Filtered: lq != libraryQuery{}, States: []statusOption{{"", "Any"}}}
	for _, s := range retro.States {
		v.States = append(v.States, statusOption{s, retroStateLabel(s)})
	}
	if _, v.Services, err = u.scopeNames(ctx); err != nil {
		return err
	}
	status := http.StatusOK
	if err := u.searchLibrary(ctx, lq, cursor, &v); err != nil {
		if err = u.formFailed(err, func(s int, msg string) error {
			status, v.Message = s, msg
			return nil
		}); err != nil {
			return err
		}
		v.Hits, v.Counts, v.Total, v.TotalMore, v.NextURL = nil, nil, 0, false, ""
	}
	items, more, err := u.overdueItems(ctx)
	if err != nil {
		return err
	}
	v.OverdueTotal, v.OverdueMore = len(items), more
	now := u.cfg.Now()
	for i := range items[:min(len(items), libraryOverdue)] {
		v.Overdue = append(v.Overdue, newItemRef(&items[i], now))
	}
	return u.render(w, r, status, "retros", "Retrospectives", "retrospectives", v)
}

// searchLibrary fills v with the results of lq from cursor and the
// counts per state.
func (u *UI) searchLibrary(ctx context.Context, lq libraryQuery, cursor string, v *libraryView) error {
	rq, err := lq.query()
	if err != nil {
		return err
	}
	rq.Cursor = cursor
	hits, next, err := u.cfg.Retro.Search(ctx, rq)
	if err != nil {
		return err
	}
	for _, h := range hits {
		row := hitRow{Hit: h}
		if h.Severity != "" {
			b := v.Severities.badge(h.Severity)
			row.Sev = &b
		}
		v.Hits = append(v.Hits, row)
		v.Text = v.Text || len(h.Snippet) > 0
	}
	if cursor != "" {
		v.FirstURL = lq.link("")
	}
	if next != "" {
		v.NextURL = lq.link(next)
	}
	// The counts per state: the same search in each state, whatever the
	// state filter, up to a page of the capability each. A state the
	// query text names (state:published) is the only one it can match.
	_, quals, err := retro.ParseSearch(lq.Q)
	if err != nil {
		return err
	}
	for _, s := range retro.States {
		if quals.State != "" && quals.State != s {
			continue
		}
		cq := rq
		cq.State, cq.Cursor, cq.Limit = s, "", retro.MaxPage
		hits, next, err := u.cfg.Retro.Search(ctx, cq)
		if err != nil {
			return err
		}
		sq := lq
		sq.State = s
		v.Counts = append(v.Counts, stateCount{State: s, Label: retroStateLabel(s), Count: len(hits), More: next != "", URL: sq.link("")})
		if lq.State == "" || lq.State == s {
			v.Total += len(hits)
			v.TotalMore = v.TotalMore || next != ""
		}
	}
	return nil
}

// itemsQuery is the action items list's filter. Status is "" for the
// items still to do (open or in progress), "all", or one status.
type itemsQuery struct {
	Owner, Status string
	Overdue       bool
}

func (q itemsQuery) link(cursor string) string {
	p := url.Values{}
	if q.Owner != "" {
		p.Set("owner", q.Owner)
	}
	if q.Status != "" {
		p.Set("status", q.Status)
	}
	if q.Overdue {
		p.Set("overdue", "1")
	}
	if cursor != "" {
		p.Set("cursor", cursor)
	}
	if len(p) == 0 {
		return "/retrospectives/action-items"
	}
	return "/retrospectives/action-items?" + p.Encode()
}

type actionItemsView struct {
	Query    itemsQuery
	Statuses []statusOption
	Filtered bool
	Items    []itemRow
	// OverdueTotal counts the overdue items of everyone (at least, with
	// OverdueMore), linked to them.
	OverdueTotal int
	OverdueMore  bool
	OverdueURL   string
	FirstURL     string
	NextURL      string
}

// actionItems serves the action items of every retrospective the viewer
// may see, soonest due first, with filters by owner, status and overdue.
func (u *UI) actionItems(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var iq itemsQuery
	var err error
	if iq.Owner, err = queryValue(q, "owner"); err != nil {
		return err
	}
	if iq.Status, err = queryValue(q, "status"); err != nil {
		return err
	}
	cursor, err := queryValue(q, "cursor")
	if err != nil {
		return err
	}
	switch o := q.Get("overdue"); o {
	case "", "0":
	case "1":
		iq.Overdue = true
	default:
		return palisade.FieldErrorf(palisade.EINVALID, "overdue", "overdue must be 1 or left out")
	}
	f := retro.ItemFilter{Owner: iq.Owner, Overdue: iq.Overdue, Cursor: cursor, Limit: pageSize}
	switch {
	case iq.Status == "":
		f.Open = true
	case iq.Status == "all":
	case slices.Contains(retro.Statuses, iq.Status):
		f.Status = iq.Status
	default:
		return palisade.FieldErrorf(palisade.EINVALID, "status", "status must be all or one of %s", strings.Join(retro.Statuses, ", "))
	}
	items, next, err := u.cfg.Retro.ActionItems(ctx, f)
	if err != nil {
		return err
	}
	v := actionItemsView{Query: iq, Filtered: iq != itemsQuery{}, OverdueURL: itemsQuery{Overdue: true}.link(""),
		Statuses: []statusOption{{"", "To do (open or in progress)"}, {"all", "Any"}}}
	for _, s := range retro.Statuses {
		v.Statuses = append(v.Statuses, statusOption{s, itemStatusLabel(s)})
	}
	now := u.cfg.Now()
	for i := range items {
		v.Items = append(v.Items, newItemRef(&items[i], now))
	}
	overdue, more, err := u.overdueItems(ctx)
	if err != nil {
		return err
	}
	v.OverdueTotal, v.OverdueMore = len(overdue), more
	if cursor != "" {
		v.FirstURL = iq.link("")
	}
	if next != "" {
		v.NextURL = iq.link(next)
	}
	return u.render(w, r, http.StatusOK, "retroitems", "Action items", "retrospectives", v)
}

// overviewRetros is the retrospectives' part of the incidents card on the
// overview.
type overviewRetros struct {
	Overdue int
	More    bool
}

func (u *UI) overviewRetros(ctx context.Context) (*overviewRetros, error) {
	if !u.retroOn() {
		return nil, nil
	}
	items, more, err := u.overdueItems(ctx)
	if err != nil {
		return nil, err
	}
	return &overviewRetros{Overdue: len(items), More: more}, nil
}

// retroRef is a retrospective as a link shows it.
type retroRef struct {
	ID, Title, State string
}

// similarRow is a past incident or retrospective like the incident, with
// why it was suggested.
type similarRow struct {
	retro.Suggestion
	URL string
	Sev *sevBadge
	// Percent is the score as a whole percentage, for a title.
	Percent int
}

// incidentRetroView is the retrospective part of an incident page.
type incidentRetroView struct {
	// Retros are the incident's retrospectives, newest first.
	Retros   []retroRef
	CanStart bool
	// Templates are the names of the templates to start from, when there
	// is a choice; Template is the one selected.
	Templates []string
	Template  string
	Similar   []similarRow
	// SimilarFailed says the suggestions could not be made; the page
	// works without them.
	SimilarFailed bool
}

// similarCount is how many similar past incidents an incident page shows.
const similarCount = 5

// incidentRetro returns the retrospective part of incident id's page, or
// nil on a server without retrospectives.
func (u *UI) incidentRetro(ctx context.Context, id string, sevs sevScale) (*incidentRetroView, error) {
	if !u.retroOn() {
		return nil, nil
	}
	v := &incidentRetroView{}
	hits, _, err := u.cfg.Retro.Search(ctx, retro.Query{Incident: id, Limit: retro.MaxPage})
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		v.Retros = append(v.Retros, retroRef{ID: h.ID, Title: h.Title, State: h.State})
	}
	if v.CanStart = canRespond(ctx) && len(v.Retros) == 0; v.CanStart {
		ts, err := u.cfg.Retro.Templates(ctx)
		if err != nil {
			return nil, err
		}
		def, err := retro.Pick(ts, "")
		if err != nil {
			return nil, err
		}
		v.Template = def.Name
		if len(ts) > 1 {
			for name := range ts {
				v.Templates = append(v.Templates, name)
			}
			slices.Sort(v.Templates)
		}
	}
	sugs, err := u.cfg.Retro.Similar(ctx, id, similarCount)
	if err != nil {
		// During an incident its page matters more than the suggestions.
		u.log.WarnContext(ctx, "web: similar past incidents", "incident", id, "error", err.Error())
		v.SimilarFailed = true
		return v, nil
	}
	for _, s := range sugs {
		row := similarRow{Suggestion: s, Percent: int(s.Score*100 + 0.5)}
		switch {
		case s.Kind == retro.DocRetrospective && validRetroID(s.ID):
			row.URL = "/retrospectives/" + s.ID
		case s.Kind == retro.DocIncident && validIncidentID(s.ID):
			row.URL = "/incidents/" + s.ID
		}
		if s.Severity != "" {
			b := sevs.badge(s.Severity)
			row.Sev = &b
		}
		v.Similar = append(v.Similar, row)
	}
	return v, nil
}

// startRetro starts the retrospective of an incident from the template
// chosen, and shows it; a refusal comes back on the incident's page.
func (u *UI) startRetro(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	tmpl := strings.TrimSpace(r.PostForm.Get("template"))
	var rt *retro.Retrospective
	if err = palisade.Authorize(r.Context(), palisade.RoleResponder); err == nil {
		rt, err = u.cfg.Retro.Open(r.Context(), id, retro.OpenRequest{Template: tmpl})
	}
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderIncident(w, r, status, id, func(v *incidentView) {
				v.Form, v.Message = formRetro, msg
				if v.Retro != nil && tmpl != "" {
					v.Retro.Template = tmpl
				}
			})
		})
	}
	http.Redirect(w, r, "/retrospectives/"+rt.ID+"?done=opened", http.StatusSeeOther)
	return nil
}
