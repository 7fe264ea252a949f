package vex

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/testenv"
)

// corpusExpect is what Read makes of each file under VEX/ in the
// CycloneDX bom-examples copy of the shared corpora: a statement count, or
// the reason it is rejected. A file missing here fails the test, so a new
// example gets a decision.
var corpusExpect = map[string]struct {
	statements int
	rejected   string
}{
	"vex.json": {statements: 1},
	"CISA-Use-Cases/Case-1/vex-affected.json":            {statements: 1},
	"CISA-Use-Cases/Case-1/vex-fixed.json":               {statements: 1},
	"CISA-Use-Cases/Case-1/vex-not_affected.json":        {statements: 1},
	"CISA-Use-Cases/Case-1/vex-under_investigation.json": {statements: 1},
	"CISA-Use-Cases/Case-2/vex.json":                     {statements: 19},
	"CISA-Use-Cases/Case-3/vex.json":                     {statements: 19},
	"CISA-Use-Cases/Case-4/vex.json":                     {statements: 1},
	"CISA-Use-Cases/Case-5/vex.json":                     {statements: 1},
	"CISA-Use-Cases/Case-6/vex.json":                     {statements: 2},
	"CISA-Use-Cases/Case-7/vex.json":                     {statements: 4},
	"CISA-Use-Cases/Case-8/vex.json":                     {statements: 8},
	"Use-Cases/Case-1/vex.json":                          {statements: 1},
	"Use-Cases/Case-2/vex.json":                          {statements: 1},
	"Use-Cases/Case-3/vex.json":                          {statements: 1},
	"Use-Cases/Case-4/vex.json":                          {statements: 1},
	"Use-Cases/Case-5/vex.json":                          {statements: 2},
	"Use-Cases/Case-6/vex.json":                          {statements: 1},
	"Use-Cases/Case-8/vex.json":                          {statements: 1},
	"Use-Cases/Case-9/vex.json":                          {statements: 19},
	"Use-Cases/Case-10/vex.json":                         {statements: 1},
	"Use-Cases/Case-11/vex.json":                         {statements: 19},
	"Use-Cases/Case-12/vex.json":                         {statements: 3},
	"Use-Cases/Case-13/vex.json":                         {statements: 2},
	// "Not exploitable in any product of this vendor": no affects at all,
	// which its README calls vague. A statement about nothing cannot be
	// applied to a finding.
	"Use-Cases/Case-7/vex.json": {rejected: "vulnerabilities[0].affects: names no affected component or product"},
	// The SBOMs the VEX files link to. They have no vulnerabilities.
	"bom.json":                         {rejected: "not a VEX document: a CycloneDX BOM without vulnerabilities"},
	"CISA-Use-Cases/Case-7/bom-1.json": {rejected: "not a VEX document"},
	"CISA-Use-Cases/Case-7/bom-2.json": {rejected: "not a VEX document"},
	"CISA-Use-Cases/Case-8/bom-1.json": {rejected: "not a VEX document"},
	"CISA-Use-Cases/Case-8/bom-2.json": {rejected: "not a VEX document"},
	"Use-Cases/Case-6/bom-1.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-6/bom-2.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-6/bom-3.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-9/bom-1.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-9/bom-2.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-9/bom-3.json":      {rejected: "not a VEX document"},
	"Use-Cases/Case-13/bom-1.json":     {rejected: "not a VEX document"},
	"Use-Cases/Case-13/bom-2.json":     {rejected: "not a VEX document"},
	"Use-Cases/Case-13/bom-3.json":     {rejected: "not a VEX document"},
	// CISA Case-9 (product lines) has only a README: CycloneDX does not
	// support the case.
}

func TestCorpusCycloneDXExamples(t *testing.T) {
	root := filepath.Join(testenv.Corpus(t, "cyclonedx-examples"), "VEX")
	seen := map[string]bool{}
	statements, rejected := 0, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".xml")) {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			want, ok := corpusExpect[rel]
			if !ok {
				t.Fatalf("no expectation for %s: add it to corpusExpect", rel)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := Read(filepath.Base(path), data)
			if want.rejected != "" {
				if err == nil || palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), want.rejected) {
					t.Fatalf("got %v, want rejection %q", err, want.rejected)
				}
				rejected++
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != want.statements {
				t.Errorf("%d statements, want %d", len(st), want.statements)
			}
			statements += len(st)
			checkRoundTrip(t, rel, st)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range corpusExpect {
		if !seen[rel] {
			t.Errorf("%s is expected but not in the corpus", rel)
		}
	}
	t.Logf("%d files: %d statements read, %d files rejected as documented", len(seen), statements, rejected)
}

// TestCorpusStates spot-checks the mapping on the CISA use cases whose
// README states each vulnerability's status.
func TestCorpusStates(t *testing.T) {
	root := filepath.Join(testenv.Corpus(t, "cyclonedx-examples"), "VEX", "CISA-Use-Cases")
	read := func(rel string) []Statement {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		st, err := Read(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for file, state := range map[string]string{
		"Case-1/vex-affected.json":            StateExploitable,
		"Case-1/vex-fixed.json":               StateResolved,
		"Case-1/vex-not_affected.json":        StateNotAffected,
		"Case-1/vex-under_investigation.json": StateInTriage,
	} {
		st := read(file)
		if len(st) != 1 || st[0].State != state || st[0].Vulnerability != "CVE-2021-44228" {
			t.Errorf("%s: %s", file, dump(st))
		}
	}
	// Case 3: README lists the Ripple20 CVEs by status.
	counts := map[string]int{}
	for _, s := range read("Case-3/vex.json") {
		counts[s.State]++
	}
	want := map[string]int{StateNotAffected: 6, StateExploitable: 5, StateInTriage: 5, StateResolved: 3}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("Case-3: %d %s, want %d (all: %v)", counts[k], k, v, counts)
		}
	}
}
