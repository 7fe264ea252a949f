package retro

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

func TestValidate(t *testing.T) {
	if err := sample(t).Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(r *Retrospective)
		field string
	}{
		{"no title", func(r *Retrospective) { r.Title = "  " }, "title"},
		{"long title", func(r *Retrospective) { r.Title = strings.Repeat("é", MaxTitle+1) }, "title"},
		{"title of 200 characters is fine", func(r *Retrospective) { r.Title = strings.Repeat("é", MaxTitle) }, ""},
		{"two-line title", func(r *Retrospective) { r.Title = "a\nb" }, "title"},
		{"unknown state", func(r *Retrospective) { r.State = "archived" }, "state"},
		{"body over 64 KiB", func(r *Retrospective) { r.Sections[1].Body = strings.Repeat("x", MaxBody+1) }, "sections[1].body"},
		{"body of exactly 64 KiB", func(r *Retrospective) { r.Sections[1].Body = strings.Repeat("x", MaxBody) }, ""},
		{"body not UTF-8", func(r *Retrospective) { r.Sections[0].Body = "\xff" }, "sections[0].body"},
		{"bad section key", func(r *Retrospective) { r.Sections[2].Key = "Time Line" }, "sections[2].key"},
		{"duplicate section key", func(r *Retrospective) { r.Sections[3].Key = r.Sections[0].Key }, "sections[3].key"},
		{"section without title", func(r *Retrospective) { r.Sections[4].Title = "" }, "sections[4].title"},
		{"too many sections", func(r *Retrospective) {
			for i := len(r.Sections); i <= MaxSections; i++ {
				r.Sections = append(r.Sections, Section{Key: "extra_" + strings.Repeat("x", i), Title: "x"})
			}
		}, "sections"},
		{"too many action items", func(r *Retrospective) {
			for i := len(r.ActionItems); i <= MaxActionItems; i++ {
				r.ActionItems = append(r.ActionItems, ActionItem{Title: "x", Owner: "o", Status: StatusOpen})
			}
		}, "actionItems"},
		{"action item without owner", func(r *Retrospective) { r.ActionItems[1].Owner = " " }, "actionItems[1].owner"},
		{"action item without title", func(r *Retrospective) { r.ActionItems[0].Title = "" }, "actionItems[0].title"},
		{"action item status", func(r *Retrospective) { r.ActionItems[0].Status = "blocked" }, "actionItems[0].status"},
		{"duplicate action item id", func(r *Retrospective) { r.ActionItems[1].ID = r.ActionItems[0].ID }, "actionItems[1].id"},
		{"tracker over http", func(r *Retrospective) { r.ActionItems[0].TrackerURL = "http://tracker.example.com/SEC-1" }, "actionItems[0].trackerUrl"},
		{"tracker javascript", func(r *Retrospective) { r.ActionItems[0].TrackerURL = "javascript:alert(1)" }, "actionItems[0].trackerUrl"},
		{"tracker without host", func(r *Retrospective) { r.ActionItems[0].TrackerURL = "https:///SEC-1" }, "actionItems[0].trackerUrl"},
		{"tracker with credentials", func(r *Retrospective) { r.ActionItems[0].TrackerURL = "https://user:pw@tracker.example.com/" }, "actionItems[0].trackerUrl"},
		{"tracker with a space", func(r *Retrospective) { r.ActionItems[0].TrackerURL = "https://tracker.example.com/a b" }, "actionItems[0].trackerUrl"},
		{"tracker too long", func(r *Retrospective) {
			r.ActionItems[0].TrackerURL = "https://tracker.example.com/" + strings.Repeat("a", MaxURL)
		}, "actionItems[0].trackerUrl"},
		{"tracker of 2048 bytes is fine", func(r *Retrospective) {
			u := "https://tracker.example.com/"
			r.ActionItems[0].TrackerURL = u + strings.Repeat("a", MaxURL-len(u))
		}, ""},
		{"bad tag", func(r *Retrospective) { r.Tags = []string{"Has Space"} }, "tags[0]"},
		{"bad service", func(r *Retrospective) { r.Services = []string{"ok", "Not OK"} }, "services[1]"},
		{"empty author", func(r *Retrospective) { r.Authors = []string{""} }, "authors[0]"},
		{"long note", func(r *Retrospective) { r.NoActionItems = strings.Repeat("n", MaxNote+1) }, "noActionItems"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample(t)
			tc.edit(r)
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if palisade.ErrorCode(err) != palisade.EINVALID || !hasField(err, tc.field) {
				t.Fatalf("want EINVALID on %s, got %v (fields %v)", tc.field, err, fields(err))
			}
		})
	}
}

// Validate reports every problem at once, so a form can mark them all.
func TestValidateReportsAll(t *testing.T) {
	r := sample(t)
	r.Title = ""
	r.ActionItems[0].Owner = ""
	r.ActionItems[1].TrackerURL = "ftp://x"
	got := fields(r.Validate())
	want := []string{"title", "actionItems[0].owner", "actionItems[1].trackerUrl"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

func TestNormalize(t *testing.T) {
	r := &Retrospective{Title: "  t ", Tags: []string{"CVE-2024-1", " b", "a", "cve-2024-1", ""}, Services: []string{"z", "a", "z"},
		ActionItems: []ActionItem{{Title: " x ", Owner: " o ", TrackerURL: " https://t.example.com/1 "}}}
	r.Normalize()
	if r.Title != "t" || !reflect.DeepEqual(r.Tags, []string{"a", "b", "cve-2024-1"}) || !reflect.DeepEqual(r.Services, []string{"a", "z"}) {
		t.Fatalf("%+v", r)
	}
	if a := r.ActionItems[0]; a.Title != "x" || a.Owner != "o" || a.TrackerURL != "https://t.example.com/1" {
		t.Fatalf("%+v", a)
	}
}

func TestSetSection(t *testing.T) {
	r := sample(t)
	now := t0.Add(72 * time.Hour)
	if err := r.SetSection(KeyLucky, "The attacker pushed only one version.", now); err != nil {
		t.Fatal(err)
	}
	if r.Section(KeyLucky).Body != "The attacker pushed only one version." || !r.UpdatedAt.Equal(now) {
		t.Fatalf("not set: %+v", r.Section(KeyLucky))
	}
	for _, tc := range []struct {
		key, body string
		code      string
	}{
		{"nope", "x", palisade.ENOTFOUND},
		{KeySummary, strings.Repeat("x", MaxBody+1), palisade.ETOOLARGE},
		{KeySummary, "\xfe", palisade.EINVALID},
	} {
		if err := r.SetSection(tc.key, tc.body, now); palisade.ErrorCode(err) != tc.code {
			t.Errorf("SetSection(%q, %.10q) = %v, want %s", tc.key, tc.body, err, tc.code)
		}
	}
	r.State = StatePublished
	if err := r.SetSection(KeySummary, "changed", now); palisade.ErrorCode(err) != palisade.ECONFLICT {
		t.Fatalf("published: %v", err)
	}
	if err := r.CanEdit(); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("CanEdit should explain how to edit: %v", err)
	}
}

func TestActionItemSetStatus(t *testing.T) {
	a := ActionItem{Title: "x", Owner: "o", Status: StatusOpen}
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	steps := []struct {
		to     string
		now    time.Time
		doneAt *time.Time
	}{
		{StatusInProgress, t1, nil},
		{StatusDone, t1, &t1},
		{StatusWontDo, t2, &t1}, // still closed: keeps when it was first closed
		{StatusOpen, t2, nil},   // reopened
		{StatusWontDo, t2, &t2},
	}
	for _, s := range steps {
		if err := a.SetStatus(s.to, s.now); err != nil {
			t.Fatal(err)
		}
		if (a.DoneAt == nil) != (s.doneAt == nil) || (a.DoneAt != nil && !a.DoneAt.Equal(*s.doneAt)) {
			t.Fatalf("after %s: DoneAt %v, want %v", s.to, a.DoneAt, s.doneAt)
		}
	}
	if err := a.SetStatus("blocked", t2); palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != "status" {
		t.Fatalf("unknown status: %v", err)
	}
	if err := (&ActionItem{Status: StatusOpen, Title: "x"}).Validate("item"); palisade.ErrorField(err) != "item.owner" {
		t.Fatalf("Validate prefix: %v", err)
	}
}

// The JSON form is what the API and the store see; its names are part of
// the contract.
func TestJSONNames(t *testing.T) {
	b, err := json.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"incidentId"`, `"actionItems"`, `"trackerUrl"`, `"dueAt"`, `"doneAt"`, `"createdAt"`, `"updatedAt"`, `"optional"`, `"prompt"`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("JSON lacks %s", name)
		}
	}
	var back Retrospective
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Markdown() != sample(t).Markdown() {
		t.Fatal("JSON round trip changed the document")
	}
}
