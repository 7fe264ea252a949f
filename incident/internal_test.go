package incident_test

import (
	"testing"

	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/incident/intake"
	"github.com/palisade-project/palisade/store/storetest"
)

func internal(key, service, severity string) intake.Alert {
	return intake.Alert{DedupKey: key, Summary: key, Service: service, Severity: severity,
		Labels: map[string]string{"service": service, "severity": severity}, Annotations: map[string]string{}}
}

func TestReconcileInternalResolvesWhatNoLongerFires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := e.ctx
		res, err := e.svc.ReconcileInternal(ctx, "vuln", []intake.Alert{internal("deadline/api", "api", "critical"), internal("deadline/web", "web", "warning")})
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 2 || len(res.Opened) != 1 {
			t.Fatalf("first: %+v", res)
		}
		if n, err := e.svc.OpenCount(ctx, "api"); err != nil || n != 1 {
			t.Fatalf("open security incidents on api: %d %v", n, err)
		}
		// The same set again changes nothing.
		if res, err = e.svc.ReconcileInternal(ctx, "vuln", []intake.Alert{internal("deadline/api", "api", "critical"), internal("deadline/web", "web", "warning")}); err != nil {
			t.Fatal(err)
		}
		if res.Repeated != 2 || res.Resolved != 0 || len(res.Opened) != 0 {
			t.Fatalf("repeat: %+v", res)
		}
		// api's deadline is met: its alert resolves, web's stays.
		if res, err = e.svc.ReconcileInternal(ctx, "vuln", []intake.Alert{internal("deadline/web", "web", "warning")}); err != nil {
			t.Fatal(err)
		}
		if res.Resolved != 1 {
			t.Fatalf("resolve: %+v", res)
		}
		alerts, _ := e.svc.Alerts(ctx, incident.AlertResolved, 10)
		if len(alerts) != 1 || alerts[0].DedupKey != "deadline/api" || alerts[0].Source != "vuln" {
			t.Fatalf("resolved alerts: %+v", alerts)
		}
		// Nothing fires: everything resolves; nothing at all is a no-op.
		if res, err = e.svc.ReconcileInternal(ctx, "vuln", nil); err != nil || res.Received != 1 {
			t.Fatalf("clear: %+v %v", res, err)
		}
		if res, err = e.svc.ReconcileInternal(ctx, "vuln", nil); err != nil || res.Received != 0 {
			t.Fatalf("empty: %+v %v", res, err)
		}
	})
}
