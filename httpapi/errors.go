package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/palisade-project/palisade"
)

// statusOf is the one place where error codes become HTTP statuses.
var statusOf = map[string]int{
	palisade.EINVALID:       http.StatusBadRequest,
	palisade.EUNAUTHORIZED:  http.StatusUnauthorized,
	palisade.EFORBIDDEN:     http.StatusForbidden,
	palisade.ENOTFOUND:      http.StatusNotFound,
	palisade.ECONFLICT:      http.StatusConflict,
	palisade.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	palisade.EUNSUPPORTED:   http.StatusUnsupportedMediaType,
	palisade.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	palisade.ERATELIMIT:     http.StatusTooManyRequests,
	palisade.EUNAVAILABLE:   http.StatusServiceUnavailable,
	palisade.EINTERNAL:      http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for err.
func ErrorStatus(err error) int {
	if s, ok := statusOf[palisade.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one error. Details lists every problem when an
// input had several (a catalog with three bad references).
type ErrorDetail struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Field   string        `json:"field,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
}

func errorDetail(err error) ErrorDetail {
	d := ErrorDetail{Code: palisade.ErrorCode(err), Message: palisade.ErrorMessage(err), Field: palisade.ErrorField(err)}
	var errs palisade.Errors
	if errors.As(err, &errs) && len(errs) > 1 {
		for _, e := range errs {
			d.Details = append(d.Details, ErrorDetail{Code: e.Code, Message: e.Message, Field: e.Field})
		}
	}
	return d
}

// writeError sends err as JSON. Internal errors are logged with their cause
// and shown to the caller only as "internal error" with the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := ErrorStatus(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "error", err.Error(), "status", status)
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="palisade"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "60")
	}
	d := errorDetail(err)
	if status == http.StatusInternalServerError {
		d.Message = "internal error (request " + requestID(r.Context()) + ")"
	}
	writeJSON(w, status, ErrorBody{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "error", err)
	}
}
