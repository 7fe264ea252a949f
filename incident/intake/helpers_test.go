package intake

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	palisade "github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the parsers' output")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkErr asserts err is a *palisade.Error with the code and field, and a
// message containing msg.
func checkErr(t *testing.T, err error, code, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s %q", code, field)
	}
	if got := palisade.ErrorCode(err); got != code {
		t.Errorf("code = %q, want %q (error: %v)", got, code, err)
	}
	if got := palisade.ErrorField(err); got != field {
		t.Errorf("field = %q, want %q (error: %v)", got, field, err)
	}
	if got := palisade.ErrorMessage(err); !strings.Contains(got, msg) {
		t.Errorf("message = %q, want it to contain %q", got, msg)
	}
}

// golden compares v, as indented JSON, with testdata/golden/name.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n got: %s\nwant: %s", name, got, want)
	}
}

// TestFixturesMatchCorpus keeps the testdata copies honest: they must still
// be what the shared corpus holds.
func TestFixturesMatchCorpus(t *testing.T) {
	dir := testenv.Corpus(t, "incident-payload-fixtures-synthetic")
	for _, name := range []string{
		"alertmanager-v4-firing.json",
		"alertmanager-v4-resolved.json",
		"alertmanager-v4-legacy-truncated.json",
		"pagerduty-events-v2-trigger.json",
		"pagerduty-events-v2-acknowledge.json",
		"pagerduty-events-v2-resolve.json",
		"signature-test-vectors.json",
	} {
		corpus, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("corpus: %v", err)
			continue
		}
		if !bytes.Equal(corpus, readTestdata(t, name)) {
			t.Errorf("testdata/%s differs from the corpus copy", name)
		}
	}
}
