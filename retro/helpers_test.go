package retro

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

var t0 = time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// sampleIncident is a credential leak with a timeline that exercises the
// table escaping: pipes, newlines, angle brackets, Markdown syntax.
func sampleIncident() IncidentSummary {
	return IncidentSummary{
		ID: "INC-42", Title: "Leaked CI token used against the package registry", Severity: "SEV2", Kind: "security",
		Services:        []string{"registry", "ci"},
		ImpactStartedAt: at(0), DetectedAt: at(25 * time.Minute), OpenedAt: at(27 * time.Minute),
		AcknowledgedAt: at(31 * time.Minute), MitigatedAt: at(95 * time.Minute), ResolvedAt: at(26 * time.Hour),
		Timeline: []TimelineEntry{
			{At: t0.Add(31 * time.Minute), Kind: "status", Actor: "alice", Text: "Acknowledged; paging | registry owners"},
			{At: t0.Add(25 * time.Minute), Kind: "alert", Actor: "alertmanager", Text: "CanaryTokenUsed fired:\nsource 203.0.113.7 <script>alert(1)</script>"},
			{At: t0.Add(95 * time.Minute), Kind: "note", Actor: "bob", Text: "Revoked token `ci-deploy`; *all* pushes blocked [temporarily]"},
		},
	}
}

// sample is a complete retrospective of sampleIncident, ready to publish.
func sample(t testing.TB) *Retrospective {
	t.Helper()
	r := New(nil, sampleIncident(), t0.Add(48*time.Hour))
	r.ID = "RETRO-7"
	r.Authors = []string{"alice", "bob"}
	r.Tags = append(r.Tags, "credentials", "cve-2024-3094")
	bodies := map[string]string{
		KeySummary: "A CI deploy token leaked through a build log and was used from outside to push a package.\n" +
			"The canary on the registry fired after **25 minutes**.",
		KeyImpact: r.Section(KeyImpact).Body + "\nOne malicious version of `pkg:npm/left-pad@9.9.9` was live for 70 minutes; 12 downloads.\n",
		KeyDetection: r.Section(KeyDetection).Body + "\nThe canary credential detected the use; the log scanner missed the token because\n" +
			"its pattern did not cover the new token format.",
		"response": "# Containment\n\n1. Revoked the token.\n2. Yanked the version.\n\n```sh\nregistry yank left-pad@9.9.9\n```\n",
		"contributing_factors": "- Build logs were world-readable.\n- Token format changed in v2 | the scanner was not updated.\n" +
			"- <b>raw html</b> is not rendered, nor <script>alert('x')</script>.\n",
		"what_went_well":   "The canary fired. See [runbook](https://runbooks.example.com/registry) and [bad](javascript:alert(1)).",
		"what_went_poorly": "| Step | Minutes |\n| --- | ---: |\n| detect | 25 |\n| revoke | 64 |\n\n- [x] timeline reviewed\n- [ ] ~~blame~~ context\n",
	}
	for k, v := range bodies {
		if err := r.SetSection(k, v, t0.Add(49*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	r.ActionItems = []ActionItem{
		{ID: "AI-1", Title: "Mask tokens of the v2 format in build logs", Owner: "platform-team", Status: StatusInProgress,
			DueAt: at(10 * 24 * time.Hour), TrackerURL: "https://tracker.example.com/browse/SEC-101?focus=1", CreatedAt: t0.Add(49 * time.Hour)},
		{ID: "AI-2", Title: "Make build logs private | by default", Owner: "ci-team", Status: StatusDone,
			DueAt: at(5 * 24 * time.Hour), DoneAt: at(4 * 24 * time.Hour), CreatedAt: t0.Add(49 * time.Hour)},
	}
	return r
}

// catalogKnows reports whether catalog.ParseYAML accepts a retrospectives
// section yet (the lead registers it in catalog/parse.go).
var catalogKnows = sync.OnceValue(func() bool {
	_, err := catalog.ParseYAML("probe.yaml", []byte("retrospectives: {}\n"))
	return err == nil
})

var topKeyRE = regexp.MustCompile(`(?m)^retrospectives:`)

// sectionFromYAML parses yml as palisade.yaml and returns its
// retrospectives section (nil when it has none). Until the catalog parser
// registers the section, the top-level key is swapped for one it knows,
// padded to the same width so that every location stays where it was.
func sectionFromYAML(yml string) (*catalog.Node, error) {
	key := "retrospectives"
	if !catalogKnows() {
		key = "remediation"
		yml = topKeyRE.ReplaceAllString(yml, "remediation:   ")
	}
	d, err := catalog.ParseYAML("palisade.yaml", []byte(yml))
	if err != nil {
		return nil, err
	}
	return d.Sections[key], nil
}

func mustSection(t testing.TB, yml string) *catalog.Node {
	t.Helper()
	n, err := sectionFromYAML(yml)
	if err != nil {
		t.Fatalf("%v\n%s", err, yml)
	}
	return n
}

// fieldOf returns the Field of err's first *palisade.Error.
func fieldOf(err error) string {
	var pe *palisade.Error
	if errors.As(err, &pe) {
		return pe.Field
	}
	return ""
}

// fields returns the Field of every error in err.
func fields(err error) []string {
	var es palisade.Errors
	if errors.As(err, &es) {
		var out []string
		for _, e := range es {
			out = append(out, e.Field)
		}
		return out
	}
	if f := fieldOf(err); f != "" {
		return []string{f}
	}
	return nil
}

func hasField(err error, field string) bool {
	for _, f := range fields(err) {
		if f == field {
			return true
		}
	}
	return false
}

func contains(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Errorf("missing %q in:\n%s", want, s)
	}
}
