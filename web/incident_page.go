package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
)

// livePoll is how often an open incident page asks for new timeline
// entries: often enough that responders in a call see each other's notes
// while they talk, rare enough that a room full of open tabs costs little.
const livePoll = 5 * time.Second

// maxRoleName bounds a name typed into a role field.
const maxRoleName = 256

// canRespond reports whether the signed-in actor may work incidents.
func canRespond(ctx context.Context) bool {
	a, _ := palisade.ActorFrom(ctx)
	return a.Role.AtLeast(palisade.RoleResponder)
}

// entryView is one timeline entry, as the page renders it and as the
// timeline's JSON sends it to the page's script, which builds the same
// markup from it.
type entryView struct {
	Seq int64 `json:"seq"`
	// At is RFC 3339 for the datetime attribute; When is what is shown.
	At    string `json:"at"`
	When  string `json:"when"`
	Kind  string `json:"kind"`
	Class string `json:"class"`
	Actor string `json:"actor"`
	Text  string `json:"text"`
}

// entryKinds are the timeline kinds with a look of their own.
var entryKinds = []string{"alert", "status", "severity", "role", "note", "link", "participant", "merge", "notification", "edit"}

func newEntryView(e incident.Entry) entryView {
	class := "entry-other"
	if slices.Contains(entryKinds, e.Kind) {
		class = "entry-" + e.Kind
	}
	at := e.At.UTC()
	return entryView{Seq: e.ID, At: at.Format(time.RFC3339), When: at.Format("2006-01-02 15:04:05 UTC"), Kind: e.Kind, Class: class, Actor: e.Actor, Text: e.Text}
}

// roleRow is one incident role: who holds it, and what its form field
// holds (the same, unless a form came back with an error).
type roleRow struct {
	Role, Who, Value string
}

// linkRow is one link of an incident, with where it points on this site
// (or outside, for a URL); Href is empty when the reference cannot be a
// page here.
type linkRow struct {
	Kind, Ref, Href string
	External        bool
}

func incidentLink(l incident.Link) linkRow {
	r := linkRow{Kind: l.Kind, Ref: l.Ref}
	switch l.Kind {
	case "service":
		if catalog.ValidName(l.Ref) {
			r.Href = "/services/" + url.PathEscape(l.Ref)
		}
	case "vendor":
		if catalog.ValidName(l.Ref) {
			r.Href = "/third-parties/" + url.PathEscape(l.Ref)
		}
	case "slo":
		if catalog.ValidName(l.Ref) {
			r.Href = "/slos/" + url.PathEscape(l.Ref)
		}
	case "finding":
		if validFindingID(l.Ref) {
			r.Href = "/vulnerabilities/findings/" + l.Ref
		}
	case "incident":
		if validIncidentID(l.Ref) {
			r.Href = "/incidents/" + l.Ref
		}
	case "url":
		if strings.HasPrefix(l.Ref, "https://") || strings.HasPrefix(l.Ref, "http://") {
			r.Href, r.External = l.Ref, true
		}
	}
	return r
}

// timeRow is one of an incident's milestones; After says how long after
// the incident opened it came (before, for the impact's start), which is
// what the incident metrics measure.
type timeRow struct {
	Label string
	At    *time.Time
	After string
}

// sinceText says how long d is, to the second under a minute.
func sinceText(d time.Duration) string {
	switch {
	case d < 0:
		return "before it opened"
	case d < time.Minute:
		return plural(int(d/time.Second), "second", "seconds")
	}
	return humanDuration(d)
}

func incidentTimes(in *incident.Incident) []timeRow {
	after := func(label string, t *time.Time) timeRow {
		r := timeRow{Label: label, At: t}
		if t != nil {
			r.After = sinceText(t.Sub(in.OpenedAt)) + " after opening"
		}
		return r
	}
	opened := in.OpenedAt
	impact := timeRow{Label: "Impact started", At: in.ImpactStartedAt}
	if in.ImpactStartedAt != nil {
		impact.After = "detected " + sinceText(in.OpenedAt.Sub(*in.ImpactStartedAt)) + " later"
	}
	return []timeRow{impact, {Label: "Opened", At: &opened}, after("Acknowledged", in.AcknowledgedAt), after("Mitigated", in.MitigatedAt),
		after("Resolved", in.ResolvedAt), after("Closed", in.ClosedAt)}
}

// alertRow is an alert attached to an incident, its labels as k=v.
type alertRow struct {
	incident.Alert
	LabelList []string
}

// refusedMove is a status the incident cannot move to now, and why.
type refusedMove struct {
	Status, Reason string
}

// scaleRow is one level of the severity scale.
type scaleRow struct {
	Badge       sevBadge
	Description string
}

// pageLink is a link to another page about the incident.
type pageLink struct {
	Label, URL string
}

// Forms of the incident page, as incidentView.Form names them.
const (
	formStatus   = "status"
	formSeverity = "severity"
	formRoles    = "roles"
	formNote     = "note"
	// formRetro starts the incident's retrospective.
	formRetro = "retro"
)

type incidentView struct {
	Inc  *incident.Incident
	Sev  sevBadge
	Open bool
	// Final is set for a closed or merged incident: notes are all that
	// can still be added.
	Final      bool
	Role       palisade.Role
	CanRespond bool
	Roles      []roleRow
	Services   []linkRow
	Links      []linkRow
	Times      []timeRow
	Entries    []entryView
	// Last is the sequence number of the last entry shown, where the live
	// timeline carries on from; LiveURL is its JSON, polled every Poll
	// milliseconds.
	Last    int64
	LiveURL string
	Poll    int64
	Alerts  []alertRow
	// Scale is the severity scale, most severe first.
	Scale []scaleRow
	// Moves are the statuses the incident can move to now (merging has
	// its own operation); Refused are the others, with the reason.
	Moves   []string
	Refused []refusedMove
	// People are names to suggest for roles: participants, role holders
	// and the owning team's members.
	People []string
	// Related are links to other pages about the incident: its
	// retrospectives first.
	Related []pageLink
	// Retro is the incident's retrospective and the similar past
	// incidents; nil on a server without retrospectives.
	Retro   *incidentRetroView
	ListURL string
	// Done confirms the form that succeeded.
	Done string
	// Form names the form Message is about; MessageTop is set when that
	// form is not on the page, so the message shows under the heading.
	Form, Message string
	MessageTop    bool
	// StatusNote, SeverityNote and Note keep what was typed into a form
	// that came back with an error.
	StatusNote, SeverityNote, Note string
	StatusChoice, SevChoice        string
}

// incidentDone are the confirmations of ?done=.
var incidentDone = map[string]string{
	"opened":     "The incident is open. Assign a commander, and keep the timeline going.",
	formStatus:   "The status is changed.",
	formSeverity: "The severity is changed.",
	formRoles:    "The roles are updated.",
	formNote:     "Your note is on the timeline.",
}

// incidentPage serves one incident: its header, roles, timeline and
// alerts, and the forms responders work it with.
func (u *UI) incidentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	done := incidentDone[r.URL.Query().Get("done")]
	return u.renderIncident(w, r, http.StatusOK, id, func(v *incidentView) { v.Done = done })
}

// renderIncident renders an incident's page; adjust fills in what a form
// that came back with an error needs. An incident the viewer may not see
// (restricted, or outside a scoped token's teams) is not found.
func (u *UI) renderIncident(w http.ResponseWriter, r *http.Request, status int, id string, adjust func(*incidentView)) error {
	ctx := r.Context()
	inc, err := u.cfg.Incident.Get(ctx, id)
	if err != nil {
		return err
	}
	entries, err := u.cfg.Incident.Timeline(ctx, id, 0)
	if err != nil {
		return err
	}
	alerts, err := u.cfg.Incident.IncidentAlerts(ctx, id)
	if err != nil {
		return err
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	a, _ := palisade.ActorFrom(ctx)
	v := incidentView{Inc: inc, Sev: sevs.badge(inc.Severity), Open: inc.Open(),
		Final: inc.Status == incident.StatusClosed || inc.Status == incident.StatusMerged,
		Role:  a.Role, CanRespond: canRespond(ctx), Times: incidentTimes(inc),
		LiveURL: "/incidents/" + inc.ID + "/timeline.json", Poll: livePoll.Milliseconds(),
		ListURL: "/incidents"}
	for _, s := range sevs {
		v.Scale = append(v.Scale, scaleRow{Badge: sevs.badge(s.Name), Description: s.Description})
	}
	for _, role := range incident.Roles {
		v.Roles = append(v.Roles, roleRow{Role: role, Who: inc.Roles[role], Value: inc.Roles[role]})
	}
	for _, s := range inc.Services {
		v.Services = append(v.Services, incidentLink(incident.Link{Kind: "service", Ref: s}))
	}
	for _, l := range inc.Links {
		if l.Kind != "service" { // listed as the services
			v.Links = append(v.Links, incidentLink(l))
		}
	}
	for _, e := range entries {
		v.Entries = append(v.Entries, newEntryView(e))
		v.Last = max(v.Last, e.ID)
	}
	for _, al := range alerts {
		row := alertRow{Alert: al}
		for k, val := range al.Labels {
			row.LabelList = append(row.LabelList, k+"="+val)
		}
		slices.Sort(row.LabelList)
		v.Alerts = append(v.Alerts, row)
	}
	// Trying each move on a copy tells which the incident allows, and
	// the capability's own reason for each it refuses.
	now := u.cfg.Now()
	for _, to := range incident.Statuses {
		if to == inc.Status || to == incident.StatusMerged {
			continue
		}
		probe := *inc
		if err := probe.Transition(to, now); err != nil {
			v.Refused = append(v.Refused, refusedMove{Status: to, Reason: palisade.ErrorMessage(err)})
		} else {
			v.Moves = append(v.Moves, to)
		}
	}
	if v.People, err = u.incidentPeople(ctx, inc); err != nil {
		return err
	}
	if v.Retro, err = u.incidentRetro(ctx, inc.ID, sevs); err != nil {
		return err
	}
	v.Related = incidentRelated(inc, v.Retro)
	if adjust != nil {
		adjust(&v)
	}
	if v.Message != "" {
		var shown bool
		switch v.Form {
		case formRetro:
			shown = v.Retro != nil && v.Retro.CanStart
		case formNote:
			shown = v.CanRespond
		default:
			shown = v.CanRespond && !v.Final && (v.Form != formStatus || len(v.Moves) > 0)
		}
		v.MessageTop = !shown
	}
	return u.render(w, r, status, "incident", inc.ID+": "+inc.Title, "incidents", v)
}

// incidentPeople are the names the role fields suggest.
func (u *UI) incidentPeople(ctx context.Context, inc *incident.Incident) ([]string, error) {
	people := slices.Clone(inc.Participants)
	for _, who := range inc.Roles {
		people = append(people, who)
	}
	if inc.Team != "" {
		t, err := u.cfg.Catalog.Team(ctx, inc.Team)
		switch {
		case err == nil:
			people = append(people, t.Members...)
		case palisade.ErrorCode(err) != palisade.ENOTFOUND:
			return nil, err
		}
	}
	slices.Sort(people)
	return slices.Compact(people), nil
}

// incidentRelated are the links under an incident's header: its
// retrospectives (rv may be nil), its services' incidents and the metrics.
func incidentRelated(inc *incident.Incident, rv *incidentRetroView) []pageLink {
	var out []pageLink
	if rv != nil {
		for _, rt := range rv.Retros {
			out = append(out, pageLink{Label: "Retrospective " + rt.ID + " (" + retroStateLabel(rt.State) + ")", URL: "/retrospectives/" + rt.ID})
		}
	}
	for _, s := range inc.Services {
		out = append(out, pageLink{Label: "Incidents of " + s, URL: incidentsQuery{Service: s}.link("")})
	}
	return append(out, pageLink{Label: "Incident metrics", URL: "/incidents/metrics"})
}

// incidentFormDone ends a form post on an incident: back to the page with
// a confirmation, or the page again with the error beside the form.
func (u *UI) incidentFormDone(w http.ResponseWriter, r *http.Request, id, form string, err error, keep func(*incidentView)) error {
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderIncident(w, r, status, id, func(v *incidentView) {
				v.Form, v.Message = form, msg
				if keep != nil {
					keep(v)
				}
			})
		})
	}
	http.Redirect(w, r, "/incidents/"+id+"?done="+form, http.StatusSeeOther)
	return nil
}

// formIncident returns the incident a form is about, refusing a viewer
// before anything is read.
func (u *UI) formIncident(ctx context.Context, id string) (*incident.Incident, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	return u.cfg.Incident.Get(ctx, id)
}

// incidentStatus moves an incident to another status, with an optional
// note; a move the incident refuses comes back with the reason.
func (u *UI) incidentStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	to, note := strings.TrimSpace(r.PostForm.Get("status")), strings.TrimSpace(r.PostForm.Get("note"))
	inc, err := u.formIncident(r.Context(), id)
	switch {
	case err != nil:
	case to == "":
		err = palisade.FieldErrorf(palisade.EINVALID, "status", "choose the status to move the incident to")
	case to == inc.Status:
		// The API takes this as no change; a person who picked it from a
		// form that was out of date is told.
		err = palisade.FieldErrorf(palisade.ECONFLICT, "status", "the incident is already %s", to)
	default:
		_, err = u.cfg.Incident.Update(r.Context(), id, incident.Patch{Status: &to, Note: note})
	}
	return u.incidentFormDone(w, r, id, formStatus, err, func(v *incidentView) { v.StatusNote, v.StatusChoice = note, to })
}

// incidentSeverity changes an incident's severity, with an optional note.
func (u *UI) incidentSeverity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	sev, note := strings.TrimSpace(r.PostForm.Get("severity")), strings.TrimSpace(r.PostForm.Get("note"))
	inc, err := u.formIncident(r.Context(), id)
	switch {
	case err != nil:
	case sev == "":
		err = palisade.FieldErrorf(palisade.EINVALID, "severity", "choose a severity")
	case sev == inc.Severity:
		err = palisade.FieldErrorf(palisade.ECONFLICT, "severity", "the incident is already %s", sev)
	default:
		_, err = u.cfg.Incident.Update(r.Context(), id, incident.Patch{Severity: &sev, Note: note})
	}
	return u.incidentFormDone(w, r, id, formSeverity, err, func(v *incidentView) { v.SeverityNote, v.SevChoice = note, sev })
}

// incidentRoles assigns the roles whose field changed. Each field is sent
// with the holder the page showed, so that a role someone else assigned
// since is not overwritten by a form that still shows the old holder.
func (u *UI) incidentRoles(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	values := map[string]string{}
	changes := map[string]string{}
	for _, role := range incident.Roles {
		who := strings.TrimSpace(f.Get("role-" + role))
		values[role] = who
		if who != strings.TrimSpace(f.Get("was-"+role)) {
			changes[role] = who
		}
	}
	_, err = u.formIncident(r.Context(), id)
	if err == nil {
		for _, role := range incident.Roles {
			if len(values[role]) > maxRoleName {
				err = palisade.FieldErrorf(palisade.EINVALID, "role-"+role, "the %s's name is longer than %d characters", role, maxRoleName)
				break
			}
		}
	}
	if err == nil {
		if len(changes) == 0 {
			err = palisade.FieldErrorf(palisade.EINVALID, "roles", "no role changed: type a name to assign a role, or clear a name to leave the role open")
		} else {
			_, err = u.cfg.Incident.Update(r.Context(), id, incident.Patch{Roles: changes})
		}
	}
	return u.incidentFormDone(w, r, id, formRoles, err, func(v *incidentView) {
		for i := range v.Roles {
			v.Roles[i].Value = values[v.Roles[i].Role]
		}
	})
}

// incidentNote writes a note on the timeline.
func (u *UI) incidentNote(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	text := r.PostForm.Get("text")
	if err = palisade.Authorize(r.Context(), palisade.RoleResponder); err == nil {
		_, err = u.cfg.Incident.Note(r.Context(), id, text)
	}
	return u.incidentFormDone(w, r, id, formNote, err, func(v *incidentView) { v.Note = text })
}

// timelineResponse is the timeline's JSON: the entries after the one the
// page has, and the incident's status and severity, so that the page can
// say when its header is out of date.
type timelineResponse struct {
	Entries  []entryView `json:"entries"`
	Last     int64       `json:"last"`
	Status   string      `json:"status"`
	Severity string      `json:"severity"`
}

// timelineJSON answers the live timeline's poll: the entries after ?after.
func (u *UI) timelineJSON(r *http.Request) (any, error) {
	id, err := pathIncidentID(r)
	if err != nil {
		return nil, err
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return nil, palisade.FieldErrorf(palisade.EINVALID, "after", "after must be a timeline entry's number, 0 or more")
		}
	}
	ctx := r.Context()
	inc, err := u.cfg.Incident.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	entries, err := u.cfg.Incident.Timeline(ctx, id, after)
	if err != nil {
		return nil, err
	}
	resp := timelineResponse{Entries: make([]entryView, 0, len(entries)), Last: after, Status: inc.Status, Severity: inc.Severity}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, newEntryView(e))
		resp.Last = max(resp.Last, e.ID)
	}
	return resp, nil
}

// jsonEndpoint wraps a read-only JSON handler for the pages' own script.
// It takes the session like a page, but answers in JSON whatever happens:
// a script cannot follow a redirect to the sign-in form, so an ended
// session is a 401 it can tell the user about.
func (u *UI) jsonEndpoint(h func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := u.authenticate(w, r)
		var v any
		if err == nil {
			v, err = h(r.WithContext(ctx))
		}
		status := http.StatusOK
		if err != nil {
			status = errorStatus(err)
			msg := palisade.ErrorMessage(err)
			if status >= 500 {
				u.log.ErrorContext(r.Context(), "web: request failed", "error", err.Error(), "status", status, "method", r.Method, "path", r.URL.Path,
					"request_id", w.Header().Get("X-Request-Id"))
				msg = "Palisade could not complete this request."
			}
			v = map[string]string{"error": msg}
		}
		b, merr := json.Marshal(v)
		if merr != nil {
			u.log.ErrorContext(r.Context(), "web: encode JSON", "error", merr.Error())
			status, b = http.StatusInternalServerError, []byte(`{"error":"Palisade could not complete this request."}`)
		}
		hdr := w.Header()
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		if _, err := w.Write(append(b, '\n')); err != nil {
			u.log.DebugContext(r.Context(), "web: write JSON", "error", fmt.Sprint(err))
		}
	})
}
