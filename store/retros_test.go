package store_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

var retroT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// sampleRetro starts a retrospective of incident id at created with the
// given section bodies (by key).
func sampleRetro(t testing.TB, id, title, severity string, services, tags []string, created time.Time, bodies map[string]string) *retro.Retrospective {
	t.Helper()
	r := retro.New(nil, retro.IncidentSummary{ID: id, Title: title, Severity: severity, Kind: "security", Services: services}, created)
	r.Tags = append(r.Tags, tags...)
	r.Normalize()
	for k, v := range bodies {
		if err := r.SetSection(k, v, created); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	return r
}

func createRetros(t testing.TB, db *store.DB, rs ...*retro.Retrospective) {
	t.Helper()
	if err := db.WriteRetros(ctx(), func(tx retro.Tx) error {
		for _, r := range rs {
			if err := tx.Create(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func searchIDs(t *testing.T, db *store.DB, q retro.Search) []string {
	t.Helper()
	hits, err := db.SearchRetros(ctx(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	ids := []string{}
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func text(t *testing.T, q string) *retro.Expr {
	t.Helper()
	e, _, err := retro.ParseSearch(q)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// retroLibrary stores four retrospectives: RETRO-1 a leaked token (the
// word in its title), RETRO-2 a disk outage that mentions a token once,
// RETRO-3 a phishing review (published), RETRO-4 a second review of
// RETRO-1's incident.
func retroLibrary(t *testing.T, db *store.DB) []*retro.Retrospective {
	leak := sampleRetro(t, "INC-1", "Leaked CI token used against the package registry", "SEV2", []string{"registry", "ci"}, []string{"credentials"}, retroT0,
		map[string]string{
			retro.KeySummary:       "A deploy token leaked through a **build log** and pushed a malicious package (CVE-2024-3094 style backdoor).",
			"contributing_factors": "- Build logs were world-readable.\n- The log scanner did not know the v2 token format.",
		})
	disk := sampleRetro(t, "INC-2", "Registry outage after the disk filled", "SEV3", []string{"registry"}, nil, retroT0.Add(24*time.Hour),
		map[string]string{retro.KeySummary: "The registry disk filled with cache files; uploads failed. A token refresh job also failed."})
	phish := sampleRetro(t, "INC-3", "Phishing of support staff", "SEV2", []string{"support"}, []string{"phishing"}, retroT0.Add(48*time.Hour),
		map[string]string{retro.KeySummary: "Two support agents entered their credentials on a look-alike page; MFA stopped the attacker."})
	phish.State = retro.StatePublished
	pub := retroT0.Add(72 * time.Hour)
	phish.PublishedAt = &pub
	second := sampleRetro(t, "INC-1", "Leaked token: follow-up review", "SEV2", []string{"ci"}, nil, retroT0.Add(96*time.Hour), nil)
	createRetros(t, db, leak, disk, phish, second)
	return []*retro.Retrospective{leak, disk, phish, second}
}

func TestRetroSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		retroLibrary(t, db)
		for _, tc := range []struct {
			name string
			q    retro.Search
			want []string
		}{
			{"title matches rank first", retro.Search{Text: text(t, "token")}, []string{"RETRO-1", "RETRO-4", "RETRO-2"}},
			{"phrase", retro.Search{Text: text(t, `"build log"`)}, []string{"RETRO-1"}},
			{"identifier", retro.Search{Text: text(t, "CVE-2024-3094")}, []string{"RETRO-1"}},
			{"stemming", retro.Search{Text: text(t, "uploading")}, []string{"RETRO-2"}},
			{"prefix", retro.Search{Text: text(t, "phish*")}, []string{"RETRO-3"}},
			{"or", retro.Search{Text: text(t, "phishing OR disk")}, []string{"RETRO-2", "RETRO-3"}},
			{"not", retro.Search{Text: text(t, "token -disk -follow")}, []string{"RETRO-1"}},
			{"no match", retro.Search{Text: text(t, "kubernetes")}, []string{}},
			{"service", retro.Search{Service: "registry"}, []string{"RETRO-2", "RETRO-1"}},
			{"tag", retro.Search{Tag: "phishing"}, []string{"RETRO-3"}},
			{"severity", retro.Search{Severity: "SEV2"}, []string{"RETRO-4", "RETRO-3", "RETRO-1"}},
			{"state", retro.Search{State: retro.StatePublished}, []string{"RETRO-3"}},
			{"incident", retro.Search{Incident: "INC-1"}, []string{"RETRO-4", "RETRO-1"}},
			{"from-to", retro.Search{From: retroT0.Add(time.Hour), To: retroT0.Add(48 * time.Hour)}, []string{"RETRO-2"}},
			{"text and filters", retro.Search{Text: text(t, "token"), Severity: "SEV3", Service: "registry"}, []string{"RETRO-2"}},
			{"page", retro.Search{Text: text(t, "token"), Offset: 2, Limit: 1}, []string{"RETRO-2"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := searchIDs(t, db, tc.q)
				switch tc.name {
				case "or":
					slices.Sort(got)
				case "title matches rank first":
					slices.Sort(got[:min(2, len(got))]) // both titles say token; BM25 may prefer the shorter
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
		if hits, _ := db.SearchRetros(ctx(), retro.Search{Text: text(t, "scanner")}); len(hits) != 1 || hits[0].Snippet != nil {
			t.Errorf("snippets nobody asked for: %+v", hits)
		}
		hits, err := db.SearchRetros(ctx(), retro.Search{Text: text(t, "scanner"), Snippets: true})
		if err != nil || len(hits) != 1 {
			t.Fatalf("scanner: %v %+v", err, hits)
		}
		h := hits[0]
		if h.Score <= 0 || h.Title != "Leaked CI token used against the package registry" || !slices.Equal(h.Services, []string{"ci", "registry"}) ||
			!slices.Equal(h.Tags, []string{"credentials", "security"}) || h.IncidentID != "INC-1" || h.CreatedAt != retroT0 {
			t.Errorf("hit %+v", h)
		}
		var joined strings.Builder
		matched := ""
		for _, f := range h.Snippet {
			joined.WriteString(f.Text)
			if f.Match {
				matched += f.Text
			}
		}
		if matched != "scanner" || !strings.Contains(joined.String(), "log scanner did not know") || strings.ContainsAny(joined.String(), "\x01\x02\n") {
			t.Errorf("snippet %q (matches %q)", joined.String(), matched)
		}
	})
}

// TestRetroSearchPagesPastRanked pages through a search that matches more
// retrospectives than PostgreSQL ranks (the newest 1,000), in pages that
// straddle that bound: every match comes once, scores never rise, and on
// PostgreSQL the older matches follow the ranked ones, unscored, newest
// first.
func TestRetroSearchPagesPastRanked(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 1,030 retrospectives")
	}
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		const n, ranked = 1030, 1000
		rs := make([]*retro.Retrospective, n)
		for i := range rs {
			// One to five alerts, so that the scores differ.
			rs[i] = sampleRetro(t, fmt.Sprintf("INC-%d", i+1), fmt.Sprintf("Review %d", i+1), "SEV3", nil, nil, retroT0,
				map[string]string{retro.KeySummary: strings.Repeat("The alert fired. ", 1+i%5) + "Nothing else happened."})
		}
		createRetros(t, db, rs...)
		seen := map[string]bool{}
		var hits []retro.Hit
		for off := 0; off <= n; off += 70 {
			page, err := db.SearchRetros(ctx(), retro.Search{Text: text(t, "alert"), Offset: off, Limit: 70})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(70, n-off); len(page) != want {
				t.Fatalf("page at %d: %d hits, want %d", off, len(page), want)
			}
			for _, h := range page {
				if seen[h.ID] {
					t.Fatalf("%s twice (page at %d)", h.ID, off)
				}
				seen[h.ID] = true
			}
			hits = append(hits, page...)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Fatalf("score rises at %d: %s %v after %s %v", i, hits[i].ID, hits[i].Score, hits[i-1].ID, hits[i-1].Score)
			}
		}
		if db.Engine() != "postgres" {
			return
		}
		for i, h := range hits {
			if i < ranked && h.Score <= 0 {
				t.Fatalf("ranked hit %d (%s) has score %v", i, h.ID, h.Score)
			}
			if want := fmt.Sprintf("RETRO-%d", n-i); i >= ranked && (h.ID != want || h.Score != 0) {
				t.Fatalf("hit %d past the ranked ones: %s (score %v), want %s unscored", i, h.ID, h.Score, want)
			}
		}
	})
}

func TestRetroIndexFollowsEditsAndDeletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		lib := retroLibrary(t, db)
		before := lib[1]
		after := *before
		after.Sections = slices.Clone(before.Sections)
		after.Title = "Registry outage: quota exhausted"
		if err := after.SetSection(retro.KeySummary, "The object store quota was exhausted.\x00 (A NUL byte is valid UTF-8; PostgreSQL's text refuses it.)", retroT0.Add(100*time.Hour)); err != nil {
			t.Fatal(err)
		}
		after.Tags = []string{"capacity"}
		after.ActionItems = []retro.ActionItem{{ID: "AI-1", Title: "Alert on quota", Owner: "storage-team", Status: retro.StatusOpen, CreatedAt: retroT0}}
		if err := db.WriteRetros(ctx(), func(tx retro.Tx) error {
			b, err := tx.Retrospective("RETRO-2")
			if err != nil {
				return err
			}
			return tx.Update(b, &after, retro.Change{Action: "retrospective.update"})
		}); err != nil {
			t.Fatal(err)
		}
		if got := searchIDs(t, db, retro.Search{Text: text(t, "disk")}); len(got) != 0 {
			t.Errorf("old text still found: %v", got)
		}
		if got := searchIDs(t, db, retro.Search{Text: text(t, "quota")}); !slices.Equal(got, []string{"RETRO-2"}) {
			t.Errorf("new text: %v", got)
		}
		if got := searchIDs(t, db, retro.Search{Tag: "capacity"}); !slices.Equal(got, []string{"RETRO-2"}) {
			t.Errorf("new tag: %v", got)
		}
		if got := searchIDs(t, db, retro.Search{Tag: "security", Service: "registry"}); !slices.Equal(got, []string{"RETRO-1"}) {
			t.Errorf("old tag: %v", got)
		}
		r, err := db.Retrospective(ctx(), "RETRO-2")
		if err != nil || r.Title != after.Title || len(r.ActionItems) != 1 {
			t.Fatalf("stored: %v %+v", err, r)
		}
		// The audit entry holds what changed, not the whole document.
		entries, err := db.ListAudit(ctx(), auditlog.Filter{Kind: "retrospective", Object: "RETRO-2", Limit: 10})
		if err != nil || len(entries) != 2 || entries[0].Action != "retrospective.update" || entries[1].Action != "retrospective.open" {
			t.Fatalf("audit: %v %+v", err, entries)
		}
		var was, now map[string]json.RawMessage
		json.Unmarshal(entries[0].Before, &was)
		json.Unmarshal(entries[0].After, &now)
		for _, k := range []string{"title", "tags", "sections", "actionItems"} {
			if _, ok := now[k]; !ok {
				t.Errorf("audit after lacks %s: %s", k, entries[0].After)
			}
		}
		if _, ok := was["actionItems"]; ok {
			t.Errorf("audit before has action items that did not exist: %s", entries[0].Before)
		}
		if strings.Contains(string(entries[0].After), "Timeline") || entries[0].Actor != editor.String() {
			t.Errorf("audit after copies unchanged sections or lacks the actor: %+v", entries[0])
		}
		items, err := db.RetroActionItems(ctx(), retro.ItemQuery{Owner: "storage-team"})
		if err != nil || len(items) != 1 || items[0].Retrospective != "RETRO-2" || items[0].IncidentID != "INC-2" {
			t.Fatalf("items: %v %+v", err, items)
		}

		// Delete: gone from the table, the index and the item rows.
		if err := db.WriteRetros(ctx(), func(tx retro.Tx) error {
			r, err := tx.Retrospective("RETRO-2")
			if err != nil {
				return err
			}
			return tx.Delete(r)
		}); err != nil {
			t.Fatal(err)
		}
		if got := searchIDs(t, db, retro.Search{Text: text(t, "quota")}); len(got) != 0 {
			t.Errorf("deleted retrospective still found: %v", got)
		}
		if items, _ := db.RetroActionItems(ctx(), retro.ItemQuery{}); len(items) != 0 {
			t.Errorf("items of a deleted retrospective: %+v", items)
		}
		if _, err := db.Retrospective(ctx(), "RETRO-2"); palisade.ErrorCode(err) != palisade.ENOTFOUND {
			t.Errorf("deleted: %v", err)
		}
		entries, _ = db.ListAudit(ctx(), auditlog.Filter{Kind: "retrospective", Object: "RETRO-2", Limit: 1})
		if len(entries) != 1 || entries[0].Action != "retrospective.delete" || entries[0].Before == nil || entries[0].After != nil {
			t.Errorf("delete audit: %+v", entries)
		}
		// Numbers are never reused.
		next := sampleRetro(t, "INC-9", "Another", "SEV4", nil, nil, retroT0, nil)
		createRetros(t, db, next)
		if err := db.WriteRetros(ctx(), func(tx retro.Tx) error {
			r, err := tx.Retrospective("RETRO-5")
			if err != nil {
				return err
			}
			return tx.Delete(r)
		}); err != nil {
			t.Fatal(err)
		}
		createRetros(t, db, next)
		if next.ID != "RETRO-6" {
			t.Errorf("next id %s", next.ID)
		}
	})
}

func TestRetroActionItemsAndPublished(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		due := func(d time.Duration) *time.Time { x := retroT0.Add(d); return &x }
		a := sampleRetro(t, "INC-1", "A", "SEV2", nil, nil, retroT0, nil)
		a.ActionItems = []retro.ActionItem{
			{ID: "AI-1", Title: "late", Owner: "ann", Status: retro.StatusOpen, DueAt: due(time.Hour), CreatedAt: retroT0},
			{ID: "AI-2", Title: "done late", Owner: "ann", Status: retro.StatusDone, DueAt: due(time.Hour), DoneAt: due(2 * time.Hour), CreatedAt: retroT0},
			{ID: "AI-3", Title: "no date", Owner: "bob", Status: retro.StatusOpen, CreatedAt: retroT0},
		}
		b := sampleRetro(t, "INC-2", "B", "SEV3", nil, nil, retroT0.Add(time.Minute), nil)
		b.ActionItems = []retro.ActionItem{
			{ID: "AI-1", Title: "later", Owner: "bob", Status: retro.StatusInProgress, DueAt: due(30 * time.Minute), CreatedAt: retroT0},
			{ID: "AI-2", Title: "future", Owner: "ann", Status: retro.StatusOpen, DueAt: due(1000 * time.Hour), CreatedAt: retroT0},
		}
		pub := retroT0.Add(10 * time.Hour)
		b.State, b.PublishedAt = retro.StatePublished, &pub
		createRetros(t, db, a, b)
		titles := func(q retro.ItemQuery) []string {
			items, err := db.RetroActionItems(ctx(), q)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, it := range items {
				out = append(out, it.Title)
			}
			return out
		}
		if got := titles(retro.ItemQuery{Open: true, DueBefore: retroT0.Add(5 * time.Hour)}); !slices.Equal(got, []string{"later", "late"}) {
			t.Errorf("overdue: %v", got)
		}
		if got := titles(retro.ItemQuery{}); !slices.Equal(got, []string{"later", "late", "done late", "future", "no date"}) {
			t.Errorf("all: %v", got)
		}
		if got := titles(retro.ItemQuery{Owner: "ann", Status: retro.StatusOpen}); !slices.Equal(got, []string{"late", "future"}) {
			t.Errorf("ann's open: %v", got)
		}
		if got := titles(retro.ItemQuery{Offset: 1, Limit: 2}); !slices.Equal(got, []string{"late", "done late"}) {
			t.Errorf("page: %v", got)
		}
		items, _ := db.RetroActionItems(ctx(), retro.ItemQuery{Status: retro.StatusDone})
		if len(items) != 1 || items[0].DoneAt == nil || !items[0].DoneAt.Equal(*due(2 * time.Hour)) || items[0].RetroTitle != "A" {
			t.Errorf("done item: %+v", items)
		}
		list, err := db.PublishedRetros(ctx(), retroT0, 10)
		if err != nil || len(list) != 1 || list[0].ID != b.ID || list[0].PublishedAt == nil || !list[0].PublishedAt.Equal(pub) {
			t.Fatalf("published: %v %+v", err, list)
		}
		if list, _ := db.PublishedRetros(ctx(), pub.Add(time.Second), 10); len(list) != 0 {
			t.Errorf("published later: %+v", list)
		}
		docs, err := db.Retrospectives(ctx(), []string{b.ID, "RETRO-99", a.ID})
		if err != nil || len(docs) != 2 || docs[0].ID != b.ID || docs[1].ID != a.ID || len(docs[1].ActionItems) != 3 {
			t.Fatalf("by ids: %v %+v", err, docs)
		}
	})
}

// FuzzSearchSyntax runs whatever the search syntax accepts on the real
// engines: the query must never be refused by FTS5 or by to_tsquery (a
// syntax error there would be a 500, or worse, an operator smuggled in).
func FuzzSearchSyntax(f *testing.F) {
	for _, seed := range []string{
		"token leak", `"build log" -canary`, "cred* OR key*", "CVE-2024-3094", `NEAR("a" "b")`, `a AND NOT b`,
		`'x' & !y | z:*`, "\x00 \x01 \x02", "ÄÖÜ ß İ ﬁ", "a-b-c* -\"d e\"* OR f", "col:x title:y body:z", "^a $b",
	} {
		f.Add(seed)
	}
	var dbs []*store.DB
	for _, engine := range storetest.Engines {
		if engine == "postgres" && !havePostgres() {
			continue
		}
		db, err := store.Open(ctx(), storetest.DSN(f, engine), store.Options{})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { db.Close() })
		createRetros(f, db, sampleRetro(f, "INC-1", "Leaked token", "SEV2", []string{"ci"}, nil, retroT0,
			map[string]string{retro.KeySummary: "A token leaked through a build log (CVE-2024-3094)."}))
		dbs = append(dbs, db)
	}
	f.Fuzz(func(t *testing.T, q string) {
		e, _, err := retro.ParseSearch(q)
		if err != nil || e.Empty() {
			return
		}
		for _, db := range dbs {
			if _, err := db.SearchRetros(ctx(), retro.Search{Text: e, Limit: 5}); err != nil {
				t.Fatalf("%s: %q (%s): %v", db.Engine(), q, e, err)
			}
		}
	})
}

func havePostgres() bool { return os.Getenv("PALISADE_TEST_POSTGRES") != "" }
