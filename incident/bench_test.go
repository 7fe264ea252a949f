package incident_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/palisade-project/palisade/incident"
)

// BenchmarkIngest measures alert intake with deduplication on SQLite (a
// file database, WAL, as palisade serve runs it): one delivery per call,
// each its own transaction, the way PagerDuty-style senders deliver.
// Every other delivery repeats an alert already known (the dedup path);
// one alert in 50 is critical and opens or joins an incident.
func BenchmarkIngest(b *testing.B) {
	e := newEnv(b, filepath.Join(b.TempDir(), "bench.db"))
	sig := func(i int) incident.Signal {
		sev := "warning"
		if i%50 == 0 {
			sev = "critical"
		}
		key := i
		if i%2 == 1 {
			key = i / 2 // a repeat of an earlier alert
		}
		s := firing(fmt.Sprintf("alert-%d", key), []string{"api", "auth", "web"}[key%3], sev, fmt.Sprintf("condition %d", key))
		return s
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.svc.Ingest(e.ctx, []incident.Signal{sig(i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkIngestBatch is the Alertmanager shape: 20 alerts per delivery
// (a notification group), half of them already known.
func BenchmarkIngestBatch(b *testing.B) {
	e := newEnv(b, filepath.Join(b.TempDir(), "bench.db"))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		batch := make([]incident.Signal, 20)
		for j := range batch {
			key := n
			if j%2 == 1 {
				key = n / 2
			}
			batch[j] = firing(fmt.Sprintf("alert-%d", key), "api", "warning", "x")
			n++
		}
		if _, err := e.svc.Ingest(e.ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}
