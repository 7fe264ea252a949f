package vuln

import (
	"context"
	"github.com/palisade-project/palisade"
	"slices"
)

// visible returns the services the caller may see, or nil when the caller
// is not scoped to teams (everything is visible).
func (s *Service) visible(ctx context.Context) (map[string]bool, error) {
	return s.catalog.Visible(ctx)
}

// names returns a scope's services in order.
func names(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// restrict narrows a filter to the caller's services.
func (s *Service) restrict(ctx context.Context, f *FindingFilter) error {
	vis, err := s.visible(ctx)
	if err != nil || vis == nil {
		return err
	}
	if f.Service != "" && !vis[f.Service] {
		f.Services = []string{} // nothing
		return nil
	}
	if f.Services == nil {
		f.Services = names(vis)
		return nil
	}
	f.Services = slices.DeleteFunc(slices.Clone(f.Services), func(n string) bool { return !vis[n] })
	return nil
}

// checkService refuses a service outside the caller's teams; reads get
// ENOTFOUND (a scoped token learns nothing of other teams' services),
// changes EFORBIDDEN.
func (s *Service) checkService(ctx context.Context, service string, write bool) error {
	vis, err := s.visible(ctx)
	if err != nil || vis == nil || vis[service] {
		return err
	}
	if write {
		return palisade.Errorf(palisade.EFORBIDDEN, "service %q is outside the teams this token may act for", service)
	}
	return palisade.Errorf(palisade.ENOTFOUND, "service %q not found", service)
}
