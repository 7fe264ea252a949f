package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/palisade-project/palisade"
)

// readTree returns the .yaml files under dir keyed by their path relative to
// dir, as the CLI passes them.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// backstageExamples is what the Backstage example catalog (testdata/backstage,
// from backstage/backstage packages/catalog-model/examples) maps to.
var backstageExamples = Catalog{
	Teams: []Team{
		{Name: "guest", Members: []string{}},
		{Name: "team-a", Members: []string{}},
		{Name: "team-d", Members: []string{}},
	},
	Services: []Service{
		{
			Name: "artist-lookup", Description: "Artist Lookup", Team: "team-a", Tier: DefaultTier,
			System: "artist-engagement-portal", Lifecycle: "experimental", Tags: []string{"data", "java"},
			DataClasses: []string{}, DependsOn: []string{"artists-db"}, ThirdParties: []string{},
		},
		{
			Name: "artists-db", Description: "Stores artist details", Team: "team-a", Tier: DefaultTier,
			System: "artist-engagement-portal", Tags: []string{}, DataClasses: []string{}, DependsOn: []string{}, ThirdParties: []string{},
		},
		{
			Name: "playback-order", Description: "Playback Order", Team: "guest", Tier: DefaultTier,
			System: "audio-playback", Lifecycle: "production", Tags: []string{"java", "playback"},
			DataClasses: []string{}, DependsOn: []string{}, ThirdParties: []string{},
		},
		{
			Name: "wayback-archive", Description: "Archive of the wayback machine", Team: "team-a", Tier: DefaultTier,
			Lifecycle: "production", Tags: []string{}, DataClasses: []string{},
			DependsOn: []string{"wayback-archive-ingestion", "wayback-archive-storage"}, ThirdParties: []string{},
		},
		{
			Name: "wayback-archive-ingestion", Description: "Ingestion subsystem of the Wayback Archive", Team: "team-d",
			Tier: DefaultTier, Lifecycle: "production", Tags: []string{}, DataClasses: []string{}, DependsOn: []string{}, ThirdParties: []string{},
		},
		{
			Name: "wayback-archive-storage", Description: "Storage subsystem of the Wayback Archive", Team: "team-a",
			Tier: DefaultTier, Lifecycle: "production", Tags: []string{}, DataClasses: []string{}, DependsOn: []string{}, ThirdParties: []string{},
		},
		{
			Name: "wayback-search", Description: "Search of the wayback machine", Team: "team-a", Tier: DefaultTier,
			Lifecycle: "production", Tags: []string{}, DataClasses: []string{}, DependsOn: []string{"wayback-archive"}, ThirdParties: []string{},
		},
	},
}

var backstageExampleWarnings = []string{
	`skipped kind Domain "artists" (domains/artists-domain.yaml:2:7)`,
	`team "team-a" created from owner reference (components/artist-lookup-component.yaml:37:10)`,
	`component "playback-order" is owned by user "guest", not a group; it is assigned to team "guest" (components/playback-order-component.yaml:12:10)`,
	`team "guest" created from owner reference (components/playback-order-component.yaml:12:10)`,
	`team "team-d" created from owner reference (components/wayback-archive-ingestion-component.yaml:9:10)`,
}

// checkBackstageExamples parses the example catalog found in dir and
// compares it with the expected model.
func checkBackstageExamples(t *testing.T, dir string) {
	t.Helper()
	files := readTree(t, dir)
	if len(files) != 11 {
		t.Errorf("found %d files in %s, want the 11 examples", len(files), dir)
	}
	d, err := ParseBackstageFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Warnings, backstageExampleWarnings) {
		t.Errorf("warnings:\n got %q\nwant %q", d.Warnings, backstageExampleWarnings)
	}
	d.Normalize()
	if !reflect.DeepEqual(d.Catalog, backstageExamples) {
		t.Errorf("catalog:\n got %+v\nwant %+v", d.Catalog, backstageExamples)
	}
	if errs := d.Validate(nil); errs != nil {
		t.Errorf("Validate: %v", errs)
	}
	for _, tc := range []struct{ kind, name, field, want string }{
		{KindService, "artist-lookup", "", "components/artist-lookup-component.yaml:1:1"},
		{KindService, "artist-lookup", "name", "components/artist-lookup-component.yaml:7:9"},
		{KindService, "artist-lookup", "tags", "components/artist-lookup-component.yaml:10:5"},
		{KindService, "artist-lookup", "team", "components/artist-lookup-component.yaml:37:10"},
		{KindService, "artist-lookup", "dependsOn", "components/artist-lookup-component.yaml:39:14"},
		{KindService, "wayback-search", "dependsOn", "components/wayback-search-component.yaml:15:5"},
		{KindTeam, "team-d", "", "components/wayback-archive-ingestion-component.yaml:9:10"},
	} {
		if got := d.Loc(tc.kind, tc.name, tc.field).String(); got != tc.want {
			t.Errorf("Loc(%s, %s, %q) = %s, want %s", tc.kind, tc.name, tc.field, got, tc.want)
		}
	}
}

func TestParseBackstageExamples(t *testing.T) {
	checkBackstageExamples(t, "testdata/backstage")
}

// TestBackstageConformance reads the example catalog from the shared corpora
// next to the checkout, so that a refreshed corpus is checked too.
func TestBackstageConformance(t *testing.T) {
	const dir = "../../shared/corpora/backstage-catalog-examples"
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("PALISADE_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("PALISADE_REQUIRE_INTEGRATION=1 but the Backstage corpus is missing: %v", err)
		}
		t.Skipf("Backstage corpus not found at %s (it sits next to the project checkout); skipping", dir)
	}
	checkBackstageExamples(t, dir)
}

func TestParseBackstageMapping(t *testing.T) {
	const header = "apiVersion: backstage.io/v1alpha1\n"
	for _, tc := range []struct {
		name     string
		files    map[string]string
		want     Catalog
		warnings []string
	}{{
		name: "groups, users and annotations",
		files: map[string]string{"org.yaml": header + `kind: Group
metadata:
  name: Team-A
  description: The A team
spec:
  type: team
  children: []
  members: [jdoe]
---
` + header + `kind: User
metadata:
  name: jdoe
spec:
  profile:
    email: jdoe@example.com
  memberOf: [team-a, group:default/team-b]
---
apiVersion: backstage.io/v1beta1
kind: User
metadata:
  name: Guest
spec:
  memberOf: [Team-A]
`, "web.yaml": header + `kind: Component
metadata:
  name: Web
  namespace: shop
  tags: [java]
  annotations:
    palisade.dev/tier: "1"
    palisade.dev/data-classes: "pii, Payment-Card,"
    palisade.dev/third-parties: stripe
    example.com/unrelated: {nested: [1, 2]}
spec:
  type: website
  owner: group:default/team-a
  lifecycle: production
  system: system:default/shop
  dependsOn: [component:default/db, api:billing, Resource:cache, db2]
---
` + header + `kind: Resource
metadata:
  name: db
spec:
  owner: team-a
  type: database
`},
		want: Catalog{
			Teams: []Team{{Name: "team-a", Description: "The A team", Members: []string{"jdoe", "jdoe@example.com", "guest"}}},
			Services: []Service{
				{
					Name: "web", Team: "team-a", Tier: 1, System: "shop", Lifecycle: "production", Tags: []string{"java"},
					DataClasses: []string{"pii", "payment-card"}, ThirdParties: []string{"stripe"}, DependsOn: []string{"db", "cache", "db2"},
				},
				{Name: "db", Team: "team-a"},
			},
		},
		warnings: []string{
			`user "jdoe" is a member of "team-b", which no Group declares; membership skipped (org.yaml:18:22)`,
			`component "web" depends on api "billing", which is not a service; skipped (web.yaml:17:37)`,
		},
	}, {
		name: "owner references",
		files: map[string]string{"c.yaml": header + `kind: Component
metadata: {name: a}
spec: {owner: team-a}
---
` + header + `kind: Component
metadata: {name: b}
spec: {owner: "group:team-a"}
---
` + header + `kind: Resource
metadata: {name: c}
spec: {owner: "group:default/team-a"}
---
` + header + `kind: Component
metadata: {name: d}
spec: {owner: "user:default/guest"}
---
` + header + `kind: Component
metadata: {name: e}
spec: {type: library}
`},
		want: Catalog{
			Teams: []Team{{Name: "team-a"}, {Name: "guest"}},
			Services: []Service{
				{Name: "a", Team: "team-a"}, {Name: "b", Team: "team-a"}, {Name: "c", Team: "team-a"},
				{Name: "d", Team: "guest"}, {Name: "e"},
			},
		},
		warnings: []string{
			`team "team-a" created from owner reference (c.yaml:4:15)`,
			`component "d" is owned by user "guest", not a group; it is assigned to team "guest" (c.yaml:19:15)`,
			`team "guest" created from owner reference (c.yaml:19:15)`,
		},
	}, {
		name: "subcomponents and APIs across files",
		files: map[string]string{
			"a-child.yaml": header + `kind: Component
metadata: {name: child}
spec: {owner: t, subcomponentOf: "component:default/parent"}
---
` + header + `kind: Component
metadata: {name: orphan}
spec: {owner: t, subcomponentOf: nowhere}
`,
			"b-consumer.yaml": header + `kind: Component
metadata: {name: consumer}
spec:
  owner: t
  consumesApis: [api:default/orders, own, missing]
  providesApis: [own]
`,
			"c-parent.yaml": header + `kind: Component
metadata: {name: parent}
spec: {owner: t, providesApis: [orders]}
---
` + header + `kind: Component
metadata: {name: other-provider}
spec: {owner: t, providesApis: ["api:orders"]}
---
` + header + `kind: API
metadata: {name: orders}
spec: {type: openapi, owner: t, definition: "openapi: 3.0.0"}
`,
		},
		want: Catalog{
			Teams: []Team{{Name: "t"}},
			Services: []Service{
				{Name: "child", Team: "t"},
				{Name: "orphan", Team: "t"},
				{Name: "consumer", Team: "t", DependsOn: []string{"parent", "other-provider"}},
				{Name: "parent", Team: "t", DependsOn: []string{"child"}},
				{Name: "other-provider", Team: "t"},
			},
		},
		warnings: []string{
			`team "t" created from owner reference (a-child.yaml:4:15)`,
			`component "consumer" consumes API "missing", which no component provides; skipped (b-consumer.yaml:6:43)`,
			`component "orphan" is a subcomponent of "nowhere", which is not declared; skipped (a-child.yaml:9:34)`,
		},
	}, {
		name: "kinds and versions that are skipped",
		files: map[string]string{"misc.yaml": `---
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec: {targets: [./a.yaml]}
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-service}
spec: {steps: []}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: team-z}
`},
		want: Catalog{},
		warnings: []string{
			`skipped kind Location "root" (misc.yaml:4:7)`,
			`skipped Template "new-service": apiVersion "scaffolder.backstage.io/v1beta3" is not a Backstage catalog version (misc.yaml:8:13)`,
			`skipped ConfigMap "settings": apiVersion "v1" is not a Backstage catalog version (misc.yaml:13:13)`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for name, s := range tc.files {
				files[name] = []byte(s)
			}
			d, err := ParseBackstageFiles(files)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Catalog, tc.want) {
				t.Errorf("catalog:\n got %+v\nwant %+v", d.Catalog, tc.want)
			}
			if !slices.Equal(d.Warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", d.Warnings, tc.warnings)
			}
		})
	}
}

func TestParseBackstageLocations(t *testing.T) {
	in := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  description: The shop
  annotations:
    palisade.dev/tier: "2"
    palisade.dev/third-parties: stripe
spec:
  owner: team-a
  dependsOn:
    - resource:db
`
	d, err := ParseBackstage("web.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	d.Normalize()
	got := errorList(t, d.Validate(nil).Err(), palisade.EUNPROCESSABLE)
	want := []string{
		`web.yaml:12:5: unknown service "db"`,
		`web.yaml:8:33: unknown third party "stripe"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Validate:\n got %q\nwant %q", got, want)
	}
	for field, want := range map[string]string{"": "1:1", "name": "4:9", "description": "5:16", "tier": "7:24", "team": "10:10"} {
		if got := d.Loc(KindService, "web", field).String(); got != "web.yaml:"+want {
			t.Errorf("Loc(%q) = %s, want web.yaml:%s", field, got, want)
		}
	}
}

func TestParseBackstageErrors(t *testing.T) {
	const header = "apiVersion: backstage.io/v1alpha1\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing kind", map[string]string{"c.yaml": header + "metadata:\n  name: x\n"},
			[]string{"c.yaml:1:1: kind is required"}},
		{"missing apiVersion", map[string]string{"c.yaml": "kind: Component\nmetadata:\n  name: x\n"},
			[]string{"c.yaml:1:1: apiVersion is required"}},
		{"missing metadata", map[string]string{"c.yaml": header + "kind: Component\nspec: {}\n"},
			[]string{"c.yaml:1:1: metadata is required"}},
		{"missing name", map[string]string{"c.yaml": header + "kind: Component\nmetadata:\n  title: X\n"},
			[]string{"c.yaml:4:3: metadata.name is required"}},
		{"missing name of a skipped kind", map[string]string{"c.yaml": header + "kind: Domain\nmetadata: {}\n"},
			[]string{"c.yaml:3:11: metadata.name is required"}},
		{"metadata not a mapping", map[string]string{"c.yaml": header + "kind: Component\nmetadata: [x]\n"},
			[]string{"c.yaml:3:11: metadata: expected a mapping, got a list"}},
		{"kind not a string", map[string]string{"c.yaml": header + "kind: {a: b}\nmetadata: {name: x}\n"},
			[]string{"c.yaml:2:7: kind: expected a string, got a mapping"}},
		{"invalid name", map[string]string{"c.yaml": header + "kind: Component\nmetadata:\n  name: Not Valid!\n"},
			[]string{`c.yaml:4:9: invalid name "Not Valid!": use letters, digits, '.', '_' and '-' (at most 63 characters)`}},
		{"invalid tier", map[string]string{"c.yaml": header + "kind: Component\nmetadata:\n  name: x\n  annotations:\n    palisade.dev/tier: high\n"},
			[]string{`c.yaml:6:24: annotation palisade.dev/tier: "high" is not a tier (1 to 4)`}},
		{"tier out of range", map[string]string{"c.yaml": header + "kind: Resource\nmetadata:\n  name: x\n  annotations: {palisade.dev/tier: '7'}\n"},
			[]string{`c.yaml:5:36: annotation palisade.dev/tier: "7" is not a tier (1 to 4)`}},
		{"tags not a list", map[string]string{"c.yaml": header + "kind: Component\nmetadata:\n  name: x\n  tags: java\n"},
			[]string{`c.yaml:5:9: metadata.tags: expected a list of strings, got string "java"`}},
		{"invalid owner", map[string]string{"c.yaml": header + "kind: Component\nmetadata: {name: x}\nspec:\n  owner: group:default/Team A\n"},
			[]string{`c.yaml:5:10: invalid entity reference "group:default/Team A": the name must use letters, digits, '.', '_' and '-' (at most 63 characters)`}},
		{"invalid dependency", map[string]string{"c.yaml": header + "kind: Component\nmetadata: {name: x}\nspec:\n  dependsOn: [component:a, 'component:']\n"},
			[]string{`c.yaml:5:28: invalid entity reference "component:": the name must use letters, digits, '.', '_' and '-' (at most 63 characters)`}},
		{"document not a mapping", map[string]string{"c.yaml": "- a\n- b\n"},
			[]string{"c.yaml:1:1: expected a Backstage entity (a mapping with apiVersion, kind and metadata), got a list"}},
		{"malformed YAML", map[string]string{"c.yaml": header + "kind: Component\nmetadata:\n  name: [x\n"},
			[]string{"c.yaml:4:9: invalid YAML: sequence end token ']' not found"}},
		{"errors in several files", map[string]string{
			"b.yaml": header + "kind: Component\nmetadata: {name: ok}\n---\n" + header + "metadata: {name: x}\n",
			"a.yaml": header + "kind: Group\nmetadata: {name: 'a b'}\n",
		}, []string{
			`a.yaml:3:18: invalid name "a b": use letters, digits, '.', '_' and '-' (at most 63 characters)`,
			"b.yaml:5:1: kind is required",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for name, s := range tc.files {
				files[name] = []byte(s)
			}
			d, err := ParseBackstageFiles(files)
			if d != nil {
				t.Errorf("returned a document with the error")
			}
			if got := errorList(t, err, palisade.EINVALID); !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	_, err := ParseBackstage("big.yaml", make([]byte, MaxFileSize+1))
	var e *palisade.Error
	if !errors.As(err, &e) || e.Code != palisade.ETOOLARGE || e.Field != "big.yaml" {
		t.Errorf("oversized file: %v, want %s about big.yaml", err, palisade.ETOOLARGE)
	}
}

func FuzzParseBackstage(f *testing.F) {
	addSeeds(f, "testdata/backstage")
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: u}\nspec: {memberOf: [g], profile: {email: e}}\n---\n" +
		"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: g}\nspec: {members: [u]}\n"))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: &m\n  name: x\n  annotations: {palisade.dev/tier: '2'}\n" +
		"spec: {owner: 'user:u', subcomponentOf: x, consumesApis: [a], providesApis: [a], dependsOn: ['api:a']}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseBackstage("f.yaml", data)
		if err == nil {
			// Every name the importer produces has been checked.
			for _, s := range d.Services {
				if !ValidName(s.Name) || (s.Team != "" && !ValidName(s.Team)) {
					t.Errorf("invalid name accepted: service %q, team %q", s.Name, s.Team)
				}
			}
			for _, tm := range d.Teams {
				if !ValidName(tm.Name) {
					t.Errorf("invalid team name %q accepted", tm.Name)
				}
			}
		}
		checkParseResult(t, d, err)
	})
}
