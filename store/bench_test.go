package store_test

import (
	"context"
	"testing"

	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/internal/catalogtest"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

// BenchmarkApplyCatalog measures applying a generated catalog of 5,000
// services and 500 teams to an empty database (create) and applying it
// again (unchanged), on each engine. Target: under 3 s per create.
func BenchmarkApplyCatalog(b *testing.B) {
	gen := catalogtest.Generate(500, 5000, 1)
	for _, engine := range storetest.Engines {
		b.Run(engine+"/create", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db, err := store.Open(context.Background(), storetest.DSN(b, engine), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				reg := catalog.NewRegistry(db)
				d := &catalog.Document{Catalog: gen}
				b.StartTimer()
				p, err := reg.Apply(ctx(), d, catalog.ApplyOptions{})
				b.StopTimer()
				if err != nil || p.Summary[catalog.KindService].Created != 5000 {
					b.Fatalf("apply: %v %+v", err, p)
				}
				db.Close()
				b.StartTimer()
			}
		})
		b.Run(engine+"/unchanged", func(b *testing.B) {
			db, err := store.Open(context.Background(), storetest.DSN(b, engine), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			reg := catalog.NewRegistry(db)
			if _, err := reg.Apply(ctx(), &catalog.Document{Catalog: gen}, catalog.ApplyOptions{}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				p, err := reg.Apply(ctx(), &catalog.Document{Catalog: gen}, catalog.ApplyOptions{})
				if err != nil || !p.Empty() {
					b.Fatalf("re-apply: %v", err)
				}
			}
		})
	}
}

// BenchmarkListServices measures one page of 100 services out of 5,000.
func BenchmarkListServices(b *testing.B) {
	gen := catalogtest.Generate(500, 5000, 1)
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			db, err := store.Open(context.Background(), storetest.DSN(b, engine), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			reg := catalog.NewRegistry(db)
			if _, err := reg.Apply(ctx(), &catalog.Document{Catalog: gen}, catalog.ApplyOptions{}); err != nil {
				b.Fatal(err)
			}
			cursors := []string{"", "svc-01000", "svc-02500", "svc-04900"}
			i := 0
			for b.Loop() {
				page, _, err := reg.ListServices(ctx(), catalog.ServiceFilter{After: cursors[i%len(cursors)], Limit: 100})
				if err != nil || len(page) == 0 {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
