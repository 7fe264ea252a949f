// Package identity is who may call Palisade: API tokens (stored only as
// hashes, shown once), their roles, web sessions made from a token, and the
// limit on failed sign-ins.
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// TokenPrefix starts every token Palisade issues, so secret scanners (and
// people) recognise a leaked one.
const TokenPrefix = "pal_"

// MinTokenLen is the shortest secret accepted from PALISADE_ADMIN_TOKEN.
const MinTokenLen = 32

// Token is an API token's public record. The secret itself is never stored.
type Token struct {
	ID   string        `json:"id"`
	Name string        `json:"name"`
	Role palisade.Role `json:"role"`
	// Teams scopes the token to these teams' services (empty: all).
	Teams      []string   `json:"teams,omitempty"`
	Hint       string     `json:"hint"` // the first characters of the secret
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// Active reports whether t can authenticate at time now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Session is a signed-in web browser.
type Session struct {
	Token     Token     `json:"token"`
	CSRF      string    `json:"-"`
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Store is what identity needs from persistence. Secrets arrive only as
// hashes.
type Store interface {
	// CreateToken stores t. With onlyIfNone set it stores nothing and
	// returns false when any token exists (bootstrap on several replicas
	// at once creates one admin). It writes an audit entry.
	CreateToken(ctx context.Context, t *Token, hash string, onlyIfNone bool) (bool, error)
	// TokenByHash returns the token with that hash, or ENOTFOUND.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes the active token whose id or name is ref, ends
	// its sessions and writes an audit entry; ENOTFOUND when none.
	RevokeToken(ctx context.Context, ref string, at time.Time) (*Token, error)
	// TouchToken records a use of the token.
	TouchToken(ctx context.Context, id string, at time.Time) error
	// CreateSession stores a session under the hash of its cookie value.
	CreateSession(ctx context.Context, s *Session, hash string) error
	// SessionByHash returns the session and its token, or ENOTFOUND.
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
}

// Limits.
const (
	SessionTTL = 12 * time.Hour
	// touchEvery bounds how often a token's last use is written: once a
	// minute is precise enough and keeps reads from becoming writes.
	touchEvery = time.Minute
	maxNameLen = 64
)

var (
	tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	teamNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)
)

// Service is the identity capability.
type Service struct {
	store    Store
	now      palisade.Clock
	rand     io.Reader
	failures *Limiter
}

// NewService returns the identity capability. now and random may be nil for
// the real clock and crypto/rand.
func NewService(store Store, now palisade.Clock, random io.Reader) *Service {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Service{store: store, now: now, rand: random, failures: NewLimiter(now, DefaultFailureLimit, DefaultFailureWindow)}
}

// Hash returns the stored form of a secret. Secrets are 256-bit random
// values, so a fast hash is enough: there is nothing to brute-force.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (s *Service) secret() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) id() (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func hint(secret string) string {
	if len(secret) > len(TokenPrefix)+6 {
		return secret[:len(TokenPrefix)+6] + "…"
	}
	return "…"
}

// CreateRequest describes a token to create.
type CreateRequest struct {
	Name string        `json:"name"`
	Role palisade.Role `json:"role"`
	// Teams scopes the token to these teams' services; empty means all.
	Teams []string `json:"teams,omitempty"`
	// TTL is how long the token lives; zero means it does not expire.
	TTL time.Duration `json:"-"`
}

// Validate checks the request.
func (r *CreateRequest) Validate() error {
	if !tokenNameRE.MatchString(r.Name) {
		return palisade.FieldErrorf(palisade.EINVALID, "name", "token name %q must be 1-%d letters, digits, '.', '_', '@' or '-'", r.Name, maxNameLen)
	}
	if !r.Role.Valid() {
		return palisade.FieldErrorf(palisade.EINVALID, "role", "unknown role %q: use viewer, responder, editor or admin", r.Role)
	}
	if r.TTL < 0 {
		return palisade.FieldErrorf(palisade.EINVALID, "expires", "expiry must be in the future")
	}
	if len(r.Teams) > 64 {
		return palisade.FieldErrorf(palisade.EINVALID, "teams", "a token is scoped to at most 64 teams")
	}
	for _, t := range r.Teams {
		if !teamNameRE.MatchString(t) {
			return palisade.FieldErrorf(palisade.EINVALID, "teams", "invalid team name %q", t)
		}
	}
	return nil
}

// CreateToken creates a token and returns it with its secret, which is not
// kept and cannot be shown again. Requires admin.
func (s *Service) CreateToken(ctx context.Context, req CreateRequest) (*Token, string, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleAdmin); err != nil {
		return nil, "", err
	}
	if err := req.Validate(); err != nil {
		return nil, "", err
	}
	secret, err := s.secret()
	if err != nil {
		return nil, "", err
	}
	t, err := s.newToken(ctx, req, secret)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.store.CreateToken(ctx, t, Hash(secret), false); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

func (s *Service) newToken(ctx context.Context, req CreateRequest, secret string) (*Token, error) {
	id, err := s.id()
	if err != nil {
		return nil, err
	}
	actor, _ := palisade.ActorFrom(ctx)
	now := s.now().UTC().Truncate(time.Microsecond)
	t := &Token{ID: id, Name: req.Name, Role: req.Role, Teams: slices.Clone(req.Teams), Hint: hint(secret), CreatedBy: actor.String(), CreatedAt: now}
	slices.Sort(t.Teams)
	t.Teams = slices.Compact(t.Teams)
	if req.TTL > 0 {
		exp := now.Add(req.TTL)
		t.ExpiresAt = &exp
	}
	return t, nil
}

// Bootstrap creates the first admin token when there is no token at all.
// The secret is given (from PALISADE_ADMIN_TOKEN) or, when empty,
// generated. It returns the secret when it created a token, and "" when
// tokens already existed.
func (s *Service) Bootstrap(ctx context.Context, given string) (string, error) {
	secret := given
	if secret == "" {
		var err error
		if secret, err = s.secret(); err != nil {
			return "", err
		}
	} else if len(secret) < MinTokenLen || strings.ContainsAny(secret, " \t\r\n") {
		return "", palisade.Errorf(palisade.EINVALID, "PALISADE_ADMIN_TOKEN must be at least %d characters without spaces", MinTokenLen)
	}
	ctx = palisade.WithActor(ctx, palisade.SystemActor("bootstrap"))
	t, err := s.newToken(ctx, CreateRequest{Name: "admin", Role: palisade.RoleAdmin}, secret)
	if err != nil {
		return "", err
	}
	created, err := s.store.CreateToken(ctx, t, Hash(secret), true)
	if err != nil || !created {
		return "", err
	}
	return secret, nil
}

// ListTokens returns all tokens, revoked ones included. Requires admin.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleAdmin); err != nil {
		return nil, err
	}
	return s.store.ListTokens(ctx)
}

// RevokeToken revokes the active token with that id or name and ends its
// sessions. Requires admin.
func (s *Service) RevokeToken(ctx context.Context, ref string) (*Token, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleAdmin); err != nil {
		return nil, err
	}
	if ref == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "token", "name the token to revoke by id or name")
	}
	return s.store.RevokeToken(ctx, ref, s.now().UTC())
}

// Authenticate returns the actor for an API token presented from address.
// Unknown, revoked and expired tokens are EUNAUTHORIZED; an address with too
// many recent failures gets ERATELIMIT before the token is even looked at.
func (s *Service) Authenticate(ctx context.Context, secret, address string) (palisade.Actor, error) {
	if !s.failures.Allow(address) {
		return palisade.Actor{}, palisade.Errorf(palisade.ERATELIMIT, "too many failed sign-ins from %s; wait a minute", address)
	}
	t, err := s.lookup(ctx, secret)
	if err != nil {
		if palisade.ErrorCode(err) == palisade.EUNAUTHORIZED {
			s.failures.Fail(address)
		}
		return palisade.Actor{}, err
	}
	return palisade.Actor{Kind: "token", Name: t.Name, TokenID: t.ID, Role: t.Role, Address: address, Teams: t.Teams}, nil
}

func (s *Service) lookup(ctx context.Context, secret string) (*Token, error) {
	if secret == "" || len(secret) > 256 {
		return nil, palisade.Errorf(palisade.EUNAUTHORIZED, "missing or malformed token")
	}
	t, err := s.store.TokenByHash(ctx, Hash(secret))
	if palisade.ErrorCode(err) == palisade.ENOTFOUND {
		return nil, palisade.Errorf(palisade.EUNAUTHORIZED, "unknown token")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if !t.Active(now) {
		return nil, palisade.Errorf(palisade.EUNAUTHORIZED, "token %q is revoked or expired", t.Name)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > touchEvery {
		if err := s.store.TouchToken(ctx, t.ID, now.UTC()); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// SignIn starts a web session for a token. It returns the session and the
// cookie value (a fresh secret; only its hash is stored).
func (s *Service) SignIn(ctx context.Context, secret, address string) (*Session, string, error) {
	if !s.failures.Allow(address) {
		return nil, "", palisade.Errorf(palisade.ERATELIMIT, "too many failed sign-ins from this address; wait a minute")
	}
	t, err := s.lookup(ctx, strings.TrimSpace(secret))
	if err != nil {
		if palisade.ErrorCode(err) == palisade.EUNAUTHORIZED {
			s.failures.Fail(address)
			return nil, "", palisade.Errorf(palisade.EUNAUTHORIZED, "that token is unknown, revoked or expired")
		}
		return nil, "", err
	}
	cookie, err := s.secret()
	if err != nil {
		return nil, "", err
	}
	csrf, err := s.secret()
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	sess := &Session{Token: *t, CSRF: csrf[len(TokenPrefix):], Address: address, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	actor := palisade.Actor{Kind: "session", Name: t.Name, TokenID: t.ID, Role: t.Role, Address: address, Teams: t.Teams}
	if a, ok := palisade.ActorFrom(ctx); ok {
		actor.RequestID = a.RequestID
	}
	if err := s.store.CreateSession(palisade.WithActor(ctx, actor), sess, Hash(cookie)); err != nil {
		return nil, "", err
	}
	return sess, cookie, nil
}

// Session returns the live session for a cookie value and its actor, or
// EUNAUTHORIZED when it is unknown, expired, or its token was revoked.
func (s *Service) Session(ctx context.Context, cookie, address string) (*Session, palisade.Actor, error) {
	if cookie == "" || len(cookie) > 256 {
		return nil, palisade.Actor{}, palisade.Errorf(palisade.EUNAUTHORIZED, "not signed in")
	}
	sess, err := s.store.SessionByHash(ctx, Hash(cookie))
	if palisade.ErrorCode(err) == palisade.ENOTFOUND {
		return nil, palisade.Actor{}, palisade.Errorf(palisade.EUNAUTHORIZED, "session ended; sign in again")
	} else if err != nil {
		return nil, palisade.Actor{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || !sess.Token.Active(now) {
		return nil, palisade.Actor{}, palisade.Errorf(palisade.EUNAUTHORIZED, "session ended; sign in again")
	}
	return sess, palisade.Actor{Kind: "session", Name: sess.Token.Name, TokenID: sess.Token.ID, Role: sess.Token.Role, Address: address, Teams: sess.Token.Teams}, nil
}

// SignOut ends the session for a cookie value; unknown cookies are ignored.
func (s *Service) SignOut(ctx context.Context, cookie string) error {
	if cookie == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, Hash(cookie))
}
