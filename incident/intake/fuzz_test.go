package intake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	palisade "github.com/palisade-project/palisade"
)

// checkParsed holds for every alert a parser returns: it validates, its maps
// are usable, its Raw is JSON, and its times are UTC.
func checkParsed(t *testing.T, a *Alert) {
	t.Helper()
	if err := a.Validate(); err != nil {
		t.Fatalf("parser returned an invalid alert: %v\n%+v", err, a)
	}
	if a.Labels == nil || a.Annotations == nil {
		t.Fatalf("nil maps: %+v", a)
	}
	if !json.Valid(a.Raw) {
		t.Fatalf("Raw is not JSON: %q", a.Raw)
	}
	if len(a.Labels) > MaxLabelsPerAlert || len(a.Annotations) > MaxLabelsPerAlert {
		t.Fatalf("%d labels, %d annotations: over the limit", len(a.Labels), len(a.Annotations))
	}
	for _, l := range a.Links {
		if _, ok := webLink(l.Href, l.Text); !ok {
			t.Fatalf("link %q is not http(s)", l.Href)
		}
	}
	for _, tm := range []time.Time{a.StartsAt, a.EndsAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", tm)
		}
	}
}

// checkRefused holds for every parser error: a caller-facing code, never an
// internal one (that would turn bad input into a 500).
func checkRefused(t *testing.T, err error) {
	t.Helper()
	if c := palisade.ErrorCode(err); c != palisade.EINVALID && c != palisade.ETOOLARGE {
		t.Fatalf("error code %q for bad input: %v", c, err)
	}
}

func FuzzParseAlertmanager(f *testing.F) {
	for _, name := range []string{"alertmanager-v4-firing.json", "alertmanager-v4-resolved.json", "alertmanager-v4-legacy-truncated.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(grafanaPayload))
	f.Add([]byte(`{"status":"resolved","alerts":[{"labels":{"a":"b"},"annotations":{"x":"y"}},{"status":"firing","fingerprint":"f"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		alerts, err := ParseAlertmanager("am", body)
		if err != nil {
			checkRefused(t, err)
			return
		}
		keys := make([]string, len(alerts))
		for i := range alerts {
			checkParsed(t, &alerts[i])
			keys[i] = alerts[i].DedupKey
		}
		again, err := ParseAlertmanager("am", body)
		if err != nil || len(again) != len(alerts) {
			t.Fatalf("second parse differs: %v", err)
		}
		for i := range again {
			if again[i].DedupKey != keys[i] {
				t.Fatalf("dedup key not deterministic: %q vs %q", again[i].DedupKey, keys[i])
			}
		}
	})
}

func FuzzParseEvents(f *testing.F) {
	for _, name := range []string{"pagerduty-events-v2-trigger.json", "pagerduty-events-v2-acknowledge.json", "pagerduty-events-v2-resolve.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","custom_details":"x"},"images":[{"src":"https://i"}],"links":[{"href":"https://l"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseEvents("pd", body)
		if err != nil {
			checkRefused(t, err)
			return
		}
		checkParsed(t, a)
		key, err := EventsRoutingKey(body)
		if err != nil || key == "" {
			t.Fatalf("ParseEvents accepted a body EventsRoutingKey refuses: %v", err)
		}
		again, _ := ParseEvents("pd", body)
		if again == nil || again.DedupKey != a.DedupKey {
			t.Fatal("dedup key not deterministic")
		}
	})
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(ciBody), "check.id", "check.state", "check.name")
	f.Add([]byte(`{"id":1,"status":"resolved","items":[{"s":"x"}]}`), "id", "status", "items.0.s")
	f.Add([]byte(`[]`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, dedup, action, summary string) {
		cfg := WebhookConfig{DedupKeyField: dedup, ActionField: action, SummaryField: summary, ServiceField: summary}
		a, err := ParseWebhook("hook", body, cfg)
		if cfg.Validate() != nil {
			if palisade.ErrorCode(err) != palisade.EINTERNAL {
				t.Fatalf("invalid config gave %v, want EINTERNAL", err)
			}
			return
		}
		if err != nil {
			checkRefused(t, err)
			return
		}
		checkParsed(t, a)
		again, _ := ParseWebhook("hook", body, cfg)
		if again == nil || again.DedupKey != a.DedupKey || again.Action != a.Action {
			t.Fatal("not deterministic")
		}
	})
}

func FuzzVerifyStandard(f *testing.F) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, int64(0))
	f.Add("msg_1", "1614265330", "v1,a v1a,b v2 ,, v1,", body, int64(301))
	f.Add("", "-1", "v1,====", []byte{}, int64(-301))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, skew int64) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		now := time.Unix(1614265330, 0).Add(time.Duration(skew) * time.Second)
		err := VerifyStandard(h, body, []Secret{{ID: "a", Value: []byte(secret)}, {ID: "b", Value: []byte("junk")}}, now)
		if err == nil {
			// Only a real signature may pass: recompute it independently.
			want := standardSign(secret, header(h, HeaderWebhookID), header(h, HeaderWebhookTimestamp), body)
			if !slices.Contains(strings.Fields(header(h, HeaderWebhookSignature)), want) {
				t.Fatalf("accepted a signature that is not the HMAC: %q", sig)
			}
			return
		}
		if palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
			t.Fatalf("code %q, want unauthorized: %v", palisade.ErrorCode(err), err)
		}
	})
}

func FuzzVerifyGitHub(f *testing.F) {
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", []byte("Hello, World!"))
	f.Add("sha256=", []byte{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		secret := "It's a Secret to Everybody"
		err := VerifyGitHub(header, body, []Secret{{ID: "gh", Value: []byte(secret)}})
		if err == nil {
			if got := githubSign(secret, body); !strings.EqualFold(got, strings.TrimSpace(header)) {
				t.Fatalf("accepted %q; the signature is %q", header, got)
			}
			return
		}
		if palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
			t.Fatalf("code %q: %v", palisade.ErrorCode(err), err)
		}
	})
}
