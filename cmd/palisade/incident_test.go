package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-project/palisade/internal/testenv"
	"github.com/palisade-project/palisade/store/storetest"
)

const amToken = "am-e2e-token-0123456789abcdef"

// incidentConfig declares an Alertmanager source, a routing rule that
// notifies a signed webhook, and that webhook (the receiver URL is
// filled in).
const incidentConfig = `
teams:
  - name: payments-team
services:
  - name: checkout
    team: payments-team
    tier: 1
alertSources:
  - name: alertmanager
    type: alertmanager
    tokens: ['${AM_TOKEN}']
routing:
  - name: checkout-pages
    when: 'labels.service == "checkout" && labels.severity == "critical"'
    incident: open
    severity: SEV1
    kind: security
    notify: [receiver]
notifiers:
  - name: receiver
    type: webhook
    url: %s
    secret: ${HOOK_SECRET}
    allowPrivate: true
    allowHTTP: true
`

// receiver records what a webhook notifier sends.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if req.Header.Get("webhook-signature") == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func writeConfig(t *testing.T, receiverURL string) string {
	path := filepath.Join(t.TempDir(), "palisade.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(incidentConfig, receiverURL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var incidentVars = map[string]string{"PALISADE_ADMIN_TOKEN": adminToken, "AM_TOKEN": amToken, "HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}

func incidentJSON(t *testing.T, a *app, id string) map[string]any {
	t.Helper()
	resp, body := a.request("GET", "/api/v1/incidents/"+id, adminToken, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET incident %s: %d %s", id, resp.StatusCode, body)
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	return m
}

func TestIncidentsFromTheCLIAndNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		rcv := newReceiver(t)
		cfg := writeConfig(t, rcv.srv.URL)
		a := startApp(t, dsn, incidentVars, "--config", cfg, "--public-url", "https://palisade.example.com")
		srv := map[string]string{"PALISADE_SERVER": a.url, "PALISADE_TOKEN": adminToken}

		code, out, errOut := cli(t, srv, "", "incident", "open", "--title", "Leaked deploy key", "--kind", "security", "--severity", "SEV1",
			"--service", "checkout", "--commander", "ana", "--notify", "receiver", "--format", "json")
		if code != 0 {
			t.Fatalf("open: %d %s", code, errOut)
		}
		var inc struct{ ID, Status string }
		json.Unmarshal([]byte(out), &inc)
		if inc.ID == "" || inc.Status != "triage" {
			t.Fatalf("opened %s", out)
		}
		// The notifier hears of it, signed, with a link to the incident.
		eventually(t, 15*time.Second, "the opening notification", func() bool { return len(rcv.got()) > 0 })
		if b := rcv.got()[0]; !strings.Contains(b, "Leaked deploy key") || !strings.Contains(b, "https://palisade.example.com/incidents/"+inc.ID) {
			t.Fatalf("notification %s", b)
		}

		// Closing from triage is refused with the reason; exit 2 is an input error.
		code, _, errOut = cli(t, srv, "", "incident", "update", inc.ID, "--status", "closed")
		if code != 2 || !strings.Contains(errOut, "resolve it first") {
			t.Fatalf("close from triage: %d %s", code, errOut)
		}
		if code, _, errOut = cli(t, srv, "", "incident", "update", inc.ID, "--status", "active", "--role", "scribe=li", "--note", "rotating the key"); code != 0 {
			t.Fatalf("update: %d %s", code, errOut)
		}
		if code, _, errOut = cli(t, srv, "", "incident", "note", inc.ID, "key", "rotated;", "old", "one", "revoked"); code != 0 {
			t.Fatalf("note: %d %s", code, errOut)
		}
		code, out, _ = cli(t, srv, "", "incident", "show", inc.ID, "--format", "markdown")
		for _, want := range []string{"| status | active |", "| scribe | li |", "key rotated; old one revoked", "rotating the key"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("show lacks %q:\n%s", want, out)
			}
		}
		code, out, _ = cli(t, srv, "", "incident", "list", "--status", "open")
		if code != 0 || !strings.Contains(out, inc.ID) || !strings.Contains(out, "Leaked deploy key") {
			t.Fatalf("list: %d %s", code, out)
		}
		if resp, body := a.request("GET", "/metrics", "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `palisade_notifications{status="dead"} 0`) ||
			!strings.Contains(string(body), "palisade_action_items_overdue 0") {
			t.Fatalf("outbox metrics:\n%s", body)
		}
		code, out, _ = cli(t, srv, "", "incident", "metrics", "--format", "json")
		if code != 0 || !strings.Contains(out, `"timeToAcknowledge"`) {
			t.Fatalf("metrics: %d %s", code, out)
		}
		if code, _, _ = cli(t, srv, "", "incident", "show", "INC-999"); code != 1 && code != 2 {
			t.Fatalf("unknown incident: exit %d", code)
		}

		// The same commands work on the database directly.
		a.stop()
		local := map[string]string{}
		code, out, errOut = cli(t, local, "", "--db", dsn, "incident", "list", "--format", "json")
		if code != 0 || !strings.Contains(out, inc.ID) {
			t.Fatalf("local list: %d %s %s", code, out, errOut)
		}
	})
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestAlertmanagerEndToEnd runs Debian's prometheus-alertmanager with a
// webhook receiver pointing at Palisade, posts an alert through
// Alertmanager's API v2, and follows it to an incident, then resolves it
// through Alertmanager and checks the timeline.
func TestAlertmanagerEndToEnd(t *testing.T) {
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		testenv.Missing(t, "prometheus-alertmanager", "apt-get install prometheus-alertmanager")
	}
	rcv := newReceiver(t)
	a := startApp(t, filepath.Join(t.TempDir(), "palisade.db"), incidentVars, "--config", writeConfig(t, rcv.srv.URL))

	dir := t.TempDir()
	amConfig := fmt.Sprintf(`route:
  receiver: palisade
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: palisade
    webhook_configs:
      - url: %s/api/v1/alerts/alertmanager?source=alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, a.url, amToken)
	if err := os.WriteFile(filepath.Join(dir, "am.yml"), []byte(amConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	amURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	am := exec.Command(bin, "--config.file="+filepath.Join(dir, "am.yml"), "--storage.path="+dir,
		"--web.listen-address="+strings.TrimPrefix(amURL, "http://"), "--cluster.listen-address=", "--log.level=warn")
	amLog := newSyncBuffer()
	am.Stdout, am.Stderr = amLog, amLog
	if err := am.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { am.Process.Kill(); am.Wait() })
	eventually(t, 30*time.Second, "Alertmanager ready", func() bool {
		resp, err := http.Get(amURL + "/-/ready")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	post := func(endsAt time.Time) {
		t.Helper()
		alert := []map[string]any{{
			"labels":      map[string]string{"alertname": "WAFBlockSpike", "service": "checkout", "severity": "critical"},
			"annotations": map[string]string{"summary": "WAF blocks on checkout rose 40x"},
			"startsAt":    time.Now().Add(-2 * time.Minute).UTC().Format(time.RFC3339),
		}}
		if !endsAt.IsZero() {
			alert[0]["endsAt"] = endsAt.UTC().Format(time.RFC3339)
		}
		b, _ := json.Marshal(alert)
		resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST Alertmanager /api/v2/alerts: %d", resp.StatusCode)
		}
	}
	post(time.Time{})

	var id string
	eventually(t, 60*time.Second, "an incident opened from Alertmanager's notification", func() bool {
		resp, body := a.request("GET", "/api/v1/incidents?status=open", adminToken, "", nil)
		var page struct {
			Items []struct{ ID, Severity, Kind, Title string } `json:"items"`
		}
		json.Unmarshal(body, &page)
		if resp.StatusCode == 200 && len(page.Items) == 1 {
			id = page.Items[0].ID
			if page.Items[0].Severity != "SEV1" || page.Items[0].Kind != "security" {
				t.Fatalf("incident routed wrongly: %s", body)
			}
			return true
		}
		return false
	})

	// Resolve through Alertmanager: the alert ends, Alertmanager sends the
	// resolved notification, the timeline records it.
	post(time.Now().Add(-time.Second))
	eventually(t, 60*time.Second, "the resolution on the incident's timeline", func() bool {
		m := incidentJSON(t, a, id)
		tl, _ := m["timeline"].([]any)
		for _, e := range tl {
			if text, _ := e.(map[string]any)["text"].(string); strings.Contains(text, "alert resolved") {
				return true
			}
		}
		return false
	})
	m := incidentJSON(t, a, id)
	alerts, _ := m["alertList"].([]any)
	if len(alerts) != 1 || alerts[0].(map[string]any)["status"] != "resolved" {
		t.Fatalf("alerts of %s: %v\nAlertmanager log:\n%s", id, alerts, amLog.String())
	}
	tl, _ := m["timeline"].([]any)
	if first, _ := tl[0].(map[string]any)["text"].(string); !strings.Contains(fmt.Sprint(tl), "alert firing") {
		t.Fatalf("timeline lacks the firing alert; first entry %q; %v", first, tl)
	}
	eventually(t, 15*time.Second, "the notifier told of the incident", func() bool { return len(rcv.got()) > 0 })
}
