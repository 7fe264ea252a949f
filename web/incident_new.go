package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/incident"
)

// datetimeLocal is the value layout of an <input type="datetime-local">;
// the form says its times are UTC.
const datetimeLocal = "2006-01-02T15:04"

// openForm is the open-incident form as posted, kept as typed so that a
// form that comes back with an error shows what was entered.
type openForm struct {
	Title, Kind, Severity, Summary, Team, Services, Commander, ImpactStarted string
	Restricted                                                               bool
}

func readOpenForm(f url.Values) openForm {
	return openForm{Title: strings.TrimSpace(f.Get("title")), Kind: f.Get("kind"), Severity: f.Get("severity"), Summary: strings.TrimSpace(f.Get("summary")),
		Team: f.Get("team"), Services: strings.TrimSpace(f.Get("services")), Commander: strings.TrimSpace(f.Get("commander")),
		ImpactStarted: strings.TrimSpace(f.Get("impact_started")), Restricted: f.Get("restricted") == "1"}
}

// splitNames splits a list of names typed with commas, spaces or both.
func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// request turns the form into what incident.Service.Open takes; the
// service checks the rest.
func (f openForm) request() (incident.OpenRequest, error) {
	req := incident.OpenRequest{Title: f.Title, Kind: f.Kind, Severity: f.Severity, Summary: f.Summary, Team: f.Team,
		Services: splitNames(f.Services), Restricted: f.Restricted, Commander: f.Commander}
	if len(f.Commander) > maxRoleName {
		return req, palisade.FieldErrorf(palisade.EINVALID, "commander", "the commander's name is longer than %d characters", maxRoleName)
	}
	if f.ImpactStarted != "" {
		t, err := time.ParseInLocation(datetimeLocal, f.ImpactStarted, time.UTC)
		if err != nil {
			// Browsers send seconds when the field's step asks for them.
			if t, err = time.ParseInLocation(datetimeLocal+":05", f.ImpactStarted, time.UTC); err != nil {
				return req, palisade.FieldErrorf(palisade.EINVALID, "impact_started", "the impact's start must be a date and time such as 2026-11-20T09:30 (UTC)")
			}
		}
		req.ImpactStartedAt = &t
	}
	return req, nil
}

type newIncidentView struct {
	Form       openForm
	Kinds      []string
	Severities sevScale
	// Teams are those the incident may belong to: all of them, or a
	// scoped token's own.
	Teams    []string
	Scoped   bool
	Services []string
	// MaxImpact bounds the impact's start: it cannot be in the future.
	MaxImpact string
	Message   string
}

// newIncidentForm serves the form that declares an incident. It needs the
// responder role, as opening one does.
func (u *UI) newIncidentForm(w http.ResponseWriter, r *http.Request) error {
	if err := palisade.Authorize(r.Context(), palisade.RoleResponder); err != nil {
		return err
	}
	svc, err := queryValue(r.URL.Query(), "service")
	if err != nil {
		return err
	}
	return u.renderNewIncident(w, r, http.StatusOK, openForm{Kind: incident.KindSecurity, Services: svc}, "")
}

func (u *UI) renderNewIncident(w http.ResponseWriter, r *http.Request, status int, f openForm, msg string) error {
	ctx := r.Context()
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	a, _ := palisade.ActorFrom(ctx)
	v := newIncidentView{Form: f, Kinds: incidentKinds, Severities: sevs, Scoped: a.Scoped(), Message: msg,
		MaxImpact: u.cfg.Now().UTC().Format(datetimeLocal)}
	if v.Teams, v.Services, err = u.scopeNames(ctx); err != nil {
		return err
	}
	if a.Scoped() {
		v.Teams = slices.Clone(a.Teams)
		if v.Form.Team == "" {
			v.Form.Team = a.Teams[0]
		}
	}
	// The default is the service's own: the second level of the scale.
	if v.Form.Severity == "" && len(sevs) > 0 {
		v.Form.Severity = sevs[min(1, len(sevs)-1)].Name
	}
	return u.render(w, r, status, "incidentnew", "Open an incident", "incidents", v)
}

// openIncident declares an incident and shows it.
func (u *UI) openIncident(w http.ResponseWriter, r *http.Request) error {
	// A viewer never had the form: the refusal is a page of its own.
	if err := palisade.Authorize(r.Context(), palisade.RoleResponder); err != nil {
		return err
	}
	f := readOpenForm(r.PostForm)
	req, err := f.request()
	var inc *incident.Incident
	if err == nil {
		inc, err = u.cfg.Incident.Open(r.Context(), req)
	}
	if err != nil {
		return u.formFailed(err, func(status int, msg string) error {
			return u.renderNewIncident(w, r, status, f, msg)
		})
	}
	http.Redirect(w, r, "/incidents/"+inc.ID+"?done=opened", http.StatusSeeOther)
	return nil
}
