package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/palisade-project/palisade/notify"
)

// Outbox statuses.
const (
	outboxPending = "pending"
	outboxSent    = "sent"
	outboxDead    = "dead"
)

// enqueue adds entries in tx; one whose (target, message id) is already
// there is skipped.
func enqueue(ctx context.Context, tx *sql.Tx, db *DB, entries []notify.Entry) (int, error) {
	added := 0
	for _, e := range entries {
		msg, err := json.Marshal(e.Message)
		if err != nil {
			return added, err
		}
		created, next := e.CreatedAt, e.NextAttempt
		if created.IsZero() {
			created = db.now()
		}
		if next.IsZero() {
			next = created
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, target, message_id, kind, message, status, next_at, created_at)
			VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM outbox), $1, $2, $3, $4, $5, $6, $7) ON CONFLICT (target, message_id) DO NOTHING`,
			e.Target, e.Message.ID, e.Message.Kind, string(msg), outboxPending, ts(next), ts(created))
		if err != nil {
			return added, db.mapErr("queue notification", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	return added, nil
}

// Enqueue implements notify.Enqueuer in a transaction of its own.
func (db *DB) Enqueue(ctx context.Context, entries ...notify.Entry) (int, error) {
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = enqueue(ctx, tx, db, entries)
		return err
	})
	return n, err
}

// Claim implements notify.OutboxStore. On PostgreSQL concurrent claims
// skip each other's rows (FOR UPDATE SKIP LOCKED) and the outer conditions
// are checked again on the locked row; SQLite runs one writer at a time.
// The rows are picked in a materialized CTE: as a plain IN (subquery),
// PostgreSQL may run the subquery more than once, and with SKIP LOCKED each
// run can return other rows, so that more than limit rows are claimed.
func (db *DB) Claim(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]notify.Entry, error) {
	lock := ""
	if db.dialect.engine == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	due := `status = 'pending' AND next_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)`
	var out []notify.Entry
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `WITH picked AS MATERIALIZED (SELECT id FROM outbox WHERE `+due+` ORDER BY next_at, id LIMIT $4`+lock+`)
			UPDATE outbox SET lease_holder = $1, lease_until = $3
			FROM picked WHERE outbox.id = picked.id AND `+due+`
			RETURNING outbox.id, target, message, attempts, next_at, created_at`, worker, ts(now), ts(now.Add(lease)), limit)
		if err != nil {
			return db.mapErr("claim notifications", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e notify.Entry
			var id int64
			var msg, next, created string
			if err := rows.Scan(&id, &e.Target, &msg, &e.Attempts, &next, &created); err != nil {
				return db.mapErr("claim notifications", err)
			}
			e.ID = strconv.FormatInt(id, 10)
			if err := decodeDoc("notification", msg, &e.Message); err != nil {
				return err
			}
			if e.NextAttempt, err = parseTS(next); err != nil {
				return err
			}
			if e.CreatedAt, err = parseTS(created); err != nil {
				return err
			}
			out = append(out, e)
		}
		return db.mapErr("claim notifications", rows.Err())
	})
	if err != nil {
		return nil, err
	}
	// RETURNING does not promise an order.
	slices.SortFunc(out, func(a, b notify.Entry) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		ai, _ := strconv.ParseInt(a.ID, 10, 64)
		bi, _ := strconv.ParseInt(b.ID, 10, 64)
		return cmp.Compare(ai, bi)
	})
	return out, nil
}

// finish records an outcome for an entry worker holds.
func (db *DB) finish(ctx context.Context, id, worker, set string, args ...any) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return notify.ErrLeaseLost
	}
	res, err := db.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, lease_holder = '', lease_until = NULL, `+set+`
		WHERE id = $1 AND status = 'pending' AND lease_holder = $2`, append([]any{n, worker}, args...)...)
	if err != nil {
		return db.mapErr("record notification outcome", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return notify.ErrLeaseLost
	}
	return nil
}

// Done implements notify.OutboxStore.
func (db *DB) Done(ctx context.Context, id, worker string, at time.Time) error {
	return db.finish(ctx, id, worker, `status = '`+outboxSent+`', finished_at = $3, last_error = ''`, ts(at))
}

// Retry implements notify.OutboxStore.
func (db *DB) Retry(ctx context.Context, id, worker string, at, next time.Time, errText string) error {
	return db.finish(ctx, id, worker, `next_at = $3, last_error = $4`, ts(next), errText)
}

// Fail implements notify.OutboxStore.
func (db *DB) Fail(ctx context.Context, id, worker string, at time.Time, errText string) error {
	return db.finish(ctx, id, worker, `status = '`+outboxDead+`', finished_at = $3, last_error = $4`, ts(at), errText)
}

// OutboxCounts returns how many outbox entries are in each status.
func (db *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, db.mapErr("count notifications", err)
	}
	defer rows.Close()
	out := map[string]int{outboxPending: 0, outboxSent: 0, outboxDead: 0}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, db.mapErr("count notifications", err)
		}
		out[status] = n
	}
	return out, db.mapErr("count notifications", rows.Err())
}

// OutboxItem is an outbox row as operators see it.
type OutboxItem struct {
	ID         string     `json:"id"`
	Target     string     `json:"target"`
	MessageID  string     `json:"messageId"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	NextAt     time.Time  `json:"nextAttempt"`
	CreatedAt  time.Time  `json:"createdAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	LastError  string     `json:"lastError,omitempty"`
}

// OutboxItems lists outbox rows, newest first, of one status or all.
func (db *DB) OutboxItems(ctx context.Context, status string, limit int) ([]OutboxItem, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, target, message_id, kind, message, status, attempts, next_at, created_at, finished_at, last_error
		FROM outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, db.mapErr("list notifications", err)
	}
	defer rows.Close()
	out := []OutboxItem{}
	for rows.Next() {
		var it OutboxItem
		var id int64
		var msg, next, created string
		var finished sql.NullString
		if err := rows.Scan(&id, &it.Target, &it.MessageID, &it.Kind, &msg, &it.Status, &it.Attempts, &next, &created, &finished, &it.LastError); err != nil {
			return nil, db.mapErr("list notifications", err)
		}
		it.ID = strconv.FormatInt(id, 10)
		var m notify.Message
		if err := decodeDoc("notification", msg, &m); err != nil {
			return nil, err
		}
		it.Title = m.Title
		if it.NextAt, err = parseTS(next); err != nil {
			return nil, err
		}
		if it.CreatedAt, err = parseTS(created); err != nil {
			return nil, err
		}
		if it.FinishedAt, err = parseNullTS(finished); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, db.mapErr("list notifications", rows.Err())
}

var (
	_ notify.OutboxStore = (*DB)(nil)
	_ notify.Enqueuer    = (*DB)(nil)
)
