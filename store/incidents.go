package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/notify"
)

// incidentTx implements incident.Tx over one audited write transaction.
type incidentTx struct {
	ctx       context.Context
	db        *DB
	tx        *auditTx
	nextAlert int64
}

// WriteIncidents implements incident.Store.
func (db *DB) WriteIncidents(ctx context.Context, fn func(tx incident.Tx) error) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		return fn(&incidentTx{ctx: ctx, db: db, tx: tx})
	})
}

func incidentNum(id string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "INC-"), 10, 64)
	return n, err == nil && strings.HasPrefix(id, "INC-") && n > 0
}

func (t *incidentTx) Alert(source, key string) (*incident.Alert, error) {
	var doc string
	err := t.tx.QueryRowContext(t.ctx, `SELECT doc FROM alerts WHERE source = $1 AND dedup_key = $2`, source, key).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, t.db.mapErr("read alert", err)
	}
	a := &incident.Alert{}
	return a, decodeDoc("alert", doc, a)
}

func decodeDoc(what, doc string, v any) error {
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("stored %s: %w", what, err)
	}
	return nil
}

func (t *incidentTx) PutAlert(a *incident.Alert) error {
	if a.ID == 0 {
		if t.nextAlert == 0 {
			if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM alerts`).Scan(&t.nextAlert); err != nil {
				return t.db.mapErr("number alert", err)
			}
		}
		a.ID = t.nextAlert
		t.nextAlert++
		doc, err := json.Marshal(a)
		if err != nil {
			return err
		}
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO alerts (id, source, dedup_key, status, severity, service, incident, last_seen, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, a.ID, a.Source, a.DedupKey, a.Status, a.Severity, a.Service, a.IncidentID, ts(a.LastSeen), string(doc))
		return t.db.mapErr("store alert", err)
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `UPDATE alerts SET status = $2, severity = $3, service = $4, incident = $5, last_seen = $6, doc = $7 WHERE id = $1`,
		a.ID, a.Status, a.Severity, a.Service, a.IncidentID, ts(a.LastSeen), string(doc))
	return t.db.mapErr("store alert", err)
}

func (t *incidentTx) Incident(id string) (*incident.Incident, error) {
	return t.db.incident(t.ctx, t.tx, id)
}

func (db *DB) incident(ctx context.Context, q queryer, id string) (*incident.Incident, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM incidents WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
	}
	if err != nil {
		return nil, db.mapErr("read incident", err)
	}
	inc := &incident.Incident{}
	return inc, decodeDoc("incident", doc, inc)
}

var openStatuses = `('` + incident.StatusTriage + `', '` + incident.StatusActive + `', '` + incident.StatusMitigated + `')`

func (t *incidentTx) OpenIncident(service, kind string) (*incident.Incident, error) {
	var doc string
	err := t.tx.QueryRowContext(t.ctx, `SELECT i.doc FROM incidents i JOIN incident_services s ON s.incident = i.num
		WHERE s.service = $1 AND i.kind = $2 AND i.status IN `+openStatuses+` ORDER BY i.num DESC LIMIT 1`, service, kind).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, t.db.mapErr("find open incident", err)
	}
	inc := &incident.Incident{}
	return inc, decodeDoc("incident", doc, inc)
}

func (t *incidentTx) CreateIncident(inc *incident.Incident) error {
	var num int64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(num), 0) + 1 FROM incidents`).Scan(&num); err != nil {
		return t.db.mapErr("number incident", err)
	}
	inc.ID = "INC-" + strconv.FormatInt(num, 10)
	doc, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO incidents (num, id, status, severity, kind, team, title, restricted, opened_at, updated_at, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, num, inc.ID, inc.Status, inc.Severity, inc.Kind, inc.Team, inc.Title, inc.Restricted,
		ts(inc.OpenedAt), ts(inc.UpdatedAt), string(doc)); err != nil {
		return t.db.mapErr("store incident", err)
	}
	if err := t.syncServices(num, nil, inc.Services); err != nil {
		return err
	}
	return t.tx.audit(t.ctx, auditlog.Record{Action: "incident.open", Kind: "incident", Object: inc.ID, After: json.RawMessage(doc)})
}

func (t *incidentTx) syncServices(num int64, before, after []string) error {
	for _, s := range before {
		if !slices.Contains(after, s) {
			if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM incident_services WHERE service = $1 AND incident = $2`, s, num); err != nil {
				return t.db.mapErr("unlink service", err)
			}
		}
	}
	for _, s := range after {
		if !slices.Contains(before, s) {
			if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO incident_services (service, incident) VALUES ($1, $2) ON CONFLICT DO NOTHING`, s, num); err != nil {
				return t.db.mapErr("link service", err)
			}
		}
	}
	return nil
}

// UpdateIncident stores after; the audit log records the change unless
// only the alert count and update time moved (alerts joining are on the
// timeline).
func (t *incidentTx) UpdateIncident(before, after *incident.Incident) error {
	num, ok := incidentNum(after.ID)
	if !ok {
		return palisade.Errorf(palisade.EINTERNAL, "incident id %q", after.ID)
	}
	doc, err := json.Marshal(after)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE incidents SET status = $2, severity = $3, kind = $4, team = $5, title = $6, restricted = $7,
		updated_at = $8, doc = $9 WHERE num = $1`, num, after.Status, after.Severity, after.Kind, after.Team, after.Title, after.Restricted,
		ts(after.UpdatedAt), string(doc))
	if err != nil {
		return t.db.mapErr("store incident", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", after.ID)
	}
	if err := t.syncServices(num, before.Services, after.Services); err != nil {
		return err
	}
	b, a := *before, *after
	b.Alerts, b.UpdatedAt, a.Alerts, a.UpdatedAt = 0, time.Time{}, 0, time.Time{}
	bj, _ := json.Marshal(b)
	aj, _ := json.Marshal(a)
	if string(bj) == string(aj) {
		return nil
	}
	return t.tx.audit(t.ctx, auditlog.Record{Action: "incident.update", Kind: "incident", Object: after.ID, Before: bj, After: aj})
}

func (t *incidentTx) AddEntries(id string, entries ...incident.Entry) error {
	num, ok := incidentNum(id)
	if !ok || len(entries) == 0 {
		return nil
	}
	var seq int64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(seq), 0) FROM incident_timeline WHERE incident = $1`, num).Scan(&seq); err != nil {
		return t.db.mapErr("read timeline", err)
	}
	rows := make([][]any, len(entries))
	for i, e := range entries {
		seq++
		rows[i] = []any{num, seq, ts(e.At), e.Kind, e.Actor, e.Text}
		if e.Kind == "note" {
			if err := t.tx.audit(t.ctx, auditlog.Record{Action: "incident.note", Kind: "incident", Object: id, After: map[string]any{"seq": seq, "text": e.Text}}); err != nil {
				return err
			}
		}
	}
	return t.db.mapErr("append timeline", insertBatch(t.ctx, t.tx, "incident_timeline", "incident, seq, at, kind, actor, text", "", rows))
}

func (t *incidentTx) Enqueue(entries ...notify.Entry) error {
	_, err := enqueue(t.ctx, t.tx.Tx, t.db, entries)
	return err
}

func (t *incidentTx) MoveAlerts(from, to string) (int, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT doc FROM alerts WHERE incident = $1`, from)
	if err != nil {
		return 0, t.db.mapErr("read alerts", err)
	}
	var alerts []*incident.Alert
	for rows.Next() {
		var doc string
		a := &incident.Alert{}
		if err := rows.Scan(&doc); err != nil {
			rows.Close()
			return 0, t.db.mapErr("read alerts", err)
		}
		if err := decodeDoc("alert", doc, a); err != nil {
			rows.Close()
			return 0, err
		}
		alerts = append(alerts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, t.db.mapErr("read alerts", err)
	}
	for _, a := range alerts {
		a.IncidentID = to
		if err := t.PutAlert(a); err != nil {
			return 0, err
		}
	}
	return len(alerts), nil
}

// Incidents implements incident.Store.
func (db *DB) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	switch f.Status {
	case "":
	case "open":
		where = append(where, "status IN "+openStatuses)
	default:
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Severity != "" {
		where = append(where, "severity = "+arg(f.Severity))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.Team != "" {
		where = append(where, "team = "+arg(f.Team))
	}
	if f.Service != "" {
		where = append(where, "num IN (SELECT incident FROM incident_services WHERE service = "+arg(f.Service)+")")
	}
	if f.Query != "" {
		where = append(where, "LOWER(title) LIKE "+arg("%"+likeEscape(strings.ToLower(f.Query))+"%")+` ESCAPE '\'`)
	}
	if !f.Since.IsZero() {
		where = append(where, "opened_at >= "+arg(ts(f.Since)))
	}
	if f.Before != "" {
		if n, ok := incidentNum(f.Before); ok {
			where = append(where, "num < "+arg(n))
		}
	}
	q := `SELECT doc FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY num DESC"
	if f.Limit > 0 {
		q += " LIMIT " + arg(f.Limit)
	}
	return scanDocs[incident.Incident](ctx, db, "incidents", q, args...)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// scanDocs runs q, whose one column is a JSON document, and decodes each.
func scanDocs[T any](ctx context.Context, db *DB, what, q string, args ...any) ([]T, error) {
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.mapErr("list "+what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, db.mapErr("read "+what, err)
		}
		var v T
		if err := decodeDoc(what, doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, db.mapErr("list "+what, rows.Err())
}

// Incident implements incident.Store.
func (db *DB) Incident(ctx context.Context, id string) (*incident.Incident, error) {
	return db.incident(ctx, db.db, id)
}

// Timeline implements incident.Store: entries after seq, oldest first.
func (db *DB) Timeline(ctx context.Context, id string, after int64) ([]incident.Entry, error) {
	num, ok := incidentNum(id)
	if !ok {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT seq, at, kind, actor, text FROM incident_timeline WHERE incident = $1 AND seq > $2 ORDER BY seq`, num, after)
	if err != nil {
		return nil, db.mapErr("read timeline", err)
	}
	defer rows.Close()
	out := []incident.Entry{}
	for rows.Next() {
		var e incident.Entry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Text); err != nil {
			return nil, db.mapErr("read timeline", err)
		}
		if e.At, err = parseTS(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, db.mapErr("read timeline", rows.Err())
}

// IncidentAlerts implements incident.Store.
func (db *DB) IncidentAlerts(ctx context.Context, id string) ([]incident.Alert, error) {
	return scanDocs[incident.Alert](ctx, db, "alerts", `SELECT doc FROM alerts WHERE incident = $1 ORDER BY id`, id)
}

// RecentAlerts implements incident.Store: the newest alerts, optionally of
// one status.
func (db *DB) RecentAlerts(ctx context.Context, status string, limit int) ([]incident.Alert, error) {
	return scanDocs[incident.Alert](ctx, db, "alerts", `SELECT doc FROM alerts WHERE ($1 = '' OR status = $1) ORDER BY last_seen DESC, id DESC LIMIT $2`, status, limit)
}

// ActiveAlerts implements incident.Store: a source's alerts that are not
// resolved.
func (db *DB) ActiveAlerts(ctx context.Context, source string) ([]incident.Alert, error) {
	return scanDocs[incident.Alert](ctx, db, "alerts", `SELECT doc FROM alerts WHERE source = $1 AND status <> 'resolved' ORDER BY id`, source)
}

// AllIncidents implements incident.Store.
func (db *DB) AllIncidents(ctx context.Context, since time.Time) ([]incident.Incident, error) {
	return scanDocs[incident.Incident](ctx, db, "incidents", `SELECT doc FROM incidents WHERE opened_at >= $1 ORDER BY num`, ts(since))
}

var _ incident.Store = (*DB)(nil)
