package store

import (
	"context"
	"io/fs"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/palisade-project/palisade/store/storetest"
)

// TestMigrationsPerEngine: every version is either shared or has one file
// per engine, so that both engines end at the same schema version.
func TestMigrationsPerEngine(t *testing.T) {
	versions := map[string][]int64{}
	for _, engine := range []string{"sqlite", "postgres"} {
		fsys, err := migrations(engine)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			v, err := goose.NumericComponent(n)
			if err != nil {
				t.Fatalf("%s: %s: %v", engine, n, err)
			}
			if slices.Contains(versions[engine], v) {
				t.Errorf("%s: version %d has two files", engine, v)
			}
			versions[engine] = append(versions[engine], v)
			if _, err := fs.ReadFile(fsys, n); err != nil {
				t.Errorf("%s: read %s: %v", engine, n, err)
			}
		}
	}
	if !slices.Equal(versions["sqlite"], versions["postgres"]) {
		t.Errorf("the engines have different versions: sqlite %v, postgres %v", versions["sqlite"], versions["postgres"])
	}
	if !slices.Contains(versions["sqlite"], 7) {
		t.Errorf("versions %v lack the engine-specific 7", versions["sqlite"])
	}
}

// TestMigrationDownUp takes the engine-specific migration down and up
// again on each engine.
func TestMigrationDownUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := Open(ctx, dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, err := db.provider()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 5); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if err := db.Ready(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
