// Package notify tells people and systems what Palisade saw: Slack incoming
// webhooks, PagerDuty Events API v2, signed generic webhooks (Standard
// Webhooks) and email over SMTP.
//
// Capabilities never call a notifier directly. They put an Entry in the
// outbox in the same write transaction as the change that caused it, so a
// notification exists exactly when its change committed; a Dispatcher then
// claims due entries under a lease, sends them and records the outcome.
// Delivery is at least once, and every notifier carries a key derived from
// Message.ID that lets the receiver drop a repeat (see docs/notifications.md).
package notify

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Message is one notification, independent of where it goes. It is stored
// in the outbox as JSON, so its encoding is part of the database format:
// add fields, never rename them.
type Message struct {
	// ID names the event, not the delivery: "INC-12/opened",
	// "INC-12/updated/7". It is the idempotency key of the whole pipeline
	// (outbox rows, webhook-id, email Message-ID, PagerDuty dedup key when
	// DedupKey is empty), so two different events must never share one
	// and a retried event must always reuse it.
	ID string `json:"id"`
	// Kind is what happened, dotted: incident.opened, incident.updated,
	// incident.resolved, digest, action_item.overdue, ...
	Kind string `json:"kind"`
	// Title is the one-line summary; Text the plain-text body.
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	// Severity is Palisade's own (SEV1..SEV4, critical..low); each
	// notifier maps it to its receiver's scale.
	Severity string `json:"severity,omitempty"`
	// URL links back to the object in Palisade.
	URL    string  `json:"url,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// DedupKey groups messages about one thing at PagerDuty (the incident
	// id), so that acknowledge and resolve reach the alert the trigger
	// opened.
	DedupKey string `json:"dedupKey,omitempty"`
	// Action is trigger, acknowledge or resolve for PagerDuty; empty
	// means resolve for kinds ending in ".resolved", acknowledge for
	// ".acknowledged", trigger otherwise.
	Action string `json:"action,omitempty"`
	// Time is when the event happened; zero when unknown.
	Time time.Time `json:"time,omitzero"`
}

// Field is a labelled value shown with a message (service, commander, ...).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PagerDuty event actions, also used as Message.Action.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Limits on a Message, so that a runaway producer cannot fill the outbox.
// Each notifier further truncates to what its receiver accepts.
const (
	MaxIDLen     = 1024
	MaxKindLen   = 64
	MaxTitleLen  = 1024
	MaxTextLen   = 64 << 10
	MaxFields    = 100
	MaxFieldLen  = 2000
	MaxURLLen    = 2048
	MaxDedupLen  = 1024
	maxFieldName = 200
)

// Validate reports the first problem that makes m impossible to deliver the
// same way twice or at all. Notifiers call it too and treat its error as
// permanent, since sending the same message again cannot fix it.
func (m Message) Validate() error {
	switch {
	case m.ID == "" || len(m.ID) > MaxIDLen:
		return palisade.FieldErrorf(palisade.EINVALID, "id", "message id must have 1 to %d bytes", MaxIDLen)
	case !printable(m.ID):
		return palisade.FieldErrorf(palisade.EINVALID, "id", "message id must be UTF-8 without control characters")
	case m.Kind == "" || len(m.Kind) > MaxKindLen || strings.Trim(m.Kind, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "":
		return palisade.FieldErrorf(palisade.EINVALID, "kind", "message kind %q must be 1 to %d of a-z, 0-9, '.', '_', '-'", m.Kind, MaxKindLen)
	case strings.TrimSpace(m.Title) == "" || len(m.Title) > MaxTitleLen:
		return palisade.FieldErrorf(palisade.EINVALID, "title", "message title must have 1 to %d bytes", MaxTitleLen)
	case len(m.Text) > MaxTextLen:
		return palisade.FieldErrorf(palisade.EINVALID, "text", "message text is over %d bytes", MaxTextLen)
	case len(m.Fields) > MaxFields:
		return palisade.FieldErrorf(palisade.EINVALID, "fields", "a message has at most %d fields", MaxFields)
	case len(m.DedupKey) > MaxDedupLen || !printable(m.DedupKey):
		return palisade.FieldErrorf(palisade.EINVALID, "dedupKey", "dedup key must have at most %d bytes and no control characters", MaxDedupLen)
	}
	for i, f := range m.Fields {
		if len(f.Name) > maxFieldName || len(f.Value) > MaxFieldLen {
			return palisade.FieldErrorf(palisade.EINVALID, fmt.Sprintf("fields[%d]", i), "field names have at most %d bytes, values %d", maxFieldName, MaxFieldLen)
		}
	}
	switch m.Action {
	case "", ActionTrigger, ActionAcknowledge, ActionResolve:
	default:
		return palisade.FieldErrorf(palisade.EINVALID, "action", "unknown action %q: use trigger, acknowledge or resolve", m.Action)
	}
	if m.URL != "" {
		u, err := url.Parse(m.URL)
		if err != nil || len(m.URL) > MaxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return palisade.FieldErrorf(palisade.EINVALID, "url", "message url must be an absolute http(s) URL of at most %d bytes", MaxURLLen)
		}
	}
	return nil
}

// action is m.Action with its default filled in.
func (m Message) action() string {
	switch {
	case m.Action != "":
		return m.Action
	case strings.HasSuffix(m.Kind, ".resolved"):
		return ActionResolve
	case strings.HasSuffix(m.Kind, ".acknowledged"):
		return ActionAcknowledge
	}
	return ActionTrigger
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Notifier delivers messages to one configured target.
type Notifier interface {
	// Name is the target's configured name, the Target of outbox entries.
	Name() string
	// Send delivers m once. A nil error means the receiver accepted it.
	// An error for which IsPermanent is true means sending the same
	// message again cannot succeed; RetryAfterOf tells how long the
	// receiver asked to wait. Errors never contain secrets (webhook URLs,
	// keys, passwords), so they may be logged and stored.
	Send(ctx context.Context, m Message) error
}

// Target types.
const (
	TypeSlack     = "slack"
	TypePagerDuty = "pagerduty"
	TypeWebhook   = "webhook"
	TypeEmail     = "email"
)

// DefaultPagerDutyURL is the Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// Target is one configured destination, from the notifiers section of
// palisade.yaml. Its secret fields hold resolved values once
// TargetsFromSection was given a lookup; String and LogValue redact them.
type Target struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// URL is the Slack incoming-webhook URL (itself a secret), the
	// PagerDuty endpoint (DefaultPagerDutyURL when empty) or the webhook
	// receiver.
	URL string `json:"url,omitempty"`
	// RoutingKey is the PagerDuty integration key.
	RoutingKey string `json:"routingKey,omitempty"`
	// Secret is the Standard Webhooks signing secret ("whsec_" + base64);
	// several separated by spaces sign with each, for rotation.
	Secret string     `json:"secret,omitempty"`
	SMTP   SMTPConfig `json:"smtp,omitzero"`
	// AllowPrivate lets the target reach private, loopback and link-local
	// addresses (an internal SMTP relay or webhook receiver). Off, every
	// connection to such an address is refused, whatever DNS says.
	AllowPrivate bool `json:"allowPrivate,omitempty"`
	// AllowHTTP accepts http:// URLs, for receivers on a trusted network
	// and tests; the default is https only.
	AllowHTTP bool `json:"allowHTTP,omitempty"`
}

// SMTPConfig is how an email target reaches its relay.
type SMTPConfig struct {
	Host string `json:"host,omitempty"`
	// Port defaults to 465 with ImplicitTLS, else 587.
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// From is an RFC 5322 address, "Palisade <palisade@example.com>".
	From string   `json:"from,omitempty"`
	To   []string `json:"to,omitempty"`
	// RequireTLS refuses to send when the relay does not offer STARTTLS,
	// instead of sending in clear text.
	RequireTLS bool `json:"requireTLS,omitempty"`
	// ImplicitTLS speaks TLS from the first byte (SMTPS, port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool `json:"implicitTLS,omitempty"`
	// Helo is the name given in EHLO; default the host name.
	Helo string `json:"helo,omitempty"`
}

const redacted = "[redacted]"

// String describes t without its secrets, so that a Target printed by
// mistake does not leak them.
func (t Target) String() string {
	return fmt.Sprintf("notify.Target{Name:%q Type:%q URL:%q%s}", t.Name, t.Type, t.safeURL(), t.secretsNote())
}

// GoString is String, for %#v.
func (t Target) GoString() string { return t.String() }

// safeURL keeps only scheme and host: a Slack URL's path is its secret, and
// other receivers put tokens in paths and queries too.
func (t Target) safeURL() string { return RedactURL(t.URL) }

// LogValue is what slog prints for t: the same redacted view as String.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", t.Name), slog.String("type", t.Type), slog.String("url", t.safeURL()))
}

func (t Target) secretsNote() string {
	var s []string
	if t.RoutingKey != "" {
		s = append(s, "RoutingKey:"+redacted)
	}
	if t.Secret != "" {
		s = append(s, "Secret:"+redacted)
	}
	if t.SMTP.Password != "" {
		s = append(s, "SMTP.Password:"+redacted)
	}
	if len(s) == 0 {
		return ""
	}
	return " " + strings.Join(s, " ")
}

// Options are the process-wide settings shared by every notifier.
type Options struct {
	// Now stamps webhook signatures and email Date headers; default
	// time.Now.
	Now func() time.Time
	// Timeout bounds one delivery (connect, TLS, request and response);
	// default 10 s for HTTP and 30 s for SMTP.
	Timeout time.Duration
	// RootCAs verifies receivers' certificates; nil means the system
	// pool. Tests and private CAs set it; verification is never skipped.
	RootCAs *x509.CertPool
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// New returns the notifier for t. It refuses a target that could not work
// (a missing field, a URL that is not https, an unresolved ${NAME}) so that
// configuration problems show at startup, not at the first incident.
func New(t Target, opts Options) (Notifier, error) {
	if t.Name == "" {
		return nil, palisade.Errorf(palisade.EINVALID, "notifier without a name")
	}
	for field, v := range map[string]string{"url": t.URL, "routingKey": t.RoutingKey, "secret": t.Secret, "smtp.password": t.SMTP.Password} {
		if catalog.HasRef(v) {
			return nil, palisade.Errorf(palisade.EINVALID, "notifier %s: %s still holds an unresolved ${...} reference", t.Name, field)
		}
	}
	switch t.Type {
	case TypeSlack:
		return newSlack(t, opts)
	case TypePagerDuty:
		return newPagerDuty(t, opts)
	case TypeWebhook:
		return newWebhook(t, opts)
	case TypeEmail:
		return newEmail(t, opts)
	}
	return nil, palisade.Errorf(palisade.EINVALID, "notifier %s: unknown type %q: use slack, pagerduty, webhook or email", t.Name, t.Type)
}

// NewAll builds the notifiers for targets, keyed by name, for
// NewDispatcher.
func NewAll(targets []Target, opts Options) (map[string]Notifier, error) {
	out := make(map[string]Notifier, len(targets))
	for _, t := range targets {
		if _, dup := out[t.Name]; dup {
			return nil, palisade.Errorf(palisade.EINVALID, "notifier %s is declared twice", t.Name)
		}
		n, err := New(t, opts)
		if err != nil {
			return nil, err
		}
		out[t.Name] = n
	}
	return out, nil
}
