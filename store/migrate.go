package store

import (
	"context"
	"embed"
	"io/fs"
	"slices"

	"github.com/pressly/goose/v3"
)

// Migrations live in migrations/ when both engines run the same SQL, and
// in migrations/sqlite/ and migrations/postgres/ when they cannot (the
// full-text index of retrospectives): such a version has one file per
// engine and none in migrations/.
//
//go:embed migrations/*.sql migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationTable is where goose records applied versions.
const migrationTable = "palisade_migrations"

// migrations returns the migrations of engine as the one flat directory
// goose reads: the shared files beside the engine's own.
func migrations(engine string) (fs.FS, error) {
	shared, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	own, err := fs.Sub(migrationFS, "migrations/"+engine)
	if err != nil {
		return nil, err
	}
	return overlayFS{own, shared}, nil
}

// overlayFS joins directories: Open takes a name from the first that has
// it, Glob lists the names of all.
type overlayFS []fs.FS

func (o overlayFS) Open(name string) (fs.File, error) {
	var err error
	for _, f := range o {
		var file fs.File
		if file, err = f.Open(name); err == nil {
			return file, nil
		}
	}
	return nil, err
}

func (o overlayFS) Glob(pattern string) ([]string, error) {
	var out []string
	for _, f := range o {
		names, err := fs.Glob(f, pattern)
		if err != nil {
			return nil, err
		}
		out = append(out, names...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := migrations(db.dialect.engine)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithTableName(migrationTable)}
	locker, err := db.dialect.sessionLocker()
	if err != nil {
		return nil, err
	}
	if locker != nil {
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(db.dialect.goose, db.db, sub, opts...)
}

// Migrate applies every pending migration, holding a database-wide lock on
// PostgreSQL so that replicas starting together migrate once.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return db.unavailable("cannot migrate", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return db.unavailable("cannot migrate", err)
	}
	return nil
}

func (db *DB) pendingMigrations(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return false, err
	}
	return current < target, nil
}
