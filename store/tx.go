package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
)

// timeLayout is how times are stored: fixed width, so text order is time
// order on both engines.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTS(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: ts(*t), Valid: true}
}

func parseTS(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseNullTS(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTS(s.String)
	return &t, err
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

func parseList(s string) ([]string, error) {
	l := []string{}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("stored list %q: %w", s, err)
	}
	return l, nil
}

// tx runs fn in one transaction and commits when fn returns nil.
// On SQLite every transaction takes the write lock (immediate), so prefer
// single statements for reads.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return db.mapErr("begin", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.mapErr("commit", err)
	}
	return nil
}

// auditTx is a write transaction that appends audit entries as it goes.
type auditTx struct {
	*sql.Tx
	actor palisade.Actor
	at    time.Time
	head  auditlog.Head
	dirty bool
}

// writeTx runs fn in a write transaction with the audit chain's head locked,
// so that audited changes from several replicas append one after another.
// The context must carry the actor: a change nobody made is a bug.
func (db *DB) writeTx(ctx context.Context, fn func(tx *auditTx) error) error {
	actor, ok := palisade.ActorFrom(ctx)
	if !ok {
		return palisade.Errorf(palisade.EINTERNAL, "change without an actor")
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		atx := &auditTx{Tx: tx, actor: actor, at: db.now().UTC()}
		// Writing the head row first takes its lock on PostgreSQL for
		// the rest of the transaction.
		err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash`).Scan(&atx.head.Seq, &atx.head.Hash)
		if err != nil {
			return db.mapErr("lock audit head", err)
		}
		if err := fn(atx); err != nil {
			return err
		}
		if atx.dirty {
			if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, atx.head.Seq, atx.head.Hash); err != nil {
				return db.mapErr("update audit head", err)
			}
		}
		return nil
	})
}

// audit appends one entry for rec to the chain.
func (tx *auditTx) audit(ctx context.Context, rec auditlog.Record) error {
	e, err := auditlog.NewEntry(tx.head.Seq, tx.head.Hash, tx.at, tx.actor, rec)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, role, address, request_id, action, kind, object, before, after, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.Seq, ts(e.At), e.Actor, string(e.Role), e.Address, e.RequestID, e.Action, e.Kind, e.Object,
		nullJSON(e.Before), nullJSON(e.After), e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("append audit entry %d: %w", e.Seq, err)
	}
	tx.head = auditlog.Head{Seq: e.Seq, Hash: e.Hash}
	tx.dirty = true
	return nil
}

func nullJSON(b json.RawMessage) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}
