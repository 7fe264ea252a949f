package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	// startSeq is the audit head's seq when the transaction began.
	startSeq int64
	dirty    bool
	// batchParams is how many parameters one multi-row statement takes
	// (see dialect.batchParams).
	batchParams int
	// batchedUpdates says whether many-row updates go in one statement
	// (see dialect.batchedUpdates).
	batchedUpdates bool
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
		atx := &auditTx{Tx: tx, actor: actor, at: db.now().UTC(), batchParams: db.dialect.batchParams(), batchedUpdates: db.dialect.engine == "postgres"}
		// Writing the head row first takes its lock on PostgreSQL for
		// the rest of the transaction.
		err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash`).Scan(&atx.head.Seq, &atx.head.Hash)
		if err != nil {
			return db.mapErr("lock audit head", err)
		}
		atx.startSeq = atx.head.Seq
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

// audit appends one entry per record to the chain, in order.
func (tx *auditTx) audit(ctx context.Context, recs ...auditlog.Record) error {
	rows := make([][]any, 0, len(recs))
	head := tx.head
	for _, rec := range recs {
		e, err := auditlog.NewEntry(head.Seq, head.Hash, tx.at, tx.actor, rec)
		if err != nil {
			return err
		}
		rows = append(rows, []any{e.Seq, ts(e.At), e.Actor, string(e.Role), e.Address, e.RequestID, e.Action, e.Kind, e.Object,
			nullJSON(e.Before), nullJSON(e.After), e.PrevHash, e.Hash})
		head = auditlog.Head{Seq: e.Seq, Hash: e.Hash}
	}
	if err := insertBatch(ctx, tx, "audit_log", auditColumns, "", rows); err != nil {
		return fmt.Errorf("append audit entries: %w", err)
	}
	if len(rows) > 0 {
		tx.head = head
		tx.dirty = true
	}
	return nil
}

// insertBatch inserts rows into table with multi-row statements of as
// many rows as the dialect's parameter budget allows; suffix is appended to
// each (ON CONFLICT ...). The statement for a full batch is prepared once
// and reused, so the engine parses it once per call, not once per batch.
func insertBatch(ctx context.Context, tx *auditTx, table, columns, suffix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, tx.batchParams/width)
	query := func(n int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		p := 0
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j := range width {
				if j > 0 {
					b.WriteByte(',')
				}
				p++
				b.WriteString("$" + strconv.Itoa(p))
			}
			b.WriteByte(')')
		}
		if suffix != "" {
			b.WriteString(" " + suffix)
		}
		return b.String()
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, per*width)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		var err error
		if len(chunk) == per && len(rows) > per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, query(per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, query(len(chunk)), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// inBatches runs prefix + "($1, $2, ...)" for keys in chunks.
func inBatches(ctx context.Context, tx *auditTx, prefix string, keys []any) error {
	for start := 0; start < len(keys); start += tx.batchParams {
		chunk := keys[start:min(start+tx.batchParams, len(keys))]
		ph := make([]string, len(chunk))
		for i := range chunk {
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		if _, err := tx.ExecContext(ctx, prefix+"("+strings.Join(ph, ",")+")", chunk...); err != nil {
			return err
		}
	}
	return nil
}

func nullJSON(b json.RawMessage) sql.NullString {
	if b == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(b), Valid: true}
}
