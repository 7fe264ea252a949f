package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-project/palisade/catalog"
)

type memSections map[string]json.RawMessage

func (m memSections) ConfigSection(_ context.Context, name string) (json.RawMessage, error) {
	return m[name], nil
}

func (m memSections) PutConfigSection(_ context.Context, name string, v json.RawMessage) error {
	m[name] = v
	return nil
}

func store(t *testing.T, st memSections, src string) {
	t.Helper()
	b, err := section(t, src).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	st[SectionName] = b
}

func TestLiveFollowsTheSection(t *testing.T) {
	ctx := context.Background()
	st := memSections{}
	env := map[string]string{"HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	live := NewLive(st, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, testOptions())

	if _, err := live.Notifier(ctx, "siem"); err == nil || !strings.Contains(err.Error(), "no notifier named") {
		t.Fatalf("empty section: %v", err)
	}
	store(t, st, `notifiers:
  - name: siem
    type: webhook
    url: https://siem.example.com/hook
    secret: ${HOOK_SECRET}
  - name: pd
    type: pagerduty
    routingKey: ${PD_KEY}
`)
	if n, err := live.Notifier(ctx, "siem"); err != nil || n == nil {
		t.Fatalf("siem: %v", err)
	}
	// An unset variable disables only its own notifier, and says which.
	_, err := live.Notifier(ctx, "pd")
	if err == nil || !strings.Contains(err.Error(), "PD_KEY") || !strings.Contains(err.Error(), "pd cannot be used") {
		t.Fatalf("pd: %v", err)
	}
	// A new section is picked up without a restart.
	env["PD_KEY"] = "R0UT1NGKEY"
	store(t, st, `notifiers:
  - name: pd
    type: pagerduty
    routingKey: ${PD_KEY}
`)
	if _, err := live.Notifier(ctx, "pd"); err != nil {
		t.Fatalf("pd after apply: %v", err)
	}
	if _, err := live.Notifier(ctx, "siem"); err == nil {
		t.Fatal("siem is no longer declared but still resolves")
	}
}

func TestSectionChecksWithoutSecrets(t *testing.T) {
	st := memSections{}
	h := Section(st)
	n := section(t, "notifiers:\n  - name: x\n    type: slack\n    url: https://hooks.slack.com/services/T/B/C\n")
	if _, err := h(context.Background(), n, false); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("literal Slack URL accepted: %v", err)
	}
	var _ catalog.SectionStore = st
}
