package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
	"github.com/palisade-project/palisade/vuln"
)

var editor = palisade.Actor{Kind: "token", Name: "ci", Role: palisade.RoleAdmin, Address: "192.0.2.1"}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ctx() context.Context { return palisade.WithActor(context.Background(), editor) }

func doc(c catalog.Catalog) *catalog.Document { return &catalog.Document{Catalog: c} }

func sample() catalog.Catalog {
	return catalog.Catalog{
		Teams: []catalog.Team{{Name: "payments-team", Members: []string{"oncall@example.com"}}},
		Services: []catalog.Service{
			{Name: "checkout", Team: "payments-team", Tier: 1, Tags: []string{"pci"}, DataClasses: []string{"pii", "payment-card"}, DependsOn: []string{"payments-api"}, ThirdParties: []string{"stripe"}},
			{Name: "payments-api", Team: "payments-team", Tier: 1},
		},
		ThirdParties: []catalog.ThirdParty{{Name: "stripe", StatusPage: "https://status.stripe.com", DataClasses: []string{"payment-card"}}},
	}
}

func TestApplyCatalog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		reg := catalog.NewRegistry(db)
		plan, err := reg.Apply(ctx(), doc(sample()), catalog.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.Summary[catalog.KindService]; got.Created != 2 {
			t.Fatalf("first apply: services %+v, want 2 created", got)
		}
		// Idempotent.
		plan, err = reg.Apply(ctx(), doc(sample()), catalog.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Empty() || plan.Summary[catalog.KindService].Unchanged != 2 {
			t.Fatalf("second apply changed something: %+v", plan)
		}
		svc, err := reg.Service(ctx(), "payments-api")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(svc.Dependents, ",") != "checkout" {
			t.Errorf("dependents of payments-api = %v, want [checkout]", svc.Dependents)
		}
		// Cycles and reversed order are fine; dropping a vendor without
		// prune keeps it.
		c := sample()
		c.Services[1].DependsOn = []string{"checkout"}
		c.Services[0].ThirdParties = nil
		c.ThirdParties = nil
		if _, err := reg.Apply(ctx(), doc(c), catalog.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ThirdParty(ctx(), "stripe"); err != nil {
			t.Fatalf("stripe deleted without prune: %v", err)
		}
		plan, err = reg.Apply(ctx(), doc(c), catalog.ApplyOptions{Prune: true})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Summary[catalog.KindThirdParty].Deleted != 1 {
			t.Fatalf("prune: %+v", plan.Summary)
		}
		// Prune everything but one team: services go too.
		plan, err = reg.Apply(ctx(), doc(catalog.Catalog{Teams: c.Teams}), catalog.ApplyOptions{Prune: true})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Summary[catalog.KindService].Deleted != 2 {
			t.Fatalf("prune services: %+v", plan.Summary)
		}
		res, err := auditlog.NewService(db).Verify(ctx(), nil)
		if err != nil || !res.OK {
			t.Fatalf("audit verify: %+v %v", res, err)
		}
		if res.Checked < 6 {
			t.Errorf("audit checked %d entries, want at least 6", res.Checked)
		}
	})
}

func TestApplyInvalidChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		reg := catalog.NewRegistry(db)
		c := sample()
		c.Services[0].Team = "nobody"
		_, err := reg.Apply(ctx(), doc(c), catalog.ApplyOptions{})
		if palisade.ErrorCode(err) != palisade.EUNPROCESSABLE || !strings.Contains(err.Error(), `unknown team "nobody"`) {
			t.Fatalf("err = %v", err)
		}
		cur, err := db.LoadCatalog(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(cur.Teams)+len(cur.Services)+len(cur.ThirdParties) != 0 {
			t.Fatalf("invalid apply wrote %+v", cur)
		}
		head, _ := db.AuditHead(ctx())
		if head.Seq != 0 {
			t.Fatalf("invalid apply wrote %d audit entries", head.Seq)
		}
	})
}

func TestListServicesPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		reg := catalog.NewRegistry(db)
		c := catalog.Catalog{Teams: []catalog.Team{{Name: "t"}}}
		for i := range 25 {
			s := catalog.Service{Name: "svc-" + string(rune('a'+i)), Team: "t", Tier: 2}
			if i > 0 {
				s.DependsOn = []string{"svc-a"}
			}
			if i%2 == 0 {
				s.Tags = []string{"even"}
			}
			c.Services = append(c.Services, s)
		}
		if _, err := reg.Apply(ctx(), doc(c), catalog.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		var all []catalog.Service
		cursor := ""
		for {
			page, next, err := reg.ListServices(ctx(), catalog.ServiceFilter{After: cursor, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(all) != 25 || all[24].Name != "svc-y" || len(all[24].DependsOn) != 1 {
			t.Fatalf("paged %d services, last %+v", len(all), all[len(all)-1])
		}
		even, _, err := reg.ListServices(ctx(), catalog.ServiceFilter{Tag: "even"})
		if err != nil || len(even) != 13 {
			t.Fatalf("tag filter: %d, %v", len(even), err)
		}
	})
}

func TestTokensAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		ids := identity.NewService(db, func() time.Time { return now }, nil)
		secret, err := ids.Bootstrap(context.Background(), "")
		if err != nil || !strings.HasPrefix(secret, identity.TokenPrefix) {
			t.Fatalf("bootstrap: %q %v", secret, err)
		}
		if again, err := ids.Bootstrap(context.Background(), ""); err != nil || again != "" {
			t.Fatalf("second bootstrap created a token: %q %v", again, err)
		}
		admin, err := ids.Authenticate(context.Background(), secret, "192.0.2.9")
		if err != nil || admin.Role != palisade.RoleAdmin {
			t.Fatalf("authenticate: %+v %v", admin, err)
		}
		actx := palisade.WithActor(context.Background(), admin)
		tok, viewerSecret, err := ids.CreateToken(actx, identity.CreateRequest{Name: "dash", Role: palisade.RoleViewer})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ids.CreateToken(actx, identity.CreateRequest{Name: "dash", Role: palisade.RoleViewer}); palisade.ErrorCode(err) != palisade.ECONFLICT {
			t.Fatalf("duplicate name: %v", err)
		}
		sess, cookie, err := ids.SignIn(context.Background(), viewerSecret, "192.0.2.9")
		if err != nil || sess.CSRF == "" {
			t.Fatalf("sign in: %v", err)
		}
		if _, a, err := ids.Session(context.Background(), cookie, "192.0.2.9"); err != nil || a.Role != palisade.RoleViewer {
			t.Fatalf("session: %+v %v", a, err)
		}
		if _, err := ids.RevokeToken(actx, tok.Name); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ids.Session(context.Background(), cookie, "192.0.2.9"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
			t.Fatalf("session after revoke: %v", err)
		}
		if _, err := ids.Authenticate(context.Background(), viewerSecret, "192.0.2.9"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
			t.Fatalf("revoked token: %v", err)
		}
		res, err := auditlog.NewService(db).Verify(actx, nil)
		if err != nil || !res.OK || res.Checked != 4 {
			t.Fatalf("audit: %+v %v", res, err)
		}
	})
}

func TestAuditTamper(t *testing.T) {
	cases := []struct {
		name, sql, want string
		seq             int64
	}{
		{"edited", `UPDATE audit_log SET object = 'other' WHERE seq = 2`, "edited", 2},
		{"removed", `DELETE FROM audit_log WHERE seq = 2`, "missing", 2},
		{"removed last", `DELETE FROM audit_log WHERE seq = 3`, "missing", 3},
		{"reordered", `UPDATE audit_log SET seq = -1 WHERE seq = 1;UPDATE audit_log SET seq = 1 WHERE seq = 2;UPDATE audit_log SET seq = 2 WHERE seq = -1`, "previous-hash", 1},
	}
	storetest.Each(t, func(t *testing.T, dsn string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if strings.HasPrefix(dsn, "postgres") {
					dsn = storetest.DSN(t, "postgres")
				} else {
					dsn = filepath.Join(t.TempDir(), "p.db")
				}
				db := open(t, dsn)
				reg := catalog.NewRegistry(db)
				if _, err := reg.Apply(ctx(), doc(sample()), catalog.ApplyOptions{}); err != nil {
					t.Fatal(err)
				}
				if res, err := auditlog.NewService(db).Verify(ctx(), nil); err != nil || !res.OK {
					t.Fatalf("before tamper: %+v %v", res, err)
				}
				for _, q := range strings.Split(tc.sql, ";") {
					if _, err := db.SQL().Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				res, err := auditlog.NewService(db).Verify(ctx(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK || res.Problem == nil || res.Problem.Seq != tc.seq || !strings.Contains(res.Problem.Reason, tc.want) {
					t.Fatalf("verify after tamper = %+v, want problem at %d (%s)", res.Problem, tc.seq, tc.want)
				}
			})
		}
	})
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "garbage.db")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database ", 100)), 0o600)
	for name, dsn := range map[string]string{
		"not a database": notDB,
		"missing dir":    filepath.Join(dir, "no", "such", "dir", "p.db"),
		"postgres down":  "postgres://nobody@127.0.0.1:1/x?connect_timeout=2",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := store.Open(context.Background(), dsn, store.Options{})
			if palisade.ErrorCode(err) != palisade.EUNAVAILABLE {
				t.Fatalf("Open(%s) = %v, want unavailable", dsn, err)
			}
			var pe *palisade.Error
			if !errors.As(err, &pe) || !strings.Contains(pe.Message, "database") {
				t.Fatalf("message does not name the database: %v", err)
			}
		})
	}
}

func TestServiceFiltersAndStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		reg := catalog.NewRegistry(db)
		c := sample()
		c.Services[1].Tags = []string{"p_i", "a%b"}
		c.Services = append(c.Services, catalog.Service{Name: "other", Team: "payments-team", Tier: 3, Tags: []string{"pxi", "axxb", "pci-2"}})
		if _, err := reg.Apply(ctx(), doc(c), catalog.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f    catalog.ServiceFilter
			want string
		}{
			{catalog.ServiceFilter{Tag: "pci"}, "checkout"},
			{catalog.ServiceFilter{Tag: "p_i"}, "payments-api"},
			{catalog.ServiceFilter{Tag: "a%b"}, "payments-api"},
			{catalog.ServiceFilter{Tag: "pc"}, ""},
			{catalog.ServiceFilter{ThirdParty: "stripe"}, "checkout"},
			{catalog.ServiceFilter{Tier: 3}, "other"},
			{catalog.ServiceFilter{Team: "payments-team", Tier: 1}, "checkout,payments-api"},
		} {
			got, _, err := reg.ListServices(ctx(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			if strings.Join(names, ",") != tc.want {
				t.Errorf("filter %+v = %v, want %s", tc.f, names, tc.want)
			}
		}
		st, err := reg.Stats(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if st.Services != 3 || st.Teams != 1 || st.ThirdParties != 1 || st.ServicesByTier != [4]int{2, 0, 1, 0} {
			t.Errorf("stats = %+v", st)
		}
	})
}

// TestOpenLockedDatabase holds a write lock from another connection, as
// another process would, and expects Open to give up after the busy
// timeout with a message saying the database is locked.
func TestOpenLockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), `ROLLBACK`)
	start := time.Now()
	_, err = store.Open(context.Background(), path, store.Options{BusyTimeout: 300 * time.Millisecond})
	if palisade.ErrorCode(err) != palisade.EUNAVAILABLE || !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open on a locked database = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v; the busy timeout was 300ms", d)
	}
}

func TestLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		c := context.Background()
		t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		got := func(holder string, now time.Time) bool {
			ok, err := db.AcquireLease(c, "sync", holder, now, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !got("a", t0) {
			t.Fatal("first acquire failed")
		}
		if got("b", t0.Add(time.Minute)) || got("a", t0.Add(59*time.Minute)) {
			t.Fatal("lease taken while held")
		}
		if err := db.FinishLease(c, "sync", "a", t0.Add(time.Minute), "boom"); err != nil {
			t.Fatal(err)
		}
		if !got("b", t0.Add(time.Hour)) {
			t.Fatal("expired lease not taken")
		}
		ls, err := db.Leases(c)
		if err != nil || len(ls) != 1 || ls[0].Holder != "b" || ls[0].Error != "" {
			t.Fatalf("leases = %+v %v", ls, err)
		}
	})
}

func TestUpsertAdvisoriesKeepsNewerOrChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		rec := func(mod time.Time, body string) vuln.AdvisoryRecord {
			return vuln.AdvisoryRecord{Advisory: vuln.Advisory{ID: "GO-1", Modified: mod, Severity: "high", Aliases: []string{"CVE-1"},
				Packages: []vuln.Package{{Ecosystem: "Go", Name: "example.com/m"}}}, Record: []byte(body)}
		}
		for _, tc := range []struct {
			name string
			r    vuln.AdvisoryRecord
			want int
		}{
			{"new", rec(t0, `{"v":1}`), 1},
			{"same", rec(t0, `{"v":1}`), 0},
			{"older", rec(t0.Add(-time.Hour), `{"v":0}`), 0},
			{"same time, new content", rec(t0, `{"v":2}`), 1},
			{"newer", rec(t0.Add(time.Hour), `{"v":3}`), 1},
		} {
			got, err := db.UpsertAdvisories(ctx(), []vuln.AdvisoryRecord{tc.r})
			if err != nil || len(got) != tc.want {
				t.Errorf("%s: changed %v, %v; want %d", tc.name, got, err, tc.want)
			}
		}
		a, err := db.Advisory(ctx(), "CVE-1")
		if err != nil || a.ID != "GO-1" || !a.Modified.Equal(t0.Add(time.Hour)) {
			t.Fatalf("by alias: %+v %v", a, err)
		}
	})
}
