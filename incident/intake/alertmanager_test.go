package intake

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	palisade "github.com/palisade-project/palisade"
)

func TestGoldenAlertmanager(t *testing.T) {
	for _, name := range []string{"alertmanager-v4-firing", "alertmanager-v4-resolved", "alertmanager-v4-legacy-truncated"} {
		t.Run(name, func(t *testing.T) {
			alerts, err := ParseAlertmanager("alertmanager", readTestdata(t, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", alerts)
		})
	}
}

func TestParseAlertmanagerFiringResolved(t *testing.T) {
	firing, err := ParseAlertmanager("prod-am", readTestdata(t, "alertmanager-v4-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := ParseAlertmanager("prod-am", readTestdata(t, "alertmanager-v4-resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(firing) != 1 || len(resolved) != 1 {
		t.Fatalf("got %d and %d alerts, want 1 each", len(firing), len(resolved))
	}
	f, r := firing[0], resolved[0]
	for _, c := range []struct{ what, got, want string }{
		{"source", f.Source, "prod-am"},
		{"kind", f.Kind, KindAlertmanager},
		{"firing action", f.Action, ActionTrigger},
		{"resolved action", r.Action, ActionResolve},
		{"dedup key", f.DedupKey, "3f1c2a9b7d6e5f40"},
		{"resolved dedup key", r.DedupKey, f.DedupKey},
		{"severity", f.Severity, "critical"},
		{"service", f.Service, "payments-api"},
		{"summary", f.Summary, "WAF blocked exploit attempts for CVE-2021-44228 on payments-api"},
		{"runbook", f.Annotations["runbook_url"], "https://runbooks.example.com/log4shell"},
		{"team", f.Labels["team"], "appsec"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	start := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	if !f.StartsAt.Equal(start) || !f.EndsAt.IsZero() {
		t.Errorf("firing times = %v, %v; want %v and zero (0001-01-01 means unset)", f.StartsAt, f.EndsAt, start)
	}
	if end := start.Add(42 * time.Minute); !r.EndsAt.Equal(end) {
		t.Errorf("resolved EndsAt = %v, want %v", r.EndsAt, end)
	}
	if len(f.Links) != 1 || f.Links[0].Href != "http://prometheus.example.com:9090/graph?g0.expr=waf_blocked_total" {
		t.Errorf("links = %+v, want the generatorURL", f.Links)
	}
	if !strings.HasPrefix(string(f.Raw), `{"status":"firing","labels":`) {
		t.Errorf("Raw = %s, want the alert's own compacted JSON", f.Raw)
	}
}

// The payload of Alertmanagers that predate notification_reason parses the
// same as a current one.
func TestParseAlertmanagerLegacy(t *testing.T) {
	cur, err := ParseAlertmanager("am", readTestdata(t, "alertmanager-v4-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := ParseAlertmanager("am", readTestdata(t, "alertmanager-v4-legacy-truncated.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cur) != fmt.Sprint(old) {
		t.Errorf("legacy payload parsed differently:\n%v\n%v", old, cur)
	}
}

// A Grafana-shaped notification: its own version, extra fields at both
// levels, offsets in times, empty URLs.
const grafanaPayload = `{
  "receiver": "palisade", "status": "firing", "orgId": 1, "version": "1",
  "groupKey": "{}:{alertname=\"TLSCertExpiring\"}", "truncatedAlerts": 0,
  "title": "[FIRING:1] TLSCertExpiring", "state": "alerting", "message": "x",
  "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
  "externalURL": "https://grafana.example.net/",
  "alerts": [{
    "status": "firing",
    "labels": {"alertname": "TLSCertExpiring", "service": "login", "severity": "warning"},
    "annotations": {"description": "certificate expires in 6 days"},
    "startsAt": "2026-02-01T09:30:00.25+02:00",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "https://grafana.example.net/alerting/abc/edit",
    "fingerprint": "0a1b2c3d4e5f6a7b",
    "silenceURL": "https://grafana.example.net/alerting/silence/new?matchers=alertname%3DTLSCertExpiring",
    "dashboardURL": "", "panelURL": "",
    "values": {"B": 6.5, "C": 1}, "valueString": "[ var='B' value=6.5 ]"
  }]
}`

func TestParseAlertmanagerGrafana(t *testing.T) {
	alerts, err := ParseAlertmanager("grafana", []byte(grafanaPayload))
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if a.DedupKey != "0a1b2c3d4e5f6a7b" || a.Service != "login" || a.Severity != "warning" {
		t.Errorf("got %+v", a)
	}
	if want := time.Date(2026, 2, 1, 7, 30, 0, 250e6, time.UTC); !a.StartsAt.Equal(want) || a.StartsAt.Location() != time.UTC {
		t.Errorf("StartsAt = %v, want %v in UTC", a.StartsAt, want)
	}
	if a.Summary != "TLSCertExpiring" {
		t.Errorf("Summary = %q, want the alertname when there is no summary annotation", a.Summary)
	}
	if len(a.Links) != 2 || a.Links[0].Text != "Source" || a.Links[1].Text != "Silence" {
		t.Errorf("links = %+v, want Source and Silence (empty URLs dropped)", a.Links)
	}
}

func TestParseAlertmanagerDedupWithoutFingerprint(t *testing.T) {
	body := func(labels string) []byte {
		return []byte(`{"status":"firing","alerts":[{"status":"firing","labels":` + labels + `}]}`)
	}
	a1, err := ParseAlertmanager("am", body(`{"alertname":"PortOpened","instance":"db-1:5432","severity":"critical"}`))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := ParseAlertmanager("am", body(`{ "severity":"critical", "instance":"db-1:5432", "alertname":"PortOpened" }`))
	if err != nil {
		t.Fatal(err)
	}
	a3, err := ParseAlertmanager("am", body(`{"alertname":"PortOpened","instance":"db-2:5432","severity":"critical"}`))
	if err != nil {
		t.Fatal(err)
	}
	if a1[0].DedupKey != a2[0].DedupKey {
		t.Errorf("label order changed the key: %q vs %q", a1[0].DedupKey, a2[0].DedupKey)
	}
	if a1[0].DedupKey == a3[0].DedupKey {
		t.Errorf("different labels gave the same key %q", a1[0].DedupKey)
	}
	// The key must be the fingerprint Alertmanager would have sent, so an
	// alert keeps its key across Alertmanager versions.
	want := model.LabelSet{"alertname": "PortOpened", "instance": "db-1:5432", "severity": "critical"}.Fingerprint().String()
	if a1[0].DedupKey != want {
		t.Errorf("DedupKey = %q, want Alertmanager's fingerprint %q", a1[0].DedupKey, want)
	}
}

func TestLabelsFingerprintMatchesPrometheus(t *testing.T) {
	for _, ls := range []map[string]string{
		{},
		{"a": ""},
		{"alertname": "X", "job": "node", "ünïcode": "välue"},
		{"a": "b\xffc"},
	} {
		m := model.LabelSet{}
		for k, v := range ls {
			m[model.LabelName(k)] = model.LabelValue(v)
		}
		if got, want := LabelsFingerprint(ls), m.Fingerprint().String(); got != want {
			t.Errorf("LabelsFingerprint(%v) = %s, want %s", ls, got, want)
		}
	}
}

func TestParseAlertmanagerGroupStatusFallback(t *testing.T) {
	alerts, err := ParseAlertmanager("am", []byte(`{"status":"resolved","alerts":[{"labels":{"a":"b"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if alerts[0].Action != ActionResolve {
		t.Errorf("Action = %q, want the group's status", alerts[0].Action)
	}
}

func TestParseAlertmanagerEmpty(t *testing.T) {
	alerts, err := ParseAlertmanager("am", []byte(`{"status":"firing","alerts":[]}`))
	if err != nil || len(alerts) != 0 {
		t.Errorf("got %v, %v; want no alerts and no error", alerts, err)
	}
}

func TestParseAlertmanagerCutsProse(t *testing.T) {
	long := strings.Repeat("é", MaxAnnotationValueLength) // two bytes each
	body := fmt.Sprintf(`{"alerts":[{"status":"firing","labels":{"alertname":"A"},
		"annotations":{"summary":%q,"description":%q},
		"generatorURL":"javascript:alert(1)"}]}`, strings.Repeat("s", 2000), long)
	alerts, err := ParseAlertmanager("am", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if n := len([]rune(a.Summary)); n != MaxSummaryLength || !strings.HasSuffix(a.Summary, "…") {
		t.Errorf("summary has %d characters, want %d ending in …", n, MaxSummaryLength)
	}
	if d := a.Annotations["description"]; len(d) > MaxAnnotationValueLength || !strings.HasSuffix(d, "…") || !strings.HasPrefix(d, "éé") {
		t.Errorf("description has %d bytes, want at most %d ending in …", len(d), MaxAnnotationValueLength)
	}
	if len(a.Links) != 0 {
		t.Errorf("links = %+v, want the javascript: URL dropped", a.Links)
	}
	if !strings.Contains(string(a.Raw), strings.Repeat("s", 2000)) {
		t.Error("Raw lost the full text")
	}
}

func TestParseAlertmanagerErrors(t *testing.T) {
	alert := func(s string) string { return `{"alerts":[` + s + `]}` }
	ok := `{"status":"firing","labels":{"alertname":"A"}}`
	manyLabels := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"l%d":"v"`, i)
		}
		return alert(`{"status":"firing","labels":{` + b.String() + `}}`)
	}
	for _, tc := range []struct {
		name, body, code, field, msg string
	}{
		{"empty body", ``, palisade.EINVALID, "request body:1:1", "malformed JSON"},
		{"syntax error", "{\n  \"alerts\": [\n    {\"status\": \"firing\",}\n  ]\n}", palisade.EINVALID, "request body:3:25", "malformed JSON"},
		{"truncated", `{"alerts":[`, palisade.EINVALID, "request body:1:12", "unexpected end"},
		{"not an object", `[1,2]`, palisade.EINVALID, "request body", "expected a JSON object"},
		{"null", `null`, palisade.EINVALID, "request body", "expected a JSON object"},
		{"no alerts", `{"status":"firing"}`, palisade.EINVALID, "alerts", "not an Alertmanager webhook payload"},
		{"PagerDuty event", string(readTestdata(t, "pagerduty-events-v2-trigger.json")), palisade.EINVALID, "alerts", "required"},
		{"alerts not array", `{"alerts":{}}`, palisade.EINVALID, "alerts", "expected an array, found a JSON object"},
		{"alert not object", alert(ok + `,` + ok + `,"x"`), palisade.EINVALID, "alerts[2]", "expected an object, found a JSON string"},
		{"labels not object", alert(ok + `,` + ok + `,{"status":"firing","labels":["a"]}`), palisade.EINVALID, "alerts[2].labels", "expected an object"},
		{"label value number", alert(`{"status":"firing","labels":{"port":22}}`), palisade.EINVALID, "alerts[0].labels.port", "expected a string, found a JSON number"},
		{"odd label name", alert(`{"status":"firing","labels":{"a b":null}}`), palisade.EINVALID, `alerts[0].labels["a b"]`, "expected a string, found a JSON null"},
		{"empty label name", alert(`{"status":"firing","labels":{"":"x"}}`), palisade.EINVALID, `alerts[0].labels[""]`, "empty name"},
		{"annotation not string", alert(`{"status":"firing","labels":{"a":"b"},"annotations":{"summary":{}}}`), palisade.EINVALID, "alerts[0].annotations.summary", "expected a string"},
		{"status unknown", alert(`{"status":"pending","labels":{"a":"b"}}`), palisade.EINVALID, "alerts[0].status", `"firing" or "resolved"`},
		{"group status unknown", `{"status":"weird","alerts":[{"labels":{"a":"b"}}]}`, palisade.EINVALID, "status", `"firing" or "resolved"`},
		{"no status anywhere", alert(`{"labels":{"a":"b"}}`), palisade.EINVALID, "alerts[0].status", "required"},
		{"status number", alert(`{"status":1,"labels":{"a":"b"}}`), palisade.EINVALID, "alerts[0].status", "expected a string"},
		{"startsAt bad", alert(`{"status":"firing","labels":{"a":"b"},"startsAt":"yesterday"}`), palisade.EINVALID, "alerts[0].startsAt", "RFC 3339"},
		{"endsAt number", alert(`{"status":"firing","labels":{"a":"b"},"endsAt":0}`), palisade.EINVALID, "alerts[0].endsAt", "expected a string"},
		{"fingerprint number", alert(`{"status":"firing","labels":{"a":"b"},"fingerprint":42}`), palisade.EINVALID, "alerts[0].fingerprint", "expected a string"},
		{"fingerprint too long", alert(`{"status":"firing","labels":{"a":"b"},"fingerprint":"` + strings.Repeat("f", 256) + `"}`), palisade.EINVALID, "alerts[0].fingerprint", "longer than 255"},
		{"no identity", alert(`{"status":"firing"}`), palisade.EINVALID, "alerts[0].labels", "required when fingerprint is absent"},
		{"generatorURL number", alert(`{"status":"firing","labels":{"a":"b"},"generatorURL":1}`), palisade.EINVALID, "alerts[0].generatorURL", "expected a string"},
		{"too many alerts", alert(strings.TrimSuffix(strings.Repeat(ok+",", MaxAlertsPerPayload+1), ",")), palisade.ETOOLARGE, "alerts", "1001 alerts"},
		{"too many labels", manyLabels(MaxLabelsPerAlert + 1), palisade.ETOOLARGE, "alerts[0].labels", "257 entries"},
		{"label value too long", alert(`{"status":"firing","labels":{"a":"` + strings.Repeat("v", MaxLabelValueLength+1) + `"}}`), palisade.ETOOLARGE, "alerts[0].labels.a", "longer than 4096 bytes"},
		{"label name too long", alert(`{"status":"firing","labels":{"` + strings.Repeat("n", MaxLabelNameLength+1) + `":"v"}}`), palisade.ETOOLARGE, "alerts[0].labels", "name is longer than 256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alerts, err := ParseAlertmanager("am", []byte(tc.body))
			if alerts != nil {
				t.Errorf("got alerts %v with the error", alerts)
			}
			checkErr(t, err, tc.code, tc.field, tc.msg)
		})
	}
}

func TestParseAlertmanagerAtLimits(t *testing.T) {
	ok := `{"status":"firing","labels":{"a":"` + strings.Repeat("v", MaxLabelValueLength) + `"}}`
	body := `{"alerts":[` + strings.TrimSuffix(strings.Repeat(ok+",", MaxAlertsPerPayload), ",") + `]}`
	if len(body) > 8*RecommendedBodyLimit {
		t.Fatalf("test body unexpectedly large: %d", len(body))
	}
	alerts, err := ParseAlertmanager("am", []byte(body))
	if err != nil || len(alerts) != MaxAlertsPerPayload {
		t.Fatalf("got %d alerts, %v; want %d", len(alerts), err, MaxAlertsPerPayload)
	}
}

// BenchmarkParseAlertmanagerFullGroup measures the largest accepted
// notification built from the fixture's alert, about 0.5 MiB.
func BenchmarkParseAlertmanagerFullGroup(b *testing.B) {
	one, err := ParseAlertmanager("am", readTestdata(b, "alertmanager-v4-firing.json"))
	if err != nil {
		b.Fatal(err)
	}
	elem := string(one[0].Raw)
	body := []byte(`{"status":"firing","alerts":[` + strings.TrimSuffix(strings.Repeat(elem+",", MaxAlertsPerPayload), ",") + `]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseAlertmanager("am", body); err != nil {
			b.Fatal(err)
		}
	}
}
