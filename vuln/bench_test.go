package vuln_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

// writeRecords writes n synthetic PyPI advisories, one per even package,
// affecting versions below fixed.
func writeRecords(b *testing.B, dir string, n int, modified time.Time, fixed string) {
	for i := range n {
		rec := map[string]any{
			"id": fmt.Sprintf("PYSEC-BENCH-%04d", i), "modified": modified.Format(time.RFC3339), "published": "2026-01-01T00:00:00Z",
			"aliases": []string{fmt.Sprintf("CVE-2099-%04d", i)}, "summary": "synthetic",
			"severity": []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			"affected": []any{map[string]any{
				"package": map[string]string{"ecosystem": "PyPI", "name": fmt.Sprintf("bench-pkg-%d", 2*i)},
				"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]string{"introduced": "0"}, map[string]string{"fixed": fixed}}}},
			}},
		}
		data, _ := json.Marshal(rec)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.json", i)), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRematch measures re-matching 1,000 stored services of 200
// components each after 1,000 advisories change (import of the changed
// records included). Target: under 5 s.
func BenchmarkRematch(b *testing.B) {
	const services, perService, advisories = 1000, 200, 1000
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			ctx := palisade.WithActor(context.Background(), palisade.SystemActor("bench"))
			for b.Loop() {
				b.StopTimer()
				db, err := store.Open(ctx, storetest.DSN(b, engine), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				reg := catalog.NewRegistry(db)
				cat := catalog.Catalog{Teams: []catalog.Team{{Name: "t"}}}
				for i := range services {
					cat.Services = append(cat.Services, catalog.Service{Name: fmt.Sprintf("svc-%04d", i), Team: "t", Tier: 1 + i%4})
				}
				if _, err := reg.Apply(ctx, &catalog.Document{Catalog: cat}, catalog.ApplyOptions{}); err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				for i := range services {
					inv := &vuln.Inventory{Service: fmt.Sprintf("svc-%04d", i), Format: "cyclonedx-json", Digest: "x", RecordedAt: time.Now()}
					seen := map[int]bool{}
					for len(inv.Components) < perService {
						p := r.IntN(2 * advisories)
						if seen[p] {
							continue
						}
						seen[p] = true
						v := fmt.Sprintf("1.%d.0", r.IntN(10))
						inv.Components = append(inv.Components, vuln.Component{Purl: fmt.Sprintf("pkg:pypi/bench-pkg-%d@%s", p, v), Ecosystem: "PyPI", Name: fmt.Sprintf("bench-pkg-%d", p), Version: v})
					}
					if err := db.PutInventory(ctx, inv); err != nil {
						b.Fatal(err)
					}
				}
				svc := vuln.NewService(db, reg, nil, nil)
				v1, v2 := b.TempDir(), b.TempDir()
				writeRecords(b, v1, advisories, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "1.5.0")
				writeRecords(b, v2, advisories, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "1.3.0")
				first, err := svc.ImportAdvisories(ctx, v1, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := svc.ImportAdvisories(ctx, v2, nil)
				b.StopTimer()
				if err != nil || res.Changed != advisories {
					b.Fatalf("changed import: %+v %v", res, err)
				}
				b.ReportMetric(float64(first.Rematch.Created), "findings")
				b.ReportMetric(float64(res.Rematch.Resolved), "resolved")
				b.ReportMetric(float64(res.Rematch.Updated), "updated")
				b.ReportMetric(float64(res.Rematch.Components), "components")
				db.Close()
				b.StartTimer()
			}
		})
	}
}
