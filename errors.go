// Package palisade holds the few types every capability shares: the error
// type with its codes, the actor that makes a change, and the clock.
//
// Capability packages (catalog, identity, auditlog, ...) import this package;
// it imports none of them.
package palisade

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in httpapi and to one CLI exit
// code in cmd/palisade; nothing else interprets them.
const (
	EINVALID       = "invalid"           // the input is malformed or breaks a rule (400/422)
	EUNAUTHORIZED  = "unauthorized"      // no or bad credentials (401)
	EFORBIDDEN     = "forbidden"         // credentials fine, role lacks the right (403)
	ENOTFOUND      = "not_found"         // the named object does not exist (404)
	ECONFLICT      = "conflict"          // the change collides with current state (409)
	ETOOLARGE      = "too_large"         // the body or file is over its size limit (413)
	EUNSUPPORTED   = "unsupported_media" // wrong content type (415)
	EUNPROCESSABLE = "unprocessable"     // well-formed but semantically wrong (422)
	ERATELIMIT     = "rate_limited"      // too many attempts (429)
	EUNAVAILABLE   = "unavailable"       // a dependency (database) is down or locked (503)
	EINTERNAL      = "internal"          // a bug or an unexpected failure (500)
)

// Error is an application error with a machine-readable code, a message safe
// to show to the caller, and optionally the input field or location it is
// about ("services[3].team", "palisade.yaml:12:5").
type Error struct {
	Code    string
	Message string
	Field   string
	// Err is the underlying cause; it is logged, never shown to API callers.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil && e.Code == EINTERNAL {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one field of the input.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the message of the
// first *Error in its chain, or a generic text for anything else so that
// internal details never leak to API callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Errors is a list of problems found in one input, such as every invalid line
// of a catalog file. It lets a caller see all problems at once instead of
// fixing them one run at a time.
type Errors []*Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", es[0].Error(), len(es)-1)
}

// Err returns es as an error, or nil when it is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// As lets errors.As find the first *Error in the list, so ErrorCode works on
// an Errors value too.
func (es Errors) As(target any) bool {
	if len(es) == 0 {
		return false
	}
	if t, ok := target.(**Error); ok {
		*t = es[0]
		return true
	}
	return false
}
