package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// osv-scanner's `--format json` output (pkg/models in google/osv-scanner).
// Only what an inventory needs is decoded; unknown fields are ignored.
type osvResult struct {
	Source struct {
		Path string `json:"path"`
		Type string `json:"type"`
	} `json:"source"`
	Packages []osvPackage `json:"packages"`
}

type osvPackage struct {
	Package struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Ecosystem string `json:"ecosystem"`
		Commit    string `json:"commit"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Vulnerabilities []osvVuln `json:"vulnerabilities"`
	Groups          osvGroups `json:"groups"`
}

// osvVuln is a full OSV record in real output; osv-scanner's own test
// snapshots shorten it to the id string, and both forms are read.
type osvVuln struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	DatabaseSpecific struct {
		Severity any `json:"severity"`
	} `json:"database_specific"`
}

func (v *osvVuln) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '"' {
		*v = osvVuln{}
		return json.Unmarshal(b, &v.ID)
	}
	type plain osvVuln // without this method, to avoid recursion
	return json.Unmarshal(b, (*plain)(v))
}

// osvGroups is the list of alias groups; the test snapshots replace it by
// its length, which carries nothing to read.
type osvGroups []struct {
	IDs         []string `json:"ids"`
	Aliases     []string `json:"aliases"`
	MaxSeverity string   `json:"max_severity"`
}

func (g *osvGroups) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] != '[' && t[0] != 'n' {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("groups: expected an array or a count")
		}
		*g = nil
		return nil
	}
	type plain osvGroups
	return json.Unmarshal(b, (*plain)(g))
}

// readOSVScanner reads osv-scanner results. Packages carry an OSV
// ecosystem instead of a purl, so the purl is built from ecosystem, name and
// version (ecosystemPurl); each vulnerability becomes a finding whose
// aliases and severity come from its alias group and whose fixed versions
// come from the record's ranges for this package.
func readOSVScanner(name string, data []byte) (*Inventory, error) {
	if err := checkJSONLimits(name, data,
		limit{[]string{"packages"}, MaxComponents, "packages"},
		limit{[]string{"vulnerabilities"}, MaxFindings, "vulnerabilities"},
		limit{[]string{"affected", "ranges", "events", "groups"}, 4 * MaxFindings, "advisory entries (affected, ranges, events, groups)"},
	); err != nil {
		return nil, err
	}
	var out struct {
		Results *[]osvResult `json:"results"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, jsonError(name, data, err, "not osv-scanner JSON output")
	}
	if out.Results == nil {
		return nil, invalid(name, nil, "no \"results\" array; not osv-scanner JSON output (osv-scanner --format json)")
	}
	b := newBuilder(name, FormatOSVScanner)
	subjects := map[string]bool{}
	for i, r := range *out.Results {
		if r.Source.Path != "" {
			subjects[r.Source.Path] = true
		}
		for j, p := range r.Packages {
			loc := fmt.Sprintf("results[%d].packages[%d]", i, j)
			pkg := p.Package
			c := Component{Purl: pkg.Purl, Name: pkg.Name, Version: pkg.Version, Type: pkg.Ecosystem, Location: loc}
			why := ""
			if c.Purl == "" {
				c.Purl = ecosystemPurl(pkg.Ecosystem, pkg.Name, pkg.Version)
				switch {
				case c.Purl != "":
				case pkg.Ecosystem == "" && pkg.Commit != "":
					why = "only a commit " + pkg.Commit
				case pkg.Ecosystem == "":
					why = "no ecosystem"
				default:
					why = fmt.Sprintf("no purl type for ecosystem %q", pkg.Ecosystem)
				}
			}
			purl := b.addWhy(c, why)
			// groupsOf maps a vulnerability id to the aliases of its groups
			// (capped once per group, not once per vulnerability) and their
			// highest severity.
			type groupInfo struct {
				aliases  []string
				severity string
			}
			groupsOf := map[string]*groupInfo{}
			for _, v := range p.Vulnerabilities {
				groupsOf[v.ID] = nil
			}
			for _, g := range p.Groups {
				aliases := capList("", g.IDs, g.Aliases)
				severity := normSeverity(g.MaxSeverity)
				for _, id := range g.IDs {
					gi, reported := groupsOf[id]
					switch {
					case !reported:
						continue
					case gi == nil:
						// Shared, never changed: capList copies.
						gi = &groupInfo{aliases: aliases, severity: SeverityUnknown}
						groupsOf[id] = gi
					case len(gi.aliases) < maxListed:
						gi.aliases = capList("", gi.aliases, aliases)
					}
					if severityRank(severity) > severityRank(gi.severity) {
						gi.severity = severity
					}
				}
			}
			for k, v := range p.Vulnerabilities {
				vloc := fmt.Sprintf("%s.vulnerabilities[%d]", loc, k)
				if v.ID == "" {
					b.warnf("%s: vulnerability without an id; skipped", vloc)
					continue
				}
				if purl == "" {
					b.warnf("%s: %s is reported for a package without a purl; skipped", vloc, v.ID)
					continue
				}
				f := Finding{Purl: purl, ID: v.ID, Aliases: capList(v.ID, v.Aliases), Severity: SeverityUnknown, Location: vloc}
				if s, ok := v.DatabaseSpecific.Severity.(string); ok {
					f.Severity = normSeverity(s)
				}
				if g := groupsOf[v.ID]; g != nil {
					f.Aliases = capList(v.ID, f.Aliases, g.aliases)
					// The group's max_severity, a CVSS score over all its
					// records, is more precise than a database's word.
					if g.severity != SeverityUnknown {
						f.Severity = g.severity
					}
				}
				f.Fixed = osvFixed(&v, pkg.Ecosystem, pkg.Name)
				b.addFinding(f)
			}
		}
	}
	if len(subjects) == 1 {
		for s := range subjects {
			b.inv.Subject = s
		}
	}
	return b.finish(), nil
}

// osvFixed collects the fixed events of the record's ranges for the
// package; a record can cover several packages (a Debian source package
// and its binaries), and only this one's fixes apply.
func osvFixed(v *osvVuln, ecosystem, name string) []string {
	base, _, _ := strings.Cut(ecosystem, ":")
	var fixed []string
	for _, a := range v.Affected {
		abase, _, _ := strings.Cut(a.Package.Ecosystem, ":")
		if abase != base || !samePackageName(base, a.Package.Name, name) {
			continue
		}
		for _, r := range a.Ranges {
			for _, e := range r.Events {
				if e.Fixed != "" {
					fixed = append(fixed, e.Fixed)
				}
			}
		}
	}
	return capList("", fixed)
}

// samePackageName compares package names the way the ecosystem does: PyPI
// names are case-insensitive with "-", "_" and "." equivalent (PEP 503), so
// osv-scanner's "Flask" is the advisory's "flask"; other names compare
// exactly.
func samePackageName(ecosystem, a, b string) bool {
	if ecosystem == "PyPI" {
		norm := strings.NewReplacer("_", "-", ".", "-")
		return strings.EqualFold(norm.Replace(a), norm.Replace(b))
	}
	return a == b
}
