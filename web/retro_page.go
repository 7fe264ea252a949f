package web

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/retro"
)

// retroExportCSP is the policy of the printable page: its one style block
// (by hash) and nothing else, as the page's own meta element says, so that
// a saved copy is as locked down as the served one.
func retroExportCSP() string {
	return "default-src 'none'; style-src " + retro.StyleHash() + "; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// Forms of the retrospective page, as retroView.Form names them. A
// section's form is formSection followed by its key; an action item's,
// formItem followed by its id.
const (
	formDetails = "details"
	formNoItems = "note"
	formState   = "state"
	formNewItem = "item-new"
	formSection = "section-"
	formItem    = "item-"
)

// retroDone are the confirmations of ?done=.
var retroDone = map[string]string{
	"opened":             "The retrospective is started, filled with what the incident knows. Write each section, add the action items, then submit it for review.",
	formDetails:          "The details are saved.",
	formNoItems:          "The note is saved.",
	"section":            "The section is saved.",
	retro.StateInReview:  "The retrospective is submitted for review.",
	retro.StateDraft:     "The retrospective is back in draft.",
	retro.StatePublished: "The retrospective is published.",
	"reopened":           "The retrospective is reopened for review; the reason is in the audit log.",
	formNewItem:          "The action item is added.",
	"item":               "The action item is updated.",
}

// sectionView is one section of a retrospective.
type sectionView struct {
	Key, Title, Prompt string
	Optional           bool
	Body               template.HTML
	Empty              bool
	// Actions says the action items are shown in this section.
	Actions bool
	// Form names the section's edit form; Value is what its textarea
	// holds (what was typed, when the form came back with an error) and
	// Open keeps the form unfolded.
	Form  string
	Value string
	Open  bool
}

// detailsForm is the form of a retrospective's title, severity, services,
// tags and authors, as typed.
type detailsForm struct {
	Title, Severity, Services, Tags, Authors string
}

// itemForm is an action item's form, as typed.
type itemForm struct {
	Title, Owner, Due, Status, Tracker string
}

// itemFieldsView is what the fields of an action item's form need: the
// prefix of their ids, the values and the statuses to choose from.
type itemFieldsView struct {
	Prefix   string
	Form     itemForm
	Statuses []statusOption
}

func newItemFields(prefix string, f itemForm, statuses []statusOption) itemFieldsView {
	return itemFieldsView{Prefix: prefix, Form: f, Statuses: statuses}
}

// itemView is an action item with its edit form.
type itemView struct {
	itemRow
	Form, Action string
	Edit         itemForm
	Open         bool
}

// retroMove is a state the retrospective can move to now, as a button.
type retroMove struct {
	To, Label string
	Primary   bool
}

type retroView struct {
	R          *retro.Retrospective
	StateLabel string
	Sev        *sevBadge
	// IncidentTitle is the reviewed incident's title, when it is known.
	IncidentTitle string
	Role          palisade.Role
	CanRespond    bool
	// Editable is set when the text may change: a responder, and not
	// published. Action items stay editable in every state.
	Editable   bool
	CanAddItem bool
	// Updated is the version the edit forms were made from: a change to
	// a newer version is refused rather than overwriting it.
	Updated         string
	Sections        []sectionView
	TrailingActions bool
	Items           []itemView
	Moves           []retroMove
	Reopen          bool
	Reason          string
	// Blockers are what publishing still needs, in the capability's words.
	Blockers     []string
	Details      detailsForm
	Note         string
	Scale        sevScale
	OffScale     string
	Services     []string
	ItemStatuses []statusOption
	NewItem      itemForm
	PrintURL     string
	MarkdownURL  string
	Done         string
	// Form names the form Messages are about; MessageTop is set when that
	// form is not on the page, so the messages show under the heading.
	Form       string
	Messages   []string
	MessageTop bool
}

// errorMessages are the caller-safe messages of err: every problem of a
// list (the reasons a retrospective cannot be published), or its one.
func errorMessages(err error) []string {
	var es palisade.Errors
	if errors.As(err, &es) && len(es) > 0 {
		out := make([]string, 0, len(es))
		for _, e := range es {
			out = append(out, e.Message)
		}
		return out
	}
	return []string{palisade.ErrorMessage(err)}
}

// retroPage serves one retrospective: its header, sections, action items
// and, for responders, the forms that write and review it.
func (u *UI) retroPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathRetroID(r)
	if err != nil {
		return err
	}
	done := retroDone[r.URL.Query().Get("done")]
	return u.renderRetro(w, r, http.StatusOK, id, func(v *retroView) { v.Done = done })
}

// renderRetro renders a retrospective's page; adjust fills in what a form
// that came back with an error needs.
func (u *UI) renderRetro(w http.ResponseWriter, r *http.Request, status int, id string, adjust func(*retroView)) error {
	ctx := r.Context()
	rt, err := u.cfg.Retro.Get(ctx, id)
	if err != nil {
		return err
	}
	sevs, err := u.severities(ctx)
	if err != nil {
		return err
	}
	a, _ := palisade.ActorFrom(ctx)
	v := retroView{R: rt, StateLabel: retroStateLabel(rt.State), Role: a.Role, CanRespond: canRespond(ctx),
		Updated: rt.UpdatedAt.UTC().Format(time.RFC3339Nano), Scale: sevs,
		PrintURL: "/retrospectives/" + rt.ID + "/export.html", MarkdownURL: "/retrospectives/" + rt.ID + "/export.md",
		Details: detailsForm{Title: rt.Title, Severity: rt.Severity, Services: strings.Join(rt.Services, " "), Tags: strings.Join(rt.Tags, " "),
			Authors: strings.Join(rt.Authors, ", ")},
		Note: rt.NoActionItems, NewItem: itemForm{Status: retro.StatusOpen}}
	v.Editable = v.CanRespond && rt.State != retro.StatePublished
	v.CanAddItem = v.CanRespond && !(rt.State == retro.StatePublished && rt.NoActionItems != "")
	if rt.Severity != "" {
		b := sevs.badge(rt.Severity)
		v.Sev = &b
		if sevs.rank(rt.Severity) == len(sevs) {
			v.OffScale = rt.Severity
		}
	}
	if rt.IncidentID != "" {
		// The capability let the viewer see the retrospective, so the
		// incident is theirs to see; one gone since only loses its title.
		switch inc, err := u.cfg.Incident.Get(ctx, rt.IncidentID); palisade.ErrorCode(err) {
		case "":
			v.IncidentTitle = inc.Title
		case palisade.ENOTFOUND:
		default:
			return err
		}
	}
	hasActions := false
	for _, s := range rt.Sections {
		body, err := s.BodyHTML()
		if err != nil {
			return err
		}
		sv := sectionView{Key: s.Key, Title: s.Title, Prompt: s.Prompt, Optional: s.Optional, Body: body, Empty: strings.TrimSpace(s.Body) == "",
			Form: formSection + s.Key, Value: s.Body}
		if s.Key == retro.KeyActionItem && !hasActions {
			sv.Actions, hasActions = true, true
		}
		v.Sections = append(v.Sections, sv)
	}
	v.TrailingActions = !hasActions
	now := u.cfg.Now()
	for i := range rt.ActionItems {
		it := &rt.ActionItems[i]
		iv := itemView{itemRow: newItemRow(it, now), Form: formItem + it.ID, Action: "/retrospectives/" + rt.ID + "/action-items/" + url.PathEscape(it.ID),
			Edit: itemForm{Title: it.Title, Owner: it.Owner, Status: it.Status, Tracker: it.TrackerURL}}
		if it.DueAt != nil {
			iv.Edit.Due = it.DueAt.UTC().Format(time.DateOnly)
		}
		v.Items = append(v.Items, iv)
	}
	for _, s := range retro.Statuses {
		v.ItemStatuses = append(v.ItemStatuses, statusOption{s, itemStatusLabel(s)})
	}
	switch rt.State {
	case retro.StateDraft:
		v.Moves = []retroMove{{To: retro.StateInReview, Label: "Submit for review", Primary: true}}
	case retro.StateInReview:
		v.Moves = []retroMove{{To: retro.StatePublished, Label: "Publish", Primary: true}, {To: retro.StateDraft, Label: "Send back to draft"}}
	case retro.StatePublished:
		v.Reopen = true
	}
	if rt.State != retro.StatePublished {
		if err := rt.CheckPublishable(); err != nil {
			v.Blockers = errorMessages(err)
		}
	}
	if _, v.Services, err = u.scopeNames(ctx); err != nil {
		return err
	}
	if adjust != nil {
		adjust(&v)
	}
	if len(v.Messages) > 0 {
		var shown bool
		switch {
		case v.Form == formState:
			shown = v.CanRespond
		case v.Form == formNewItem:
			shown = v.CanAddItem
		case strings.HasPrefix(v.Form, formItem):
			shown = v.CanRespond && slices.ContainsFunc(v.Items, func(it itemView) bool { return it.Form == v.Form })
		case v.Form == formDetails, v.Form == formNoItems:
			shown = v.Editable
		case strings.HasPrefix(v.Form, formSection):
			shown = v.Editable && slices.ContainsFunc(v.Sections, func(s sectionView) bool { return s.Form == v.Form })
		}
		v.MessageTop = !shown
	}
	return u.render(w, r, status, "retro", rt.ID+": "+rt.Title, "retrospectives", v)
}

// retroFormDone ends a form post on a retrospective: back to the page with
// a confirmation (and to anchor, when set), or the page again with the
// refusal beside the form.
func (u *UI) retroFormDone(w http.ResponseWriter, r *http.Request, id, form, done, anchor string, err error, keep func(*retroView)) error {
	if err != nil {
		msgs := errorMessages(err)
		return u.formFailed(err, func(status int, _ string) error {
			return u.renderRetro(w, r, status, id, func(v *retroView) {
				v.Form, v.Messages = form, msgs
				if keep != nil {
					keep(v)
				}
			})
		})
	}
	to := "/retrospectives/" + id + "?done=" + url.QueryEscape(done)
	if anchor != "" {
		to += "#" + anchor
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// splitList splits a list typed with commas or new lines (names that may
// hold spaces, such as authors).
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// formText is a textarea's value with the line ends browsers send (CRLF)
// made plain, so that Markdown is stored as it was typed.
func formText(f url.Values, name string) string {
	return strings.ReplaceAll(f.Get(name), "\r\n", "\n")
}

// retroEdit changes a retrospective's text: its details, the
// no-action-items note or one section, as the form field says. Each form
// carries the version it was made from, so that it cannot silently
// overwrite a change someone made since.
func (u *UI) retroEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathRetroID(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := f.Get("form")
	var p retro.Patch
	if s := f.Get("updated"); s != "" {
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			err = palisade.FieldErrorf(palisade.EINVALID, "updated", "the form does not say which version it was made from: reload the page")
		}
		p.UpdatedAt = &t
	}
	var details detailsForm
	var note, body, done, anchor string
	switch {
	case form == formDetails:
		details = detailsForm{Title: strings.TrimSpace(f.Get("title")), Severity: strings.TrimSpace(f.Get("severity")), Services: f.Get("services"),
			Tags: f.Get("tags"), Authors: f.Get("authors")}
		services, tags, authors := splitNames(details.Services), splitNames(details.Tags), splitList(details.Authors)
		p.Title, p.Severity, p.Services, p.Tags, p.Authors = &details.Title, &details.Severity, &services, &tags, &authors
		done = formDetails
	case form == formNoItems:
		note = strings.TrimSpace(formText(f, "note"))
		p.NoActionItems, done, anchor = &note, formNoItems, "action-items"
	case strings.HasPrefix(form, formSection) && len(form) > len(formSection):
		key := strings.TrimPrefix(form, formSection)
		body = formText(f, "body")
		p.Sections, done, anchor = map[string]string{key: body}, "section", "section-"+key
	default:
		err = palisade.FieldErrorf(palisade.EINVALID, "form", "the form does not say what it changes: reload the page")
	}
	if err == nil {
		err = palisade.Authorize(r.Context(), palisade.RoleResponder)
	}
	if err == nil {
		_, err = u.cfg.Retro.Update(r.Context(), id, p)
	}
	return u.retroFormDone(w, r, id, form, done, anchor, err, func(v *retroView) {
		switch {
		case form == formDetails:
			v.Details = details
		case form == formNoItems:
			v.Note = note
		default:
			for i := range v.Sections {
				if v.Sections[i].Form == form {
					v.Sections[i].Value, v.Sections[i].Open = body, true
				}
			}
		}
	})
}

// retroState moves a retrospective to another state: for review, back to
// draft, published, or reopened from published with a reason. A refusal
// to publish lists every reason the capability gives.
func (u *UI) retroState(w http.ResponseWriter, r *http.Request) error {
	id, err := pathRetroID(r)
	if err != nil {
		return err
	}
	to, reason := strings.TrimSpace(r.PostForm.Get("to")), strings.TrimSpace(formText(r.PostForm, "reason"))
	done := to
	if r.PostForm.Has("reason") {
		done = "reopened" // only the reopen form asks for a reason
	}
	if to == "" {
		err = palisade.FieldErrorf(palisade.EINVALID, "to", "choose the state to move the retrospective to")
	}
	if err == nil {
		err = palisade.Authorize(r.Context(), palisade.RoleResponder)
	}
	if err == nil {
		_, err = u.cfg.Retro.Transition(r.Context(), id, to, reason)
	}
	return u.retroFormDone(w, r, id, formState, done, "", err, func(v *retroView) { v.Reason = reason })
}

// dueEndOfDay is the due time of a date typed into a form: the end of that
// day, UTC, so that an item is overdue from the day after.
func dueEndOfDay(s string) (*time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "due", "the due date must be a date such as 2026-12-01")
	}
	t := d.Add(24*time.Hour - time.Second)
	return &t, nil
}

func readItemForm(f url.Values) itemForm {
	return itemForm{Title: strings.TrimSpace(f.Get("title")), Owner: strings.TrimSpace(f.Get("owner")), Due: strings.TrimSpace(f.Get("due")),
		Status: strings.TrimSpace(f.Get("status")), Tracker: strings.TrimSpace(f.Get("tracker"))}
}

// retroAddItem adds an action item to a retrospective.
func (u *UI) retroAddItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathRetroID(r)
	if err != nil {
		return err
	}
	in := readItemForm(r.PostForm)
	req := retro.ItemInput{Title: in.Title, Owner: in.Owner, Status: in.Status, TrackerURL: in.Tracker}
	if in.Due != "" {
		req.DueAt, err = dueEndOfDay(in.Due)
	}
	if err == nil {
		err = palisade.Authorize(r.Context(), palisade.RoleResponder)
	}
	if err == nil {
		_, err = u.cfg.Retro.AddActionItem(r.Context(), id, req)
	}
	return u.retroFormDone(w, r, id, formNewItem, formNewItem, "action-items", err, func(v *retroView) { v.NewItem = in })
}

// retroUpdateItem changes an action item: the fields its form changed.
func (u *UI) retroUpdateItem(w http.ResponseWriter, r *http.Request) error {
	id, err := pathRetroID(r)
	if err != nil {
		return err
	}
	itemID := r.PathValue("item")
	form := formItem + itemID
	in := readItemForm(r.PostForm)
	if err = palisade.Authorize(r.Context(), palisade.RoleResponder); err == nil {
		var rt *retro.Retrospective
		if rt, err = u.cfg.Retro.Get(r.Context(), id); err == nil {
			if cur := rt.ActionItem(itemID); cur == nil {
				err = palisade.Errorf(palisade.ENOTFOUND, "retrospective %s has no action item %.70q", id, itemID)
			} else {
				var p retro.ItemPatch
				p, err = itemPatch(cur, in)
				if err == nil {
					_, err = u.cfg.Retro.UpdateActionItem(r.Context(), id, itemID, p)
				}
			}
		}
	}
	if palisade.ErrorCode(err) == palisade.ENOTFOUND {
		return err // no such item or retrospective: a page of its own
	}
	return u.retroFormDone(w, r, id, form, "item", "action-items", err, func(v *retroView) {
		for i := range v.Items {
			if v.Items[i].Form == form {
				v.Items[i].Edit, v.Items[i].Open = in, true
			}
		}
	})
}

// itemPatch is the change from cur to what its form holds. The due date
// changes only when the date shown changed, so that a time set through the
// API is not moved to the end of its day by an unrelated edit.
func itemPatch(cur *retro.ActionItem, in itemForm) (retro.ItemPatch, error) {
	p := retro.ItemPatch{Title: &in.Title, Owner: &in.Owner, TrackerURL: &in.Tracker}
	if in.Status != "" {
		p.Status = &in.Status
	}
	was := ""
	if cur.DueAt != nil {
		was = cur.DueAt.UTC().Format(time.DateOnly)
	}
	switch {
	case in.Due == was:
	case in.Due == "":
		p.DueAt = retro.OptionalTime{Set: true}
	default:
		t, err := dueEndOfDay(in.Due)
		if err != nil {
			return p, err
		}
		p.DueAt = retro.OptionalTime{Set: true, Time: t}
	}
	return p, nil
}

// retroExport serves a retrospective as the capability exports it: the
// printable page under a policy that allows its one style block and
// nothing else, or the Markdown as a download.
func (u *UI) retroExport(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathRetroID(r)
		if err != nil {
			return err
		}
		ex, err := u.cfg.Retro.Export(r.Context(), id, format)
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", ex.MediaType)
		h.Set("Cache-Control", "no-store")
		disposition := "attachment"
		if format == retro.FormatHTML {
			h.Set("Content-Security-Policy", retroExportCSP())
			disposition = "inline"
		}
		h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": ex.Filename}))
		if _, err := w.Write(ex.Body); err != nil {
			u.log.DebugContext(r.Context(), "web: write export", "error", err)
		}
		return nil
	}
}
