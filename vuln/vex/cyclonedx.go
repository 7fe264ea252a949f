package vex

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"github.com/palisade-project/palisade"
)

func readCycloneDXJSON(name string, data []byte) ([]Statement, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		if errors.Is(err, cdx.ErrInvalidSpecVersion) {
			return nil, palisade.FieldErrorf(palisade.EINVALID, name+": specVersion", "unknown CycloneDX spec version")
		}
		return nil, jsonError(name, data, err)
	}
	return cycloneDXStatements(name, &bom)
}

func readCycloneDXXML(name string, data []byte) ([]Statement, error) {
	var bom cdx.BOM
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&bom); err != nil {
		// encoding/xml names the line in its syntax errors.
		return nil, &palisade.Error{Code: palisade.EINVALID, Field: name, Message: "XML: " + err.Error(), Err: err}
	}
	if bom.XMLName.Local != "bom" || !strings.HasPrefix(bom.XMLNS, "http://cyclonedx.org/schema/bom/") {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "not a VEX document: XML, but not a CycloneDX <bom> (namespace %q)", bom.XMLNS)
	}
	return cycloneDXStatements(name, &bom)
}

// cdxRef is a component a BOM defines, found by its bom-ref.
type cdxRef struct {
	id     string // the identifier Palisade uses: purl, else bom-ref
	parent string // the id of the component it is nested in, if any
}

// cycloneDXStatements converts the vulnerabilities of a BOM. A
// vulnerability without analysis.state is no VEX statement (it is
// vulnerability data, as in a VDR or an SBOM with vulnerabilities) and is
// skipped; a document in which none has one is rejected as not VEX.
func cycloneDXStatements(name string, bom *cdx.BOM) ([]Statement, error) {
	if bom.Vulnerabilities == nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "not a VEX document: a CycloneDX BOM without vulnerabilities (an SBOM?)")
	}
	refs := map[string]cdxRef{}
	var docTime time.Time
	if md := bom.Metadata; md != nil {
		if md.Component != nil {
			indexComponent(refs, *md.Component, "")
		}
		if md.Timestamp != "" {
			docTime, _ = parseCDXTime(md.Timestamp)
		}
	}
	if bom.Components != nil {
		for _, c := range *bom.Components {
			indexComponent(refs, c, "")
		}
	}
	if bom.Services != nil {
		for _, s := range *bom.Services {
			if s.BOMRef != "" {
				refs[s.BOMRef] = cdxRef{id: s.BOMRef}
			}
		}
	}

	var c collector
	var out []Statement
	analysed := 0
	for i, v := range *bom.Vulnerabilities {
		pos := fmt.Sprintf("%s: vulnerabilities[%d]", name, i)
		if v.Analysis == nil || v.Analysis.State == "" {
			continue
		}
		analysed++
		sts, err := cycloneDXVulnerability(pos, v, refs, docTime)
		if err != nil {
			c.add(err)
			continue
		}
		out = append(out, sts...)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	if analysed == 0 && len(*bom.Vulnerabilities) > 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "not a VEX document: no vulnerability has an analysis.state (a vulnerability report?)")
	}
	return out, nil
}

func indexComponent(refs map[string]cdxRef, c cdx.Component, parent string) {
	id := componentIdentity(c)
	if c.BOMRef != "" && id != "" {
		refs[c.BOMRef] = cdxRef{id: id, parent: parent}
	}
	if c.Components != nil {
		for _, sub := range *c.Components {
			indexComponent(refs, sub, id)
		}
	}
}

// componentIdentity is the purl of a component when it has a valid one,
// else its bom-ref.
func componentIdentity(c cdx.Component) string {
	if p := strings.TrimSpace(c.PackageURL); isPurl(p) {
		return p
	}
	return strings.TrimSpace(c.BOMRef)
}

func cycloneDXVulnerability(pos string, v cdx.Vulnerability, refs map[string]cdxRef, docTime time.Time) ([]Statement, error) {
	a := v.Analysis
	state, ok := stateFromCycloneDX(string(a.State))
	if !ok {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".analysis.state", "unknown state %q (want one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected)", a.State)
	}
	st := Statement{
		Vulnerability: strings.TrimSpace(v.ID),
		State:         state,
		Justification: string(a.Justification),
		Detail:        a.Detail,
		Source:        FormatCycloneDX,
		Position:      pos,
	}
	if v.References != nil {
		for _, r := range *v.References {
			if id := strings.TrimSpace(r.ID); id != st.Vulnerability {
				st.Aliases = appendUnique(st.Aliases, id)
			}
		}
	}
	if a.Response != nil {
		for _, r := range *a.Response {
			st.Response = appendUnique(st.Response, string(r))
		}
	}
	if state == StateExploitable {
		st.ActionStatement = v.Recommendation
	}
	// analysis.lastUpdated (1.5+) is when the analysis was made; the
	// vulnerability's own created/updated dates are the advisory's.
	for i, ts := range []string{a.LastUpdated, a.FirstIssued} {
		if ts == "" {
			continue
		}
		t, err := parseCDXTime(ts)
		if err != nil {
			f := []string{".analysis.lastUpdated", ".analysis.firstIssued"}[i]
			return nil, palisade.FieldErrorf(palisade.EINVALID, pos+f, "%q is not an RFC 3339 date-time", ts)
		}
		st.Timestamp = t
		break
	}
	if st.Timestamp.IsZero() {
		st.Timestamp = docTime
	}

	if v.Affects == nil || len(*v.Affects) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, pos+".affects", "names no affected component or product; Palisade cannot apply a statement about nothing")
	}
	// Group by parent: refs to top-level components are products; refs to
	// nested components are subcomponents of their parent.
	type group struct {
		parent   string
		targets  []string
		versions []ProductVersion
	}
	var groups []*group
	find := func(parent string) *group {
		for _, g := range groups {
			if g.parent == parent {
				return g
			}
		}
		g := &group{parent: parent}
		groups = append(groups, g)
		return g
	}
	for j, af := range *v.Affects {
		apos := fmt.Sprintf("%s.affects[%d]", pos, j)
		ref := strings.TrimSpace(af.Ref)
		if ref == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, apos+".ref", "empty ref")
		}
		r := resolveRef(ref, refs)
		g := find(r.parent)
		g.targets = appendUnique(g.targets, r.id)
		if af.Range == nil {
			continue
		}
		for k, av := range *af.Range {
			vpos := fmt.Sprintf("%s.versions[%d]", apos, k)
			pv := ProductVersion{Ref: r.id, Version: strings.TrimSpace(av.Version), Range: strings.TrimSpace(av.Range), Status: string(av.Status)}
			if pv.Status == "" {
				pv.Status = string(cdx.VulnerabilityStatusAffected) // the schema's default
			}
			if !slices.Contains(versionStatuses(), pv.Status) {
				return nil, palisade.FieldErrorf(palisade.EINVALID, vpos+".status", "unknown status %q (want affected, unaffected or unknown)", av.Status)
			}
			if (pv.Version == "") == (pv.Range == "") {
				return nil, palisade.FieldErrorf(palisade.EINVALID, vpos, "give exactly one of version and range")
			}
			if !slices.Contains(g.versions, pv) {
				g.versions = append(g.versions, pv)
			}
		}
	}
	// Products that share one list of subcomponents were one statement
	// when WriteCycloneDX nested them; make them one again.
	var merged []*group
	var parents [][]string
	for _, g := range groups {
		k := -1
		for i, m := range merged {
			if g.parent != "" && m.parent != "" && slices.Equal(m.targets, g.targets) && slices.Equal(m.versions, g.versions) {
				k = i
				break
			}
		}
		if k < 0 {
			merged = append(merged, g)
			parents = append(parents, []string{g.parent})
			continue
		}
		parents[k] = append(parents[k], g.parent)
	}
	var out []Statement
	for i, g := range merged {
		s := st
		if g.parent == "" {
			s.Products = g.targets
		} else {
			s.Products = parents[i]
			s.Subcomponents = g.targets
		}
		s.Versions = g.versions
		if err := s.Validate(); err != nil {
			return nil, cdxFieldError(err)
		}
		out = append(out, s)
	}
	return out, nil
}

// cdxFieldError renames Validate's field names to the CycloneDX ones.
func cdxFieldError(err error) error {
	var pe *palisade.Error
	if !errors.As(err, &pe) {
		return err
	}
	r := strings.NewReplacer(".state", ".analysis.state", ".justification", ".analysis.justification", ".response[", ".analysis.response[", ".action_statement", ".recommendation", ".vulnerability", ".id", ".products", ".affects")
	cp := *pe
	cp.Field = r.Replace(pe.Field)
	return &cp
}

// resolveRef finds what an affects ref names: a component or service of
// this BOM (by its purl, else its bom-ref), else for a BOM-Link
// ("urn:cdx:serial/version#bom-ref") to another BOM the purl its fragment
// holds when bom-refs are purls, as CycloneDX tools usually make them,
// else the ref as written.
func resolveRef(ref string, refs map[string]cdxRef) cdxRef {
	if r, ok := refs[ref]; ok {
		return r
	}
	if strings.HasPrefix(ref, "urn:cdx:") {
		if _, frag, ok := strings.Cut(ref, "#"); ok {
			if f, err := url.PathUnescape(frag); err == nil && isPurl(f) {
				return cdxRef{id: f}
			}
		}
	}
	return cdxRef{id: ref}
}

func isPurl(s string) bool {
	if !strings.HasPrefix(s, "pkg:") {
		return false
	}
	_, err := packageurl.FromString(s)
	return err == nil
}

func parseCDXTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// WriteCycloneDX writes st as a CycloneDX 1.6 JSON VEX: one vulnerability
// per Statement, in order, with its analysis (state, justification,
// response, detail, lastUpdated = Timestamp), references for the aliases,
// recommendation for the action statement, and affects refs with
// versions. Every product that is not a BOM-Link is listed under
// components with bom-ref = the identifier (and purl, name and version
// when it is a purl); subcomponents are components nested in their
// product, which is how Read tells them apart. doc.ID, when set, must be
// a "urn:uuid:…" serial number. Statements that fail Validate are EINVALID
// errors naming the statement; nothing is written then.
func WriteCycloneDX(w io.Writer, doc DocMeta, st []Statement) error {
	if doc.ID != "" && !strings.HasPrefix(doc.ID, "urn:uuid:") {
		return palisade.FieldErrorf(palisade.EINVALID, "id", "a CycloneDX serial number is a urn:uuid:… URN, not %q", doc.ID)
	}
	bom := cdx.NewBOM()
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = doc.ID
	bom.Version = max(doc.Version, 1)
	md := &cdx.Metadata{}
	if !doc.Timestamp.IsZero() {
		md.Timestamp = doc.Timestamp.UTC().Format(time.RFC3339)
	}
	if doc.Author != "" {
		md.Authors = &[]cdx.OrganizationalContact{{Name: doc.Author}}
	}
	if doc.Tooling != "" {
		md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: doc.Tooling}}}
	}
	if *md != (cdx.Metadata{}) {
		bom.Metadata = md
	}

	var components []cdx.Component
	top := map[string]int{}          // product id → index in components
	usedRefs := map[string]bool{}    // every bom-ref given out
	nested := map[[2]string]string{} // (product, subcomponent) → bom-ref
	product := func(id string) string {
		if strings.HasPrefix(id, "urn:cdx:") {
			return id // a BOM-Link names a component of another BOM
		}
		if _, ok := top[id]; !ok {
			top[id] = len(components)
			components = append(components, cdxComponent(id, id))
			usedRefs[id] = true
		}
		return id
	}
	// List every product first so a subcomponent's bom-ref can never
	// collide with a product listed later.
	for _, s := range st {
		for _, p := range s.Products {
			product(p)
		}
	}
	vulns := make([]cdx.Vulnerability, 0, len(st))
	for i, s := range st {
		s.Position = fmt.Sprintf("statements[%d]", i)
		if err := s.Validate(); err != nil {
			return err
		}
		v := cdx.Vulnerability{
			ID:             s.Vulnerability,
			Source:         advisorySource(s.Vulnerability),
			Recommendation: s.ActionStatement,
			Analysis: &cdx.VulnerabilityAnalysis{
				State:         cdx.ImpactAnalysisState(s.State),
				Justification: cdx.ImpactAnalysisJustification(s.Justification),
				Detail:        s.Detail,
			},
		}
		if !s.Timestamp.IsZero() {
			v.Analysis.LastUpdated = s.Timestamp.UTC().Format(time.RFC3339Nano)
		}
		if len(s.Response) > 0 {
			rs := make([]cdx.ImpactAnalysisResponse, len(s.Response))
			for k, r := range s.Response {
				rs[k] = cdx.ImpactAnalysisResponse(r)
			}
			v.Analysis.Response = &rs
		}
		if len(s.Aliases) > 0 {
			var refs []cdx.VulnerabilityReference
			for _, a := range s.Aliases {
				refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: advisorySource(a)})
			}
			v.References = &refs
		}
		// target id → affects ref
		var targets [][2]string
		if len(s.Subcomponents) == 0 {
			for _, p := range s.Products {
				targets = append(targets, [2]string{p, product(p)})
			}
		} else {
			for _, p := range s.Products {
				if strings.HasPrefix(p, "urn:cdx:") {
					return palisade.FieldErrorf(palisade.EINVALID, s.Position+".subcomponents", "subcomponents of %s, a component of another BOM, cannot be written", p)
				}
				product(p)
				for _, sc := range s.Subcomponents {
					key := [2]string{p, sc}
					ref, ok := nested[key]
					if !ok {
						ref = sc
						if usedRefs[ref] {
							ref = p + "/" + sc
						}
						usedRefs[ref] = true
						nested[key] = ref
						parent := &components[top[p]]
						if parent.Components == nil {
							parent.Components = &[]cdx.Component{}
						}
						*parent.Components = append(*parent.Components, cdxComponent(sc, ref))
					}
					targets = append(targets, [2]string{sc, ref})
				}
			}
		}
		var affects []cdx.Affects
		for _, t := range targets {
			af := cdx.Affects{Ref: t[1]}
			var vs []cdx.AffectedVersions
			for _, pv := range s.Versions {
				if pv.Ref == t[0] {
					vs = append(vs, cdx.AffectedVersions{Version: pv.Version, Range: pv.Range, Status: cdx.VulnerabilityStatus(pv.Status)})
				}
			}
			if len(vs) > 0 {
				af.Range = &vs
			}
			affects = append(affects, af)
		}
		v.Affects = &affects
		vulns = append(vulns, v)
	}
	if len(components) > 0 {
		bom.Components = &components
	}
	bom.Vulnerabilities = &vulns
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// cdxComponent describes an identifier as a component. The type is
// required; "library" is right for the packages purls name, and nothing
// better is known of other identifiers.
func cdxComponent(id, ref string) cdx.Component {
	c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: id}
	if p, err := packageurl.FromString(id); err == nil && isPurl(id) {
		c.Name = p.Name
		c.Group = p.Namespace
		c.Version = p.Version
		c.PackageURL = id
	}
	return c
}

// advisorySource names the database an advisory id belongs to, which
// CycloneDX requires for references and recommends for vulnerabilities.
func advisorySource(id string) *cdx.Source {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "CVE":
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case "GHSA":
		return &cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	case "GO":
		return &cdx.Source{Name: "Go Vulnerability Database", URL: "https://pkg.go.dev/vuln/" + id}
	}
	return &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + url.PathEscape(id)}
}
