package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store/storetest"
)

// BenchmarkPushEvents pushes batches of 10,000 events, each with an
// idempotency id, through POST /api/v1/slos/{name}/events on a real server
// (loopback HTTP, JSON, authentication, SQLite or PostgreSQL) and reports
// events per second. Target: at least 20,000/s.
func BenchmarkPushEvents(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			f := newFixture(b, storetest.DSN(b, engine))
			token := f.tokens[palisade.RoleResponder]
			const per = 10000
			base := time.Now().Add(-time.Hour)
			seq := 0
			body := func() []byte {
				evs := make([]slo.Event, per)
				for i := range evs {
					seq++
					evs[i] = slo.Event{Time: base.Add(time.Duration(seq%3600) * time.Second), Good: 99, Total: 100, ID: fmt.Sprintf("ev-%09d", seq)}
				}
				data, _ := json.Marshal(EventsRequest{Events: evs})
				return data
			}
			var sent int
			var elapsed time.Duration
			for b.Loop() {
				data := body()
				start := time.Now()
				req, _ := http.NewRequest("POST", f.http.URL+"/api/v1/slos/login/events", bytes.NewReader(data))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var res slo.PushResult
				json.NewDecoder(resp.Body).Decode(&res)
				resp.Body.Close()
				elapsed += time.Since(start)
				if resp.StatusCode != 200 || res.Counted != per {
					b.Fatalf("push: %d %+v", resp.StatusCode, res)
				}
				sent += per
			}
			b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
		})
	}
}

// BenchmarkAlertIntake posts PagerDuty Events API v2 deliveries, one alert
// each (the worst case: one authentication, one transaction per alert),
// through POST /api/v1/alerts/events on a real server, half of them repeats
// of alerts already known, and reports alerts per second. Target: at least
// 1,000/s on SQLite. The source's rate limit is raised for the run.
func BenchmarkAlertIntake(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			f := newFixture(b, storetest.DSN(b, engine))
			actx := palisade.WithActor(b.Context(), palisade.SystemActor("bench"))
			doc, err := catalog.ParseYAML("bench.yaml", []byte("alertSources:\n  - name: bench\n    type: events\n    routingKeys: ['${EVENTS_KEY}']\n    rate: 10000\n"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.srv.cfg.Catalog.Apply(actx, doc, catalog.ApplyOptions{}); err != nil {
				b.Fatal(err)
			}
			n := 0
			var elapsed time.Duration
			for b.Loop() {
				key := n
				if n%2 == 1 {
					key = n / 2
				}
				sev := "warning"
				if key%50 == 0 {
					sev = "critical"
				}
				body := fmt.Sprintf(`{"routing_key":%q,"event_action":"trigger","dedup_key":"k-%d","payload":{"summary":"condition %d","source":"bench","severity":%q,"custom_details":{"service":"checkout"}}}`,
					testSecrets["EVENTS_KEY"], key, key, sev)
				start := time.Now()
				resp, err := http.Post(f.http.URL+"/api/v1/alerts/events", "application/json", bytes.NewReader([]byte(body)))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				elapsed += time.Since(start)
				if resp.StatusCode != http.StatusAccepted {
					b.Fatalf("delivery %d: %d", n, resp.StatusCode)
				}
				n++
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "alerts/s")
		})
	}
}
