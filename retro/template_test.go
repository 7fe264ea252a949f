package retro

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

func TestDefaultTemplate(t *testing.T) {
	tmpl := DefaultTemplate()
	var keys, titles []string
	for _, s := range tmpl.Sections {
		keys = append(keys, s.Key)
		titles = append(titles, s.Title)
		if len(s.Prompt) < 40 {
			t.Errorf("section %s: the prompt should explain what to write", s.Key)
		}
		if s.Optional != (s.Key == KeyLucky) {
			t.Errorf("section %s: optional = %v", s.Key, s.Optional)
		}
	}
	want := []string{"Summary", "Impact", "Timeline", "Detection", "Response", "Contributing factors",
		"What went well", "What went poorly", "Where we got lucky", "Action items"}
	if !reflect.DeepEqual(titles, want) {
		t.Fatalf("titles = %v", titles)
	}
	if keys[2] != KeyTimeline || keys[len(keys)-1] != KeyActionItem {
		t.Fatalf("keys = %v", keys)
	}
	if err := tmpl.Validate(); err != nil {
		t.Fatal(err)
	}
	// Every call returns a fresh value: callers may change it.
	tmpl.Sections[0].Title = "changed"
	if DefaultTemplate().Sections[0].Title != "Summary" {
		t.Fatal("DefaultTemplate shares state")
	}
}

// The prompts are blameless: they ask about systems and conditions.
func TestDefaultTemplateIsBlameless(t *testing.T) {
	for _, s := range DefaultTemplate().Sections {
		p := strings.ToLower(s.Prompt)
		for _, bad := range []string{"who caused", "whose fault", "root cause was", "human error", "should have"} {
			if strings.Contains(p, bad) {
				t.Errorf("section %s prompt says %q", s.Key, bad)
			}
		}
	}
}

// A section built by hand, as the catalog parser would build it, with
// locations, so the decoder is tested without depending on the parser.
func TestTemplatesFromHandBuiltNode(t *testing.T) {
	loc := func(line, col int) catalog.Loc { return catalog.Loc{File: "palisade.yaml", Line: line, Col: col} }
	scalar := func(s string, line, col int) *catalog.Node {
		return &catalog.Node{Kind: catalog.ScalarNode, Scalar: s, Loc: loc(line, col)}
	}
	mapping := func(line, col int, kv ...any) *catalog.Node {
		n := &catalog.Node{Kind: catalog.MapNode, Loc: loc(line, col)}
		for i := 0; i < len(kv); i += 2 {
			v := kv[i+1].(*catalog.Node)
			n.Map = append(n.Map, catalog.MapEntry{Key: kv[i].(string), KeyLoc: catalog.Loc{File: "palisade.yaml", Line: v.Loc.Line, Col: v.Loc.Col - 2}, Value: v})
		}
		return n
	}
	list := func(line, col int, items ...*catalog.Node) *catalog.Node {
		return &catalog.Node{Kind: catalog.ListNode, Loc: loc(line, col), List: items}
	}
	section := func(key, title string, line int, extra ...any) *catalog.Node {
		return mapping(line, 11, append([]any{"key", scalar(key, line, 16), "title", scalar(title, line, 30)}, extra...)...)
	}
	n := mapping(2, 3,
		"default", scalar("short", 2, 12),
		"templates", list(4, 5, mapping(4, 7,
			"name", scalar("short", 4, 13),
			"sections", list(6, 9,
				section("summary", "Summary", 6),
				section("lucky", "Luck", 7, "optional", scalar("true", 7, 50)),
			),
		)),
	)
	ts, err := TemplatesFromSection(n)
	if err != nil {
		t.Fatal(err)
	}
	short := ts["short"]
	if short == nil || !short.Default || ts[DefaultTemplateName].Default {
		t.Fatalf("default not moved: %+v", ts)
	}
	if want := []TemplateSection{{Key: "summary", Title: "Summary"}, {Key: "lucky", Title: "Luck", Optional: true}}; !reflect.DeepEqual(short.Sections, want) {
		t.Fatalf("sections = %+v", short.Sections)
	}

	// An error points at the value's location.
	n.Map[1].Value.List[0].Map[1].Value.List[1].Map[2].Value = scalar("maybe", 7, 50)
	_, err = TemplatesFromSection(n)
	if palisade.ErrorField(err) != "palisade.yaml:7:50" || palisade.ErrorCode(err) != palisade.EINVALID {
		t.Fatalf("error = %v at %q", err, palisade.ErrorField(err))
	}
}

const exampleTemplates = `retrospectives:
  default: security
  templates:
    - name: security
      sections:
        - key: summary
          title: Summary
          prompt: What happened, in a few sentences, for someone who was not there.
        - {key: timeline, title: Timeline}
        - {key: exposure, title: Data exposure, prompt: "Which data classes, how many records, who must be told."}
        - {key: lucky, title: Where we got lucky, optional: true}
        - {key: action_items, title: Action items}
    - name: near-miss
      sections:
        - {key: summary, title: What almost happened}
`

func TestTemplatesFromSection(t *testing.T) {
	ts, err := TemplatesFromSection(mustSection(t, exampleTemplates))
	if err != nil {
		t.Fatal(err)
	}
	if got := templateNames(ts); !reflect.DeepEqual(got, []string{"blameless", "near-miss", "security"}) {
		t.Fatalf("names = %v", got)
	}
	sec := ts["security"]
	if !sec.Default || ts["near-miss"].Default || ts["blameless"].Default || len(sec.Sections) != 5 || !sec.Sections[3].Optional {
		t.Fatalf("security = %+v", sec)
	}
	if sec.Sections[2].Prompt != "Which data classes, how many records, who must be told." {
		t.Fatalf("prompt = %q", sec.Sections[2].Prompt)
	}
	picked, err := Pick(ts, "")
	if err != nil || picked != sec {
		t.Fatalf("Pick default = %v, %v", picked, err)
	}
	if p, err := Pick(ts, "near-miss"); err != nil || p.Name != "near-miss" {
		t.Fatalf("Pick near-miss = %v, %v", p, err)
	}
	if _, err := Pick(ts, "nope"); palisade.ErrorCode(err) != palisade.EINVALID || palisade.ErrorField(err) != "template" {
		t.Fatalf("Pick nope = %v", err)
	}
	if p, _ := Pick(nil, ""); p.Name != DefaultTemplateName {
		t.Fatalf("Pick with no templates = %v", p.Name)
	}
	// New uses the sections of the template, with their special keys.
	r := New(sec, sampleIncident(), t0)
	if r.Template != "security" || len(r.Sections) != 5 || r.Section(KeyTimeline).Body == "" || r.Section("exposure").Prompt == "" {
		t.Fatalf("New from template: %+v", r)
	}
}

func TestTemplatesFromSectionDefaults(t *testing.T) {
	for _, yml := range []string{"retrospectives:\n", "retrospectives: {}\n", "retrospectives:\n  templates: []\n"} {
		ts, err := TemplatesFromSection(mustSection(t, yml))
		if err != nil {
			t.Fatalf("%q: %v", yml, err)
		}
		if len(ts) != 1 || !ts[DefaultTemplateName].Default {
			t.Fatalf("%q: %+v", yml, ts)
		}
	}
	// A nil node (no section at all) is the same.
	if ts, err := TemplatesFromSection(nil); err != nil || len(ts) != 1 {
		t.Fatalf("nil: %v %v", ts, err)
	}
	ts, err := TemplatesFromSection(mustSection(t, "retrospectives:\n  default: blameless\n"))
	if err != nil || !ts[DefaultTemplateName].Default {
		t.Fatalf("default: blameless: %v %v", ts, err)
	}
}

func TestTemplatesFromSectionErrors(t *testing.T) {
	for _, tc := range []struct {
		yml, at, msg string
	}{
		{"retrospectives: [a]\n", ":1:17", "expected a mapping"},
		{"retrospectives:\n  templatez: []\n", ":2:3", `unknown field "templatez"`},
		{"retrospectives:\n  templates: {name: x}\n", ":2:14", "expected a list"},
		{"retrospectives:\n  default: nope\n", ":2:12", `no template is named "nope" (have blameless)`},
		{"retrospectives:\n  default: [x]\n", ":2:12", "expected text"},
		{"retrospectives:\n  templates:\n    - x\n", ":3:7", "expected a mapping"},
		{"retrospectives:\n  templates:\n    - {sections: [{key: a, title: A}]}\n", ":3:7", "name is required"},
		{"retrospectives:\n  templates:\n    - {name: Bad Name, sections: [{key: a, title: A}]}\n", ":3:14", "invalid template name"},
		{"retrospectives:\n  templates:\n    - {name: x}\n", ":3:7", "at least one section"},
		{"retrospectives:\n  templates:\n    - {name: x, sections: []}\n", ":3:27", "at least one section"},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a}\n", ":5:11", "title is required"},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {title: A}\n", ":5:11", "key is required"},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: A-b, title: A}\n", ":5:11", `key "A-b"`},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a, title: A}\n        - {key: a, title: B}\n", ":6:11", `key "a" is used by another section`},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a, title: A, optional: maybe}\n", ":5:40", "expected true or false"},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a, title: A, colour: red}\n", ":5:30", `unknown field "colour"`},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a, title: {x: 1}}\n", ":5:27", "expected text"},
		{"retrospectives:\n  templates:\n    - {name: blameless, sections: [{key: a, title: A}]}\n", ":3:7", "built-in template"},
		{"retrospectives:\n  templates:\n    - {name: x, sections: [{key: a, title: A}]}\n    - {name: x, sections: [{key: a, title: A}]}\n", ":4:7", "declared twice"},
		{"retrospectives:\n  templates:\n    - name: x\n      sections:\n        - {key: a, title: \"" + strings.Repeat("t", MaxTitle+1) + "\"}\n", ":5:11", "longer than 200"},
	} {
		_, err := TemplatesFromSection(mustSection(t, tc.yml))
		if err == nil {
			t.Errorf("%q: no error", tc.yml)
			continue
		}
		if at := palisade.ErrorField(err); palisade.ErrorCode(err) != palisade.EINVALID || !strings.HasPrefix(at, "palisade.yaml") || !strings.HasSuffix(at, tc.at) {
			t.Errorf("%q: error at %q (%s), want palisade.yaml%s", tc.yml, at, palisade.ErrorCode(err), tc.at)
		}
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want %q", tc.yml, err, tc.msg)
		}
	}
}

func TestTemplatesFromSectionLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("retrospectives:\n  templates:\n    - name: x\n      sections:\n")
	for i := 0; i <= MaxSections; i++ {
		fmt.Fprintf(&b, "        - {key: s%d, title: S}\n", i)
	}
	if _, err := TemplatesFromSection(mustSection(t, b.String())); err == nil || !strings.Contains(err.Error(), "the limit is 50") {
		t.Fatalf("51 sections: %v", err)
	}
}

func TestNew(t *testing.T) {
	now := t0.Add(48 * time.Hour)
	r := New(nil, sampleIncident(), now)
	if r.ID != "" || r.IncidentID != "INC-42" || r.State != StateDraft || r.Template != DefaultTemplateName ||
		r.Title != "Leaked CI token used against the package registry" || r.Severity != "SEV2" ||
		!reflect.DeepEqual(r.Services, []string{"ci", "registry"}) || !reflect.DeepEqual(r.Tags, []string{"security"}) ||
		!r.CreatedAt.Equal(now) || !r.UpdatedAt.Equal(now) || r.PublishedAt != nil {
		t.Fatalf("%+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("a new retrospective must be valid: %v", err)
	}
	if len(r.Sections) != len(DefaultTemplate().Sections) || r.Sections[0].Prompt == "" {
		t.Fatalf("sections = %+v", r.Sections)
	}

	tl := r.Section(KeyTimeline).Body
	wantRows := []string{
		"| Time (UTC) | Kind | Who | What |",
		"| --- | --- | --- | --- |",
		// sorted by time, newline folded, HTML as entities, pipes and Markdown escaped
		"| 2025-03-04 09:55:00 | alert | alertmanager | CanaryTokenUsed fired: source 203.0.113.7 &lt;script&gt;alert(1)&lt;/script&gt; |",
		"| 2025-03-04 10:01:00 | status | alice | Acknowledged; paging \\| registry owners |",
		"| 2025-03-04 11:05:00 | note | bob | Revoked token \\`ci-deploy\\`; \\*all\\* pushes blocked \\[temporarily\\] |",
	}
	if got := strings.Split(strings.TrimSpace(tl), "\n"); !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("timeline:\n%s", tl)
	}
	// Rendered, the cells read exactly as the timeline was written.
	h, _ := renderBody(tl)
	for _, want := range []string{"<td>Acknowledged; paging | registry owners</td>", "<td>Revoked token `ci-deploy`; *all* pushes blocked [temporarily]</td>",
		"<td>CanaryTokenUsed fired: source 203.0.113.7 &lt;script&gt;alert(1)&lt;/script&gt;</td>"} {
		contains(t, string(h), want)
	}

	impact := r.Section(KeyImpact).Body
	for _, want := range []string{"**Severity:** SEV2", "**Services affected:** ci, registry", "**Began:** 2025-03-04 09:30 UTC",
		"**Mitigated:** 2025-03-04 11:05 UTC (1h 35m after it began)", "**Duration:** 1d 2h"} {
		contains(t, impact, want)
	}
	det := r.Section(KeyDetection).Body
	for _, want := range []string{"time to detect: 25m", "time to acknowledge: 6m"} {
		contains(t, det, want)
	}
	if r.Section(KeySummary).Body != "" || r.Section(KeyLucky).Body != "" {
		t.Fatal("New must not invent what only people know")
	}
}

func TestNewWithLittleKnown(t *testing.T) {
	r := New(nil, IncidentSummary{ID: "INC-9", OpenedAt: at(0)}, t0)
	if r.Title != "Incident INC-9" {
		t.Fatalf("title = %q", r.Title)
	}
	if tl := r.Section(KeyTimeline).Body; tl != "" {
		t.Fatalf("timeline = %q", tl)
	}
	contains(t, r.Section(KeyImpact).Body, "not resolved when this retrospective was started")
	det := r.Section(KeyDetection).Body
	if strings.Contains(det, "time to detect") || !strings.Contains(det, "**Detected:** 2025-03-04 09:30 UTC") {
		t.Fatalf("detection = %q", det)
	}
	// Clocks disagree: a detection before the impact began gives no time
	// to detect rather than a negative one.
	r = New(nil, IncidentSummary{ID: "x", ImpactStartedAt: at(time.Hour), DetectedAt: at(0)}, t0)
	if strings.Contains(r.Section(KeyDetection).Body, "time to detect") {
		t.Fatalf("negative time to detect: %q", r.Section(KeyDetection).Body)
	}
	// An absurd title is cut to the limit, on one line.
	r = New(nil, IncidentSummary{Title: strings.Repeat("long\n", 100)}, t0)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A huge timeline is cut so that the section stays within its limit.
func TestNewLongTimeline(t *testing.T) {
	in := IncidentSummary{ID: "INC-1", Title: "noisy"}
	for i := range 3000 {
		in.Timeline = append(in.Timeline, TimelineEntry{At: t0.Add(time.Duration(i) * time.Second), Kind: "alert", Actor: "am", Text: strings.Repeat("x", 40)})
	}
	r := New(nil, in, t0)
	body := r.Section(KeyTimeline).Body
	if len(body) > MaxBody {
		t.Fatalf("timeline is %d bytes", len(body))
	}
	if !strings.Contains(body, "later entries were left out") {
		t.Fatal("no note about the left-out entries")
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 90 * time.Second: "2m", time.Hour: "1h", 95 * time.Minute: "1h 35m",
		26 * time.Hour: "1d 2h", 48*time.Hour + 10*time.Minute: "2d",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}
