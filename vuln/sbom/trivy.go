package sbom

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Trivy's `--format json` report (pkg/types in aquasecurity/trivy), schema
// version 2. Only what an inventory needs is decoded.
type trivyReport struct {
	SchemaVersion json.Number
	ArtifactName  string
	Metadata      struct {
		OS *struct {
			Family string
			Name   string
		}
	}
	Results *[]trivyResult
}

type trivyResult struct {
	Target          string
	Class           string
	Type            string
	Packages        []trivyPackage
	Vulnerabilities []trivyVuln
}

// trivyIdentifier is PkgIdentifier (on vulnerabilities) and Identifier (on
// packages); Trivy writes purls there since v0.49.
type trivyIdentifier struct {
	PURL   string
	UID    string
	BOMRef string
}

type trivyPackage struct {
	ID         string
	Name       string
	Identifier trivyIdentifier
	Version    string
	Release    string
	Epoch      int
	Arch       string
}

type trivyVuln struct {
	VulnerabilityID  string
	VendorIDs        []string
	PkgID            string
	PkgName          string
	PkgIdentifier    trivyIdentifier
	InstalledVersion string
	FixedVersion     string
	Severity         string
}

// readTrivy reads a Trivy report. Packages come from Results[].Packages
// (present with --list-all-pkgs) and from every vulnerable package, so a
// report without --list-all-pkgs still lists what is vulnerable. Reports
// older than Trivy v0.49 carry no purls; those are built from the result
// type (and for OS packages from Metadata.OS).
func readTrivy(name string, data []byte) (*Inventory, error) {
	if err := checkJSONLimits(name, data,
		limit{[]string{"Packages"}, MaxComponents, "packages"},
		limit{[]string{"Vulnerabilities"}, MaxFindings, "vulnerabilities"},
	); err != nil {
		return nil, err
	}
	var r trivyReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(name, data, err, "not a Trivy JSON report")
	}
	if r.Results == nil && r.SchemaVersion == "" {
		return nil, invalid(name, nil, "no SchemaVersion or Results; not a Trivy JSON report (trivy --format json)")
	}
	b := newBuilder(name, FormatTrivy)
	b.inv.SpecVersion = r.SchemaVersion.String()
	b.inv.Subject = r.ArtifactName
	if r.Results == nil {
		return b.finish(), nil
	}
	t := trivyTarget{}
	if r.Metadata.OS != nil {
		t.family, t.release = r.Metadata.OS.Family, r.Metadata.OS.Name
	}
	for i, res := range *r.Results {
		// listed maps a listed package (by PkgID and by name@version) to
		// its purl, so a vulnerability without PkgIdentifier finds the
		// package it is about instead of building a second, archless purl.
		listed := map[string]string{}
		for j, p := range res.Packages {
			version := trivyVersion(p.Version, p.Release, p.Epoch)
			c := Component{Purl: p.Identifier.PURL, Name: p.Name, Version: version, Type: res.Type, BOMRef: p.Identifier.BOMRef,
				Location: fmt.Sprintf("Results[%d].Packages[%d]", i, j)}
			if c.Purl == "" {
				c.Purl = t.purl(res, p.Name, version, p.Arch)
			}
			purl := b.addWhy(c, t.why(res))
			if p.ID != "" {
				listed["id\x00"+p.ID] = purl
			}
			listed["nv\x00"+p.Name+"@"+version] = purl
		}
		for j, v := range res.Vulnerabilities {
			loc := fmt.Sprintf("Results[%d].Vulnerabilities[%d]", i, j)
			c := Component{Purl: v.PkgIdentifier.PURL, Name: v.PkgName, Version: v.InstalledVersion, Type: res.Type, BOMRef: v.PkgIdentifier.BOMRef, Location: loc}
			if c.Purl == "" {
				if p, ok := listed["id\x00"+v.PkgID]; ok && v.PkgID != "" {
					c.Purl = p
				} else if p, ok := listed["nv\x00"+v.PkgName+"@"+v.InstalledVersion]; ok {
					c.Purl = p
				} else {
					c.Purl = t.purl(res, v.PkgName, v.InstalledVersion, "")
				}
			}
			purl := b.addWhy(c, t.why(res))
			if v.VulnerabilityID == "" {
				b.warnf("%s: vulnerability without an id; skipped", loc)
				continue
			}
			if purl == "" {
				b.warnf("%s: %s is reported for a package without a purl; skipped", loc, v.VulnerabilityID)
				continue
			}
			b.addFinding(Finding{
				Purl:     purl,
				ID:       v.VulnerabilityID,
				Aliases:  capList(v.VulnerabilityID, v.VendorIDs),
				Severity: normSeverity(v.Severity),
				Fixed:    splitFixed(v.FixedVersion),
				Location: loc,
			})
		}
	}
	return b.finish(), nil
}

// trivyTarget is the scanned OS, for purls of OS packages.
type trivyTarget struct{ family, release string }

func (t trivyTarget) purl(res trivyResult, name, version, arch string) string {
	if res.Class == "os-pkgs" {
		family := res.Type
		if family == "" {
			family = t.family
		}
		return osPurl(family, t.release, name, version, arch)
	}
	if p := langPurl(res.Type, name, version); p != "" || res.Class != "" {
		return p
	}
	// Reports without Class predate it; their OS results are typed by
	// the distribution.
	return osPurl(res.Type, t.release, name, version, arch)
}

func (t trivyTarget) why(res trivyResult) string {
	return fmt.Sprintf("no purl type for Trivy result type %q", res.Type)
}

// trivyVersion writes an RPM-style version ([epoch:]version[-release]) the
// way Trivy's InstalledVersion does, so a package listed in Packages and in
// Vulnerabilities gets the same version.
func trivyVersion(version, release string, epoch int) string {
	if release != "" {
		version += "-" + release
	}
	if epoch > 0 {
		version = strconv.Itoa(epoch) + ":" + version
	}
	return version
}

// splitFixed splits Trivy's FixedVersion, several versions joined with
// ", ", stopping at maxListed without splitting the rest.
func splitFixed(s string) []string {
	var parts []string
	for s != "" && len(parts) < maxListed {
		var part string
		part, s, _ = strings.Cut(s, ",")
		parts = append(parts, part)
	}
	return capList("", parts)
}
