// Package osv reads OSV advisory records (https://ossf.github.io/osv-schema/)
// from the OSV bucket's zips, directories, files and URLs, maps package URLs
// to OSV ecosystems and names, and matches components against the records
// with OSV's range semantics, exactly and fast enough to re-match a whole
// inventory against the full database on every sync.
//
// docs/osv-matching.md describes the rules, the limits, and where Palisade
// deliberately differs from osv-scanner.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/palisade-project/palisade/internal/jsonpos"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/palisade-project/palisade"
)

// Range types defined by the OSV schema.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Record is one OSV advisory. Free-form parts are kept as raw JSON so that
// json.Marshal of a Record reproduces everything the source said.
type Record struct {
	SchemaVersion string     `json:"schema_version,omitempty"`
	ID            string     `json:"id"`
	Modified      time.Time  `json:"modified"`
	Published     *time.Time `json:"published,omitempty"`
	// Withdrawn is set when the advisory was retracted; a withdrawn record
	// is never matched.
	Withdrawn        *time.Time      `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Credits          []Credit        `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
	// Raw is the JSON the record was parsed from (ParseRecord sets it), so
	// that storing a record keeps it byte for byte without re-encoding.
	Raw json.RawMessage `json:"-"`
}

// IsWithdrawn reports whether the record has been withdrawn.
func (r *Record) IsWithdrawn() bool { return r.Withdrawn != nil }

// Severity is a score of the vulnerability by one method (CVSS_V3, ...).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected package with its affected versions.
type Affected struct {
	// Package is zero for an entry that only names GIT ranges.
	Package           AffectedPackage `json:"package,omitzero"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// AffectedPackage names a package as the record spells it.
type AffectedPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Range is a timeline of events over one version order.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one change of status. A valid event sets exactly one field.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// kind returns the event's single key and its version, or "" when the
// event does not set exactly one field.
func (e *Event) kind() (kind, version string) {
	n := 0
	for _, f := range [...]struct{ k, v string }{
		{"introduced", e.Introduced}, {"fixed", e.Fixed}, {"last_affected", e.LastAffected}, {"limit", e.Limit},
	} {
		if f.v != "" {
			n++
			kind, version = f.k, f.v
		}
	}
	if n != 1 {
		return "", ""
	}
	return kind, version
}

// Reference is a link about the vulnerability.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names someone credited for the advisory.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// maxIDLen bounds record ids: they become database keys and parts of
// messages, and no real OSV id comes near it.
const maxIDLen = 256

// RecordError says why ParseRecord rejected a record and where: the JSON
// path of the offending value and its position in the document.
type RecordError struct {
	// ID is the record's id when it could be read, else "".
	ID string
	// Path is the JSON path of the offending value, such as
	// "affected[2].ranges[0].events[1]"; "" means the whole document.
	Path string
	// Offset is the byte offset of that value in the document; Line and
	// Col (1-based, Col in bytes) are the same position. All are 0 when
	// the position is unknown.
	Offset     int
	Line, Col  int
	Reason     string
	underlying error
}

// Error returns "<id>: <path> (line L:C) <reason>", leaving out what is
// unknown.
func (e *RecordError) Error() string {
	if e.ID == "" {
		return e.reason()
	}
	return short(e.ID) + ": " + e.reason()
}

// reason is the error without the record id, which a Skip has apart.
func (e *RecordError) reason() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteByte(' ')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "(line %d:%d) ", e.Line, e.Col)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the cause, such as a *json.SyntaxError or an error
// wrapping ErrInvalidVersion.
func (e *RecordError) Unwrap() error { return e.underlying }

// As lets palisade.ErrorCode and friends see a RecordError as an EINVALID
// *palisade.Error whose Field is the path and position.
func (e *RecordError) As(target any) bool {
	t, ok := target.(**palisade.Error)
	if !ok {
		return false
	}
	field := e.Path
	if e.Line > 0 {
		field = strings.TrimSpace(fmt.Sprintf("%s %d:%d", e.Path, e.Line, e.Col))
	}
	msg := e.Reason
	if e.ID != "" {
		msg = short(e.ID) + ": " + msg
	}
	*t = &palisade.Error{Code: palisade.EINVALID, Field: field, Message: msg, Err: e.underlying}
	return true
}

// ParseRecord decodes one OSV record and checks everything matching relies
// on. Any violation rejects the whole record, because a record with one
// bad range cannot be trusted to describe the others correctly:
//
//   - the document is a JSON object whose fields have the schema's types;
//   - id is present, at most 256 bytes, without spaces or control characters;
//   - modified is present and RFC 3339; published and withdrawn, when
//     present, are RFC 3339;
//   - every affected entry with ECOSYSTEM or SEMVER ranges or a versions
//     list names a package with an ecosystem and a name;
//   - every range has a type (SEMVER, ECOSYSTEM or GIT), a repo when it
//     is GIT, and at least one event, including an introduced event;
//   - every event has exactly one of introduced, fixed, last_affected and
//     limit, set to a non-empty string;
//   - in ECOSYSTEM and SEMVER ranges every event version parses under the
//     package's ecosystem ("introduced": "0" and limits containing "*" are
//     the schema's special values), when that ecosystem's order is known
//     (SEMVER ranges of other ecosystems use SemVer 2.0, which accepts
//     any string).
//
// What matching does not depend on is not checked, so records from newer
// schema versions still import: unknown fields and ecosystems, id
// prefixes, the GIT commit-hash format, fixed and last_affected in one
// range, severity both on the record and on a package.
//
// The error is a *RecordError (EINVALID through palisade.ErrorCode).
func ParseRecord(data []byte) (*Record, error) {
	// The timestamps are decoded as strings so that a missing modified is
	// told apart from the zero time the Go vulnerability database writes,
	// and a bad one is reported with its field.
	type plain Record
	var w struct {
		*plain
		Modified  *string `json:"modified"`
		Published *string `json:"published"`
		Withdrawn *string `json:"withdrawn"`
	}
	r := new(Record)
	w.plain = (*plain)(r)
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, decodeError(data, err)
	}
	err := r.setTimes(w.Modified, w.Published, w.Withdrawn)
	if err == nil {
		err = r.validate()
	}
	if err != nil {
		re := err.(*RecordError)
		re.ID = r.ID
		if re.Path != "" {
			re.Offset = locate(data, re.Path)
			re.Line, re.Col = jsonpos.LineCol(data, int64(re.Offset))
		}
		return nil, re
	}
	r.Raw = bytes.Clone(data) // callers may reuse data (the zip reader does)
	return r, nil
}

func (r *Record) setTimes(modified, published, withdrawn *string) error {
	if modified == nil {
		return &RecordError{Reason: "modified is required"}
	}
	t, err := parseTime("modified", *modified)
	if err != nil {
		return err
	}
	r.Modified = t
	for _, f := range [...]struct {
		name string
		src  *string
		dst  **time.Time
	}{{"published", published, &r.Published}, {"withdrawn", withdrawn, &r.Withdrawn}} {
		if f.src == nil {
			continue
		}
		t, err := parseTime(f.name, *f.src)
		if err != nil {
			return err
		}
		*f.dst = &t
	}
	return nil
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &RecordError{Path: field, Reason: fmt.Sprintf("%s %q is not an RFC 3339 timestamp", field, short(s)), underlying: err}
	}
	return t, nil
}

// decodeError turns a json.Unmarshal error into a RecordError with the
// path and position of the problem.
func decodeError(data []byte, err error) error {
	re := &RecordError{ID: peekID(data), underlying: err}
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		re.Reason = "invalid JSON: " + se.Error()
		re.Offset = int(se.Offset)
	case errors.As(err, &te):
		// The decoder's own field path has no list indices; the value
		// around its offset has them.
		re.Path, re.Offset = pathAt(data, int(te.Offset))
		if re.Path == "" {
			re.Reason = "an OSV record must be a JSON object, found JSON " + te.Value
		} else {
			re.Reason = fmt.Sprintf("expected %s, found JSON %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
	default:
		re.Reason = "invalid JSON: " + err.Error()
	}
	re.Line, re.Col = jsonpos.LineCol(data, int64(re.Offset))
	return re
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return goKind
}

// peekID returns the record's id if the document is an object with a
// string id, whatever else is wrong with it, so that skips name the record.
func peekID(data []byte) string {
	var w struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &w) != nil {
		return ""
	}
	return w.ID
}

func (r *Record) validate() error {
	if r.ID == "" {
		return &RecordError{Path: "id", Reason: "id is required"}
	}
	if len(r.ID) > maxIDLen {
		return &RecordError{Path: "id", Reason: fmt.Sprintf("id is longer than %d bytes", maxIDLen)}
	}
	if i := strings.IndexFunc(r.ID, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }); i >= 0 {
		return &RecordError{Path: "id", Reason: fmt.Sprintf("id %q contains a space or control character", short(r.ID))}
	}
	for i := range r.Affected {
		if err := r.Affected[i].validate("affected[" + strconv.Itoa(i) + "]"); err != nil {
			return err
		}
	}
	return nil
}

func (a *Affected) validate(path string) error {
	needsPackage := len(a.Versions) > 0
	for _, rg := range a.Ranges {
		needsPackage = needsPackage || rg.Type == RangeSemver || rg.Type == RangeEcosystem
	}
	switch {
	case a.Package == (AffectedPackage{}) && needsPackage:
		return &RecordError{Path: path, Reason: "an affected entry with ECOSYSTEM or SEMVER ranges or versions needs a package"}
	case a.Package == (AffectedPackage{}):
	case a.Package.Ecosystem == "":
		return &RecordError{Path: path + ".package.ecosystem", Reason: "package ecosystem is required"}
	case a.Package.Name == "":
		return &RecordError{Path: path + ".package.name", Reason: "package name is required"}
	}
	for i := range a.Ranges {
		if err := a.Ranges[i].validate(path+".ranges["+strconv.Itoa(i)+"]", a.Package.Ecosystem); err != nil {
			return err
		}
	}
	return nil
}

func (rg *Range) validate(path, ecosystem string) error {
	switch rg.Type {
	case RangeSemver, RangeEcosystem:
	case RangeGit:
		if rg.Repo == "" {
			return &RecordError{Path: path + ".repo", Reason: "a GIT range needs a repo"}
		}
	case "":
		return &RecordError{Path: path + ".type", Reason: "range type is required (SEMVER, ECOSYSTEM or GIT)"}
	default:
		return &RecordError{Path: path + ".type", Reason: fmt.Sprintf("unknown range type %q (want SEMVER, ECOSYSTEM or GIT)", short(rg.Type))}
	}
	if len(rg.Events) == 0 {
		return &RecordError{Path: path + ".events", Reason: "a range needs at least one event"}
	}
	ordering := rangeOrdering(rg.Type, BaseEcosystem(ecosystem))
	introduced := false
	for i := range rg.Events {
		ev := &rg.Events[i]
		epath := path + ".events[" + strconv.Itoa(i) + "]"
		kind, version := ev.kind()
		if kind == "" {
			return &RecordError{Path: epath, Reason: "an event needs exactly one of introduced, fixed, last_affected and limit, with a non-empty version"}
		}
		introduced = introduced || kind == "introduced"
		if ordering == "" || specialVersion(kind, version) {
			continue
		}
		if _, err := parseVersion(ordering, version); err != nil {
			return &RecordError{Path: epath, Reason: fmt.Sprintf("%s %q does not parse as a %s version", kind, short(version), ordering), underlying: err}
		}
	}
	if !introduced {
		return &RecordError{Path: path + ".events", Reason: "a range needs an introduced event"}
	}
	return nil
}

// rangeOrdering returns the order a range's versions are compared in, or
// "" when they cannot be compared (GIT, or an ECOSYSTEM range of an
// ecosystem without a known order). Like osv-scanner, a SEMVER range of an
// ecosystem with its own order uses that order: a component's version is
// written in its ecosystem's syntax, and comparing it as SemVer would
// misorder it.
func rangeOrdering(rangeType, base string) string {
	switch {
	case rangeType != RangeSemver && rangeType != RangeEcosystem:
		return ""
	case hasOrdering(base):
		return base
	case rangeType == RangeSemver:
		return semverOrdering
	}
	return ""
}

// specialVersion reports whether an event's version is one of the schema's
// special values rather than a version of the ecosystem.
func specialVersion(kind, version string) bool {
	return (kind == "introduced" && version == "0") || (kind == "limit" && strings.Contains(version, "*"))
}

// short quotes at most 60 bytes of s, so that messages about hostile input
// stay readable.
func short(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
