package osv

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// reportCPU adds the CPU time per op since start to the benchmark's
// figures: wall-clock time on a shared machine measures the neighbours.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// benchRecords returns the real records benchmarks start from: the shared
// Go and PyPI snapshot when present, else the oracle cut in testdata.
func benchRecords(b *testing.B) []*Record {
	b.Helper()
	var sources []string
	dir := filepath.Join("..", "..", "..", "shared", "corpora", "osv-advisories")
	if _, err := os.Stat(dir); err == nil {
		sources = []string{filepath.Join(dir, "Go", "all.zip"), filepath.Join(dir, "PyPI", "all.zip")}
	} else {
		b.Logf("shared corpus absent; growing the corpus from testdata/oracle/records")
		sources = []string{filepath.Join("testdata", "oracle", "records")}
	}
	var records []*Record
	for _, src := range sources {
		if _, err := Import(context.Background(), src, func(r *Record) error {
			if !r.IsWithdrawn() {
				records = append(records, r)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	return records
}

// BenchmarkImportCorpus reads both shared zips: unzip, parse, validate and
// hand every record to a callback that keeps it.
func BenchmarkImportCorpus(b *testing.B) {
	dir := sharedCorpus(b, "osv-advisories")
	zips := []string{filepath.Join(dir, "Go", "all.zip"), filepath.Join(dir, "PyPI", "all.zip")}
	var n int
	start := cpuTime()
	for b.Loop() {
		var kept []*Record
		for _, z := range zips {
			if _, err := Import(context.Background(), z, func(r *Record) error {
				kept = append(kept, r)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		n = len(kept)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(n), "records/op")
}

// growCorpus copies real records under renamed packages until there are n:
// copy k of a record is "<id>-k" for "<name>-k", so every copy has the
// shape (events, versions lists, several entries) of a real advisory.
func growCorpus(real []*Record, n int) []*Record {
	out := make([]*Record, 0, n)
	out = append(out, real[:min(n, len(real))]...)
	for k := 1; len(out) < n; k++ {
		suffix := "-" + strconv.Itoa(k)
		for _, r := range real {
			if len(out) == n {
				break
			}
			c := *r
			c.ID += suffix
			c.Affected = make([]Affected, len(r.Affected))
			for i, a := range r.Affected {
				if a.Package.Name != "" {
					a.Package.Name += suffix
				}
				c.Affected[i] = a
			}
			out = append(out, &c)
		}
	}
	return out
}

// component is one entry of a benchmark inventory.
type component struct {
	pkg     Package
	version string
}

// inventory picks n components from records: 40% at a version inside a
// range or list (mostly hits), 40% at a fixed version or far above (mostly
// misses), 20% of packages no advisory names.
func inventory(records []*Record, n int, rng *rand.Rand) []component {
	inv := make([]component, 0, n)
	for len(inv) < n {
		r := records[rng.IntN(len(records))]
		if len(r.Affected) == 0 {
			continue
		}
		a := r.Affected[rng.IntN(len(r.Affected))]
		if a.Package.Name == "" {
			continue
		}
		pkg := Package{a.Package.Ecosystem, a.Package.Name}
		switch roll := rng.IntN(10); {
		case roll < 4:
			if v := affectedVersion(a); v != "" {
				inv = append(inv, component{pkg, v})
			}
		case roll < 8:
			inv = append(inv, component{pkg, fixedVersion(a)})
		default:
			inv = append(inv, component{Package{pkg.Ecosystem, pkg.Name + "-absent"}, "1.0.0"})
		}
	}
	return inv
}

func affectedVersion(a Affected) string {
	if len(a.Versions) > 0 {
		return a.Versions[len(a.Versions)/2]
	}
	for _, rg := range a.Ranges {
		for _, ev := range rg.Events {
			if ev.Introduced != "" && ev.Introduced != "0" {
				return ev.Introduced
			}
		}
	}
	return "0.0.1"
}

func fixedVersion(a Affected) string {
	for _, rg := range a.Ranges {
		for _, ev := range rg.Events {
			if ev.Fixed != "" {
				return ev.Fixed
			}
		}
	}
	return "999.0.0"
}

func buildIndex(b *testing.B, records []*Record) *Index {
	b.Helper()
	ix := NewIndex()
	for _, r := range records {
		if err := ix.Add(r); err != nil {
			b.Fatal(err)
		}
	}
	return ix
}

// BenchmarkIndexBuild100k indexes 100,000 records (real ones and renamed
// copies) from scratch.
func BenchmarkIndexBuild100k(b *testing.B) {
	records := growCorpus(benchRecords(b), 100_000)
	start := cpuTime()
	var ix *Index
	for b.Loop() {
		ix = buildIndex(b, records)
	}
	reportCPU(b, start)
	// The heap the index holds, without the records it was built from.
	records = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "index-MiB")
	runtime.KeepAlive(ix)
}

// BenchmarkMatch5000Against100k matches a 5,000-component inventory
// against an index of 100,000 records; one op is the whole inventory.
func BenchmarkMatch5000Against100k(b *testing.B) {
	records := growCorpus(benchRecords(b), 100_000)
	ix := buildIndex(b, records)
	inv := inventory(records, 5000, rand.New(rand.NewPCG(1, 2)))
	// A server keeps the index, not the parsed records; keeping them here
	// would make every garbage collection scan them.
	records = nil
	runtime.GC()
	var matched, hits int
	start := cpuTime()
	for b.Loop() {
		matched, hits = 0, 0
		for _, c := range inv {
			ms := ix.Match(c.pkg, c.version)
			if len(ms) > 0 {
				matched++
			}
			hits += len(ms)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(matched), "affected-components/op")
	b.ReportMetric(float64(hits), "matches/op")
}
