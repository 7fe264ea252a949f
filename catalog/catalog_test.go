package catalog

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"a", true}, {"payments-api", true}, {"v1.2_x", true}, {"9lives", true},
		{strings.Repeat("a", MaxNameLen), true}, {strings.Repeat("a", MaxNameLen+1), false},
		{"", false}, {"-a", false}, {"a-", false}, {"A", false}, {"a b", false}, {"a/b", false}, {"é", false},
	} {
		if got := ValidName(tc.name); got != tc.want {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	c := Catalog{
		Teams: []Team{{Name: "b", Members: []string{" y ", "x", "y", ""}}, {Name: "a"}},
		Services: []Service{
			{Name: "s2", Tier: 1, Tags: []string{"web", "api", "web"}, DependsOn: []string{"s1", " s1"}},
			{Name: "s1", ThirdParties: []string{"v"}},
		},
		ThirdParties: []ThirdParty{{Name: "v", DataClasses: []string{"pii", "pii"}}},
	}
	c.Normalize()
	want := Catalog{
		Teams: []Team{{Name: "a", Members: []string{}}, {Name: "b", Members: []string{"x", "y"}}},
		Services: []Service{
			{Name: "s1", Tier: DefaultTier, Tags: []string{}, DataClasses: []string{}, DependsOn: []string{}, ThirdParties: []string{"v"}},
			{Name: "s2", Tier: 1, Tags: []string{"api", "web"}, DataClasses: []string{}, DependsOn: []string{"s1"}, ThirdParties: []string{}},
		},
		ThirdParties: []ThirdParty{{Name: "v", DataClasses: []string{"pii"}}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", c, want)
	}
	// Normalizing twice changes nothing, so a declared catalog and the
	// stored one compare equal.
	again := c
	again.Normalize()
	if !reflect.DeepEqual(again, want) {
		t.Errorf("second Normalize changed the catalog: %+v", again)
	}
}

func TestValidate(t *testing.T) {
	var manyMembers []string
	for i := range MaxListLen + 1 {
		manyMembers = append(manyMembers, strconv.Itoa(i)+"@example.com")
	}
	team := func(name string) Team { return Team{Name: name} }
	svc := func(name, team string, deps ...string) Service {
		return Service{Name: name, Team: team, DependsOn: deps}
	}
	existing := &Catalog{
		Teams:        []Team{team("stored-team")},
		Services:     []Service{svc("stored-svc", "stored-team")},
		ThirdParties: []ThirdParty{{Name: "stored-vendor"}},
	}
	for _, tc := range []struct {
		name     string
		doc      Catalog
		existing *Catalog
		want     []string
	}{{
		name: "valid",
		doc: Catalog{
			Teams:        []Team{team("a")},
			Services:     []Service{svc("x", "a", "y"), {Name: "y", Team: "a", Tier: 4, ThirdParties: []string{"v"}}},
			ThirdParties: []ThirdParty{{Name: "v", StatusPage: "https://status.example.com", Website: "http://example.com"}},
		},
	}, {
		name: "duplicate names",
		doc: Catalog{
			Teams:        []Team{team("a"), team("a")},
			Services:     []Service{svc("x", "a"), svc("x", "a")},
			ThirdParties: []ThirdParty{{Name: "v"}, {Name: "v"}},
		},
		want: []string{
			`team a.name: duplicate team name "a"`,
			`thirdParty v.name: duplicate thirdParty name "v"`,
			`service x.name: duplicate service name "x"`,
		},
	}, {
		name: "the same name in different kinds is fine",
		doc:  Catalog{Teams: []Team{team("shop")}, Services: []Service{svc("shop", "shop")}, ThirdParties: []ThirdParty{{Name: "shop"}}},
	}, {
		name: "unknown team",
		doc:  Catalog{Teams: []Team{team("a")}, Services: []Service{svc("x", "b"), svc("y", "")}},
		want: []string{`service x.team: unknown team "b"`, `service y.team: team is required`},
	}, {
		name: "unknown service and self dependency",
		doc:  Catalog{Teams: []Team{team("a")}, Services: []Service{svc("x", "a", "x", "ghost")}},
		want: []string{`service x.dependsOn: unknown service "ghost"`, `service x.dependsOn: service "x" depends on itself`},
	}, {
		name: "unknown third party",
		doc:  Catalog{Teams: []Team{team("a")}, Services: []Service{{Name: "x", Team: "a", ThirdParties: []string{"nope"}}}},
		want: []string{`service x.thirdParties: unknown third party "nope"`},
	}, {
		name: "tier out of range",
		doc: Catalog{Teams: []Team{team("a")}, Services: []Service{
			{Name: "x", Team: "a", Tier: 5}, {Name: "y", Team: "a", Tier: -1}, {Name: "z", Team: "a", Tier: 0},
		}},
		want: []string{`service x.tier: tier 5 is out of range 1..4`, `service y.tier: tier -1 is out of range 1..4`},
	}, {
		name: "names",
		doc:  Catalog{Teams: []Team{team(""), team("Upper")}},
		want: []string{
			`team .name: name is required`,
			`team Upper.name: invalid name "Upper": use lowercase letters, digits, '.', '_' and '-' (at most 63 characters)`,
		},
	}, {
		name: "limits",
		doc: Catalog{
			Teams:    []Team{{Name: "a", Description: strings.Repeat("d", MaxDescriptionLen+1), Members: manyMembers}},
			Services: []Service{{Name: "x", Team: "a", Tags: []string{strings.Repeat("t", 4*MaxNameLen+1)}}},
		},
		want: []string{
			`team a.description: description is 1025 characters; the limit is 1024`,
			`team a.members: 257 entries; the limit is 256`,
			`service x.tags: entry "tttttttttttttttttttt"... is longer than 252 characters`,
		},
	}, {
		name: "URLs",
		doc:  Catalog{ThirdParties: []ThirdParty{{Name: "v", StatusPage: "ftp://status.example.com"}}},
		want: []string{`thirdParty v.statusPage: "ftp://status.example.com" is not an absolute http(s) URL`},
	}, {
		name:     "references resolve against the stored catalog",
		doc:      Catalog{Services: []Service{{Name: "x", Team: "stored-team", DependsOn: []string{"stored-svc"}, ThirdParties: []string{"stored-vendor"}}}},
		existing: existing,
	}, {
		name: "without the stored catalog (prune) they do not",
		doc:  Catalog{Services: []Service{{Name: "x", Team: "stored-team", DependsOn: []string{"stored-svc"}, ThirdParties: []string{"stored-vendor"}}}},
		want: []string{
			`service x.team: unknown team "stored-team"`,
			`service x.dependsOn: unknown service "stored-svc"`,
			`service x.thirdParties: unknown third party "stored-vendor"`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Document{Catalog: tc.doc}
			d.Normalize()
			errs := d.Validate(tc.existing)
			var got []string
			for _, e := range errs {
				if e.Code != palisade.EUNPROCESSABLE {
					t.Errorf("code of %q = %s, want %s", e.Error(), e.Code, palisade.EUNPROCESSABLE)
				}
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestValidateTooManyObjects(t *testing.T) {
	d := &Document{}
	for range MaxObjects + 1 {
		d.ThirdParties = append(d.ThirdParties, ThirdParty{Name: "v"})
	}
	errs := d.Validate(nil)
	if len(errs) != 1 || errs[0].Code != palisade.ETOOLARGE {
		t.Errorf("Validate = %v, want one %s error", errs, palisade.ETOOLARGE)
	}
}

// changes lists a plan's changes as "op kind name".
func changes(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Op+" "+c.Kind+" "+c.Name)
	}
	return out
}

func TestDiff(t *testing.T) {
	current := Catalog{
		Teams:        []Team{{Name: "keep"}, {Name: "old-team"}, {Name: "renamed", Description: "before"}},
		Services:     []Service{{Name: "same", Team: "keep"}, {Name: "gone-1", Team: "keep"}, {Name: "gone-2", Team: "keep"}, {Name: "tiered", Team: "keep", Tier: 2}},
		ThirdParties: []ThirdParty{{Name: "old-vendor"}},
	}
	desired := Catalog{
		Teams:        []Team{{Name: "keep"}, {Name: "renamed", Description: "after"}, {Name: "new-team"}},
		Services:     []Service{{Name: "same", Team: "keep"}, {Name: "tiered", Team: "keep", Tier: 1}, {Name: "fresh", Team: "new-team", ThirdParties: []string{"new-vendor"}}},
		ThirdParties: []ThirdParty{{Name: "new-vendor"}},
	}
	current.Normalize()
	desired.Normalize()
	for _, tc := range []struct {
		name    string
		prune   bool
		changes []string
		summary map[string]Counts
	}{{
		name: "without prune",
		changes: []string{
			"create team new-team", "update team renamed",
			"create thirdParty new-vendor",
			"create service fresh", "update service tiered",
		},
		summary: map[string]Counts{
			KindTeam:       {Created: 1, Updated: 1, Unchanged: 1},
			KindService:    {Created: 1, Updated: 1, Unchanged: 1},
			KindThirdParty: {Created: 1},
		},
	}, {
		name:  "with prune",
		prune: true,
		changes: []string{
			"create team new-team", "update team renamed",
			"create thirdParty new-vendor",
			"create service fresh", "update service tiered",
			// Services go first (they refer to the rest), in reverse order.
			"delete service gone-2", "delete service gone-1",
			"delete team old-team", "delete thirdParty old-vendor",
		},
		summary: map[string]Counts{
			KindTeam:       {Created: 1, Updated: 1, Unchanged: 1, Deleted: 1},
			KindService:    {Created: 1, Updated: 1, Unchanged: 1, Deleted: 2},
			KindThirdParty: {Created: 1, Deleted: 1},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := Diff(&current, &desired, tc.prune)
			if got := changes(p); !slices.Equal(got, tc.changes) {
				t.Errorf("changes:\n got %q\nwant %q", got, tc.changes)
			}
			if !reflect.DeepEqual(p.Summary, tc.summary) {
				t.Errorf("summary = %+v, want %+v", p.Summary, tc.summary)
			}
			for _, c := range p.Changes {
				if (c.Before == nil) != (c.Op == OpCreate) || (c.After == nil) != (c.Op == OpDelete) {
					t.Errorf("%s %s %s: before %v, after %v", c.Op, c.Kind, c.Name, c.Before, c.After)
				}
			}
			if p.Empty() {
				t.Error("Empty() = true for a plan with changes")
			}
		})
	}
	// Applying the same catalog again changes nothing.
	p := Diff(&desired, &desired, true)
	if !p.Empty() || p.Summary[KindService] != (Counts{Unchanged: 3}) {
		t.Errorf("Diff of a catalog with itself: %q, %+v", changes(p), p.Summary)
	}
}

func TestDiffDependencyOrder(t *testing.T) {
	desired := Catalog{
		Teams: []Team{{Name: "t"}},
		Services: []Service{
			{Name: "a-frontend", Team: "t", DependsOn: []string{"b-api"}},
			{Name: "b-api", Team: "t", DependsOn: []string{"c-db", "d-cache"}},
			{Name: "c-db", Team: "t"},
			{Name: "d-cache", Team: "t", DependsOn: []string{"c-db", "elsewhere"}},
			{Name: "e-loop", Team: "t", DependsOn: []string{"f-loop"}},
			{Name: "f-loop", Team: "t", DependsOn: []string{"e-loop"}},
		},
	}
	desired.Normalize()
	p := Diff(&Catalog{}, &desired, false)
	var order []string
	for _, c := range p.Changes {
		if c.Kind == KindService {
			order = append(order, c.Name)
		}
	}
	want := []string{"c-db", "d-cache", "b-api", "a-frontend", "f-loop", "e-loop"}
	if !slices.Equal(order, want) {
		t.Errorf("service creation order = %q, want %q", order, want)
	}
	if got := changes(p)[0]; got != "create team t" {
		t.Errorf("first change = %q, want the team before its services", got)
	}
}

func TestDocumentMergeAndLoc(t *testing.T) {
	a, err := ParseYAML("a.yaml", []byte("teams:\n  - name: t\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseYAML("b.yaml", []byte("services:\n  - name: s\n    team: t\n  - name: t2\n"))
	if err != nil {
		t.Fatal(err)
	}
	b.Warnings = []string{"w"}
	a.Merge(b)
	if len(a.Teams) != 1 || len(a.Services) != 2 || !slices.Equal(a.Warnings, []string{"w"}) {
		t.Errorf("Merge: %+v, warnings %q", a.Catalog, a.Warnings)
	}
	for _, tc := range []struct{ kind, name, field, want string }{
		{KindTeam, "t", "name", "a.yaml:2:11"},
		{KindService, "s", "team", "b.yaml:3:11"},
		{KindService, "t2", "team", "b.yaml:4:5"}, // not written: the object
		{KindService, "nowhere", "", ""},
	} {
		if got := a.Loc(tc.kind, tc.name, tc.field).String(); got != tc.want {
			t.Errorf("Loc(%s, %s, %q) = %q, want %q", tc.kind, tc.name, tc.field, got, tc.want)
		}
	}
}
