package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/slo"
)

// PutSLOs implements slo.Store.
func (db *DB) PutSLOs(ctx context.Context, slos []*slo.SLO, prune bool) (created, updated, deleted int, err error) {
	err = db.writeTx(ctx, func(tx *auditTx) error {
		created, updated, deleted = 0, 0, 0
		current := map[string]string{}
		rows, err := tx.QueryContext(ctx, `SELECT name, spec FROM slos`)
		if err != nil {
			return db.mapErr("read SLOs", err)
		}
		for rows.Next() {
			var n, s string
			if err := rows.Scan(&n, &s); err != nil {
				rows.Close()
				return db.mapErr("read SLOs", err)
			}
			current[n] = s
		}
		rows.Close()
		declared := map[string]bool{}
		for _, o := range slos {
			declared[o.Name] = true
			spec, err := json.Marshal(o)
			if err != nil {
				return err
			}
			before, exists := current[o.Name]
			if exists && before == string(spec) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO slos (name, service, spec, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
				ON CONFLICT (name) DO UPDATE SET service = excluded.service, spec = excluded.spec, updated_at = excluded.updated_at`,
				o.Name, o.Service, string(spec), ts(tx.at)); err != nil {
				return db.mapErr("SLO "+o.Name, err)
			}
			rec := auditlog.Record{Action: "slo.create", Kind: "slo", Object: o.Name, After: json.RawMessage(spec)}
			if exists {
				rec.Action, rec.Before = "slo.update", json.RawMessage(before)
				updated++
			} else {
				created++
			}
			if err := tx.audit(ctx, rec); err != nil {
				return err
			}
		}
		if prune {
			for name, before := range current {
				if declared[name] {
					continue
				}
				if err := deleteSLO(ctx, tx, name); err != nil {
					return db.mapErr("delete SLO "+name, err)
				}
				if err := tx.audit(ctx, auditlog.Record{Action: "slo.delete", Kind: "slo", Object: name, Before: json.RawMessage(before)}); err != nil {
					return err
				}
				deleted++
			}
		}
		return nil
	})
	return created, updated, deleted, err
}

func deleteSLO(ctx context.Context, tx *auditTx, name string) error {
	for _, q := range []string{`DELETE FROM slo_event_ids WHERE slo = $1`, `DELETE FROM slos WHERE name = $1`} {
		if _, err := tx.ExecContext(ctx, q, name); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSLO implements slo.Store.
func (db *DB) DeleteSLO(ctx context.Context, name string) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		var spec string
		err := tx.QueryRowContext(ctx, `SELECT spec FROM slos WHERE name = $1`, name).Scan(&spec)
		if errors.Is(err, sql.ErrNoRows) {
			return palisade.Errorf(palisade.ENOTFOUND, "SLO %q not found", name)
		} else if err != nil {
			return db.mapErr("read SLO", err)
		}
		if err := deleteSLO(ctx, tx, name); err != nil {
			return db.mapErr("delete SLO", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "slo.delete", Kind: "slo", Object: name, Before: json.RawMessage(spec)})
	})
}

func scanSLO(spec string) (*slo.SLO, error) {
	var o slo.SLO
	if err := json.Unmarshal([]byte(spec), &o); err != nil {
		return nil, fmt.Errorf("stored SLO: %w", err)
	}
	return &o, nil
}

// SLOs implements slo.Store.
func (db *DB) SLOs(ctx context.Context) ([]*slo.SLO, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT spec FROM slos ORDER BY name`)
	if err != nil {
		return nil, db.mapErr("list SLOs", err)
	}
	defer rows.Close()
	var out []*slo.SLO
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return nil, db.mapErr("list SLOs", err)
		}
		o, err := scanSLO(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, db.mapErr("list SLOs", rows.Err())
}

// SLO implements slo.Store.
func (db *DB) SLO(ctx context.Context, name string) (*slo.SLO, error) {
	var spec string
	err := db.db.QueryRowContext(ctx, `SELECT spec FROM slos WHERE name = $1`, name).Scan(&spec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "SLO %q not found", name)
	} else if err != nil {
		return nil, db.mapErr("read SLO", err)
	}
	return scanSLO(spec)
}

// AddEvents implements slo.Store. Pushed data is measurement, not anyone's
// decision: it is not audited (the SLO definition is).
func (db *DB) AddEvents(ctx context.Context, name string, events []slo.Event, width time.Duration, now time.Time) (int, error) {
	counted := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		atx := &auditTx{Tx: tx, batchParams: db.dialect.batchParams()}
		// Drop the events whose id was seen: insert the ids, learn which
		// were new.
		seen := map[string]bool{}
		var ids [][]any
		for _, e := range events {
			if e.ID != "" && !seen[e.ID] {
				seen[e.ID] = true
				ids = append(ids, []any{name, e.ID, now.Unix()})
			}
		}
		fresh := map[string]bool{}
		if len(ids) > 0 {
			if err := insertReturning(ctx, atx, "slo_event_ids", "slo, id, at", "ON CONFLICT (slo, id) DO NOTHING", "id", ids, func(id string) { fresh[id] = true }); err != nil {
				return db.mapErr("record event ids", err)
			}
		}
		w := int64(width / time.Second)
		sums := map[int64]slo.Counts{}
		used := map[string]bool{}
		for _, e := range events {
			if e.ID != "" {
				if !fresh[e.ID] || used[e.ID] {
					continue
				}
				used[e.ID] = true
			}
			start := e.Time.Unix() - e.Time.Unix()%w
			sums[start] = sums[start].Add(slo.Counts{Good: e.Good, Total: e.Total})
			counted++
		}
		if len(sums) == 0 {
			return nil
		}
		var version int64
		if err := tx.QueryRowContext(ctx, `UPDATE slo_bucket_clock SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
			return db.mapErr("bucket clock", err)
		}
		rows := make([][]any, 0, len(sums))
		for start, c := range sums {
			rows = append(rows, []any{name, start, w, c.Good, c.Total, version})
		}
		err := insertBatch(ctx, atx, "slo_buckets", "slo, start, width, good, total, version",
			"ON CONFLICT (slo, start, width) DO UPDATE SET good = slo_buckets.good + excluded.good, total = slo_buckets.total + excluded.total, version = excluded.version", rows)
		return db.mapErr("add events", err)
	})
	return counted, err
}

// insertReturning inserts rows in batches and calls fn with the returned
// column of each row actually inserted.
func insertReturning(ctx context.Context, tx *auditTx, table, columns, suffix, returning string, rows [][]any, fn func(string)) error {
	width := len(rows[0])
	per := max(1, tx.batchParams/width)
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*width)
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		for i, r := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(placeholders(width, len(args)+1))
			args = append(args, r...)
		}
		q.WriteString(" " + suffix + " RETURNING " + returning)
		rs, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			var v string
			if err := rs.Scan(&v); err != nil {
				rs.Close()
				return err
			}
			fn(v)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
	}
	return nil
}

// BucketsChanged implements slo.Store. The watermark is a version number
// carried in a time value (nanoseconds since the epoch = version), so the
// slo package need not know how the store orders changes.
func (db *DB) BucketsChanged(ctx context.Context, since time.Time) ([]slo.Bucket, time.Time, error) {
	var after int64
	if !since.IsZero() {
		after = since.UnixNano()
	}
	var current int64
	if err := db.db.QueryRowContext(ctx, `SELECT version FROM slo_bucket_clock WHERE id = 1`).Scan(&current); err != nil {
		return nil, since, db.mapErr("bucket clock", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT slo, start, width, good, total FROM slo_buckets WHERE version > $1 AND version <= $2`, after, current)
	if err != nil {
		return nil, since, db.mapErr("read buckets", err)
	}
	defer rows.Close()
	var out []slo.Bucket
	for rows.Next() {
		var b slo.Bucket
		var start, width int64
		if err := rows.Scan(&b.SLO, &start, &width, &b.Good, &b.Total); err != nil {
			return nil, since, db.mapErr("read buckets", err)
		}
		b.Start, b.Width = time.Unix(start, 0).UTC(), time.Duration(width)*time.Second
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, since, db.mapErr("read buckets", err)
	}
	return out, time.Unix(0, current), nil
}

// Compact implements slo.Store: fine buckets older than before are added
// into coarse ones (sums are additive), and the fine rows are removed —
// reported to evaluators as zero buckets with a new version so caches drop
// them.
func (db *DB) Compact(ctx context.Context, before time.Time, width time.Duration, expire time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		w := int64(width / time.Second)
		cut := before.Unix()
		var version int64
		if err := tx.QueryRowContext(ctx, `UPDATE slo_bucket_clock SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&version); err != nil {
			return db.mapErr("bucket clock", err)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO slo_buckets (slo, start, width, good, total, version)
				SELECT slo, start - start % $1, $1, sum(good), sum(total), $2 FROM slo_buckets WHERE width < $1 AND start < $3
				GROUP BY slo, start - start % $1
				ON CONFLICT (slo, start, width) DO UPDATE SET good = slo_buckets.good + excluded.good, total = slo_buckets.total + excluded.total, version = excluded.version`,
				[]any{w, version, cut}},
			// Zeroed rather than deleted, so evaluators see them go; the
			// next compaction deletes zeroed rows it has published.
			{`DELETE FROM slo_buckets WHERE width < $1 AND start < $2 AND good = 0 AND total = 0 AND version < $3`, []any{w, cut, version}},
			{`UPDATE slo_buckets SET good = 0, total = 0, version = $1 WHERE width < $2 AND start < $3`, []any{version, w, cut}},
			{`DELETE FROM slo_buckets WHERE start < $1`, []any{expire.Unix()}},
			{`DELETE FROM slo_event_ids WHERE at < $1`, []any{before.Add(-slo.EventIDRetention + slo.FineRetention).Unix()}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return db.mapErr("compact buckets", err)
			}
		}
		return nil
	})
}

// AddChecks implements slo.Store: a result equal to the current state only
// moves last_seen; a different one records a transition.
func (db *DB) AddChecks(ctx context.Context, results []slo.CheckResult) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range results {
			var ok bool
			var lastSeen string
			err := tx.QueryRowContext(ctx, `SELECT ok, last_seen FROM control_state WHERE service = $1 AND name = $2`, r.Service, r.Check).Scan(&ok, &lastSeen)
			at := ts(r.Time)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO control_state (service, name, ok, since, last_seen) VALUES ($1, $2, $3, $4, $4)`, r.Service, r.Check, r.OK, at); err != nil {
					return db.mapErr("record check", err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO control_transitions (service, name, at, ok) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, r.Service, r.Check, at, r.OK); err != nil {
					return db.mapErr("record check", err)
				}
			case err != nil:
				return db.mapErr("read check", err)
			case at < lastSeen:
				// Late results do not rewrite history.
			case ok == r.OK:
				if _, err := tx.ExecContext(ctx, `UPDATE control_state SET last_seen = $1 WHERE service = $2 AND name = $3`, at, r.Service, r.Check); err != nil {
					return db.mapErr("record check", err)
				}
			default:
				if _, err := tx.ExecContext(ctx, `UPDATE control_state SET ok = $1, since = $2, last_seen = $2 WHERE service = $3 AND name = $4`, r.OK, at, r.Service, r.Check); err != nil {
					return db.mapErr("record check", err)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO control_transitions (service, name, at, ok) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, r.Service, r.Check, at, r.OK); err != nil {
					return db.mapErr("record check", err)
				}
			}
		}
		return nil
	})
}

// ControlHistory implements slo.Store.
func (db *DB) ControlHistory(ctx context.Context, service, check string, since time.Time) (*slo.ControlHistory, error) {
	h := &slo.ControlHistory{}
	var last string
	err := db.db.QueryRowContext(ctx, `SELECT last_seen FROM control_state WHERE service = $1 AND name = $2`, service, check).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	} else if err != nil {
		return nil, db.mapErr("read check", err)
	}
	if h.LastSeen, err = parseTS(last); err != nil {
		return nil, err
	}
	var before bool
	err = db.db.QueryRowContext(ctx, `SELECT ok FROM control_transitions WHERE service = $1 AND name = $2 AND at < $3 ORDER BY at DESC LIMIT 1`,
		service, check, ts(since)).Scan(&before)
	switch {
	case err == nil:
		h.Before = &before
	case !errors.Is(err, sql.ErrNoRows):
		return nil, db.mapErr("read check", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT at, ok FROM control_transitions WHERE service = $1 AND name = $2 AND at >= $3 ORDER BY at`, service, check, ts(since))
	if err != nil {
		return nil, db.mapErr("read check", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at string
		var t slo.Transition
		if err := rows.Scan(&at, &t.OK); err != nil {
			return nil, db.mapErr("read check", err)
		}
		if t.At, err = parseTS(at); err != nil {
			return nil, err
		}
		h.Transitions = append(h.Transitions, t)
	}
	return h, db.mapErr("read check", rows.Err())
}

// PutStatuses implements slo.Store.
func (db *DB) PutStatuses(ctx context.Context, sts []slo.Status) error {
	if len(sts) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(sts))
	for _, st := range sts {
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		rows = append(rows, []any{st.Name, ts(st.At), string(b)})
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		atx := &auditTx{Tx: tx, batchParams: db.dialect.batchParams()}
		err := insertBatch(ctx, atx, "slo_status", "slo, at, status", "ON CONFLICT (slo) DO UPDATE SET at = excluded.at, status = excluded.status", rows)
		if db.dialect.isForeignKey(err) {
			return nil // an SLO deleted during the evaluation
		}
		return db.mapErr("store SLO statuses", err)
	})
}

// Statuses implements slo.Store.
func (db *DB) Statuses(ctx context.Context) ([]slo.Status, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT status FROM slo_status`)
	if err != nil {
		return nil, db.mapErr("read SLO statuses", err)
	}
	defer rows.Close()
	var out []slo.Status
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, db.mapErr("read SLO statuses", err)
		}
		var st slo.Status
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return nil, db.mapErr("read SLO statuses", err)
		}
		out = append(out, st)
	}
	return out, db.mapErr("read SLO statuses", rows.Err())
}

// Alerts implements slo.Store.
func (db *DB) Alerts(ctx context.Context) ([]slo.AlertState, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT slo, key, firing_at FROM slo_alerts WHERE resolved_at IS NULL`)
	if err != nil {
		return nil, db.mapErr("read SLO alerts", err)
	}
	defer rows.Close()
	var out []slo.AlertState
	for rows.Next() {
		var a slo.AlertState
		var at string
		if err := rows.Scan(&a.SLO, &a.Key, &at); err != nil {
			return nil, db.mapErr("read SLO alerts", err)
		}
		if a.FiringAt, err = parseTS(at); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, db.mapErr("read SLO alerts", rows.Err())
}

// PutAlerts implements slo.Store.
func (db *DB) PutAlerts(ctx context.Context, fired, resolved []slo.AlertState) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, a := range fired {
			if _, err := tx.ExecContext(ctx, `INSERT INTO slo_alerts (slo, key, firing_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, a.SLO, a.Key, ts(a.FiringAt)); err != nil {
				if db.dialect.isForeignKey(err) {
					continue
				}
				return db.mapErr("record SLO alert", err)
			}
		}
		for _, a := range resolved {
			if _, err := tx.ExecContext(ctx, `UPDATE slo_alerts SET resolved_at = $1 WHERE slo = $2 AND key = $3 AND resolved_at IS NULL`, nullTS(a.ResolvedAt), a.SLO, a.Key); err != nil {
				return db.mapErr("resolve SLO alert", err)
			}
		}
		return nil
	})
}

var _ slo.Store = (*DB)(nil)
