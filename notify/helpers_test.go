package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

var testTime = time.Date(2026, 1, 15, 10, 3, 0, 0, time.UTC)

func testOptions() Options {
	return Options{Now: func() time.Time { return testTime }, Timeout: 5 * time.Second}
}

// incidentMessage is the message most tests send.
func incidentMessage() Message {
	return Message{
		ID:       "INC-42/opened",
		Kind:     "incident.opened",
		Title:    "Exploit attempts on payments-api",
		Text:     "Status: Active · Commander: ana\nWAF blocks rose 40× in 10 minutes.",
		Severity: "SEV1",
		URL:      "https://palisade.example.com/incidents/INC-42",
		Fields:   []Field{{"Severity", "SEV1"}, {"Service", "payments-api"}},
		DedupKey: "INC-42",
		Time:     testTime,
	}
}

// shape returns the JSON paths of v ("blocks[].text.type"), so that a
// payload can be compared with a fixture by structure, not values.
func shape(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	set := map[string]bool{}
	var walk func(v any, p string)
	walk = func(v any, p string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				q := k
				if p != "" {
					q = p + "." + k
				}
				set[q] = true
				walk(c, q)
			}
		case []any:
			for _, c := range x {
				walk(c, p+"[]")
			}
		}
	}
	walk(v, "")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// subset reports the paths of got that are not in want.
func notIn(got, want []string) []string {
	var out []string
	for _, p := range got {
		if !slices.Contains(want, p) {
			out = append(out, p)
		}
	}
	return out
}

// recorder is an HTTP receiver that records requests and answers with a
// programmable handler.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	answer   func(w http.ResponseWriter, r *http.Request, body []byte)
}

type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body []byte)) *recorder {
	rec := &recorder{answer: answer}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
		rec.mu.Unlock()
		rec.answer(w, r, body)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) got() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.requests)
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	reqs := r.got()
	if len(reqs) == 0 {
		t.Fatal("the receiver got no request")
	}
	return reqs[len(reqs)-1]
}
