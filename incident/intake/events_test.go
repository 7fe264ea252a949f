package intake

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	palisade "github.com/palisade-project/palisade"
)

func TestGoldenEvents(t *testing.T) {
	for _, name := range []string{"pagerduty-events-v2-trigger", "pagerduty-events-v2-acknowledge", "pagerduty-events-v2-resolve"} {
		t.Run(name, func(t *testing.T) {
			a, err := ParseEvents("pagerduty", readTestdata(t, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", a)
		})
	}
}

func TestParseEventsTrigger(t *testing.T) {
	a, err := ParseEvents("slo-burn", readTestdata(t, "pagerduty-events-v2-trigger.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"source", a.Source, "slo-burn"},
		{"kind", a.Kind, KindEvents},
		{"action", a.Action, ActionTrigger},
		{"dedup", a.DedupKey, "sr-incident-42"},
		{"summary", a.Summary, "Error budget for security SLO 'patch-latency-critical' exhausted"},
		{"severity", a.Severity, "critical"},
		{"labels.severity", a.Labels["severity"], "critical"},
		{"labels.source", a.Labels["source"], "security-reliability.example.com"},
		{"labels.component", a.Labels["component"], "vuln-mgmt"},
		{"labels.group", a.Labels["group"], "security"},
		{"labels.class", a.Labels["class"], "slo_burn"},
		{"labels.slo", a.Labels["slo"], "patch-latency-critical"},
		{"labels.budget_remaining", a.Labels["budget_remaining"], "-0.12"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if want := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC); !a.StartsAt.Equal(want) {
		t.Errorf("StartsAt = %v, want %v (PagerDuty's +0000 offset)", a.StartsAt, want)
	}
	wantLinks := []Link{
		{Href: "https://sr.example.com/incidents/42", Text: "Incident 42"},
		{Href: "https://sr.example.com", Text: "View in security-reliability"},
	}
	if fmt.Sprint(a.Links) != fmt.Sprint(wantLinks) {
		t.Errorf("links = %+v, want %+v", a.Links, wantLinks)
	}
	if strings.Contains(string(a.Raw), "routing_key") || strings.Contains(string(a.Raw), "0123456789abcdef") {
		t.Errorf("Raw keeps the routing key, a credential: %s", a.Raw)
	}
	if !json.Valid(a.Raw) || !strings.Contains(string(a.Raw), `"budget_remaining":-0.12`) {
		t.Errorf("Raw = %s, want the event", a.Raw)
	}
}

func TestParseEventsAcknowledgeResolve(t *testing.T) {
	for name, action := range map[string]string{"acknowledge": ActionAcknowledge, "resolve": ActionResolve} {
		a, err := ParseEvents("pd", readTestdata(t, "pagerduty-events-v2-"+name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Action != action || a.DedupKey != "sr-incident-42" {
			t.Errorf("%s: got action %q key %q", name, a.Action, a.DedupKey)
		}
		if a.Labels == nil || a.Annotations == nil {
			t.Errorf("%s: nil maps", name)
		}
	}
}

func TestEventsRoutingKey(t *testing.T) {
	key, err := EventsRoutingKey(readTestdata(t, "pagerduty-events-v2-trigger.json"))
	if err != nil || key != "0123456789abcdef0123456789abcdef" {
		t.Errorf("got %q, %v", key, err)
	}
	_, err = EventsRoutingKey([]byte(`{"event_action":"trigger"}`))
	checkErr(t, err, palisade.EINVALID, "routing_key", "required")
	_, err = EventsRoutingKey([]byte(`{"routing_key":`))
	checkErr(t, err, palisade.EINVALID, "request body:1:16", "malformed JSON")
}

// Without dedup_key the key comes from the payload: the same payload gives
// the same key however it is formatted, another payload another key.
func TestParseEventsGeneratedDedupKey(t *testing.T) {
	parse := func(body string) string {
		t.Helper()
		a, err := ParseEvents("pd", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return a.DedupKey
	}
	k1 := parse(`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":{"a":1,"b":[1,2]}}}`)
	k2 := parse(`{"event_action":"trigger", "routing_key":"other",
		"payload": {"severity":"info", "custom_details":{"b":[1, 2], "a":1}, "source":"h", "summary":"s"}}`)
	k3 := parse(`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h2","severity":"info"}}`)
	if k1 != k2 {
		t.Errorf("same payload, different keys: %s, %s", k1, k2)
	}
	if k1 == k3 {
		t.Errorf("different payloads, same key %s", k1)
	}
	if len(k1) != 64 {
		t.Errorf("key %q, want 64 hex digits", k1)
	}
}

func TestParseEventsDetails(t *testing.T) {
	body := `{"routing_key":"k","event_action":"trigger","dedup_key":"d",
	  "payload":{"summary":"s","source":"h","severity":"warning","timestamp":"2026-03-01T12:00:00Z",
	    "custom_details":{"service":"billing","source":"overridden","n":3,"ok":true,"nested":{"x":1},"list":[1],"nil":null,
	      "huge":"` + strings.Repeat("x", MaxLabelValueLength+1) + `"}},
	  "images":[{"src":"https://img.example.com/g.png","href":"https://dash.example.com","alt":"graph"},{"src":"https://img.example.com/h.png"}],
	  "links":[{"href":"javascript:alert(1)","text":"bad"},{"href":"https://ok.example.com"}]}`
	a, err := ParseEvents("pd", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"service": "billing", "source": "h", "n": "3", "ok": "true", "severity": "warning"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("labels[%q] = %q, want %q", k, a.Labels[k], v)
		}
	}
	for _, k := range []string{"nested", "list", "nil", "huge"} {
		if _, ok := a.Labels[k]; ok {
			t.Errorf("labels[%q] set; only scalars up to the size limit become labels", k)
		}
	}
	if a.Service != "billing" {
		t.Errorf("Service = %q", a.Service)
	}
	wantLinks := []Link{
		{Href: "https://ok.example.com", Text: "https://ok.example.com"},
		{Href: "https://dash.example.com", Text: "graph"},
		{Href: "https://img.example.com/h.png", Text: "Image"},
	}
	if fmt.Sprint(a.Links) != fmt.Sprint(wantLinks) {
		t.Errorf("links = %+v, want %+v", a.Links, wantLinks)
	}

	a, err = ParseEvents("pd", []byte(`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":"disk full"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Annotations["custom_details"] != "disk full" {
		t.Errorf("string custom_details = %q, want it as an annotation", a.Annotations["custom_details"])
	}
}

func TestParseEventsLabelCount(t *testing.T) {
	var b strings.Builder
	for i := range MaxLabelsPerAlert + 10 {
		fmt.Fprintf(&b, `"d%04d":%d,`, i, i)
	}
	body := `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info",
	  "component":"c","group":"g","class":"x","custom_details":{` + strings.TrimSuffix(b.String(), ",") + `}}}`
	a, err := ParseEvents("pd", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Labels) != MaxLabelsPerAlert {
		t.Errorf("%d labels, want %d", len(a.Labels), MaxLabelsPerAlert)
	}
	for _, k := range []string{"severity", "source", "component", "group", "class", "d0000"} {
		if _, ok := a.Labels[k]; !ok {
			t.Errorf("label %q missing", k)
		}
	}
}

func TestParseEventsAtLimits(t *testing.T) {
	body := fmt.Sprintf(`{"routing_key":"k","event_action":"trigger","dedup_key":%q,"payload":{"summary":%q,"source":"h","severity":"error"}}`,
		strings.Repeat("ü", MaxDedupKeyLength), strings.Repeat("ß", MaxSummaryLength))
	if _, err := ParseEvents("pd", []byte(body)); err != nil {
		t.Errorf("limits count characters, not bytes: %v", err)
	}
}

func TestParseEventsErrors(t *testing.T) {
	trigger := func(payload string) string {
		return `{"routing_key":"k","event_action":"trigger","payload":` + payload + `}`
	}
	for _, tc := range []struct {
		name, body, code, field, msg string
	}{
		{"syntax", "{\"routing_key\": \"k\",\n \"event_action\": trigger}", palisade.EINVALID, "request body:2:20", "invalid character 'i' in literal true"},
		{"array", `[]`, palisade.EINVALID, "request body", "expected a JSON object"},
		{"no routing key", `{"event_action":"trigger"}`, palisade.EINVALID, "routing_key", "required"},
		{"routing key number", `{"routing_key":1}`, palisade.EINVALID, "routing_key", "expected a string"},
		{"no action", `{"routing_key":"k"}`, palisade.EINVALID, "event_action", "required"},
		{"bad action", `{"routing_key":"k","event_action":"snooze"}`, palisade.EINVALID, "event_action", `"trigger", "acknowledge" or "resolve"`},
		{"action case", `{"routing_key":"k","event_action":"Trigger"}`, palisade.EINVALID, "event_action", "must be"},
		{"dedup number", `{"routing_key":"k","event_action":"resolve","dedup_key":7}`, palisade.EINVALID, "dedup_key", "expected a string"},
		{"dedup too long", `{"routing_key":"k","event_action":"resolve","dedup_key":"` + strings.Repeat("d", 256) + `"}`, palisade.EINVALID, "dedup_key", "longer than 255 characters"},
		{"ack without dedup", `{"routing_key":"k","event_action":"acknowledge"}`, palisade.EINVALID, "dedup_key", "required for acknowledge"},
		{"resolve without dedup", `{"routing_key":"k","event_action":"resolve","payload":{}}`, palisade.EINVALID, "dedup_key", "required for resolve"},
		{"trigger without payload", `{"routing_key":"k","event_action":"trigger"}`, palisade.EINVALID, "payload", "required for trigger"},
		{"payload null", trigger(`null`), palisade.EINVALID, "payload", "required for trigger"},
		{"payload string", trigger(`"x"`), palisade.EINVALID, "payload", "expected an object"},
		{"no summary", trigger(`{"source":"h","severity":"info"}`), palisade.EINVALID, "payload.summary", "required"},
		{"summary too long", trigger(`{"summary":"` + strings.Repeat("s", 1025) + `","source":"h","severity":"info"}`), palisade.EINVALID, "payload.summary", "longer than 1024 characters"},
		{"no source", trigger(`{"summary":"s","severity":"info"}`), palisade.EINVALID, "payload.source", "required"},
		{"source too long", trigger(`{"summary":"s","source":"` + strings.Repeat("h", MaxLabelValueLength+1) + `","severity":"info"}`), palisade.ETOOLARGE, "payload.source", "longer than"},
		{"no severity", trigger(`{"summary":"s","source":"h"}`), palisade.EINVALID, "payload.severity", "required"},
		{"severity page", trigger(`{"summary":"s","source":"h","severity":"page"}`), palisade.EINVALID, "payload.severity", `"critical", "error", "warning" or "info"`},
		{"severity case", trigger(`{"summary":"s","source":"h","severity":"CRITICAL"}`), palisade.EINVALID, "payload.severity", "must be"},
		{"severity number", trigger(`{"summary":"s","source":"h","severity":1}`), palisade.EINVALID, "payload.severity", "expected a string"},
		{"bad timestamp", trigger(`{"summary":"s","source":"h","severity":"info","timestamp":"15/01/2026"}`), palisade.EINVALID, "payload.timestamp", "ISO 8601"},
		{"component object", trigger(`{"summary":"s","source":"h","severity":"info","component":{}}`), palisade.EINVALID, "payload.component", "expected a string"},
		{"links object", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"},"links":{}}`, palisade.EINVALID, "links", "expected an array"},
		{"link not object", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"},"links":[{"href":"https://a"},"b"]}`, palisade.EINVALID, "links[1]", "expected an object"},
		{"link href number", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"},"links":[{"href":1}]}`, palisade.EINVALID, "links[0].href", "expected a string"},
		{"image without src", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"},"images":[{"alt":"x"}]}`, palisade.EINVALID, "images[0].src", "required"},
		{"client_url number", `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"},"client_url":5}`, palisade.EINVALID, "client_url", "expected a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseEvents("pd", []byte(tc.body))
			if a != nil {
				t.Errorf("got alert %+v with the error", a)
			}
			checkErr(t, err, tc.code, tc.field, tc.msg)
		})
	}
}
