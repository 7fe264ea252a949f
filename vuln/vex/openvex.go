package vex

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"

	"github.com/palisade-project/palisade"
)

// openVEXDoc is the document as read: vulnerability and products stay raw
// because OpenVEX v0.0.1 wrote them as strings and v0.2.0 as objects, and
// go-vex's own decoder reads only the latter.
type openVEXDoc struct {
	ID         string             `json:"@id"`
	Timestamp  *time.Time         `json:"timestamp"`
	Statements []openVEXStatement `json:"statements"`
}

type openVEXStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Timestamp       *time.Time        `json:"timestamp"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.1 only
	Status          string            `json:"status"`
	StatusNotes     string            `json:"status_notes"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	ActionStatement string            `json:"action_statement"`
}

func readOpenVEX(name string, data []byte) ([]Statement, error) {
	var doc openVEXDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(name, data, err)
	}
	var c collector
	var out []Statement
	for i, raw := range doc.Statements {
		pos := fmt.Sprintf("%s: statements[%d]", name, i)
		sts, err := openVEXStatementToPalisade(pos, raw, doc.Timestamp)
		if err != nil {
			c.add(err)
			continue
		}
		out = append(out, sts...)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// openVEXStatementToPalisade converts one statement. It returns several
// when products carry different subcomponent lists, because a Statement
// has one list of subcomponents for all its products.
func openVEXStatementToPalisade(pos string, raw openVEXStatement, docTime *time.Time) ([]Statement, error) {
	vuln, err := openVEXVulnerability(raw.Vulnerability)
	if err != nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".vulnerability", "%v", err)
	}
	if strings.TrimSpace(string(vuln.Name)) == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".vulnerability.name", "a vulnerability name is required")
	}
	if raw.Status == "" {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".status", "status is required")
	}
	state, ok := stateFromOpenVEX(raw.Status)
	if !ok {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".status", "unknown status %q (want one of %s)", raw.Status, strings.Join(govex.Statuses(), ", "))
	}
	st := Statement{
		Vulnerability: string(vuln.Name),
		State:         state,
		Source:        FormatOpenVEX,
		Position:      pos,
		Detail:        raw.ImpactStatement,
	}
	for _, a := range vuln.Aliases {
		if string(a) != st.Vulnerability {
			st.Aliases = appendUnique(st.Aliases, strings.TrimSpace(string(a)))
		}
	}
	if st.Detail == "" {
		st.Detail = raw.StatusNotes
	}
	switch {
	case raw.Timestamp != nil:
		st.Timestamp = raw.Timestamp.UTC()
	case docTime != nil:
		// OpenVEX: a statement without a timestamp inherits the document's.
		st.Timestamp = docTime.UTC()
	}
	if state == StateNotAffected {
		if raw.Justification == "" && raw.ImpactStatement == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".justification", "status not_affected needs a justification or an impact_statement, and has neither")
		}
	}
	if raw.Justification != "" {
		j := govex.Justification(raw.Justification)
		if !j.Valid() {
			return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".justification", "unknown justification %q (want one of %s)", raw.Justification, strings.Join(govex.Justifications(), ", "))
		}
		// A justification on another status says nothing Palisade can
		// keep: CycloneDX defines justifications for not_affected only.
		if state == StateNotAffected {
			st.Justification = justificationFromOpenVEX(j)
		}
	}
	if state == StateExploitable && raw.ActionStatement != govex.NoActionStatementMsg {
		// WriteOpenVEX puts go-vex's placeholder where Palisade has no
		// action statement; reading it back gives the empty string.
		st.ActionStatement = raw.ActionStatement
	}

	// Group the products by their subcomponent lists.
	shared, err := openVEXComponents(pos+".subcomponents", raw.Subcomponents)
	if err != nil {
		return nil, err
	}
	type group struct {
		subs     []string
		products []string
	}
	var groups []*group
	find := func(subs []string) *group {
		key := strings.Join(subs, "\x00")
		for _, g := range groups {
			if strings.Join(g.subs, "\x00") == key {
				return g
			}
		}
		g := &group{subs: subs}
		groups = append(groups, g)
		return g
	}
	if len(raw.Products) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".products", "the statement names no product (Palisade does not read products inherited from an enclosing document)")
	}
	for j, p := range raw.Products {
		ppos := fmt.Sprintf("%s.products[%d]", pos, j)
		id, subs, err := openVEXProduct(ppos, p)
		if err != nil {
			return nil, err
		}
		subs = appendUnique(subs, shared...)
		g := find(subs)
		g.products = appendUnique(g.products, id)
	}
	out := make([]Statement, 0, len(groups))
	for _, g := range groups {
		s := st
		s.Products = g.products
		s.Subcomponents = g.subs
		if err := s.Validate(); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// openVEXVulnerability reads the v0.2.0 object or the v0.0.1 string.
func openVEXVulnerability(raw json.RawMessage) (govex.Vulnerability, error) {
	var v govex.Vulnerability
	if len(raw) == 0 || string(raw) == "null" {
		return v, fmt.Errorf("vulnerability is required")
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		v.Name = govex.VulnerabilityID(strings.TrimSpace(name))
		return v, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("want an object with a name, or a string")
	}
	v.Name = govex.VulnerabilityID(strings.TrimSpace(string(v.Name)))
	return v, nil
}

// openVEXProduct reads a v0.2.0 product object or a v0.0.1 string.
func openVEXProduct(pos string, raw json.RawMessage) (string, []string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s = strings.TrimSpace(s); s == "" {
			return "", nil, palisade.FieldErrorf(palisade.EINVALID, pos, "empty product identifier")
		}
		return s, nil, nil
	}
	var p govex.Product
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", nil, palisade.FieldErrorf(palisade.EINVALID, pos, "want a product object or an identifier string")
	}
	id := componentID(p.Component)
	if id == "" {
		return "", nil, palisade.FieldErrorf(palisade.EINVALID, pos, "the product has no @id and no purl or cpe identifier")
	}
	var subs []string
	for k, sc := range p.Subcomponents {
		sid := componentID(sc.Component)
		if sid == "" {
			return "", nil, palisade.FieldErrorf(palisade.EINVALID, fmt.Sprintf("%s.subcomponents[%d]", pos, k), "the subcomponent has no @id and no purl or cpe identifier")
		}
		subs = appendUnique(subs, sid)
	}
	return id, subs, nil
}

func openVEXComponents(pos string, raws []json.RawMessage) ([]string, error) {
	var out []string
	for i, raw := range raws {
		id, _, err := openVEXProduct(fmt.Sprintf("%s[%d]", pos, i), raw)
		if err != nil {
			return nil, err
		}
		out = appendUnique(out, id)
	}
	return out, nil
}

// componentID picks the identifier Palisade matches on: the purl when the
// component lists one (findings are keyed by purl), else its @id, else a
// CPE.
func componentID(c govex.Component) string {
	for _, id := range []string{c.Identifiers[govex.PURL], c.ID, c.Identifiers[govex.CPE23], c.Identifiers[govex.CPE22]} {
		if id = strings.TrimSpace(id); id != "" {
			return id
		}
	}
	return ""
}

// WriteOpenVEX writes st as an OpenVEX v0.2.0 document, one OpenVEX
// statement per Statement, in order. doc.Author and doc.Timestamp are
// required; an empty doc.ID becomes go-vex's content-derived IRI
// (https://openvex.dev/docs/public/vex-<sha256>).
//
// States map as docs/vex.md tabulates: false_positive is written as
// not_affected with the justification vulnerable_code_not_present, since
// OpenVEX has no false-positive status; Detail becomes the impact_statement
// of not_affected statements and the status_notes of others; an exploitable
// statement without an action statement gets go-vex's placeholder "No
// action statement provided", which Read turns back into "". Response has
// no OpenVEX field and is not written.
//
// Statements that fail Validate, a not_affected statement with neither a
// justification nor a detail (OpenVEX requires one), and statements with
// Versions (OpenVEX cannot express version ranges) are EINVALID errors
// naming the statement; nothing is written then.
func WriteOpenVEX(w io.Writer, doc DocMeta, st []Statement) error {
	if strings.TrimSpace(doc.Author) == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "author", "OpenVEX requires the document author")
	}
	if doc.Timestamp.IsZero() {
		return palisade.FieldErrorf(palisade.EINVALID, "timestamp", "OpenVEX requires the document timestamp")
	}
	ts := doc.Timestamp.UTC()
	out := govex.VEX{
		Metadata: govex.Metadata{
			Context:    govex.ContextLocator(),
			ID:         doc.ID,
			Author:     doc.Author,
			AuthorRole: doc.AuthorRole,
			Timestamp:  &ts,
			Version:    max(doc.Version, 1),
			Tooling:    doc.Tooling,
		},
		Statements: make([]govex.Statement, 0, len(st)),
	}
	for i, s := range st {
		o, err := statementToOpenVEX(i, s)
		if err != nil {
			return err
		}
		out.Statements = append(out.Statements, o)
	}
	if out.ID == "" {
		// CanonicalHash sorts the statements it is given; hash a copy so
		// the document keeps the caller's order.
		cp := out
		cp.Statements = append([]govex.Statement(nil), out.Statements...)
		id, err := cp.GenerateCanonicalID()
		if err != nil {
			return fmt.Errorf("vex: deriving the document id: %w", err)
		}
		out.ID = id
	}
	return out.ToJSON(w)
}

func statementToOpenVEX(i int, s Statement) (govex.Statement, error) {
	pos := fmt.Sprintf("statements[%d]", i)
	s.Position = pos
	if err := s.Validate(); err != nil {
		return govex.Statement{}, err
	}
	if len(s.Versions) > 0 {
		return govex.Statement{}, palisade.FieldErrorf(palisade.EINVALID, pos+".versions", "OpenVEX cannot express version ranges; name each product version by its purl instead")
	}
	o := govex.Statement{
		Vulnerability: govex.Vulnerability{Name: govex.VulnerabilityID(s.Vulnerability)},
		Status:        stateToOpenVEX(s.State),
	}
	for _, a := range s.Aliases {
		o.Vulnerability.Aliases = append(o.Vulnerability.Aliases, govex.VulnerabilityID(a))
	}
	if !s.Timestamp.IsZero() {
		t := s.Timestamp.UTC()
		o.Timestamp = &t
	}
	var subs []govex.Subcomponent
	for _, sc := range s.Subcomponents {
		subs = append(subs, govex.Subcomponent{Component: openVEXComponent(sc)})
	}
	for _, p := range s.Products {
		o.Products = append(o.Products, govex.Product{Component: openVEXComponent(p), Subcomponents: subs})
	}
	switch s.State {
	case StateNotAffected:
		if s.Justification == "" && s.Detail == "" {
			return govex.Statement{}, palisade.FieldErrorf(palisade.EINVALID, pos+".justification", "OpenVEX needs a justification or a detail (impact statement) for not_affected")
		}
		if s.Justification != "" {
			o.Justification = justificationToOpenVEX(s.Justification)
		}
		o.ImpactStatement = s.Detail
	case StateFalsePositive:
		o.Justification = falsePositiveJustification
		o.ImpactStatement = s.Detail
	case StateExploitable:
		o.ActionStatement = s.ActionStatement
		if o.ActionStatement == "" {
			o.ActionStatement = govex.NoActionStatementMsg
		}
		o.StatusNotes = s.Detail
	default:
		o.StatusNotes = s.Detail
	}
	if err := o.Validate(); err != nil {
		return govex.Statement{}, palisade.FieldErrorf(palisade.EINVALID, pos, "%v", err)
	}
	return o, nil
}

// openVEXComponent writes an identifier as @id and, for a purl, also as
// identifiers.purl, which is where Read looks first.
func openVEXComponent(id string) govex.Component {
	c := govex.Component{ID: id}
	if isPurl(id) {
		c.Identifiers = map[govex.IdentifierType]string{govex.PURL: id}
	}
	return c
}
