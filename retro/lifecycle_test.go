package retro

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

func TestTransition(t *testing.T) {
	now := t0.Add(100 * time.Hour)
	for _, tc := range []struct {
		from, to string
		edit     func(r *Retrospective)
		code     string // "" when the move is allowed
		message  string // part of the refusal
	}{
		{from: StateDraft, to: StateInReview},
		{from: StateInReview, to: StateDraft},
		{from: StateInReview, to: StatePublished},
		{from: StateDraft, to: StatePublished, code: palisade.ECONFLICT, message: "a draft cannot be published without review: move it to in_review first"},
		{from: StatePublished, to: StateInReview, code: palisade.ECONFLICT, message: "use reopen"},
		{from: StatePublished, to: StateDraft, code: palisade.ECONFLICT, message: "goes back to review, not to draft"},
		{from: StateDraft, to: StateDraft, code: palisade.ECONFLICT, message: "already a draft"},
		{from: StateInReview, to: StateInReview, code: palisade.ECONFLICT, message: "already in review"},
		{from: StatePublished, to: StatePublished, code: palisade.ECONFLICT, message: "already published"},
		{from: StateDraft, to: "archived", code: palisade.EINVALID, message: "unknown state"},
		{from: StateDraft, to: StateInReview, edit: func(r *Retrospective) { r.Title = "" }, code: palisade.EINVALID},
		{from: StateInReview, to: StatePublished, edit: func(r *Retrospective) { r.ActionItems[0].Owner = "" }, code: palisade.EINVALID},
		{from: StateInReview, to: StatePublished, edit: func(r *Retrospective) { r.Sections[0].Body = " \n" }, code: palisade.ECONFLICT, message: `section "Summary" is empty`},
	} {
		t.Run(tc.from+"→"+tc.to, func(t *testing.T) {
			r := sample(t)
			r.State = tc.from
			if tc.from == StatePublished {
				p := t0
				r.PublishedAt = &p
			}
			if tc.edit != nil {
				tc.edit(r)
			}
			before := *r
			err := r.Transition(tc.to, now)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r.State != tc.to || !r.UpdatedAt.Equal(now) {
					t.Fatalf("state %s updated %v", r.State, r.UpdatedAt)
				}
				if (tc.to == StatePublished) != (r.PublishedAt != nil) {
					t.Fatalf("PublishedAt = %v in %s", r.PublishedAt, r.State)
				}
				return
			}
			if palisade.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("got %v (%s), want %s containing %q", err, palisade.ErrorCode(err), tc.code, tc.message)
			}
			if r.State != before.State || !r.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatal("a refused move changed the retrospective")
			}
		})
	}
}

func TestReopen(t *testing.T) {
	r := sample(t)
	for _, to := range []string{StateInReview, StatePublished} {
		if err := r.Transition(to, t0.Add(60*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Reopen("  ", t0.Add(70*time.Hour)); palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != "reason" {
		t.Fatalf("reopen without reason: %v", err)
	}
	if err := r.Reopen(strings.Repeat("r", MaxNote+1), t0.Add(70*time.Hour)); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Fatalf("long reason: %v", err)
	}
	if err := r.Reopen("the impact numbers were wrong", t0.Add(70*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r.State != StateInReview || r.PublishedAt != nil {
		t.Fatalf("after reopen: %s %v", r.State, r.PublishedAt)
	}
	if err := r.Reopen("again", t0.Add(71*time.Hour)); palisade.ErrorCode(err) != palisade.ECONFLICT {
		t.Fatalf("reopen of a retrospective in review: %v", err)
	}
	if err := r.Transition(StatePublished, t0.Add(80*time.Hour)); err != nil || !r.PublishedAt.Equal(t0.Add(80*time.Hour)) {
		t.Fatalf("republish: %v %v", err, r.PublishedAt)
	}
}

func TestCheckPublishable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(r *Retrospective)
		fields []string
	}{
		{"complete", func(r *Retrospective) {}, nil},
		{"lucky may be empty", func(r *Retrospective) { r.Section(KeyLucky).Body = "" }, nil},
		{"action items body may be empty", func(r *Retrospective) { r.Section(KeyActionItem).Body = "" }, nil},
		{"empty sections", func(r *Retrospective) { r.Sections[0].Body, r.Sections[4].Body = "", "\t" }, []string{"sections[0].body", "sections[4].body"}},
		{"no action items, no note", func(r *Retrospective) { r.ActionItems = nil }, []string{"actionItems"}},
		{"no action items, with a note", func(r *Retrospective) {
			r.ActionItems, r.NoActionItems = nil, "The fault was in a vendor SDK that the vendor has since fixed; nothing on our side changes."
		}, nil},
		{"both", func(r *Retrospective) { r.NoActionItems = "none needed" }, []string{"noActionItems"}},
		{"optional custom section", func(r *Retrospective) { r.Sections[5].Optional, r.Sections[5].Body = true, "" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample(t)
			tc.edit(r)
			err := r.CheckPublishable()
			if got := fields(err); !reflect.DeepEqual(got, tc.fields) {
				t.Fatalf("fields = %v, want %v (%v)", got, tc.fields, err)
			}
			if err != nil && palisade.ErrorCode(err) != palisade.ECONFLICT {
				t.Fatalf("code %s", palisade.ErrorCode(err))
			}
		})
	}
}

// A fresh retrospective tells its authors everything that is missing.
func TestCheckPublishableFresh(t *testing.T) {
	r := New(nil, IncidentSummary{ID: "INC-1", Title: "t"}, t0)
	err := r.CheckPublishable()
	// Every section but "where we got lucky" and "action items" is empty,
	// and there is no action item.
	if got := len(fields(err)); got != len(r.Sections)-2+1 {
		t.Fatalf("%d problems: %v", got, err)
	}
}

func TestOverdue(t *testing.T) {
	now := t0.Add(10 * 24 * time.Hour)
	items := []ActionItem{
		{ID: "a", Title: "due later", Status: StatusOpen, DueAt: at(11 * 24 * time.Hour)},
		{ID: "b", Title: "overdue, in progress", Status: StatusInProgress, DueAt: at(9 * 24 * time.Hour)},
		{ID: "c", Title: "overdue, done", Status: StatusDone, DueAt: at(1 * 24 * time.Hour)},
		{ID: "d", Title: "overdue, won't do", Status: StatusWontDo, DueAt: at(1 * 24 * time.Hour)},
		{ID: "e", Title: "no due date", Status: StatusOpen},
		{ID: "f", Title: "most overdue", Status: StatusOpen, DueAt: at(2 * 24 * time.Hour)},
		{ID: "g", Title: "due exactly now", Status: StatusOpen, DueAt: at(10 * 24 * time.Hour)},
		{ID: "a2", Title: "tie", Status: StatusOpen, DueAt: at(9 * 24 * time.Hour)},
	}
	var ids []string
	for _, a := range Overdue(items, now) {
		ids = append(ids, a.ID)
	}
	if want := []string{"f", "a2", "b"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("overdue = %v, want %v", ids, want)
	}
	if got := Overdue(nil, now); got != nil {
		t.Fatalf("Overdue(nil) = %v", got)
	}
	// The result is a copy: sorting it must not reorder the caller's list.
	if items[0].ID != "a" {
		t.Fatal("Overdue changed its input")
	}
}
