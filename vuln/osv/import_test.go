package osv

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

type zipEntry struct {
	name string
	data []byte
}

// zipBytes builds a zip archive of entries, deflated.
func zipBytes(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func recordJSON(id string) []byte {
	return fmt.Appendf(nil, `{"id": %q, "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]}`, id)
}

// collect is a RecordFunc that keeps the ids it was given.
type collect struct{ ids []string }

func (c *collect) add(r *Record) error { c.ids = append(c.ids, r.ID); return nil }

// mixedEntries is a bucket-layout zip with every kind of document.
func mixedEntries() []zipEntry {
	return []zipEntry{
		{"A-1.json", recordJSON("A-1")},
		{"nested/", nil},
		{"README.txt", []byte("not a record")},
		{"A-2.json", []byte(`{"id": "A-2", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"},
  "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}]}]}`)},
		{"broken.json", []byte(`{"id": "A-3", `)},
		{"A-4.JSON", []byte(`{"id": "A-4", "modified": "2024-01-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z"}`)},
		{"nested/A-5.json", recordJSON("A-5")},
	}
}

const mixedSkips = `A-2 A-2.json affected[0].ranges[0].events (line 2:46) a range needs an introduced event
 broken.json (line 1:15) invalid JSON: unexpected end of JSON input
`

func skipsText(st Stats) string {
	var b strings.Builder
	for _, s := range st.Skips {
		fmt.Fprintf(&b, "%s %s %s\n", s.ID, s.File, s.Reason)
	}
	return b.String()
}

func TestImportZip(t *testing.T) {
	path := writeTemp(t, "PyPI/all.zip", zipBytes(t, mixedEntries()...))
	var c collect
	st, err := Import(context.Background(), path, c.add)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 5 || st.Imported != 3 || st.Withdrawn != 1 || st.Skipped != 2 || strings.Join(c.ids, " ") != "A-1 A-4 A-5" {
		t.Errorf("stats = %+v, imported %v", st, c.ids)
	}
	if got := skipsText(st); got != mixedSkips {
		t.Errorf("skips:\n%s\nwant:\n%s", got, mixedSkips)
	}
}

func TestImportDirAndFile(t *testing.T) {
	dir := t.TempDir()
	for _, e := range mixedEntries() {
		if e.data == nil {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(e.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, e.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link to a record outside the tree is followed; a dangling one is ignored.
	outside := writeTemp(t, "L-1.json", recordJSON("L-1"))
	if err := os.Symlink(outside, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.json")); err != nil {
		t.Fatal(err)
	}
	// A file over the entry limit is skipped, not read.
	if err := os.WriteFile(filepath.Join(dir, "big.json"), bytes.Repeat([]byte(" "), 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	var c collect
	im := &Importer{Limits: Limits{MaxEntrySize: 1024}}
	st, err := im.Import(context.Background(), Source{SourceDir, dir}, c.add)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 7 || st.Imported != 4 || st.Skipped != 3 || strings.Join(c.ids, " ") != "A-1 A-4 L-1 A-5" {
		t.Errorf("stats = %+v, imported %v", st, c.ids)
	}
	// Lexical order: upper case first, so big.json comes before broken.json.
	want := strings.Replace(mixedSkips, " broken.json", " big.json file is 2048 bytes, over the limit of 1024\n broken.json", 1)
	if got := skipsText(st); got != want {
		t.Errorf("skips:\n%s\nwant:\n%s", got, want)
	}

	c = collect{}
	st, err = Import(context.Background(), filepath.Join(dir, "A-1.json"), c.add)
	if err != nil || st.Imported != 1 || c.ids[0] != "A-1" {
		t.Errorf("file import = %+v, %v", st, err)
	}
	st, err = Import(context.Background(), filepath.Join(dir, "broken.json"), c.add)
	if err != nil || st.Skipped != 1 || st.Skips[0].File != "broken.json" {
		t.Errorf("broken file import = %+v, %v", st, err)
	}

	_, err = (&Importer{Limits: Limits{MaxEntries: 3}}).ImportDir(context.Background(), dir, c.add)
	if palisade.ErrorCode(err) != palisade.ETOOLARGE || !strings.Contains(err.Error(), dir) {
		t.Errorf("too many files: %v", err)
	}
}

func TestImportZipLimits(t *testing.T) {
	bomb := bytes.Repeat([]byte{' '}, 2*RatioMinSize) // deflates about 1000:1
	tests := []struct {
		name    string
		entries []zipEntry
		limits  Limits
		want    string
	}{
		{"entries", mixedEntries(), Limits{MaxEntries: 6}, "7 entries, over the limit of 6"},
		{"entry size", []zipEntry{{"a.json", recordJSON("A")}, {"b.json", bytes.Repeat([]byte{' '}, 600)}}, Limits{MaxEntrySize: 500}, "entry b.json is 600 bytes uncompressed"},
		{"total size", []zipEntry{{"a.json", recordJSON("A")}, {"b.json", recordJSON("B")}}, Limits{MaxTotalSize: 300}, "over 300 bytes uncompressed"},
		{"ratio", []zipEntry{{"bomb.json", bomb}}, Limits{}, "a ratio over the limit of 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "all.zip", zipBytes(t, tt.entries...))
			var c collect
			st, err := (&Importer{Limits: tt.limits}).ImportZip(context.Background(), path, c.add)
			if palisade.ErrorCode(err) != palisade.ETOOLARGE || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %v (%s), want ETOOLARGE with %q and the file", err, palisade.ErrorCode(err), tt.want)
			}
			if st.Read != 0 || len(c.ids) != 0 {
				t.Errorf("read %d records before refusing", st.Read)
			}
		})
	}
}

// TestImportZipLyingHeader checks a zip whose directory declares smaller
// entries than it holds: the limits are enforced on the bytes read.
func TestImportZipLyingHeader(t *testing.T) {
	data := bytes.Repeat([]byte{' '}, 4096)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "liar.json", Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(len(data)), UncompressedSize64: 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	zw.Close()
	path := writeTemp(t, "all.zip", buf.Bytes())
	var c collect
	st, err := (&Importer{Limits: Limits{MaxEntrySize: 1000}}).ImportZip(context.Background(), path, c.add)
	if err == nil || !strings.Contains(err.Error(), "liar.json") || st.Imported != 0 {
		t.Errorf("lying zip: %+v, %v", st, err)
	}
}

func TestImportZipManyEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 65536-entry zip")
	}
	// Past 65535 entries a zip needs the zip64 end record; the count must
	// be found there before archive/zip reads the directory.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 65536 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%d.json", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	n, err := zipEntryCount(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || n != 65536 {
		t.Fatalf("zipEntryCount = %d, %v", n, err)
	}
	_, err = (&Importer{Limits: Limits{MaxEntries: 1000}}).ImportZipReader(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), "many.zip", (&collect{}).add)
	if palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Errorf("error = %v", err)
	}
}

func TestImportZipMalformed(t *testing.T) {
	var c collect
	for _, data := range [][]byte{[]byte("PK\x03\x04 truncated"), []byte("not a zip at all, just text"), nil} {
		_, err := (&Importer{}).ImportZipReader(context.Background(), bytes.NewReader(data), int64(len(data)), "bad.zip", c.add)
		if palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), "bad.zip") {
			t.Errorf("%q: error = %v", data, err)
		}
	}
	_, err := (&Importer{}).ImportZip(context.Background(), filepath.Join(t.TempDir(), "none.zip"), c.add)
	if palisade.ErrorCode(err) != palisade.ENOTFOUND {
		t.Errorf("missing zip: %v", err)
	}
}

func TestImportStops(t *testing.T) {
	path := writeTemp(t, "all.zip", zipBytes(t, mixedEntries()...))
	// The callback rejects one record and fails on another.
	calls := 0
	st, err := Import(context.Background(), path, func(r *Record) error {
		calls++
		switch r.ID {
		case "A-1":
			return fmt.Errorf("duplicate advisory: %w", ErrSkipRecord)
		case "A-4":
			return errors.New("database is locked")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "database is locked") || !strings.Contains(err.Error(), "A-4.JSON") {
		t.Errorf("error = %v", err)
	}
	if calls != 2 || st.Imported != 0 || st.Skipped != 3 || st.Skips[0].Reason != "duplicate advisory: record skipped" {
		t.Errorf("stats = %+v after %d calls", st, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Import(ctx, path, (&collect{}).add); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: %v", err)
	}
}

func TestImportURL(t *testing.T) {
	body := zipBytes(t, mixedEntries()...)
	crc := make([]byte, 4)
	binary.BigEndian.PutUint32(crc, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	good := "crc32c=" + base64.StdEncoding.EncodeToString(crc) + ",md5=AAAA"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/PyPI/all.zip":
			w.Header().Set("X-Goog-Hash", good)
			w.Write(body)
		case "/corrupt/all.zip":
			w.Header().Set("X-Goog-Hash", "crc32c=AAAAAA==")
			w.Write(body)
		case "/chunked/all.zip": // no Content-Length: the limit applies while copying
			w.(http.Flusher).Flush()
			w.Write(body)
		case "/slow/all.zip":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tmp := t.TempDir()
	im := &Importer{TempDir: tmp, Client: srv.Client()}

	var c collect
	src, err := DetectSource(srv.URL + "/PyPI/all.zip")
	if err != nil || src.Kind != SourceURL {
		t.Fatalf("DetectSource = %v, %v", src, err)
	}
	st, err := im.Import(context.Background(), src, c.add)
	if err != nil || st.Imported != 3 || st.Skipped != 2 {
		t.Errorf("download import = %+v, %v", st, err)
	}

	tests := []struct {
		path   string
		limits Limits
		code   string
		want   string
	}{
		{"/missing/all.zip", Limits{}, palisade.EUNAVAILABLE, "404 Not Found"},
		{"/corrupt/all.zip", Limits{}, palisade.EUNAVAILABLE, "download corrupted"},
		{"/PyPI/all.zip", Limits{MaxDownloadSize: 100}, palisade.ETOOLARGE, "over the download limit of 100"},
		{"/chunked/all.zip", Limits{MaxDownloadSize: 100}, palisade.ETOOLARGE, "over the download limit of 100"},
		{"/slow/all.zip", Limits{DownloadTimeout: 50 * time.Millisecond}, palisade.EUNAVAILABLE, "deadline exceeded"},
	}
	for _, tt := range tests {
		im := &Importer{TempDir: tmp, Client: srv.Client(), Limits: tt.limits}
		_, err := im.ImportURL(context.Background(), srv.URL+tt.path, c.add)
		if palisade.ErrorCode(err) != tt.code || !strings.Contains(err.Error()+fmt.Sprint(errors.Unwrap(err)), tt.want) {
			t.Errorf("%s: error = %v (%s), want %s with %q", tt.path, err, palisade.ErrorCode(err), tt.code, tt.want)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}
}

func TestDetectSource(t *testing.T) {
	dir := t.TempDir()
	zipPath := writeTemp(t, "records.bin", zipBytes(t, zipEntry{"a.json", recordJSON("A")}))
	jsonPath := writeTemp(t, "a.json", recordJSON("A"))
	tests := []struct {
		location string
		kind     SourceKind
		code     string
	}{
		{"https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", SourceURL, ""},
		{"http://127.0.0.1:8080/all.zip", SourceURL, ""},
		{"ftp://example.com/all.zip", 0, palisade.EINVALID},
		{dir, SourceDir, ""},
		{zipPath, SourceZip, ""},
		{jsonPath, SourceFile, ""},
		{filepath.Join(dir, "nope"), 0, palisade.ENOTFOUND},
	}
	for _, tt := range tests {
		src, err := DetectSource(tt.location)
		if palisade.ErrorCode(err) != tt.code || src.Kind != tt.kind {
			t.Errorf("DetectSource(%q) = %v, %v", tt.location, src, err)
		}
	}
}

func TestBucketURL(t *testing.T) {
	for eco, want := range map[string]string{
		"PyPI":      "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
		"crates.io": "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip",
		"Red Hat":   "https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip",
		"Debian:11": "https://osv-vulnerabilities.storage.googleapis.com/Debian:11/all.zip",
		"a/b?c#d":   "https://osv-vulnerabilities.storage.googleapis.com/a%2Fb%3Fc%23d/all.zip",
	} {
		if got := BucketURL(eco); got != want {
			t.Errorf("BucketURL(%q) = %q, want %q", eco, got, want)
		}
	}
}

// TestImportCorpus imports the shared OSV snapshot: every record valid.
func TestImportCorpus(t *testing.T) {
	dir := sharedCorpus(t, "osv-advisories")
	for _, tt := range []struct {
		eco             string
		read, withdrawn int
	}{{"Go", 4291, 17}, {"PyPI", 2661, 10}} {
		st, err := Import(context.Background(), filepath.Join(dir, tt.eco, "all.zip"), func(*Record) error { return nil })
		if err != nil || st.Read != tt.read || st.Imported != tt.read || st.Withdrawn != tt.withdrawn || st.Skipped != 0 {
			t.Errorf("%s: %+v, %v", tt.eco, st, err)
		}
	}
}
