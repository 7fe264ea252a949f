package gate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Record is a stored decision.
type Record struct {
	ID         string    `json:"id"`
	Service    string    `json:"service"`
	Change     string    `json:"change,omitempty"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Outcome    string    `json:"outcome"`
	Introduced int       `json:"introduced"`
	Removed    int       `json:"removed"`
	Decision   *Decision `json:"decision"`
}

// Store keeps policies and decisions.
type Store interface {
	// PutGatePolicies stores the gates section (as JSON) and audits the
	// change.
	PutGatePolicies(ctx context.Context, section json.RawMessage) error
	// GatePolicies returns the stored section, or nil.
	GatePolicies(ctx context.Context) (json.RawMessage, error)
	// PutDecision stores a decision and audits it.
	PutDecision(ctx context.Context, r *Record) error
	// Decisions lists decisions newest first (of a service, when given)
	// before a cursor (an id), at most limit.
	Decisions(ctx context.Context, service, before string, limit int) ([]Record, error)
	Decision(ctx context.Context, id string) (*Record, error)
}

// Service is the change gate capability.
type Service struct {
	store   Store
	vuln    *vuln.Service
	slo     *slo.Service
	catalog *catalog.Registry
	now     func() time.Time
	// incidents counts open security incidents; nil leaves the count
	// unknown (-1).
	incidents IncidentCounter
}

// IncidentCounter counts a service's open security incidents; the
// incident capability implements it.
type IncidentCounter interface {
	OpenCount(ctx context.Context, service string) (int, error)
}

// SetIncidents lets decisions count open security incidents.
func (s *Service) SetIncidents(c IncidentCounter) { s.incidents = c }

// NewService returns the change gate over its data sources.
func NewService(store Store, v *vuln.Service, s *slo.Service, reg *catalog.Registry, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, vuln: v, slo: s, catalog: reg, now: now}
}

// Request asks for a decision about a change of a service.
type Request struct {
	Service string
	Change  string
	// Files are the candidate inventory (SBOMs or scanner output).
	Files []vuln.File
}

// MaxChangeLen bounds a change id.
const MaxChangeLen = 256

// Decide gathers the input, applies the service's policy, records the
// decision and returns it. Requires viewer: asking is reading; the record
// is bookkeeping, audited like a sign-in.
func (s *Service) Decide(ctx context.Context, req Request) (*Record, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if len(req.Change) > MaxChangeLen {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "change", "change id is longer than %d characters", MaxChangeLen)
	}
	svc, err := s.catalog.Service(ctx, req.Service)
	if err != nil {
		return nil, err
	}
	diff, err := s.vuln.Diff(ctx, req.Service, req.Files)
	if err != nil {
		return nil, err // a malformed SBOM is the caller's to fix, not missing data
	}
	in := Input{Service: req.Service, Tier: svc.Tier, Change: req.Change, Introduced: diff.Introduced, Removed: diff.Removed, OpenIncidents: -1}
	if !diff.HasInventory {
		in.Missing = append(in.Missing, "current inventory of "+req.Service+" (record one with palisade scan --service "+req.Service+")")
	}
	if sts, err := s.slo.ServiceStatuses(ctx, req.Service); err != nil {
		in.Missing = append(in.Missing, "security SLO budgets: "+palisade.ErrorMessage(err))
	} else {
		in.SLOs = sts
	}
	if s.incidents != nil {
		if n, err := s.incidents.OpenCount(ctx, req.Service); err != nil {
			in.Missing = append(in.Missing, "open security incidents: "+palisade.ErrorMessage(err))
		} else {
			in.OpenIncidents = n
		}
	}
	policy, err := s.policyFor(ctx, req.Service)
	if err != nil {
		in.Missing = append(in.Missing, "the service's gate policy: "+palisade.ErrorMessage(err))
		policy = nil
	}
	d, err := Decide(in, policy)
	if err != nil {
		return nil, err
	}
	actor, _ := palisade.ActorFrom(ctx)
	rec := &Record{ID: newID(), Service: req.Service, Change: req.Change, At: s.now().UTC().Truncate(time.Microsecond), Actor: actor.String(),
		Outcome: d.Outcome, Introduced: len(diff.Introduced), Removed: len(diff.Removed), Decision: d}
	if err := s.store.PutDecision(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func newID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "G" + hex.EncodeToString(b)
}

// policyFor reads the stored gates section and picks the service's policy
// (nil: the built-in default).
func (s *Service) policyFor(ctx context.Context, service string) (*Policy, error) {
	raw, err := s.store.GatePolicies(ctx)
	if err != nil || raw == nil {
		return nil, err
	}
	doc, err := catalog.ParseJSON("stored gates", append(append([]byte(`{"gates":`), raw...), '}'))
	if err != nil {
		return nil, err
	}
	ps, err := PoliciesFromSection(doc.Sections["gates"])
	if err != nil {
		return nil, err
	}
	return PolicyFor(ps, service), nil
}

// Section handles the gates section of palisade.yaml: the rules are
// compiled and their services checked before anything is written, then
// the section replaces the stored one.
func (s *Service) Section(ctx context.Context, n *catalog.Node, prune bool) (func(context.Context) error, error) {
	ps, err := PoliciesFromSection(n)
	if err != nil {
		return nil, err
	}
	for name := range ps {
		if name == DefaultPolicyName {
			continue
		}
		if _, err := s.catalog.Service(ctx, name); palisade.ErrorCode(err) == palisade.ENOTFOUND {
			// The catalog may be applied in the same run; the check
			// repeats when the section is stored.
			continue
		} else if err != nil {
			return nil, err
		}
	}
	raw, err := n.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		for name := range ps {
			if name == DefaultPolicyName {
				continue
			}
			if _, err := s.catalog.Service(ctx, name); err != nil {
				return palisade.Errorf(palisade.EUNPROCESSABLE, "gates: unknown service %q", name)
			}
		}
		if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
			return err
		}
		return s.store.PutGatePolicies(ctx, raw)
	}, nil
}

// List returns decisions newest first, one page, and the next cursor.
// Requires viewer.
func (s *Service) List(ctx context.Context, service, before string, limit int) ([]Record, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	recs, err := s.store.Decisions(ctx, service, before, limit+1)
	if err != nil {
		return nil, "", err
	}
	if a, _ := palisade.ActorFrom(ctx); a.Scoped() {
		recs = s.visible(ctx, recs)
	}
	if len(recs) > limit {
		recs = recs[:limit]
		return recs, recs[len(recs)-1].ID, nil
	}
	return recs, "", nil
}

// visible drops decisions about services outside a scoped caller's teams.
func (s *Service) visible(ctx context.Context, recs []Record) []Record {
	vis, err := s.catalog.Visible(ctx)
	if err != nil || vis == nil {
		if err != nil {
			return nil
		}
		return recs
	}
	out := recs[:0]
	for _, r := range recs {
		if vis[r.Service] {
			out = append(out, r)
		}
	}
	return out
}

// Get returns one decision. Requires viewer.
func (s *Service) Get(ctx context.Context, id string) (*Record, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	r, err := s.store.Decision(ctx, id)
	if err != nil {
		return nil, err
	}
	if a, _ := palisade.ActorFrom(ctx); a.Scoped() && len(s.visible(ctx, []Record{*r})) == 0 {
		return nil, palisade.Errorf(palisade.ENOTFOUND, "gate decision %q not found", id)
	}
	return r, nil
}
