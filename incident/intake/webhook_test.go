package intake

import (
	"strconv"
	"strings"
	"testing"

	palisade "github.com/palisade-project/palisade"
)

// A CI system's check-run notification, the kind of sender the generic
// webhook is for.
const ciBody = `{
  "event": "check",
  "severity": "error",
  "service": "top-level-service",
  "attempt": 3,
  "flaky": false,
  "check": {"id": 981273, "name": "dependency scan failed on main", "state": "FAILING", "owner": {"service": "payments-api"}},
  "runs": [{"url": "https://ci.example.com/r/1"}, {"url": "https://ci.example.com/r/2", "level": "page"}]
}`

var ciConfig = WebhookConfig{
	DedupKeyField: "check.id",
	ActionField:   "check.state",
	ActionValues:  map[string]string{"failing": ActionTrigger, "passing": ActionResolve, "muted": ActionAcknowledge},
	SummaryField:  "check.name",
	SeverityField: "runs.1.level",
	ServiceField:  "check.owner.service",
}

func TestParseWebhook(t *testing.T) {
	a, err := ParseWebhook("github-ci", []byte(ciBody), ciConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"source", a.Source, "github-ci"},
		{"kind", a.Kind, KindWebhook},
		{"dedup", a.DedupKey, "981273"},
		{"action", a.Action, ActionTrigger},
		{"summary", a.Summary, "dependency scan failed on main"},
		{"severity", a.Severity, "page"},
		{"service", a.Service, "payments-api"},
		{"labels.event", a.Labels["event"], "check"},
		{"labels.attempt", a.Labels["attempt"], "3"},
		{"labels.flaky", a.Labels["flaky"], "false"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if _, ok := a.Labels["check"]; ok {
		t.Error("nested objects must not become labels")
	}
	if strings.Contains(string(a.Raw), "\n") || !strings.Contains(string(a.Raw), `"name":"dependency scan failed on main"`) {
		t.Errorf("Raw = %s, want the compacted body", a.Raw)
	}

	resolved := strings.Replace(ciBody, `"FAILING"`, `"passing"`, 1)
	r, err := ParseWebhook("github-ci", []byte(resolved), ciConfig)
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != ActionResolve || r.DedupKey != a.DedupKey {
		t.Errorf("resolve: action %q key %q, want resolve with key %q", r.Action, r.DedupKey, a.DedupKey)
	}
}

func TestParseWebhookDefaults(t *testing.T) {
	a, err := ParseWebhook("hook", []byte(ciBody), WebhookConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Action != ActionTrigger || a.Summary != "" {
		t.Errorf("no config: action %q summary %q; want trigger and no summary", a.Action, a.Summary)
	}
	if a.Severity != "error" || a.Service != "top-level-service" {
		t.Errorf("severity %q service %q; want the top-level members", a.Severity, a.Service)
	}
	if len(a.DedupKey) != 64 {
		t.Errorf("DedupKey = %q, want a SHA-256 of the body", a.DedupKey)
	}
	reformatted := `{"runs":[{"url":"https://ci.example.com/r/1"},{"level":"page","url":"https://ci.example.com/r/2"}],"check":{"state":"FAILING","owner":{"service":"payments-api"},"name":"dependency scan failed on main","id":981273},
	  "flaky":false,"attempt":3,"service":"top-level-service","severity":"error","event":"check"}`
	b, err := ParseWebhook("hook", []byte(reformatted), WebhookConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if a.DedupKey != b.DedupKey {
		t.Errorf("formatting changed the key: %s vs %s", a.DedupKey, b.DedupKey)
	}
	c, err := ParseWebhook("hook", []byte(strings.Replace(ciBody, "981273", "981274", 1)), WebhookConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if a.DedupKey == c.DedupKey {
		t.Error("different bodies, same key")
	}

	for value, want := range map[string]string{"RESOLVED": ActionResolve, " ok ": ActionResolve, "Firing": ActionTrigger, "ack": ActionAcknowledge} {
		a, err := ParseWebhook("hook", []byte(`{"id":"x","status":"`+value+`"}`), WebhookConfig{DedupKeyField: "id", ActionField: "status"})
		if err != nil {
			t.Errorf("%q: %v", value, err)
			continue
		}
		if a.Action != want {
			t.Errorf("%q → %q, want %q", value, a.Action, want)
		}
	}

	// Booleans map like any other value.
	a, err = ParseWebhook("hook", []byte(`{"id":"x","resolved":true}`),
		WebhookConfig{DedupKeyField: "id", ActionField: "resolved", ActionValues: map[string]string{"true": ActionResolve, "false": ActionTrigger}})
	if err != nil || a.Action != ActionResolve {
		t.Errorf("boolean state: %v, %v", a, err)
	}
}

func TestDefaultActionValuesFresh(t *testing.T) {
	m := DefaultActionValues()
	m["ok"] = ActionTrigger
	if DefaultActionValues()["ok"] != ActionResolve {
		t.Error("DefaultActionValues shares its map between calls")
	}
}

func TestParseWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		cfg        WebhookConfig
		code       string
		field, msg string
	}{
		{"syntax", "{\"id\": 1,,}", ciConfig, palisade.EINVALID, "request body:1:10", "malformed JSON"},
		{"not object", `"alert"`, ciConfig, palisade.EINVALID, "request body", "expected a JSON object"},
		{"dedup missing", `{"check":{"state":"failing"}}`, ciConfig, palisade.EINVALID, "check.id", "required"},
		{"dedup empty", `{"check":{"id":"","state":"failing"}}`, ciConfig, palisade.EINVALID, "check.id", "required"},
		{"dedup object", `{"check":{"id":{"n":1},"state":"failing"}}`, ciConfig, palisade.EINVALID, "check.id", "expected a string, number or boolean, found a JSON object"},
		{"dedup path through scalar", `{"check":"x"}`, ciConfig, palisade.EINVALID, "check.id", "required"},
		{"dedup too long", `{"check":{"id":"` + strings.Repeat("i", 256) + `","state":"failing"}}`, ciConfig, palisade.EINVALID, "check.id", "longer than 255"},
		{"state missing", `{"check":{"id":1}}`, ciConfig, palisade.EINVALID, "check.state", "required"},
		{"state unmapped", `{"check":{"id":1,"state":"in_progress"}}`, ciConfig, palisade.EINVALID, "check.state", `"in_progress" is not mapped`},
		{"state default unmapped", `{"s":"pending"}`, WebhookConfig{ActionField: "s"}, palisade.EINVALID, "s", `"pending" is not mapped`},
		{"state array", `{"check":{"id":1,"state":["failing"]}}`, ciConfig, palisade.EINVALID, "check.state", "found a JSON array"},
		{"summary object", `{"check":{"id":1,"state":"failing","name":{}}}`, ciConfig, palisade.EINVALID, "check.name", "expected a string"},
		{"severity too long", `{"check":{"id":1,"state":"failing"},"runs":[{},{"level":"` + strings.Repeat("p", MaxLabelValueLength+1) + `"}]}`, ciConfig, palisade.ETOOLARGE, "runs.1.level", "longer than"},
		{"bad config", `{}`, WebhookConfig{DedupKeyField: "a..b"}, palisade.EINTERNAL, "", "misconfigured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseWebhook("hook", []byte(tc.body), tc.cfg)
			if a != nil {
				t.Errorf("got alert %+v with the error", a)
			}
			checkErr(t, err, tc.code, tc.field, tc.msg)
		})
	}
}

func TestWebhookConfigValidate(t *testing.T) {
	if err := ciConfig.Validate(); err != nil {
		t.Errorf("ciConfig: %v", err)
	}
	if err := (WebhookConfig{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	for _, tc := range []struct {
		name  string
		cfg   WebhookConfig
		field string
		msg   string
	}{
		{"empty segment", WebhookConfig{SummaryField: "a."}, "summary", "empty segment"},
		{"leading dot", WebhookConfig{ServiceField: ".a"}, "service", "not a dotted path"},
		{"values without field", WebhookConfig{ActionValues: map[string]string{"x": ActionTrigger}}, "actionValues", "set action too"},
		{"bad action", WebhookConfig{ActionField: "s", ActionValues: map[string]string{"down": "page"}}, "actionValues.down", "must be trigger, acknowledge or resolve"},
		{"case clash", WebhookConfig{ActionField: "s", ActionValues: map[string]string{"OK": ActionResolve, "ok": ActionTrigger}}, "actionValues.ok", "differing only in case"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkErr(t, tc.cfg.Validate(), palisade.EINVALID, tc.field, tc.msg)
		})
	}
}

func TestParseWebhookDerivedLabelsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"big":"` + strings.Repeat("x", MaxLabelValueLength+1) + `"`)
	for i := range MaxLabelsPerAlert + 50 {
		b.WriteString(`,"k` + strconv.Itoa(1000+i) + `":1`)
	}
	b.WriteString("}")
	a, err := ParseWebhook("hook", []byte(b.String()), WebhookConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Labels) != MaxLabelsPerAlert {
		t.Errorf("%d labels, want the first %d", len(a.Labels), MaxLabelsPerAlert)
	}
	if _, ok := a.Labels["big"]; ok {
		t.Error("an oversized value became a label")
	}
}
