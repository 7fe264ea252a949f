// Package vex reads and writes VEX (Vulnerability Exploitability eXchange)
// documents in the two formats Palisade meets: OpenVEX and CycloneDX VEX.
//
// Both formats become one list of Statement values that speak Palisade's
// finding states (the CycloneDX / Dependency-Track vocabulary), so the rest
// of Palisade never sees either format. docs/vex.md has the mapping tables;
// the tables in this package are the code they describe.
package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/jsonpos"
)

// MaxFileSize bounds the documents Read accepts. VEX documents are small
// (a large vendor feed is a few megabytes); the limit keeps one upload
// from holding a lot of memory.
const MaxFileSize = 16 << 20

// maxErrors caps how many problems Read reports for one file: enough to
// fix a file in one go, not so many that a garbage file floods a log.
const maxErrors = 50

// Palisade finding states, as in CycloneDX analysis.state and
// Dependency-Track.
const (
	StateInTriage      = "in_triage"
	StateExploitable   = "exploitable"
	StateNotAffected   = "not_affected"
	StateFalsePositive = "false_positive"
	StateResolved      = "resolved"
)

// Formats, the values of Statement.Source.
const (
	FormatOpenVEX   = "openvex"
	FormatCycloneDX = "cyclonedx"
)

// Statement is one VEX assertion: the State of Vulnerability in Products.
type Statement struct {
	// Vulnerability is the advisory id as the document gives it
	// (CVE-…, GHSA-…, GO-…).
	Vulnerability string
	// Aliases are other ids of the same vulnerability (OpenVEX
	// vulnerability.aliases, CycloneDX vulnerabilities[].references[].id).
	Aliases []string
	// Products are the products the statement is about: purls where the
	// document gives or resolves to one, else the document's own
	// identifier (an OpenVEX @id, a CycloneDX bom-ref or BOM-Link).
	Products []string
	// Subcomponents, when set, narrow the statement to these components
	// inside each of Products (OpenVEX products[].subcomponents; a
	// CycloneDX component nested in a product component). Empty means the
	// products themselves.
	Subcomponents []string
	// Versions, when set, narrow the statement to some versions of the
	// products or subcomponents it names (CycloneDX affects[].versions).
	// Empty means the versions the identifiers themselves name.
	Versions []ProductVersion
	// State is one of the five State constants.
	State string
	// Justification is why a not_affected statement holds, in the CycloneDX
	// vocabulary (see Justifications); empty for other states.
	Justification string
	// Detail is free text: the impact statement or analysis detail.
	Detail string
	// Response lists the CycloneDX analysis.response values (see
	// Responses).
	Response []string
	// ActionStatement is what to do about an exploitable statement
	// (OpenVEX action_statement; CycloneDX recommendation); empty for other
	// states.
	ActionStatement string
	// Timestamp is when the statement was made; zero when the document
	// does not say.
	Timestamp time.Time
	// Source is the format the statement was read from, FormatOpenVEX or
	// FormatCycloneDX; empty for statements Palisade made.
	Source string
	// Position says where in its file the statement came from, for
	// messages: "vex.json: statements[3]".
	Position string
}

// ProductVersion narrows a Statement to one version or one range of
// versions of one of its products or subcomponents.
type ProductVersion struct {
	// Ref is the entry of Products or Subcomponents this narrows.
	Ref string
	// Version is one exact version; Range is a vers range
	// ("vers:semver/>=1.5.0|<7.0.0"). Exactly one is set.
	Version, Range string
	// Status is "affected", "unaffected" or "unknown". CycloneDX defaults
	// a missing status to "affected", and so does Read.
	Status string
}

// DocMeta is the document-level data the writers need.
type DocMeta struct {
	// ID identifies the document: an IRI for OpenVEX (derived from the
	// content when empty, as go-vex does), a "urn:uuid:…" serial number for
	// CycloneDX (omitted when empty).
	ID string
	// Author is who makes the statements; OpenVEX requires it.
	Author string
	// AuthorRole is the author's role (OpenVEX role); optional.
	AuthorRole string
	// Timestamp is when the document was issued; OpenVEX requires it.
	// The writers never read the clock.
	Timestamp time.Time
	// Version is the document version, 1 when zero.
	Version int
	// Tooling names the program that wrote the document; optional.
	Tooling string
}

// States lists the Palisade finding states in their usual order.
func States() []string {
	return []string{StateInTriage, StateExploitable, StateNotAffected, StateFalsePositive, StateResolved}
}

// Justifications lists the CycloneDX analysis.justification values,
// Statement.Justification's vocabulary.
func Justifications() []string {
	return []string{
		"code_not_present", "code_not_reachable", "requires_configuration",
		"requires_dependency", "requires_environment", "protected_by_compiler",
		"protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control",
	}
}

// Responses lists the CycloneDX analysis.response values.
func Responses() []string {
	return []string{"can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"}
}

// versionStatuses are CycloneDX's affectedStatus values.
func versionStatuses() []string { return []string{"affected", "unaffected", "unknown"} }

// Validate reports the first way s breaks the rules the writers rely on,
// as an EINVALID error naming the field: a vulnerability id and at least
// one product are required; products and subcomponents are non-empty and
// listed once; State, Justification, Response and Versions[].Status must
// come from their vocabularies; a justification belongs only to
// not_affected and an action statement only to exploitable; each of
// Versions names one of Products (or, when there are subcomponents, one of
// Subcomponents) and gives exactly one of Version and Range. Read returns
// only statements that pass.
func (s Statement) Validate() error {
	field := func(f string) string {
		if s.Position == "" {
			return f
		}
		return s.Position + "." + f
	}
	switch {
	case strings.TrimSpace(s.Vulnerability) == "":
		return palisade.FieldErrorf(palisade.EINVALID, field("vulnerability"), "a vulnerability id is required")
	case len(s.Products) == 0:
		return palisade.FieldErrorf(palisade.EINVALID, field("products"), "the statement names no product")
	case !slices.Contains(States(), s.State):
		return palisade.FieldErrorf(palisade.EINVALID, field("state"), "unknown state %q (want one of %s)", s.State, strings.Join(States(), ", "))
	case s.Justification != "" && !slices.Contains(Justifications(), s.Justification):
		return palisade.FieldErrorf(palisade.EINVALID, field("justification"), "unknown justification %q (want one of %s)", s.Justification, strings.Join(Justifications(), ", "))
	case s.Justification != "" && s.State != StateNotAffected:
		return palisade.FieldErrorf(palisade.EINVALID, field("justification"), "a justification belongs only to state not_affected, not %s", s.State)
	case s.ActionStatement != "" && s.State != StateExploitable:
		return palisade.FieldErrorf(palisade.EINVALID, field("action_statement"), "an action statement belongs only to state exploitable, not %s", s.State)
	}
	for _, list := range []struct {
		name string
		ids  []string
	}{{"products", s.Products}, {"subcomponents", s.Subcomponents}} {
		for i, id := range list.ids {
			f := field(fmt.Sprintf("%s[%d]", list.name, i))
			if strings.TrimSpace(id) == "" {
				return palisade.FieldErrorf(palisade.EINVALID, f, "empty identifier")
			}
			if slices.Index(list.ids, id) < i {
				return palisade.FieldErrorf(palisade.EINVALID, f, "%q is listed twice", id)
			}
		}
	}
	for i, r := range s.Response {
		if !slices.Contains(Responses(), r) {
			return palisade.FieldErrorf(palisade.EINVALID, field(fmt.Sprintf("response[%d]", i)), "unknown response %q (want one of %s)", r, strings.Join(Responses(), ", "))
		}
	}
	for i, v := range s.Versions {
		f := field(fmt.Sprintf("versions[%d]", i))
		switch {
		case len(s.Subcomponents) == 0 && !slices.Contains(s.Products, v.Ref):
			return palisade.FieldErrorf(palisade.EINVALID, f, "%q is none of the statement's products", v.Ref)
		case len(s.Subcomponents) > 0 && !slices.Contains(s.Subcomponents, v.Ref):
			// The statement is about the subcomponents, so only their
			// versions can be narrowed.
			return palisade.FieldErrorf(palisade.EINVALID, f, "%q is none of the statement's subcomponents", v.Ref)
		case (v.Version == "") == (v.Range == ""):
			return palisade.FieldErrorf(palisade.EINVALID, f, "give exactly one of a version and a range")
		case !slices.Contains(versionStatuses(), v.Status):
			return palisade.FieldErrorf(palisade.EINVALID, f, "unknown status %q (want affected, unaffected or unknown)", v.Status)
		}
	}
	return nil
}

// Read parses a VEX document, telling the format from the content: JSON
// whose @context is an OpenVEX namespace (https://openvex.dev/ns…) is
// OpenVEX (v0.2.0, and the v0.0.1 form with string products); JSON with
// "bomFormat": "CycloneDX", or XML in a CycloneDX namespace, is CycloneDX
// (any spec version cyclonedx-go reads, 1.0–1.7). name is the file name,
// used only in messages.
//
// Every statement returned passes Validate. Problems are EINVALID errors
// whose field names the file and the place: "vex.json:3:14" for malformed
// JSON, "vex.json: statements[3].status" for a bad value. When several
// statements are wrong the error is a palisade.Errors listing them (up to
// 50). A document over MaxFileSize is ETOOLARGE. docs/vex.md lists what
// each format may and may not contain.
func Read(name string, data []byte) ([]Statement, error) {
	if len(data) > MaxFileSize {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, name, "file is %d bytes; the limit is %d (16 MiB)", len(data), MaxFileSize)
	}
	// A UTF-8 byte-order mark is legal in files but not in JSON; drop it
	// (line and column numbers are unaffected).
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	body := bytes.TrimLeft(data, " \t\r\n")
	if len(body) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "empty file")
	}
	if body[0] == '<' {
		return readCycloneDXXML(name, data)
	}
	if body[0] != '{' {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "not a VEX document: neither a JSON object nor XML")
	}
	var probe struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat json.RawMessage `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(name, data, err)
	}
	if isOpenVEXContext(probe.Context) {
		return readOpenVEX(name, data)
	}
	var format string
	_ = json.Unmarshal(probe.BOMFormat, &format)
	if format == "CycloneDX" {
		return readCycloneDXJSON(name, data)
	}
	return nil, palisade.FieldErrorf(palisade.EINVALID, name, "not a VEX document: neither OpenVEX (@context %s…) nor CycloneDX (\"bomFormat\": \"CycloneDX\")", openVEXContextPrefix)
}

const openVEXContextPrefix = "https://openvex.dev/ns"

// isOpenVEXContext accepts the JSON-LD @context as a string or as a list
// holding the OpenVEX namespace, as JSON-LD allows both.
func isOpenVEXContext(raw json.RawMessage) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.HasPrefix(one, openVEXContextPrefix)
	}
	var many []any
	if json.Unmarshal(raw, &many) == nil {
		for _, c := range many {
			if s, ok := c.(string); ok && strings.HasPrefix(s, openVEXContextPrefix) {
				return true
			}
		}
	}
	return false
}

// jsonError turns a decoding error into an EINVALID error whose field is
// "name:line:col"; encoding/json only gives a byte offset.
func jsonError(name string, data []byte, err error) error {
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
		return &palisade.Error{Code: palisade.EINVALID, Field: name, Message: msg, Err: err}
	}
	line, col := jsonpos.LineCol(data, off-1)
	return &palisade.Error{Code: palisade.EINVALID, Field: fmt.Sprintf("%s:%d:%d", name, line, col), Message: msg, Err: err}
}

// collector gathers the problems of one file so Read can report them all.
type collector struct {
	errs palisade.Errors
}

func (c *collector) add(err error) {
	if err == nil || len(c.errs) >= maxErrors {
		return
	}
	if pe, ok := err.(*palisade.Error); ok {
		c.errs = append(c.errs, pe)
		return
	}
	c.errs = append(c.errs, &palisade.Error{Code: palisade.EINVALID, Message: err.Error(), Err: err})
}

func (c *collector) addf(field, format string, args ...any) {
	c.add(palisade.FieldErrorf(palisade.EINVALID, field, format, args...))
}

func (c *collector) err() error {
	if len(c.errs) == 1 {
		return c.errs[0]
	}
	return c.errs.Err()
}

// appendUnique appends the non-empty values of vs not yet in list.
func appendUnique(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
