// Package storetest gives tests a fresh database on each engine: a SQLite
// file in a temporary directory, and a private schema on the PostgreSQL
// server named by PALISADE_TEST_POSTGRES.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/palisade-project/palisade/internal/testenv"
)

// Engines are the database engines every store test runs on.
var Engines = []string{"sqlite", "postgres"}

// Each runs fn as a subtest per engine with a fresh, empty database URL.
func Each(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { fn(t, DSN(t, e)) })
	}
}

// DSN returns the URL of a fresh, empty database on engine, dropped when
// the test ends. Without PALISADE_TEST_POSTGRES the postgres engine skips
// (or fails under PALISADE_REQUIRE_INTEGRATION=1).
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return filepath.Join(t.TempDir(), "palisade.db")
	}
	base := os.Getenv("PALISADE_TEST_POSTGRES")
	if base == "" {
		testenv.Missing(t, "PostgreSQL", "set PALISADE_TEST_POSTGRES=postgres://user@host:5432/db")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("PALISADE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create test schema on PALISADE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Logf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PALISADE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
