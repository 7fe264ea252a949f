// Package catalogtest generates large, realistic catalogs for benchmarks
// and load tests.
package catalogtest

import (
	"fmt"
	"math/rand/v2"

	"github.com/palisade-project/palisade/catalog"
)

// Generate returns a valid catalog with the given numbers of teams and
// services and one third party per 50 services. Each service depends on up
// to four earlier services and may use a vendor; the same seed gives the
// same catalog.
func Generate(teams, services int, seed uint64) catalog.Catalog {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := catalog.Catalog{}
	for i := range teams {
		c.Teams = append(c.Teams, catalog.Team{
			Name:        fmt.Sprintf("team-%04d", i),
			Description: fmt.Sprintf("Generated team %d", i),
			Members:     []string{fmt.Sprintf("oncall-%04d@example.com", i), fmt.Sprintf("lead-%04d@example.com", i)},
		})
	}
	vendors := max(1, services/50)
	for i := range vendors {
		c.ThirdParties = append(c.ThirdParties, catalog.ThirdParty{
			Name:        fmt.Sprintf("vendor-%04d", i),
			StatusPage:  fmt.Sprintf("https://status.vendor-%04d.example.com", i),
			DataClasses: []string{"pii"},
		})
	}
	tags := []string{"pci", "customer-facing", "internal", "batch", "edge", "auth"}
	classes := []string{"pii", "payment-card", "credentials", "health"}
	for i := range services {
		s := catalog.Service{
			Name:        fmt.Sprintf("svc-%05d", i),
			Description: fmt.Sprintf("Generated service %d", i),
			Team:        c.Teams[r.IntN(teams)].Name,
			Tier:        1 + r.IntN(catalog.MaxTier),
			Tags:        []string{tags[r.IntN(len(tags))]},
			DataClasses: []string{classes[r.IntN(len(classes))]},
		}
		for range r.IntN(5) {
			if i > 0 {
				s.DependsOn = append(s.DependsOn, fmt.Sprintf("svc-%05d", r.IntN(i)))
			}
		}
		if r.IntN(3) == 0 {
			s.ThirdParties = []string{c.ThirdParties[r.IntN(vendors)].Name}
		}
		c.Services = append(c.Services, s)
	}
	c.Normalize()
	return c
}
