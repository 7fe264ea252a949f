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
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Default limits of an import. Every one is far above what the OSV
// database needs (its largest ecosystem zip, npm, holds a few hundred
// thousand records of at most a few megabytes each, compressing 3-12
// times) and far below what would exhaust a server.
const (
	// DefaultMaxEntries bounds the records of one zip or directory.
	DefaultMaxEntries = 2_000_000
	// DefaultMaxEntrySize bounds one record's uncompressed JSON.
	DefaultMaxEntrySize = 16 << 20
	// DefaultMaxTotalSize bounds the uncompressed bytes of one import.
	DefaultMaxTotalSize = 8 << 30
	// DefaultMaxRatio bounds the compression ratio of a zip entry larger
	// than RatioMinSize: deflate reaches about 1000:1 on crafted input,
	// JSON records about 10:1.
	DefaultMaxRatio = 100
	// RatioMinSize is the uncompressed size from which the ratio is
	// checked; smaller entries are bounded by their size alone.
	RatioMinSize = 1 << 20
	// DefaultMaxDownloadSize bounds a downloaded zip.
	DefaultMaxDownloadSize = 4 << 30
	// DefaultDownloadTimeout bounds a download, from request to last byte.
	DefaultDownloadTimeout = 15 * time.Minute
)

// maxSkipsKept bounds Stats.Skips, so that a source of garbage cannot make
// the report itself the problem; Stats.Skipped still counts them all.
const maxSkipsKept = 1000

// Limits bound what an import reads. A zero field takes its default.
type Limits struct {
	MaxEntries      int
	MaxEntrySize    int64
	MaxTotalSize    int64
	MaxRatio        int64
	MaxDownloadSize int64
	DownloadTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	def(&l.MaxEntrySize, DefaultMaxEntrySize)
	def(&l.MaxTotalSize, DefaultMaxTotalSize)
	def(&l.MaxRatio, DefaultMaxRatio)
	def(&l.MaxDownloadSize, DefaultMaxDownloadSize)
	if l.DownloadTimeout <= 0 {
		l.DownloadTimeout = DefaultDownloadTimeout
	}
	return l
}

// RecordFunc receives every record that parsed and validated, withdrawn
// ones included (the store must learn of withdrawals). Returning an error
// that wraps ErrSkipRecord counts the record as skipped, with the error as
// reason, and goes on; any other error stops the import and is returned.
type RecordFunc func(*Record) error

// ErrSkipRecord is wrapped by a RecordFunc's error to reject one record
// without stopping the import.
var ErrSkipRecord = errors.New("record skipped")

// Stats is what an import did. Read = Imported + Skipped.
type Stats struct {
	// Read counts the JSON documents read.
	Read int `json:"read"`
	// Imported counts the records the RecordFunc accepted.
	Imported int `json:"imported"`
	// Withdrawn counts the imported records that are withdrawn.
	Withdrawn int `json:"withdrawn"`
	// Skipped counts the documents that were not valid records or that
	// the RecordFunc rejected.
	Skipped int `json:"skipped"`
	// Skips says which and why, for the first 1000 skips.
	Skips []Skip `json:"skips,omitempty"`
}

// Skip is one document that was not imported.
type Skip struct {
	// ID is the record's id when it could be read.
	ID string `json:"id,omitempty"`
	// File is the zip entry or the path, relative to the imported
	// directory, of the document.
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// SourceKind is what a Source location holds.
type SourceKind int

// Kinds of sources.
const (
	SourceZip  SourceKind = iota + 1 // a zip in the OSV bucket layout: one JSON record per entry
	SourceDir                        // a directory tree of *.json records
	SourceFile                       // one JSON record
	SourceURL                        // an http(s) URL of a zip
)

// String returns the kind's name: "zip", "directory", "file" or "URL".
func (k SourceKind) String() string {
	switch k {
	case SourceZip:
		return "zip"
	case SourceDir:
		return "directory"
	case SourceFile:
		return "file"
	case SourceURL:
		return "URL"
	}
	return "unknown"
}

// Source is a place to import OSV records from.
type Source struct {
	Kind     SourceKind
	Location string
}

// String returns the kind and the location, for messages.
func (s Source) String() string { return s.Kind.String() + " " + s.Location }

// DetectSource tells what location is: an http or https URL (of a zip), a
// directory, a zip file (by its first bytes, whatever its name) or else a
// JSON file. It fails with ENOTFOUND for a path that does not exist and
// EINVALID for a URL of another scheme.
func DetectSource(location string) (Source, error) {
	if u, err := url.Parse(location); err == nil && u.Scheme != "" && u.Host != "" {
		if u.Scheme != "http" && u.Scheme != "https" {
			return Source{}, palisade.Errorf(palisade.EINVALID, "%s: only http and https URLs can be imported", location)
		}
		return Source{SourceURL, location}, nil
	}
	st, err := os.Stat(location)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Source{}, &palisade.Error{Code: palisade.ENOTFOUND, Message: location + ": no such file or directory", Err: err}
		}
		return Source{}, &palisade.Error{Code: palisade.EINVALID, Message: location + ": " + err.Error(), Err: err}
	}
	if st.IsDir() {
		return Source{SourceDir, location}, nil
	}
	f, err := os.Open(location)
	if err != nil {
		return Source{}, &palisade.Error{Code: palisade.EINVALID, Message: location + ": " + err.Error(), Err: err}
	}
	defer f.Close()
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if n == 4 && (string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06") {
		return Source{SourceZip, location}, nil
	}
	return Source{SourceFile, location}, nil
}

// BucketURL returns the URL of the zip of all records of ecosystem in the
// public OSV bucket. The ecosystem is used as given (the bucket is laid
// out by base ecosystem: "PyPI", "Debian", "Red Hat"), path-escaped.
func BucketURL(ecosystem string) string {
	return "https://osv-vulnerabilities.storage.googleapis.com/" + url.PathEscape(ecosystem) + "/all.zip"
}

// Importer reads OSV records from sources within limits. The zero
// Importer uses the default limits, a plain HTTP client and os.TempDir.
type Importer struct {
	Limits Limits
	// Client downloads URLs; nil means http.DefaultClient. Downloads are
	// bounded by Limits.DownloadTimeout whatever the client's own timeout.
	Client *http.Client
	// TempDir holds downloads while they are read; "" means os.TempDir().
	TempDir string
}

// Import detects what location is (see DetectSource) and imports it with
// the default Importer.
func Import(ctx context.Context, location string, fn RecordFunc) (Stats, error) {
	src, err := DetectSource(location)
	if err != nil {
		return Stats{}, err
	}
	return (&Importer{}).Import(ctx, src, fn)
}

// Import reads every record of src and passes the valid ones to fn, in
// the order of the zip's entries or of the directory's lexical walk. A
// document that is not a valid record is skipped (see ParseRecord) and
// never stops the import; a zip, directory or download that is malformed
// or over the limits stops it with an error naming it (ETOOLARGE,
// EINVALID, EUNAVAILABLE for a failed download), as do a cancelled ctx and
// an error of fn. The Stats cover what was read until then.
func (im *Importer) Import(ctx context.Context, src Source, fn RecordFunc) (Stats, error) {
	switch src.Kind {
	case SourceZip:
		return im.ImportZip(ctx, src.Location, fn)
	case SourceDir:
		return im.ImportDir(ctx, src.Location, fn)
	case SourceFile:
		return im.ImportFile(ctx, src.Location, fn)
	case SourceURL:
		return im.ImportURL(ctx, src.Location, fn)
	}
	return Stats{}, palisade.Errorf(palisade.EINVALID, "unknown source kind %d", src.Kind)
}

type importer struct {
	ctx    context.Context
	source string
	fn     RecordFunc
	stats  Stats
}

func (im *importer) skip(id, file, reason string) {
	im.stats.Skipped++
	if len(im.stats.Skips) < maxSkipsKept {
		im.stats.Skips = append(im.stats.Skips, Skip{ID: id, File: file, Reason: reason})
	}
}

// record handles one document; only fn's errors and cancellation stop.
func (im *importer) record(file string, data []byte) error {
	if err := im.ctx.Err(); err != nil {
		return fmt.Errorf("import %s: %w", im.source, err)
	}
	im.stats.Read++
	r, err := ParseRecord(data)
	if err != nil {
		var re *RecordError
		if errors.As(err, &re) {
			im.skip(re.ID, file, re.reason())
		} else {
			im.skip("", file, err.Error())
		}
		return nil
	}
	if err := im.fn(r); err != nil {
		if errors.Is(err, ErrSkipRecord) {
			im.skip(r.ID, file, err.Error())
			return nil
		}
		return fmt.Errorf("import %s: %s (%s): %w", im.source, file, r.ID, err)
	}
	im.stats.Imported++
	if r.IsWithdrawn() {
		im.stats.Withdrawn++
	}
	return nil
}

func tooLarge(format string, args ...any) error {
	return palisade.Errorf(palisade.ETOOLARGE, format, args...)
}

// ImportZip imports a zip file in the OSV bucket layout (see Import).
func (im *Importer) ImportZip(ctx context.Context, path string, fn RecordFunc) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		code := palisade.EINVALID
		if errors.Is(err, fs.ErrNotExist) {
			code = palisade.ENOTFOUND
		}
		return Stats{}, &palisade.Error{Code: code, Message: path + ": " + err.Error(), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Stats{}, &palisade.Error{Code: palisade.EINVALID, Message: path + ": " + err.Error(), Err: err}
	}
	return im.ImportZipReader(ctx, f, st.Size(), path, fn)
}

// ImportZipReader imports a zip of size bytes read from r; name says what
// it is in errors (see Import). The archive is checked against the limits
// from its directory before any record is read (entry count, declared
// sizes and ratios), and again while reading, since a directory can lie.
func (im *Importer) ImportZipReader(ctx context.Context, r io.ReaderAt, size int64, name string, fn RecordFunc) (Stats, error) {
	lim := im.Limits.withDefaults()
	st := &importer{ctx: ctx, source: name, fn: fn}
	// The entry count is read from the end record before archive/zip
	// builds a header for every entry, which is where a zip of millions
	// of empty entries would spend its memory.
	n, err := zipEntryCount(r, size)
	if err != nil {
		return st.stats, &palisade.Error{Code: palisade.EINVALID, Message: name + ": not a zip archive: " + err.Error(), Err: err}
	}
	if n > uint64(lim.MaxEntries) {
		return st.stats, tooLarge("%s: %d entries, over the limit of %d", name, n, lim.MaxEntries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return st.stats, &palisade.Error{Code: palisade.EINVALID, Message: name + ": not a zip archive: " + err.Error(), Err: err}
	}
	var declared uint64
	for _, f := range zr.File {
		if err := checkZipEntry(f, lim); err != nil {
			return st.stats, tooLarge("%s: %v", name, err)
		}
		declared += f.UncompressedSize64
		if declared > uint64(lim.MaxTotalSize) {
			return st.stats, tooLarge("%s: entries hold over %d bytes uncompressed, the limit", name, lim.MaxTotalSize)
		}
	}
	var (
		buf   bytes.Buffer
		total int64
	)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return st.stats, &palisade.Error{Code: palisade.EINVALID, Message: fmt.Sprintf("%s: entry %s: %v", name, f.Name, err), Err: err}
		}
		buf.Reset()
		_, err = buf.ReadFrom(io.LimitReader(rc, lim.MaxEntrySize+1))
		rc.Close()
		if err != nil {
			return st.stats, &palisade.Error{Code: palisade.EINVALID, Message: fmt.Sprintf("%s: entry %s: %v", name, f.Name, err), Err: err}
		}
		if int64(buf.Len()) > lim.MaxEntrySize {
			return st.stats, tooLarge("%s: entry %s is over %d bytes uncompressed, the limit", name, f.Name, lim.MaxEntrySize)
		}
		if total += int64(buf.Len()); total > lim.MaxTotalSize {
			return st.stats, tooLarge("%s: entries hold over %d bytes uncompressed, the limit", name, lim.MaxTotalSize)
		}
		if err := st.record(f.Name, buf.Bytes()); err != nil {
			return st.stats, err
		}
	}
	return st.stats, nil
}

func checkZipEntry(f *zip.File, lim Limits) error {
	if f.UncompressedSize64 > uint64(lim.MaxEntrySize) {
		return fmt.Errorf("entry %s is %d bytes uncompressed, over the limit of %d", f.Name, f.UncompressedSize64, lim.MaxEntrySize)
	}
	if f.UncompressedSize64 >= RatioMinSize && f.UncompressedSize64 > uint64(lim.MaxRatio)*max(f.CompressedSize64, 1) {
		return fmt.Errorf("entry %s expands %d bytes to %d, a ratio over the limit of %d (a zip bomb?)",
			f.Name, f.CompressedSize64, f.UncompressedSize64, lim.MaxRatio)
	}
	return nil
}

// zipEntryCount reads the number of entries from the end of central
// directory record (the zip64 one when the classic field is saturated).
func zipEntryCount(r io.ReaderAt, size int64) (uint64, error) {
	const (
		eocdLen       = 22
		eocdSig       = 0x06054b50
		locatorLen    = 20
		locatorSig    = 0x07064b50
		zip64EOCDSig  = 0x06064b50
		zip64EOCDLen  = 56
		maxCommentLen = 0xffff
	)
	if size < eocdLen {
		return 0, errors.New("too short")
	}
	tail := min(size, eocdLen+maxCommentLen)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == eocdSig {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, errors.New("no end of central directory record")
	}
	count := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if count != 0xffff {
		return count, nil
	}
	// Zip64: the locator sits just before the end record and points at the
	// zip64 end record, which holds the real count.
	locAt := size - tail + int64(at) - locatorLen
	if locAt < 0 {
		return 0, errors.New("zip64 locator missing")
	}
	loc := make([]byte, locatorLen)
	if _, err := r.ReadAt(loc, locAt); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(loc) != locatorSig {
		return count, nil // a classic zip with exactly 65535 entries
	}
	off := binary.LittleEndian.Uint64(loc[8:])
	if off > uint64(size-zip64EOCDLen) {
		return 0, errors.New("zip64 end record out of bounds")
	}
	rec := make([]byte, zip64EOCDLen)
	if _, err := r.ReadAt(rec, int64(off)); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(rec) != zip64EOCDSig {
		return 0, errors.New("bad zip64 end record")
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}

// ImportDir imports every *.json file under dir, recursively, in lexical
// order (see Import). Skips name files by their path relative to dir. A
// file over the entry size limit is skipped like any invalid record;
// more files than the entry limit, or more bytes than the total limit,
// stop the import. Symbolic links to files are followed; other
// non-regular files are ignored.
func (im *Importer) ImportDir(ctx context.Context, dir string, fn RecordFunc) (Stats, error) {
	lim := im.Limits.withDefaults()
	st := &importer{ctx: ctx, source: dir, fn: fn}
	var (
		files int
		total int64
	)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return &palisade.Error{Code: palisade.EINVALID, Message: fmt.Sprintf("%s: %v", dir, err), Err: err}
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".json") {
			return nil
		}
		info, err := os.Stat(path) // follows a symbolic link
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		if files++; files > lim.MaxEntries {
			return tooLarge("%s: over %d JSON files, the limit", dir, lim.MaxEntries)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			rel = path
		}
		rel = filepath.ToSlash(rel)
		n, err := st.file(path, rel, info.Size(), lim)
		if total += n; total > lim.MaxTotalSize {
			return tooLarge("%s: files hold over %d bytes, the limit", dir, lim.MaxTotalSize)
		}
		return err
	})
	return st.stats, err
}

// ImportFile imports one JSON record (see Import); a record over the
// entry size limit is skipped.
func (im *Importer) ImportFile(ctx context.Context, path string, fn RecordFunc) (Stats, error) {
	lim := im.Limits.withDefaults()
	st := &importer{ctx: ctx, source: path, fn: fn}
	info, err := os.Stat(path)
	if err != nil {
		code := palisade.EINVALID
		if errors.Is(err, fs.ErrNotExist) {
			code = palisade.ENOTFOUND
		}
		return st.stats, &palisade.Error{Code: code, Message: path + ": " + err.Error(), Err: err}
	}
	_, err = st.file(path, filepath.Base(path), info.Size(), lim)
	return st.stats, err
}

// file reads and handles one JSON file, returning the bytes read.
func (im *importer) file(path, name string, size int64, lim Limits) (int64, error) {
	if size > lim.MaxEntrySize {
		im.stats.Read++
		im.skip("", name, fmt.Sprintf("file is %d bytes, over the limit of %d", size, lim.MaxEntrySize))
		return 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, &palisade.Error{Code: palisade.EINVALID, Message: fmt.Sprintf("%s: %v", path, err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxEntrySize+1))
	if err != nil {
		return int64(len(data)), &palisade.Error{Code: palisade.EINVALID, Message: fmt.Sprintf("%s: %v", path, err), Err: err}
	}
	if int64(len(data)) > lim.MaxEntrySize { // it grew since the stat
		im.stats.Read++
		im.skip("", name, fmt.Sprintf("file is over the limit of %d bytes", lim.MaxEntrySize))
		return int64(len(data)), nil
	}
	return int64(len(data)), im.record(name, data)
}

// ImportURL downloads the zip at rawURL to a temporary file, within the
// size and time limits, and imports it (see Import). When the server sends
// a crc32c checksum (X-Goog-Hash, as the OSV bucket does), the download is
// verified against it.
func (im *Importer) ImportURL(ctx context.Context, rawURL string, fn RecordFunc) (Stats, error) {
	lim := im.Limits.withDefaults()
	path, err := im.download(ctx, rawURL, lim)
	if err != nil {
		return Stats{}, err
	}
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("import %s: %w", rawURL, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("import %s: %w", rawURL, err)
	}
	return im.ImportZipReader(ctx, f, info.Size(), rawURL, fn)
}

func (im *Importer) download(ctx context.Context, rawURL string, lim Limits) (path string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", palisade.Errorf(palisade.EINVALID, "%s: only http and https URLs can be imported", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, lim.DownloadTimeout)
	defer cancel()
	unavailable := func(cause error, format string, args ...any) error {
		return &palisade.Error{Code: palisade.EUNAVAILABLE, Message: rawURL + ": " + fmt.Sprintf(format, args...), Err: cause}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", palisade.Errorf(palisade.EINVALID, "%s: %v", rawURL, err)
	}
	client := im.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", unavailable(err, "download failed: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", unavailable(nil, "download failed: %s", resp.Status)
	}
	if resp.ContentLength > lim.MaxDownloadSize {
		return "", tooLarge("%s: %d bytes, over the download limit of %d", rawURL, resp.ContentLength, lim.MaxDownloadSize)
	}
	f, err := os.CreateTemp(im.TempDir, "palisade-osv-*.zip")
	if err != nil {
		return "", fmt.Errorf("download %s: %w", rawURL, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("download %s: %w", rawURL, cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	n, err := io.Copy(io.MultiWriter(f, sum), io.LimitReader(resp.Body, lim.MaxDownloadSize+1))
	if err != nil {
		return "", unavailable(err, "download failed after %d bytes: %v", n, err)
	}
	if n > lim.MaxDownloadSize {
		return "", tooLarge("%s: over the download limit of %d bytes", rawURL, lim.MaxDownloadSize)
	}
	if want, ok := googCRC32C(resp.Header); ok && want != sum.Sum32() {
		return "", unavailable(nil, "download corrupted: crc32c %08x, the server announced %08x", sum.Sum32(), want)
	}
	return f.Name(), nil
}

// googCRC32C returns the crc32c checksum of an X-Goog-Hash header
// ("crc32c=<base64>,md5=<base64>"), when there is one.
func googCRC32C(h http.Header) (uint32, bool) {
	for _, v := range h.Values("X-Goog-Hash") {
		for part := range strings.SplitSeq(v, ",") {
			b64, ok := strings.CutPrefix(strings.TrimSpace(part), "crc32c=")
			if !ok {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(raw) != 4 {
				return 0, false
			}
			return binary.BigEndian.Uint32(raw), true
		}
	}
	return 0, false
}
