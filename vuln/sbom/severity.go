package sbom

import (
	"strconv"
	"strings"
)

// Severities, from most to least severe: the vocabulary of package vuln
// (vuln.Severities). Every reader maps its scanner's scale onto these, so
// that remediation deadlines (per severity) do not depend on which scanner
// found a vulnerability.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityUnknown  = "unknown"
)

// normSeverity maps a scanner's severity word or a CVSS base score onto the
// Severity constants. GHSA's "moderate" is medium; Grype's "negligible",
// CycloneDX's "info" and "none" and a CVSS score of 0 are low: the least
// severe level still gets a deadline, rather than a level the CVE process
// does not know. Anything unrecognized is unknown rather than guessed.
func normSeverity(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "critical":
		return SeverityCritical
	case "high", "important":
		return SeverityHigh
	case "medium", "moderate":
		return SeverityMedium
	case "low", "negligible", "none", "info", "informational":
		return SeverityLow
	}
	if score, err := strconv.ParseFloat(s, 64); err == nil {
		return scoreSeverity(score)
	}
	return SeverityUnknown
}

// scoreSeverity is the CVSS v3/v4 qualitative rating of a base score.
func scoreSeverity(score float64) string {
	switch {
	case score >= 9.0 && score <= 10.0:
		return SeverityCritical
	case score >= 7.0 && score < 9.0:
		return SeverityHigh
	case score >= 4.0 && score < 7.0:
		return SeverityMedium
	case score >= 0 && score < 4.0:
		return SeverityLow
	}
	return SeverityUnknown
}

// severityRank orders severities so that merged findings keep the worst.
func severityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 5
	case SeverityHigh:
		return 4
	case SeverityMedium:
		return 3
	case SeverityLow:
		return 2
	}
	return 1
}
