package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testRoutingKey = "0123456789abcdef0123456789abcdef"

// pagerDutyServer answers like the Events API v2: 202 with the documented
// body, or what answer says.
func pagerDutyServer(t *testing.T, answer func(w http.ResponseWriter, ev map[string]any) bool) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var ev map[string]any
		if r.URL.Path != "/v2/enqueue" || json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"status":"invalid event","message":"Event object is invalid","errors":["malformed"]}`))
			return
		}
		if answer != nil && answer(w, ev) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"status": "success", "message": "Event processed", "dedup_key": ev["dedup_key"].(string)})
	})
}

func pagerDutyTarget(url string) Target {
	return Target{Name: "pagerduty-security", Type: TypePagerDuty, URL: url + "/v2/enqueue", RoutingKey: testRoutingKey, AllowHTTP: true, AllowPrivate: true}
}

func TestPagerDutyTrigger(t *testing.T) {
	srv := pagerDutyServer(t, nil)
	n, err := New(pagerDutyTarget(srv.URL), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), incidentMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := srv.last(t)
	if extra := notIn(shape(t, withoutDetails(t, req.body)), shape(t, withoutDetails(t, readTestdata(t, "pagerduty-events-v2-trigger.json")))); len(extra) > 0 {
		t.Errorf("fields not in the documented trigger event: %q\n%s", extra, req.body)
	}
	var ev pdEvent
	json.Unmarshal(req.body, &ev)
	want := pdEvent{RoutingKey: testRoutingKey, EventAction: "trigger", DedupKey: "INC-42", Client: "Palisade", ClientURL: "https://palisade.example.com",
		Links: []pdLink{{Href: "https://palisade.example.com/incidents/INC-42", Text: "Open in Palisade"}}}
	got := ev
	got.Payload = nil
	if b1, b2 := mustJSON(t, got), mustJSON(t, want); b1 != b2 {
		t.Errorf("event\n got %s\nwant %s", b1, b2)
	}
	p := ev.Payload
	if p == nil || p.Summary != "Exploit attempts on payments-api" || p.Source != "palisade" || p.Severity != "critical" ||
		p.Class != "incident.opened" || p.Timestamp != "2026-01-15T10:03:00.000Z" {
		t.Errorf("payload %+v", p)
	}
	if d := p.CustomDetails; d["Service"] != "payments-api" || d["Severity"] != "SEV1" || !strings.HasPrefix(d["text"], "Status: Active") {
		t.Errorf("custom_details %v", d)
	}
}

// withoutDetails empties payload.custom_details, whose keys are free-form.
func withoutDetails(t *testing.T, b []byte) []byte {
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if p, ok := ev["payload"].(map[string]any); ok {
		p["custom_details"] = map[string]any{}
	}
	return []byte(mustJSON(t, ev))
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPagerDutyAcknowledgeAndResolveCarryOnlyTheKey(t *testing.T) {
	srv := pagerDutyServer(t, nil)
	n, _ := New(pagerDutyTarget(srv.URL), testOptions())
	for _, tc := range []struct {
		m       Message
		fixture string
	}{
		{Message{ID: "INC-42/acknowledged", Kind: "incident.acknowledged", Title: "ack", DedupKey: "INC-42"}, "pagerduty-events-v2-acknowledge.json"},
		{Message{ID: "INC-42/resolved", Kind: "incident.resolved", Title: "resolved", DedupKey: "INC-42"}, "pagerduty-events-v2-resolve.json"},
		{Message{ID: "INC-42/closed", Kind: "incident.updated", Title: "closed", DedupKey: "INC-42", Action: ActionResolve}, "pagerduty-events-v2-resolve.json"},
	} {
		if err := n.Send(context.Background(), tc.m); err != nil {
			t.Fatalf("%s: %v", tc.m.ID, err)
		}
		got := srv.last(t).body
		if g, w := shape(t, got), shape(t, readTestdata(t, tc.fixture)); strings.Join(g, " ") != strings.Join(w, " ") {
			t.Errorf("%s: fields %q, want %q", tc.m.ID, g, w)
		}
		var ev pdEvent
		json.Unmarshal(got, &ev)
		if ev.DedupKey != "INC-42" || ev.RoutingKey != testRoutingKey {
			t.Errorf("%s: %s", tc.m.ID, got)
		}
	}
}

func TestPagerDutyErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		header    string
		permanent bool
		wait      time.Duration
		text      string
	}{
		{"invalid", 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}`, "",
			true, 0, "pagerduty-security: HTTP 400: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)"},
		{"throttled", 429, `{"status":"throttle event","message":"Requests for this service are arriving too quickly."}`, "", false, 0,
			"pagerduty-security: HTTP 429: Requests for this service are arriving too quickly."},
		{"throttled with Retry-After", 429, ``, "30", false, 30 * time.Second, "pagerduty-security: HTTP 429"},
		{"unavailable", 503, `upstream down`, "", false, 0, "pagerduty-security: HTTP 503: upstream down"},
		{"echoes the key", 400, `{"message":"bad key ` + testRoutingKey + `"}`, "", true, 0, "pagerduty-security: HTTP 400: bad key [redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pagerDutyServer(t, func(w http.ResponseWriter, ev map[string]any) bool {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
				return true
			})
			n, _ := New(pagerDutyTarget(srv.URL), testOptions())
			err := n.Send(context.Background(), incidentMessage())
			if err == nil || IsPermanent(err) != tc.permanent || err.Error() != tc.text {
				t.Fatalf("Send = %v (permanent %v), want %q (permanent %v)", err, IsPermanent(err), tc.text, tc.permanent)
			}
			if wait, _ := RetryAfterOf(err); wait != tc.wait {
				t.Errorf("Retry-After %s, want %s", wait, tc.wait)
			}
		})
	}
}

func TestPagerDutySeverity(t *testing.T) {
	for in, want := range map[string]string{
		"SEV1": "critical", "critical": "critical", "page": "critical",
		"SEV2": "error", "high": "error",
		"SEV3": "warning", "medium": "warning", "Warning": "warning", "ticket": "warning",
		"SEV4": "info", "low": "info", "": "info", "unknown": "info",
	} {
		if got := PagerDutySeverity(in); got != want {
			t.Errorf("PagerDutySeverity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPagerDutyDedupKeyAndSummaryLimits(t *testing.T) {
	m := incidentMessage()
	m.DedupKey = ""
	if got := pagerDutyDedupKey(m); got != m.ID {
		t.Errorf("default dedup key %q, want the message id", got)
	}
	m.DedupKey = strings.Repeat("k", 300)
	k1 := pagerDutyDedupKey(m)
	m.ID = "other"
	if k2 := pagerDutyDedupKey(m); k1 != k2 || textLen(k1) > pdDedupKeyLen {
		t.Errorf("long dedup key: %d chars, stable %v", textLen(k1), k1 == k2)
	}
	m.Title = strings.Repeat("ü", 2000)
	ev := pagerDutyEvent(testRoutingKey, m)
	if textLen(ev.Payload.Summary) != pdSummaryLen || !strings.HasSuffix(ev.Payload.Summary, "…") {
		t.Errorf("summary of %d characters", textLen(ev.Payload.Summary))
	}
}

func TestPagerDutyNeedsARoutingKey(t *testing.T) {
	if _, err := New(Target{Name: "pd", Type: TypePagerDuty}, Options{}); err == nil {
		t.Fatal("PagerDuty target without a routing key accepted")
	}
	n, err := New(Target{Name: "pd", Type: TypePagerDuty, RoutingKey: testRoutingKey}, Options{})
	if err != nil || n.(*pagerDuty).h.url.String() != DefaultPagerDutyURL {
		t.Fatalf("default URL: %v", err)
	}
}
