package enrich

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// DefaultFetchTimeout bounds a download when Fetch is given no client: the
// KEV catalog and the EPSS file are a few megabytes, so a minute is
// generous and a hung server does not stall a sync job for ever.
const DefaultFetchTimeout = time.Minute

// Fetch opens a data source named by location: an http:// or https:// URL,
// a file:// URL, or a local file path. The caller must close the result.
//
// It fails with ETOOLARGE before reading when the server's Content-Length
// or the file's size is over limit bytes, and the returned reader fails
// with ETOOLARGE (rather than truncating) when more than limit bytes
// arrive. limit counts bytes as transferred, so for a gzip file it bounds
// the compressed size; ReadEPSS bounds the uncompressed size itself.
//
// For URLs the request is bound to ctx; a nil client means a fresh
// http.Client with DefaultFetchTimeout. A response other than 200 OK is an
// EUNAVAILABLE error naming the status, as is a failed request; a
// location with another scheme is EINVALID; a missing file is ENOTFOUND.
func Fetch(ctx context.Context, client *http.Client, location string, limit int64) (io.ReadCloser, error) {
	if limit <= 0 {
		return nil, palisade.Errorf(palisade.EINVALID, "fetch %s: limit must be positive", location)
	}
	u, err := url.Parse(location)
	scheme := ""
	if err == nil {
		scheme = strings.ToLower(u.Scheme)
	}
	switch {
	case scheme == "http" || scheme == "https":
		// Messages show the URL without any password in it.
		return fetchHTTP(ctx, client, location, u.Redacted(), limit)
	case scheme == "file":
		return openFile(u.Path, limit)
	case scheme == "" || len(scheme) == 1:
		// No scheme, or a Windows drive letter ("C:\…"): a file path.
		return openFile(location, limit)
	}
	return nil, palisade.Errorf(palisade.EINVALID, "fetch %s: unsupported scheme %q (want http, https, file or a path)", location, scheme)
}

func fetchHTTP(ctx context.Context, client *http.Client, location, shown string, limit int64) (io.ReadCloser, error) {
	if client == nil {
		client = &http.Client{Timeout: DefaultFetchTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, palisade.Errorf(palisade.EINVALID, "fetch %s: %v", shown, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &palisade.Error{Code: palisade.EUNAVAILABLE, Message: fmt.Sprintf("fetch %s: request failed", shown), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, palisade.Errorf(palisade.EUNAVAILABLE, "fetch %s: server answered %s", shown, resp.Status)
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, palisade.Errorf(palisade.ETOOLARGE, "fetch %s: %d bytes is over the %d-byte limit", shown, resp.ContentLength, limit)
	}
	return &limitedReadCloser{limitedReader: limitedReader{r: resp.Body, n: limit}, c: resp.Body}, nil
}

func openFile(path string, limit int64) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &palisade.Error{Code: palisade.ENOTFOUND, Message: fmt.Sprintf("fetch %s: no such file", path), Err: err}
		}
		return nil, fmt.Errorf("fetch %s: %w", path, err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		f.Close()
		return nil, palisade.Errorf(palisade.ETOOLARGE, "fetch %s: %d bytes is over the %d-byte limit", path, st.Size(), limit)
	}
	return &limitedReadCloser{limitedReader: limitedReader{r: f, n: limit}, c: f}, nil
}

type limitedReadCloser struct {
	limitedReader
	c io.Closer
}

func (l *limitedReadCloser) Close() error { return l.c.Close() }
