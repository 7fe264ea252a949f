package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Slack's Block Kit limits (api.slack.com/reference/block-kit). A payload
// over any of them is refused whole with invalid_blocks, so the message is
// cut to fit rather than lost.
const (
	slackMaxBlocks        = 50
	slackHeaderLen        = 150
	slackTextLen          = 3000
	slackFieldLen         = 2000
	slackFieldsPerSection = 10
)

// slack posts to a Slack incoming webhook.
//
// Incoming webhooks take no idempotency key: a message sent again after a
// crash between the post and the outbox's Done shows twice in the channel.
// docs/notifications.md states this limitation.
type slack struct{ h *httpSender }

func newSlack(t Target, opts Options) (*slack, error) {
	u, err := checkURL("url", t.URL, t.AllowHTTP)
	if err != nil {
		return nil, fmt.Errorf("notifier %s: %w", t.Name, err)
	}
	// The whole URL is the credential; scrub it and its path from any
	// echoed answer.
	return &slack{h: newHTTPSender(t, u, opts, t.URL, u.Path)}, nil
}

func (s *slack) Name() string { return s.h.name }

func (s *slack) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return Permanent(fmt.Errorf("%s: %w", s.h.name, err))
	}
	body, err := json.Marshal(slackPayload(m))
	if err != nil {
		return Permanent(fmt.Errorf("%s: encode: %w", s.h.name, err))
	}
	r, err := s.h.post(ctx, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body)
	if err != nil {
		return err
	}
	// Slack answers 200 "ok"; the error answers carry a code in the body
	// (invalid_payload, no_service, channel_is_archived, ...).
	if r.status/100 == 2 {
		return nil
	}
	return s.h.fail(r, "")
}

// slackText is a Block Kit text object.
type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

// slackBlock is the subset of Block Kit blocks Palisade sends: header,
// section and context.
type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackMessage is an incoming-webhook payload. Text is the fallback shown
// in notifications and by clients that cannot render blocks.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackPayload lays m out as a header (severity and title), a section with
// the text, sections of fields (ten per section, Slack's maximum) and a
// context line with the kind, time and link, within every Block Kit limit.
func slackPayload(m Message) slackMessage {
	head := oneLine(m.Title)
	if head == "" {
		head = oneLine(m.Kind)
	}
	if sev := oneLine(m.Severity); sev != "" {
		head = sev + " · " + head
	}
	out := slackMessage{Text: truncateMrkdwn(escapeMrkdwn(head), slackTextLen)}
	out.Blocks = append(out.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(head, slackHeaderLen)}})
	if t := strings.TrimSpace(clean(m.Text)); t != "" {
		out.Blocks = append(out.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncateMrkdwn(escapeMrkdwn(t), slackTextLen)}})
	}

	var fields []slackText
	for _, f := range m.Fields {
		name, value := oneLine(f.Name), strings.TrimSpace(clean(f.Value))
		if name == "" && value == "" {
			continue
		}
		text := escapeMrkdwn(value)
		if name != "" {
			text = "*" + escapeMrkdwn(name) + "*\n" + text
		}
		fields = append(fields, slackText{Type: "mrkdwn", Text: truncateMrkdwn(text, slackFieldLen)})
	}
	// One block stays free for the context line.
	room := (slackMaxBlocks - len(out.Blocks) - 1) * slackFieldsPerSection
	if len(fields) > room {
		more := len(fields) - room + 1
		fields = append(fields[:room-1], slackText{Type: "mrkdwn", Text: fmt.Sprintf("_… and %d more fields in Palisade_", more)})
	}
	for len(fields) > 0 {
		n := min(len(fields), slackFieldsPerSection)
		out.Blocks = append(out.Blocks, slackBlock{Type: "section", Fields: fields[:n]})
		fields = fields[n:]
	}

	var ctx []string
	if k := oneLine(m.Kind); k != "" {
		ctx = append(ctx, escapeMrkdwn(k))
	}
	if !m.Time.IsZero() {
		ctx = append(ctx, m.Time.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if l := slackLink(m.URL, "Open in Palisade"); l != "" {
		ctx = append(ctx, l)
	}
	if len(ctx) > 0 {
		out.Blocks = append(out.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: truncateMrkdwn(strings.Join(ctx, " · "), slackTextLen)}}})
	}
	return out
}

// slackLink returns an mrkdwn link to raw, or "" when raw is not an http(s)
// URL. '|' would end the URL part of the link, so it is percent-encoded.
func slackLink(raw, label string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !urlText(raw) {
		return ""
	}
	return "<" + escapeMrkdwn(strings.ReplaceAll(raw, "|", "%7C")) + "|" + escapeMrkdwn(label) + ">"
}

// urlText reports whether s has no control characters or spaces, which a
// URL never needs and which could break out of the link.
func urlText(s string) bool { return printable(s) && !strings.ContainsAny(s, " \u00a0") }
