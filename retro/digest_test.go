package retro_test

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/store/storetest"
)

func TestDigestPeriods(t *testing.T) {
	wed := time.Date(2026, 11, 25, 15, 4, 0, 0, time.UTC)
	for _, c := range []struct {
		every      string
		now        time.Time
		start, end string
	}{
		{retro.DigestWeekly, wed, "2026-11-16", "2026-11-23"},
		{retro.DigestWeekly, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "2026-11-16", "2026-11-23"},
		{retro.DigestWeekly, time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC), "2026-11-09", "2026-11-16"},
		{retro.DigestDaily, wed, "2026-11-24", "2026-11-25"},
	} {
		start, end := (&retro.Digest{Every: c.every}).Period(c.now)
		if start.Format(time.DateOnly) != c.start || end.Format(time.DateOnly) != c.end {
			t.Errorf("%s at %s: [%s, %s), want [%s, %s)", c.every, c.now, start, end, c.start, c.end)
		}
	}
}

func TestDigestSection(t *testing.T) {
	for yml, want := range map[string]string{
		"retrospectives:\n  digest: {every: monthly, notify: [x]}\n": "every \"monthly\"",
		"retrospectives:\n  digest: {every: daily}\n":                "notify lists",
		"retrospectives:\n  digest: {every: daily, when: now}\n":     "when",
	} {
		doc, err := catalog.ParseYAML("p.yaml", []byte(yml))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := retro.DigestFromSection(doc.Sections[retro.SectionName]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", yml, err, want)
		}
	}
}

func TestDigestMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		doc, err := catalog.ParseYAML("p.yaml", []byte("retrospectives:\n  digest: {every: weekly, notify: [slack-security]}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.Apply(e.sys, doc, catalog.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		// Nothing published: no digest.
		if _, _, ok, err := e.svc.DigestMessage(e.sys, *e.now, ""); ok || err != nil {
			t.Fatalf("empty digest: %v %v", ok, err)
		}
		open := e.incident(t, e.alice, incident.OpenRequest{Title: "Registry outage", Kind: incident.KindReliability, Services: []string{"registry"}})
		secret := e.incident(t, e.bob, incident.OpenRequest{Title: "Leaked signing key", Kind: incident.KindSecurity, Services: []string{"ci"}, Restricted: true})
		for _, id := range []string{open, secret} {
			r, err := e.svc.Open(e.sys, id, retro.OpenRequest{})
			if err != nil {
				t.Fatal(err)
			}
			e.complete(t, e.sys, r, "words")
			e.publish(t, e.sys, r.ID)
		}
		// The week after: the digest lists both, the restricted one by id.
		e.advance(7 * 24 * time.Hour)
		m, targets, ok, err := e.svc.DigestMessage(e.sys, *e.now, "https://palisade.example.com/")
		if err != nil || !ok {
			t.Fatalf("digest: %v %v", ok, err)
		}
		if len(targets) != 1 || targets[0] != "slack-security" || !strings.HasPrefix(m.ID, "retro-digest/weekly/") || m.Kind != "digest" {
			t.Fatalf("digest %+v to %v", m, targets)
		}
		if !strings.Contains(m.Title, "2 retrospectives published") || !strings.Contains(m.Text, "Registry outage") ||
			strings.Contains(m.Text, "Leaked signing key") || !strings.Contains(m.Text, "(restricted)") ||
			!strings.Contains(m.Text, "https://palisade.example.com/retrospectives/RETRO-") {
			t.Fatalf("digest text:\n%s\n%s", m.Title, m.Text)
		}
		// Two weeks later nothing new was published.
		e.advance(7 * 24 * time.Hour)
		if _, _, ok, err := e.svc.DigestMessage(e.sys, *e.now, ""); ok || err != nil {
			t.Fatalf("quiet week: %v %v", ok, err)
		}
	})
}
