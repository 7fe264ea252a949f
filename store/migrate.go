package store

import (
	"context"
	"embed"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationTable is where goose records applied versions.
const migrationTable = "palisade_migrations"

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFS, "migrations")
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
