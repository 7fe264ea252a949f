package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	palisade "github.com/palisade-project/palisade"
)

// Signature headers.
const (
	// HeaderGitHubSignature carries "sha256=<hex HMAC-SHA256(secret, body)>",
	// as GitHub signs webhook deliveries; many CI systems copy it.
	HeaderGitHubSignature = "X-Hub-Signature-256"
	// HeaderWebhookID, HeaderWebhookTimestamp and HeaderWebhookSignature are
	// the Standard Webhooks headers (https://www.standardwebhooks.com/).
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// StandardWebhookTolerance is how far webhook-timestamp may be from now,
// either way, the value the Standard Webhooks reference libraries use. It
// bounds how long a captured delivery can be replayed.
const StandardWebhookTolerance = 5 * time.Minute

// minStandardSecretLength is the Standard Webhooks minimum (192 bits).
const minStandardSecretLength = 24

// Secret is one signing secret of a source. A source has several at once so
// that a new secret can be given to the sender before the old one is
// withdrawn; a delivery signed with any of them is accepted.
type Secret struct {
	// ID names the secret in logs; it is never compared.
	ID string
	// Value is the secret: raw bytes for VerifyGitHub, the "whsec_<base64>"
	// text for VerifyStandard. An empty Value is ignored, never matched.
	Value []byte
}

// errNoSecret is the logged cause when a source has no usable secret; the
// caller only learns that the signature could not be verified.
var errNoSecret = errors.New("the source has no usable signing secret")

func unauthorized(header string, cause error, format string, args ...any) error {
	return &palisade.Error{Code: palisade.EUNAUTHORIZED, Field: header, Message: fmt.Sprintf(format, args...), Err: cause}
}

func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// VerifyGitHub checks an X-Hub-Signature-256 header value,
// "sha256=<hex HMAC-SHA256(secret, body)>", against each of secrets in
// constant time. body must be the bytes as received: re-encoded JSON does
// not verify. A missing, malformed or non-matching signature is
// EUNAUTHORIZED; the message never includes the expected value.
func VerifyGitHub(header string, body []byte, secrets []Secret) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return unauthorized(HeaderGitHubSignature, nil, "missing: sign the body with the source's secret")
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return unauthorized(HeaderGitHubSignature, err, "malformed: expected sha256=<64 hex digits>")
	}
	usable := 0
	for _, s := range secrets {
		if len(s.Value) == 0 {
			continue
		}
		usable++
		if hmac.Equal(hmacSHA256(s.Value, body), got) {
			return nil
		}
	}
	if usable == 0 {
		return unauthorized(HeaderGitHubSignature, errNoSecret, "cannot be verified")
	}
	return unauthorized(HeaderGitHubSignature, nil, "does not match the body: check the secret, and that the body is sent unchanged")
}

// ParseStandardSecret decodes a Standard Webhooks signing secret,
// "whsec_" followed by the base64 of at least 24 random bytes (the prefix
// may be left out, as the reference libraries allow). Configuration loading
// should call it so that a bad secret fails at start, not per delivery. Its
// errors never repeat the secret.
func ParseStandardSecret(secret string) ([]byte, error) {
	s := strings.TrimSpace(secret)
	if strings.HasPrefix(s, "whpk_") || strings.HasPrefix(s, "whsk_") {
		return nil, palisade.Errorf(palisade.EINVALID, "asymmetric (v1a) Standard Webhooks keys are not supported; use a whsec_ secret")
	}
	s = strings.TrimPrefix(s, "whsec_")
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Some senders print the secret without padding.
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, palisade.Errorf(palisade.EINVALID, "a Standard Webhooks secret is whsec_ followed by base64")
	}
	if len(key) < minStandardSecretLength {
		return nil, palisade.Errorf(palisade.EINVALID, "a Standard Webhooks secret must hold at least %d bytes, this one holds %d", minStandardSecretLength, len(key))
	}
	return key, nil
}

// VerifyStandard checks a Standard Webhooks signature: webhook-signature
// holds one or more space-separated "v1,<base64 HMAC-SHA256>" values over
// "<webhook-id>.<webhook-timestamp>.<body>", and the delivery is accepted
// when any of them matches any of secrets (whsec_ secrets, see
// ParseStandardSecret). Senders list several signatures while they rotate
// their secret; other schemes in the list (v1a) are skipped.
//
// A webhook-timestamp more than StandardWebhookTolerance before or after
// now is refused even when the signature matches, which bounds replays;
// callers that want at-most-once delivery should also remember webhook-id
// for that long. Every failure is EUNAUTHORIZED and names the header.
func VerifyStandard(h http.Header, body []byte, secrets []Secret, now time.Time) error {
	id := header(h, HeaderWebhookID)
	ts := header(h, HeaderWebhookTimestamp)
	sigs := header(h, HeaderWebhookSignature)
	for _, f := range []struct{ name, value string }{
		{HeaderWebhookID, id}, {HeaderWebhookTimestamp, ts}, {HeaderWebhookSignature, sigs},
	} {
		if f.value == "" {
			return unauthorized(f.name, nil, "missing: Standard Webhooks deliveries carry webhook-id, webhook-timestamp and webhook-signature")
		}
	}

	sec, err := parseUnixSeconds(ts)
	if err != nil {
		return unauthorized(HeaderWebhookTimestamp, err, "malformed: expected whole seconds since 1970-01-01 UTC")
	}
	sent := time.Unix(sec, 0)
	if age := now.Sub(sent); age > StandardWebhookTolerance {
		return unauthorized(HeaderWebhookTimestamp, nil,
			"too old: sent %s ago, more than the %s allowed (a replayed delivery, or the sender's clock is wrong)",
			age.Round(time.Second), StandardWebhookTolerance)
	}
	if ahead := sent.Sub(now); ahead > StandardWebhookTolerance {
		return unauthorized(HeaderWebhookTimestamp, nil,
			"too new: %s in the future, more than the %s allowed (the sender's clock is wrong)",
			ahead.Round(time.Second), StandardWebhookTolerance)
	}

	var macs [][]byte
	var keyErrs []error
	for _, s := range secrets {
		if len(s.Value) == 0 {
			continue
		}
		key, err := ParseStandardSecret(string(s.Value))
		if err != nil {
			keyErrs = append(keyErrs, fmt.Errorf("secret %q: %w", s.ID, err))
			continue
		}
		macs = append(macs, hmacSHA256(key, []byte(id), []byte("."), []byte(ts), []byte("."), body))
	}
	if len(macs) == 0 {
		return unauthorized(HeaderWebhookSignature, errors.Join(append([]error{errNoSecret}, keyErrs...)...), "cannot be verified")
	}

	sawV1 := false
	for _, entry := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		sawV1 = true
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		for _, mac := range macs {
			if hmac.Equal(mac, got) {
				return nil
			}
		}
	}
	if !sawV1 {
		return unauthorized(HeaderWebhookSignature, nil, "no v1 signature: expected v1,<base64>, space-separated when there are several")
	}
	return unauthorized(HeaderWebhookSignature, nil, "no signature matches: check the secret, and that the body is sent unchanged")
}

// header returns every value of name, joined as one space-separated list.
// It also finds keys that were set without canonicalisation (h["webhook-id"]),
// which tests and some proxies produce.
func header(h http.Header, name string) string {
	var keys []string
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var vals []string
	for _, k := range keys {
		vals = append(vals, h[k]...)
	}
	return strings.TrimSpace(strings.Join(vals, " "))
}

// parseUnixSeconds accepts only digits: the timestamp is part of the signed
// text, and "+1700000000" or " 1700000000" would parse to the same time yet
// sign differently, which would only confuse whoever debugs it.
func parseUnixSeconds(s string) (int64, error) {
	if s == "" || len(s) > 19 {
		return 0, errors.New("not a Unix time")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a Unix time")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
