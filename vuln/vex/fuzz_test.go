package vex

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-project/palisade"
)

// FuzzRead checks that Read never panics, fails only with EINVALID or
// ETOOLARGE, returns only valid statements, and that whatever it returns
// survives WriteCycloneDX and a second Read unchanged.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && filepath.Ext(file) != ".txt" {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"@context":"https://openvex.dev/ns","statements":[{"vulnerability":"CVE-1","products":["p"],"subcomponents":["s"],"status":"affected"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"a","components":[{"type":"library","name":"b","bom-ref":"b","purl":"pkg:npm/b@1"}]}],"vulnerabilities":[{"id":"X","analysis":{"state":"in_triage"},"affects":[{"ref":"b","versions":[{"range":"vers:npm/<2"}]},{"ref":"a"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Read("fuzz.json", data)
		if err != nil {
			if c := palisade.ErrorCode(err); c != palisade.EINVALID && c != palisade.ETOOLARGE {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		for i, s := range st {
			if err := s.Validate(); err != nil {
				t.Fatalf("statement %d invalid: %v", i, err)
			}
		}
		var buf bytes.Buffer
		if err := WriteCycloneDX(&buf, testDoc, st); err != nil {
			t.Fatalf("WriteCycloneDX: %v", err)
		}
		back, err := Read("again.json", buf.Bytes())
		if err != nil {
			t.Fatalf("re-reading: %v\n%s", err, buf.Bytes())
		}
		var want []Statement
		for _, s := range st {
			if s.Timestamp.IsZero() {
				s.Timestamp = testDoc.Timestamp
			}
			want = append(want, s)
		}
		if diff := compare(want, back); diff != "" {
			t.Fatalf("CycloneDX round trip: %s", diff)
		}
	})
}
