// Package enrich adds outside risk signals to advisories: the CVSS score of
// a severity vector, membership of the CISA Known Exploited Vulnerabilities
// catalog, and the FIRST EPSS exploit probability.
//
// Every reader here takes input Palisade does not control (a vector in an
// OSV record, a catalog downloaded from a government site), so each one
// bounds its input, rejects what it cannot read with a palisade.Error that
// names the line or position, and never panics.
package enrich

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/palisade-project/palisade"
)

// MaxVectorLength bounds the vectors ScoreVector reads. The longest valid
// vector (CVSS v4.0 with every environmental and supplemental metric) is
// under 250 bytes; anything longer is not a vector.
const MaxVectorLength = 512

// CVSS versions as Score.Version reports them.
const (
	CVSSv2  = "2.0"
	CVSSv30 = "3.0"
	CVSSv31 = "3.1"
	CVSSv40 = "4.0"
)

// Qualitative severities, the words Rating returns. SeverityUnknown is what
// Palisade shows when no score or rating is known at all.
const (
	SeverityNone     = "none"
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
	SeverityUnknown  = "unknown"
)

// Score is the result of scoring one CVSS vector.
type Score struct {
	// Version is CVSSv2, CVSSv30, CVSSv31 or CVSSv40.
	Version string
	// Base is the score of the base metrics alone, whatever other metric
	// groups the vector carries: the number advisories publish and the
	// remediation policy keys on.
	Base float64
	// Severity is Rating(Version, Base).
	Severity string
	// Effective is the score with every metric group the vector gives:
	// for v4.0 the single CVSS-B/BT/BE/BTE score; for v3.x the
	// environmental score (which equals the temporal score, and that the
	// base score, when those metrics are absent); for v2 likewise.
	Effective float64
}

// ScoreVector parses a CVSS vector and scores it. It accepts
// "CVSS:4.0/…", "CVSS:3.1/…", "CVSS:3.0/…" and bare v2 vectors
// ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally in parentheses as NVD prints
// them). Metrics must appear in the specification's order. Surrounding
// white space is ignored. A malformed vector is an EINVALID error that
// quotes it.
func ScoreVector(vector string) (Score, error) {
	v := strings.TrimSpace(vector)
	if len(v) > MaxVectorLength {
		return Score{}, palisade.Errorf(palisade.EINVALID, "cvss vector is %d bytes long; no valid vector exceeds %d", len(v), MaxVectorLength)
	}
	if v == "" {
		return Score{}, palisade.Errorf(palisade.EINVALID, "cvss vector is empty")
	}
	var s Score
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return Score{}, vectorError(vector, err)
		}
		s = Score{Version: CVSSv40, Effective: c.Score(), Base: v4Base(c)}
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return Score{}, vectorError(vector, err)
		}
		s = Score{Version: CVSSv31, Base: c.BaseScore(), Effective: c.EnvironmentalScore()}
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return Score{}, vectorError(vector, err)
		}
		s = Score{Version: CVSSv30, Base: c.BaseScore(), Effective: c.EnvironmentalScore()}
	case strings.HasPrefix(v, "CVSS:"):
		return Score{}, palisade.Errorf(palisade.EINVALID, "cvss vector %s: unsupported version %q (supported: 2.0 without prefix, 3.0, 3.1, 4.0)", quote(vector), strings.SplitN(v, "/", 2)[0])
	default:
		metrics, canonical, err := normalizeV2(strings.TrimSuffix(strings.TrimPrefix(v, "("), ")"))
		if err != nil {
			return Score{}, palisade.Errorf(palisade.EINVALID, "cvss vector %s: %v", quote(vector), err)
		}
		c, err := gocvss20.ParseVector(canonical)
		if err != nil {
			return Score{}, vectorError(vector, err)
		}
		s = Score{Version: CVSSv2, Base: c.BaseScore(), Effective: v2Effective(c, metrics)}
	}
	// -0.0 comes out of some v2 vectors with no impact; nobody wants to
	// read "-0".
	s.Base = math.Abs(s.Base)
	s.Effective = math.Abs(s.Effective)
	s.Severity = Rating(s.Version, s.Base)
	return s, nil
}

func vectorError(vector string, err error) error {
	return &palisade.Error{Code: palisade.EINVALID, Message: "cvss vector " + quote(vector) + ": " + err.Error(), Err: err}
}

// quote keeps hostile input short and printable in messages.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// v4Base scores only the base metrics of c: CVSS v4.0 folds threat and
// environmental metrics into its one score, but the policy needs the
// base score every advisory publishes.
func v4Base(c *gocvss40.CVSS40) float64 {
	b := *c
	for _, m := range []string{
		"E",
		"CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
	} {
		// Set only fails for an unknown metric or value; these are
		// the spec's own names and its "not defined" value.
		_ = b.Set(m, "X")
	}
	return b.Score()
}

// v2Groups returns the CVSS v2 metric groups (base, temporal,
// environmental) in the guide's order.
func v2Groups() [3][]string {
	return [3][]string{
		{"AV", "AC", "Au", "C", "I", "A"},
		{"E", "RL", "RC"},
		{"CDP", "TD", "CR", "IR", "AR"},
	}
}

// normalizeV2 rewrites a v2 vector in the guide's order with every metric
// of a group that is used at all, filling the missing ones with ND ("not
// defined"). NVD and other calculators accept partial temporal or
// environmental groups ("…/RL:W/RC:UC") and metrics in any order; go-cvss
// accepts only complete groups in order. It returns the given metrics.
func normalizeV2(vector string) (map[string]string, string, error) {
	groups := v2Groups()
	known := map[string]int{}
	for g, names := range groups {
		for _, n := range names {
			known[n] = g
		}
	}
	metrics := map[string]string{}
	used := [3]bool{}
	for _, part := range strings.Split(vector, "/") {
		k, val, ok := strings.Cut(part, ":")
		g, isKnown := known[k]
		if !ok || !isKnown {
			return nil, "", fmt.Errorf("%s is not a CVSS v2 metric", quote(part))
		}
		if _, dup := metrics[k]; dup {
			return nil, "", fmt.Errorf("metric %s given twice", k)
		}
		metrics[k] = val
		used[g] = true
	}
	var parts []string
	for g, names := range groups {
		if !used[g] {
			continue
		}
		for _, n := range names {
			val, ok := metrics[n]
			if !ok {
				if g == 0 {
					return nil, "", fmt.Errorf("base metric %s is missing", n)
				}
				val = "ND"
			}
			parts = append(parts, n+":"+val)
		}
	}
	return metrics, strings.Join(parts, "/"), nil
}

// v2Effective follows the CVSS v2 guide: the environmental score when
// environmental metrics are given, else the temporal score when temporal
// metrics are given, else the base score.
func v2Effective(c *gocvss20.CVSS20, metrics map[string]string) float64 {
	has := func(names []string) bool {
		for _, n := range names {
			if v, ok := metrics[n]; ok && v != "ND" {
				return true
			}
		}
		return false
	}
	groups := v2Groups()
	switch {
	case has(groups[2]):
		return c.EnvironmentalScore()
	case has(groups[1]):
		// go-cvss rounds BaseScore×E×RL×RC as a float, so 9.0×0.95
		// (8.549999…) becomes 8.5 where the guide's arithmetic gives 8.55
		// and so 8.6. The multipliers are the guide's (section 3.2.2).
		e := map[string]float64{"U": 0.85, "POC": 0.9, "F": 0.95}[metrics["E"]]
		rl := map[string]float64{"OF": 0.87, "TF": 0.90, "W": 0.95}[metrics["RL"]]
		rc := map[string]float64{"UC": 0.90, "UR": 0.95}[metrics["RC"]]
		x := c.BaseScore()
		for _, m := range []float64{e, rl, rc} {
			if m != 0 { // absent, ND, H, U and C all multiply by 1
				x *= m
			}
		}
		return roundTenth(x)
	}
	return c.BaseScore()
}

// roundTenth rounds half up to one decimal, as the CVSS v2 guide does,
// on the decimal value the float stands for: products of two-decimal
// multipliers land a hair off their true value.
func roundTenth(x float64) float64 {
	return math.Floor(x*10+0.5+1e-9) / 10
}

// Rating maps a score to its qualitative severity.
//
// For CVSS v3.0, v3.1 and v4.0 it is the specifications' own scale: none
// 0.0, low 0.1–3.9, medium 4.0–6.9, high 7.0–8.9, critical 9.0–10.0. CVSS v2
// defines no scale; Rating uses NVD's: low 0.0–3.9, medium 4.0–6.9, high
// 7.0–10.0 (so a v2 score is never "none" or "critical"). version is
// "2.0", "3.0", "3.1" or "4.0" ("2", "3" and "4" are accepted too). An
// unknown version or a score outside 0–10 gives SeverityUnknown.
func Rating(version string, base float64) string {
	if math.IsNaN(base) || base < 0 || base > 10 {
		return SeverityUnknown
	}
	// Scores are published with one decimal; compare on that grid so a
	// float such as 6.8999999 is not read as "below 6.9".
	tenths := math.Round(base * 10)
	switch version {
	case CVSSv2, "2":
		switch {
		case tenths >= 70:
			return SeverityHigh
		case tenths >= 40:
			return SeverityMedium
		}
		return SeverityLow
	case CVSSv30, CVSSv31, CVSSv40, "3", "4":
		switch {
		case tenths >= 90:
			return SeverityCritical
		case tenths >= 70:
			return SeverityHigh
		case tenths >= 40:
			return SeverityMedium
		case tenths >= 1:
			return SeverityLow
		}
		return SeverityNone
	}
	return SeverityUnknown
}
