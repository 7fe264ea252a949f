package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
)

// ConfigSection implements catalog.SectionStore: the stored section, or
// nil.
func (db *DB) ConfigSection(ctx context.Context, name string) (json.RawMessage, error) {
	return db.document(ctx, "config_sections", "name", name, "section")
}

// ConfigSections reads several sections in one query; a section not
// stored is missing from the map.
func (db *DB) ConfigSections(ctx context.Context, names ...string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, len(names))
	marks := make([]string, len(names))
	for i, n := range names {
		args[i], marks[i] = n, "$"+itoa(i+1)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT name, section FROM config_sections WHERE name IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, db.mapErr("read config_sections", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, section string
		if err := rows.Scan(&name, &section); err != nil {
			return nil, db.mapErr("read config_sections", err)
		}
		out[name] = json.RawMessage(section)
	}
	return out, db.mapErr("read config_sections", rows.Err())
}

// PutConfigSection implements catalog.SectionStore.
func (db *DB) PutConfigSection(ctx context.Context, name string, section json.RawMessage) error {
	return db.putDocument(ctx, "config_sections", "name", name, "section", section,
		auditlog.Record{Action: "config.section", Kind: "section", Object: name})
}

// document reads the JSON column col of the row of table whose keyCol is
// key; nil when there is no such row.
func (db *DB) document(ctx context.Context, table, keyCol string, key any, col string) (json.RawMessage, error) {
	var s string
	err := db.db.QueryRowContext(ctx, `SELECT `+col+` FROM `+table+` WHERE `+keyCol+` = $1`, key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return json.RawMessage(s), db.mapErr("read "+table, err)
}

// putDocument stores value in that row and audits the change with rec
// (before and after filled in); storing what is there already changes
// nothing.
func (db *DB) putDocument(ctx context.Context, table, keyCol string, key any, col string, value json.RawMessage, rec auditlog.Record) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT `+col+` FROM `+table+` WHERE `+keyCol+` = $1`, key).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return db.mapErr("read "+table, err)
		}
		if before == string(value) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+keyCol+`, `+col+`, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (`+keyCol+`) DO UPDATE SET `+col+` = excluded.`+col+`, updated_at = excluded.updated_at`, key, string(value), ts(tx.at)); err != nil {
			return db.mapErr("store "+table, err)
		}
		rec.After = value
		if before != "" {
			rec.Before = json.RawMessage(before)
		}
		return tx.audit(ctx, rec)
	})
}

var _ catalog.SectionStore = (*DB)(nil)
