package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// OpenRequest is an incident declared by a person.
type OpenRequest struct {
	Title      string   `json:"title"`
	Kind       string   `json:"kind"`
	Severity   string   `json:"severity"`
	Summary    string   `json:"summary"`
	Team       string   `json:"team"`
	Services   []string `json:"services"`
	Restricted bool     `json:"restricted"`
	// Commander takes the commander role; empty leaves it open.
	Commander string   `json:"commander"`
	Links     []Link   `json:"links"`
	Notify    []string `json:"notify"`
	// ImpactStartedAt is when the problem began, if known.
	ImpactStartedAt *time.Time `json:"impactStartedAt"`
}

// Patch is a change to an incident; nil and empty fields stay as they are.
type Patch struct {
	Title      *string `json:"title"`
	Summary    *string `json:"summary"`
	Severity   *string `json:"severity"`
	Status     *string `json:"status"`
	Kind       *string `json:"kind"`
	Team       *string `json:"team"`
	Restricted *bool   `json:"restricted"`
	// Roles assigns people to roles; an empty name clears the role.
	Roles              map[string]string `json:"roles"`
	AddParticipants    []string          `json:"addParticipants"`
	RemoveParticipants []string          `json:"removeParticipants"`
	AddServices        []string          `json:"addServices"`
	RemoveServices     []string          `json:"removeServices"`
	AddLinks           []Link            `json:"addLinks"`
	RemoveLinks        []Link            `json:"removeLinks"`
	Notify             *[]string         `json:"notify"`
	ImpactStartedAt    *time.Time        `json:"impactStartedAt"`
	// Note is written to the timeline with the change.
	Note string `json:"note"`
}

func (s *Service) actor(ctx context.Context) palisade.Actor {
	a, _ := palisade.ActorFrom(ctx)
	return a
}

// visible reports whether the caller may see inc: restricted incidents
// need a participant or an admin, team-scoped callers see their teams'
// incidents and those touching their services.
func (s *Service) visible(ctx context.Context, inc *Incident, scope map[string]bool) bool {
	a := s.actor(ctx)
	if !inc.CanSee(a) {
		return false
	}
	if scope == nil {
		return true
	}
	if slices.Contains(a.Teams, inc.Team) || slices.Contains(inc.Participants, a.Name) {
		return true
	}
	return slices.ContainsFunc(inc.Services, func(svc string) bool { return scope[svc] })
}

func (s *Service) scope(ctx context.Context) (map[string]bool, error) {
	if s.catalog == nil {
		return nil, nil
	}
	return s.catalog.Visible(ctx)
}

// checkServices refuses services the catalog does not know or the caller
// may not see.
func (s *Service) checkServices(ctx context.Context, field string, names []string) error {
	if s.catalog == nil {
		return nil
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if scope != nil && !scope[n] {
			return palisade.FieldErrorf(palisade.EINVALID, field, "service %q is not one of your teams' services", n)
		}
		if _, err := s.catalog.Service(ctx, n); err != nil {
			if palisade.ErrorCode(err) == palisade.ENOTFOUND {
				return palisade.FieldErrorf(palisade.EINVALID, field, "service %q is not in the catalog", n)
			}
			return err
		}
	}
	return nil
}

// Open declares an incident. Requires responder.
func (s *Service) Open(ctx context.Context, req OpenRequest) (*Incident, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	a := s.actor(ctx)
	now := s.clock()
	if req.Kind == "" {
		req.Kind = KindSecurity
	}
	if req.Severity == "" && len(cfg.Severities) > 1 {
		req.Severity = cfg.Severities[1].Name
	}
	inc := &Incident{Title: strings.TrimSpace(req.Title), Kind: req.Kind, Severity: req.Severity, Status: StatusTriage, Summary: req.Summary,
		Team: req.Team, Services: dedupe(req.Services), Restricted: req.Restricted, Roles: map[string]string{}, Participants: []string{a.Name},
		Links: []Link{}, Notify: orNone(req.Notify), ImpactStartedAt: req.ImpactStartedAt, OpenedAt: now, UpdatedAt: now}
	if req.Commander != "" {
		inc.Roles["commander"] = req.Commander
		inc.Participants = addUnique(inc.Participants, req.Commander)
	}
	for _, svc := range inc.Services {
		inc.Links = append(inc.Links, Link{Kind: "service", Ref: svc})
	}
	for _, l := range req.Links {
		if !slices.Contains(inc.Links, l) {
			inc.Links = append(inc.Links, l)
		}
	}
	if err := inc.Validate(cfg.Severities); err != nil {
		return nil, err
	}
	if inc.ImpactStartedAt != nil && inc.ImpactStartedAt.After(now) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "impactStartedAt", "impact cannot start in the future")
	}
	if err := s.checkServices(ctx, "services", inc.Services); err != nil {
		return nil, err
	}
	if a.Scoped() {
		if inc.Team == "" {
			inc.Team = a.Teams[0]
		}
		if !slices.Contains(a.Teams, inc.Team) {
			return nil, palisade.FieldErrorf(palisade.EFORBIDDEN, "team", "team %q is not one of yours (%s)", inc.Team, strings.Join(a.Teams, ", "))
		}
	}
	if inc.Team == "" && len(inc.Services) > 0 && s.catalog != nil {
		if d, err := s.catalog.Service(ctx, inc.Services[0]); err == nil {
			inc.Team = d.Team
		}
	}
	err = s.store.WriteIncidents(ctx, func(tx Tx) error {
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		entries := []Entry{{At: now, Kind: "status", Actor: a.String(), Text: fmt.Sprintf("opened %s %s incident", inc.Severity, inc.Kind)}}
		if c := inc.Roles["commander"]; c != "" {
			entries = append(entries, Entry{At: now, Kind: "role", Actor: a.String(), Text: "commander: " + c})
		}
		if err := tx.AddEntries(inc.ID, entries...); err != nil {
			return err
		}
		return s.notify(tx, inc, inc.ID+"/opened", "opened", inc.Summary, inc.Notify, now)
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

func orNone(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func dedupe(l []string) []string {
	out := []string{}
	for _, x := range l {
		out = addUnique(out, x)
	}
	return out
}

func addUnique(l []string, x string) []string {
	if x == "" || slices.Contains(l, x) {
		return l
	}
	return append(l, x)
}

// Update applies p to incident id and records every change on the
// timeline. Requires responder; restricted incidents need a participant
// or admin.
func (s *Service) Update(ctx context.Context, id string, p Patch) (*Incident, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.Note) > MaxText {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "note", "note is longer than %d bytes", MaxText)
	}
	if err := s.checkServices(ctx, "addServices", p.AddServices); err != nil {
		return nil, err
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	a := s.actor(ctx)
	now := s.clock()
	var out *Incident
	err = s.store.WriteIncidents(ctx, func(tx Tx) error {
		before, err := tx.Incident(id)
		if err != nil {
			return err
		}
		if !s.visible(ctx, before, scope) {
			return palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
		}
		inc := cloneIncident(before)
		entries, notice, err := apply(inc, p, now, a.String())
		if err != nil {
			return err
		}
		if err := inc.Validate(cfg.Severities); err != nil {
			return err
		}
		if p.Note != "" {
			entries = append(entries, Entry{At: now, Kind: "note", Actor: a.String(), Text: p.Note})
		}
		if len(entries) == 0 {
			out = inc
			return nil
		}
		inc.Participants = addUnique(inc.Participants, a.Name)
		inc.UpdatedAt = now
		if err := tx.UpdateIncident(before, inc); err != nil {
			return err
		}
		if err := tx.AddEntries(inc.ID, entries...); err != nil {
			return err
		}
		if notice != "" {
			var text []string
			for _, e := range entries {
				if e.Kind == "status" || e.Kind == "severity" {
					text = append(text, e.Text)
				}
			}
			if err := s.notify(tx, inc, fmt.Sprintf("%s/%s/%d", inc.ID, notice, now.UnixMicro()), notice, strings.Join(text, "; "), inc.Notify, now); err != nil {
				return err
			}
		}
		out = inc
		return nil
	})
	return out, err
}

// onlyNote reports whether p changes nothing but adds a note.
func (p Patch) onlyNote() bool {
	return p.Title == nil && p.Summary == nil && p.Severity == nil && p.Status == nil && p.Kind == nil && p.Team == nil &&
		p.Restricted == nil && len(p.Roles) == 0 && len(p.AddParticipants) == 0 && len(p.RemoveParticipants) == 0 &&
		len(p.AddServices) == 0 && len(p.RemoveServices) == 0 && len(p.AddLinks) == 0 && len(p.RemoveLinks) == 0 &&
		p.Notify == nil && p.ImpactStartedAt == nil
}

func cloneIncident(i *Incident) *Incident {
	c := *i
	c.Services = slices.Clone(i.Services)
	c.Participants = slices.Clone(i.Participants)
	c.Links = slices.Clone(i.Links)
	c.Notify = slices.Clone(i.Notify)
	c.Roles = make(map[string]string, len(i.Roles))
	for k, v := range i.Roles {
		c.Roles[k] = v
	}
	return &c
}

// apply changes inc by p and returns the timeline entries and the notice
// event to send ("" for none).
func apply(inc *Incident, p Patch, now time.Time, actor string) ([]Entry, string, error) {
	var entries []Entry
	add := func(kind, format string, args ...any) {
		entries = append(entries, Entry{At: now, Kind: kind, Actor: actor, Text: fmt.Sprintf(format, args...)})
	}
	notice := ""
	if inc.Status == StatusClosed || inc.Status == StatusMerged {
		if p.Status != nil && *p.Status != inc.Status {
			return nil, "", palisade.FieldErrorf(palisade.ECONFLICT, "status", "%s", refusal(inc.Status, *p.Status))
		}
		if !p.onlyNote() {
			return nil, "", palisade.FieldErrorf(palisade.ECONFLICT, "status", "incident %s is %s: only notes can be added; %s", inc.ID, inc.Status, refusal(inc.Status, StatusActive))
		}
	}
	if p.Title != nil && strings.TrimSpace(*p.Title) != inc.Title {
		inc.Title = strings.TrimSpace(*p.Title)
		add("edit", "title: %s", inc.Title)
	}
	if p.Summary != nil && *p.Summary != inc.Summary {
		inc.Summary = *p.Summary
		add("edit", "summary updated")
	}
	if p.Kind != nil && *p.Kind != inc.Kind {
		add("edit", "kind: %s → %s", inc.Kind, *p.Kind)
		inc.Kind = *p.Kind
	}
	if p.Team != nil && *p.Team != inc.Team {
		add("edit", "team: %s → %s", orDash(inc.Team), orDash(*p.Team))
		inc.Team = *p.Team
	}
	if p.Restricted != nil && *p.Restricted != inc.Restricted {
		if *p.Restricted && inc.Kind != KindSecurity {
			return nil, "", palisade.FieldErrorf(palisade.EINVALID, "restricted", "only security incidents can be restricted")
		}
		inc.Restricted = *p.Restricted
		add("edit", "restricted: %t", inc.Restricted)
	}
	if p.Severity != nil && *p.Severity != inc.Severity {
		add("severity", "severity: %s → %s", inc.Severity, *p.Severity)
		inc.Severity = *p.Severity
		notice = "updated"
	}
	if p.Status != nil && *p.Status != inc.Status {
		from := inc.Status
		if *p.Status == StatusMerged {
			return nil, "", palisade.FieldErrorf(palisade.EINVALID, "status", "merge an incident with the merge operation, naming the incident it folds into")
		}
		if err := inc.Transition(*p.Status, now); err != nil {
			return nil, "", err
		}
		add("status", "status: %s → %s", from, inc.Status)
		notice = "updated"
		if inc.Status == StatusResolved {
			notice = "resolved"
		}
	}
	roles := make([]string, 0, len(p.Roles))
	for r := range p.Roles {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, role := range roles {
		who := strings.TrimSpace(p.Roles[role])
		if !slices.Contains(Roles, role) {
			return nil, "", palisade.FieldErrorf(palisade.EINVALID, "roles", "unknown role %q: use %s", role, strings.Join(Roles, ", "))
		}
		if inc.Roles[role] == who {
			continue
		}
		if who == "" {
			delete(inc.Roles, role)
			add("role", "%s: unassigned", role)
			continue
		}
		inc.Roles[role] = who
		inc.Participants = addUnique(inc.Participants, who)
		add("role", "%s: %s", role, who)
	}
	for _, who := range p.AddParticipants {
		who = strings.TrimSpace(who)
		if who != "" && !slices.Contains(inc.Participants, who) {
			inc.Participants = append(inc.Participants, who)
			add("participant", "joined: %s", who)
		}
	}
	for _, who := range p.RemoveParticipants {
		if i := slices.Index(inc.Participants, who); i >= 0 {
			inc.Participants = slices.Delete(inc.Participants, i, i+1)
			add("participant", "left: %s", who)
		}
	}
	for _, svc := range p.AddServices {
		if !slices.Contains(inc.Services, svc) {
			inc.Services = append(inc.Services, svc)
			inc.Links = append(inc.Links, Link{Kind: "service", Ref: svc})
			add("link", "service %s affected", svc)
		}
	}
	for _, svc := range p.RemoveServices {
		if i := slices.Index(inc.Services, svc); i >= 0 {
			inc.Services = slices.Delete(inc.Services, i, i+1)
			inc.Links = slices.DeleteFunc(inc.Links, func(l Link) bool { return l == Link{Kind: "service", Ref: svc} })
			add("link", "service %s no longer affected", svc)
		}
	}
	for _, l := range p.AddLinks {
		if l.Kind == "service" {
			return nil, "", palisade.FieldErrorf(palisade.EINVALID, "addLinks", "link services with addServices, so the catalog can check them")
		}
		if !slices.Contains(inc.Links, l) {
			inc.Links = append(inc.Links, l)
			add("link", "linked %s %s", l.Kind, l.Ref)
		}
	}
	for _, l := range p.RemoveLinks {
		if i := slices.Index(inc.Links, l); i >= 0 && l.Kind != "service" {
			inc.Links = slices.Delete(inc.Links, i, i+1)
			add("link", "unlinked %s %s", l.Kind, l.Ref)
		}
	}
	if p.Notify != nil && !slices.Equal(*p.Notify, inc.Notify) {
		inc.Notify = orNone(*p.Notify)
		add("edit", "notify: %s", strings.Join(inc.Notify, ", "))
	}
	if p.ImpactStartedAt != nil && (inc.ImpactStartedAt == nil || !inc.ImpactStartedAt.Equal(*p.ImpactStartedAt)) {
		if p.ImpactStartedAt.After(inc.OpenedAt) {
			return nil, "", palisade.FieldErrorf(palisade.EINVALID, "impactStartedAt", "impact cannot start after the incident opened (%s)", inc.OpenedAt.Format(time.RFC3339))
		}
		t := p.ImpactStartedAt.UTC()
		inc.ImpactStartedAt = &t
		add("edit", "impact started at %s", t.Format(time.RFC3339))
	}
	return entries, notice, nil
}

// Note writes a note on the timeline. Requires responder.
func (s *Service) Note(ctx context.Context, id, text string) (*Entry, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "text", "a note needs text")
	}
	inc, err := s.Update(ctx, id, Patch{Note: text})
	if err != nil {
		return nil, err
	}
	tl, err := s.store.Timeline(ctx, inc.ID, 0)
	if err != nil {
		return nil, err
	}
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Kind == "note" && tl[i].Text == text {
			return &tl[i], nil
		}
	}
	return nil, palisade.Errorf(palisade.EINTERNAL, "note not found after writing it")
}

// Merge folds incident id into incident into: its alerts, services and
// participants move over and it ends as merged. Requires responder.
func (s *Service) Merge(ctx context.Context, id, into string) (*Incident, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if id == into {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "into", "an incident cannot be merged into itself")
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	a := s.actor(ctx)
	now := s.clock()
	var out *Incident
	err = s.store.WriteIncidents(ctx, func(tx Tx) error {
		src, err := tx.Incident(id)
		if err != nil {
			return err
		}
		dst, err := tx.Incident(into)
		if err != nil {
			if palisade.ErrorCode(err) == palisade.ENOTFOUND {
				return palisade.FieldErrorf(palisade.EINVALID, "into", "incident %q not found", into)
			}
			return err
		}
		if !s.visible(ctx, src, scope) {
			return palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
		}
		if !s.visible(ctx, dst, scope) {
			return palisade.FieldErrorf(palisade.EINVALID, "into", "incident %q not found", into)
		}
		if !dst.Open() {
			return palisade.FieldErrorf(palisade.ECONFLICT, "into", "incident %s is %s: merge into an open incident", dst.ID, dst.Status)
		}
		srcAfter, dstAfter := cloneIncident(src), cloneIncident(dst)
		if err := srcAfter.Transition(StatusMerged, now); err != nil {
			return err
		}
		srcAfter.MergedInto = dst.ID
		moved, err := tx.MoveAlerts(src.ID, dst.ID)
		if err != nil {
			return err
		}
		srcAfter.Alerts -= moved
		dstAfter.Alerts += moved
		for _, svc := range src.Services {
			if !slices.Contains(dstAfter.Services, svc) {
				dstAfter.Services = append(dstAfter.Services, svc)
				dstAfter.Links = append(dstAfter.Links, Link{Kind: "service", Ref: svc})
			}
		}
		for _, p := range src.Participants {
			dstAfter.Participants = addUnique(dstAfter.Participants, p)
		}
		dstAfter.Participants = addUnique(dstAfter.Participants, a.Name)
		dstAfter.Links = append(dstAfter.Links, Link{Kind: "incident", Ref: src.ID})
		if src.ImpactStartedAt != nil && (dstAfter.ImpactStartedAt == nil || src.ImpactStartedAt.Before(*dstAfter.ImpactStartedAt)) {
			t := *src.ImpactStartedAt
			dstAfter.ImpactStartedAt = &t
		}
		dstAfter.UpdatedAt = now
		if err := tx.UpdateIncident(src, srcAfter); err != nil {
			return err
		}
		if err := tx.UpdateIncident(dst, dstAfter); err != nil {
			return err
		}
		if err := tx.AddEntries(src.ID, Entry{At: now, Kind: "merge", Actor: a.String(), Text: "merged into " + dst.ID}); err != nil {
			return err
		}
		if err := tx.AddEntries(dst.ID, Entry{At: now, Kind: "merge", Actor: a.String(),
			Text: fmt.Sprintf("%s merged in (%d alerts): %s", src.ID, moved, src.Title)}); err != nil {
			return err
		}
		out = srcAfter
		return nil
	})
	return out, err
}

// Get returns an incident the caller may see. Requires viewer.
func (s *Service) Get(ctx context.Context, id string) (*Incident, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	inc, err := s.store.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if !s.visible(ctx, inc, scope) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
	}
	return inc, nil
}

// Timeline returns the entries of incident id after entry seq (0: all).
func (s *Service) Timeline(ctx context.Context, id string, after int64) ([]Entry, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Timeline(ctx, id, after)
}

// IncidentAlerts returns the alerts attached to incident id.
func (s *Service) IncidentAlerts(ctx context.Context, id string) ([]Alert, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.store.IncidentAlerts(ctx, id)
}

// Detail is an incident with its timeline and alerts, as the API and the
// CLI show it.
type Detail struct {
	*Incident
	Timeline  []Entry `json:"timeline"`
	AlertList []Alert `json:"alertList"`
}

// Detail returns the incident id with its whole timeline and its alerts.
// Requires viewer, and the incident must be visible to the caller.
func (s *Service) Detail(ctx context.Context, id string) (*Detail, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	tl, err := s.Timeline(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	alerts, err := s.IncidentAlerts(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Detail{Incident: inc, Timeline: tl, AlertList: alerts}, nil
}

// MaxPage is the most incidents or alerts one list call returns.
const MaxPage = 500

// List returns incidents the caller may see, newest first, and the cursor
// of the next page ("" at the end). Requires viewer.
func (s *Service) List(ctx context.Context, f Filter) ([]Incident, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	if f.Status != "" && f.Status != "open" && !slices.Contains(Statuses, f.Status) {
		return nil, "", palisade.FieldErrorf(palisade.EINVALID, "status", "unknown status %q: use open or %s", f.Status, strings.Join(Statuses, ", "))
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = min(max(f.Limit, 0), MaxPage)
		if f.Limit == 0 {
			f.Limit = 100
		}
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, "", err
	}
	page, err := s.store.Incidents(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) == f.Limit {
		next = page[len(page)-1].ID
	}
	out := page[:0]
	for i := range page {
		if s.visible(ctx, &page[i], scope) {
			out = append(out, page[i])
		}
	}
	return out, next, nil
}

// Alerts returns the newest alerts, of one status or all. Team-scoped
// callers see alerts of their services. Requires viewer.
func (s *Service) Alerts(ctx context.Context, status string, limit int) ([]Alert, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if status != "" && status != AlertFiring && status != AlertAcknowledged && status != AlertResolved {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "status", "unknown alert status %q: use firing, acknowledged or resolved", status)
	}
	if limit <= 0 || limit > MaxPage {
		limit = 100
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.store.RecentAlerts(ctx, status, limit)
	if err != nil {
		return nil, err
	}
	if scope == nil {
		return all, nil
	}
	out := all[:0]
	for _, a := range all {
		if scope[a.Service] {
			out = append(out, a)
		}
	}
	return out, nil
}

// Metrics computes incident response figures for incidents opened in
// [from, to) that the caller may see. Requires viewer.
func (s *Service) Metrics(ctx context.Context, from, to time.Time) (*Metrics, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "from", "from (%s) must be before to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if to.Sub(from) > 3*366*24*time.Hour {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "from", "the period is at most three years")
	}
	scope, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.store.AllIncidents(ctx, from)
	if err != nil {
		return nil, err
	}
	open, err := s.store.Incidents(ctx, Filter{Status: "open"})
	if err != nil {
		return nil, err
	}
	keep := func(l []Incident) []Incident {
		out := l[:0]
		for i := range l {
			if s.visible(ctx, &l[i], scope) {
				out = append(out, l[i])
			}
		}
		return out
	}
	m := ComputeMetrics(keep(all), from, to)
	m.Open = len(keep(open))
	return &m, nil
}

// OpenCount returns how many security incidents are open on service.
// The change gate uses it.
func (s *Service) OpenCount(ctx context.Context, service string) (int, error) {
	open, err := s.store.Incidents(ctx, Filter{Status: "open", Service: service, Kind: KindSecurity})
	if err != nil {
		return 0, err
	}
	return len(open), nil
}
