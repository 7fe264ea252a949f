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
	"github.com/palisade-project/palisade/vuln"
)

const findingColumns = `id, service, purl, ecosystem, package, version, advisory_id, aliases, summary, severity, cvss_score, kev, kev_due, epss, fixed,
	state, justification, detail, resolution, accept_reason, accept_requested_by, accept_approved_by, accepted_at, accept_expires_at, accept_expired_at,
	published, detected_at, triaged_at, resolved_at, due_at, updated_at`

func findingRow(f *vuln.Finding) []any {
	var cvss, epss any
	if f.CVSS != nil {
		cvss = *f.CVSS
	}
	if f.EPSS != nil {
		epss = *f.EPSS
	}
	var reason, req, appr string
	var acc, exp, expired sql.NullString
	if a := f.Acceptance; a != nil {
		reason, req, appr = a.Reason, a.RequestedBy, a.ApprovedBy
		acc, exp, expired = nullTS(&a.AcceptedAt), nullTS(&a.ExpiresAt), nullTS(a.ExpiredAt)
	}
	return []any{f.ID, f.Service, f.Purl, f.Ecosystem, f.Package, f.Version, f.Advisory, jsonList(f.Aliases), f.Summary, f.Severity, cvss, f.KEV,
		nullTS(f.KEVDue), epss, jsonList(f.Fixed), f.State, f.Justification, f.Detail, f.Resolution, reason, req, appr, acc, exp, expired,
		nullTS(f.Published), ts(f.DetectedAt), nullTS(f.TriagedAt), nullTS(f.ResolvedAt), ts(f.DueAt), ts(f.UpdatedAt)}
}

func scanFinding(rows interface{ Scan(...any) error }) (*vuln.Finding, error) {
	var f vuln.Finding
	var aliases, fixed, detected, due, updated string
	var cvss, epss sql.NullFloat64
	var kevDue, acc, exp, expired, pub, triaged, resolved sql.NullString
	var reason, req, appr string
	err := rows.Scan(&f.ID, &f.Service, &f.Purl, &f.Ecosystem, &f.Package, &f.Version, &f.Advisory, &aliases, &f.Summary, &f.Severity, &cvss, &f.KEV,
		&kevDue, &epss, &fixed, &f.State, &f.Justification, &f.Detail, &f.Resolution, &reason, &req, &appr, &acc, &exp, &expired,
		&pub, &detected, &triaged, &resolved, &due, &updated)
	if err != nil {
		return nil, err
	}
	if cvss.Valid {
		f.CVSS = &cvss.Float64
	}
	if epss.Valid {
		f.EPSS = &epss.Float64
	}
	if f.Aliases, err = parseList(aliases); err != nil {
		return nil, err
	}
	if f.Fixed, err = parseList(fixed); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&f.KEVDue, kevDue}, {&f.Published, pub}, {&f.TriagedAt, triaged}, {&f.ResolvedAt, resolved}} {
		if *p.dst, err = parseNullTS(p.src); err != nil {
			return nil, err
		}
	}
	for _, p := range []struct {
		dst *time.Time
		src string
	}{{&f.DetectedAt, detected}, {&f.DueAt, due}, {&f.UpdatedAt, updated}} {
		if *p.dst, err = parseTS(p.src); err != nil {
			return nil, err
		}
	}
	if acc.Valid {
		a := &vuln.Acceptance{Reason: reason, RequestedBy: req, ApprovedBy: appr}
		if a.AcceptedAt, err = parseTS(acc.String); err != nil {
			return nil, err
		}
		if a.ExpiresAt, err = parseTS(exp.String); err != nil {
			return nil, err
		}
		if a.ExpiredAt, err = parseNullTS(expired); err != nil {
			return nil, err
		}
		f.Acceptance = a
	}
	return &f, nil
}

// Findings implements vuln.Store.
func (db *DB) Findings(ctx context.Context, flt vuln.FindingFilter) ([]vuln.Finding, error) {
	return db.findings(ctx, db.db, flt)
}

func (db *DB) findings(ctx context.Context, q queryer, flt vuln.FindingFilter) ([]vuln.Finding, error) {
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		for _, v := range vals {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	in := func(col string, vals []string) {
		ph := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ph[i] = "$" + itoa(len(args))
		}
		where = append(where, col+" IN ("+strings.Join(ph, ",")+")")
	}
	if flt.Service != "" {
		add("service = ?", flt.Service)
	}
	if flt.Services != nil {
		if len(flt.Services) == 0 {
			return []vuln.Finding{}, nil
		}
		in("service", flt.Services)
	}
	if flt.Advisory != "" {
		add("(advisory_id = ? OR aliases LIKE ? ESCAPE '\\')", flt.Advisory, "%"+likeEscaper.Replace(jsonList([]string{flt.Advisory})[1:len(jsonList([]string{flt.Advisory}))-1])+"%")
	}
	if len(flt.Advisories) > 0 {
		in("advisory_id", flt.Advisories)
	}
	if flt.IDs != nil {
		if len(flt.IDs) == 0 {
			return []vuln.Finding{}, nil
		}
		in("id", flt.IDs)
	}
	if flt.Package != "" {
		add("package = ?", flt.Package)
	}
	if flt.Severity != "" {
		add("severity = ?", flt.Severity)
	}
	now := ts(flt.Now)
	openCond := "(state IN ('in_triage', 'exploitable') AND (accept_expires_at IS NULL OR accept_expired_at IS NOT NULL OR accept_expires_at <= ?))"
	switch flt.State {
	case "":
	case "open":
		add(openCond, now)
	default:
		add("state = ?", flt.State)
	}
	if flt.KEV != nil {
		add("kev = ?", *flt.KEV)
	}
	if flt.Overdue {
		add(openCond+" AND due_at < ?", now, now)
	}
	if flt.After != "" {
		add("id > ?", flt.After)
	}
	query := `SELECT ` + findingColumns + ` FROM findings`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id`
	if flt.Limit > 0 {
		args = append(args, flt.Limit)
		query += ` LIMIT $` + itoa(len(args))
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.mapErr("list findings", err)
	}
	defer rows.Close()
	out := []vuln.Finding{}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, db.mapErr("read finding", err)
		}
		out = append(out, *f)
	}
	return out, db.mapErr("list findings", rows.Err())
}

// Finding implements vuln.Store.
func (db *DB) Finding(ctx context.Context, id string) (*vuln.Finding, []vuln.Event, error) {
	f, err := scanFinding(db.db.QueryRowContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, palisade.Errorf(palisade.ENOTFOUND, "finding %q not found", id)
	} else if err != nil {
		return nil, nil, db.mapErr("read finding", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT at, actor, action, from_state, to_state, reason FROM finding_events WHERE finding_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, nil, db.mapErr("read finding history", err)
	}
	defer rows.Close()
	events := []vuln.Event{}
	for rows.Next() {
		var e vuln.Event
		var at string
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.FromState, &e.ToState, &e.Reason); err != nil {
			return nil, nil, db.mapErr("read finding history", err)
		}
		if e.At, err = parseTS(at); err != nil {
			return nil, nil, err
		}
		events = append(events, e)
	}
	return f, events, db.mapErr("read finding history", rows.Err())
}

// writeFindings upserts findings with one event each, and audits them:
// one audit entry per finding for decisions (summary false), or one entry
// listing every change for a reconciliation, which can change tens of
// thousands of findings at once (summary true). quiet[i] (when quiet is not
// nil) writes the row only.
func (db *DB) writeFindings(ctx context.Context, tx *auditTx, fs []*vuln.Finding, events []vuln.Event, befores []*vuln.Finding, quiet []bool, summary bool) error {
	if len(fs) == 0 {
		return nil
	}
	cols := strings.Split(strings.Join(strings.Fields(findingColumns), " "), ",")
	var sets []string
	for _, c := range cols[1:] {
		c = strings.TrimSpace(c)
		sets = append(sets, c+" = excluded."+c)
	}
	rows := make([][]any, len(fs))
	for i, f := range fs {
		rows[i] = findingRow(f)
	}
	// New findings are inserted in batches; changed ones are updated by a
	// prepared statement per kind of change that writes only what that
	// kind changes: cheaper than an upsert of every column when a
	// re-match touches tens of thousands of findings.
	var inserts [][]any
	var narrow []*vuln.Finding
	for i, f := range fs {
		if befores[i] == nil || quiet == nil {
			inserts = append(inserts, rows[i])
		} else {
			narrow = append(narrow, f)
		}
	}
	if err := insertBatch(ctx, tx, "findings", findingColumns, "ON CONFLICT (id) DO UPDATE SET "+strings.Join(sets, ", "), inserts); err != nil {
		return db.mapErr("write findings", err)
	}
	if err := updateFindings(ctx, tx, narrow); err != nil {
		return db.mapErr("update findings", err)
	}
	if quiet != nil {
		var lf, lb []*vuln.Finding
		var le []vuln.Event
		for i := range fs {
			if !quiet[i] {
				lf, le, lb = append(lf, fs[i]), append(le, events[i]), append(lb, befores[i])
			}
		}
		fs, events, befores = lf, le, lb
		if len(fs) == 0 {
			return nil
		}
	}
	// Event numbers order a finding's history. Audited transactions run
	// one at a time and each moves the audit head, so the head at the
	// start of this one, shifted, numbers its events after every earlier
	// event without a query.
	base := (tx.startSeq + 1) << 20
	if len(fs) >= 1<<20 {
		return palisade.Errorf(palisade.EINTERNAL, "%d finding changes in one transaction; the limit is %d", len(fs), 1<<20-1)
	}
	ev := make([][]any, len(fs))
	var recs []auditlog.Record
	var changes []reconcileAudit
	actor := tx.actor.String()
	for i, f := range fs {
		e := events[i]
		ev[i] = []any{f.ID, base + int64(i), ts(e.At), actor, e.Action, e.FromState, e.ToState, e.Reason}
		if summary {
			changes = append(changes, reconcileAudit{ID: f.ID, Action: e.Action, Service: f.Service, Purl: f.Purl, Advisory: f.Advisory,
				From: e.FromState, To: e.ToState, Reason: e.Reason, DueAt: f.DueAt.UTC().Format(time.RFC3339)})
			continue
		}
		rec := auditlog.Record{Action: "finding." + e.Action, Kind: "finding", Object: f.ID, After: findingAudit(f, e.Reason)}
		if befores[i] != nil {
			rec.Before = findingAudit(befores[i], "")
		}
		recs = append(recs, rec)
	}
	if err := insertBatch(ctx, tx, "finding_events", "finding_id, seq, at, actor, action, from_state, to_state, reason", "", ev); err != nil {
		return db.mapErr("write finding events", err)
	}
	if summary {
		recs = append(recs, auditlog.Record{Action: "finding.reconcile", Kind: "finding", Object: fmt.Sprintf("%d findings", len(changes)),
			After: map[string]any{"changes": changes}})
	}
	return tx.audit(ctx, recs...)
}

// reconcileAudit is one finding's change in a reconciliation's audit entry.
type reconcileAudit struct {
	ID       string `json:"id"`
	Action   string `json:"action"`
	Service  string `json:"service"`
	Purl     string `json:"purl"`
	Advisory string `json:"advisory"`
	From     string `json:"from,omitempty"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
	DueAt    string `json:"dueAt"`
}

// findingUpdate lists the columns reconciliation changes in existing
// findings, with their SQL types (PostgreSQL needs them in a VALUES list).
var findingUpdate = []struct{ col, typ string }{
	{"id", "TEXT"}, {"version", "TEXT"}, {"aliases", "TEXT"}, {"summary", "TEXT"}, {"severity", "TEXT"},
	{"cvss_score", "DOUBLE PRECISION"}, {"kev", "BOOLEAN"}, {"kev_due", "TEXT"}, {"epss", "DOUBLE PRECISION"}, {"fixed", "TEXT"},
	{"state", "TEXT"}, {"resolution", "TEXT"}, {"published", "TEXT"}, {"resolved_at", "TEXT"}, {"due_at", "TEXT"}, {"updated_at", "TEXT"},
}

func findingUpdateRow(f *vuln.Finding) []any {
	var cvss, epss any
	if f.CVSS != nil {
		cvss = *f.CVSS
	}
	if f.EPSS != nil {
		epss = *f.EPSS
	}
	return []any{f.ID, f.Version, jsonList(f.Aliases), f.Summary, f.Severity, cvss, f.KEV, nullTS(f.KEVDue), epss,
		jsonList(f.Fixed), f.State, f.Resolution, nullTS(f.Published), nullTS(f.ResolvedAt), ts(f.DueAt), ts(f.UpdatedAt)}
}

// updateFindings writes the columns reconciliation changes of existing
// findings. On PostgreSQL, where each statement is a round trip, it updates
// from a VALUES list in batches; SQLite runs in process and is fastest
// with one prepared single-row statement (see dialect.batchedUpdates).
func updateFindings(ctx context.Context, tx *auditTx, fs []*vuln.Finding) error {
	if len(fs) == 0 {
		return nil
	}
	var sets []string
	for _, c := range findingUpdate[1:] {
		sets = append(sets, c.col+" = v."+c.col)
	}
	if tx.batchedUpdates {
		// One statement for all rows: the columns travel as arrays and
		// are joined back with unnest, so PostgreSQL plans one join
		// instead of a join per batch.
		cols := make([][]any, len(findingUpdate))
		for _, f := range fs {
			for k, v := range findingUpdateRow(f) {
				if ns, ok := v.(sql.NullString); ok {
					if ns.Valid {
						v = ns.String
					} else {
						v = nil
					}
				}
				cols[k] = append(cols[k], v)
			}
		}
		args := make([]any, len(cols))
		var un, names []string
		for k, c := range findingUpdate {
			args[k] = pgArray(c.typ, cols[k])
			un = append(un, fmt.Sprintf("CAST($%d AS %s[])", k+1, c.typ))
			names = append(names, c.col)
		}
		q := "UPDATE findings SET " + strings.Join(sets, ", ") + " FROM unnest(" + strings.Join(un, ", ") + ") AS v(" + strings.Join(names, ", ") +
			") WHERE findings.id = v.id"
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	var assign []string
	for i, c := range findingUpdate[1:] {
		assign = append(assign, fmt.Sprintf("%s = $%d", c.col, i+2))
	}
	stmt, err := tx.PrepareContext(ctx, "UPDATE findings SET "+strings.Join(assign, ", ")+" WHERE id = $1")
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, f := range fs {
		if _, err := stmt.ExecContext(ctx, findingUpdateRow(f)...); err != nil {
			return err
		}
	}
	return nil
}

// findingAudit is what the audit log keeps of a finding: its decision and
// deadline, not the advisory data that comes from outside.
func findingAudit(f *vuln.Finding, reason string) json.RawMessage {
	m := map[string]any{"service": f.Service, "purl": f.Purl, "advisory": f.Advisory, "severity": f.Severity, "state": f.State,
		"dueAt": f.DueAt.UTC().Format(time.RFC3339)}
	if f.Justification != "" {
		m["justification"] = f.Justification
	}
	if f.Resolution != "" {
		m["resolution"] = f.Resolution
	}
	if a := f.Acceptance; a != nil {
		m["acceptance"] = map[string]any{"reason": a.Reason, "requestedBy": a.RequestedBy, "approvedBy": a.ApprovedBy,
			"expiresAt": a.ExpiresAt.UTC().Format(time.RFC3339), "expired": a.ExpiredAt != nil}
	}
	if reason != "" {
		m["reason"] = reason
	}
	b, _ := json.Marshal(m)
	return b
}

// ApplyChanges implements vuln.Store.
func (db *DB) ApplyChanges(ctx context.Context, changes []vuln.Change) error {
	if len(changes) == 0 {
		return nil
	}
	return db.writeTx(ctx, func(tx *auditTx) error {
		fs := make([]*vuln.Finding, len(changes))
		evs := make([]vuln.Event, len(changes))
		befores := make([]*vuln.Finding, len(changes))
		quiet := make([]bool, len(changes))
		for i, c := range changes {
			fs[i], evs[i], befores[i], quiet[i] = c.Finding, c.Event, c.Before, c.Quiet
		}
		return db.writeFindings(ctx, tx, fs, evs, befores, quiet, true)
	})
}

// UpdateFindings implements vuln.Store.
func (db *DB) UpdateFindings(ctx context.Context, ids []string, fn func(f *vuln.Finding) (*vuln.Event, error)) ([]vuln.Finding, error) {
	var out []vuln.Finding
	err := db.writeTx(ctx, func(tx *auditTx) error {
		out = out[:0]
		var current []vuln.Finding
		for start := 0; start < len(ids); start += 500 {
			chunk, err := db.findings(ctx, tx, vuln.FindingFilter{IDs: ids[start:min(start+500, len(ids))], Now: tx.at})
			if err != nil {
				return err
			}
			current = append(current, chunk...)
		}
		if len(current) < len(dedupeStrings(ids)) {
			found := map[string]bool{}
			for _, f := range current {
				found[f.ID] = true
			}
			for _, id := range ids {
				if !found[id] {
					return palisade.Errorf(palisade.ENOTFOUND, "finding %q not found", id)
				}
			}
		}
		var fs, befores []*vuln.Finding
		var evs []vuln.Event
		for i := range current {
			before := current[i]
			after := current[i]
			e, err := fn(&after)
			if err != nil {
				return err
			}
			out = append(out, after)
			if e == nil {
				continue
			}
			a := after
			fs, evs, befores = append(fs, &a), append(evs, *e), append(befores, &before)
		}
		return db.writeFindings(ctx, tx, fs, evs, befores, nil, false)
	})
	return out, err
}

func dedupeStrings(in []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	return m
}

// pgArray converts a column of values into a typed slice pgx encodes as a
// PostgreSQL array, NULLs included.
func pgArray(typ string, vals []any) any {
	switch typ {
	case "DOUBLE PRECISION":
		out := make([]*float64, len(vals))
		for i, v := range vals {
			if f, ok := v.(float64); ok {
				out[i] = &f
			}
		}
		return out
	case "BOOLEAN":
		out := make([]bool, len(vals))
		for i, v := range vals {
			out[i], _ = v.(bool)
		}
		return out
	}
	out := make([]*string, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = &s
		}
	}
	return out
}
