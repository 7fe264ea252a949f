package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/vuln"
)

// UpsertAdvisories implements vuln.Store. Imports are bulk data, not
// anyone's decision, so one audit entry summarises each batch.
func (db *DB) UpsertAdvisories(ctx context.Context, recs []vuln.AdvisoryRecord) ([]string, error) {
	var changed []string
	err := db.writeTx(ctx, func(tx *auditTx) error {
		changed = changed[:0]
		type stored struct{ modified, digest string }
		current := map[string]stored{}
		ids := make([]any, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		if err := queryIn(ctx, tx, `SELECT id, modified, digest FROM advisories WHERE id IN `, nil, ids, func(rows *sql.Rows) error {
			var id string
			var st stored
			if err := rows.Scan(&id, &st.modified, &st.digest); err != nil {
				return err
			}
			current[id] = st
			return nil
		}); err != nil {
			return db.mapErr("read advisories", err)
		}
		var rows, pkgs, aliases [][]any
		var replaced []any
		seen := map[string]bool{}
		for _, r := range recs {
			mod := ts(r.Modified)
			sum := sha256.Sum256(r.Record)
			digest := hex.EncodeToString(sum[:])
			// Newer wins; at the same modified time, different content
			// wins too (feeds that never set modified).
			if cur, ok := current[r.ID]; (ok && (cur.modified > mod || (cur.modified == mod && cur.digest == digest))) || seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			if _, ok := current[r.ID]; ok {
				replaced = append(replaced, r.ID)
			}
			changed = append(changed, r.ID)
			var cvss any
			if r.CVSS != nil {
				cvss = *r.CVSS
			}
			rows = append(rows, []any{r.ID, mod, nullTS(r.Published), nullTS(r.Withdrawn), jsonList(r.Aliases), r.Summary, r.Severity,
				cvss, r.CVSSVector, r.Source, string(r.Record), digest, ts(tx.at)})
			for _, p := range r.Packages {
				pkgs = append(pkgs, []any{r.ID, p.Ecosystem, p.Name})
			}
			for _, a := range r.Aliases {
				aliases = append(aliases, []any{a, r.ID})
			}
		}
		for _, q := range []string{`DELETE FROM advisory_packages WHERE advisory_id IN `, `DELETE FROM advisory_aliases WHERE advisory_id IN `, `DELETE FROM advisories WHERE id IN `} {
			if err := inBatches(ctx, tx, q, replaced); err != nil {
				return db.mapErr("replace advisories", err)
			}
		}
		for _, b := range []struct {
			table, cols string
			rows        [][]any
		}{
			{"advisories", "id, modified, published, withdrawn, aliases, summary, severity, cvss_score, cvss_vector, source, record, digest, imported_at", rows},
			{"advisory_packages", "advisory_id, ecosystem, name", dedupe(pkgs)},
			{"advisory_aliases", "alias, advisory_id", dedupe(aliases)},
		} {
			if err := insertBatch(ctx, tx, b.table, b.cols, "", b.rows); err != nil {
				return db.mapErr("store advisories", err)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return tx.audit(ctx, auditlog.Record{Action: "advisory.import", Kind: "advisory", Object: summarizeIDs(changed),
			After: map[string]any{"changed": len(changed), "source": recs[0].Source}})
	})
	return changed, err
}

func dedupe(rows [][]any) [][]any {
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		b, _ := json.Marshal(r)
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, r)
		}
	}
	return out
}

func summarizeIDs(ids []string) string {
	if len(ids) <= 3 {
		return strings.Join(ids, ",")
	}
	return strings.Join(ids[:3], ",") + ",…"
}

// queryIn runs prefix + "(...)" over keys in batches, calling fn per row.
// fixed are arguments the prefix itself uses ($1...), before the keys.
func queryIn(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, prefix string, fixed, keys []any, fn func(*sql.Rows) error) error {
	const per = 500
	for start := 0; start < len(keys); start += per {
		chunk := keys[start:min(start+per, len(keys))]
		args := append(append([]any{}, fixed...), chunk...)
		rows, err := q.QueryContext(ctx, prefix+placeholders(len(chunk), len(fixed)+1), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// placeholders returns "($first, $first+1, ...)" for n values.
func placeholders(n, first int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("$" + itoa(first+i))
	}
	b.WriteByte(')')
	return b.String()
}

// advisorySelect reads advisories with their KEV and EPSS enrichment,
// joined through the aliases (and the id itself, for CVE records).
const advisorySelect = `SELECT a.id, a.modified, a.published, a.withdrawn, a.aliases, a.summary, a.severity, a.cvss_score, a.cvss_vector, a.source, a.record,
	(SELECT min(k.due_date) FROM kev_entries k WHERE k.cve = a.id OR k.cve IN (SELECT alias FROM advisory_aliases x WHERE x.advisory_id = a.id)) AS kev_due,
	(SELECT count(*) FROM kev_entries k WHERE k.cve = a.id OR k.cve IN (SELECT alias FROM advisory_aliases x WHERE x.advisory_id = a.id)) AS kev,
	(SELECT max(e.probability) FROM epss_scores e WHERE e.cve = a.id OR e.cve IN (SELECT alias FROM advisory_aliases x WHERE x.advisory_id = a.id)) AS epss
	FROM advisories a`

func scanAdvisory(rows interface{ Scan(...any) error }) (*vuln.AdvisoryRecord, error) {
	var r vuln.AdvisoryRecord
	var mod, aliases, record string
	var pub, wd, kevDue sql.NullString
	var cvss, epss sql.NullFloat64
	var kev int
	if err := rows.Scan(&r.ID, &mod, &pub, &wd, &aliases, &r.Summary, &r.Severity, &cvss, &r.CVSSVector, &r.Source, &record, &kevDue, &kev, &epss); err != nil {
		return nil, err
	}
	var err error
	if r.Modified, err = parseTS(mod); err != nil {
		return nil, err
	}
	if r.Published, err = parseNullTS(pub); err != nil {
		return nil, err
	}
	if r.Withdrawn, err = parseNullTS(wd); err != nil {
		return nil, err
	}
	if r.Aliases, err = parseList(aliases); err != nil {
		return nil, err
	}
	if cvss.Valid {
		r.CVSS = &cvss.Float64
	}
	if epss.Valid {
		r.EPSS = &epss.Float64
	}
	r.KEV = kev > 0
	if r.KEVDue, err = parseNullTS(kevDue); err != nil {
		return nil, err
	}
	r.Record = []byte(record)
	return &r, nil
}

func (db *DB) advisories(ctx context.Context, where string, args []any) ([]vuln.AdvisoryRecord, error) {
	var out []vuln.AdvisoryRecord
	err := queryIn(ctx, db.db, advisorySelect+` WHERE `+where, nil, args, func(rows *sql.Rows) error {
		r, err := scanAdvisory(rows)
		if err != nil {
			return err
		}
		out = append(out, *r)
		return nil
	})
	if err != nil {
		return nil, db.mapErr("read advisories", err)
	}
	return out, db.attachPackages(ctx, out)
}

func (db *DB) attachPackages(ctx context.Context, recs []vuln.AdvisoryRecord) error {
	idx := map[string]int{}
	ids := make([]any, len(recs))
	for i, r := range recs {
		idx[r.ID] = i
		ids[i] = r.ID
		recs[i].Packages = []vuln.Package{}
	}
	err := queryIn(ctx, db.db, `SELECT advisory_id, ecosystem, name FROM advisory_packages WHERE advisory_id IN `, nil, ids, func(rows *sql.Rows) error {
		var id string
		var p vuln.Package
		if err := rows.Scan(&id, &p.Ecosystem, &p.Name); err != nil {
			return err
		}
		recs[idx[id]].Packages = append(recs[idx[id]].Packages, p)
		return nil
	})
	return db.mapErr("read advisory packages", err)
}

// AdvisoryRecords implements vuln.Store. Packages are looked up one
// ecosystem at a time with their names in batches.
func (db *DB) AdvisoryRecords(ctx context.Context, pkgs []vuln.Package) ([]vuln.AdvisoryRecord, error) {
	byEco := map[string][]any{}
	for _, p := range pkgs {
		byEco[p.Ecosystem] = append(byEco[p.Ecosystem], p.Name)
	}
	idSet := map[string]bool{}
	for eco, names := range byEco {
		err := queryIn(ctx, db.db, `SELECT DISTINCT advisory_id FROM advisory_packages WHERE ecosystem = $1 AND name IN `, []any{eco}, names, func(rows *sql.Rows) error {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			idSet[id] = true
			return nil
		})
		if err != nil {
			return nil, db.mapErr("find advisories", err)
		}
	}
	ids := make([]string, 0, len(idSet))
	for id := range idSet {
		ids = append(ids, id)
	}
	return db.AdvisoryRecordsByID(ctx, ids)
}

// AdvisoryPackages implements vuln.Store.
func (db *DB) AdvisoryPackages(ctx context.Context, ids []string) (map[string][]vuln.Package, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out := map[string][]vuln.Package{}
	err := queryIn(ctx, db.db, `SELECT advisory_id, ecosystem, name FROM advisory_packages WHERE advisory_id IN `, nil, args, func(rows *sql.Rows) error {
		var id string
		var p vuln.Package
		if err := rows.Scan(&id, &p.Ecosystem, &p.Name); err != nil {
			return err
		}
		out[id] = append(out[id], p)
		return nil
	})
	return out, db.mapErr("read advisory packages", err)
}

// AdvisoryRecordsByID implements vuln.Store.
func (db *DB) AdvisoryRecordsByID(ctx context.Context, ids []string) ([]vuln.AdvisoryRecord, error) {
	sort.Strings(ids)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return db.advisories(ctx, `a.id IN `, args)
}

// Advisory implements vuln.Store.
func (db *DB) Advisory(ctx context.Context, idOrAlias string) (*vuln.Advisory, error) {
	id := idOrAlias
	err := db.db.QueryRowContext(ctx, `SELECT advisory_id FROM advisory_aliases WHERE alias = $1 AND NOT EXISTS (SELECT 1 FROM advisories WHERE id = $1)
		ORDER BY advisory_id LIMIT 1`, idOrAlias).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, db.mapErr("find advisory", err)
	}
	recs, err := db.AdvisoryRecordsByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "advisory %q not found", idOrAlias)
	}
	return &recs[0].Advisory, nil
}

// AdvisoryStats implements vuln.Store.
func (db *DB) AdvisoryStats(ctx context.Context) (map[string]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT ecosystem, count(DISTINCT advisory_id) FROM advisory_packages GROUP BY ecosystem`)
	if err != nil {
		return nil, db.mapErr("count advisories", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var eco string
		var n int
		if err := rows.Scan(&eco, &n); err != nil {
			return nil, db.mapErr("count advisories", err)
		}
		out[eco] = n
	}
	return out, db.mapErr("count advisories", rows.Err())
}

// enrichedIDs returns the advisories any of cves touches.
func enrichedIDs(ctx context.Context, tx *auditTx, cves []any) ([]string, error) {
	set := map[string]bool{}
	err := queryIn(ctx, tx, `SELECT advisory_id FROM advisory_aliases WHERE alias IN `, nil, cves, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = queryIn(ctx, tx, `SELECT id FROM advisories WHERE id IN `, nil, cves, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
		return nil
	})
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, err
}

// ReplaceKEV implements vuln.Store.
func (db *DB) ReplaceKEV(ctx context.Context, entries []vuln.KEVEntry) ([]string, error) {
	var changed []string
	err := db.writeTx(ctx, func(tx *auditTx) error {
		old := map[string]string{}
		rows, err := tx.QueryContext(ctx, `SELECT cve, COALESCE(due_date, '') FROM kev_entries`)
		if err != nil {
			return db.mapErr("read KEV", err)
		}
		for rows.Next() {
			var c, d string
			if err := rows.Scan(&c, &d); err != nil {
				rows.Close()
				return db.mapErr("read KEV", err)
			}
			old[c] = d
		}
		rows.Close()
		var diff []any
		var ins [][]any
		for _, e := range entries {
			due := ""
			if e.DueDate != nil {
				due = ts(*e.DueDate)
			}
			if d, ok := old[e.CVE]; !ok || d != due {
				diff = append(diff, e.CVE)
			}
			delete(old, e.CVE)
			ins = append(ins, []any{e.CVE, ts(e.DateAdded), nullTS(e.DueDate), e.Ransomware, e.Name})
		}
		for c := range old {
			diff = append(diff, c)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kev_entries`); err != nil {
			return db.mapErr("replace KEV", err)
		}
		if err := insertBatch(ctx, tx, "kev_entries", "cve, date_added, due_date, ransomware, name", "", dedupeFirst(ins)); err != nil {
			return db.mapErr("replace KEV", err)
		}
		if changed, err = enrichedIDs(ctx, tx, diff); err != nil {
			return db.mapErr("replace KEV", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "kev.import", Kind: "enrichment", Object: "cisa-kev",
			After: map[string]any{"entries": len(entries), "changedCVEs": len(diff)}})
	})
	return changed, err
}

// ReplaceEPSS implements vuln.Store. Scores change a little every day, so
// only advisories whose probability moved by a point or more count as
// changed.
func (db *DB) ReplaceEPSS(ctx context.Context, scores []vuln.EPSSScore) ([]string, error) {
	var changed []string
	err := db.writeTx(ctx, func(tx *auditTx) error {
		old := map[string]float64{}
		rows, err := tx.QueryContext(ctx, `SELECT cve, probability FROM epss_scores`)
		if err != nil {
			return db.mapErr("read EPSS", err)
		}
		for rows.Next() {
			var c string
			var p float64
			if err := rows.Scan(&c, &p); err != nil {
				rows.Close()
				return db.mapErr("read EPSS", err)
			}
			old[c] = p
		}
		rows.Close()
		var diff []any
		ins := make([][]any, 0, len(scores))
		for _, s := range scores {
			if p, ok := old[s.CVE]; !ok || abs(p-s.Probability) >= 0.01 {
				diff = append(diff, s.CVE)
			}
			ins = append(ins, []any{s.CVE, s.Probability, s.Percentile, ts(s.Date)})
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM epss_scores`); err != nil {
			return db.mapErr("replace EPSS", err)
		}
		if err := insertBatch(ctx, tx, "epss_scores", "cve, probability, percentile, score_date", "", dedupeFirst(ins)); err != nil {
			return db.mapErr("replace EPSS", err)
		}
		if changed, err = enrichedIDs(ctx, tx, diff); err != nil {
			return db.mapErr("replace EPSS", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "epss.import", Kind: "enrichment", Object: "epss",
			After: map[string]any{"scores": len(scores), "changedCVEs": len(diff)}})
	})
	return changed, err
}

// dedupeFirst keeps the first row per key (column 0).
func dedupeFirst(rows [][]any) [][]any {
	seen := map[any]bool{}
	out := rows[:0]
	for _, r := range rows {
		if !seen[r[0]] {
			seen[r[0]] = true
			out = append(out, r)
		}
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
