package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/palisade-project/palisade"
)

// PagerDuty Events API v2 limits.
const (
	pdSummaryLen  = 1024
	pdDedupKeyLen = 255
)

// pagerDuty sends events to the PagerDuty Events API v2. Receivers dedupe
// on dedup_key: a trigger sent twice with the same key adds to the same
// alert instead of opening a second incident.
type pagerDuty struct {
	h          *httpSender
	routingKey string
}

func newPagerDuty(t Target, opts Options) (*pagerDuty, error) {
	raw := t.URL
	if raw == "" {
		raw = DefaultPagerDutyURL
	}
	u, err := checkURL("url", raw, t.AllowHTTP)
	if err != nil {
		return nil, fmt.Errorf("notifier %s: %w", t.Name, err)
	}
	if t.RoutingKey == "" || strings.ContainsAny(t.RoutingKey, " \t\r\n") {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "routingKey", "notifier %s: a PagerDuty routing key (integration key) is required", t.Name)
	}
	return &pagerDuty{h: newHTTPSender(t, u, opts, t.RoutingKey), routingKey: t.RoutingKey}, nil
}

func (p *pagerDuty) Name() string { return p.h.name }

func (p *pagerDuty) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return Permanent(fmt.Errorf("%s: %w", p.h.name, err))
	}
	body, err := json.Marshal(pagerDutyEvent(p.routingKey, m))
	if err != nil {
		return Permanent(fmt.Errorf("%s: encode: %w", p.h.name, err))
	}
	r, err := p.h.post(ctx, http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		return err
	}
	if r.status/100 == 2 {
		return nil
	}
	// A 400 says why in {"status","message","errors":[...]}; that is more
	// use in the dead-letter list than the raw body.
	var answer struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	detail := ""
	if json.Unmarshal(r.body, &answer) == nil && (answer.Message != "" || len(answer.Errors) > 0) {
		detail = answer.Message
		if len(answer.Errors) > 0 {
			detail = strings.TrimPrefix(detail+": "+strings.Join(answer.Errors, "; "), ": ")
		}
		detail = snippet([]byte(detail), p.routingKey)
	}
	return p.h.fail(r, detail)
}

// pdEvent is an Events API v2 event (developer.pagerduty.com, "Send an
// Alert Event").
type pdEvent struct {
	RoutingKey  string     `json:"routing_key"`
	EventAction string     `json:"event_action"`
	DedupKey    string     `json:"dedup_key,omitempty"`
	Payload     *pdPayload `json:"payload,omitempty"`
	Links       []pdLink   `json:"links,omitempty"`
	Client      string     `json:"client,omitempty"`
	ClientURL   string     `json:"client_url,omitempty"`
}

type pdPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// pagerDutyEvent maps m to an event. Acknowledge and resolve carry only the
// routing key, action and dedup key, as the API documents; a trigger
// carries the payload and a link back.
func pagerDutyEvent(routingKey string, m Message) pdEvent {
	ev := pdEvent{RoutingKey: routingKey, EventAction: m.action(), DedupKey: pagerDutyDedupKey(m)}
	if ev.EventAction != ActionTrigger {
		return ev
	}
	pl := &pdPayload{
		Summary:  truncate(oneLine(m.Title), pdSummaryLen),
		Source:   "palisade",
		Severity: PagerDutySeverity(m.Severity),
		Class:    m.Kind,
	}
	if pl.Summary == "" {
		pl.Summary = m.Kind
	}
	if !m.Time.IsZero() {
		pl.Timestamp = m.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	details := map[string]string{}
	if t := strings.TrimSpace(clean(m.Text)); t != "" {
		details["text"] = t
	}
	if m.Severity != "" {
		details["severity"] = m.Severity
	}
	for _, f := range m.Fields {
		name := oneLine(f.Name)
		if name == "" {
			name = "field"
		}
		// Two fields of one name both survive: "service", "service (2)".
		key := name
		for i := 2; ; i++ {
			if _, dup := details[key]; !dup {
				break
			}
			key = fmt.Sprintf("%s (%d)", name, i)
		}
		details[key] = clean(f.Value)
	}
	if len(details) > 0 {
		pl.CustomDetails = details
	}
	ev.Payload = pl
	ev.Client = "Palisade"
	if m.URL != "" {
		ev.Links = []pdLink{{Href: m.URL, Text: "Open in Palisade"}}
		if u, err := url.Parse(m.URL); err == nil && u.Host != "" {
			ev.ClientURL = u.Scheme + "://" + u.Host
		}
	}
	return ev
}

// pagerDutyDedupKey is m.DedupKey, or m.ID when empty so that a resent
// trigger still dedupes. PagerDuty takes at most 255 characters; a longer
// key is shortened deterministically (prefix and hash), so the resolve
// computes the same key as the trigger.
func pagerDutyDedupKey(m Message) string {
	k := m.DedupKey
	if k == "" {
		k = m.ID
	}
	if textLen(k) <= pdDedupKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	h := hex.EncodeToString(sum[:])
	return cut(k, pdDedupKeyLen-len(h)-1) + "~" + h
}

// PagerDutySeverity maps Palisade's severities to PagerDuty's four:
// SEV1/critical/page → critical, SEV2/high/error → error,
// SEV3/medium/moderate/warning/ticket → warning, anything else → info.
func PagerDutySeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sev1", "sev0", "critical", "page", "emergency", "fatal":
		return "critical"
	case "sev2", "high", "error", "major":
		return "error"
	case "sev3", "medium", "moderate", "warning", "ticket", "minor":
		return "warning"
	}
	return "info"
}
