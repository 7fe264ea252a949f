package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/gate"
)

// PutGatePolicies implements gate.Store.
func (db *DB) PutGatePolicies(ctx context.Context, section json.RawMessage) error {
	return db.putDocument(ctx, "gate_policies", "id", 1, "section", section, auditlog.Record{Action: "gate.policies", Kind: "gate", Object: "policies"})
}

// GatePolicies implements gate.Store.
func (db *DB) GatePolicies(ctx context.Context) (json.RawMessage, error) {
	return db.document(ctx, "gate_policies", "id", 1, "section")
}

// PutDecision implements gate.Store. The audit entry keeps the outcome and
// reasons; the full variables stay in the decision row.
func (db *DB) PutDecision(ctx context.Context, r *gate.Record) error {
	b, err := json.Marshal(r.Decision)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *auditTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gate_decisions (id, service, change, at, actor, outcome, introduced, removed, decision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.Service, r.Change, ts(r.At), r.Actor, r.Outcome, r.Introduced, r.Removed, string(b))
		if err != nil {
			return db.mapErr("store gate decision", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "gate.decide", Kind: "gate", Object: r.ID, After: map[string]any{
			"service": r.Service, "change": r.Change, "outcome": r.Outcome, "policy": r.Decision.Policy, "reasons": r.Decision.Reasons,
			"introduced": r.Introduced, "removed": r.Removed}})
	})
}

const gateColumns = `id, service, change, at, actor, outcome, introduced, removed, decision`

func scanGate(row interface{ Scan(...any) error }) (*gate.Record, error) {
	var r gate.Record
	var at, dec string
	if err := row.Scan(&r.ID, &r.Service, &r.Change, &at, &r.Actor, &r.Outcome, &r.Introduced, &r.Removed, &dec); err != nil {
		return nil, err
	}
	var err error
	if r.At, err = parseTS(at); err != nil {
		return nil, err
	}
	r.Decision = &gate.Decision{}
	if err := json.Unmarshal([]byte(dec), r.Decision); err != nil {
		return nil, err
	}
	return &r, nil
}

// Decisions implements gate.Store.
func (db *DB) Decisions(ctx context.Context, service, before string, limit int) ([]gate.Record, error) {
	q := `SELECT ` + gateColumns + ` FROM gate_decisions WHERE ($1 = '' OR service = $1)`
	args := []any{service}
	if before != "" {
		q += ` AND (at, id) < (SELECT at, id FROM gate_decisions WHERE id = $2)`
		args = append(args, before)
	}
	args = append(args, limit)
	q += ` ORDER BY at DESC, id DESC LIMIT $` + itoa(len(args))
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.mapErr("list gate decisions", err)
	}
	defer rows.Close()
	out := []gate.Record{}
	for rows.Next() {
		r, err := scanGate(rows)
		if err != nil {
			return nil, db.mapErr("read gate decision", err)
		}
		out = append(out, *r)
	}
	return out, db.mapErr("list gate decisions", rows.Err())
}

// Decision implements gate.Store.
func (db *DB) Decision(ctx context.Context, id string) (*gate.Record, error) {
	r, err := scanGate(db.db.QueryRowContext(ctx, `SELECT `+gateColumns+` FROM gate_decisions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "gate decision %q not found", id)
	}
	return r, db.mapErr("read gate decision", err)
}

var _ gate.Store = (*DB)(nil)
