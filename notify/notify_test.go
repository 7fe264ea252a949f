package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
)

func TestMessageValidate(t *testing.T) {
	ok := incidentMessage()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid message: %v", err)
	}
	for name, mutate := range map[string]func(*Message){
		"no id":               func(m *Message) { m.ID = "" },
		"id too long":         func(m *Message) { m.ID = strings.Repeat("x", MaxIDLen+1) },
		"control char in id":  func(m *Message) { m.ID = "INC-1\n/opened" },
		"invalid UTF-8 in id": func(m *Message) { m.ID = "INC-\xff" },
		"no kind":             func(m *Message) { m.Kind = "" },
		"kind with spaces":    func(m *Message) { m.Kind = "incident opened" },
		"blank title":         func(m *Message) { m.Title = "  " },
		"text too long":       func(m *Message) { m.Text = strings.Repeat("x", MaxTextLen+1) },
		"too many fields":     func(m *Message) { m.Fields = make([]Field, MaxFields+1) },
		"field value too long": func(m *Message) {
			m.Fields = []Field{{"n", strings.Repeat("v", MaxFieldLen+1)}}
		},
		"unknown action":  func(m *Message) { m.Action = "escalate" },
		"relative url":    func(m *Message) { m.URL = "/incidents/INC-1" },
		"javascript url":  func(m *Message) { m.URL = "javascript:alert(1)" },
		"control in key":  func(m *Message) { m.DedupKey = "a\x00b" },
		"dedup too long":  func(m *Message) { m.DedupKey = strings.Repeat("k", MaxDedupLen+1) },
		"field name long": func(m *Message) { m.Fields = []Field{{strings.Repeat("n", 201), "v"}} },
	} {
		m := incidentMessage()
		mutate(&m)
		if err := m.Validate(); palisade.ErrorCode(err) != palisade.EINVALID {
			t.Errorf("%s: Validate = %v, want EINVALID", name, err)
		}
	}
	// Ids from alert dedup keys may hold any printable text.
	m := incidentMessage()
	m.ID = `INC-1/joined/alertmanager/{}:{alertname="Exploit", service="payments"}`
	if err := m.Validate(); err != nil {
		t.Errorf("printable id refused: %v", err)
	}
}

func TestMessageDefaultAction(t *testing.T) {
	for kind, want := range map[string]string{
		"incident.opened": ActionTrigger, "incident.updated": ActionTrigger, "incident.resolved": ActionResolve,
		"incident.acknowledged": ActionAcknowledge, "digest": ActionTrigger,
	} {
		if got := (Message{Kind: kind}).action(); got != want {
			t.Errorf("action of %s = %s, want %s", kind, got, want)
		}
	}
	if got := (Message{Kind: "incident.resolved", Action: ActionTrigger}).action(); got != ActionTrigger {
		t.Errorf("explicit action overridden: %s", got)
	}
}

func TestNewRefusesBadTargets(t *testing.T) {
	for name, tg := range map[string]Target{
		"no name":      {Type: TypeSlack, URL: "https://hooks.slack.com/x"},
		"unknown type": {Name: "x", Type: "teams"},
		"unresolved":   {Name: "x", Type: TypeSlack, URL: "${SLACK}"},
		"no url":       {Name: "x", Type: TypeSlack},
	} {
		if _, err := New(tg, Options{}); palisade.ErrorCode(err) != palisade.EINVALID {
			t.Errorf("%s: New = %v, want EINVALID", name, err)
		}
	}
	if _, err := NewAll([]Target{{Name: "a", Type: TypePagerDuty, RoutingKey: "k"}, {Name: "a", Type: TypePagerDuty, RoutingKey: "k"}}, Options{}); err == nil {
		t.Error("NewAll accepted a duplicate name")
	}
}

func TestErrorClassification(t *testing.T) {
	base := errors.New("boom")
	if IsPermanent(base) || IsPermanent(nil) {
		t.Error("plain errors are temporary")
	}
	if !IsPermanent(fmt.Errorf("wrapped: %w", Permanent(base))) {
		t.Error("wrapped Permanent not found")
	}
	if Permanent(nil) != nil || RetryAfter(nil, time.Second) != nil {
		t.Error("nil must stay nil")
	}
	err := fmt.Errorf("outer: %w", RetryAfter(RetryAfter(base, time.Minute), 2*time.Minute))
	if d, ok := RetryAfterOf(err); !ok || d != 2*time.Minute {
		t.Errorf("RetryAfterOf = %s, %v", d, ok)
	}
	if _, ok := RetryAfterOf(base); ok {
		t.Error("RetryAfterOf found a wait in a plain error")
	}
	for status, permanent := range map[int]bool{301: true, 400: true, 401: true, 404: true, 408: false, 410: true, 425: false, 429: false, 500: false, 502: false, 503: false} {
		if got := IsPermanent(httpStatusError("x", status, "", 0)); got != permanent {
			t.Errorf("HTTP %d permanent = %v, want %v", status, got, permanent)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := testTime
	for in, want := range map[string]time.Duration{
		"120":                  2 * time.Minute,
		" 5 ":                  5 * time.Second,
		"0":                    0,
		"-3":                   0,
		"99999999999999999999": 0, // not an int64: unreadable
		"9999999999":           365 * 24 * time.Hour,
		now.Add(time.Hour).Format(http.TimeFormat):  time.Hour,
		now.Add(-time.Hour).Format(http.TimeFormat): 0,
		"soon": 0,
		"":     0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("-1")
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, testTime); d < 0 || d > 366*24*time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %s", s, d)
		}
	})
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"hello", 5, "hello"},
		{"hello!", 5, "hell…"},
		{"héllo!", 5, "héll…"},
		{"a🔥b", 3, "a🔥b"[:1] + "…"}, // the emoji is two code units: it does not fit with the ellipsis
		{"a🔥b", 4, "a🔥b"},
		{"🔥🔥🔥", 4, "🔥…"},
		{"abc", 0, ""},
		{"abc", 1, "…"},
	} {
		if got := truncate(tc.in, tc.limit); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
	if got := truncateMrkdwn(escapeMrkdwn("ab&cd"), 5); got != "ab…" {
		t.Errorf("truncateMrkdwn cut inside an entity: %q", got)
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("hello world", 5)
	f.Add("🔥🔥🔥", 3)
	f.Add("a&b<c>d", 6)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = limit % 5000
		s = clean(s)
		got := truncate(s, limit)
		if !utf8.ValidString(got) || textLen(got) > max(limit, 0) {
			t.Fatalf("truncate(%q, %d) = %q (%d code units)", s, limit, got, textLen(got))
		}
		if got != s && !strings.HasPrefix(s, strings.TrimSuffix(got, ellipsis)) {
			t.Fatalf("truncate(%q, %d) = %q is not a prefix", s, limit, got)
		}
		esc := truncateMrkdwn(escapeMrkdwn(s), limit)
		if textLen(esc) > max(limit, 0) || strings.ContainsAny(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(strings.TrimSuffix(esc, ellipsis)), "<>") {
			t.Fatalf("truncateMrkdwn(%q, %d) = %q", s, limit, esc)
		}
	})
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\r\nb\tc\u2028d\x00e\u0085f  g"); got != "a b c de f g" {
		t.Errorf("oneLine = %q", got)
	}
	if strings.ContainsAny(oneLine("x\r\ny\rz\n"), "\r\n") {
		t.Error("line breaks survive oneLine")
	}
}
