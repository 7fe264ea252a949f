package catalog

import (
	"context"
	"slices"

	"github.com/palisade-project/palisade"
)

// Store is what the catalog needs from persistence. Implementations own
// their transactions and write an audit entry for every change in the same
// transaction as the change.
type Store interface {
	// ApplyCatalog loads the current catalog and calls plan with it inside
	// one write transaction; unless dryRun is set it then writes the plan's
	// changes (with their audit entries) in that transaction. It returns
	// the plan.
	ApplyCatalog(ctx context.Context, dryRun bool, plan func(current *Catalog) (*Plan, error)) (*Plan, error)
	// LoadCatalog returns the whole stored catalog, normalized.
	LoadCatalog(ctx context.Context) (*Catalog, error)
	// ListServices returns services in name order after f.After.
	ListServices(ctx context.Context, f ServiceFilter) ([]Service, error)
	// Service returns one service or ENOTFOUND.
	Service(ctx context.Context, name string) (*Service, error)
	// Dependents returns the names of services that depend on name.
	Dependents(ctx context.Context, name string) ([]string, error)
	// Stats counts the catalog's objects.
	Stats(ctx context.Context) (*Stats, error)
	ListTeams(ctx context.Context, after string, limit int) ([]Team, error)
	Team(ctx context.Context, name string) (*Team, error)
	ListThirdParties(ctx context.Context, after string, limit int) ([]ThirdParty, error)
	ThirdParty(ctx context.Context, name string) (*ThirdParty, error)
}

// ServiceFilter selects services. Zero fields match everything.
type ServiceFilter struct {
	Team string
	Tier int
	Tag  string
	// ThirdParty selects the services that use this third party.
	ThirdParty string
	// After is the name to continue after (keyset pagination).
	After string
	Limit int
}

// Page sizes for list calls.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// PageLimit clamps a requested page size.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// Registry is the catalog capability. It checks the caller's role on every
// call so that the API, the web UI and the CLI are held to the same rules.
type Registry struct {
	store    Store
	sections map[string]SectionHandler
}

// SectionHandler decodes a section of palisade.yaml that another capability
// owns, and returns the change that applying it makes. Decoding happens
// before anything is written, so an invalid section stops the whole apply.
// prune is the apply's --prune: a section that declares a set of objects
// deletes the undeclared ones only then.
type SectionHandler func(ctx context.Context, n *Node, prune bool) (apply func(ctx context.Context) error, err error)

type siblingsKey struct{}

// Sibling returns section name of the document a SectionHandler is
// decoding, or nil: for sections that refer to each other (routing rules
// name the severities declared beside them).
func Sibling(ctx context.Context, name string) *Node {
	m, _ := ctx.Value(siblingsKey{}).(map[string]*Node)
	return m[name]
}

// HandleSection makes Apply hand the named section to h. Wiring calls it at
// start-up, before the registry is used.
func (s *Registry) HandleSection(name string, h SectionHandler) {
	if s.sections == nil {
		s.sections = map[string]SectionHandler{}
	}
	s.sections[name] = h
}

// NewRegistry returns the catalog capability over store.
func NewRegistry(store Store) *Registry { return &Registry{store: store} }

// ApplyOptions control Apply.
type ApplyOptions struct {
	// Prune deletes stored objects that doc does not declare.
	Prune bool
	// DryRun computes and returns the plan without changing anything.
	DryRun bool
}

// Apply makes the stored catalog match doc: it validates doc against what
// will remain, computes the plan and writes it in one transaction. Any
// validation error means nothing is written. Requires editor.
func (s *Registry) Apply(ctx context.Context, doc *Document, opt ApplyOptions) (*Plan, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
		return nil, err
	}
	doc.Normalize()
	var then []func(context.Context) error
	var names []string
	ctx = context.WithValue(ctx, siblingsKey{}, doc.Sections)
	for name, n := range doc.Sections {
		h, ok := s.sections[name]
		if !ok {
			return nil, n.Errorf("section %q is not handled here", name)
		}
		apply, err := h(ctx, n, opt.Prune)
		if err != nil {
			return nil, err
		}
		then = append(then, apply)
		names = append(names, name)
	}
	plan, err := s.store.ApplyCatalog(ctx, opt.DryRun, func(current *Catalog) (*Plan, error) {
		existing := current
		if opt.Prune {
			existing = nil
		}
		if errs := doc.Validate(existing); len(errs) > 0 {
			return nil, errs
		}
		return Diff(current, &doc.Catalog, opt.Prune), nil
	})
	if err != nil {
		return nil, err
	}
	plan.Warnings = doc.Warnings
	if !opt.DryRun {
		// Sections go after the catalog: they may refer to its services.
		for _, apply := range then {
			if err := apply(ctx); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(names)
	plan.Sections = names
	return plan, nil
}

// ListServices returns one page of services and the cursor of the next page
// ("" at the end). Requires viewer.
func (s *Registry) ListServices(ctx context.Context, f ServiceFilter) ([]Service, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	f.Limit = PageLimit(f.Limit)
	want := f.Limit
	f.Limit++ // one more tells whether there is a next page
	items, err := s.store.ListServices(ctx, f)
	if err != nil {
		return nil, "", err
	}
	return pageOf(items, want, func(s Service) string { return s.Name })
}

func pageOf[T any](items []T, want int, key func(T) string) ([]T, string, error) {
	if len(items) > want {
		items = items[:want]
		return items, key(items[len(items)-1]), nil
	}
	return items, "", nil
}

// ServiceDetail is a service with what the rest of the catalog says about it.
type ServiceDetail struct {
	Service
	// Dependents are the services that depend on this one.
	Dependents []string `json:"dependents"`
	// TeamMembers are the owner team's members.
	TeamMembers []string `json:"teamMembers"`
	// Vendors are the third parties the service uses.
	Vendors []ThirdParty `json:"vendors"`
}

// Service returns one service with its dependents, owner and vendors.
// Requires viewer.
func (s *Registry) Service(ctx context.Context, name string) (*ServiceDetail, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	svc, err := s.store.Service(ctx, name)
	if err != nil {
		return nil, err
	}
	d := &ServiceDetail{Service: *svc, Vendors: []ThirdParty{}}
	if d.Dependents, err = s.store.Dependents(ctx, name); err != nil {
		return nil, err
	}
	team, err := s.store.Team(ctx, svc.Team)
	if err != nil {
		return nil, err
	}
	d.TeamMembers = team.Members
	for _, v := range svc.ThirdParties {
		tp, err := s.store.ThirdParty(ctx, v)
		if err != nil {
			return nil, err
		}
		d.Vendors = append(d.Vendors, *tp)
	}
	return d, nil
}

// Stats counts the catalog's objects.
type Stats struct {
	Services     int `json:"services"`
	Teams        int `json:"teams"`
	ThirdParties int `json:"thirdParties"`
	// ServicesByTier has one count per tier, index 0 for tier 1.
	ServicesByTier [MaxTier]int `json:"servicesByTier"`
}

// Stats counts the catalog's objects. Requires viewer.
func (s *Registry) Stats(ctx context.Context) (*Stats, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.Stats(ctx)
}

// ListTeams returns one page of teams and the next cursor. Requires viewer.
func (s *Registry) ListTeams(ctx context.Context, after string, limit int) ([]Team, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	limit = PageLimit(limit)
	items, err := s.store.ListTeams(ctx, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	return pageOf(items, limit, func(t Team) string { return t.Name })
}

// Team returns one team. Requires viewer.
func (s *Registry) Team(ctx context.Context, name string) (*Team, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.Team(ctx, name)
}

// ListThirdParties returns one page of third parties and the next cursor.
// Requires viewer.
func (s *Registry) ListThirdParties(ctx context.Context, after string, limit int) ([]ThirdParty, string, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, "", err
	}
	limit = PageLimit(limit)
	items, err := s.store.ListThirdParties(ctx, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	return pageOf(items, limit, func(t ThirdParty) string { return t.Name })
}

// ThirdParty returns one third party. Requires viewer.
func (s *Registry) ThirdParty(ctx context.Context, name string) (*ThirdParty, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.ThirdParty(ctx, name)
}

// Graph is a small directed graph around one service, for drawing.
type Graph struct {
	Center string `json:"center"`
	// Upstream are services that depend on Center (they break if it does).
	Upstream []string `json:"upstream"`
	// Downstream are services Center depends on.
	Downstream []string `json:"downstream"`
	// Vendors are third parties Center depends on.
	Vendors []string `json:"vendors"`
}

// Neighbourhood returns the services and vendors one step from name.
// Requires viewer.
func (s *Registry) Neighbourhood(ctx context.Context, name string) (*Graph, error) {
	d, err := s.Service(ctx, name)
	if err != nil {
		return nil, err
	}
	g := &Graph{Center: name, Upstream: slices.Clone(d.Dependents), Downstream: slices.Clone(d.DependsOn), Vendors: slices.Clone(d.ThirdParties)}
	return g, nil
}

// TeamServices returns the names of the services owned by any of teams.
// Requires viewer.
func (s *Registry) TeamServices(ctx context.Context, teams ...string) ([]string, error) {
	var out []string
	for _, team := range teams {
		f := ServiceFilter{Team: team, Limit: MaxPageSize}
		for {
			page, next, err := s.ListServices(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, svc := range page {
				out = append(out, svc.Name)
			}
			if next == "" {
				break
			}
			f.After = next
		}
	}
	slices.Sort(out)
	return out, nil
}

// Visible returns the services the caller may see: nil when the caller is
// not scoped to teams (all of them), else the services of its teams.
func (s *Registry) Visible(ctx context.Context) (map[string]bool, error) {
	a, _ := palisade.ActorFrom(ctx)
	if !a.Scoped() {
		return nil, nil
	}
	names, err := s.TeamServices(ctx, a.Teams...)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set, nil
}
