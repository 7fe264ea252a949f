package enrich

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/jsonpos"
)

// MaxKEVSize bounds the catalog ReadKEV accepts. The whole catalog was
// 1.3 MB for 1,404 entries in 2025; 64 MiB leaves room for fifty times
// the growth while keeping a hostile or broken download from filling
// memory.
const MaxKEVSize = 64 << 20

// KEV is the CISA Known Exploited Vulnerabilities catalog
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog).
type KEV struct {
	// CatalogVersion is CISA's version string, such as "2025.08.25".
	CatalogVersion string
	// Released is when CISA published this version of the catalog.
	Released time.Time
	// Entries holds every catalog entry keyed by its CVE id, upper case.
	Entries map[string]KEVEntry
}

// KEVEntry is one exploited vulnerability of the catalog.
type KEVEntry struct {
	CVE           string // "CVE-2021-44228"
	VendorProject string
	Product       string
	Name          string // the catalog's vulnerabilityName
	// DateAdded and DueDate are calendar dates, at 00:00 UTC. DueDate is
	// the BOD 22-01 remediation deadline for US federal agencies.
	DateAdded, DueDate time.Time
	// KnownRansomware is true when CISA lists the vulnerability as used in
	// ransomware campaigns ("Known"); "Unknown" or any other word is false.
	KnownRansomware  bool
	RequiredAction   string
	Notes            string
	ShortDescription string
	CWEs             []string // "CWE-502"; may be empty
}

// kevWhat names the input in messages; the reader is not given a file name.
const kevWhat = "KEV catalog"

// cveID is the catalog schema's pattern for cveID.
var cveID = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

type kevJSON struct {
	CatalogVersion  *string        `json:"catalogVersion"`
	DateReleased    *string        `json:"dateReleased"`
	Count           *int           `json:"count"`
	Vulnerabilities *[]kevEntryRaw `json:"vulnerabilities"`
}

type kevEntryRaw struct {
	CVEID                      string   `json:"cveID"`
	VendorProject              string   `json:"vendorProject"`
	Product                    string   `json:"product"`
	VulnerabilityName          string   `json:"vulnerabilityName"`
	DateAdded                  string   `json:"dateAdded"`
	ShortDescription           string   `json:"shortDescription"`
	RequiredAction             string   `json:"requiredAction"`
	DueDate                    string   `json:"dueDate"`
	KnownRansomwareCampaignUse string   `json:"knownRansomwareCampaignUse"`
	Notes                      string   `json:"notes"`
	CWEs                       []string `json:"cwes"`
}

// ReadKEV reads the catalog in CISA's JSON form
// (known_exploited_vulnerabilities.json). It rejects, as EINVALID errors
// naming the position ("line 3, column 7") or the entry
// ("vulnerabilities[12].dueDate"), a file that is not JSON, lacks
// catalogVersion, dateReleased, count or vulnerabilities, whose count
// disagrees with its entries, or with an entry whose cveID is not a CVE id,
// whose dates are not YYYY-MM-DD, or whose CVE is listed twice. Input over
// MaxKEVSize is an ETOOLARGE error. Unknown fields are ignored, so fields
// CISA adds later do not break reading.
func ReadKEV(r io.Reader) (*KEV, error) {
	return readKEV(r, MaxKEVSize)
}

// readKEV is ReadKEV with the size limit as a parameter, so tests can check
// the limit without allocating 64 MiB.
func readKEV(r io.Reader, limit int64) (*KEV, error) {
	data, err := readLimited(r, limit, kevWhat)
	if err != nil {
		return nil, err
	}
	var raw kevJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(kevWhat, data, err)
	}
	for _, req := range []struct {
		name    string
		missing bool
	}{
		{"catalogVersion", raw.CatalogVersion == nil},
		{"dateReleased", raw.DateReleased == nil},
		{"count", raw.Count == nil},
		{"vulnerabilities", raw.Vulnerabilities == nil},
	} {
		if req.missing {
			return nil, palisade.FieldErrorf(palisade.EINVALID, kevWhat+", "+req.name, "required field is missing; is this known_exploited_vulnerabilities.json?")
		}
	}
	released, err := time.Parse(time.RFC3339, *raw.DateReleased)
	if err != nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, kevWhat+", dateReleased", "%s is not an RFC 3339 date-time", quote(*raw.DateReleased))
	}
	vulns := *raw.Vulnerabilities
	if *raw.Count != len(vulns) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, kevWhat+", count", "count is %d but %d vulnerabilities are listed; the file is truncated or altered", *raw.Count, len(vulns))
	}
	k := &KEV{
		CatalogVersion: *raw.CatalogVersion,
		Released:       released,
		Entries:        make(map[string]KEVEntry, len(vulns)),
	}
	first := make(map[string]int, len(vulns))
	for i, v := range vulns {
		field := func(name string) string { return fmt.Sprintf("%s, vulnerabilities[%d].%s", kevWhat, i, name) }
		id := strings.TrimSpace(v.CVEID)
		if !cveID.MatchString(id) {
			return nil, palisade.FieldErrorf(palisade.EINVALID, field("cveID"), "%s is not a CVE id", quote(v.CVEID))
		}
		if j, dup := first[id]; dup {
			return nil, palisade.FieldErrorf(palisade.EINVALID, field("cveID"), "%s is already listed at vulnerabilities[%d]", id, j)
		}
		first[id] = i
		added, err := parseDate(v.DateAdded)
		if err != nil {
			return nil, palisade.FieldErrorf(palisade.EINVALID, field("dateAdded"), "%s is not a YYYY-MM-DD date", quote(v.DateAdded))
		}
		due, err := parseDate(v.DueDate)
		if err != nil {
			return nil, palisade.FieldErrorf(palisade.EINVALID, field("dueDate"), "%s is not a YYYY-MM-DD date", quote(v.DueDate))
		}
		k.Entries[id] = KEVEntry{
			CVE:              id,
			VendorProject:    v.VendorProject,
			Product:          v.Product,
			Name:             v.VulnerabilityName,
			DateAdded:        added,
			DueDate:          due,
			KnownRansomware:  strings.EqualFold(strings.TrimSpace(v.KnownRansomwareCampaignUse), "Known"),
			RequiredAction:   v.RequiredAction,
			Notes:            v.Notes,
			ShortDescription: v.ShortDescription,
			CWEs:             v.CWEs,
		}
	}
	return k, nil
}

func parseDate(s string) (time.Time, error) {
	return time.Parse(time.DateOnly, strings.TrimSpace(s))
}

// readLimited reads all of r, failing with ETOOLARGE rather than
// truncating when r holds more than limit bytes: a truncated catalog would
// otherwise surface as a confusing syntax error at its end.
func readLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, what, "larger than the limit of %d bytes", limit)
	}
	return data, nil
}

// jsonError turns a decoding error into an EINVALID error naming the line
// and column, which encoding/json only gives as a byte offset.
func jsonError(what string, data []byte, err error) error {
	var off int64 = -1
	msg := err.Error()
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
		msg = fmt.Sprintf("%s: cannot use a JSON %s as %s", e.Field, e.Value, e.Type)
	}
	if off < 0 {
		return &palisade.Error{Code: palisade.EINVALID, Field: what, Message: msg, Err: err}
	}
	line, col := jsonpos.LineCol(data, off-1)
	pos := fmt.Sprintf("%s, line %d, column %d", what, line, col)
	return &palisade.Error{Code: palisade.EINVALID, Field: pos, Message: msg, Err: err}
}
