// Package store persists every capability's data in SQLite (the embedded
// default) or PostgreSQL (for several replicas) through database/sql. There
// is one SQL code path: queries use $1 placeholders, which both drivers
// accept, and the few differences between the engines live in dialect.go.
//
// Exported methods own their transaction. Every method that changes data
// writes the audit entries for the change in the same transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/palisade-project/palisade"
)

// DB is an open, migrated database.
type DB struct {
	db      *sql.DB
	dialect *dialect
	now     palisade.Clock
	// name describes the database in messages, without credentials.
	name string
}

// Options tune Open.
type Options struct {
	// Now is the clock used for timestamps; nil means time.Now.
	Now palisade.Clock
	// BusyTimeout is how long SQLite waits for a lock held by another
	// connection or process before failing; zero means 5 s.
	BusyTimeout time.Duration
	// SkipMigrate opens without applying migrations (tests of the
	// migration itself).
	SkipMigrate bool
}

// Open opens the database named by dsn and applies pending migrations. A
// dsn starting with postgres:// or postgresql:// selects PostgreSQL; any
// other value is a SQLite file path. Failures to reach, lock or migrate the
// database are EUNAVAILABLE errors whose message says which database and
// why.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	d, err := dialectFor(dsn, opt)
	if err != nil {
		return nil, err
	}
	sqldb, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		return nil, palisade.Errorf(palisade.EINVALID, "database %s: %v", d.name, err)
	}
	d.configure(sqldb)
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	db := &DB{db: sqldb, dialect: d, now: now, name: d.name}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pingCtx); err != nil {
		sqldb.Close()
		return nil, db.unavailable("cannot open", err)
	}
	if err := d.prepare(ctx, sqldb); err != nil {
		sqldb.Close()
		return nil, db.unavailable("cannot prepare", err)
	}
	if !opt.SkipMigrate {
		if err := db.Migrate(ctx); err != nil {
			sqldb.Close()
			return nil, err
		}
	}
	return db, nil
}

func (db *DB) unavailable(what string, err error) error {
	msg := err.Error()
	if db.dialect.isBusy(err) {
		msg = "the database is locked by another process (gave up after the busy timeout)"
	}
	return &palisade.Error{Code: palisade.EUNAVAILABLE, Message: fmt.Sprintf("%s database %s: %s", what, db.name, msg), Err: err}
}

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// SQL returns the underlying handle, for metrics and tests.
func (db *DB) SQL() *sql.DB { return db.db }

// Engine returns "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.engine }

// Name describes the database without credentials.
func (db *DB) Name() string { return db.name }

// Ready returns nil when the database answers and every migration is
// applied.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return db.unavailable("cannot reach", err)
	}
	pending, err := db.pendingMigrations(ctx)
	if err != nil {
		return db.unavailable("cannot read migrations of", err)
	}
	if pending {
		return palisade.Errorf(palisade.EUNAVAILABLE, "database %s has pending migrations", db.name)
	}
	return nil
}

// mapErr turns driver errors into palisade errors where they mean something
// to the caller; what describes the operation.
func (db *DB) mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var pe *palisade.Error
	var pes palisade.Errors
	if errors.As(err, &pe) || errors.As(err, &pes) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case db.dialect.isBusy(err):
		return &palisade.Error{Code: palisade.EUNAVAILABLE, Message: "the database is busy; try again", Err: err}
	case db.dialect.isUnique(err):
		return &palisade.Error{Code: palisade.ECONFLICT, Message: what + ": already exists", Err: err}
	case db.dialect.isForeignKey(err):
		return &palisade.Error{Code: palisade.ECONFLICT, Message: what + ": still referenced by another object", Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func itoa(i int) string { return strconv.Itoa(i) }
