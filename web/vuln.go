package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/vuln"
)

// maxSelected bounds the findings one bulk form may change: more than any
// page shows, few enough that the form stays under maxFormBytes.
const maxSelected = 500

// maxBackLen bounds the list address a bulk form carries back.
const maxBackLen = 2048

// stateOption is one choice of the list's state filter.
type stateOption struct {
	Value, Label string
}

// stateFilters are the list's state choices: the open findings (the
// default, what needs work), every finding, or one state.
var stateFilters = append([]stateOption{{"open", "Open (needs work)"}, {"all", "Any state"}}, triageStates...)

// triageStates are the states a decision can set.
var triageStates = func() []stateOption {
	var out []stateOption
	for _, s := range vuln.States {
		out = append(out, stateOption{s, strings.ReplaceAll(s, "_", " ")})
	}
	return out
}()

// findingsQuery is the list page's filter, as its address gives it.
type findingsQuery struct {
	Service, Team, Severity string
	// State is "open", "all" or one of vuln.States.
	State        string
	KEV, Overdue bool
	// After is the list's cursor.
	After string
}

// parseFindingsQuery reads the filter of the list page. An absent state
// means open: the list's first use is "what needs work".
func parseFindingsQuery(q url.Values) (findingsQuery, error) {
	var fq findingsQuery
	var err error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"service", &fq.Service}, {"team", &fq.Team}, {"severity", &fq.Severity}, {"state", &fq.State}, {"after", &fq.After}} {
		if *p.dst, err = queryValue(q, p.name); err != nil {
			return findingsQuery{}, err
		}
	}
	if fq.Severity != "" && !slices.Contains(vuln.Severities, fq.Severity) {
		return findingsQuery{}, palisade.FieldErrorf(palisade.EINVALID, "severity", "severity must be one of %s", strings.Join(vuln.Severities, ", "))
	}
	switch {
	case fq.State == "":
		fq.State = "open"
	case fq.State == "open", fq.State == "all", slices.Contains(vuln.States, fq.State):
	default:
		return findingsQuery{}, palisade.FieldErrorf(palisade.EINVALID, "state", "state must be open, all or one of %s", strings.Join(vuln.States, ", "))
	}
	fq.KEV, fq.Overdue = flag(q.Get("kev")), flag(q.Get("overdue"))
	return fq, nil
}

// flag reads a checkbox: browsers send "on" unless the box names a value.
func flag(s string) bool { return s == "1" || s == "on" || s == "true" }

// values encodes the filter without the cursor; the default state is left
// out so that the plain list has the plain address.
func (fq findingsQuery) values() url.Values {
	p := url.Values{}
	for k, v := range map[string]string{"service": fq.Service, "team": fq.Team, "severity": fq.Severity} {
		if v != "" {
			p.Set(k, v)
		}
	}
	if fq.State != "open" {
		p.Set("state", fq.State)
	}
	if fq.KEV {
		p.Set("kev", "1")
	}
	if fq.Overdue {
		p.Set("overdue", "1")
	}
	return p
}

// link returns the list's address for this filter at cursor after, with
// extra key-value pairs.
func (fq findingsQuery) link(after string, extra ...string) string {
	p := fq.values()
	if after != "" {
		p.Set("after", after)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		p.Set(extra[i], extra[i+1])
	}
	if len(p) == 0 {
		return "/vulnerabilities"
	}
	return "/vulnerabilities?" + p.Encode()
}

// filtered reports whether the filter differs from the default view.
func (fq findingsQuery) filtered() bool {
	return fq.Service != "" || fq.Team != "" || fq.Severity != "" || fq.State != "open" || fq.KEV || fq.Overdue
}

// scope is what the severity counts above the list cover: the filter's
// service, else its team, else everything.
func (fq findingsQuery) scope() vuln.Scope {
	if fq.Service != "" {
		return vuln.Scope{Service: fq.Service}
	}
	return vuln.Scope{Team: fq.Team}
}

// filter turns the page's filter into the CVE process's, resolving a team
// to its services the way the metrics do.
func (u *UI) filter(ctx context.Context, fq findingsQuery, limit int) (vuln.FindingFilter, error) {
	f := vuln.FindingFilter{Service: fq.Service, Severity: fq.Severity, Overdue: fq.Overdue, After: fq.After, Limit: limit}
	if fq.State != "all" {
		f.State = fq.State
	}
	if fq.KEV {
		kev := true
		f.KEV = &kev
	}
	if fq.Team != "" {
		// An empty, non-nil list matches nothing: an unknown team, or one
		// without services, has no findings.
		f.Services = []string{}
		if catalog.ValidName(fq.Team) {
			if err := u.eachService(ctx, catalog.ServiceFilter{Team: fq.Team}, func(s catalog.Service) {
				f.Services = append(f.Services, s.Name)
			}); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// findingRow is a finding as a table shows it.
type findingRow struct {
	vuln.Finding
	Open, Overdue bool
	// Accepted is set while a risk acceptance holds.
	Accepted bool
	CVSSText string
	EPSSText string
	// Selected keeps a row's checkbox ticked when a bulk form comes back
	// with an error.
	Selected bool
}

func newFindingRow(f vuln.Finding, now time.Time) findingRow {
	return findingRow{Finding: f, Open: f.Open(now), Overdue: f.Overdue(now), Accepted: f.Acceptance.Active(now), CVSSText: cvssText(f.CVSS), EPSSText: epssText(f.EPSS)}
}

func cvssText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// epssText shows a probability as a percentage; most are tiny, and "0.0%"
// would read as "cannot happen".
func epssText(v *float64) string {
	switch {
	case v == nil:
		return ""
	case *v*100 < 0.1:
		return "<0.1%"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

// severityCount is one severity's open findings, linked to their list.
type severityCount struct {
	Severity string
	Count    int
	URL      string
}

// countsView sums up the open findings of the list's scope.
type countsView struct {
	Scope      string
	Open       int
	Severities []severityCount
	Overdue    int
	OverdueURL string
	KEV        int
	KEVURL     string
	MetricsURL string
}

// bulkForm is what a bulk form posted, kept to fill the form again when it
// comes back with an error.
type bulkForm struct {
	IDs                                  map[string]bool
	State, Justification, Detail, Reason string
	AcceptReason, RequestedBy, Expires   string
}

func readBulkForm(f url.Values) *bulkForm {
	b := &bulkForm{IDs: map[string]bool{}}
	for _, id := range f["id"] {
		b.IDs[id] = true
	}
	b.State, b.Justification = strings.TrimSpace(f.Get("state")), strings.TrimSpace(f.Get("justification"))
	b.Detail, b.Reason = strings.TrimSpace(f.Get("detail")), strings.TrimSpace(f.Get("reason"))
	b.AcceptReason, b.RequestedBy = strings.TrimSpace(f.Get("accept_reason")), strings.TrimSpace(f.Get("requested_by"))
	b.Expires = strings.TrimSpace(f.Get("expires"))
	return b
}

// triage builds the decision. An empty state is refused here, in words
// that fit the form: it is also what an Enter key in the risk acceptance
// fields sends, since the form's first button is the triage one.
func (b *bulkForm) triage() (vuln.Triage, error) {
	if b.State == "" {
		return vuln.Triage{}, palisade.FieldErrorf(palisade.EINVALID, "state", "choose the state to set")
	}
	return b.values(), nil
}

// values is the decision as posted, to fill the form again.
func (b *bulkForm) values() vuln.Triage {
	return vuln.Triage{State: b.State, Justification: b.Justification, Detail: b.Detail, Reason: b.Reason}
}

// accept builds the acceptance request; the date input gives a day, and
// the acceptance ends at the start of that day, UTC, as the finding's
// history then says ("accepted until <day>").
func (b *bulkForm) accept() (vuln.AcceptRequest, error) {
	r := vuln.AcceptRequest{Reason: b.AcceptReason, RequestedBy: b.RequestedBy}
	if b.Expires == "" {
		return r, palisade.FieldErrorf(palisade.EINVALID, "expires", "give the date the risk acceptance expires")
	}
	day, err := time.Parse(time.DateOnly, b.Expires)
	if err != nil {
		return r, palisade.FieldErrorf(palisade.EINVALID, "expires", "the expiry date must be a date like 2026-12-31")
	}
	r.ExpiresAt = day
	return r, nil
}

// roles says what the signed-in actor may do on the CVE pages. The role
// is the session's; the CVE process checks it again on every change, so
// this only decides how the forms look.
type roles struct {
	Role      palisade.Role
	CanTriage bool
	CanAccept bool
}

func rolesOf(ctx context.Context) roles {
	a, _ := palisade.ActorFrom(ctx)
	return roles{Role: a.Role, CanTriage: a.Role.AtLeast(palisade.RoleResponder), CanAccept: a.Role.AtLeast(palisade.RoleEditor)}
}

type findingsView struct {
	roles
	Query          findingsQuery
	Severities     []string
	States         []stateOption
	TriageStates   []stateOption
	Justifications []string
	Teams          []string
	Services       []string
	Filtered       bool
	Counts         *countsView
	Rows           []findingRow
	FirstURL       string
	NextURL        string
	// Back is the list's query, carried by the bulk forms so that they
	// return to the same view.
	Back string
	// Done confirms a bulk action that succeeded.
	Done string
	// Message is the error of a bulk action that failed.
	Message string
	Form    *bulkForm
	// MinExpires and MaxExpires bound the acceptance date input.
	MinExpires, MaxExpires string
}

// doneMessages are the confirmations a redirect may ask for. The page shows
// only these texts and a number, never text from the address.
var doneMessages = map[string][2]string{
	"triaged":  {"finding triaged", "findings triaged"},
	"accepted": {"finding risk-accepted", "findings risk-accepted"},
}

func doneMessage(q url.Values) string {
	m, ok := doneMessages[q.Get("did")]
	n, err := strconv.Atoi(q.Get("done"))
	if !ok || err != nil || n < 0 || n > maxSelected {
		return ""
	}
	if n == 1 {
		return "1 " + m[0] + "."
	}
	return strconv.Itoa(n) + " " + m[1] + "."
}

// findings serves the list of findings.
func (u *UI) findings(w http.ResponseWriter, r *http.Request) error {
	fq, err := parseFindingsQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return u.renderFindings(w, r, http.StatusOK, fq, nil, "", doneMessage(r.URL.Query()))
}

// renderFindings renders the list; form and message are set when a bulk
// form comes back with an error.
func (u *UI) renderFindings(w http.ResponseWriter, r *http.Request, status int, fq findingsQuery, form *bulkForm, message, done string) error {
	ctx := r.Context()
	now := u.cfg.Now()
	f, err := u.filter(ctx, fq, pageSize)
	if err != nil {
		return err
	}
	items, next, err := u.cfg.Vuln.ListFindings(ctx, f)
	if err != nil {
		return err
	}
	v := findingsView{
		roles: rolesOf(ctx), Query: fq, Severities: vuln.Severities, States: stateFilters, TriageStates: triageStates, Justifications: vuln.Justifications,
		Filtered: fq.filtered(), Back: fq.link(fq.After), Done: done, Message: message, Form: form,
		MinExpires: now.AddDate(0, 0, 1).Format(time.DateOnly), MaxExpires: now.Add(vuln.MaxAcceptance).Format(time.DateOnly),
	}
	if v.Form == nil {
		v.Form = &bulkForm{IDs: map[string]bool{}}
	}
	for _, it := range items {
		row := newFindingRow(it, now)
		row.Selected = v.Form.IDs[it.ID]
		v.Rows = append(v.Rows, row)
	}
	if fq.After != "" {
		v.FirstURL = fq.link("")
	}
	if next != "" {
		v.NextURL = fq.link(next)
	}
	if v.Counts, err = u.counts(ctx, fq); err != nil {
		return err
	}
	if v.Teams, v.Services, err = u.scopeNames(ctx); err != nil {
		return err
	}
	return u.render(w, r, status, "findings", "Vulnerabilities", "vulnerabilities", v)
}

// counts sums up the open findings of the filter's scope from the CVE
// metrics, which count them by severity already. A service or team that
// does not exist has none to count.
func (u *UI) counts(ctx context.Context, fq findingsQuery) (*countsView, error) {
	sc := fq.scope()
	rep, err := u.cfg.Vuln.Metrics(ctx, sc, u.cfg.Now())
	if palisade.ErrorCode(err) == palisade.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	m := rep.Current
	// The counts' links keep the scope and drop the rest of the filter,
	// since the counts are of the scope's open findings.
	base := findingsQuery{Service: fq.Service, Team: fq.Team, State: "open"}
	c := &countsView{Scope: scopeLabel(sc), Open: m.Open, Overdue: m.Overdue, KEV: m.OpenKEV,
		OverdueURL: func() string { q := base; q.Overdue = true; return q.link("") }(),
		KEVURL:     func() string { q := base; q.KEV = true; return q.link("") }(),
		MetricsURL: metricsURL(sc),
	}
	for _, s := range vuln.Severities {
		q := base
		q.Severity = s
		c.Severities = append(c.Severities, severityCount{Severity: s, Count: m.OpenBySeverity[s], URL: q.link("")})
	}
	return c, nil
}

func scopeLabel(sc vuln.Scope) string {
	switch {
	case sc.Service != "":
		return "service " + sc.Service
	case sc.Team != "":
		return "team " + sc.Team
	}
	return "all services"
}

// scopeNames returns the teams and services a filter can name, for the
// filter's choices. Services are suggestions only, so one page of them is
// enough.
func (u *UI) scopeNames(ctx context.Context) (teams, services []string, err error) {
	after := ""
	for {
		page, next, err := u.cfg.Catalog.ListTeams(ctx, after, catalog.MaxPageSize)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range page {
			teams = append(teams, t.Name)
		}
		if next == "" {
			break
		}
		after = next
	}
	page, _, err := u.cfg.Catalog.ListServices(ctx, catalog.ServiceFilter{Limit: catalog.MaxPageSize})
	if err != nil {
		return nil, nil, err
	}
	for _, s := range page {
		services = append(services, s.Name)
	}
	return teams, services, nil
}

// selectedIDs returns the findings a bulk form selected.
func selectedIDs(f url.Values) ([]string, error) {
	ids := f["id"]
	if len(ids) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "id", "select at least one finding in the table")
	}
	if len(ids) > maxSelected {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "id", "select at most %d findings at once", maxSelected)
	}
	for _, id := range ids {
		if !validFindingID(id) {
			return nil, palisade.FieldErrorf(palisade.EINVALID, "id", "%q is not a finding id", id)
		}
	}
	return ids, nil
}

// validFindingID reports whether s has the shape vuln.FindingID gives ids,
// so that anything else is refused without a query.
func validFindingID(s string) bool {
	if len(s) != 17 || s[0] != 'F' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// backQuery reads the list view a bulk form came from. It is rebuilt from
// the filter's own fields, so a forged value can only change the filter,
// never send the browser elsewhere; one that does not parse means the
// default view.
func backQuery(s string) findingsQuery {
	def := findingsQuery{State: "open"}
	if len(s) > maxBackLen {
		return def
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[i+1:]
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return def
	}
	fq, err := parseFindingsQuery(q)
	if err != nil {
		return def
	}
	return fq
}

// bulkTriage records one decision on the selected findings.
func (u *UI) bulkTriage(w http.ResponseWriter, r *http.Request) error {
	return u.bulk(w, r, palisade.RoleResponder, "triaged", func(ctx context.Context, ids []string, form *bulkForm) (int, error) {
		t, err := form.triage()
		if err != nil {
			return 0, err
		}
		fs, err := u.cfg.Vuln.Triage(ctx, ids, t)
		return len(fs), err
	})
}

// bulkAccept accepts the risk of the selected findings until a date.
func (u *UI) bulkAccept(w http.ResponseWriter, r *http.Request) error {
	return u.bulk(w, r, palisade.RoleEditor, "accepted", func(ctx context.Context, ids []string, form *bulkForm) (int, error) {
		req, err := form.accept()
		if err != nil {
			return 0, err
		}
		fs, err := u.cfg.Vuln.Accept(ctx, ids, req)
		return len(fs), err
	})
}

// bulk runs a bulk action and sends the browser back to the list it came
// from with a confirmation, or shows the list again with the error and the
// form as it was filled. The role is checked first, so that a viewer learns
// that the action is not theirs before being told how to fill the form.
func (u *UI) bulk(w http.ResponseWriter, r *http.Request, role palisade.Role, did string, act func(context.Context, []string, *bulkForm) (int, error)) error {
	ctx := r.Context()
	fq := backQuery(r.PostForm.Get("back"))
	form := readBulkForm(r.PostForm)
	n, err := 0, palisade.Authorize(ctx, role)
	if err == nil {
		var ids []string
		if ids, err = selectedIDs(r.PostForm); err == nil {
			n, err = act(ctx, ids, form)
		}
	}
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderFindings(w, r, status, fq, form, msg, "")
		})
	}
	http.Redirect(w, r, fq.link(fq.After, "done", strconv.Itoa(n), "did", did), http.StatusSeeOther)
	return nil
}

// formFailed shows a refused form again through show, with the error's
// message and status. Failures of Palisade itself are not the form's
// fault: they become the error page, logged, without detail.
func (u *UI) formFailed(err error, show func(status int, msg string) error) error {
	status := errorStatus(err)
	if status >= 500 || status == http.StatusUnauthorized {
		return err
	}
	return show(status, palisade.ErrorMessage(err))
}

// pathFindingID returns the {id} of the path when it can name a finding.
func pathFindingID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !validFindingID(id) {
		return "", palisade.Errorf(palisade.ENOTFOUND, "there is no finding %q", id)
	}
	return id, nil
}

// eventRow is one entry of a finding's history.
type eventRow struct {
	vuln.Event
	// Changed is set when the event moved the finding to another state.
	Changed bool
}

type findingView struct {
	roles
	F                 *vuln.Finding
	Events            []eventRow
	Open, Overdue     bool
	CVSSText          string
	EPSSText          string
	OSVURL            string
	AcceptanceActive  bool
	AcceptanceExpired bool
	// Acceptable is set when the finding's state allows a risk acceptance.
	Acceptable     bool
	States         []stateOption
	Justifications []string
	// Triage and Accept fill the forms: the finding's current decision, or
	// what was posted when a form comes back with an error.
	Triage        vuln.Triage
	Accept        bulkForm
	TriageMessage string
	AcceptMessage string
	Done          string
	// MinExpires and MaxExpires bound the acceptance date input.
	MinExpires, MaxExpires string
	ListURL                string
}

// finding serves one finding's page.
func (u *UI) finding(w http.ResponseWriter, r *http.Request) error {
	id, err := pathFindingID(r)
	if err != nil {
		return err
	}
	done := ""
	switch r.URL.Query().Get("done") {
	case "triaged":
		done = "Your decision is recorded."
	case "accepted":
		done = "The risk acceptance is recorded."
	}
	return u.renderFinding(w, r, http.StatusOK, id, func(v *findingView) { v.Done = done })
}

// renderFinding renders a finding's page; adjust fills in what a form that
// came back with an error needs.
func (u *UI) renderFinding(w http.ResponseWriter, r *http.Request, status int, id string, adjust func(*findingView)) error {
	ctx := r.Context()
	f, events, err := u.cfg.Vuln.Finding(ctx, id)
	if err != nil {
		return err
	}
	now := u.cfg.Now()
	v := findingView{
		roles: rolesOf(ctx), F: f, Open: f.Open(now), Overdue: f.Overdue(now), CVSSText: cvssText(f.CVSS), EPSSText: epssText(f.EPSS),
		OSVURL:           "https://osv.dev/vulnerability/" + url.PathEscape(f.Advisory),
		AcceptanceActive: f.Acceptance.Active(now), Acceptable: f.State == vuln.StateInTriage || f.State == vuln.StateExploitable,
		States: triageStates, Justifications: vuln.Justifications,
		Triage:     vuln.Triage{State: f.State, Justification: f.Justification, Detail: f.Detail},
		MinExpires: now.AddDate(0, 0, 1).Format(time.DateOnly), MaxExpires: now.Add(vuln.MaxAcceptance).Format(time.DateOnly),
		ListURL: findingsQuery{Service: f.Service, State: "open"}.link(""),
	}
	v.AcceptanceExpired = f.Acceptance != nil && !v.AcceptanceActive
	// Newest first: the latest decision is what a reader looks for.
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		v.Events = append(v.Events, eventRow{Event: e, Changed: e.FromState != "" && e.ToState != "" && e.FromState != e.ToState})
	}
	if adjust != nil {
		adjust(&v)
	}
	return u.render(w, r, status, "finding", f.Advisory+" in "+f.Service, "vulnerabilities", v)
}

// findingTriage records a decision on one finding.
func (u *UI) findingTriage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathFindingID(r)
	if err != nil {
		return err
	}
	form := readBulkForm(r.PostForm)
	err = palisade.Authorize(r.Context(), palisade.RoleResponder)
	if err == nil {
		var t vuln.Triage
		if t, err = form.triage(); err == nil {
			_, err = u.cfg.Vuln.Triage(r.Context(), []string{id}, t)
		}
	}
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderFinding(w, r, status, id, func(v *findingView) { v.Triage, v.TriageMessage = form.values(), msg })
		})
	}
	http.Redirect(w, r, "/vulnerabilities/findings/"+id+"?done=triaged", http.StatusSeeOther)
	return nil
}

// findingAccept accepts the risk of one finding until a date.
func (u *UI) findingAccept(w http.ResponseWriter, r *http.Request) error {
	id, err := pathFindingID(r)
	if err != nil {
		return err
	}
	form := readBulkForm(r.PostForm)
	err = palisade.Authorize(r.Context(), palisade.RoleEditor)
	if err == nil {
		var req vuln.AcceptRequest
		if req, err = form.accept(); err == nil {
			_, err = u.cfg.Vuln.Accept(r.Context(), []string{id}, req)
		}
	}
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderFinding(w, r, status, id, func(v *findingView) { v.Accept, v.AcceptMessage = *form, msg })
		})
	}
	http.Redirect(w, r, "/vulnerabilities/findings/"+id+"?done=accepted", http.StatusSeeOther)
	return nil
}

// serviceVulnView is the vulnerabilities section of a service page.
type serviceVulnView struct {
	Service string
	// Inventory is nil when none was recorded yet.
	Inventory *vuln.Inventory
	Findings  []findingRow
	// More is set when the service has more open findings than shown.
	More       bool
	ListURL    string
	MetricsURL string
}

// serviceFindingsMax is how many open findings a service page lists; the
// list page has the rest.
const serviceFindingsMax = 20

func (u *UI) serviceVuln(ctx context.Context, name string) (*serviceVulnView, error) {
	v := &serviceVulnView{Service: name, ListURL: findingsQuery{Service: name, State: "open"}.link(""),
		MetricsURL: metricsURL(vuln.Scope{Service: name})}
	inv, err := u.cfg.Vuln.Inventory(ctx, name)
	switch palisade.ErrorCode(err) {
	case "":
		v.Inventory = inv
	case palisade.ENOTFOUND:
	default:
		return nil, err
	}
	items, next, err := u.cfg.Vuln.ListFindings(ctx, vuln.FindingFilter{Service: name, State: "open", Limit: serviceFindingsMax})
	if err != nil {
		return nil, err
	}
	now := u.cfg.Now()
	for _, f := range items {
		v.Findings = append(v.Findings, newFindingRow(f, now))
	}
	v.More = next != ""
	return v, nil
}

// overviewVuln is the CVE process's card on the overview.
type overviewVuln struct {
	Open, Overdue, OpenKEV int
}

func (u *UI) overviewVuln(ctx context.Context) (*overviewVuln, error) {
	rep, err := u.cfg.Vuln.Metrics(ctx, vuln.Scope{}, u.cfg.Now())
	if err != nil {
		return nil, err
	}
	return &overviewVuln{Open: rep.Current.Open, Overdue: rep.Current.Overdue, OpenKEV: rep.Current.OpenKEV}, nil
}
