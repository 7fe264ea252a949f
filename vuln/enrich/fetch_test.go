package enrich

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

func TestFetchHTTP(t *testing.T) {
	kev, err := os.ReadFile(filepath.Join("testdata", "kev-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(kev)))
		w.Write(kev)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the size is only known while reading.
		for i := 0; i < 10; i++ {
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	t.Run("ok", func(t *testing.T) {
		rc, err := Fetch(ctx, srv.Client(), srv.URL+"/kev.json", MaxKEVSize)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		k, err := ReadKEV(rc)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Entries) != 7 {
			t.Errorf("%d entries", len(k.Entries))
		}
	})
	tests := []struct {
		name, path string
		limit      int64
		code       string
		onRead     bool
	}{
		{"not found", "/missing", 1 << 20, palisade.EUNAVAILABLE, false},
		{"content length over limit", "/kev.json", 100, palisade.ETOOLARGE, false},
		{"body over limit", "/chunked", 500, palisade.ETOOLARGE, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := Fetch(ctx, nil, srv.URL+tt.path, tt.limit)
			if tt.onRead {
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				_, err = io.ReadAll(rc)
			}
			if palisade.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
	t.Run("limit exactly", func(t *testing.T) {
		rc, err := Fetch(ctx, nil, srv.URL+"/chunked", 1000)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil || len(b) != 1000 {
			t.Fatalf("read %d bytes, %v", len(b), err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := Fetch(ctx, srv.Client(), srv.URL+"/slow", 1<<20)
		if palisade.ErrorCode(err) != palisade.EUNAVAILABLE || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want EUNAVAILABLE wrapping the deadline", err)
		}
	})
	t.Run("password not shown", func(t *testing.T) {
		_, err := Fetch(ctx, nil, strings.Replace(srv.URL, "http://", "http://user:secret@", 1)+"/missing", 1<<20)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Fatalf("error %v shows the password", err)
		}
	})
}

func TestFetchFile(t *testing.T) {
	path := filepath.Join("testdata", "epss-sample.csv.gz")
	for _, loc := range []string{path, "file://" + mustAbs(t, path)} {
		rc, err := Fetch(context.Background(), nil, loc, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ReadEPSS(rc)
		rc.Close()
		if err != nil || len(e.Scores) != 8 {
			t.Fatalf("%s: %v", loc, err)
		}
	}
	tests := []struct {
		loc   string
		limit int64
		code  string
	}{
		{path, 10, palisade.ETOOLARGE},
		{filepath.Join("testdata", "nope.csv"), 1 << 20, palisade.ENOTFOUND},
		{"ftp://example.com/x", 1 << 20, palisade.EINVALID},
		{path, 0, palisade.EINVALID},
	}
	for _, tt := range tests {
		_, err := Fetch(context.Background(), nil, tt.loc, tt.limit)
		if palisade.ErrorCode(err) != tt.code {
			t.Errorf("Fetch(%s, %d): got %v, want %s", tt.loc, tt.limit, err, tt.code)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(a)
}
