package vuln

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Policy is the remediation policy: how long each severity may stay open,
// optionally tighter per service tier.
type Policy struct {
	// Days per severity (critical, high, medium, low, unknown).
	Days map[string]int `json:"days"`
	// Tiers overrides Days for services of a tier (1..4); severities it
	// does not list use Days.
	Tiers map[int]map[string]int `json:"tiers,omitempty"`
	// RequireDistinctApprover refuses a risk acceptance approved by the
	// one who requested it.
	RequireDistinctApprover bool `json:"requireDistinctApprover"`
}

// DefaultPolicy returns the defaults: critical 7 days, high 30, medium 90,
// low 180, unknown 30.
func DefaultPolicy() *Policy {
	return &Policy{Days: map[string]int{"critical": 7, "high": 30, "medium": 90, "low": 180, "unknown": 30}}
}

// Validate checks the policy.
func (p *Policy) Validate() error {
	check := func(field string, days map[string]int) error {
		for sev, d := range days {
			if SeverityRank(sev) == len(Severities)-1 && sev != "unknown" {
				return palisade.FieldErrorf(palisade.EINVALID, field+"."+sev, "unknown severity %q: use %v", sev, Severities)
			}
			if d < 1 || d > 3650 {
				return palisade.FieldErrorf(palisade.EINVALID, field+"."+sev, "%d days is out of range 1..3650", d)
			}
		}
		return nil
	}
	if err := check("days", p.Days); err != nil {
		return err
	}
	for _, sev := range Severities {
		if _, ok := p.Days[sev]; !ok {
			return palisade.FieldErrorf(palisade.EINVALID, "days."+sev, "days for %s are missing", sev)
		}
	}
	for tier, days := range p.Tiers {
		if tier < 1 || tier > 4 {
			return palisade.FieldErrorf(palisade.EINVALID, "tiers", "tier %d is out of range 1..4", tier)
		}
		if err := check("tiers."+strconv.Itoa(tier), days); err != nil {
			return err
		}
	}
	return nil
}

// DaysFor returns the days to fix a finding of severity in a service of
// tier.
func (p *Policy) DaysFor(severity string, tier int) int {
	if t, ok := p.Tiers[tier]; ok {
		if d, ok := t[severity]; ok {
			return d
		}
	}
	if d, ok := p.Days[severity]; ok {
		return d
	}
	return p.Days["unknown"]
}

// DueAt is when a finding detected at detected must be fixed: the policy's
// days for its severity and the service's tier, or the CISA KEV due date
// when that is earlier.
func (p *Policy) DueAt(detected time.Time, severity string, tier int, kevDue *time.Time) time.Time {
	due := detected.Add(time.Duration(p.DaysFor(severity, tier)) * 24 * time.Hour)
	if kevDue != nil && kevDue.Before(due) {
		due = *kevDue
	}
	return due
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// PolicyFromSection decodes the remediation section of palisade.yaml:
//
//	remediation:
//	  days: {critical: 7, high: 30, medium: 90, low: 180, unknown: 30}
//	  tiers:
//	    1: {critical: 3, high: 14}
//	  requireDistinctApprover: true
//
// Severities it omits keep their defaults. Errors point at file:line:col.
func PolicyFromSection(n *catalog.Node) (*Policy, error) {
	p := DefaultPolicy()
	f, err := n.Fields("remediation", "days", "tiers", "requireDistinctApprover")
	if err != nil {
		return nil, err
	}
	days := func(what string, n *catalog.Node, into map[string]int) error {
		sev, err := n.Fields(what, Severities...)
		if err != nil {
			return err
		}
		for s, v := range sev {
			d, err := v.Int(what + "." + s)
			if err != nil {
				return err
			}
			if d < 1 || d > 3650 {
				return v.Errorf("%s.%s: %d days is out of range 1..3650", what, s, d)
			}
			into[s] = d
		}
		return nil
	}
	if n, ok := f["days"]; ok {
		if err := days("days", n, p.Days); err != nil {
			return nil, err
		}
	}
	if tn, ok := f["tiers"]; ok {
		tiers, err := tn.Fields("tiers", "1", "2", "3", "4")
		if err != nil {
			return nil, err
		}
		p.Tiers = map[int]map[string]int{}
		for k, v := range tiers {
			tier, _ := strconv.Atoi(k)
			p.Tiers[tier] = map[string]int{}
			if err := days("tiers."+k, v, p.Tiers[tier]); err != nil {
				return nil, err
			}
		}
	}
	if n, ok := f["requireDistinctApprover"]; ok {
		if p.RequireDistinctApprover, err = n.Bool("requireDistinctApprover"); err != nil {
			return nil, err
		}
	}
	return p, p.Validate()
}
