package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
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
