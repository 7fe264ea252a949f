package incident_test

import (
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/store/storetest"
)

func TestOpenRefusesWhatCannotBe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		for _, c := range []struct {
			req   incident.OpenRequest
			field string
		}{
			{incident.OpenRequest{Title: "x", Kind: incident.KindReliability, Restricted: true}, "restricted"},
			{incident.OpenRequest{Title: "x", Commander: strings.Repeat("a", incident.MaxName+1)}, "roles"},
			{incident.OpenRequest{Title: "x", Severity: "SEV9"}, "severity"},
			{incident.OpenRequest{Title: " "}, "title"},
		} {
			_, err := e.svc.Open(e.ctx, c.req)
			if palisade.ErrorField(err) != c.field {
				t.Errorf("%+v: %v (field %q), want a refusal of %s", c.req, err, palisade.ErrorField(err), c.field)
			}
		}
		doc, err := catalog.ParseYAML("p.yaml", []byte("routing:\n  - name: r\n    when: 'true'\n    kind: reliability\n    restricted: true\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.Apply(e.ctx, doc, catalog.ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "p.yaml:5") {
			t.Errorf("restricted reliability rule: %v", err)
		}
	})
}

func TestAlertOpenedIncidentBelongsToTheServiceTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		res, err := e.svc.Ingest(e.ctx, []incident.Signal{firing("AuthDown", "auth", "critical", "auth down")})
		if err != nil || len(res.Opened) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		inc, err := e.svc.Get(e.ctx, res.Opened[0])
		if err != nil || inc.Team != "security" {
			t.Fatalf("team %q %v", inc.Team, err)
		}
	})
}
