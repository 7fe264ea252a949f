// Package intake turns what alert senders post — Alertmanager webhooks,
// PagerDuty-style Events API v2 calls, generic JSON webhooks — into Alerts in
// Palisade's terms, and checks the signatures those senders put on them.
//
// Everything here is a pure function of its input: no storage, no HTTP
// handlers, no clock. The HTTP layer reads the body (with a size limit, see
// RecommendedBodyLimit), authenticates the source, calls a parser and hands
// the alerts to the incident logic, which decides what they mean.
//
// Errors are *palisade.Error values: EINVALID naming the field
// ("alerts[2].labels: expected an object", or "request body:3:14" for JSON
// syntax), ETOOLARGE for payloads over the limits below, EUNAUTHORIZED for
// signatures.
package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	palisade "github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/jsonpos"
)

// Alert kinds: which intake an alert came through.
const (
	KindAlertmanager = "alertmanager" // POST /api/v1/alerts/alertmanager
	KindEvents       = "events"       // POST /api/v1/alerts/events (PagerDuty Events API v2)
	KindWebhook      = "webhook"      // POST /api/v1/alerts/webhook/{source}
	KindInternal     = "internal"     // raised by Palisade itself (SLO burn, chaos detection, ...)
)

// Alert actions, in PagerDuty's words because they are the most precise:
// Alertmanager's "firing" is a trigger and "resolved" a resolve.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Limits. The body size is the HTTP layer's to enforce; these guard against
// payloads that fit in the body limit yet would be absurd to store or show.
const (
	// RecommendedBodyLimit is the body size the HTTP layer should allow on
	// the alert endpoints. An Alertmanager alert is typically 0.5–1 KiB of
	// JSON, so a full group of MaxAlertsPerPayload usually fits; alerts with
	// long annotations may not, which is one more reason to set max_alerts.
	RecommendedBodyLimit = 1 << 20

	// MaxAlertsPerPayload is the most alerts one Alertmanager notification
	// may carry; more is refused with ETOOLARGE. Set max_alerts in the
	// webhook_config to at most this so Alertmanager truncates instead.
	MaxAlertsPerPayload = 1000

	// MaxLabelsPerAlert bounds labels and annotations of one alert, each.
	MaxLabelsPerAlert = 256

	// MaxLabelNameLength bounds a label or annotation name, in bytes.
	MaxLabelNameLength = 256

	// MaxLabelValueLength bounds a label value, in bytes. Labels identify
	// an alert, so a longer Alertmanager label refuses the payload rather
	// than being cut (which would change the alert's identity).
	MaxLabelValueLength = 4096

	// MaxAnnotationValueLength bounds an annotation value, in bytes. Longer
	// annotations are cut (the full text stays in Alert.Raw): they are prose,
	// and refusing a security alert over a long description would be worse.
	MaxAnnotationValueLength = 16 << 10

	// MaxSummaryLength is PagerDuty's summary limit, in characters. Events
	// over it are refused, as PagerDuty does; other kinds are cut to it.
	MaxSummaryLength = 1024

	// MaxDedupKeyLength is PagerDuty's dedup_key limit, in characters.
	MaxDedupKeyLength = 255
)

// Alert is one alert event in Palisade's terms, whatever sent it. Each
// delivery of the same alert (a re-notification, its resolution) carries the
// same DedupKey, which is how the incident logic recognises it.
type Alert struct {
	// Source is the configured source name the caller passed, such as
	// "alertmanager", "pagerduty" or "github-ci".
	Source string `json:"source"`
	// Kind is KindAlertmanager, KindEvents, KindWebhook or KindInternal.
	Kind string `json:"kind"`
	// DedupKey identifies the alert across deliveries (see the parsers).
	DedupKey string `json:"dedupKey"`
	// Action is ActionTrigger, ActionAcknowledge or ActionResolve.
	Action string `json:"action"`
	// Summary is a one-line description, at most MaxSummaryLength characters.
	Summary string `json:"summary,omitempty"`
	// Severity is as the source says it (critical, error, warning, info,
	// page, ...); mapping it to an incident severity is not intake's job.
	Severity string `json:"severity,omitempty"`
	// Labels are the alert's identifying key/values. Never nil.
	Labels map[string]string `json:"labels"`
	// Annotations are descriptive key/values. Never nil.
	Annotations map[string]string `json:"annotations"`
	// Service is the Palisade service the alert names, "" when unknown.
	Service string `json:"service,omitempty"`
	// StartsAt is when the source says the problem started (zero: unknown).
	StartsAt time.Time `json:"startsAt"`
	// EndsAt is when the source says it ended (zero: unknown or ongoing).
	EndsAt time.Time `json:"endsAt"`
	// Links point at the source's views of the alert; http and https only.
	Links []Link `json:"links,omitempty"`
	// Raw is the alert's own JSON, compacted, for the incident timeline.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// Link is a URL a responder may follow, with the text to show for it.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Validate reports whether a is a well-formed alert. The parsers only return
// valid alerts; Validate is for alerts built elsewhere, such as KindInternal.
func (a *Alert) Validate() error {
	switch {
	case a.Source == "":
		return palisade.FieldErrorf(palisade.EINVALID, "source", "required")
	case a.Kind != KindAlertmanager && a.Kind != KindEvents && a.Kind != KindWebhook && a.Kind != KindInternal:
		return palisade.FieldErrorf(palisade.EINVALID, "kind", "must be alertmanager, events, webhook or internal")
	case a.Action != ActionTrigger && a.Action != ActionAcknowledge && a.Action != ActionResolve:
		return palisade.FieldErrorf(palisade.EINVALID, "action", "must be trigger, acknowledge or resolve")
	case a.DedupKey == "":
		return palisade.FieldErrorf(palisade.EINVALID, "dedupKey", "required")
	case utf8.RuneCountInString(a.DedupKey) > MaxDedupKeyLength:
		return palisade.FieldErrorf(palisade.EINVALID, "dedupKey", "longer than %d characters", MaxDedupKeyLength)
	case utf8.RuneCountInString(a.Summary) > MaxSummaryLength:
		return palisade.FieldErrorf(palisade.EINVALID, "summary", "longer than %d characters", MaxSummaryLength)
	}
	return nil
}

// LabelsFingerprint returns the key Alertmanager itself uses for an alert
// with these labels (Prometheus' model.LabelSet.Fingerprint: FNV-1a 64 over
// the sorted names and values, as 16 hex digits). Computing the same value
// means an alert keeps its DedupKey whether or not the sender included the
// fingerprint.
func LabelsFingerprint(labels map[string]string) string {
	h := fnv.New64a()
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		// 0xff cannot occur in UTF-8, so it separates without ambiguity.
		h.Write([]byte(name))
		h.Write([]byte{0xff})
		h.Write([]byte(labels[name]))
		h.Write([]byte{0xff})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// contentHash returns a dedup key for a JSON value that has no key of its
// own: SHA-256 over its canonical form (keys sorted, whitespace dropped,
// numbers as written), so the same content gives the same key however the
// sender formatted it.
func contentHash(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	canon := raw
	if err := dec.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// object is a decoded JSON object whose values are still raw, so that each
// field can be checked with its own path in the error.
type object map[string]json.RawMessage

// decodeBody decodes the top-level JSON object of a request body.
func decodeBody(body []byte) (object, error) {
	var obj object
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, jsonError(body, err)
	}
	if obj == nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "request body", "expected a JSON object")
	}
	return obj, nil
}

// jsonError points at a JSON syntax error by line and column, which is what
// a person fixing a hand-written payload needs.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included; at the
		// end of input there is none, so point just past the last byte.
		at := se.Offset - 1
		if se.Offset >= int64(len(body)) {
			at = int64(len(body))
		}
		line, col := jsonpos.LineCol(body, at)
		return &palisade.Error{
			Code:    palisade.EINVALID,
			Field:   fmt.Sprintf("request body:%d:%d", line, col),
			Message: "malformed JSON: " + se.Error(),
			Err:     err,
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &palisade.Error{Code: palisade.EINVALID, Field: "request body", Message: "expected a JSON object", Err: err}
	}
	return &palisade.Error{Code: palisade.EINVALID, Field: "request body", Message: "malformed JSON", Err: err}
}

// kind names the JSON type of raw for error messages and dispatch.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// present reports whether key is in o with a non-null value: senders write
// "field": null as often as they leave it out, and both mean absent.
func (o object) present(key string) bool {
	raw, ok := o[key]
	return ok && kind(raw) != "null"
}

// str returns the string at key; absent or null is "".
func (o object) str(key, path string) (string, error) {
	if !o.present(key) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(o[key], &s); err != nil {
		return "", expected(path, "a string", o[key])
	}
	return s, nil
}

// obj returns the object at key; absent or null is nil.
func (o object) obj(key, path string) (object, error) {
	if !o.present(key) {
		return nil, nil
	}
	return asObject(o[key], path)
}

func asObject(raw json.RawMessage, path string) (object, error) {
	if kind(raw) != "object" {
		return nil, expected(path, "an object", raw)
	}
	var obj object
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, expected(path, "an object", raw)
	}
	if obj == nil {
		obj = object{}
	}
	return obj, nil
}

// array returns the elements at key; absent or null is nil.
func (o object) array(key, path string) ([]json.RawMessage, error) {
	if !o.present(key) {
		return nil, nil
	}
	if kind(o[key]) != "array" {
		return nil, expected(path, "an array", o[key])
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(o[key], &elems); err != nil {
		return nil, expected(path, "an array", o[key])
	}
	return elems, nil
}

// sortedKeys makes field-by-field checks report the same first error on
// every run, whatever the map order.
func (o object) sortedKeys() []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func expected(path, what string, raw json.RawMessage) error {
	return palisade.FieldErrorf(palisade.EINVALID, path, "expected %s, found a JSON %s", what, kind(raw))
}

// scalar returns a string, number or boolean as text (numbers as written,
// so "0.10" stays "0.10"); ok is false for objects, arrays and null.
func scalar(raw json.RawMessage) (s string, ok bool) {
	switch kind(raw) {
	case "string":
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case "number", "boolean":
		return string(bytes.TrimSpace(raw)), true
	}
	return "", false
}

// child names a member of path: .name for identifiers, ["odd name"] for
// anything a reader could misparse.
func child(path, key string) string {
	if isIdent(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	if len(key) > 64 {
		key = truncate(key, 64)
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// truncateRunes cuts s to at most max characters, marking the cut.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// compact copies raw without insignificant whitespace: the caller may reuse
// its body buffer, and the timeline need not store indentation.
func compact(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return json.RawMessage(bytes.Clone(raw))
	}
	return json.RawMessage(buf.Bytes())
}

// webLink keeps only http and https URLs: links are shown as anchors, and a
// sender must not be able to plant javascript: or data: URLs in the UI.
func webLink(href, text string) (Link, bool) {
	href = strings.TrimSpace(href)
	if href == "" || len(href) > 4096 {
		return Link{}, false
	}
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Link{}, false
	}
	return Link{Href: href, Text: truncateRunes(text, 256)}, true
}

// parseTime accepts RFC 3339 and the ISO 8601 offsets without a colon that
// PagerDuty's own examples use ("2015-07-17T08:42:58.315+0000").
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.IsZero() {
				return time.Time{}, true
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// derivedLabels adds the scalar members of obj to labels, for payloads whose
// fields are not labels by nature (PagerDuty custom_details, generic
// webhooks). Unlike Alertmanager labels these are descriptive extras, so
// oversized ones are skipped rather than refusing the alert; Raw keeps them.
// At most limit labels are added, in name order.
func derivedLabels(labels map[string]string, obj object, limit int) {
	for _, k := range obj.sortedKeys() {
		if len(labels) >= limit {
			return
		}
		if k == "" || len(k) > MaxLabelNameLength {
			continue
		}
		v, ok := scalar(obj[k])
		if !ok || len(v) > MaxLabelValueLength {
			continue
		}
		labels[k] = v
	}
}

// checkValue refuses an identifying value (severity, service, ...) that is
// too long to be one.
func checkValue(path, v string) error {
	if len(v) > MaxLabelValueLength {
		return palisade.FieldErrorf(palisade.ETOOLARGE, path, "longer than %d bytes", MaxLabelValueLength)
	}
	return nil
}

func checkDedupKey(path, key string) error {
	if utf8.RuneCountInString(key) > MaxDedupKeyLength {
		return palisade.FieldErrorf(palisade.EINVALID, path, "longer than %d characters", MaxDedupKeyLength)
	}
	return nil
}
