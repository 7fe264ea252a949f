package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/identity"
)

func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) error {
	a, _ := palisade.ActorFrom(r.Context())
	writeJSON(w, http.StatusOK, a)
	return nil
}

// CreateTokenRequest is the body of POST /api/v1/tokens.
type CreateTokenRequest struct {
	Name string        `json:"name"`
	Role palisade.Role `json:"role"`
	// ExpiresIn is a Go duration ("720h"); empty means no expiry.
	ExpiresIn string `json:"expiresIn,omitempty"`
	// Teams scopes the token to these teams' services; empty means all.
	Teams []string `json:"teams,omitempty"`
}

// CreateTokenResponse carries the new token's secret, shown only here.
type CreateTokenResponse struct {
	Token  identity.Token `json:"token"`
	Secret string         `json:"secret"`
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var req CreateTokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	cr := identity.CreateRequest{Name: req.Name, Role: req.Role, Teams: req.Teams}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			return palisade.FieldErrorf(palisade.EINVALID, "expiresIn", "expiresIn must be a positive duration such as 720h")
		}
		cr.TTL = d
	}
	t, secret, err := s.cfg.Identity.CreateToken(r.Context(), cr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, CreateTokenResponse{Token: *t, Secret: secret})
	return nil
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := s.cfg.Identity.ListTokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[identity.Token]{Items: tokens})
	return nil
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	t, err := s.cfg.Identity.RevokeToken(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := auditlog.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Kind: q.Get("kind"), Object: q.Get("object")}
	var err error
	if f.Limit, err = queryInt(r, "limit", 1, auditlog.MaxPageSize); err != nil {
		return err
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return palisade.FieldErrorf(palisade.EINVALID, name, "%s must be an RFC 3339 time such as 2026-11-27T10:00:00Z", name)
			}
		}
	}
	if c := q.Get("cursor"); c != "" {
		if f.Before, err = strconv.ParseInt(c, 10, 64); err != nil || f.Before <= 0 {
			return palisade.FieldErrorf(palisade.EINVALID, "cursor", "malformed cursor")
		}
	}
	items, next, err := s.cfg.Audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ListResponse[auditlog.Entry]{Items: items, Next: next})
	return nil
}

func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request) error {
	var expect *auditlog.Head
	if v := r.URL.Query().Get("expectSeq"); v != "" {
		seq, err := strconv.ParseInt(v, 10, 64)
		if err != nil || seq <= 0 {
			return palisade.FieldErrorf(palisade.EINVALID, "expectSeq", "expectSeq must be a positive integer")
		}
		expect = &auditlog.Head{Seq: seq, Hash: r.URL.Query().Get("expectHash")}
	}
	res, err := s.cfg.Audit.Verify(r.Context(), expect)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
