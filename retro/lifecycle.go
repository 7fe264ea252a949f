package retro

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// refusal explains why the move from → to is not allowed, or returns ""
// when Transition may make it (subject to its checks).
func refusal(from, to string) string {
	switch {
	case from == to:
		return "the retrospective is already " + label(from)
	case from == StateDraft && to == StatePublished:
		return "a draft cannot be published without review: move it to in_review first"
	case from == StatePublished && to == StateInReview:
		return "reopening a published retrospective needs a reason: use reopen and give one"
	case from == StatePublished && to == StateDraft:
		return "a published retrospective goes back to review, not to draft: reopen it (with a reason), then send it back to draft if needed"
	}
	return ""
}

// Transition moves the retrospective to state to at now:
//
//	draft     → in_review  (the text must be valid)
//	in_review → draft      (sent back to the authors)
//	in_review → published  (CheckPublishable must pass; stamps PublishedAt)
//
// Every other move is refused with the reason (ECONFLICT); an unknown state
// is EINVALID. A published retrospective goes back to review only through
// Reopen, which needs a reason.
func (r *Retrospective) Transition(to string, now time.Time) error {
	if !slices.Contains(States, to) {
		return palisade.FieldErrorf(palisade.EINVALID, "state", "unknown state %q: use %s", to, strings.Join(States, ", "))
	}
	if msg := refusal(r.State, to); msg != "" {
		return palisade.FieldErrorf(palisade.ECONFLICT, "state", "%s", msg)
	}
	switch to {
	case StateInReview:
		if err := r.Validate(); err != nil {
			return err
		}
	case StatePublished:
		if err := r.Validate(); err != nil {
			return err
		}
		if err := r.CheckPublishable(); err != nil {
			return err
		}
		t := now
		r.PublishedAt = &t
	}
	r.State = to
	r.UpdatedAt = now
	return nil
}

// Reopen moves a published retrospective back to in_review at now, so that
// it can be corrected and published again. reason is required (EINVALID
// without one) because a published review may already have been read and
// cited; the caller records it with the actor in the audit log. PublishedAt
// is cleared until the next publication.
func (r *Retrospective) Reopen(reason string, now time.Time) error {
	if r.State != StatePublished {
		return palisade.FieldErrorf(palisade.ECONFLICT, "state", "only a published retrospective is reopened; this one is %s", label(r.State))
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return palisade.FieldErrorf(palisade.EINVALID, "reason", "say why the published retrospective is reopened")
	case len(reason) > MaxNote:
		return palisade.FieldErrorf(palisade.EINVALID, "reason", "reason is longer than %d bytes", MaxNote)
	}
	r.State = StateInReview
	r.PublishedAt = nil
	r.UpdatedAt = now
	return nil
}

// CheckPublishable returns every reason the retrospective cannot be
// published yet (palisade.Errors, code ECONFLICT), or nil:
//
//   - every section not marked optional has a body (the default template
//     marks "where we got lucky" optional); the action items section is
//     exempt because the action items (or the note) are its content;
//   - it has at least one action item, or the NoActionItems note says why
//     there are none — but not both, which would contradict each other.
func (r *Retrospective) CheckPublishable() error {
	var es palisade.Errors
	for i, s := range r.Sections {
		if s.Optional || s.Key == actionItemsKey || strings.TrimSpace(s.Body) != "" {
			continue
		}
		es = append(es, palisade.FieldErrorf(palisade.ECONFLICT, fmt.Sprintf("sections[%d].body", i), "section %q is empty: write it before publishing", s.Title))
	}
	switch {
	case len(r.ActionItems) == 0 && r.NoActionItems == "":
		es = append(es, palisade.FieldErrorf(palisade.ECONFLICT, "actionItems", "add at least one action item, or write in the no-action-items note why this incident needs none"))
	case len(r.ActionItems) > 0 && r.NoActionItems != "":
		es = append(es, palisade.FieldErrorf(palisade.ECONFLICT, "noActionItems", "the retrospective has action items and a note saying it needs none: remove one of them"))
	}
	return es.Err()
}

// Overdue returns the items of items that are still open or in progress and
// whose due date is before now, most overdue first (ties by id, then
// title), as copies. Items without a due date are never overdue: the
// digest reports them separately if it wants to.
func Overdue(items []ActionItem, now time.Time) []ActionItem {
	var out []ActionItem
	for _, a := range items {
		if a.Closed() || a.DueAt == nil || !a.DueAt.Before(now) {
			continue
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b ActionItem) int {
		if c := a.DueAt.Compare(*b.DueAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
	return out
}

// label is how messages and exports name a state.
func label(state string) string {
	switch state {
	case StateDraft:
		return "a draft"
	case StateInReview:
		return "in review"
	case StatePublished:
		return "published"
	}
	return fmt.Sprintf("%q", state)
}
