package vuln

import (
	"context"

	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/vuln/osv"
)

// StateAccepted marks, in a ChangeDiff, a finding under an active risk
// acceptance (the change gate treats it as decided).
const StateAccepted = "accepted"

// ChangeDiff is what a candidate inventory changes for a service.
type ChangeDiff struct {
	Service string `json:"service"`
	// Introduced are findings the candidate has and the current inventory
	// does not; State carries a decision already made for the same
	// advisory and package in the service (VEX, triage, or StateAccepted),
	// or in_triage.
	Introduced []ScanFinding `json:"introduced"`
	// Removed are the service's unresolved findings the candidate no
	// longer has.
	Removed []ScanFinding `json:"removed"`
	// Unchanged counts findings both have.
	Unchanged int `json:"unchanged"`
	// HasInventory is false when the service has no current inventory:
	// then everything the candidate has counts as introduced.
	HasInventory bool     `json:"hasInventory"`
	Warnings     []string `json:"warnings"`
}

// Diff matches a candidate inventory of a service (the SBOM of a change)
// against the stored advisories and compares it with the service's current
// findings, without recording anything. Requires viewer.
func (s *Service) Diff(ctx context.Context, service string, files []File) (*ChangeDiff, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return nil, err
	}
	if _, err := s.catalog.Service(ctx, service); err != nil {
		return nil, err
	}
	if err := s.checkService(ctx, service, false); err != nil {
		return nil, err
	}
	scan, err := s.Scan(ctx, files, ScanOptions{})
	if err != nil {
		return nil, err
	}
	now := s.clock()
	current, err := s.store.Findings(ctx, FindingFilter{Service: service, Now: now})
	if err != nil {
		return nil, err
	}
	inv, err := s.store.InventoryTimes(ctx)
	if err != nil {
		return nil, err
	}
	d := &ChangeDiff{Service: service, Introduced: []ScanFinding{}, Removed: []ScanFinding{}, HasInventory: !inv[service].IsZero(), Warnings: scan.Warnings}
	byID := map[string]*Finding{}
	// Decisions by (advisory, package): a decision about a package's use
	// of an advisory holds for another version of it.
	decided := map[[2]string]*Finding{}
	for i := range current {
		f := &current[i]
		byID[f.ID] = f
		if decision(f, now) != "" {
			decided[[2]string{f.Advisory, f.Package}] = f
		}
	}
	seen := map[string]bool{}
	for _, sf := range scan.Findings {
		id := FindingID(service, sf.Purl, sf.ID)
		seen[id] = true
		if f, ok := byID[id]; ok && f.State != StateResolved {
			d.Unchanged++
			continue
		}
		sf.State = StateInTriage
		if pkg, _, err := packageOf(sf.Purl); err == nil {
			if f, ok := decided[[2]string{sf.ID, pkg}]; ok {
				sf.State, sf.Justification, sf.Detail, sf.Finding = decision(f, now), f.Justification, f.Detail, f.ID
			}
		}
		d.Introduced = append(d.Introduced, sf)
	}
	for _, f := range current {
		if seen[f.ID] || f.State == StateResolved {
			continue
		}
		d.Removed = append(d.Removed, ScanFinding{Purl: f.Purl, ID: f.Advisory, Aliases: f.Aliases, Summary: f.Summary, Severity: f.Severity,
			CVSS: f.CVSS, KEV: f.KEV, EPSS: f.EPSS, Fixed: f.Fixed, Finding: f.ID, State: f.State})
	}
	SortScan(d.Introduced)
	SortScan(d.Removed)
	return d, nil
}

// decision is the state a gate should see for a decided finding, or "".
func decision(f *Finding, now time.Time) string {
	switch {
	case f.State == StateNotAffected || f.State == StateFalsePositive:
		return f.State
	case f.Acceptance.Active(now):
		return StateAccepted
	}
	return ""
}

// packageOf returns the OSV-normalized package name of a purl.
func packageOf(purl string) (string, string, error) {
	pkg, version, err := osv.FromPurl(purl)
	if err != nil {
		return "", "", err
	}
	return osv.NormalizeName(pkg.Ecosystem, pkg.Name), version, nil
}
