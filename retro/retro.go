// Package retro is blameless retrospectives (post-incident reviews): the
// document with its sections and action items, the templates it starts
// from, its review lifecycle, its exports (Markdown, a printable HTML page,
// the text a search index holds), the search for similar past incidents and
// the overdue action items a digest reports.
//
// The package is pure logic: storage, HTTP, roles and scheduling belong to
// the callers, which also record who made each change in the audit log.
package retro

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// States of a retrospective, in the order it normally moves through them.
const (
	StateDraft     = "draft"
	StateInReview  = "in_review"
	StatePublished = "published"
)

// States lists every state of a retrospective.
var States = []string{StateDraft, StateInReview, StatePublished}

// Statuses of an action item.
const (
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusDone       = "done"
	StatusWontDo     = "wont_do"
)

// Statuses lists every status of an action item.
var Statuses = []string{StatusOpen, StatusInProgress, StatusDone, StatusWontDo}

// Limits, documented in docs/retrospectives.md. Lengths of titles and names
// count characters; bodies, notes and URLs count bytes, because they bound
// storage and rendering work rather than what a reader sees.
const (
	MaxTitle       = 200      // retrospective, section and action item titles
	MaxBody        = 64 << 10 // one section's Markdown body
	MaxSections    = 50
	MaxActionItems = 100
	MaxURL         = 2048 // an action item's tracker URL
	MaxPrompt      = 2000 // a template section's prompt
	MaxNote        = 2000 // the "no action items" note and a reopen reason
	MaxName        = 200  // an owner or author
	MaxTags        = 50   // also the limit on authors
	MaxServices    = 100  // services a retrospective is about
	MaxID          = 100  // ids assigned by the store or the caller
	maxSeverity    = 32   // the severity scale is configurable; names are short
	keyPattern     = `^[a-z][a-z0-9_]{0,62}$`
	tagPattern     = `^[a-z0-9][a-z0-9._:/-]{0,62}$`
	actionItemsKey = "action_items"
)

var (
	keyRE = regexp.MustCompile(keyPattern)
	tagRE = regexp.MustCompile(tagPattern)
)

// Retrospective is the blameless review of one incident.
type Retrospective struct {
	// ID is assigned by the store; New leaves it empty.
	ID string `json:"id"`
	// IncidentID is the incident reviewed. It may be empty for a review
	// of a near miss that never became an incident.
	IncidentID string `json:"incidentId,omitempty"`
	Title      string `json:"title"`
	State      string `json:"state"`
	// Template names the template the sections came from. The sections
	// carry their own titles, prompts and optional flags, so that changing
	// a template in palisade.yaml does not change retrospectives already
	// started from it.
	Template string    `json:"template,omitempty"`
	Sections []Section `json:"sections"`
	Tags     []string  `json:"tags"`
	Services []string  `json:"services"`
	Severity string    `json:"severity,omitempty"`
	Authors  []string  `json:"authors"`
	// NoActionItems explains why a review produced no action items. It is
	// the explicit note that lets a retrospective without action items be
	// published, so that "we forgot" and "there was nothing to do" differ.
	NoActionItems string       `json:"noActionItems,omitempty"`
	ActionItems   []ActionItem `json:"actionItems"`
	CreatedAt     time.Time    `json:"createdAt"`
	UpdatedAt     time.Time    `json:"updatedAt"`
	// PublishedAt is set while the retrospective is published and cleared
	// when it is reopened, so it always means "published as it now reads".
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
}

// Section is one part of a retrospective.
type Section struct {
	// Key identifies the section within the retrospective (summary,
	// timeline, ...): lowercase letters, digits and '_'.
	Key   string `json:"key"`
	Title string `json:"title"`
	// Body is Markdown (CommonMark with GFM tables, strikethrough, task
	// lists and autolinks); raw HTML in it is never rendered.
	Body string `json:"body"`
	// Prompt tells the author what belongs here; it is shown while
	// editing and never exported.
	Prompt string `json:"prompt,omitempty"`
	// Optional sections may be empty when the retrospective is published.
	Optional bool `json:"optional,omitempty"`
}

// ActionItem is a change the review decided to make so that the incident
// is less likely or less harmful next time.
type ActionItem struct {
	// ID is assigned by the store or the caller; it must be unique within
	// the retrospective when set.
	ID     string     `json:"id"`
	Title  string     `json:"title"`
	Owner  string     `json:"owner"`
	DueAt  *time.Time `json:"dueAt,omitempty"`
	Status string     `json:"status"`
	// TrackerURL links the item to an external tracker (Jira, GitHub,
	// ...). Only https is accepted: the link is shown to every reader.
	TrackerURL string    `json:"trackerUrl,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	// DoneAt is when the item was closed, as done or as won't do; SetStatus
	// keeps it.
	DoneAt *time.Time `json:"doneAt,omitempty"`
}

// Closed reports whether the item needs no more work (done or won't do).
func (a *ActionItem) Closed() bool { return a.Status == StatusDone || a.Status == StatusWontDo }

// SetStatus moves the item to status at now, stamping DoneAt when it is
// closed and clearing it when it is reopened. Any move between the
// statuses is allowed: work is reopened when a fix proves insufficient.
func (a *ActionItem) SetStatus(status string, now time.Time) error {
	if !slices.Contains(Statuses, status) {
		return palisade.FieldErrorf(palisade.EINVALID, "status", "unknown status %q: use %s", status, strings.Join(Statuses, ", "))
	}
	wasClosed := a.Closed()
	a.Status = status
	switch {
	case a.Closed() && !wasClosed:
		t := now
		a.DoneAt = &t
	case !a.Closed():
		a.DoneAt = nil
	}
	return nil
}

// Validate checks an action item. field prefixes the field names of errors
// ("actionItems[2]"); it may be empty.
func (a *ActionItem) Validate(field string) error {
	var es palisade.Errors
	a.validate(field, &es)
	return es.Err()
}

func (a *ActionItem) validate(field string, es *palisade.Errors) {
	add := func(f, format string, args ...any) {
		*es = append(*es, palisade.FieldErrorf(palisade.EINVALID, join(field, f), format, args...))
	}
	if len(a.ID) > MaxID {
		add("id", "id is longer than %d bytes", MaxID)
	}
	if msg := lineProblem(a.Title, MaxTitle, true); msg != "" {
		add("title", "title %s", msg)
	}
	if msg := lineProblem(a.Owner, MaxName, true); msg != "" {
		add("owner", "owner %s: every action item has an owner who answers for it", msg)
	}
	if !slices.Contains(Statuses, a.Status) {
		add("status", "unknown status %q: use %s", a.Status, strings.Join(Statuses, ", "))
	}
	if a.TrackerURL != "" {
		if msg := trackerURLProblem(a.TrackerURL); msg != "" {
			add("trackerUrl", "%s", msg)
		}
	}
}

// trackerURLProblem explains why u is not an acceptable tracker link, or
// returns "". Credentials in the URL are refused because the link is shown
// to every reader and lands in exports.
func trackerURLProblem(u string) string {
	if len(u) > MaxURL {
		return fmt.Sprintf("tracker URL is longer than %d bytes", MaxURL)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil || strings.ContainsFunc(u, unicode.IsSpace):
		return fmt.Sprintf("tracker URL %.80q is not a valid URL", u)
	case p.Scheme != "https":
		return fmt.Sprintf("tracker URL %.80q must use https", u)
	case p.Host == "" || p.Opaque != "":
		return fmt.Sprintf("tracker URL %.80q has no host", u)
	case p.User != nil:
		return "tracker URL must not carry credentials"
	}
	return ""
}

// Validate checks the retrospective's fields and returns every problem
// found (palisade.Errors, code EINVALID) with the field it is about, such as
// "sections[3].body" or "actionItems[0].owner". It does not check what
// publishing requires; see CheckPublishable.
func (r *Retrospective) Validate() error {
	var es palisade.Errors
	add := func(field, format string, args ...any) {
		es = append(es, palisade.FieldErrorf(palisade.EINVALID, field, format, args...))
	}
	if len(r.ID) > MaxID {
		add("id", "id is longer than %d bytes", MaxID)
	}
	if len(r.IncidentID) > MaxID {
		add("incidentId", "incident id is longer than %d bytes", MaxID)
	}
	if msg := lineProblem(r.Title, MaxTitle, true); msg != "" {
		add("title", "title %s", msg)
	}
	if !slices.Contains(States, r.State) {
		add("state", "unknown state %q: use %s", r.State, strings.Join(States, ", "))
	}
	if len(r.Template) > catalog.MaxNameLen {
		add("template", "template name is longer than %d characters", catalog.MaxNameLen)
	}
	if len(r.Severity) > maxSeverity || strings.ContainsFunc(r.Severity, unicode.IsControl) {
		add("severity", "severity %.40q is not a severity name", r.Severity)
	}
	if len(r.Sections) > MaxSections {
		add("sections", "%d sections; the limit is %d", len(r.Sections), MaxSections)
	}
	keys := map[string]bool{}
	for i, s := range r.Sections {
		f := fmt.Sprintf("sections[%d]", i)
		switch {
		case !keyRE.MatchString(s.Key):
			add(f+".key", "key %.70q: use lowercase letters, digits and '_', starting with a letter (at most 63)", s.Key)
		case keys[s.Key]:
			add(f+".key", "key %q is used by another section", s.Key)
		}
		keys[s.Key] = true
		if msg := lineProblem(s.Title, MaxTitle, true); msg != "" {
			add(f+".title", "title %s", msg)
		}
		if len(s.Body) > MaxBody {
			add(f+".body", "body is %d bytes; the limit is %d (64 KiB)", len(s.Body), MaxBody)
		} else if !utf8.ValidString(s.Body) {
			add(f+".body", "body is not valid UTF-8")
		}
		if len(s.Prompt) > MaxPrompt {
			add(f+".prompt", "prompt is longer than %d bytes", MaxPrompt)
		}
	}
	checkList := func(field string, list []string, max int, ok func(string) bool, want string) {
		if len(list) > max {
			add(field, "%d entries; the limit is %d", len(list), max)
			return
		}
		for i, v := range list {
			if !ok(v) {
				add(fmt.Sprintf("%s[%d]", field, i), "%.70q: %s", v, want)
			}
		}
	}
	checkList("tags", r.Tags, MaxTags, tagRE.MatchString, "use lowercase letters, digits and . _ : / - (at most 63 characters)")
	checkList("services", r.Services, MaxServices, catalog.ValidName, "not a service name")
	checkList("authors", r.Authors, MaxTags, func(s string) bool { return lineProblem(s, MaxName, true) == "" }, fmt.Sprintf("an author is 1-%d characters on one line", MaxName))
	if len(r.NoActionItems) > MaxNote {
		add("noActionItems", "note is longer than %d bytes", MaxNote)
	}
	if len(r.ActionItems) > MaxActionItems {
		add("actionItems", "%d action items; the limit is %d", len(r.ActionItems), MaxActionItems)
	}
	ids := map[string]bool{}
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		f := fmt.Sprintf("actionItems[%d]", i)
		a.validate(f, &es)
		if a.ID != "" && ids[a.ID] {
			add(f+".id", "id %q is used by another action item", a.ID)
		}
		ids[a.ID] = true
	}
	return es.Err()
}

// Normalize tidies what people type without changing what they mean:
// tags are lowercased, tags and services sorted and deduplicated, titles
// and names trimmed.
func (r *Retrospective) Normalize() {
	r.Title = strings.TrimSpace(r.Title)
	for i := range r.Tags {
		r.Tags[i] = strings.ToLower(strings.TrimSpace(r.Tags[i]))
	}
	r.Tags = sortedSet(r.Tags)
	r.Services = sortedSet(r.Services)
	for i := range r.Authors {
		r.Authors[i] = strings.TrimSpace(r.Authors[i])
	}
	for i := range r.Sections {
		r.Sections[i].Title = strings.TrimSpace(r.Sections[i].Title)
	}
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		a.Title, a.Owner, a.TrackerURL = strings.TrimSpace(a.Title), strings.TrimSpace(a.Owner), strings.TrimSpace(a.TrackerURL)
	}
	r.NoActionItems = strings.TrimSpace(r.NoActionItems)
}

// CanEdit returns nil when the retrospective's text (title, sections, tags,
// services, authors, the no-action-items note) may change, and ECONFLICT
// when it is published: a published review is a record people have read
// and linked, so it changes only after Reopen, which leaves a trace. Action
// items stay editable in every state because the work they track goes on
// after publication.
func (r *Retrospective) CanEdit() error {
	if r.State == StatePublished {
		return palisade.Errorf(palisade.ECONFLICT, "a published retrospective is read-only: reopen it for review (with a reason) to change it")
	}
	return nil
}

// Section returns the section with key, or nil.
func (r *Retrospective) Section(key string) *Section {
	for i := range r.Sections {
		if r.Sections[i].Key == key {
			return &r.Sections[i]
		}
	}
	return nil
}

// SetSection replaces the body of the section with key at now. It refuses
// a published retrospective (ECONFLICT), an unknown key (ENOTFOUND) and a
// body over MaxBody (ETOOLARGE).
func (r *Retrospective) SetSection(key, body string, now time.Time) error {
	if err := r.CanEdit(); err != nil {
		return err
	}
	s := r.Section(key)
	if s == nil {
		return palisade.FieldErrorf(palisade.ENOTFOUND, "key", "the retrospective has no section %.70q", key)
	}
	if len(body) > MaxBody {
		return palisade.FieldErrorf(palisade.ETOOLARGE, "body", "body is %d bytes; the limit is %d (64 KiB)", len(body), MaxBody)
	}
	if !utf8.ValidString(body) {
		return palisade.FieldErrorf(palisade.EINVALID, "body", "body is not valid UTF-8")
	}
	s.Body = body
	r.UpdatedAt = now
	return nil
}

// ActionItem returns the action item with id, or nil.
func (r *Retrospective) ActionItem(id string) *ActionItem {
	for i := range r.ActionItems {
		if r.ActionItems[i].ID == id {
			return &r.ActionItems[i]
		}
	}
	return nil
}

// lineProblem explains why s is not a one-line text of 1..max characters
// (0..max when not required), or returns "".
func lineProblem(s string, max int, required bool) string {
	switch {
	case required && strings.TrimSpace(s) == "":
		return "is required"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("is longer than %d characters", max)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "must be one line without control characters"
	}
	return ""
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// sortedSet returns the distinct non-empty values of list, sorted; nil
// stays nil so that JSON round trips are stable.
func sortedSet(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
