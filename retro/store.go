package retro

import (
	"context"
	"time"
)

// Summary is a retrospective without its text: what lists and search
// results show.
type Summary struct {
	ID          string     `json:"id"`
	IncidentID  string     `json:"incidentId,omitempty"`
	Title       string     `json:"title"`
	State       string     `json:"state"`
	Severity    string     `json:"severity,omitempty"`
	Services    []string   `json:"services"`
	Tags        []string   `json:"tags"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
}

// Summary returns the retrospective's summary.
func (r *Retrospective) Summary() Summary {
	return Summary{ID: r.ID, IncidentID: r.IncidentID, Title: r.Title, State: r.State, Severity: r.Severity,
		Services: orEmpty(r.Services), Tags: orEmpty(r.Tags), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, PublishedAt: r.PublishedAt}
}

// Hit is one search result.
type Hit struct {
	Summary
	// Score orders text results, higher first. It depends on the engine
	// and the query; compare scores of one result list only.
	Score float64 `json:"score,omitempty"`
	// Snippet is a short excerpt of the text around the matches, as
	// fragments so that a page can mark the matches without parsing
	// markup. Only text searches have one.
	Snippet []Fragment `json:"snippet,omitempty"`
}

// Fragment is a piece of a snippet; Match marks the words the query found.
// Text is plain text: whoever shows it escapes it.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// Search is a query as the store runs it: the text expression (nil for
// none) and the filters, all of which must match.
type Search struct {
	Text     *Expr
	Incident string
	Service  string
	Tag      string
	Severity string
	State    string
	// From and To bound the creation time: From ≤ created < To; zero is
	// unbounded.
	From, To time.Time
	// Offset skips that many results; Limit caps the answer.
	Offset, Limit int
	// Snippets asks for a snippet per result of a text search; making
	// one reads the text again, so callers that do not show them leave
	// this off.
	Snippets bool
}

// ItemRef is an action item with the retrospective it belongs to.
type ItemRef struct {
	ActionItem
	Retrospective string `json:"retrospective"`
	RetroTitle    string `json:"retrospectiveTitle"`
	IncidentID    string `json:"incidentId,omitempty"`
}

// ItemQuery selects action items, by due date (those without one last),
// then retrospective and id.
type ItemQuery struct {
	Owner  string
	Status string
	// Open keeps items that are open or in progress.
	Open bool
	// DueBefore keeps items due before it (zero: any).
	DueBefore     time.Time
	Offset, Limit int
}

// Change describes a write for the audit log.
type Change struct {
	// Action is the audit action, such as "retrospective.update".
	Action string
	// Reason is recorded with the change (a reopen's reason).
	Reason string
}

// Tx is what a write transaction offers the retrospective logic. The store
// writes an audit entry for each change, in the same transaction, with the
// actor of the context and the fields that changed (before and after).
type Tx interface {
	// Retrospective returns the retrospective with id (ENOTFOUND).
	Retrospective(id string) (*Retrospective, error)
	// OfIncident returns the ids of the retrospectives of an incident,
	// oldest first.
	OfIncident(incidentID string) ([]string, error)
	// Create assigns the next RETRO-n id and stores r.
	Create(r *Retrospective) error
	// Update stores after in place of before (the same retrospective).
	Update(before, after *Retrospective, c Change) error
	// Delete removes r with its action items and its index entry.
	Delete(r *Retrospective) error
}

// Store is what retrospectives need from persistence.
type Store interface {
	// WriteRetros runs fn in one write transaction.
	WriteRetros(ctx context.Context, fn func(tx Tx) error) error
	// Retrospective returns the retrospective with id (ENOTFOUND).
	Retrospective(ctx context.Context, id string) (*Retrospective, error)
	// Retrospectives returns the retrospectives with the given ids that
	// exist, in the order of ids.
	Retrospectives(ctx context.Context, ids []string) ([]Retrospective, error)
	// SearchRetros returns the retrospectives that match q: ranked by
	// score (then newest first) when q has text, with a snippet each if
	// asked; newest first otherwise.
	SearchRetros(ctx context.Context, q Search) ([]Hit, error)
	// RetroActionItems returns the action items q selects.
	RetroActionItems(ctx context.Context, q ItemQuery) ([]ItemRef, error)
	// PublishedRetros returns the retrospectives published at or after
	// since, oldest publication first, at most limit.
	PublishedRetros(ctx context.Context, since time.Time, limit int) ([]Summary, error)
}

// IncidentReader is what retrospectives need from incident response. The
// wiring passes the incident service through package retroincident; tests
// may pass their own. Every method answers for the actor of ctx: incidents
// it may not see (restricted ones, other teams') do not exist for it.
type IncidentReader interface {
	// Incident returns the incident with id and its timeline (ENOTFOUND
	// when it does not exist or the caller may not see it).
	Incident(ctx context.Context, id string) (IncidentSummary, error)
	// Visible returns which of the incident ids the caller may see; ids
	// of unknown incidents map to false.
	Visible(ctx context.Context, ids []string) (map[string]bool, error)
	// Recent returns up to limit of the newest incidents the caller may
	// see, without their timelines.
	Recent(ctx context.Context, limit int) ([]IncidentSummary, error)
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
