package catalog

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

// errorList flattens err into "location: message" lines, and checks that
// every error is a *palisade.Error with the wanted code.
func errorList(t *testing.T, err error, code string) []string {
	t.Helper()
	var list palisade.Errors
	switch e := err.(type) {
	case nil:
		return nil
	case *palisade.Error:
		list = palisade.Errors{e}
	case palisade.Errors:
		if len(e) < 2 {
			t.Errorf("palisade.Errors with %d entries; want a plain *palisade.Error for one", len(e))
		}
		list = e
	default:
		t.Fatalf("error %T %v is not a *palisade.Error or palisade.Errors", err, err)
	}
	var out []string
	for _, e := range list {
		if e.Code != code {
			t.Errorf("code of %q = %q, want %q", e.Error(), e.Code, code)
		}
		out = append(out, e.Error())
	}
	return out
}

// exampleCatalog is testdata/palisade.yaml as ParseYAML must read it.
var exampleCatalog = Catalog{
	Teams: []Team{
		{Name: "payments", Description: "Card payments and payouts", Members: []string{"alice@example.com", "bob@example.com"}},
		{Name: "platform", Members: []string{"carol@example.com"}},
	},
	Services: []Service{
		{
			Name: "checkout", Description: "Takes orders and payments", Team: "payments", Tier: 1, System: "shop",
			Lifecycle: "production", Tags: []string{"web", "java"}, DataClasses: []string{"pii"},
			DependsOn: []string{"payments-api"}, ThirdParties: []string{"stripe"},
		},
		{Name: "payments-api", Team: "payments", Tier: 2, DependsOn: []string{"ledger"}, ThirdParties: []string{"stripe"}},
		{Name: "ledger", Team: "platform"},
	},
	ThirdParties: []ThirdParty{{
		Name: "stripe", Description: "Card processing", Website: "https://stripe.com",
		StatusPage: "https://status.stripe.com", DataClasses: []string{"payment-card", "pii"},
	}},
}

func TestParseYAMLExample(t *testing.T) {
	const file = "testdata/palisade.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseYAML(file, data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Catalog, exampleCatalog) {
		t.Errorf("ParseYAML:\n got %+v\nwant %+v", d.Catalog, exampleCatalog)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings: %q", d.Warnings)
	}
	for _, tc := range []struct {
		kind, name, field, want string
	}{
		{KindTeam, "payments", "", "3:5"},
		{KindTeam, "payments", "description", "4:18"},
		{KindTeam, "platform", "members", "8:7"},
		{KindThirdParty, "stripe", "statusPage", "14:17"},
		{KindThirdParty, "stripe", "dataClasses", "15:18"},
		{KindService, "checkout", "", "18:5"},
		{KindService, "checkout", "name", "18:11"},
		{KindService, "checkout", "team", "20:11"},
		{KindService, "checkout", "tier", "21:11"},
		{KindService, "checkout", "tags", "24:11"},
		{KindService, "checkout", "dependsOn", "26:16"},
		{KindService, "payments-api", "dependsOn", "32:7"},
		{KindService, "payments-api", "thirdParties", "34:7"},
		{KindService, "ledger", "tier", "35:5"}, // not written: the object
	} {
		if got := d.Loc(tc.kind, tc.name, tc.field).String(); got != file+":"+tc.want {
			t.Errorf("Loc(%s, %s, %q) = %s, want %s:%s", tc.kind, tc.name, tc.field, got, file, tc.want)
		}
	}
	d.Normalize()
	if errs := d.Validate(nil); errs != nil {
		t.Errorf("Validate: %v", errs)
	}
}

func TestParseYAMLEmpty(t *testing.T) {
	for _, in := range []string{"", "\n\n", "# nothing yet\n", "---\n", "---\n...\n", "---\n---\n", "teams:\nservices: []\n", "~\n", "%YAML 1.2\n---\n"} {
		d, err := ParseYAML("p.yaml", []byte(in))
		if err != nil {
			t.Errorf("ParseYAML(%q): %v", in, err)
			continue
		}
		if len(d.Teams)+len(d.Services)+len(d.ThirdParties) != 0 {
			t.Errorf("ParseYAML(%q) = %+v, want an empty document", in, d.Catalog)
		}
	}
}

func TestParseYAMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{{
		name: "unknown field",
		in: `teams:
  - name: payments
services:
  - name: checkout
    teem: payments
`,
		want: []string{`p.yaml:5:5: unknown field "teem" in service`},
	}, {
		name: "unknown field in team and third party",
		in: `teams:
  - name: a
    member: [x]
thirdParties:
  - name: v
    url: https://v.example
`,
		want: []string{
			`p.yaml:3:5: unknown field "member" in team`,
			`p.yaml:6:5: unknown field "url" in third party`,
		},
	}, {
		name: "unknown section",
		in:   "teams: []\nexperiments:\n  - name: x\n",
		want: []string{`p.yaml:2:1: unknown section "experiments" (expected alertSources, gates, notifiers, remediation, retrospectives, routing, services, severities, slos, teams, thirdParties)`},
	}, {
		name: "tier not an integer",
		in:   "services:\n  - name: a\n    tier: high\n",
		want: []string{`p.yaml:3:11: tier: expected an integer, got string "high"`},
	}, {
		name: "tier float",
		in:   "services:\n  - {name: a, tier: 1.5}\n",
		want: []string{`p.yaml:2:21: tier: expected an integer, got number 1.5`},
	}, {
		name: "tier tagged as string",
		in:   "services:\n  - name: a\n    tier: !!str 2\n",
		want: []string{`p.yaml:3:11: tier: expected an integer, got integer 2`},
	}, {
		name: "tier too large",
		in:   "services:\n  - name: a\n    tier: 99999999999\n",
		want: []string{`p.yaml:3:11: tier: 99999999999 is out of range`},
	}, {
		name: "string field given a mapping",
		in:   "services:\n  - name: a\n    team:\n      name: x\n",
		want: []string{`p.yaml:4:7: team: expected a string, got a mapping`},
	}, {
		name: "list field given a string",
		in:   "services:\n  - name: a\n    tags: web\n",
		want: []string{`p.yaml:3:11: tags: expected a list of strings, got string "web"`},
	}, {
		name: "list entry not a string",
		in:   "services:\n  - name: a\n    dependsOn:\n      - b\n      - {name: c}\n",
		want: []string{`p.yaml:5:9: dependsOn[1]: expected a string, got a mapping`},
	}, {
		name: "section not a list",
		in:   "services:\n  name: a\n",
		want: []string{`p.yaml:2:3: services: expected a list of services, got a mapping`},
	}, {
		name: "object not a mapping",
		in:   "teams:\n  - payments\n",
		want: []string{`p.yaml:2:5: team: expected a mapping, got string "payments"`},
	}, {
		name: "top level not a mapping",
		in:   "- name: a\n",
		want: []string{`p.yaml:1:1: expected a mapping of sections (alertSources, gates, notifiers, remediation, retrospectives, routing, services, severities, slos, teams, thirdParties), got a list`},
	}, {
		name: "two documents",
		in:   "teams: []\n---\nservices: []\n",
		want: []string{`p.yaml:2:1: a catalog file holds one YAML document; remove the '---' separator and merge the sections`},
	}, {
		// goccy drops everything after an empty document; it must not hide
		// the second document here.
		name: "two documents after an empty one",
		in:   "teams: []\n---\n---\nservices: []\n",
		want: []string{`p.yaml:2:1: a catalog file holds one YAML document; remove the '---' separator and merge the sections`},
	}, {
		name: "syntax error",
		in:   "teams:\n  - name: a\n    description: \"unterminated\n",
		want: []string{`p.yaml:3:18: invalid YAML: could not find end character of double-quoted text`},
	}, {
		name: "bad indentation",
		in:   "services:\n  - name: a\n   team: b\n",
		want: []string{`p.yaml:3:4: invalid YAML: value is not allowed in this context`},
	}, {
		name: "duplicate key",
		in:   "services:\n  - name: a\n    name: b\n",
		want: []string{`p.yaml:3:5: invalid YAML: mapping key "name" already defined at [2:5]`},
	}, {
		name: "unknown alias",
		in:   "services:\n  - name: a\n    tags: *common\n",
		want: []string{`p.yaml:3:11: unknown alias *common`},
	}, {
		name: "complex key",
		in:   "services:\n  - name: a\n    ? [x]\n    : y\n",
		want: []string{`p.yaml:4:5: invalid YAML: found an invalid key for this map`},
	}, {
		name: "merge of a scalar",
		in:   "services:\n  - name: a\n    <<: x\n",
		want: []string{`p.yaml:3:9: a merge key (<<) takes a mapping or a list of mappings, not string "x"`},
	}, {
		name: "several problems",
		in: `services:
  - name: a
    tier: one
    colour: blue
  - name: b
    tags: [x, [y]]
`,
		want: []string{
			`p.yaml:3:11: tier: expected an integer, got string "one"`,
			`p.yaml:4:5: unknown field "colour" in service`,
			`p.yaml:6:15: tags[1]: expected a string, got a list`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseYAML("p.yaml", []byte(tc.in))
			if d != nil {
				t.Errorf("returned a document with the error")
			}
			if got := errorList(t, err, palisade.EINVALID); !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A section another capability reads from the same file is accepted and
// left alone once it is listed in sections.
func TestParseYAMLOtherSection(t *testing.T) {
	sections["experiments"] = ""
	defer delete(sections, "experiments")
	d, err := ParseYAML("p.yaml", []byte("experiments:\n  - anything: [1, 2]\nteams:\n  - name: a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Team{{Name: "a"}}; !reflect.DeepEqual(d.Teams, want) {
		t.Errorf("teams = %+v, want %+v", d.Teams, want)
	}
}

func TestParseYAMLDirective(t *testing.T) {
	d, err := ParseYAML("p.yaml", []byte("%YAML 1.2\n---\nteams:\n  - name: a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Team{{Name: "a"}}; !reflect.DeepEqual(d.Teams, want) {
		t.Errorf("teams = %+v, want %+v", d.Teams, want)
	}
}

func TestParseYAMLScalars(t *testing.T) {
	in := `services:
  - name: "a"
    description: |
      Two
      lines
    team: 'payments'
    system: 1.10
    lifecycle: yes
    tier: 0x2
    tags: [true, 3]
  - name: b
    description:
    tags:
    tier: ~
`
	d, err := ParseYAML("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{
		{Name: "a", Description: "Two\nlines\n", Team: "payments", System: "1.10", Lifecycle: "yes", Tier: 2, Tags: []string{"true", "3"}},
		{Name: "b"},
	}
	if !reflect.DeepEqual(d.Services, want) {
		t.Errorf("services:\n got %#v\nwant %#v", d.Services, want)
	}
	// An empty value is located at its key.
	if got := d.Loc(KindService, "b", "description").String(); got != "p.yaml:12:5" {
		t.Errorf("location of an empty description = %s, want p.yaml:12:5", got)
	}
}

func TestParseYAMLAliasesAndMerge(t *testing.T) {
	in := `x-defaults: &defaults
services:
  - &base
    name: base
    team: platform
    tier: 2
    tags: &tags [web, java]
  - <<: *base
    name: derived
    tier: 1
  - name: other
    team: platform
    tags: *tags
  - <<: [{team: first, tier: 4}, {team: second, system: s}]
    name: merged
`
	// x-defaults is not a section: aliases are fine, unknown keys are not.
	if _, err := ParseYAML("p.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), `unknown section "x-defaults"`) {
		t.Fatalf("err = %v, want unknown section", err)
	}
	in = strings.Replace(in, "x-defaults: &defaults\n", "", 1)
	d, err := ParseYAML("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{
		{Name: "base", Team: "platform", Tier: 2, Tags: []string{"web", "java"}},
		{Name: "derived", Team: "platform", Tier: 1, Tags: []string{"web", "java"}},
		{Name: "other", Team: "platform", Tags: []string{"web", "java"}},
		{Name: "merged", Team: "first", Tier: 4, System: "s"},
	}
	if !reflect.DeepEqual(d.Services, want) {
		t.Errorf("services:\n got %+v\nwant %+v", d.Services, want)
	}
	// A merged field is located where it is written.
	if got := d.Loc(KindService, "derived", "team").String(); got != "p.yaml:4:11" {
		t.Errorf("location of a merged field = %s, want p.yaml:4:11", got)
	}
}

// billionLaughs returns a document in which each of levels anchors refers
// to the previous one ten times: small, but 10^levels values when expanded.
func billionLaughs(levels int, leaf string) string {
	var b strings.Builder
	b.WriteString("services:\n  - &l0 " + leaf + "\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("  - &l" + strconv.Itoa(i) + "\n    <<: [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestParseYAMLExpansionBounded(t *testing.T) {
	var many strings.Builder
	many.WriteString("services:\n  - {name: s, tags: &t [" + strings.Repeat("a, ", 1000) + "]}\n")
	for range 5000 {
		many.WriteString("  - {name: s, tags: *t}\n")
	}
	for _, tc := range []struct{ name, in string }{
		{"nested merges", billionLaughs(9, "{name: x, team: t}")},
		{"many references", many.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseYAML("p.yaml", []byte(tc.in))
			got := errorList(t, err, palisade.ETOOLARGE)
			if len(got) != 1 || !strings.HasSuffix(got[0], "the document expands to too many values (aliases repeat more content than the file holds)") {
				t.Errorf("errors = %q, want one expansion error", got)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
	// A modest use of the same constructs is fine.
	if _, err := ParseYAML("p.yaml", []byte(billionLaughs(2, "{name: x, team: t}"))); err != nil {
		t.Errorf("two levels of merges: %v", err)
	}
}

func TestParseYAMLLimits(t *testing.T) {
	emptyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString("teams:\n")
		for i := range n {
			b.WriteString("  - name: t" + strings.Repeat("x", i%7) + "\n    members:\n")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, in, code, want string
	}{
		{"too large", strings.Repeat("#", MaxFileSize+1), palisade.ETOOLARGE,
			"p.yaml: file is 16777217 bytes; the limit is 16777216 (16 MiB)"},
		{"deep flow nesting", "teams: " + strings.Repeat("[", 200) + strings.Repeat("]", 200), palisade.EINVALID,
			"p.yaml:1:135: nested more than 128 levels deep"},
		{"deep block nesting", "teams:\n" + strings.Repeat("- ", 200) + "x\n", palisade.EINVALID,
			"p.yaml:2:255: nested more than 128 levels deep"},
		{"long key over many nodes", strings.Repeat("k", 1<<16) + ":\n" + strings.Repeat("- a\n", 1<<16), palisade.ETOOLARGE,
			"p.yaml:88:3: too complex to read safely: deep nesting under long keys"},
		{"many empty values", emptyKeys(30000), palisade.ETOOLARGE,
			`p.yaml: too many empty values (30000) to read safely; write them out (null, [] or "") or remove the keys`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseYAML("p.yaml", []byte(tc.in))
			if got := errorList(t, err, tc.code); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
	// A few empty values in a large file are fine.
	if _, err := ParseYAML("p.yaml", []byte(emptyKeys(300))); err != nil {
		t.Errorf("300 empty values: %v", err)
	}
	// So is a large ordinary catalog.
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "  - name: service-%d\n    team: t\n    tier: 2\n    description: Does things\n    tags: [java, web, x]\n"+
			"    dependsOn:\n      - service-%d\n    thirdParties: [{not: allowed}, [nested, list]]\n", i, i/2)
	}
	start := time.Now()
	_, err := ParseYAML("p.yaml", []byte(b.String()))
	if got := errorList(t, err, palisade.EINVALID); len(got) != maxErrors || got[0] != "p.yaml:9:20: thirdParties[0]: expected a string, got a mapping" {
		t.Errorf("large file: %d errors, first %q; want %d about thirdParties", len(got), got[0], maxErrors)
	}
	t.Logf("%d bytes read in %v", b.Len(), time.Since(start))
}

// Validate reports problems at the locations ParseYAML recorded.
func TestParseYAMLValidateLocations(t *testing.T) {
	in := `teams:
  - name: payments
  - name: payments
thirdParties:
  - name: stripe
    statusPage: status.stripe.com
services:
  - name: checkout
    team: paymnets
    tier: 7
    dependsOn: [checkout, ledger]
    thirdParties:
      - adyen
  - name: Bad_Name
    team: payments
  - team: payments
`
	d, err := ParseYAML("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	d.Normalize()
	got := errorList(t, d.Validate(nil).Err(), palisade.EUNPROCESSABLE)
	want := []string{
		`p.yaml:3:11: duplicate team name "payments"`,
		`p.yaml:6:17: "status.stripe.com" is not an absolute http(s) URL`,
		`p.yaml:16:5: name is required`,
		`p.yaml:14:11: invalid name "Bad_Name": use lowercase letters, digits, '.', '_' and '-' (at most 63 characters)`,
		`p.yaml:9:11: unknown team "paymnets"`,
		`p.yaml:10:11: tier 7 is out of range 1..4`,
		`p.yaml:11:16: service "checkout" depends on itself`,
		`p.yaml:11:16: unknown service "ledger"`,
		`p.yaml:13:7: unknown third party "adyen"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("Validate:\n got %q\nwant %q", got, want)
	}
}

func TestParseJSONRoundTrip(t *testing.T) {
	data, err := json.MarshalIndent(exampleCatalog, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseJSON("body.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := exampleCatalog
	want.Normalize()
	d.Normalize()
	if !reflect.DeepEqual(d.Catalog, want) {
		t.Errorf("ParseJSON:\n got %+v\nwant %+v", d.Catalog, want)
	}
}

func TestParseJSON(t *testing.T) {
	in := `{
  "teams": [{"name": "payments", "members": ["a@example.com"]}],
  "services": [
    {"name": "checkout", "team": "payments", "tier": 1,
     "dependsOn": ["ledger"]}
  ],
  "thirdParties": null
}`
	d, err := ParseJSON("body.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Catalog{
		Teams:    []Team{{Name: "payments", Members: []string{"a@example.com"}}},
		Services: []Service{{Name: "checkout", Team: "payments", Tier: 1, DependsOn: []string{"ledger"}}},
	}
	if !reflect.DeepEqual(d.Catalog, want) {
		t.Errorf("ParseJSON:\n got %+v\nwant %+v", d.Catalog, want)
	}
	for _, tc := range []struct{ kind, name, field, want string }{
		{KindTeam, "payments", "", "body.json:2:13"},
		{KindService, "checkout", "", "body.json:4:5"},
		{KindService, "checkout", "tier", "body.json:4:54"},
		{KindService, "checkout", "dependsOn", "body.json:5:19"},
	} {
		if got := d.Loc(tc.kind, tc.name, tc.field).String(); got != tc.want {
			t.Errorf("Loc(%s, %s, %q) = %s, want %s", tc.kind, tc.name, tc.field, got, tc.want)
		}
	}
	for _, in := range []string{"", " \n\t"} {
		if d, err := ParseJSON("body.json", []byte(in)); err != nil || len(d.Teams) != 0 {
			t.Errorf("ParseJSON(%q) = %+v, %v; want an empty document", in, d, err)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"unknown field", "{\"services\": [\n  {\"name\": \"a\", \"teem\": \"b\"}]}",
			[]string{`b.json:2:17: unknown field "teem" in service`}},
		{"field names are exact", `{"teams": [{"Name": "a"}]}`,
			[]string{`b.json:1:13: unknown field "Name" in team`}},
		{"unknown section", `{"experiments": []}`,
			[]string{`b.json:1:2: unknown section "experiments" (expected alertSources, gates, notifiers, remediation, retrospectives, routing, services, severities, slos, teams, thirdParties)`}},
		{"tier not an integer", `{"services": [{"name": "a", "tier": "high"}]}`,
			[]string{`b.json:1:37: tier: expected an integer, got string "high"`}},
		{"tier float", `{"services": [{"name": "a", "tier": 2.5}]}`,
			[]string{`b.json:1:37: tier: expected an integer, got number 2.5`}},
		{"tier too large", `{"services": [{"name": "a", "tier": 99999999999}]}`,
			[]string{`b.json:1:37: tier: 99999999999 is out of range`}},
		{"string given a number", `{"services": [{"name": 7}]}`,
			[]string{`b.json:1:24: name: expected a string, got number 7`}},
		{"list given an object", `{"services": [{"name": "a", "tags": {"x": 1}}]}`,
			[]string{`b.json:1:37: tags: expected a list of strings, got an object`}},
		{"list entry not a string", `{"services": [{"name": "a", "tags": ["x", 1, ["y"]]}]}`,
			[]string{`b.json:1:43: tags[1]: expected a string, got number 1`, `b.json:1:46: tags[2]: expected a string, got a list`}},
		{"object not an object", `{"teams": ["a"]}`,
			[]string{`b.json:1:12: teams: expected a team (an object), got string "a"`}},
		{"section not a list", `{"teams": {}}`,
			[]string{`b.json:1:11: teams: expected a list of teams, got an object`}},
		{"not an object", `[1]`,
			[]string{`b.json:1:1: expected an object of sections (alertSources, gates, notifiers, remediation, retrospectives, routing, services, severities, slos, teams, thirdParties), got a list`}},
		{"duplicate field", `{"teams": [{"name": "a", "name": "b"}]}`,
			[]string{`b.json:1:26: duplicate field "name"`}},
		{"syntax error", "{\"teams\": [\n  {\"name\": \"a\",}]}",
			[]string{`b.json:2:16: invalid JSON: invalid character '}' looking for beginning of object key string`}},
		{"truncated", `{"teams": [`,
			[]string{`b.json:1:12: invalid JSON: unexpected end of input`}},
		{"trailing data", `{"teams": []} {}`,
			[]string{`b.json:1:15: unexpected data after the JSON object`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseJSON("b.json", []byte(tc.in))
			if d != nil {
				t.Errorf("returned a document with the error")
			}
			if got := errorList(t, err, palisade.EINVALID); !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	if _, err := ParseJSON("b.json", make([]byte, MaxFileSize+1)); palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Errorf("oversized body: %v, want %s", err, palisade.ETOOLARGE)
	}
}

// objectFields is what both readers accept; it must list exactly the json
// fields of the structs.
func TestObjectFieldsMatchStructs(t *testing.T) {
	for kind, typ := range map[string]reflect.Type{
		KindTeam: reflect.TypeFor[Team](), KindService: reflect.TypeFor[Service](), KindThirdParty: reflect.TypeFor[ThirdParty](),
	} {
		var names []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			names = append(names, name)
			want := map[reflect.Kind]fieldType{reflect.String: textField, reflect.Int: intField, reflect.Slice: listField}[f.Type.Kind()]
			if got, ok := objectFields[kind][name]; !ok || got != want {
				t.Errorf("objectFields[%s][%s] = %v, %v; want %v", kind, name, got, ok, want)
			}
		}
		if len(names) != len(objectFields[kind]) {
			t.Errorf("objectFields[%s] has %d fields, the struct %v", kind, len(objectFields[kind]), names)
		}
	}
	for key, kind := range sections {
		if _, ok := objectFields[kind]; !ok && kind != "" {
			t.Errorf("section %s declares unknown kind %q", key, kind)
		}
	}
}

// checkParseResult fails unless exactly one of d and err is nil, err is ours
// with a location, and a document survives Normalize and Validate.
func checkParseResult(t *testing.T, d *Document, err error) {
	t.Helper()
	switch {
	case d == nil && err == nil:
		t.Fatal("neither a document nor an error")
	case d != nil && err != nil:
		t.Fatalf("both a document and an error: %v", err)
	case err != nil:
		var list palisade.Errors
		switch e := err.(type) {
		case *palisade.Error:
			list = palisade.Errors{e}
		case palisade.Errors:
			list = e
		default:
			t.Fatalf("error %T: %v", err, err)
		}
		for _, e := range list {
			if e.Code == "" || e.Field == "" || e.Message == "" {
				t.Fatalf("incomplete error %#v", e)
			}
		}
	default:
		d.Normalize()
		d.Validate(nil)
		Diff(&Catalog{}, &d.Catalog, true)
	}
}

func addSeeds(f *testing.F, dir string) {
	f.Helper()
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(path, ".txt") {
			return err
		}
		data, err := os.ReadFile(path)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, "testdata")
	for _, s := range []string{"", "teams: []", "services:\n  - <<: *x\n", billionLaughs(3, "{name: a}"), "a: &a [*a]", "? a\n: b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseYAML("f.yaml", data)
		checkParseResult(t, d, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	data, _ := json.Marshal(exampleCatalog)
	f.Add(data)
	f.Add([]byte(`{"teams": [{"name": "a", "x": [1, {"y": null}]}], "services": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseJSON("f.json", data)
		checkParseResult(t, d, err)
	})
}

func TestSectionsKeptForTheirOwners(t *testing.T) {
	yml := "teams: []\nremediation:\n  days:\n    critical: 3\n    high: \"30\"\n  tiers:\n    1: {critical: 1}\n  requireDistinctApprover: true\n"
	js := `{"teams": [], "remediation": {"days": {"critical": 3, "high": "30"}, "tiers": {"1": {"critical": 1}}, "requireDistinctApprover": true}}`
	for name, parse := range map[string]func() (*Document, error){
		"yaml": func() (*Document, error) { return ParseYAML("p.yaml", []byte(yml)) },
		"json": func() (*Document, error) { return ParseJSON("p.json", []byte(js)) },
	} {
		t.Run(name, func(t *testing.T) {
			d, err := parse()
			if err != nil {
				t.Fatal(err)
			}
			rem := d.Sections["remediation"]
			if rem == nil || rem.Kind != MapNode {
				t.Fatalf("remediation = %+v", rem)
			}
			f, err := rem.Fields("remediation", "days", "tiers", "requireDistinctApprover")
			if err != nil {
				t.Fatal(err)
			}
			days, _ := f["days"].Fields("days", "critical", "high")
			if n, err := days["critical"].Int("critical"); err != nil || n != 3 {
				t.Errorf("critical = %d, %v", n, err)
			}
			if _, err := days["high"].Int("high"); err == nil || !strings.Contains(err.Error(), "expected an integer") {
				t.Errorf("quoted number read as an integer: %v", err)
			}
			if name == "yaml" && days["high"].Loc.String() != "p.yaml:5:11" {
				t.Errorf("location of high = %s", days["high"].Loc)
			}
			if b, err := f["requireDistinctApprover"].Bool("x"); err != nil || !b {
				t.Errorf("bool = %v %v", b, err)
			}
			if _, err := rem.Fields("remediation", "days"); err == nil || !strings.Contains(err.Error(), `unknown field "tiers"`) {
				t.Errorf("unknown field not reported: %v", err)
			}
		})
	}
}

func TestDocumentJSONRoundTrip(t *testing.T) {
	yml := "teams:\n  - name: t\nremediation:\n  days: {critical: 3, high: \"30\"}\n  requireDistinctApprover: true\n  tiers: {1: {low: 9}}\n"
	d, err := ParseYAML("p.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseJSON("p.json", b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(back.Teams) != 1 || back.Sections["remediation"] == nil {
		t.Fatalf("round trip lost data: %s", b)
	}
	want := `{"days":{"critical":3,"high":"30"},"requireDistinctApprover":true,"tiers":{"1":{"low":9}}}`
	got, _ := back.Sections["remediation"].MarshalJSON()
	if string(got) != want {
		t.Errorf("remediation = %s, want %s", got, want)
	}
}
