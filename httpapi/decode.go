package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/palisade-project/palisade"
)

// Body size limits. Documented in docs/api.md.
const (
	MaxBodySize  = 1 << 20  // ordinary requests
	MaxApplySize = 16 << 20 // a whole catalog
)

// mediaType returns the request's media type without parameters.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// readBody reads at most limit bytes of a body whose media type is one of
// accept; it returns the body and its media type.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, accept ...string) ([]byte, string, error) {
	mt := mediaType(r)
	ok := false
	for _, a := range accept {
		ok = ok || mt == a
	}
	if !ok {
		got := r.Header.Get("Content-Type")
		if got == "" {
			got = "none"
		}
		return nil, "", palisade.Errorf(palisade.EUNSUPPORTED, "Content-Type %s is not accepted here; send %s", got, strings.Join(accept, " or "))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, "", palisade.Errorf(palisade.ETOOLARGE, "request body is larger than %d bytes", limit)
	} else if err != nil {
		return nil, "", palisade.Errorf(palisade.EINVALID, "read request body: %v", err)
	}
	return body, mt, nil
}

// decodeJSON reads a JSON body into v, refusing unknown fields and trailing
// data, and naming the field or position of any problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, _, err := readBody(w, r, MaxBodySize, "application/json")
	if err != nil {
		return err
	}
	return DecodeStrict(body, v)
}

// DecodeStrict decodes JSON into v, refusing unknown fields and trailing
// data; errors name the offending field or byte offset.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return palisade.Errorf(palisade.EINVALID, "unexpected data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return palisade.Errorf(palisade.EINVALID, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return palisade.FieldErrorf(palisade.EINVALID, te.Field, "expected %s, got JSON %s", te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return palisade.Errorf(palisade.EINVALID, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return palisade.Errorf(palisade.EINVALID, "malformed JSON: unexpected end of input")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return palisade.FieldErrorf(palisade.EINVALID, field, "unknown field %q", field)
	}
	return palisade.Errorf(palisade.EINVALID, "malformed JSON: %v", err)
}

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || fmt.Sprint(n) != v || n < min || n > max {
		return 0, palisade.FieldErrorf(palisade.EINVALID, name, "%s must be an integer from %d to %d", name, min, max)
	}
	return n, nil
}

// queryBool reads an optional boolean query parameter.
func queryBool(r *http.Request, name string) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, palisade.FieldErrorf(palisade.EINVALID, name, "%s must be true or false", name)
}
