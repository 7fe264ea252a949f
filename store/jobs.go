package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/palisade-project/palisade/jobs"
)

// AcquireLease implements jobs.Store. The conditional upsert is one
// statement on both engines, so two replicas racing for a lease cannot both
// win: the loser's update matches no row.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := db.db.ExecContext(ctx, `INSERT INTO job_leases (name, holder, expires_at, started_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, started_at = excluded.started_at,
		finished_at = NULL, error = ''
		WHERE job_leases.expires_at <= $4`, name, holder, ts(until), ts(now))
	if err != nil {
		return false, db.mapErr("acquire lease "+name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, db.mapErr("acquire lease "+name, err)
}

// FinishLease implements jobs.Store.
func (db *DB) FinishLease(ctx context.Context, name, holder string, at time.Time, errText string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE job_leases SET finished_at = $1, error = $2 WHERE name = $3 AND holder = $4`, ts(at), errText, name, holder)
	return db.mapErr("finish lease "+name, err)
}

// Leases implements jobs.Store.
func (db *DB) Leases(ctx context.Context) ([]jobs.Lease, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, holder, expires_at, started_at, finished_at, error FROM job_leases ORDER BY name`)
	if err != nil {
		return nil, db.mapErr("list leases", err)
	}
	defer rows.Close()
	var out []jobs.Lease
	for rows.Next() {
		var l jobs.Lease
		var exp, start string
		var fin sql.NullString
		if err := rows.Scan(&l.Name, &l.Holder, &exp, &start, &fin, &l.Error); err != nil {
			return nil, db.mapErr("read lease", err)
		}
		if l.ExpiresAt, err = parseTS(exp); err != nil {
			return nil, err
		}
		if l.StartedAt, err = parseTS(start); err != nil {
			return nil, err
		}
		if l.FinishedAt, err = parseNullTS(fin); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, db.mapErr("list leases", rows.Err())
}
