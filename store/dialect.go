package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between SQLite and PostgreSQL. Keep
// it small: queries themselves are shared.
type dialect struct {
	engine string // "sqlite" or "postgres"
	driver string
	dsn    string
	name   string
	goose  goose.Dialect
}

func dialectFor(dsn string, opt Options) (*dialect, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		name := u.Host + u.Path
		return &dialect{engine: "postgres", driver: "pgx", dsn: dsn, name: "postgres://" + name, goose: goose.DialectPostgres}, nil
	}
	if dsn == "" {
		return nil, fmt.Errorf("no database given: pass --db or set PALISADE_DB")
	}
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	busy := opt.BusyTimeout
	if busy == 0 {
		busy = 5 * time.Second
	}
	// WAL lets readers run beside the single writer; immediate transactions
	// take the write lock at BEGIN, so two writers wait (busy_timeout)
	// instead of failing halfway with SQLITE_BUSY on upgrade.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(normal)")
	q.Set("_txlock", "immediate")
	return &dialect{engine: "sqlite", driver: "sqlite", dsn: "file:" + path + "?" + q.Encode(), name: path, goose: goose.DialectSQLite3}, nil
}

func (d *dialect) configure(db *sql.DB) {
	if d.engine == "sqlite" {
		// Writes are serialized by SQLite anyway; a few connections serve
		// concurrent readers.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(0)
		return
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// prepare checks, once after opening, what Ping does not: for SQLite that
// the file is a database and not held by an exclusive lock.
func (d *dialect) prepare(ctx context.Context, db *sql.DB) error {
	if d.engine != "sqlite" {
		return nil
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	return nil
}

// batchParams is how many parameters a multi-row INSERT should carry. On
// PostgreSQL every statement is a network round trip, so big batches (far
// below its limit of 65,535) pay off; SQLite runs in process, and the
// driver's binding cost grows faster than linearly with the parameter
// count, so small batches are fastest there (measured: 5,000 services
// apply in about 1.5 s with small batches, 50 s with 30,000-parameter
// batches).
func (d *dialect) batchParams() int {
	if d.engine == "postgres" {
		return 30000
	}
	return 512
}

// batchedUpdates: updating many rows from a VALUES list in one statement
// pays on PostgreSQL (a round trip per statement) and is not needed on
// SQLite, where a prepared single-row UPDATE is cheapest. The flag is set
// on each write transaction (auditTx.batchedUpdates) from the engine.

// sessionLocker serializes migrations across replicas starting together.
// SQLite has one process per file, so it needs none.
func (d *dialect) sessionLocker() (lock.SessionLocker, error) {
	if d.engine != "postgres" {
		return nil, nil
	}
	return lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120))
}

func (d *dialect) isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "55P03" || pe.Code == "40001" || pe.Code == "40P01" // lock_not_available, serialization, deadlock
	}
	return false
}

func (d *dialect) isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (d *dialect) isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
