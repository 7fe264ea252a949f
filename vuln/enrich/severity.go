package enrich

import (
	"strings"
	"time"
)

// Severity decides the severity of an advisory from its CVSS vectors (OSV
// severity[].score) and, failing those, from the word its database gave
// (OSV database_specific.severity, such as GitHub's "MODERATE").
//
// Of the vectors that parse, the newest CVSS version wins (4.0 over 3.1
// over 3.0 over 2.0) because a source that took the trouble to publish a
// newer vector means it; among vectors of one version the highest base
// score wins, so two disagreeing sources never lower the rating. Vectors
// that do not parse are ignored, as a record with one bad vector among
// good ones is still usable. With no usable vector the database word is
// normalised (see NormalizeSeverity); with neither the result is
// SeverityUnknown.
func Severity(vectors []string, databaseSeverity string) string {
	best, found := Score{}, false
	for _, v := range vectors {
		s, err := ScoreVector(v)
		if err != nil {
			continue
		}
		if !found || versionRank(s.Version) > versionRank(best.Version) ||
			(s.Version == best.Version && s.Base > best.Base) {
			best, found = s, true
		}
	}
	if found {
		return best.Severity
	}
	return NormalizeSeverity(databaseSeverity)
}

func versionRank(v string) int {
	switch v {
	case CVSSv40:
		return 4
	case CVSSv31:
		return 3
	case CVSSv30:
		return 2
	case CVSSv2:
		return 1
	}
	return 0
}

// NormalizeSeverity maps the severity words advisory databases use to
// Palisade's five plus SeverityUnknown: case is ignored, "moderate"
// (GitHub, PyPA) is medium and "important" (Red Hat) is high. Any other
// word, and the empty string, is SeverityUnknown.
func NormalizeSeverity(word string) string {
	switch w := strings.ToLower(strings.TrimSpace(word)); w {
	case SeverityNone, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return w
	case "moderate":
		return SeverityMedium
	case "important":
		return SeverityHigh
	}
	return SeverityUnknown
}

// Due returns the deadline of a finding on an advisory known by ids (its
// id and aliases): policyDue, or the CISA due date of the first of ids in
// the catalog when that is earlier. BOD 22-01 due dates are calendar
// dates; the catalog's date counts as due at its start (00:00 UTC), the
// stricter reading. A nil catalog leaves policyDue unchanged.
func (k *KEV) Due(policyDue time.Time, ids ...string) time.Time {
	e, ok := k.Find(ids...)
	if !ok || e.DueDate.IsZero() {
		return policyDue
	}
	if policyDue.IsZero() || e.DueDate.Before(policyDue) {
		return e.DueDate
	}
	return policyDue
}

// Find returns the catalog entry of the first of ids that is in the
// catalog. A nil catalog finds nothing.
func (k *KEV) Find(ids ...string) (KEVEntry, bool) {
	if k == nil {
		return KEVEntry{}, false
	}
	for _, id := range ids {
		if e, ok := k.Entries[strings.ToUpper(strings.TrimSpace(id))]; ok {
			return e, true
		}
	}
	return KEVEntry{}, false
}
