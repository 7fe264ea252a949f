package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
)

const auditColumns = `seq, at, actor, role, address, request_id, action, kind, object, before, after, prev_hash, hash`

func scanAudit(rows *sql.Rows) (*auditlog.Entry, error) {
	var e auditlog.Entry
	var at, role string
	var before, after sql.NullString
	if err := rows.Scan(&e.Seq, &at, &e.Actor, &role, &e.Address, &e.RequestID, &e.Action, &e.Kind, &e.Object, &before, &after, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	var err error
	if e.At, err = parseTS(at); err != nil {
		return nil, err
	}
	e.Role = palisade.Role(role)
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return &e, nil
}

// ListAudit implements auditlog.Store.
func (db *DB) ListAudit(ctx context.Context, f auditlog.Filter) ([]auditlog.Entry, error) {
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Actor != "" {
		arg("actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// Prefix match without LIKE, whose escaping and case rules
			// differ between the engines.
			arg("substr(action, 1, "+itoa(len(f.Action))+") = ?", f.Action)
		} else {
			arg("action = ?", f.Action)
		}
	}
	if f.Kind != "" {
		arg("kind = ?", f.Kind)
	}
	if f.Object != "" {
		arg("object = ?", f.Object)
	}
	if !f.Since.IsZero() {
		arg("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		arg("at < ?", ts(f.Until))
	}
	if f.Before > 0 {
		arg("seq < ?", f.Before)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += ` ORDER BY seq DESC LIMIT $` + itoa(len(args))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.mapErr("list audit log", err)
	}
	defer rows.Close()
	out := []auditlog.Entry{}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, db.mapErr("read audit log", err)
		}
		out = append(out, *e)
	}
	return out, db.mapErr("read audit log", rows.Err())
}

// ScanAudit implements auditlog.Store. Entries are never updated, so
// reading the head first and then the entries up to it needs no snapshot:
// later appends are simply not looked at.
func (db *DB) ScanAudit(ctx context.Context, fn func(*auditlog.Entry) error) (auditlog.Head, error) {
	var head auditlog.Head
	if err := db.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		return head, db.mapErr("read audit head", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq <= $1 ORDER BY seq`, head.Seq)
	if err != nil {
		return head, db.mapErr("scan audit log", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return head, db.mapErr("read audit log", err)
		}
		if err := fn(e); err != nil {
			return head, err
		}
	}
	return head, db.mapErr("read audit log", rows.Err())
}

// AuditHead returns the chain's current head, for recording elsewhere.
func (db *DB) AuditHead(ctx context.Context) (auditlog.Head, error) {
	var head auditlog.Head
	err := db.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.Seq, &head.Hash)
	return head, db.mapErr("read audit head", err)
}
