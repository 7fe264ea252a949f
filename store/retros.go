package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/retro"
)

// retroTx implements retro.Tx over one audited write transaction.
type retroTx struct {
	ctx context.Context
	db  *DB
	tx  *auditTx
}

// WriteRetros implements retro.Store.
func (db *DB) WriteRetros(ctx context.Context, fn func(tx retro.Tx) error) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		return fn(&retroTx{ctx: ctx, db: db, tx: tx})
	})
}

func retroNum(id string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "RETRO-"), 10, 64)
	return n, err == nil && strings.HasPrefix(id, "RETRO-") && n > 0
}

func (t *retroTx) Retrospective(id string) (*retro.Retrospective, error) {
	return t.db.retrospective(t.ctx, t.tx, id)
}

func (db *DB) retrospective(ctx context.Context, q queryer, id string) (*retro.Retrospective, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT d.doc FROM retrospectives r JOIN retrospective_docs d ON d.retro = r.num WHERE r.id = $1`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "retrospective %q not found", id)
	}
	if err != nil {
		return nil, db.mapErr("read retrospective", err)
	}
	r := &retro.Retrospective{}
	return r, decodeDoc("retrospective", doc, r)
}

func (t *retroTx) OfIncident(incidentID string) ([]string, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT id FROM retrospectives WHERE incident = $1 ORDER BY num`, incidentID)
	if err != nil {
		return nil, t.db.mapErr("find retrospectives", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, t.db.mapErr("find retrospectives", err)
		}
		ids = append(ids, id)
	}
	return ids, t.db.mapErr("find retrospectives", rows.Err())
}

func (t *retroTx) Create(r *retro.Retrospective) error {
	var num int64
	if err := t.tx.QueryRowContext(t.ctx, `UPDATE retrospective_counter SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&num); err != nil {
		return t.db.mapErr("number retrospective", err)
	}
	r.ID = "RETRO-" + strconv.FormatInt(num, 10)
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO retrospectives (num, id, incident, title, state, severity, services, tags, created_at, updated_at, published_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, num, r.ID, r.IncidentID, r.Title, r.State, r.Severity, jsonList(r.Services), jsonList(r.Tags),
		ts(r.CreatedAt), ts(r.UpdatedAt), nullTS(r.PublishedAt)); err != nil {
		return t.db.mapErr("store retrospective", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO retrospective_docs (retro, doc) VALUES ($1, $2)`, num, string(doc)); err != nil {
		return t.db.mapErr("store retrospective", err)
	}
	if err := t.sync(num, nil, r); err != nil {
		return err
	}
	return t.tx.audit(t.ctx, auditlog.Record{Action: "retrospective.open", Kind: "retrospective", Object: r.ID, After: json.RawMessage(doc)})
}

// Update stores after and audits the fields that changed (retro.Changes)
// with the change's reason.
func (t *retroTx) Update(before, after *retro.Retrospective, c retro.Change) error {
	num, ok := retroNum(after.ID)
	if !ok || before.ID != after.ID {
		return palisade.Errorf(palisade.EINTERNAL, "retrospective id %q", after.ID)
	}
	doc, err := json.Marshal(after)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE retrospectives SET title = $2, state = $3, severity = $4, services = $5, tags = $6,
		updated_at = $7, published_at = $8 WHERE num = $1`, num, after.Title, after.State, after.Severity, jsonList(after.Services), jsonList(after.Tags),
		ts(after.UpdatedAt), nullTS(after.PublishedAt))
	if err != nil {
		return t.db.mapErr("store retrospective", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return palisade.Errorf(palisade.ENOTFOUND, "retrospective %q not found", after.ID)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE retrospective_docs SET doc = $2 WHERE retro = $1`, num, string(doc)); err != nil {
		return t.db.mapErr("store retrospective", err)
	}
	if err := t.sync(num, before, after); err != nil {
		return err
	}
	was, now := retro.Changes(before, after)
	if c.Reason != "" {
		now["reason"] = c.Reason
	}
	action := c.Action
	if action == "" {
		action = "retrospective.update"
	}
	return t.tx.audit(t.ctx, auditlog.Record{Action: action, Kind: "retrospective", Object: after.ID, Before: was, After: now})
}

func (t *retroTx) Delete(r *retro.Retrospective) error {
	num, ok := retroNum(r.ID)
	if !ok {
		return palisade.Errorf(palisade.ENOTFOUND, "retrospective %q not found", r.ID)
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM retrospective_search WHERE `+t.db.dialect.searchKey()+` = $1`, num); err != nil {
		return t.db.mapErr("unindex retrospective", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM retrospectives WHERE num = $1`, num)
	if err != nil {
		return t.db.mapErr("delete retrospective", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return palisade.Errorf(palisade.ENOTFOUND, "retrospective %q not found", r.ID)
	}
	return t.tx.audit(t.ctx, auditlog.Record{Action: "retrospective.delete", Kind: "retrospective", Object: r.ID, Before: r})
}

// sync brings the rows derived from a retrospective (services, tags,
// action items, the index entry) in step with after; before is nil for a
// new one. Lists are small (at most 100 entries), so they are replaced.
func (t *retroTx) sync(num int64, before, after *retro.Retrospective) error {
	ctx, tx := t.ctx, t.tx
	replace := func(table, col string, old, now []string) error {
		if before != nil && slices.Equal(old, now) {
			return nil
		}
		if before != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE retro = $1`, num); err != nil {
				return t.db.mapErr("store "+table, err)
			}
		}
		rows := make([][]any, 0, len(now))
		for _, v := range slices.Compact(slices.Sorted(slices.Values(now))) {
			rows = append(rows, []any{v, num})
		}
		return t.db.mapErr("store "+table, insertBatch(ctx, tx, table, col+", retro", "", rows))
	}
	var oldServices, oldTags []string
	var oldItems []retro.ActionItem
	if before != nil {
		oldServices, oldTags, oldItems = before.Services, before.Tags, before.ActionItems
	}
	if err := replace("retrospective_services", "service", oldServices, after.Services); err != nil {
		return err
	}
	if err := replace("retrospective_tags", "tag", oldTags, after.Tags); err != nil {
		return err
	}
	if before == nil || !slices.EqualFunc(oldItems, after.ActionItems, sameItem) {
		if before != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM action_items WHERE retro = $1`, num); err != nil {
				return t.db.mapErr("store action items", err)
			}
		}
		rows := make([][]any, 0, len(after.ActionItems))
		for _, a := range after.ActionItems {
			rows = append(rows, []any{num, a.ID, a.Title, a.Owner, a.Status, nullTS(a.DueAt), a.TrackerURL, ts(a.CreatedAt), nullTS(a.DoneAt)})
		}
		if err := insertBatch(ctx, tx, "action_items", "retro, id, title, owner, status, due_at, tracker_url, created_at, done_at", "", rows); err != nil {
			return t.db.mapErr("store action items", err)
		}
	}
	title, body := after.Title, after.SearchText()
	if before != nil && before.Title == title && before.SearchText() == body {
		return nil
	}
	d := t.db.dialect
	if before != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM retrospective_search WHERE `+d.searchKey()+` = $1`, num); err != nil {
			return t.db.mapErr("index retrospective", err)
		}
	}
	q, args := d.indexRow(num, title, body)
	_, err := tx.ExecContext(ctx, q, args...)
	return t.db.mapErr("index retrospective", err)
}

func sameItem(a, b retro.ActionItem) bool {
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	return string(aj) == string(bj)
}

// Retrospective implements retro.Store.
func (db *DB) Retrospective(ctx context.Context, id string) (*retro.Retrospective, error) {
	return db.retrospective(ctx, db.db, id)
}

// Retrospectives implements retro.Store.
func (db *DB) Retrospectives(ctx context.Context, ids []string) ([]retro.Retrospective, error) {
	out := []retro.Retrospective{}
	if len(ids) == 0 {
		return out, nil
	}
	byID := map[string]retro.Retrospective{}
	for start := 0; start < len(ids); start += db.dialect.batchParams() {
		chunk := ids[start:min(start+db.dialect.batchParams(), len(ids))]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			ph[i], args[i] = "$"+itoa(i+1), id
		}
		docs, err := scanDocs[retro.Retrospective](ctx, db, "retrospectives", `SELECT d.doc FROM retrospectives r JOIN retrospective_docs d ON d.retro = r.num WHERE r.id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range docs {
			byID[r.ID] = r
		}
	}
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	return out, nil
}

// summaryColumns are the columns scanSummary reads, of retrospectives r.
const summaryColumns = `r.num, r.id, r.incident, r.title, r.state, r.severity, r.services, r.tags, r.created_at, r.updated_at, r.published_at`

func scanSummary(sc interface{ Scan(...any) error }, num *int64, s *retro.Summary, more ...any) error {
	var services, tags, created, updated string
	var published sql.NullString
	if err := sc.Scan(append([]any{num, &s.ID, &s.IncidentID, &s.Title, &s.State, &s.Severity, &services, &tags, &created, &updated, &published}, more...)...); err != nil {
		return err
	}
	var err error
	if s.Services, err = parseList(services); err != nil {
		return err
	}
	if s.Tags, err = parseList(tags); err != nil {
		return err
	}
	if s.CreatedAt, err = parseTS(created); err != nil {
		return err
	}
	if s.UpdatedAt, err = parseTS(updated); err != nil {
		return err
	}
	s.PublishedAt, err = parseNullTS(published)
	return err
}

// SearchRetros implements retro.Store. A text query runs on the engine's
// full-text index and is ranked there (dialect.rankedMatches); snippets are
// made afterwards, for the page only, from the indexed text
// (retro.Snippet).
func (db *DB) SearchRetros(ctx context.Context, q retro.Search) ([]retro.Hit, error) {
	if err := q.Text.Validate(); err != nil {
		return nil, palisade.Errorf(palisade.EINTERNAL, "search: %v", err)
	}
	// where holds the conditions on the retrospective's columns (r), sets
	// the queries of the nums it must be among.
	var where, sets []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	if q.Incident != "" {
		where = append(where, "r.incident = "+arg(q.Incident))
	}
	if q.Service != "" {
		sets = append(sets, "SELECT retro FROM retrospective_services WHERE service = "+arg(q.Service))
	}
	if q.Tag != "" {
		sets = append(sets, "SELECT retro FROM retrospective_tags WHERE tag = "+arg(q.Tag))
	}
	if q.Severity != "" {
		where = append(where, "r.severity = "+arg(q.Severity))
	}
	if q.State != "" {
		where = append(where, "r.state = "+arg(q.State))
	}
	if !q.From.IsZero() {
		where = append(where, "r.created_at >= "+arg(ts(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "r.created_at < "+arg(ts(q.To)))
	}
	limit, offset := q.Limit, max(q.Offset, 0)
	if limit <= 0 {
		limit = retro.DefaultPage
	}
	if q.Text.Empty() {
		for _, set := range sets {
			where = append(where, "r.num IN ("+set+")")
		}
		query := "SELECT " + summaryColumns + " FROM retrospectives r"
		if len(where) > 0 {
			query += " WHERE " + strings.Join(where, " AND ")
		}
		query += " ORDER BY r.created_at DESC, r.num DESC LIMIT " + arg(limit) + " OFFSET " + arg(offset)
		out, _, err := db.searchHits(ctx, query, args, false)
		return out, err
	}
	d := db.dialect
	filterArgs := len(args)
	query := "SELECT " + summaryColumns + ", m.score FROM (" + d.rankedMatches(q.Text, where, sets, arg) +
		" ORDER BY score DESC, num DESC LIMIT " + arg(limit) + " OFFSET " + arg(offset) + ") m JOIN retrospectives r ON r.num = m.num ORDER BY m.score DESC, r.num DESC"
	out, nums, err := db.searchHits(ctx, query, args, true)
	if err != nil {
		return nil, err
	}
	// An engine that ranks only the newest n matches lists the others
	// after them, newest first, with score 0.
	if n := d.rankLimit(); n > 0 && len(out) < limit && offset+limit > n {
		args = args[:filterArgs]
		query := "SELECT " + summaryColumns + ", CAST(0 AS DOUBLE PRECISION) FROM (" + d.matchesByNum(q.Text, where, sets, arg) +
			" ORDER BY num DESC LIMIT " + arg(limit-len(out)) + " OFFSET " + arg(n+max(offset-n, 0)) + ") m JOIN retrospectives r ON r.num = m.num ORDER BY r.num DESC"
		more, moreNums, err := db.searchHits(ctx, query, args, true)
		if err != nil {
			return nil, err
		}
		out, nums = append(out, more...), append(nums, moreNums...)
	}
	if q.Snippets && len(out) > 0 {
		texts, err := db.indexedTexts(ctx, nums)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Snippet = retro.Snippet(texts[nums[i]], q.Text)
		}
	}
	return out, nil
}

// searchHits runs a search query whose rows are summaryColumns, with the
// score after them when scored.
func (db *DB) searchHits(ctx context.Context, query string, args []any, scored bool) ([]retro.Hit, []int64, error) {
	rows, err := db.db.QueryContext(ctx, query, db.dialect.searchArgs(args)...)
	if err != nil {
		return nil, nil, db.mapErr("search retrospectives", err)
	}
	defer rows.Close()
	out := []retro.Hit{}
	var nums []int64
	for rows.Next() {
		var h retro.Hit
		var num int64
		var more []any
		if scored {
			more = append(more, &h.Score)
		}
		if err := scanSummary(rows, &num, &h.Summary, more...); err != nil {
			return nil, nil, db.mapErr("read retrospectives", err)
		}
		out = append(out, h)
		nums = append(nums, num)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, db.mapErr("search retrospectives", err)
	}
	return out, nums, nil
}

// indexedTexts returns the text indexed for the retrospectives nums, as
// written, for snippets.
func (db *DB) indexedTexts(ctx context.Context, nums []int64) (map[int64]string, error) {
	d := db.dialect
	ph := make([]string, len(nums))
	args := make([]any, len(nums))
	for i, n := range nums {
		ph[i], args[i] = "$"+itoa(i+1), n
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+d.searchKey()+`, `+d.textColumn()+` FROM retrospective_search WHERE `+d.searchKey()+` IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, db.mapErr("read indexed text", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var num int64
		var s string
		if err := rows.Scan(&num, &s); err != nil {
			return nil, db.mapErr("read indexed text", err)
		}
		out[num] = s
	}
	return out, db.mapErr("read indexed text", rows.Err())
}

// RetroActionItems implements retro.Store: by due date (none last), then
// retrospective and creation.
func (db *DB) RetroActionItems(ctx context.Context, q retro.ItemQuery) ([]retro.ItemRef, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	if q.Owner != "" {
		where = append(where, "a.owner = "+arg(q.Owner))
	}
	if q.Status != "" {
		where = append(where, "a.status = "+arg(q.Status))
	}
	if q.Open {
		where = append(where, "a.status IN ("+arg(retro.StatusOpen)+", "+arg(retro.StatusInProgress)+")")
	}
	if !q.DueBefore.IsZero() {
		where = append(where, "a.due_at < "+arg(ts(q.DueBefore)))
	}
	query := `SELECT a.id, a.title, a.owner, a.status, a.due_at, a.tracker_url, a.created_at, a.done_at, r.id, r.title, r.incident
		FROM action_items a JOIN retrospectives r ON r.num = a.retro`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, a.retro, a.created_at, a.id LIMIT " + arg(limit) + " OFFSET " + arg(max(q.Offset, 0))
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.mapErr("list action items", err)
	}
	defer rows.Close()
	out := []retro.ItemRef{}
	for rows.Next() {
		var it retro.ItemRef
		var due, done sql.NullString
		var created string
		if err := rows.Scan(&it.ID, &it.Title, &it.Owner, &it.Status, &due, &it.TrackerURL, &created, &done, &it.Retrospective, &it.RetroTitle, &it.IncidentID); err != nil {
			return nil, db.mapErr("read action items", err)
		}
		if it.DueAt, err = parseNullTS(due); err != nil {
			return nil, err
		}
		if it.DoneAt, err = parseNullTS(done); err != nil {
			return nil, err
		}
		if it.CreatedAt, err = parseTS(created); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, db.mapErr("list action items", rows.Err())
}

// PublishedRetros implements retro.Store.
func (db *DB) PublishedRetros(ctx context.Context, since time.Time, limit int) ([]retro.Summary, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+summaryColumns+` FROM retrospectives r
		WHERE r.published_at IS NOT NULL AND r.published_at >= $1 ORDER BY r.published_at, r.num LIMIT $2`, ts(since), limit)
	if err != nil {
		return nil, db.mapErr("list published retrospectives", err)
	}
	defer rows.Close()
	out := []retro.Summary{}
	for rows.Next() {
		var s retro.Summary
		var num int64
		if err := scanSummary(rows, &num, &s); err != nil {
			return nil, db.mapErr("read retrospectives", err)
		}
		out = append(out, s)
	}
	return out, db.mapErr("list published retrospectives", rows.Err())
}

var _ retro.Store = (*DB)(nil)
