package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SendError is a failed delivery with what the outbox needs to decide what
// to do next. Its text never holds secrets.
type SendError struct {
	// Status is the HTTP status or SMTP reply code; 0 when the receiver
	// never answered.
	Status int
	// Permanent says that sending the same message again cannot succeed
	// (a 4xx answer, an invalid message, a refused address): the outbox
	// moves it to the dead letters instead of retrying.
	Permanent bool
	// RetryAfter is how long the receiver asked to wait (HTTP
	// Retry-After); zero when it did not say.
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// Permanent marks err as a failure that retrying cannot fix; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &SendError{Permanent: true, Err: err}
}

// RetryAfter marks err as a temporary failure after which the receiver
// asked to wait d; nil stays nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &SendError{RetryAfter: max(d, 0), Err: err}
}

// IsPermanent reports whether any SendError in err's chain is permanent.
// Errors that are not SendErrors (a timeout, a reset connection) are
// temporary: giving up on a page because of one network blip is worse than
// sending it again.
func IsPermanent(err error) bool {
	for err != nil {
		var se *SendError
		if !errors.As(err, &se) {
			return false
		}
		if se.Permanent {
			return true
		}
		err = se.Err
	}
	return false
}

// RetryAfterOf returns the longest wait any SendError in err's chain asked
// for, and whether there was one.
func RetryAfterOf(err error) (time.Duration, bool) {
	var d time.Duration
	found := false
	for err != nil {
		var se *SendError
		if !errors.As(err, &se) {
			break
		}
		if se.RetryAfter > 0 {
			d, found = max(d, se.RetryAfter), true
		}
		err = se.Err
	}
	return d, found
}

// parseRetryAfter reads an HTTP Retry-After value: delay seconds or an
// HTTP date. Anything unreadable or in the past is no wait at all, so a
// broken header degrades to the normal backoff.
func parseRetryAfter(v string, now time.Time) time.Duration {
	// A year bounds both forms, so that neither a huge number nor a date
	// far ahead can overflow a Duration; the dispatcher caps it much
	// lower anyway.
	const maxWait = 365 * 24 * time.Hour
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		// Clamp before converting: n seconds may not fit a Duration.
		return time.Duration(min(max(n, 0), int64(maxWait/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxWait)
	}
	return 0
}

// httpStatusError classifies a non-2xx answer. 408, 425, 429 and 5xx are
// the receiver's temporary trouble; every other 4xx says the request itself
// is wrong (bad payload, revoked URL, archived channel) and will be wrong
// again; a 3xx means the configured URL is stale, since redirects are not
// followed (a redirect could lead the request anywhere).
func httpStatusError(name string, status int, detail string, retryAfter time.Duration) error {
	msg := fmt.Sprintf("%s: HTTP %d", name, status)
	if detail != "" {
		msg += ": " + detail
	}
	se := &SendError{Status: status, Err: errors.New(msg)}
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests, status >= 500:
		se.RetryAfter = retryAfter
	default:
		se.Permanent = true
	}
	return se
}

// snippet makes a response body safe to put in an error: short, one line,
// printable, and without any of the secrets the request carried (a receiver
// that echoes its input must not make the log a copy of the key).
func snippet(body []byte, secrets ...string) string {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, 200)
}
