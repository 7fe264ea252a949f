package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSlackPayloadHasTheFixtureShape(t *testing.T) {
	fixture := shape(t, readTestdata(t, "slack-incoming-webhook-blocks.json"))
	b, err := json.Marshal(slackPayload(incidentMessage()))
	if err != nil {
		t.Fatal(err)
	}
	if got := shape(t, b); strings.Join(got, " ") != strings.Join(fixture, " ") {
		t.Errorf("payload paths\n got %q\nwant %q\n%s", got, fixture, b)
	}
	p := slackPayload(incidentMessage())
	var types []string
	for _, bl := range p.Blocks {
		types = append(types, bl.Type)
	}
	if strings.Join(types, ",") != "header,section,section,context" {
		t.Errorf("blocks %v", types)
	}
	if h := p.Blocks[0].Text; h.Type != "plain_text" || h.Text != "SEV1 · Exploit attempts on payments-api" {
		t.Errorf("header %+v", h)
	}
	if f := p.Blocks[2].Fields; len(f) != 2 || f[1].Text != "*Service*\npayments-api" {
		t.Errorf("fields %+v", f)
	}
	if c := p.Blocks[3].Elements[0].Text; c != "incident.opened · 2026-01-15 10:03 UTC · <https://palisade.example.com/incidents/INC-42|Open in Palisade>" {
		t.Errorf("context %q", c)
	}
}

// checkSlackLimits fails t when p breaks a Block Kit limit Slack enforces.
func checkSlackLimits(t testing.TB, p slackMessage) {
	t.Helper()
	brokenEntity := regexp.MustCompile(`&[a-z]{0,3}…$`)
	check := func(what, s string, limit int) {
		t.Helper()
		if textLen(s) > limit || !utf8.ValidString(s) || brokenEntity.MatchString(s) {
			t.Fatalf("%s: %d code units (limit %d), valid UTF-8 %v: %.80q…", what, textLen(s), limit, utf8.ValidString(s), s)
		}
	}
	if len(p.Blocks) > slackMaxBlocks {
		t.Fatalf("%d blocks", len(p.Blocks))
	}
	check("text", p.Text, slackTextLen)
	for i, b := range p.Blocks {
		switch b.Type {
		case "header":
			check("header", b.Text.Text, slackHeaderLen)
			if b.Text.Text == "" {
				t.Fatal("empty header")
			}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Fatalf("block %d: empty section", i)
			}
			if b.Text != nil {
				check("section", b.Text.Text, slackTextLen)
			}
			if len(b.Fields) > slackFieldsPerSection {
				t.Fatalf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				check("field", f.Text, slackFieldLen)
			}
		case "context":
			for _, e := range b.Elements {
				check("context", e.Text, slackTextLen)
			}
		}
	}
}

func TestSlackPayloadStaysWithinLimits(t *testing.T) {
	m := incidentMessage()
	m.Title = strings.Repeat("🔥", 200) // 400 UTF-16 code units
	m.Text = strings.Repeat("a&b<c>", 2000)
	m.Fields = nil
	for i := range MaxFields {
		m.Fields = append(m.Fields, Field{fmt.Sprintf("field %d", i), strings.Repeat("é&", 1000)})
	}
	p := slackPayload(m)
	checkSlackLimits(t, p)
	if h := p.Blocks[0].Text.Text; !strings.HasSuffix(h, "🔥…") || textLen(h) > slackHeaderLen {
		t.Errorf("header not cut at a rune boundary: %q", h)
	}
	if s := p.Blocks[1].Text.Text; !strings.HasSuffix(s, "…") || textLen(s) != slackTextLen {
		t.Errorf("section text %d code units, ends %q", textLen(s), s[len(s)-10:])
	}
	n := 0
	for _, b := range p.Blocks {
		n += len(b.Fields)
	}
	if n != MaxFields {
		t.Errorf("%d of %d fields shown", n, MaxFields)
	}
}

func TestSlackPayloadSummarisesTooManyFields(t *testing.T) {
	m := incidentMessage()
	m.Fields = nil
	for i := range 600 {
		m.Fields = append(m.Fields, Field{fmt.Sprint(i), "v"})
	}
	p := slackPayload(m)
	checkSlackLimits(t, p)
	if len(p.Blocks) != slackMaxBlocks {
		t.Fatalf("%d blocks, want the maximum %d", len(p.Blocks), slackMaxBlocks)
	}
	last := p.Blocks[len(p.Blocks)-2].Fields
	if got := last[len(last)-1].Text; got != "_… and 131 more fields in Palisade_" {
		t.Errorf("last field %q", got)
	}
}

func TestSlackEscapesMentionsAndLinks(t *testing.T) {
	m := incidentMessage()
	m.Title = "<!channel> pwned"
	m.Text = "click <https://evil.example|here> & <@U123>"
	m.URL = "https://palisade.example.com/x?a=1|b"
	p := slackPayload(m)
	b, _ := json.Marshal(p)
	for _, bad := range []string{"<!channel>", "<https://evil", "<@U123>"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("payload carries %q unescaped: %s", bad, b)
		}
	}
	if got := p.Blocks[1].Text.Text; got != "click &lt;https://evil.example|here&gt; &amp; &lt;@U123&gt;" {
		t.Errorf("section %q", got)
	}
	if c := p.Blocks[len(p.Blocks)-1].Elements[0].Text; !strings.Contains(c, "<https://palisade.example.com/x?a=1%7Cb|Open in Palisade>") {
		t.Errorf("context %q", c)
	}
	// The header is plain_text: shown as written, so not escaped.
	if h := p.Blocks[0].Text.Text; h != "SEV1 · <!channel> pwned" {
		t.Errorf("header %q", h)
	}
}

func TestSlackSendAndErrors(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body       string
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{200, "ok", "", false, 0},
		{400, "invalid_payload", "", true, 0},
		{403, "action_prohibited", "", true, 0},
		{404, "no_service", "", true, 0},
		{410, "channel_is_archived", "", true, 0},
		{429, "rate_limited", "7", false, 7 * time.Second},
		{500, "rollup_error", "", false, 0},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			secretPath := "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
			n, err := New(Target{Name: "slack-security", Type: TypeSlack, URL: rec.URL + secretPath, AllowHTTP: true, AllowPrivate: true}, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			err = n.Send(context.Background(), incidentMessage())
			req := rec.last(t)
			if req.method != http.MethodPost || req.path != secretPath || !strings.HasPrefix(req.header.Get("Content-Type"), "application/json") {
				t.Errorf("request %s %s %s", req.method, req.path, req.header.Get("Content-Type"))
			}
			var p slackMessage
			if jerr := json.Unmarshal(req.body, &p); jerr != nil || len(p.Blocks) == 0 {
				t.Fatalf("body %s: %v", req.body, jerr)
			}
			if tc.status == 200 {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Send succeeded on an error answer")
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v", err, !tc.permanent)
			}
			if wait, _ := RetryAfterOf(err); wait != tc.wait {
				t.Errorf("RetryAfterOf = %s, want %s", wait, tc.wait)
			}
			want := fmt.Sprintf("slack-security: HTTP %d: %s", tc.status, tc.body)
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), "XXXX") {
				t.Errorf("error leaks the webhook URL: %v", err)
			}
		})
	}
}

func TestSlackTransportErrorsDoNotLeakTheURL(t *testing.T) {
	rec := newRecorder(t, nil)
	url := rec.URL + "/services/T000/B000/SECRETSECRETSECRET"
	rec.Close() // nothing listens any more
	n, err := New(Target{Name: "slack", Type: TypeSlack, URL: url, AllowHTTP: true, AllowPrivate: true}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), incidentMessage())
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send to a closed port = %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error leaks the webhook URL: %v", err)
	}
}

func FuzzSlackPayload(f *testing.F) {
	f.Add("title", "text & <b>", "name", "value", "SEV1")
	f.Add(strings.Repeat("é", 200), strings.Repeat("&", 3001), "", "", "")
	f.Add("\xff\xfe", "a\x00b", "*", "\r\n", "\u2028")
	f.Fuzz(func(t *testing.T, title, text, name, value, sev string) {
		m := Message{ID: "x", Kind: "incident.opened", Title: title, Text: text, Severity: sev, Fields: []Field{{name, value}}, URL: "https://p.example/" + value}
		p := slackPayload(m)
		checkSlackLimits(t, p)
		if _, err := json.Marshal(p); err != nil {
			t.Fatal(err)
		}
	})
}
