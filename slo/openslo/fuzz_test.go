package openslo

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/palisade-project/palisade/slo"
)

// FuzzRead feeds arbitrary files to Read: it must never panic, and what
// it imports must survive Write and Read unchanged.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, path := range files {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Add(docs(promSource, baseSLO))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("[{\"apiVersion\": \"openslo/v1\"}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read("fuzz.yaml", data)
		if err != nil {
			return
		}
		var valid []*slo.SLO
		for _, s := range res.SLOs {
			if s.Indicator.Kind == slo.KindPrometheus && s.Indicator.Prometheus.Server == "" {
				s.Indicator.Prometheus.Server = "http://prometheus:9090"
			}
			if s.Validate() != nil {
				t.Fatalf("Read returned an invalid SLO: %+v: %v", s, s.Validate())
			}
			valid = append(valid, s)
		}
		var buf bytes.Buffer
		if err := Write(&buf, valid); err != nil {
			t.Fatalf("Write of imported SLOs: %v", err)
		}
		back, err := Read("again.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("Read of Write's output: %v\n%s", err, buf.String())
		}
		if len(valid) > 0 && !reflect.DeepEqual(back.SLOs, valid) {
			t.Fatalf("round trip differs:%s\nwant%s", show(back.SLOs...), show(valid...))
		}
	})
}
