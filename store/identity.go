package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/identity"
)

const tokenColumns = `id, name, role, teams, hint, created_by, created_at, expires_at, last_used_at, revoked_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanToken(r rowScanner, extra ...any) (*identity.Token, error) {
	var t identity.Token
	var role, teams, created string
	var expires, used, revoked sql.NullString
	dest := append([]any{&t.ID, &t.Name, &role, &teams, &t.Hint, &t.CreatedBy, &created, &expires, &used, &revoked}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	t.Role = palisade.Role(role)
	var err error
	if t.Teams, err = parseList(teams); err != nil {
		return nil, err
	}
	if len(t.Teams) == 0 {
		t.Teams = nil
	}
	if t.CreatedAt, err = parseTS(created); err != nil {
		return nil, err
	}
	if t.ExpiresAt, err = parseNullTS(expires); err != nil {
		return nil, err
	}
	if t.LastUsedAt, err = parseNullTS(used); err != nil {
		return nil, err
	}
	if t.RevokedAt, err = parseNullTS(revoked); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateToken implements identity.Store.
func (db *DB) CreateToken(ctx context.Context, t *identity.Token, hash string, onlyIfNone bool) (bool, error) {
	created := false
	err := db.writeTx(ctx, func(tx *auditTx) error {
		if onlyIfNone {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
				return db.mapErr("count tokens", err)
			}
			if n > 0 {
				return nil
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, name, role, teams, hash, hint, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Name, string(t.Role), jsonList(t.Teams), hash, t.Hint, t.CreatedBy, ts(t.CreatedAt), nullTS(t.ExpiresAt))
		if db.dialect.isUnique(err) {
			return palisade.FieldErrorf(palisade.ECONFLICT, "name", "an active token named %q exists; revoke it first or pick another name", t.Name)
		} else if err != nil {
			return db.mapErr("create token", err)
		}
		created = true
		return tx.audit(ctx, auditlog.Record{Action: "token.create", Kind: "token", Object: t.Name, After: t})
	})
	return created, err
}

// TokenByHash implements identity.Store.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*identity.Token, error) {
	t, err := scanToken(db.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "token not found")
	}
	return t, db.mapErr("read token", err)
}

// ListTokens implements identity.Store.
func (db *DB) ListTokens(ctx context.Context) ([]identity.Token, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, db.mapErr("list tokens", err)
	}
	defer rows.Close()
	out := []identity.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, db.mapErr("read token", err)
		}
		out = append(out, *t)
	}
	return out, db.mapErr("list tokens", rows.Err())
}

// RevokeToken implements identity.Store.
func (db *DB) RevokeToken(ctx context.Context, ref string, at time.Time) (*identity.Token, error) {
	var t *identity.Token
	err := db.writeTx(ctx, func(tx *auditTx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE (id = $1 OR name = $1) AND revoked_at IS NULL`, ref))
		if errors.Is(err, sql.ErrNoRows) {
			return palisade.Errorf(palisade.ENOTFOUND, "no active token with id or name %q", ref)
		} else if err != nil {
			return db.mapErr("read token", err)
		}
		before := *t
		at := at.UTC().Truncate(time.Microsecond)
		t.RevokedAt = &at
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, ts(at), t.ID); err != nil {
			return db.mapErr("revoke token", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_id = $1`, t.ID); err != nil {
			return db.mapErr("end sessions", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "token.revoke", Kind: "token", Object: t.Name, Before: before, After: t})
	})
	return t, err
}

// TouchToken implements identity.Store. Last use is bookkeeping, not a
// change anyone made, so it is not audited.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ts(at), id)
	return db.mapErr("record token use", err)
}

// CreateSession implements identity.Store. Signing in is audited: who
// opened a session from where is what an investigation asks first.
func (db *DB) CreateSession(ctx context.Context, s *identity.Session, hash string) error {
	return db.writeTx(ctx, func(tx *auditTx) error {
		// Expired sessions are swept here rather than by a job.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < $1`, ts(tx.at)); err != nil {
			return db.mapErr("sweep sessions", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO web_sessions (hash, token_id, csrf, address, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			hash, s.Token.ID, s.CSRF, s.Address, ts(s.CreatedAt), ts(s.ExpiresAt))
		if err != nil {
			return db.mapErr("create session", err)
		}
		return tx.audit(ctx, auditlog.Record{Action: "session.create", Kind: "token", Object: s.Token.Name,
			After: map[string]any{"address": s.Address, "expiresAt": s.ExpiresAt}})
	})
}

// SessionByHash implements identity.Store.
func (db *DB) SessionByHash(ctx context.Context, hash string) (*identity.Session, error) {
	var s identity.Session
	var created, expires string
	row := db.db.QueryRowContext(ctx, `SELECT t.id, t.name, t.role, t.teams, t.hint, t.created_by, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
		s.csrf, s.address, s.created_at, s.expires_at
		FROM web_sessions s JOIN api_tokens t ON t.id = s.token_id WHERE s.hash = $1`, hash)
	t, err := scanToken(row, &s.CSRF, &s.Address, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "session not found")
	} else if err != nil {
		return nil, db.mapErr("read session", err)
	}
	s.Token = *t
	if s.CreatedAt, err = parseTS(created); err != nil {
		return nil, err
	}
	if s.ExpiresAt, err = parseTS(expires); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSession implements identity.Store.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE hash = $1`, hash)
	return db.mapErr("end session", err)
}
