package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T) (*identity.Service, *clock, context.Context) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.DSN(t, "sqlite"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	ids := identity.NewService(db, c.now, nil)
	admin := palisade.WithActor(context.Background(), palisade.Actor{Kind: "cli", Name: "test", Role: palisade.RoleAdmin, Address: "local"})
	return ids, c, admin
}

func TestTokenExpiry(t *testing.T) {
	ids, c, admin := setup(t)
	tok, secret, err := ids.CreateToken(admin, identity.CreateRequest{Name: "short", Role: palisade.RoleViewer, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(c.t.Add(time.Hour)) {
		t.Fatalf("expires %v", tok.ExpiresAt)
	}
	if _, err := ids.Authenticate(context.Background(), secret, "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	_, cookie, err := ids.SignIn(context.Background(), secret, "198.51.100.1")
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Hour)
	if _, err := ids.Authenticate(context.Background(), secret, "198.51.100.1"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Fatalf("expired token: %v", err)
	}
	if _, _, err := ids.Session(context.Background(), cookie, "198.51.100.1"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Fatalf("session of an expired token: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	ids, c, admin := setup(t)
	_, secret, err := ids.CreateToken(admin, identity.CreateRequest{Name: "web", Role: palisade.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	_, cookie, err := ids.SignIn(context.Background(), secret, "198.51.100.2")
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(identity.SessionTTL - time.Second)
	if _, a, err := ids.Session(context.Background(), cookie, "198.51.100.2"); err != nil || a.Role != palisade.RoleEditor || a.Kind != "session" {
		t.Fatalf("live session: %+v %v", a, err)
	}
	c.t = c.t.Add(time.Second)
	if _, _, err := ids.Session(context.Background(), cookie, "198.51.100.2"); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Fatalf("session past its TTL: %v", err)
	}
	if err := ids.SignOut(context.Background(), cookie); err != nil {
		t.Fatal(err)
	}
}

func TestRolesAreChecked(t *testing.T) {
	ids, _, _ := setup(t)
	for _, r := range []palisade.Role{palisade.RoleViewer, palisade.RoleResponder, palisade.RoleEditor} {
		ctx := palisade.WithActor(context.Background(), palisade.Actor{Kind: "token", Name: "x", Role: r})
		if _, _, err := ids.CreateToken(ctx, identity.CreateRequest{Name: "n", Role: palisade.RoleAdmin}); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("%s created a token: %v", r, err)
		}
		if _, err := ids.ListTokens(ctx); palisade.ErrorCode(err) != palisade.EFORBIDDEN {
			t.Errorf("%s listed tokens: %v", r, err)
		}
	}
	if _, err := ids.ListTokens(context.Background()); palisade.ErrorCode(err) != palisade.EUNAUTHORIZED {
		t.Errorf("anonymous listed tokens: %v", err)
	}
}

func TestCreateRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		req   identity.CreateRequest
		field string
	}{
		{identity.CreateRequest{Name: "ok-name", Role: palisade.RoleViewer}, ""},
		{identity.CreateRequest{Name: "", Role: palisade.RoleViewer}, "name"},
		{identity.CreateRequest{Name: "has space", Role: palisade.RoleViewer}, "name"},
		{identity.CreateRequest{Name: strings.Repeat("a", 65), Role: palisade.RoleViewer}, "name"},
		{identity.CreateRequest{Name: "x", Role: "root"}, "role"},
		{identity.CreateRequest{Name: "x", Role: palisade.RoleViewer, TTL: -time.Second}, "expires"},
	} {
		err := tc.req.Validate()
		if palisade.ErrorField(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("Validate(%+v) = %v, want field %q", tc.req, err, tc.field)
		}
	}
}

func TestBootstrapFromEnvironment(t *testing.T) {
	ids, _, _ := setup(t)
	if _, err := ids.Bootstrap(context.Background(), "too-short"); palisade.ErrorCode(err) != palisade.EINVALID {
		t.Fatalf("short PALISADE_ADMIN_TOKEN accepted: %v", err)
	}
	given := "a-long-enough-secret-for-the-first-admin-0001"
	secret, err := ids.Bootstrap(context.Background(), given)
	if err != nil || secret != given {
		t.Fatalf("bootstrap: %q %v", secret, err)
	}
	a, err := ids.Authenticate(context.Background(), given, "local")
	if err != nil || a.Role != palisade.RoleAdmin || a.Name != "admin" {
		t.Fatalf("bootstrap token: %+v %v", a, err)
	}
}

func TestLimiter(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	l := identity.NewLimiter(c.now, 3, time.Minute)
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("refused after %d failures", i)
		}
		l.Fail("a")
	}
	if l.Allow("a") {
		t.Fatal("allowed after 3 failures")
	}
	if !l.Allow("b") {
		t.Fatal("another address is limited too")
	}
	c.t = c.t.Add(20 * time.Second) // one refill per 20 s
	if !l.Allow("a") {
		t.Fatal("no refill after 20 s")
	}
	l.Fail("a")
	if l.Allow("a") {
		t.Fatal("allowed again right after a failure")
	}
}
