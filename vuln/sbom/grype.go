package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Grype's `-o json` document (grype/presenter/models in anchore/grype).
// Only what an inventory needs is decoded.
type grypeDocument struct {
	Matches *[]grypeMatch `json:"matches"`
	Source  *struct {
		Type   string          `json:"type"`
		Target json.RawMessage `json:"target"`
	} `json:"source"`
	Distro struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"distro"`
}

type grypeMatch struct {
	Vulnerability struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Fix      struct {
			Versions []string `json:"versions"`
			State    string   `json:"state"`
		} `json:"fix"`
	} `json:"vulnerability"`
	RelatedVulnerabilities []struct {
		ID string `json:"id"`
	} `json:"relatedVulnerabilities"`
	Artifact struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Version string `json:"version"`
		Type    string `json:"type"`
		Purl    string `json:"purl"`
	} `json:"artifact"`
}

// readGrype reads Grype matches. Grype lists only matched packages, so the
// inventory holds the vulnerable packages only; scan with Syft (CycloneDX
// or SPDX) for the whole inventory. relatedVulnerabilities (the CVE behind
// a GHSA, for instance) become aliases.
func readGrype(name string, data []byte) (*Inventory, error) {
	if err := checkJSONLimits(name, data,
		limit{[]string{"matches"}, MaxFindings, "matches"},
		limit{[]string{"relatedVulnerabilities", "fix", "versions"}, 4 * MaxFindings, "related vulnerabilities and fixes"},
	); err != nil {
		return nil, err
	}
	var d grypeDocument
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, jsonError(name, data, err, "not Grype JSON output")
	}
	if d.Matches == nil {
		return nil, invalid(name, nil, "no \"matches\" array; not Grype JSON output (grype -o json)")
	}
	b := newBuilder(name, FormatGrype)
	if d.Source != nil {
		b.inv.Subject = grypeTarget(d.Source.Target)
	}
	for i, m := range *d.Matches {
		loc := fmt.Sprintf("matches[%d]", i)
		a := m.Artifact
		c := Component{Purl: a.Purl, Name: a.Name, Version: a.Version, Type: a.Type, Location: loc + ".artifact"}
		why := ""
		if c.Purl == "" {
			c.Purl = langPurl(a.Type, a.Name, a.Version)
			if c.Purl == "" {
				c.Purl = osPurl(grypeFamily(a.Type, d.Distro.Name), d.Distro.Version, a.Name, a.Version, "")
			}
			if c.Purl == "" {
				why = fmt.Sprintf("no purl type for Grype artifact type %q", a.Type)
			}
		}
		purl := b.addWhy(c, why)
		v := m.Vulnerability
		if v.ID == "" {
			b.warnf("%s: match without a vulnerability id; skipped", loc)
			continue
		}
		if purl == "" {
			b.warnf("%s: %s is reported for a package without a purl; skipped", loc, v.ID)
			continue
		}
		var aliases []string
		for _, r := range m.RelatedVulnerabilities {
			aliases = append(aliases, r.ID)
		}
		b.addFinding(Finding{
			Purl:     purl,
			ID:       v.ID,
			Aliases:  capList(v.ID, aliases),
			Severity: normSeverity(v.Severity),
			Fixed:    capList("", v.Fix.Versions),
			Location: loc,
		})
	}
	return b.finish(), nil
}

// grypeTarget is what was scanned: the user's input for an image, the path
// for a directory or file.
func grypeTarget(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if raw[0] == '"' {
		_ = json.Unmarshal(raw, &s)
		return s
	}
	var t struct {
		UserInput string `json:"userInput"`
		Path      string `json:"path"`
	}
	if err := json.Unmarshal(raw, &t); err == nil {
		if t.UserInput != "" {
			return t.UserInput
		}
		return t.Path
	}
	return ""
}

// grypeFamily is the distribution family of an OS package: the scanned
// distro's name, when the package's type fits it.
func grypeFamily(artifactType, distroName string) string {
	switch artifactType {
	case "apk", "deb", "rpm":
		return distroName
	}
	return ""
}
