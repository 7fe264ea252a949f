package vuln

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ScanResult is what `palisade scan` reports: one entry per (component,
// advisory record).
type ScanResult struct {
	Source     string        `json:"source"`
	Format     string        `json:"format"`
	Service    string        `json:"service,omitempty"`
	Components int           `json:"components"`
	Findings   []ScanFinding `json:"findings"`
	// Warnings lists components that could not be placed in an OSV
	// ecosystem (and so were not matched) and other reading problems.
	Warnings []string `json:"warnings"`
}

// ScanFinding is one advisory affecting one component.
type ScanFinding struct {
	Purl     string   `json:"purl"`
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary,omitempty"`
	Severity string   `json:"severity"`
	CVSS     *float64 `json:"cvss"`
	KEV      bool     `json:"kev"`
	EPSS     *float64 `json:"epss"`
	Fixed    []string `json:"fixed"`
	// Finding and State are set when the scan recorded the inventory of a
	// service: the finding's id and its current state (a VEX decision or
	// triage already made shows here).
	Finding       string `json:"finding,omitempty"`
	State         string `json:"state,omitempty"`
	Justification string `json:"justification,omitempty"`
	Detail        string `json:"detail,omitempty"`
}

// SortScan orders findings by severity, then purl, then id.
func SortScan(fs []ScanFinding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := SeverityRank(a.Severity), SeverityRank(b.Severity); ra != rb {
			return ra < rb
		}
		if a.Purl != b.Purl {
			return a.Purl < b.Purl
		}
		return a.ID < b.ID
	})
}

// sarifLevel maps severity to SARIF's result levels.
func sarifLevel(sev string) string {
	switch sev {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// WriteSARIF writes the scan as SARIF 2.1.0, one rule per advisory and one
// result per finding, located at the scanned file, so code-scanning UIs
// (GitHub, GitLab) show them.
func WriteSARIF(w io.Writer, r *ScanResult, version string) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string         `json:"id"`
		Name             string         `json:"name,omitempty"`
		ShortDescription msg            `json:"shortDescription"`
		HelpURI          string         `json:"helpUri"`
		Properties       map[string]any `json:"properties,omitempty"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID     string         `json:"ruleId"`
		Level      string         `json:"level"`
		Message    msg            `json:"message"`
		Locations  []location     `json:"locations"`
		Properties map[string]any `json:"properties,omitempty"`
	}
	rules := []rule{}
	seen := map[string]bool{}
	results := []result{}
	for _, f := range r.Findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			desc := f.Summary
			if desc == "" {
				desc = f.ID
			}
			props := map[string]any{"tags": append([]string{"security", f.Severity}, f.Aliases...)}
			if f.CVSS != nil {
				props["security-severity"] = fmt.Sprintf("%.1f", *f.CVSS)
			}
			rules = append(rules, rule{ID: f.ID, Name: strings.Join(f.Aliases, ", "), ShortDescription: msg{desc}, HelpURI: "https://osv.dev/vulnerability/" + f.ID, Properties: props})
		}
		text := fmt.Sprintf("%s is affected by %s (%s)", f.Purl, f.ID, f.Severity)
		if len(f.Fixed) > 0 {
			text += "; fixed in " + strings.Join(f.Fixed, ", ")
		}
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = r.Source
		props := map[string]any{"purl": f.Purl, "kev": f.KEV}
		if f.State != "" {
			props["state"] = f.State
		}
		results = append(results, result{RuleID: f.ID, Level: sarifLevel(f.Severity), Message: msg{text}, Locations: []location{loc}, Properties: props})
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "palisade", "version": version, "informationUri": "https://github.com/palisade-project/palisade", "rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
