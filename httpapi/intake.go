package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/vuln"
	"github.com/palisade-project/palisade/vuln/sbom"
)

// Upload limits of the CVE-process routes. Documented in docs/api.md.
const (
	MaxInventorySize  = sbom.MaxFileSize // per scan request, all files together
	MaxAdvisoryUpload = 1 << 30          // an OSV zip, streamed to a temporary file
	MaxEnrichUpload   = 256 << 20        // KEV JSON or EPSS CSV (gzip allowed)
	MaxVEXSize        = 16 << 20
)

var inventoryTypes = []string{"application/json", "application/xml", "text/xml", "application/vnd.cyclonedx+json",
	"application/vnd.cyclonedx+xml", "application/spdx+json", "multipart/form-data"}

// readFiles reads a request body as one file, or every "file" part of a
// multipart/form-data body, within limit bytes in all.
func readFiles(w http.ResponseWriter, r *http.Request, limit int64, accept ...string) ([]vuln.File, error) {
	mt := mediaType(r)
	if mt != "multipart/form-data" {
		body, _, err := readBody(w, r, limit, accept...)
		if err != nil {
			return nil, err
		}
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "request body"
		}
		return []vuln.File{{Name: name, Data: body}}, nil
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, palisade.Errorf(palisade.EINVALID, "multipart body without a boundary")
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, limit), params["boundary"])
	var files []vuln.File
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, tooLargeOr(err, limit, "read multipart body")
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, tooLargeOr(err, limit, "read "+part.FileName())
		}
		name := part.FileName()
		if name == "" {
			name = "file " + strconv.Itoa(len(files)+1)
		}
		files = append(files, vuln.File{Name: name, Data: data})
	}
	if len(files) == 0 {
		return nil, palisade.Errorf(palisade.EINVALID, "the multipart body has no part named \"file\"")
	}
	return files, nil
}

func tooLargeOr(err error, limit int64, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return palisade.Errorf(palisade.ETOOLARGE, "request body is larger than %d bytes", limit)
	}
	return palisade.Errorf(palisade.EINVALID, "%s: %v", what, err)
}

// toTempFile streams a request body of an accepted type to a temporary
// file (removed by the returned func), so a large upload never sits in
// memory.
func toTempFile(w http.ResponseWriter, r *http.Request, limit int64, pattern string, accept ...string) (string, func(), error) {
	mt := mediaType(r)
	if !slicesContains(accept, mt) {
		return "", nil, palisade.Errorf(palisade.EUNSUPPORTED, "Content-Type %s is not accepted here; send %s", orNone(r.Header.Get("Content-Type")), strings.Join(accept, " or "))
	}
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, http.MaxBytesReader(w, r.Body, limit)); err != nil {
		cleanup()
		return "", nil, tooLargeOr(err, limit, "read request body")
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (s *Server) handleScan(w http.ResponseWriter, r *http.Request) error {
	files, err := readFiles(w, r, MaxInventorySize, inventoryTypes...)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := s.cfg.Vuln.Scan(r.Context(), files, vuln.ScanOptions{Service: q.Get("service"), Format: q.Get("format")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleImportAdvisories(w http.ResponseWriter, r *http.Request) error {
	if err := palisade.Authorize(r.Context(), palisade.RoleEditor); err != nil {
		return err
	}
	ext := ".zip"
	if mediaType(r) == "application/json" {
		ext = ".json"
	}
	path, cleanup, err := toTempFile(w, r, MaxAdvisoryUpload, "palisade-osv-*"+ext, "application/zip", "application/json", "application/octet-stream")
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := s.cfg.Vuln.ImportAdvisories(r.Context(), path, nil)
	if res != nil {
		res.Source = strings.Replace(res.Source, path, "request body", 1)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// SyncRequest is the body of POST /api/v1/vuln/sync.
type SyncRequest struct {
	Ecosystems []string `json:"ecosystems"`
}

func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) error {
	var req SyncRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Ecosystems) == 0 {
		return palisade.FieldErrorf(palisade.EINVALID, "ecosystems", "name the ecosystems to sync, such as [\"Go\", \"PyPI\"]")
	}
	res, err := s.cfg.Vuln.SyncAdvisories(r.Context(), req.Ecosystems, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[*vuln.ImportResult]{Items: res})
	return nil
}

func (s *Server) handleEnrich(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := palisade.Authorize(r.Context(), palisade.RoleEditor); err != nil {
			return err
		}
		path, cleanup, err := toTempFile(w, r, MaxEnrichUpload, "palisade-"+kind+"-*", "application/json", "text/csv", "application/gzip", "application/octet-stream")
		if err != nil {
			return err
		}
		defer cleanup()
		var res *vuln.EnrichResult
		if kind == "kev" {
			res, err = s.cfg.Vuln.ImportKEV(r.Context(), path)
		} else {
			res, err = s.cfg.Vuln.ImportEPSS(r.Context(), path)
		}
		if err != nil {
			return err
		}
		res.Source = "request body"
		writeJSON(w, http.StatusOK, res)
		return nil
	}
}

func (s *Server) handleImportVEX(w http.ResponseWriter, r *http.Request) error {
	body, _, err := readBody(w, r, MaxVEXSize, "application/json", "application/xml", "text/xml", "application/vnd.cyclonedx+json")
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "request body"
	}
	res, err := s.cfg.Vuln.ImportVEX(r.Context(), name, body, r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleExportVEX(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = vuln.VEXOpenVEX
	}
	var buf bytes.Buffer
	if err := s.cfg.Vuln.ExportVEX(r.Context(), &buf, r.URL.Query().Get("service"), format); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) handleDatabase(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Vuln.Database(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
