package notify

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// section parses src, a palisade.yaml fragment, into the catalog.Node of
// its notifiers key, the way catalog hands sections to their owners.
func section(t *testing.T, src string) *catalog.Node {
	t.Helper()
	d, err := catalog.ParseYAML("palisade.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return d.Sections["notifiers"]
}

const exampleConfig = `notifiers:
  - name: slack-security
    type: slack
    url: ${SLACK_SECURITY_WEBHOOK_URL}
  - name: pagerduty-security
    type: pagerduty
    routingKey: ${PAGERDUTY_SECURITY_KEY}
  - name: siem
    type: webhook
    url: https://siem.example.com/hooks/palisade?tenant=${SIEM_TENANT}
    secret: ${SIEM_WEBHOOK_SECRET} ${SIEM_WEBHOOK_SECRET_NEXT}
  - name: secops-mail
    type: email
    allowPrivate: true
    smtp:
      host: smtp.internal.example.com
      port: 587
      username: palisade
      password: ${SMTP_PASSWORD}
      from: Palisade <palisade@example.com>
      to: [secops@example.com, "Ana <ana@example.com>"]
      requireTLS: true
`

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

var exampleEnv = map[string]string{
	"SLACK_SECURITY_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/SECRETSLACK",
	"PAGERDUTY_SECURITY_KEY":     testRoutingKey,
	"SIEM_TENANT":                "acme",
	"SIEM_WEBHOOK_SECRET":        testSecret,
	"SIEM_WEBHOOK_SECRET_NEXT":   "whsec_YW5vdGhlci1rZXktb2YtMzItYnl0ZXMtbGVuZ3RoISE=",
	"SMTP_PASSWORD":              "SECRETPASS",
}

func TestTargetsFromSection(t *testing.T) {
	got, err := TargetsFromSection(section(t, exampleConfig), env(exampleEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{
		{Name: "slack-security", Type: TypeSlack, URL: exampleEnv["SLACK_SECURITY_WEBHOOK_URL"]},
		{Name: "pagerduty-security", Type: TypePagerDuty, RoutingKey: testRoutingKey},
		{Name: "siem", Type: TypeWebhook, URL: "https://siem.example.com/hooks/palisade?tenant=acme", Secret: testSecret + " " + exampleEnv["SIEM_WEBHOOK_SECRET_NEXT"]},
		{Name: "secops-mail", Type: TypeEmail, AllowPrivate: true, SMTP: SMTPConfig{Host: "smtp.internal.example.com", Port: 587, Username: "palisade",
			Password: "SECRETPASS", From: "Palisade <palisade@example.com>", To: []string{"secops@example.com", "Ana <ana@example.com>"}, RequireTLS: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("targets\n got %#v\nwant %#v", got, want)
	}
	ns, err := NewAll(got, Options{})
	if err != nil || len(ns) != 4 || ns["siem"].Name() != "siem" {
		t.Fatalf("NewAll: %v", err)
	}
}

func TestTargetsFromSectionWithoutSecretsValidatesAndDefers(t *testing.T) {
	got, err := TargetsFromSection(section(t, exampleConfig), nil)
	if err != nil {
		t.Fatalf("validation without the environment: %v", err)
	}
	if got[0].URL != "${SLACK_SECURITY_WEBHOOK_URL}" || got[3].SMTP.Password != "${SMTP_PASSWORD}" {
		t.Errorf("references not kept as written: %+v", got)
	}
	if _, err := New(got[0], Options{}); err == nil || !strings.Contains(err.Error(), "unresolved") {
		t.Errorf("New with an unresolved reference = %v", err)
	}
}

func TestTargetsFromSectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"secret written in the file", `notifiers:
  - name: s
    type: slack
    url: https://hooks.slack.com/services/T/B/SECRETLITERAL
`, []string{"palisade.yaml:4:10: url is a secret: write it as ${ENV_NAME}"}},
		{"secret mixed with text", `notifiers:
  - name: pd
    type: pagerduty
    routingKey: abc${PD}
`, []string{"palisade.yaml:4:17: routingKey is a secret"}},
		{"unset variable", `notifiers:
  - name: pd
    type: pagerduty
    routingKey: ${NOT_SET}
`, []string{"palisade.yaml:4:17: routingKey: environment variable NOT_SET is not set"}},
		{"malformed reference", `notifiers:
  - name: w
    type: webhook
    url: https://x.example.com/${bad-name}
    secret: ${S}
`, []string{`palisade.yaml:4:10: url: "bad-name" is not an environment variable name`}},
		{"unknown field", `notifiers:
  - name: s
    type: slack
    url: ${SLACK}
    channel: "#sec"
`, []string{`palisade.yaml:5:5: unknown field "channel" in notifier`}},
		{"field of another type", `notifiers:
  - name: s
    type: slack
    url: ${SLACK}
    secret: ${S}
`, []string{"palisade.yaml:5:5: notifier s: slack targets take no secret (they take url)"}},
		{"unknown type and bad name and duplicates, all at once", `notifiers:
  - name: Bad Name
    type: slack
  - name: t
    type: teams
  - name: s
    type: slack
    url: ${SLACK}
  - name: s
    type: slack
    url: ${SLACK}
`, []string{`palisade.yaml:2:11: name: "Bad Name" is not a valid name`, `palisade.yaml:5:11: notifier t: unknown type "teams"`, `palisade.yaml:9:5: notifier "s" is declared twice`}},
		{"missing fields", `notifiers:
  - type: slack
  - name: w
    type: webhook
    url: https://x.example.com/h
  - name: m
    type: email
    smtp:
      host: smtp.example.com
      to: nobody
`, []string{"palisade.yaml:2:5: notifier: name is required", "notifier w: webhook targets need secret",
			`palisade.yaml:10:11: smtp.to: "nobody" is not an email address`, "notifier m: smtp.from is required"}},
		{"http without allowHTTP", `notifiers:
  - name: w
    type: webhook
    url: http://siem.example.com/h
    secret: ${S}
`, []string{"palisade.yaml:4:10: notifier w: url: must be https"}},
		{"bad secret format", `notifiers:
  - name: w
    type: webhook
    url: https://siem.example.com/h
    secret: ${WEAK}
`, []string{"palisade.yaml:2:5: notifier w: secret: secret 1 has 6 bytes"}},
		{"not a list", `notifiers:
  slack: {}
`, []string{"expected a list of notifiers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := TargetsFromSection(section(t, tc.yaml), env(map[string]string{"SLACK": "https://hooks.slack.com/services/T/B/X", "S": testSecret, "PD": "k", "WEAK": "whsec_c2VjcmV0"}))
			if err == nil {
				t.Fatal("accepted")
			}
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("code %s", palisade.ErrorCode(err))
			}
			var list palisade.Errors
			var texts []string
			if errors.As(err, &list) {
				for _, e := range list {
					texts = append(texts, e.Error())
				}
			} else {
				texts = []string{err.Error()}
			}
			all := strings.Join(texts, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors\n%s\nlack %q", all, w)
				}
			}
			if len(texts) != len(tc.want) {
				t.Errorf("%d errors, want %d:\n%s", len(texts), len(tc.want), all)
			}
			if strings.Contains(all, "SECRETLITERAL") || strings.Contains(all, "c2VjcmV0") {
				t.Errorf("an error quotes a secret:\n%s", all)
			}
		})
	}
}

func TestEmptySection(t *testing.T) {
	got, err := TargetsFromSection(nil, nil)
	if err != nil || got != nil {
		t.Fatalf("nil section = %v, %v", got, err)
	}
}
