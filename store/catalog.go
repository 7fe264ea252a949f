package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
)

// queryer is what both *sql.DB and *sql.Tx offer for reads.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var errDryRun = errors.New("dry run")

// ApplyCatalog implements catalog.Store.
func (db *DB) ApplyCatalog(ctx context.Context, dryRun bool, plan func(*catalog.Catalog) (*catalog.Plan, error)) (*catalog.Plan, error) {
	var p *catalog.Plan
	err := db.writeTx(ctx, func(tx *auditTx) error {
		current, err := loadCatalog(ctx, tx)
		if err != nil {
			return db.mapErr("load catalog", err)
		}
		if p, err = plan(current); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		if err := writePlan(ctx, tx, p); err != nil {
			return db.mapErr("apply catalog", err)
		}
		recs := make([]auditlog.Record, len(p.Changes))
		for i, c := range p.Changes {
			recs[i] = auditlog.Record{Action: c.Kind + "." + c.Op, Kind: c.Kind, Object: c.Name, Before: c.Before, After: c.After}
		}
		return tx.audit(ctx, recs...)
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// writePlan writes a plan's rows in batches: rows first, then edges, then
// deletes, so that every edge points at a row that exists whatever the
// order of creates and however services depend on each other (cycles
// included). Batching keeps a 5,000-service apply to a few hundred
// statements, which matters on PostgreSQL where each is a round trip.
func writePlan(ctx context.Context, tx *auditTx, p *catalog.Plan) error {
	now := ts(tx.at)
	var teams, vendors, services, deps, uses [][]any
	var deletes []catalog.Change
	var rewired []any
	for _, c := range p.Changes {
		if c.Op == catalog.OpDelete {
			deletes = append(deletes, c)
			continue
		}
		switch v := c.After.(type) {
		case *catalog.Team:
			teams = append(teams, []any{v.Name, v.Description, jsonList(v.Members), now, now})
		case *catalog.ThirdParty:
			vendors = append(vendors, []any{v.Name, v.Description, v.Website, v.StatusPage, jsonList(v.DataClasses), now, now})
		case *catalog.Service:
			services = append(services, []any{v.Name, v.Description, v.Team, v.Tier, v.System, v.Lifecycle, jsonList(v.Tags), jsonList(v.DataClasses), now, now})
			if c.Op == catalog.OpUpdate {
				rewired = append(rewired, v.Name)
			}
			for _, d := range v.DependsOn {
				deps = append(deps, []any{v.Name, d})
			}
			for _, u := range v.ThirdParties {
				uses = append(uses, []any{v.Name, u})
			}
		default:
			return palisade.Errorf(palisade.EINTERNAL, "unknown catalog object %T", c.After)
		}
	}
	steps := []struct {
		table, columns, conflict string
		rows                     [][]any
	}{
		{"teams", "name, description, members, created_at, updated_at",
			"ON CONFLICT (name) DO UPDATE SET description = excluded.description, members = excluded.members, updated_at = excluded.updated_at", teams},
		{"third_parties", "name, description, website, status_page, data_classes, created_at, updated_at",
			"ON CONFLICT (name) DO UPDATE SET description = excluded.description, website = excluded.website, status_page = excluded.status_page, " +
				"data_classes = excluded.data_classes, updated_at = excluded.updated_at", vendors},
		{"services", "name, description, team, tier, system, lifecycle, tags, data_classes, created_at, updated_at",
			"ON CONFLICT (name) DO UPDATE SET description = excluded.description, team = excluded.team, tier = excluded.tier, system = excluded.system, " +
				"lifecycle = excluded.lifecycle, tags = excluded.tags, data_classes = excluded.data_classes, updated_at = excluded.updated_at", services},
	}
	for _, st := range steps {
		if err := insertBatch(ctx, tx, st.table, st.columns, st.conflict, st.rows); err != nil {
			return err
		}
	}
	// Updated services get their edges rewritten.
	for _, q := range []string{`DELETE FROM service_dependencies WHERE service IN `, `DELETE FROM service_third_parties WHERE service IN `} {
		if err := inBatches(ctx, tx, q, rewired); err != nil {
			return err
		}
	}
	if err := insertBatch(ctx, tx, "service_dependencies", "service, depends_on", "", deps); err != nil {
		return err
	}
	if err := insertBatch(ctx, tx, "service_third_parties", "service, third_party", "", uses); err != nil {
		return err
	}
	for _, c := range deletes {
		if err := deleteObject(ctx, tx, c); err != nil {
			return fmt.Errorf("%s %s: %w", c.Kind, c.Name, err)
		}
	}
	return nil
}

// deleteObject deletes one object and the edges that point at it.
// Validation made sure nothing that remains still needs it; edges from
// services updated in the same plan were rewritten already.
func deleteObject(ctx context.Context, tx *auditTx, c catalog.Change) error {
	var qs []string
	switch c.Kind {
	case catalog.KindTeam:
		qs = []string{`DELETE FROM teams WHERE name = $1`}
	case catalog.KindThirdParty:
		qs = []string{`DELETE FROM service_third_parties WHERE third_party = $1`, `DELETE FROM third_parties WHERE name = $1`}
	case catalog.KindService:
		qs = []string{
			`DELETE FROM service_dependencies WHERE service = $1 OR depends_on = $1`,
			`DELETE FROM service_third_parties WHERE service = $1`,
			`DELETE FROM services WHERE name = $1`,
		}
	}
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, q, c.Name); err != nil {
			return err
		}
	}
	return nil
}

// LoadCatalog implements catalog.Store.
func (db *DB) LoadCatalog(ctx context.Context) (*catalog.Catalog, error) {
	c, err := loadCatalog(ctx, db.db)
	return c, db.mapErr("load catalog", err)
}

func loadCatalog(ctx context.Context, q queryer) (*catalog.Catalog, error) {
	c := &catalog.Catalog{}
	var err error
	if c.Teams, err = queryTeams(ctx, q, `SELECT name, description, members FROM teams ORDER BY name`); err != nil {
		return nil, err
	}
	if c.ThirdParties, err = queryThirdParties(ctx, q, `SELECT name, description, website, status_page, data_classes FROM third_parties ORDER BY name`); err != nil {
		return nil, err
	}
	if c.Services, err = queryServices(ctx, q, `SELECT `+serviceColumns+` FROM services ORDER BY name`); err != nil {
		return nil, err
	}
	if err := attachEdges(ctx, q, c.Services, "", ""); err != nil {
		return nil, err
	}
	return c, nil
}

const serviceColumns = `name, description, team, tier, system, lifecycle, tags, data_classes`

func queryServices(ctx context.Context, q queryer, query string, args ...any) ([]catalog.Service, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.Service{}
	for rows.Next() {
		var s catalog.Service
		var tags, classes string
		if err := rows.Scan(&s.Name, &s.Description, &s.Team, &s.Tier, &s.System, &s.Lifecycle, &tags, &classes); err != nil {
			return nil, err
		}
		if s.Tags, err = parseList(tags); err != nil {
			return nil, err
		}
		if s.DataClasses, err = parseList(classes); err != nil {
			return nil, err
		}
		s.DependsOn, s.ThirdParties = []string{}, []string{}
		out = append(out, s)
	}
	return out, rows.Err()
}

// attachEdges fills DependsOn and ThirdParties of services, which are
// sorted by name. from and to bound the names to read ("" for no bound), so
// a page of services costs two range scans, not one query per service.
func attachEdges(ctx context.Context, q queryer, services []catalog.Service, from, to string) error {
	if len(services) == 0 {
		return nil
	}
	idx := make(map[string]int, len(services))
	for i, s := range services {
		idx[s.Name] = i
	}
	for _, e := range []struct {
		query string
		add   func(s *catalog.Service, v string)
	}{
		{`SELECT service, depends_on FROM service_dependencies`, func(s *catalog.Service, v string) { s.DependsOn = append(s.DependsOn, v) }},
		{`SELECT service, third_party FROM service_third_parties`, func(s *catalog.Service, v string) { s.ThirdParties = append(s.ThirdParties, v) }},
	} {
		query, args := e.query, []any{}
		if from != "" || to != "" {
			query += ` WHERE service >= $1 AND service <= $2`
			args = append(args, from, to)
		}
		query += ` ORDER BY service, 2`
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var svc, v string
			if err := rows.Scan(&svc, &v); err != nil {
				rows.Close()
				return err
			}
			if i, ok := idx[svc]; ok {
				e.add(&services[i], v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func queryTeams(ctx context.Context, q queryer, query string, args ...any) ([]catalog.Team, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.Team{}
	for rows.Next() {
		var t catalog.Team
		var members string
		if err := rows.Scan(&t.Name, &t.Description, &members); err != nil {
			return nil, err
		}
		if t.Members, err = parseList(members); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func queryThirdParties(ctx context.Context, q queryer, query string, args ...any) ([]catalog.ThirdParty, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []catalog.ThirdParty{}
	for rows.Next() {
		var v catalog.ThirdParty
		var classes string
		if err := rows.Scan(&v.Name, &v.Description, &v.Website, &v.StatusPage, &classes); err != nil {
			return nil, err
		}
		if v.DataClasses, err = parseList(classes); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ListServices implements catalog.Store.
func (db *DB) ListServices(ctx context.Context, f catalog.ServiceFilter) ([]catalog.Service, error) {
	query := `SELECT ` + serviceColumns + ` FROM services WHERE name > $1`
	args := []any{f.After}
	if f.Team != "" {
		args = append(args, f.Team)
		query += ` AND team = $` + itoa(len(args))
	}
	if f.Tier != 0 {
		args = append(args, f.Tier)
		query += ` AND tier = $` + itoa(len(args))
	}
	if f.Tag != "" {
		// Tags are a JSON list of strings: the element in its JSON form,
		// quotes included, with LIKE's wildcards escaped, matches exactly
		// one whole element.
		quoted := jsonList([]string{f.Tag})
		quoted = quoted[1 : len(quoted)-1]
		args = append(args, "%"+likeEscaper.Replace(quoted)+"%")
		query += ` AND tags LIKE $` + itoa(len(args)) + ` ESCAPE '\'`
	}
	if f.ThirdParty != "" {
		args = append(args, f.ThirdParty)
		query += ` AND name IN (SELECT service FROM service_third_parties WHERE third_party = $` + itoa(len(args)) + `)`
	}
	args = append(args, f.Limit)
	query += ` ORDER BY name LIMIT $` + itoa(len(args))
	services, err := queryServices(ctx, db.db, query, args...)
	if err != nil {
		return nil, db.mapErr("list services", err)
	}
	if len(services) > 0 {
		err = attachEdges(ctx, db.db, services, services[0].Name, services[len(services)-1].Name)
	}
	return services, db.mapErr("list services", err)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Stats implements catalog.Store.
func (db *DB) Stats(ctx context.Context) (*catalog.Stats, error) {
	st := &catalog.Stats{}
	err := db.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM teams), (SELECT count(*) FROM third_parties)`).Scan(&st.Teams, &st.ThirdParties)
	if err != nil {
		return nil, db.mapErr("count catalog", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT tier, count(*) FROM services GROUP BY tier`)
	if err != nil {
		return nil, db.mapErr("count services", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tier, n int
		if err := rows.Scan(&tier, &n); err != nil {
			return nil, db.mapErr("count services", err)
		}
		if tier >= catalog.MinTier && tier <= catalog.MaxTier {
			st.ServicesByTier[tier-1] = n
		}
		st.Services += n
	}
	return st, db.mapErr("count services", rows.Err())
}

// Service implements catalog.Store.
func (db *DB) Service(ctx context.Context, name string) (*catalog.Service, error) {
	services, err := queryServices(ctx, db.db, `SELECT `+serviceColumns+` FROM services WHERE name = $1`, name)
	if err == nil && len(services) == 1 {
		err = attachEdges(ctx, db.db, services, name, name)
	}
	if err != nil {
		return nil, db.mapErr("read service", err)
	}
	if len(services) == 0 {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "service %q not found", name)
	}
	return &services[0], nil
}

// Dependents implements catalog.Store.
func (db *DB) Dependents(ctx context.Context, name string) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT service FROM service_dependencies WHERE depends_on = $1 ORDER BY service`, name)
	if err != nil {
		return nil, db.mapErr("read dependents", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, db.mapErr("read dependents", err)
		}
		out = append(out, s)
	}
	return out, db.mapErr("read dependents", rows.Err())
}

// ListTeams implements catalog.Store.
func (db *DB) ListTeams(ctx context.Context, after string, limit int) ([]catalog.Team, error) {
	t, err := queryTeams(ctx, db.db, `SELECT name, description, members FROM teams WHERE name > $1 ORDER BY name LIMIT $2`, after, limit)
	return t, db.mapErr("list teams", err)
}

// Team implements catalog.Store.
func (db *DB) Team(ctx context.Context, name string) (*catalog.Team, error) {
	t, err := queryTeams(ctx, db.db, `SELECT name, description, members FROM teams WHERE name = $1`, name)
	if err != nil {
		return nil, db.mapErr("read team", err)
	}
	if len(t) == 0 {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "team %q not found", name)
	}
	return &t[0], nil
}

// ListThirdParties implements catalog.Store.
func (db *DB) ListThirdParties(ctx context.Context, after string, limit int) ([]catalog.ThirdParty, error) {
	v, err := queryThirdParties(ctx, db.db, `SELECT name, description, website, status_page, data_classes FROM third_parties WHERE name > $1 ORDER BY name LIMIT $2`, after, limit)
	return v, db.mapErr("list third parties", err)
}

// ThirdParty implements catalog.Store.
func (db *DB) ThirdParty(ctx context.Context, name string) (*catalog.ThirdParty, error) {
	v, err := queryThirdParties(ctx, db.db, `SELECT name, description, website, status_page, data_classes FROM third_parties WHERE name = $1`, name)
	if err != nil {
		return nil, db.mapErr("read third party", err)
	}
	if len(v) == 0 {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "third party %q not found", name)
	}
	return &v[0], nil
}
