package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade/store/storetest"
)

// The intake fixtures (synthetic, documented formats; see
// incident/intake/testdata/SOURCE.txt).
func intakeFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../incident/intake/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) send(t *testing.T, path string, headers map[string]string, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b json.RawMessage
	json.NewDecoder(resp.Body).Decode(&b)
	return resp.StatusCode, b
}

func (f *fixture) alertCount(t *testing.T) int {
	t.Helper()
	resp, body := f.do(t, "GET", "/api/v1/alerts?limit=500", f.tokens["viewer"], "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET alerts: %d %s", resp.StatusCode, body)
	}
	var page struct{ Items []json.RawMessage }
	json.Unmarshal(body, &page)
	return len(page.Items)
}

func githubSig(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func standardHeaders(secret, id string, at time.Time, body string) map[string]string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%s.%s", id, ts, body)
	return map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))}
}

func TestAlertIntakeEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		firing := intakeFixture(t, "alertmanager-v4-firing.json")

		// Alertmanager with its token; the old token of a rotation works too.
		code, body := f.send(t, "/api/v1/alerts/alertmanager?source=alertmanager", bearer(testSecrets["AM_TOKEN"]), firing)
		if code != 200 {
			t.Fatalf("alertmanager: %d %s", code, body)
		}
		n := f.alertCount(t)
		if n == 0 {
			t.Fatal("no alert stored")
		}
		// A repeated delivery is idempotent.
		if code, body = f.send(t, "/api/v1/alerts/alertmanager", bearer(testSecrets["AM_TOKEN_OLD"]), firing); code != 200 || !strings.Contains(string(body), `"new":0`) {
			t.Fatalf("repeat with the previous token: %d %s", code, body)
		}
		if f.alertCount(t) != n {
			t.Fatal("a repeated delivery stored new alerts")
		}
		if code, _ = f.send(t, "/api/v1/alerts/alertmanager", bearer(testSecrets["AM_TOKEN"]), intakeFixture(t, "alertmanager-v4-resolved.json")); code != 200 {
			t.Fatalf("resolved: %d", code)
		}

		// Refusals: nothing stored for any of them.
		for _, c := range []struct {
			name, path string
			headers    map[string]string
			body       string
			code       int
			says       string
		}{
			{"wrong token", "/api/v1/alerts/alertmanager", bearer("nope"), firing, 401, "unauthorized"},
			{"an API token is not a source credential", "/api/v1/alerts/alertmanager", bearer(f.tokens["admin"]), firing, 401, "unauthorized"},
			{"unknown source", "/api/v1/alerts/alertmanager?source=nobody", bearer(testSecrets["AM_TOKEN"]), firing, 404, "nobody"},
			{"source without its secrets", "/api/v1/alerts/alertmanager?source=unset", bearer("x"), firing, 401, "not available"},
			{"malformed", "/api/v1/alerts/alertmanager", bearer(testSecrets["AM_TOKEN"]), `{"version":"4","status":"firing","alerts":[{"labels":{}}]}`, 400, "alerts[0]"},
			{"not JSON", "/api/v1/alerts/alertmanager", bearer(testSecrets["AM_TOKEN"]), `{"version":`, 400, ""},
			{"oversized", "/api/v1/alerts/alertmanager", bearer(testSecrets["AM_TOKEN"]), `{"version":"4","x":"` + strings.Repeat("a", MaxAlertBody) + `"}`, 413, ""},
			{"unknown routing key", "/api/v1/alerts/events", nil, strings.Replace(intakeFixture(t, "pagerduty-events-v2-trigger.json"), "0123456789abcdef0123456789abcdef", "guess", 1), 401, ""},
			{"bad github signature", "/api/v1/alerts/webhook/ci", map[string]string{"X-Hub-Signature-256": githubSig("wrong", `{"check":{"id":"1"}}`)}, `{"check":{"id":"1"}}`, 401, ""},
			{"missing signature", "/api/v1/alerts/webhook/ci", nil, `{"check":{"id":"1"}}`, 401, ""},
			{"unknown webhook source", "/api/v1/alerts/webhook/nobody", nil, `{}`, 404, ""},
			{"stale standard webhook", "/api/v1/alerts/webhook/std", standardHeaders(testSecrets["STD_SECRET"], "msg_1", time.Now().Add(-6*time.Minute), `{"id":"s1"}`), `{"id":"s1"}`, 401, ""},
		} {
			before := f.alertCount(t)
			code, body := f.send(t, c.path, c.headers, c.body)
			if code != c.code || !strings.Contains(string(body), c.says) {
				t.Errorf("%s: %d %s, want %d mentioning %q", c.name, code, body, c.code, c.says)
			}
			if f.alertCount(t) != before {
				t.Errorf("%s: an alert was stored", c.name)
			}
		}

		// PagerDuty Events API v2: 202 and PagerDuty's answer.
		ev := strings.Replace(intakeFixture(t, "pagerduty-events-v2-trigger.json"), "0123456789abcdef0123456789abcdef", testSecrets["EVENTS_KEY"], 1)
		code, body = f.send(t, "/api/v1/alerts/events", nil, ev)
		if code != 202 || !strings.Contains(string(body), `"status":"success"`) || !strings.Contains(string(body), `"dedup_key":"sr-incident-42"`) {
			t.Fatalf("events: %d %s", code, body)
		}

		// Signed webhooks: GitHub style with the new and the old secret,
		// Standard Webhooks.
		gh := `{"check":{"id":"42","state":"trigger","name":"secret scan found a key","service":"checkout","severity":"critical"}}`
		for _, secret := range []string{testSecrets["CI_SECRET"], testSecrets["CI_SECRET_OLD"]} {
			if code, body = f.send(t, "/api/v1/alerts/webhook/ci", map[string]string{"X-Hub-Signature-256": githubSig(secret, gh)}, gh); code != 200 {
				t.Fatalf("github webhook: %d %s", code, body)
			}
		}
		if !strings.Contains(string(body), `"repeated":1`) {
			t.Fatalf("second delivery not deduplicated: %s", body)
		}
		std := `{"id":"std-1"}`
		if code, body = f.send(t, "/api/v1/alerts/webhook/std", standardHeaders(testSecrets["STD_SECRET"], "msg_2", time.Now(), std), std); code != 200 {
			t.Fatalf("standard webhook: %d %s", code, body)
		}
		// The critical checkout alert opened an incident (default route).
		resp, list := f.do(t, "GET", "/api/v1/incidents?service=checkout&status=open", f.tokens["viewer"], "", "")
		if resp.StatusCode != 200 || !strings.Contains(string(list), "secret scan found a key") {
			t.Fatalf("incidents: %d %s", resp.StatusCode, list)
		}
	})
}
