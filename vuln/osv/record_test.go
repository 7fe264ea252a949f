package osv

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := string(readFile(t, path))
	if got != want {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const validRecord = `{
  "id": "TEST-1",
  "modified": "2024-01-02T03:04:05Z",
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "demo"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]
  }]
}`

// recordCases are documents ParseRecord must reject, each with the reason
// it gives; the messages (with path and line:col) are pinned in
// testdata/record-errors.golden.
var recordCases = []struct {
	name, doc string
	path      string // the RecordError's Path
}{
	{"syntax", `{"id": "X", "modified": }`, ""},
	{"truncated", `{"id": "X"`, ""},
	{"not an object", `[1, 2]`, ""},
	{"missing id", `{"modified": "2024-01-02T03:04:05Z"}`, "id"},
	{"id with space", `{"id": "X 1", "modified": "2024-01-02T03:04:05Z"}`, "id"},
	{"id too long", `{"id": "` + strings.Repeat("X", 300) + `", "modified": "2024-01-02T03:04:05Z"}`, "id"},
	{"missing modified", `{"id": "X"}`, ""},
	{"modified not RFC 3339", `{"id": "X", "modified": "2024-01-02"}`, "modified"},
	{"withdrawn not RFC 3339", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "withdrawn": "yesterday"}`, "withdrawn"},
	{"aliases not a list", `{"id": "X", "modified": "2024-01-02T03:04:05Z", "aliases": "CVE-1"}`, "aliases"},
	{"event version a number", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [
    {"package": {"ecosystem": "Go", "name": "a"}, "ranges": []},
    {"package": {"ecosystem": "Go", "name": "b"},
     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": 2}]}]}
  ]}`, "affected[1].ranges[0].events[1].fixed"},
	{"ranges an object", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"}, "ranges": {"type": "SEMVER"}}]}`, "affected[0].ranges"},
	{"package without name", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go"}}]}`, "affected[0].package.name"},
	{"package without ecosystem", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"name": "a"}}]}`, "affected[0].package.ecosystem"},
	{"ecosystem range without package", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}`, "affected[0]"},
	{"range without type", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"events": [{"introduced": "0"}]}]}]}`, "affected[0].ranges[0].type"},
	{"unknown range type", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"type": "semver", "events": [{"introduced": "0"}]}]}]}`, "affected[0].ranges[0].type"},
	{"GIT range without repo", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]}`, "affected[0].ranges[0].repo"},
	{"no events", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"}, "ranges": [{"type": "SEMVER", "events": []}]}]}`, "affected[0].ranges[0].events"},
	{"event with two keys", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"type": "SEMVER", "events": [
      {"introduced": "0"},
      {"introduced": "1.0.0", "fixed": "1.0.2"}]}]}]}`, "affected[0].ranges[0].events[1]"},
	{"empty event", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {}]}]}]}`, "affected[0].ranges[0].events[1]"},
	{"empty version", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": ""}]}]}]}`, "affected[0].ranges[0].events[0]"},
	{"no introduced", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}]}]}`, "affected[0].ranges[0].events"},
	{"version the ecosystem rejects", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [
    {"package": {"ecosystem": "Debian:11", "name": "a"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-1"}]}]},
    {"package": {"ecosystem": "Debian:12", "name": "a"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "x:1.0-1"}]}]}
  ]}`, "affected[1].ranges[0].events[1]"},
}

func TestParseRecordErrors(t *testing.T) {
	var report strings.Builder
	for _, tc := range recordCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRecord([]byte(tc.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v, want *RecordError", err, err)
			}
			if re.Path != tc.path {
				t.Errorf("Path = %q, want %q", re.Path, tc.path)
			}
			if re.Path != "" && (re.Line == 0 || re.Col == 0) {
				t.Errorf("no position for %q: %+v", re.Path, re)
			}
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("ErrorCode = %q", palisade.ErrorCode(err))
			}
			fmt.Fprintf(&report, "%s\n\t%s\n", tc.name, err)
		})
	}
	golden(t, "record-errors.golden", report.String())
}

// TestParseRecordPosition pins the position arithmetic on a document
// whose offending value is easy to count.
func TestParseRecordPosition(t *testing.T) {
	doc := "{\n  \"id\": \"X\",\n  \"modified\": \"2024-01-02T03:04:05Z\",\n  \"affected\": [{\"package\": {\"ecosystem\": \"Go\", \"name\": \"a\"},\n    \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": 2}]}]}]\n}"
	_, err := ParseRecord([]byte(doc))
	var re *RecordError
	if !errors.As(err, &re) {
		t.Fatalf("error %v", err)
	}
	wantOff := strings.Index(doc, "2}")
	if re.Offset != wantOff || re.Line != 5 || re.Col != wantOff-strings.LastIndex(doc[:wantOff], "\n") {
		t.Errorf("position = offset %d line %d col %d, want offset %d line 5", re.Offset, re.Line, re.Col, wantOff)
	}
	if re.ID != "X" {
		t.Errorf("ID = %q", re.ID)
	}
	var pe *palisade.Error
	if !errors.As(err, &pe) || pe.Field != "affected[0].ranges[0].events[1].fixed 5:"+fmt.Sprint(re.Col) {
		t.Errorf("palisade.Error = %+v", pe)
	}
}

func TestParseRecordAccepts(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"minimal", `{"id": "X", "modified": "2024-01-02T03:04:05Z"}`},
		{"zero modified (Go vulndb)", `{"id": "X", "modified": "0001-01-01T00:00:00Z"}`},
		{"fractional seconds and offset", `{"id": "X", "modified": "2024-01-02T03:04:05.123456+02:00"}`},
		{"null lists", `{"id": "X", "modified": "2024-01-02T03:04:05Z", "aliases": null, "affected": null}`},
		{"unknown fields", `{"id": "X", "modified": "2024-01-02T03:04:05Z", "future": {"a": 1},
  "affected": [{"package": {"ecosystem": "Go", "name": "a", "extra": 1}, "new_field": true}]}`},
		{"unknown ecosystem with any version", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Future", "name": "a"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "weird"}, {"fixed": "!!"}]}]}]}`},
		{"SEMVER range of an ecosystem without an order", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "GitHub Actions", "name": "a/b"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.0"}]}]}]}`},
		{"limit events", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "Go", "name": "a"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "*"}, {"limit": "2.0.0"}]}]}]}`},
		{"fixed and last_affected in one range", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}, {"introduced": "2.0"}, {"last_affected": "2.1"}]}]}]}`},
		{"GIT-only entry without package", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"ranges": [{"type": "GIT", "repo": "https://example.com/r", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]}]}`},
		{"entry without ranges or versions", `{"id": "X", "modified": "2024-01-02T03:04:05Z",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}}]}`},
	}
	for _, tt := range tests {
		if _, err := ParseRecord([]byte(tt.doc)); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestParseRecordSchemaSamples reads the OSV linter's real records: all
// valid except the one built without an introduced event.
func TestParseRecordSchemaSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "schema", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("samples: %v %d", err, len(files))
	}
	for _, f := range files {
		_, err := ParseRecord(readFile(t, f))
		bad := strings.HasPrefix(filepath.Base(f), "nointroduced-")
		switch {
		case bad && err == nil:
			t.Errorf("%s: accepted", f)
		case bad && !strings.Contains(err.Error(), "needs an introduced event"):
			t.Errorf("%s: %v", f, err)
		case !bad && err != nil:
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseRecordFields(t *testing.T) {
	r, err := ParseRecord(readFile(t, filepath.Join("testdata", "schema", "GO-2020-0001.json")))
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2021, 4, 14, 20, 4, 52, 0, time.UTC)
	modified := time.Date(2024, 5, 20, 16, 3, 47, 0, time.UTC)
	if r.ID != "GO-2020-0001" || !r.Modified.Equal(modified) || r.Published == nil || !r.Published.Equal(published) || r.IsWithdrawn() {
		t.Errorf("header = %s %v %v %v", r.ID, r.Modified, r.Published, r.Withdrawn)
	}
	a := r.Affected[0]
	if a.Package.Ecosystem != "Go" || a.Package.Name != "github.com/gin-gonic/gin" || a.Ranges[0].Type != RangeSemver ||
		a.Ranges[0].Events[1].Fixed != "1.6.0" || !json.Valid(a.EcosystemSpecific) || !json.Valid(r.DatabaseSpecific) {
		t.Errorf("affected = %+v", a)
	}
	// Marshalling keeps everything: a second parse sees the same record.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	r.Raw, again.Raw = nil, nil // the source bytes differ; the content must not
	if !reflect.DeepEqual(normalizeRaw(t, r), normalizeRaw(t, again)) {
		t.Errorf("round trip changed the record:\n%s", data)
	}
}

// normalizeRaw compacts the raw JSON parts so that DeepEqual ignores their
// whitespace, which marshalling changes.
func normalizeRaw(t *testing.T, r *Record) *Record {
	t.Helper()
	c := *r
	compact := func(m json.RawMessage) json.RawMessage {
		if len(m) == 0 {
			return nil
		}
		var v any
		if err := json.Unmarshal(m, &v); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(v)
		return out
	}
	c.DatabaseSpecific = compact(c.DatabaseSpecific)
	c.Affected = append([]Affected(nil), c.Affected...)
	for i := range c.Affected {
		c.Affected[i].EcosystemSpecific = compact(c.Affected[i].EcosystemSpecific)
		c.Affected[i].DatabaseSpecific = compact(c.Affected[i].DatabaseSpecific)
	}
	return &c
}
