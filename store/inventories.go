package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/vuln"
)

// PutInventory implements vuln.Store.
func (db *DB) PutInventory(ctx context.Context, inv *vuln.Inventory) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		var before *vuln.Inventory
		var prevDigest string
		var prevCount int
		err := tx.QueryRowContext(ctx, `SELECT digest, components FROM inventories WHERE service = $1`, inv.Service).Scan(&prevDigest, &prevCount)
		switch {
		case err == nil:
			before = &vuln.Inventory{Service: inv.Service, Digest: prevDigest}
		case !errors.Is(err, sql.ErrNoRows):
			return db.mapErr("read inventory", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM inventories WHERE service = $1`, inv.Service); err != nil {
			return db.mapErr("replace inventory", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO inventories (service, format, source, digest, components, warnings, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			inv.Service, inv.Format, inv.Source, inv.Digest, len(inv.Components), jsonList(inv.Warnings), ts(inv.RecordedAt))
		if err != nil {
			return db.mapErr("store inventory of "+inv.Service, err)
		}
		rows := make([][]any, 0, len(inv.Components))
		for _, c := range inv.Components {
			rows = append(rows, []any{inv.Service, c.Purl, c.Ecosystem, c.Package().Ecosystem, c.Name, c.Version})
		}
		if err := insertBatch(ctx, tx, "inventory_components", "service, purl, ecosystem, base, name, version", "ON CONFLICT (service, purl) DO NOTHING", rows); err != nil {
			return db.mapErr("store inventory components", err)
		}
		after := map[string]any{"format": inv.Format, "source": inv.Source, "digest": inv.Digest, "components": len(inv.Components)}
		rec := auditlog.Record{Action: "inventory.record", Kind: "inventory", Object: inv.Service, After: after}
		if before != nil {
			rec.Before = map[string]any{"digest": prevDigest, "components": prevCount}
		}
		return tx.audit(ctx, rec)
	})
}

// Inventory implements vuln.Store.
func (db *DB) Inventory(ctx context.Context, service string) (*vuln.Inventory, error) {
	inv := &vuln.Inventory{Service: service}
	var at, warnings string
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT format, source, digest, components, warnings, recorded_at FROM inventories WHERE service = $1`, service).
		Scan(&inv.Format, &inv.Source, &inv.Digest, &n, &warnings, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "service %q has no inventory yet", service)
	} else if err != nil {
		return nil, db.mapErr("read inventory", err)
	}
	if inv.RecordedAt, err = parseTS(at); err != nil {
		return nil, err
	}
	if inv.Warnings, err = parseList(warnings); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT purl, ecosystem, name, version FROM inventory_components WHERE service = $1 ORDER BY purl`, service)
	if err != nil {
		return nil, db.mapErr("read inventory", err)
	}
	defer rows.Close()
	inv.Components = make([]vuln.Component, 0, n)
	for rows.Next() {
		var c vuln.Component
		if err := rows.Scan(&c.Purl, &c.Ecosystem, &c.Name, &c.Version); err != nil {
			return nil, db.mapErr("read inventory", err)
		}
		inv.Components = append(inv.Components, c)
	}
	return inv, db.mapErr("read inventory", rows.Err())
}

// InventoryTimes implements vuln.Store.
func (db *DB) InventoryTimes(ctx context.Context) (map[string]time.Time, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT s.name, i.recorded_at FROM services s LEFT JOIN inventories i ON i.service = s.name`)
	if err != nil {
		return nil, db.mapErr("read inventories", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var at sql.NullString
		if err := rows.Scan(&name, &at); err != nil {
			return nil, db.mapErr("read inventories", err)
		}
		t, err := parseNullTS(at)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out[name] = *t
		} else {
			out[name] = time.Time{}
		}
	}
	return out, db.mapErr("read inventories", rows.Err())
}

// ComponentsOf implements vuln.Store.
func (db *DB) ComponentsOf(ctx context.Context, pkgs []vuln.Package) ([]vuln.ServiceComponent, error) {
	byEco := map[string][]any{}
	for _, p := range pkgs {
		byEco[p.Ecosystem] = append(byEco[p.Ecosystem], p.Name)
	}
	var out []vuln.ServiceComponent
	for eco, names := range byEco {
		err := queryIn(ctx, db.db, `SELECT service, purl, ecosystem, name, version FROM inventory_components WHERE base = $1 AND name IN `, []any{eco}, names,
			func(rows *sql.Rows) error {
				var c vuln.ServiceComponent
				if err := rows.Scan(&c.Service, &c.Purl, &c.Ecosystem, &c.Name, &c.Version); err != nil {
					return err
				}
				out = append(out, c)
				return nil
			})
		if err != nil {
			return nil, db.mapErr("find components", err)
		}
	}
	return out, nil
}

// ServiceTiers implements vuln.Store.
func (db *DB) ServiceTiers(ctx context.Context) (map[string]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, tier FROM services`)
	if err != nil {
		return nil, db.mapErr("read tiers", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var n string
		var t int
		if err := rows.Scan(&n, &t); err != nil {
			return nil, db.mapErr("read tiers", err)
		}
		out[n] = t
	}
	return out, db.mapErr("read tiers", rows.Err())
}

// Policy implements vuln.Store.
func (db *DB) Policy(ctx context.Context) (*vuln.Policy, error) {
	var raw string
	err := db.db.QueryRowContext(ctx, `SELECT policy FROM vuln_policy WHERE id = 1`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return vuln.DefaultPolicy(), nil
	} else if err != nil {
		return nil, db.mapErr("read policy", err)
	}
	p := &vuln.Policy{}
	if err := json.Unmarshal([]byte(raw), p); err != nil {
		return nil, db.mapErr("read policy", err)
	}
	return p, nil
}

// SetPolicy implements vuln.Store.
func (db *DB) SetPolicy(ctx context.Context, p *vuln.Policy) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		var raw string
		err := tx.QueryRowContext(ctx, `SELECT policy FROM vuln_policy WHERE id = 1`).Scan(&raw)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return db.mapErr("read policy", err)
		}
		b, _ := json.Marshal(p)
		if raw == string(b) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO vuln_policy (id, policy, updated_at) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`, string(b), ts(tx.at)); err != nil {
			return db.mapErr("store policy", err)
		}
		rec := auditlog.Record{Action: "policy.update", Kind: "policy", Object: "remediation", After: json.RawMessage(b)}
		if raw != "" {
			rec.Before = json.RawMessage(raw)
		}
		return tx.audit(ctx, rec)
	})
}

// PutSnapshots implements vuln.Store. A day's snapshot is replaced when the
// job runs again that day, so the last run of the day wins.
func (db *DB) PutSnapshots(ctx context.Context, day time.Time, byScope map[string]vuln.Metrics) error {
	d := day.UTC().Format(time.DateOnly)
	rows := make([][]any, 0, len(byScope))
	for scope, m := range byScope {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		rows = append(rows, []any{d, scope, string(b)})
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return db.mapErr("begin", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM vuln_snapshots WHERE day = $1`, d); err != nil {
		return db.mapErr("replace snapshots", err)
	}
	atx := &auditTx{Tx: tx, batchParams: db.dialect.batchParams()}
	if err := insertBatch(ctx, atx, "vuln_snapshots", "day, scope, metrics", "", rows); err != nil {
		return db.mapErr("store snapshots", err)
	}
	return db.mapErr("commit snapshots", tx.Commit())
}

// Snapshots implements vuln.Store.
func (db *DB) Snapshots(ctx context.Context, scope string, from, to time.Time) ([]vuln.Metrics, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT metrics FROM vuln_snapshots WHERE scope = $1 AND day >= $2 AND day <= $3 ORDER BY day`,
		scope, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return nil, db.mapErr("read snapshots", err)
	}
	defer rows.Close()
	var out []vuln.Metrics
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, db.mapErr("read snapshots", err)
		}
		var m vuln.Metrics
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, db.mapErr("read snapshots", err)
		}
		out = append(out, m)
	}
	return out, db.mapErr("read snapshots", rows.Err())
}

var _ vuln.Store = (*DB)(nil)
