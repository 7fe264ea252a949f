package retro

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// SectionName is the section of palisade.yaml that holds the templates.
const SectionName = "retrospectives"

// Page sizes, documented in docs/retrospectives.md.
const (
	DefaultPage = 20
	MaxPage     = 100
	// MaxItemsPage is the most action items one list call returns.
	MaxItemsPage = 500
	// MaxSimilar is the most suggestions Similar returns.
	MaxSimilar = 20
	// maxRounds bounds how many store pages one list call reads while it
	// skips results the caller may not see; the page then ends early and
	// next continues after what was read.
	maxRounds = 8
	// maxDigest bounds the lists a digest reads.
	maxDigest = 1000
)

// Service is the retrospective capability: it starts retrospectives from
// incidents, edits them through their review, searches the library of past
// ones and tracks their action items.
type Service struct {
	store     Store
	incidents IncidentReader
	config    catalog.SectionStore
	now       func() time.Time
	log       *slog.Logger

	mu        sync.Mutex
	rawCfg    json.RawMessage
	templates map[string]*Template
}

// NewService returns the retrospective capability over its store, the
// incidents it reviews and the stored sections of palisade.yaml (where
// Section keeps the templates). now and log may be nil (time.Now and
// slog.Default).
func NewService(store Store, incidents IncidentReader, config catalog.SectionStore, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, incidents: incidents, config: config, now: now, log: log}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Section handles palisade.yaml's retrospectives section: the templates
// are checked when the file is applied and stored as written.
func (s *Service) Section() catalog.SectionHandler {
	return catalog.StoredSection(s.config, SectionName, func(_ context.Context, n *catalog.Node) error {
		if _, err := TemplatesFromSection(n); err != nil {
			return err
		}
		_, err := DigestFromSection(n)
		return err
	})
}

// Templates returns the templates in force by name: the built-in one and
// those of palisade.yaml. Callers must not change them.
func (s *Service) Templates(ctx context.Context) (map[string]*Template, error) {
	raw, err := s.config.ConfigSection(ctx, SectionName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates != nil && bytes.Equal(raw, s.rawCfg) {
		return s.templates, nil
	}
	n, err := catalog.LoadSection(ctx, s.config, SectionName)
	if err != nil {
		return nil, err
	}
	ts, err := TemplatesFromSection(n)
	if err != nil {
		return nil, err
	}
	s.rawCfg, s.templates = raw, ts
	return ts, nil
}

// notFound is what a caller gets for a retrospective it may not see, the
// same as for one that does not exist.
func notFound(id string) error {
	return palisade.Errorf(palisade.ENOTFOUND, "retrospective %q not found", id)
}

// visible returns which incidents of ids the caller may see. A
// retrospective without an incident restricts nobody ("" maps to true).
func (s *Service) visible(ctx context.Context, ids []string) (map[string]bool, error) {
	var ask []string
	for _, id := range ids {
		if id != "" && !slices.Contains(ask, id) {
			ask = append(ask, id)
		}
	}
	out := map[string]bool{"": true}
	if len(ask) == 0 {
		return out, nil
	}
	vis, err := s.incidents.Visible(ctx, ask)
	if err != nil {
		return nil, err
	}
	for _, id := range ask {
		out[id] = vis[id]
	}
	return out, nil
}

// read returns retrospective id if the caller may see it.
func (s *Service) read(ctx context.Context, id string) (*Retrospective, error) {
	r, err := s.store.Retrospective(ctx, id)
	if err != nil {
		return nil, err
	}
	vis, err := s.visible(ctx, []string{r.IncidentID})
	if err != nil {
		return nil, err
	}
	if !vis[r.IncidentID] {
		return nil, notFound(id)
	}
	return r, nil
}

// Get returns retrospective id. Requires viewer; a retrospective of an
// incident the caller may not see (restricted, another team's) is
// ENOTFOUND.
func (s *Service) Get(ctx context.Context, id string) (*Retrospective, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.read(ctx, id)
}

// OpenRequest starts a retrospective.
type OpenRequest struct {
	// Template names the template; empty is the default one.
	Template string `json:"template"`
	// Force starts another retrospective of an incident that has one.
	Force bool `json:"force"`
}

// Open starts a draft retrospective of incident incidentID from a
// template, filled with what the incident knows (see New). An incident has
// one retrospective: a second is refused (ECONFLICT, naming the first)
// unless req.Force. Requires responder and an incident the caller may see.
func (s *Service) Open(ctx context.Context, incidentID string, req OpenRequest) (*Retrospective, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	ts, err := s.Templates(ctx)
	if err != nil {
		return nil, err
	}
	tmpl, err := Pick(ts, req.Template)
	if err != nil {
		return nil, err
	}
	inc, err := s.incidents.Incident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	r := New(tmpl, inc, s.clock())
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	err = s.store.WriteRetros(ctx, func(tx Tx) error {
		have, err := tx.OfIncident(incidentID)
		if err != nil {
			return err
		}
		if len(have) > 0 && !req.Force {
			return palisade.FieldErrorf(palisade.ECONFLICT, "incident", "incident %s already has retrospective %s: edit that one, or pass force to start another",
				incidentID, strings.Join(have, ", "))
		}
		return tx.Create(r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Query is a search of the retrospective library. Every field is
// optional; all that are set must match.
type Query struct {
	// Text is in the search syntax (ParseSearch); it may carry filters
	// (service:checkout), which must agree with the fields below.
	Text     string
	Incident string
	Service  string
	Tag      string
	Severity string
	State    string
	// From and To bound the creation time: From ≤ created < To.
	From, To time.Time
	// Cursor continues a previous search (its next); Limit is the page
	// size (DefaultPage when 0, at most MaxPage).
	Cursor string
	Limit  int
}

// Search returns one page of the retrospectives the caller may see that
// match q, best first for a text search (with a snippet each), newest
// first otherwise, and the cursor of the next page ("" at the end). A page
// may hold fewer than Limit results while next is not empty when many
// results were hidden from the caller. Requires viewer.
func (s *Service) Search(ctx context.Context, q Query) ([]Hit, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	sq, offset, limit, err := s.compile(q)
	if err != nil {
		return nil, "", err
	}
	return page(ctx, s, offset, limit, func(off, n int) ([]Hit, error) {
		sq.Offset, sq.Limit = off, n
		return s.store.SearchRetros(ctx, sq)
	}, func(h Hit) string { return h.IncidentID })
}

func (s *Service) compile(q Query) (Search, int, int, error) {
	expr, quals, err := ParseSearch(q.Text)
	if err != nil {
		return Search{}, 0, 0, err
	}
	sq := Search{Incident: q.Incident, Service: q.Service, Tag: strings.ToLower(q.Tag), Severity: q.Severity, State: q.State, From: q.From, To: q.To, Snippets: true}
	if !expr.Empty() {
		sq.Text = expr
	}
	for _, m := range []struct {
		name      string
		field     *string
		qualifier string
	}{{"incident", &sq.Incident, quals.Incident}, {"service", &sq.Service, quals.Service}, {"tag", &sq.Tag, strings.ToLower(quals.Tag)},
		{"severity", &sq.Severity, quals.Severity}, {"state", &sq.State, quals.State}} {
		switch {
		case m.qualifier == "":
		case *m.field == "":
			*m.field = m.qualifier
		case *m.field != m.qualifier:
			return Search{}, 0, 0, palisade.FieldErrorf(palisade.EINVALID, "q", "the query says %s:%s but the %s filter is %q", m.name, m.qualifier, m.name, *m.field)
		}
	}
	if sq.State != "" && !slices.Contains(States, sq.State) {
		return Search{}, 0, 0, palisade.FieldErrorf(palisade.EINVALID, "state", "unknown state %q: use %s", sq.State, strings.Join(States, ", "))
	}
	if !sq.From.IsZero() && !sq.To.IsZero() && !sq.From.Before(sq.To) {
		return Search{}, 0, 0, palisade.FieldErrorf(palisade.EINVALID, "from", "from (%s) must be before to (%s)", sq.From.Format(time.RFC3339), sq.To.Format(time.RFC3339))
	}
	for _, f := range []struct{ name, v string }{{"incident", sq.Incident}, {"service", sq.Service}, {"tag", sq.Tag}, {"severity", sq.Severity}} {
		if len(f.v) > MaxID || strings.ContainsFunc(f.v, func(r rune) bool { return r < ' ' }) {
			return Search{}, 0, 0, palisade.FieldErrorf(palisade.EINVALID, f.name, "%s is not a %s name", f.name, f.name)
		}
	}
	offset, err := parseCursor(q.Cursor)
	if err != nil {
		return Search{}, 0, 0, err
	}
	limit, err := pageSize(q.Limit, DefaultPage, MaxPage)
	if err != nil {
		return Search{}, 0, 0, err
	}
	return sq, offset, limit, nil
}

// maxOffset keeps cursors meaningful: nobody pages through a million
// results, and the engines pay for every row skipped.
const maxOffset = 100_000

func parseCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 0 || n > maxOffset || strconv.Itoa(n) != c {
		return 0, palisade.FieldErrorf(palisade.EINVALID, "cursor", "cursor %.40q is not one this server returned", c)
	}
	return n, nil
}

func pageSize(n, def, max int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > max:
		return 0, palisade.FieldErrorf(palisade.EINVALID, "limit", "limit must be from 1 to %d", max)
	}
	return n, nil
}

// page reads results from offset until it has limit the caller may see,
// and returns them with the cursor of what follows ("" at the end).
// Hidden results are skipped, never counted or shown.
func page[T any](ctx context.Context, s *Service, offset, limit int, fetch func(offset, n int) ([]T, error), incident func(T) string) ([]T, string, error) {
	out := []T{}
	for round := 0; round < maxRounds; round++ {
		n := limit - len(out)
		rows, err := fetch(offset, n+1)
		if err != nil {
			return nil, "", err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = incident(r)
		}
		vis, err := s.visible(ctx, ids)
		if err != nil {
			return nil, "", err
		}
		for i, r := range rows {
			if i == n {
				break // the look-ahead row: there is more
			}
			offset++
			if vis[ids[i]] {
				out = append(out, r)
			}
		}
		if len(rows) <= n {
			return out, "", nil
		}
		if len(out) == limit {
			return out, strconv.Itoa(offset), nil
		}
	}
	return out, strconv.Itoa(offset), nil
}

// Patch is a change to a retrospective's text; nil fields stay as they
// are. Sections maps section keys to their new bodies.
type Patch struct {
	Title         *string           `json:"title,omitempty"`
	Severity      *string           `json:"severity,omitempty"`
	Sections      map[string]string `json:"sections,omitempty"`
	Tags          *[]string         `json:"tags,omitempty"`
	Services      *[]string         `json:"services,omitempty"`
	Authors       *[]string         `json:"authors,omitempty"`
	NoActionItems *string           `json:"noActionItems,omitempty"`
	// UpdatedAt, when set, is the updatedAt the editor started from: the
	// change is refused (ECONFLICT) if someone changed the retrospective
	// since, so that two editors do not overwrite each other unawares.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

func (p *Patch) apply(r *Retrospective) error {
	if err := r.CanEdit(); err != nil {
		return err
	}
	if p.UpdatedAt != nil && !p.UpdatedAt.Equal(r.UpdatedAt) {
		return palisade.FieldErrorf(palisade.ECONFLICT, "updatedAt", "the retrospective changed at %s, after the version this change was made to (%s): reload it and apply the change again",
			r.UpdatedAt.Format(time.RFC3339Nano), p.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&r.Title, p.Title)
	set(&r.Severity, p.Severity)
	set(&r.NoActionItems, p.NoActionItems)
	setList := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = append([]string{}, *src...)
		}
	}
	setList(&r.Tags, p.Tags)
	setList(&r.Services, p.Services)
	setList(&r.Authors, p.Authors)
	keys := make([]string, 0, len(p.Sections))
	for k := range p.Sections {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var es palisade.Errors
	for _, k := range keys {
		body, field := p.Sections[k], "sections."+k
		sec := r.Section(k)
		switch {
		case sec == nil:
			es = append(es, palisade.FieldErrorf(palisade.EINVALID, field, "the retrospective has no section %.70q", k))
		case len(body) > MaxBody:
			es = append(es, palisade.FieldErrorf(palisade.EINVALID, field, "body is %d bytes; the limit is %d (64 KiB)", len(body), MaxBody))
		case !utf8.ValidString(body):
			es = append(es, palisade.FieldErrorf(palisade.EINVALID, field, "body is not valid UTF-8"))
		default:
			sec.Body = body
		}
	}
	if len(es) > 0 {
		return es
	}
	r.Normalize()
	return r.Validate()
}

// Update applies p to retrospective id. Only a draft or a retrospective in
// review changes (ECONFLICT when published: reopen it first). Requires
// responder.
func (s *Service) Update(ctx context.Context, id string, p Patch) (*Retrospective, error) {
	return s.write(ctx, id, &Change{Action: "retrospective.update"}, func(r *Retrospective, _ time.Time) error { return p.apply(r) })
}

// write applies fn to a copy of retrospective id in a write transaction
// and stores the result when it differs; fn gets the time of the change.
func (s *Service) write(ctx context.Context, id string, c *Change, fn func(r *Retrospective, now time.Time) error) (*Retrospective, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if _, err := s.read(ctx, id); err != nil {
		return nil, err
	}
	now := s.clock()
	var out *Retrospective
	err := s.store.WriteRetros(ctx, func(tx Tx) error {
		before, err := tx.Retrospective(id)
		if err != nil {
			return err
		}
		after := clone(before)
		if err := fn(after, now); err != nil {
			return err
		}
		if same(before, after) {
			out = before
			return nil
		}
		after.UpdatedAt = now
		out = after
		return tx.Update(before, after, *c)
	})
	return out, err
}

func clone(r *Retrospective) *Retrospective {
	b, _ := json.Marshal(r) // a Retrospective always marshals
	c := &Retrospective{}
	json.Unmarshal(b, c)
	return c
}

// same reports whether two versions differ only in UpdatedAt.
func same(a, b *Retrospective) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return bytes.Equal(xj, yj)
}

// Transition moves retrospective id to state to: draft → in_review →
// published, in_review → draft, and published → in_review, which reopens
// it and needs a reason (see Retrospective.Transition and Reopen). The
// reason, when given, is recorded in the audit log. Requires responder.
func (s *Service) Transition(ctx context.Context, id, to, reason string) (*Retrospective, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxNote {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "reason", "reason is longer than %d bytes", MaxNote)
	}
	c := &Change{Action: "retrospective.transition", Reason: reason}
	return s.write(ctx, id, c, func(r *Retrospective, now time.Time) error {
		if r.State == StatePublished && to == StateInReview {
			c.Action = "retrospective.reopen"
			return r.Reopen(reason, now)
		}
		return r.Transition(to, now)
	})
}

// ItemInput is a new action item.
type ItemInput struct {
	Title      string     `json:"title"`
	Owner      string     `json:"owner"`
	DueAt      *time.Time `json:"dueAt,omitempty"`
	Status     string     `json:"status,omitempty"` // open when empty
	TrackerURL string     `json:"trackerUrl,omitempty"`
}

// ItemPatch is a change to an action item; fields left out stay as they
// are, and a null dueAt removes the due date.
type ItemPatch struct {
	Title      *string      `json:"title,omitempty"`
	Owner      *string      `json:"owner,omitempty"`
	DueAt      OptionalTime `json:"dueAt,omitzero"`
	Status     *string      `json:"status,omitempty"`
	TrackerURL *string      `json:"trackerUrl,omitempty"`
}

// OptionalTime is a time in a JSON patch that tells "left out" (Set is
// false) from null (Set, Time nil) and from a value.
type OptionalTime struct {
	Set  bool
	Time *time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *OptionalTime) UnmarshalJSON(b []byte) error {
	o.Set, o.Time = true, nil
	if string(b) == "null" {
		return nil
	}
	var t time.Time
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	o.Time = &t
	return nil
}

// MarshalJSON implements json.Marshaler.
func (o OptionalTime) MarshalJSON() ([]byte, error) { return json.Marshal(o.Time) }

// IsZero reports whether the time was left out (for omitzero).
func (o OptionalTime) IsZero() bool { return !o.Set }

func dueTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// AddActionItem adds an action item to retrospective id and returns it
// with the id it was given (AI-n). Action items are added in every state
// (work found after publication is still tracked), except to a published
// retrospective whose note says none are needed: reopen that one.
// Requires responder.
func (s *Service) AddActionItem(ctx context.Context, id string, in ItemInput) (*ActionItem, error) {
	var item ActionItem
	_, err := s.write(ctx, id, &Change{Action: "retrospective.action_item.add"}, func(r *Retrospective, now time.Time) error {
		if r.State == StatePublished && r.NoActionItems != "" {
			return palisade.FieldErrorf(palisade.ECONFLICT, "noActionItems", "the published retrospective says no action items are needed: reopen it to add one")
		}
		if len(r.ActionItems) >= MaxActionItems {
			return palisade.FieldErrorf(palisade.EINVALID, "actionItems", "the retrospective has %d action items; the limit is %d", len(r.ActionItems), MaxActionItems)
		}
		item = ActionItem{ID: nextItemID(r.ActionItems), Title: strings.TrimSpace(in.Title), Owner: strings.TrimSpace(in.Owner),
			DueAt: dueTime(in.DueAt), Status: StatusOpen, TrackerURL: strings.TrimSpace(in.TrackerURL), CreatedAt: now}
		if in.Status != "" {
			if err := item.SetStatus(in.Status, now); err != nil {
				return err
			}
		}
		if err := item.Validate(""); err != nil {
			return err
		}
		r.ActionItems = append(r.ActionItems, item)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &item, nil
}

// nextItemID is AI-n, one more than the highest n in use: ids are never
// reused, so links to an item stay right.
func nextItemID(items []ActionItem) string {
	n := 0
	for _, a := range items {
		if v, err := strconv.Atoi(strings.TrimPrefix(a.ID, "AI-")); err == nil && strings.HasPrefix(a.ID, "AI-") && v > n {
			n = v
		}
	}
	return "AI-" + strconv.Itoa(n+1)
}

// UpdateActionItem changes action item itemID of retrospective id, in any
// state of the retrospective, and returns it. Requires responder.
func (s *Service) UpdateActionItem(ctx context.Context, id, itemID string, p ItemPatch) (*ActionItem, error) {
	var item ActionItem
	_, err := s.write(ctx, id, &Change{Action: "retrospective.action_item.update"}, func(r *Retrospective, now time.Time) error {
		a := r.ActionItem(itemID)
		if a == nil {
			return palisade.Errorf(palisade.ENOTFOUND, "retrospective %s has no action item %.70q", id, itemID)
		}
		if p.Title != nil {
			a.Title = strings.TrimSpace(*p.Title)
		}
		if p.Owner != nil {
			a.Owner = strings.TrimSpace(*p.Owner)
		}
		if p.TrackerURL != nil {
			a.TrackerURL = strings.TrimSpace(*p.TrackerURL)
		}
		if p.DueAt.Set {
			a.DueAt = dueTime(p.DueAt.Time)
		}
		if p.Status != nil && *p.Status != a.Status {
			if err := a.SetStatus(*p.Status, now); err != nil {
				return err
			}
		}
		if err := a.Validate(""); err != nil {
			return err
		}
		item = *a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &item, nil
}

// ItemFilter selects action items.
type ItemFilter struct {
	Owner  string
	Status string
	// Open keeps the items still to do (open or in progress).
	Open bool
	// Overdue keeps the open items whose due date has passed.
	Overdue bool
	Cursor  string
	Limit   int // 100 when 0, at most MaxItemsPage
}

// ActionItems returns one page of the action items of the retrospectives
// the caller may see, soonest due first (items without a due date last),
// and the cursor of the next page. Requires viewer.
func (s *Service) ActionItems(ctx context.Context, f ItemFilter) ([]ItemRef, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, "", palisade.FieldErrorf(palisade.EINVALID, "status", "unknown status %q: use %s", f.Status, strings.Join(Statuses, ", "))
	}
	if len(f.Owner) > MaxName*4 {
		return nil, "", palisade.FieldErrorf(palisade.EINVALID, "owner", "owner is longer than %d characters", MaxName)
	}
	offset, err := parseCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit, err := pageSize(f.Limit, 100, MaxItemsPage)
	if err != nil {
		return nil, "", err
	}
	q := ItemQuery{Owner: f.Owner, Status: f.Status, Open: f.Open || f.Overdue}
	if f.Overdue {
		q.DueBefore = s.clock()
	}
	return page(ctx, s, offset, limit, func(off, n int) ([]ItemRef, error) {
		q.Offset, q.Limit = off, n
		return s.store.RetroActionItems(ctx, q)
	}, func(a ItemRef) string { return a.IncidentID })
}

// OverdueActionItems returns the action items that are open or in progress
// and were due before now, most overdue first, of the retrospectives the
// caller may see (at most 1,000): what a digest reports. Requires viewer.
func (s *Service) OverdueActionItems(ctx context.Context, now time.Time) ([]ItemRef, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	items, _, err := page(ctx, s, 0, maxDigest, func(off, n int) ([]ItemRef, error) {
		return s.store.RetroActionItems(ctx, ItemQuery{Open: true, DueBefore: now.UTC(), Offset: off, Limit: n})
	}, func(a ItemRef) string { return a.IncidentID })
	return items, err
}

// RecentlyPublished returns the retrospectives published since, oldest
// publication first, that the caller may see (at most 1,000): what a
// digest announces. Requires viewer.
func (s *Service) RecentlyPublished(ctx context.Context, since time.Time) ([]Summary, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	all, err := s.store.PublishedRetros(ctx, since.UTC(), maxDigest)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.IncidentID
	}
	vis, err := s.visible(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, r := range all {
		if vis[r.IncidentID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// Export is a retrospective rendered for reading outside Palisade.
type Export struct {
	Body      []byte
	MediaType string
	// Filename suggests a name to save it under.
	Filename string
}

// Export formats.
const (
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Export renders retrospective id as Markdown or as a printable HTML page
// (see Retrospective.HTML for its Content-Security-Policy). Requires
// viewer.
func (s *Service) Export(ctx context.Context, id, format string) (*Export, error) {
	if format == "md" {
		format = FormatMarkdown
	}
	if format != FormatMarkdown && format != FormatHTML {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "format", "format %.20q: use markdown or html", format)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if format == FormatMarkdown {
		return &Export{Body: []byte(r.Markdown()), MediaType: "text/markdown; charset=utf-8", Filename: r.ID + ".md"}, nil
	}
	page, err := r.HTML()
	if err != nil {
		return nil, err
	}
	return &Export{Body: []byte(page), MediaType: "text/html; charset=utf-8", Filename: r.ID + ".html"}, nil
}

// Delete removes a draft retrospective (one started by mistake); a
// retrospective that went to review is part of the record and stays.
// Requires responder.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return err
	}
	if _, err := s.read(ctx, id); err != nil {
		return err
	}
	return s.store.WriteRetros(ctx, func(tx Tx) error {
		r, err := tx.Retrospective(id)
		if err != nil {
			return err
		}
		if r.State != StateDraft {
			return palisade.FieldErrorf(palisade.ECONFLICT, "state", "only a draft is deleted; retrospective %s is %s", id, label(r.State))
		}
		return tx.Delete(r)
	})
}

// Suggestion is a past incident or retrospective similar to an incident,
// with why it was suggested.
type Suggestion struct {
	// Kind is DocRetrospective or DocIncident (a past incident without a
	// published retrospective).
	Kind        string     `json:"kind"`
	ID          string     `json:"id"`
	IncidentID  string     `json:"incidentId,omitempty"`
	Title       string     `json:"title"`
	Severity    string     `json:"severity,omitempty"`
	Services    []string   `json:"services"`
	Tags        []string   `json:"tags"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
	Score       float64    `json:"score"`
	Reasons     []string   `json:"reasons"`
}

// Candidate limits of Similar: the full-text index preselects, Similar
// ranks. Past incidents without a retrospective only have their titles,
// services and severity to compare.
const (
	similarTerms       = 24
	similarByText      = 50
	similarByService   = 20
	similarServices    = 5
	similarIncidents   = 200
	similarOwnRetros   = 10
	defaultSimilarSize = 5
)

// Similar returns up to k (5 when 0, at most MaxSimilar) past
// retrospectives (published) and past incidents without one that resemble
// incident incidentID, best first (see the package function Similar for
// the score). The incident's own retrospectives, when it has any, add
// their text to what is compared. Requires viewer and an incident the
// caller may see; only what the caller may see is suggested.
func (s *Service) Similar(ctx context.Context, incidentID string, k int) ([]Suggestion, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	k, err := pageSize(k, defaultSimilarSize, MaxSimilar)
	if err != nil {
		return nil, err
	}
	inc, err := s.incidents.Incident(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	target := similarDoc(inc)
	own, err := s.store.SearchRetros(ctx, Search{Incident: incidentID, Limit: similarOwnRetros})
	if err != nil {
		return nil, err
	}
	if len(own) > 0 {
		docs, err := s.store.Retrospectives(ctx, hitIDs(own))
		if err != nil {
			return nil, err
		}
		var text strings.Builder
		text.WriteString(target.Text)
		for _, r := range docs {
			text.WriteString(r.SearchText() + "\n")
			target.Tags = append(target.Tags, r.Tags...)
			target.Services = append(target.Services, r.Services...)
		}
		target.Text = text.String()
	}
	// Preselect published retrospectives sharing words or services.
	var cands []Hit
	if expr := termsExpr(target, similarTerms); expr != nil {
		hits, err := s.store.SearchRetros(ctx, Search{Text: expr, State: StatePublished, Limit: similarByText})
		if err != nil {
			return nil, err
		}
		cands = append(cands, hits...)
	}
	svcs := lowerSet(target.Services)
	for _, svc := range svcs[:min(len(svcs), similarServices)] {
		hits, err := s.store.SearchRetros(ctx, Search{Service: svc, State: StatePublished, Limit: similarByService})
		if err != nil {
			return nil, err
		}
		cands = append(cands, hits...)
	}
	var ids, incs []string
	for _, h := range cands {
		if h.IncidentID != incidentID && !slices.Contains(ids, h.ID) {
			ids, incs = append(ids, h.ID), append(incs, h.IncidentID)
		}
	}
	vis, err := s.visible(ctx, incs)
	if err != nil {
		return nil, err
	}
	var seen []string
	for i, id := range ids {
		if vis[incs[i]] {
			seen = append(seen, id)
		}
	}
	docs, err := s.store.Retrospectives(ctx, seen)
	if err != nil {
		return nil, err
	}
	byDoc := map[string]*Retrospective{}
	reviewed := map[string]bool{incidentID: true}
	corpus := make([]Doc, 0, len(docs))
	for i := range docs {
		byDoc[docs[i].ID] = &docs[i]
		reviewed[docs[i].IncidentID] = true
		corpus = append(corpus, docs[i].Doc())
	}
	recent, err := s.incidents.Recent(ctx, similarIncidents)
	if err != nil {
		s.log.WarnContext(ctx, "similar incidents: past incidents left out", "error", err)
		recent = nil
	}
	byInc := map[string]IncidentSummary{}
	for _, in := range recent {
		if !reviewed[in.ID] {
			byInc[in.ID] = in
			corpus = append(corpus, in.Doc())
		}
	}
	out := []Suggestion{}
	for _, m := range Similar(target, corpus, k) {
		sg := Suggestion{Kind: m.Doc.Kind, ID: m.Doc.ID, Title: m.Doc.Title, Severity: m.Doc.Severity,
			Services: orEmpty(m.Doc.Services), Tags: orEmpty(m.Doc.Tags), Score: m.Score, Reasons: orEmpty(m.Reasons)}
		if r := byDoc[m.Doc.ID]; m.Doc.Kind == DocRetrospective && r != nil {
			sg.IncidentID, sg.PublishedAt = r.IncidentID, r.PublishedAt
		} else if in, ok := byInc[m.Doc.ID]; ok {
			sg.IncidentID = in.ID
		}
		out = append(out, sg)
	}
	return out, nil
}

// similarDoc is the incident as Similar compares it: its title, and of its
// timeline what people and alerts wrote. Entries Palisade writes itself
// (status changes, roles, links) read the same in every incident and would
// make every incident look alike.
func similarDoc(inc IncidentSummary) Doc {
	inc.Timeline = slices.DeleteFunc(slices.Clone(inc.Timeline), func(e TimelineEntry) bool { return e.Kind != "note" && e.Kind != "alert" })
	return inc.Doc()
}

func hitIDs(hits []Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// termsExpr is a query for any of the n terms that occur most in d (title
// terms counting double), or nil when d has none.
func termsExpr(d Doc, n int) *Expr {
	counts := termCounts(d)
	type tc struct {
		term string
		n    int
	}
	var all []tc
	for t, c := range counts {
		all = append(all, tc{t, c})
	}
	slices.SortFunc(all, func(a, b tc) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.term, b.term)
	})
	var c Clause
	for _, t := range all {
		if len(c.Terms) == n {
			break
		}
		if words := Words(t.term); len(words) > 0 {
			c.Terms = append(c.Terms, Term{Words: words})
		}
	}
	if len(c.Terms) == 0 {
		return nil
	}
	return &Expr{Clauses: []Clause{c}}
}
