package gate

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// readDoc returns docs/gate.md, or skips when the checkout has no docs.
func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/gate.md")
	if err != nil {
		t.Skipf("docs/gate.md not readable: %v", err)
	}
	return string(b)
}

// Every `when` in docs/gate.md compiles: the user's guide does not show
// rules that palisade.yaml would refuse.
func TestDocsExamplesCompile(t *testing.T) {
	doc := readDoc(t)
	whens := regexp.MustCompile(`when: '([^']+)'`).FindAllStringSubmatch(doc, -1)
	if len(whens) < 10 {
		t.Fatalf("found %d examples", len(whens))
	}
	for _, m := range whens {
		if _, err := NewPolicy("x", "", []Rule{{Name: "r", When: m[1], Outcome: Warn}}); err != nil {
			t.Errorf("%s: %v", m[1], err)
		}
	}
}

// The default policy written out in docs/gate.md decides as the built-in
// one does.
func TestDocsDefaultPolicyWrittenOut(t *testing.T) {
	doc := readDoc(t)
	_, block, ok := strings.Cut(doc, "# the default policy, written out")
	if !ok {
		t.Fatal("docs/gate.md lost the default policy written out")
	}
	_, block, _ = strings.Cut(block, "\n")
	block, _, _ = strings.Cut(block, "```")
	var yml strings.Builder
	yml.WriteString("gates:\n  - service: checkout\n")
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		yml.WriteString("    " + line + "\n")
	}
	ps, err := PoliciesFromSection(gatesSection(t, yml.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, yml.String())
	}
	exhausted := []slo.Status{status("r", slo.StatusExhausted, -1)}
	for _, in := range []Input{
		{},
		{Introduced: []vuln.ScanFinding{critical}},
		{Introduced: []vuln.ScanFinding{kevLow}},
		{Introduced: []vuln.ScanFinding{high}},
		{Introduced: []vuln.ScanFinding{medium}, SLOs: exhausted},
		{Removed: []vuln.ScanFinding{medium}, SLOs: exhausted},
		{Introduced: []vuln.ScanFinding{withState(critical, vuln.StateNotAffected)}, SLOs: exhausted},
		{SLOs: []slo.Status{status("w", slo.StatusWarning, 0.1)}},
		{SLOs: []slo.Status{status("n", slo.StatusNoData, 0)}},
		{OpenIncidents: 3},
		{OpenIncidents: -1},
		{Missing: []string{"x"}},
	} {
		in.Service = "checkout"
		builtin, _ := Decide(in, nil)
		written, err := Decide(in, ps["checkout"])
		if err != nil {
			t.Fatal(err)
		}
		if builtin.Outcome != written.Outcome {
			t.Errorf("%+v: built-in %s, written out %s%s", in, builtin.Outcome, written.Outcome, dump(written))
		}
	}
}
