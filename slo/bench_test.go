package slo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

// BenchmarkEvaluate1000 evaluates 1,000 event SLOs over 28-day windows,
// each with a full window of buckets (three days of 5-minute buckets and
// hourly ones before, as compaction leaves them: 1,464 per SLO), with a
// push of new events between cycles. Target: under 1 s per cycle on SQLite.
func BenchmarkEvaluate1000(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			const n = 1000
			now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			ctx := palisade.WithActor(context.Background(), palisade.SystemActor("bench"))
			db, err := store.Open(ctx, storetest.DSN(b, engine), store.Options{Now: clock})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			reg := catalog.NewRegistry(db)
			if _, err := reg.Apply(ctx, &catalog.Document{Catalog: catalog.Catalog{
				Teams: []catalog.Team{{Name: "t"}}, Services: []catalog.Service{{Name: "s", Team: "t", Tier: 1}},
			}}, catalog.ApplyOptions{}); err != nil {
				b.Fatal(err)
			}
			e := slo.NewEngine(db, clock, nil)
			svc := slo.NewService(db, e, reg, clock)
			var slos []*slo.SLO
			for i := range n {
				slos = append(slos, &slo.SLO{Name: fmt.Sprintf("slo-%04d", i), Service: "s", Objective: 0.999,
					Window: slo.Window{Rolling: slo.Duration(28 * 24 * time.Hour)}, Budgeting: slo.Occurrences,
					Indicator: slo.Indicator{Kind: slo.KindEvents}, Alerting: slo.Alerting{MinEvents: 10}})
			}
			if _, _, _, err := svc.Put(ctx, slos, false); err != nil {
				b.Fatal(err)
			}
			// Fill the buckets directly: pushing 1.5 million buckets
			// through the API would measure the API, not the evaluation.
			tx, err := db.SQL().Begin()
			if err != nil {
				b.Fatal(err)
			}
			stmt, err := tx.Prepare(`INSERT INTO slo_buckets (slo, start, width, good, total, version) VALUES ($1, $2, $3, $4, $5, 1)`)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			fineFrom := now.Add(-slo.FineRetention).Truncate(time.Hour)
			for _, o := range slos {
				for t := now.Add(-28 * 24 * time.Hour).Truncate(time.Hour); t.Before(fineFrom); t = t.Add(time.Hour) {
					stmt.Exec(o.Name, t.Unix(), 3600, 12000-float64(r.IntN(5)), 12000)
				}
				for t := fineFrom; t.Before(now); t = t.Add(5 * time.Minute) {
					stmt.Exec(o.Name, t.Unix(), 300, 1000-float64(r.IntN(3)), 1000)
				}
			}
			stmt.Close()
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			db.SQL().Exec(`UPDATE slo_bucket_clock SET version = 1`)
			// As autovacuum would after a load this size.
			db.SQL().Exec(`ANALYZE`)
			start := time.Now()
			if _, err := e.EvaluateAll(ctx); err != nil {
				b.Fatal(err)
			}
			b.Logf("first evaluation (cold cache, %d buckets): %v", n*(28*24-75+75*12), time.Since(start))
			i := 0
			for b.Loop() {
				b.StopTimer()
				now = now.Add(time.Minute)
				// A minute of traffic for a tenth of the SLOs.
				for j := 0; j < n/10; j++ {
					svc.PushEvents(ctx, slos[(i*n/10+j)%n].Name, []slo.Event{{Time: now.Add(-30 * time.Second), Good: 999, Total: 1000}})
				}
				i++
				b.StartTimer()
				sts, err := e.EvaluateAll(ctx)
				if err != nil || len(sts) != n {
					b.Fatalf("evaluate: %d %v", len(sts), err)
				}
			}
		})
	}
}
