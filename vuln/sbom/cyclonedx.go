package sbom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

func readCycloneDXJSON(name string, data []byte) (*Inventory, error) {
	if err := checkJSONLimits(name, data,
		limit{[]string{"components", "services"}, MaxComponents, "components and services"},
		limit{[]string{"vulnerabilities"}, MaxFindings, "vulnerabilities"},
		limit{[]string{"affects"}, MaxFindings, "affected components of vulnerabilities"},
	); err != nil {
		return nil, err
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		if errors.Is(err, cdx.ErrInvalidSpecVersion) {
			return nil, invalid(name, err, "specVersion is not a CycloneDX version (1.2 to 1.7)")
		}
		return nil, jsonError(name, data, err, "not a CycloneDX BOM")
	}
	if bom.SpecVersion == 0 {
		return nil, invalid(name, nil, "specVersion is missing; a CycloneDX JSON BOM must declare it")
	}
	return fromBOM(name, FormatCycloneDXJSON, &bom), nil
}

func readCycloneDXXML(name string, data []byte) (*Inventory, error) {
	if err := checkXMLLimits(name, data,
		limit{[]string{"component", "service"}, MaxComponents, "components and services"},
		limit{[]string{"vulnerability"}, MaxFindings, "vulnerabilities"},
		limit{[]string{"target"}, MaxFindings, "affected components of vulnerabilities"},
	); err != nil {
		return nil, err
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
		line, col := xmlErrorPos(data, err)
		return nil, invalidAt(name, line, col, err, "malformed CycloneDX XML: %s", xmlMessage(err))
	}
	if bom.SpecVersion == 0 {
		// The library only knows the namespace from a plain xmlns
		// attribute; a prefixed root (<c:bom xmlns:c="...">) resolves
		// into XMLName.Space instead.
		v, ok := strings.CutPrefix(bom.XMLName.Space, cycloneDXNamespacePrefix)
		if !ok || !knownSpecVersion(v) {
			return nil, invalid(name, nil, "the root element's namespace %q is not a CycloneDX namespace (%s1.0 to 1.7)", bom.XMLName.Space, cycloneDXNamespacePrefix)
		}
		inv := fromBOM(name, FormatCycloneDXXML, &bom)
		inv.SpecVersion = v
		return inv, nil
	}
	return fromBOM(name, FormatCycloneDXXML, &bom), nil
}

func knownSpecVersion(v string) bool {
	switch v {
	case "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7":
		return true
	}
	return false
}

// xmlErrorPos finds where XML decoding failed. The struct decoder does not
// tell the column, so the document is tokenized again up to the error; an
// error that is not about syntax (a bad attribute value) keeps the line the
// decoder gave, or none.
func xmlErrorPos(data []byte, err error) (line, col int) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		if _, terr := dec.Token(); terr != nil {
			if errors.Is(terr, io.EOF) {
				break
			}
			return dec.InputPos()
		}
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Line, 0
	}
	return 0, 0
}

// fromBOM maps a decoded BOM. Components nested in components are walked
// depth first, parents before children, so Location order is file order.
// metadata.component is the subject, not a component: it is the thing the
// BOM describes (the service itself).
func fromBOM(name, format string, bom *cdx.BOM) *Inventory {
	b := newBuilder(name, format)
	b.inv.SpecVersion = bom.SpecVersion.String()
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		b.inv.Subject = bom.Metadata.Component.Name
	}

	// refs maps each bom-ref to the purl the inventory holds for it, so
	// that vulnerabilities[].affects[].ref finds its component.
	refs := map[string]string{}
	if mc := bom.Metadata; mc != nil && mc.Component != nil && mc.Component.BOMRef != "" {
		// Product-level VEX points at the subject itself.
		refs[mc.Component.BOMRef] = mc.Component.PackageURL
	}
	type item struct {
		c   *cdx.Component
		loc string
	}
	var stack []item
	pushAll := func(cs *[]cdx.Component, prefix string) {
		if cs == nil {
			return
		}
		for i := len(*cs) - 1; i >= 0; i-- {
			stack = append(stack, item{&(*cs)[i], fmt.Sprintf("%scomponents[%d]", prefix, i)})
		}
	}
	pushAll(bom.Components, "")
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := it.c
		purl := b.add(Component{
			Purl:     c.PackageURL,
			Name:     c.Name,
			Group:    c.Group,
			Version:  c.Version,
			Type:     string(c.Type),
			BOMRef:   c.BOMRef,
			Location: it.loc,
		})
		if c.BOMRef != "" {
			if _, seen := refs[c.BOMRef]; !seen {
				refs[c.BOMRef] = purl
			}
		}
		pushAll(c.Components, it.loc+".")
	}

	if bom.Vulnerabilities != nil {
		for i := range *bom.Vulnerabilities {
			cdxFindings(b, &(*bom.Vulnerabilities)[i], fmt.Sprintf("vulnerabilities[%d]", i), refs)
		}
	}
	return b.finish()
}

func cdxFindings(b *builder, v *cdx.Vulnerability, loc string, refs map[string]string) {
	if strings.TrimSpace(v.ID) == "" {
		b.warnf("%s: vulnerability without an id; skipped", loc)
		return
	}
	if v.Affects == nil || len(*v.Affects) == 0 {
		b.warnf("%s: %s affects no component; skipped", loc, v.ID)
		return
	}
	var aliases []string
	if v.References != nil {
		for _, r := range *v.References {
			aliases = append(aliases, r.ID)
		}
		// Once per vulnerability, not per affected component.
		aliases = capList(v.ID, aliases)
	}
	severity := SeverityUnknown
	if v.Ratings != nil {
		for _, r := range *v.Ratings {
			s := normSeverity(string(r.Severity))
			if s == SeverityUnknown && r.Score != nil {
				s = scoreSeverity(*r.Score)
			}
			if severityRank(s) > severityRank(severity) {
				severity = s
			}
		}
	}
	var state, justification string
	if v.Analysis != nil {
		state, justification = string(v.Analysis.State), string(v.Analysis.Justification)
	}
	for j, a := range *v.Affects {
		aloc := fmt.Sprintf("%s.affects[%d]", loc, j)
		purl, ok := resolveRef(a.Ref, refs)
		if !ok {
			b.warnf("%s: %s affects %q, which is no component of this BOM and no purl; skipped", aloc, v.ID, a.Ref)
			continue
		}
		if purl == "" {
			b.warnf("%s: %s affects %q, a component without a purl; skipped", aloc, v.ID, a.Ref)
			continue
		}
		b.addFinding(Finding{
			Purl:          purl,
			ID:            v.ID,
			Aliases:       aliases,
			Severity:      severity,
			State:         state,
			Justification: justification,
			Location:      aloc,
		})
	}
}

// resolveRef finds the purl an affects ref points at: a bom-ref of this
// BOM, the bom-ref part of a BOM-Link ("urn:cdx:<serial>/<version>#<ref>",
// used by VEX documents kept apart from their BOM), or a ref that is itself
// a purl, as many tools use purls for bom-refs. A BOM-Link to another BOM
// can only be followed in the last way.
func resolveRef(ref string, refs map[string]string) (string, bool) {
	if purl, ok := refs[ref]; ok {
		return purl, true
	}
	candidates := []string{ref}
	if rest, ok := strings.CutPrefix(ref, "urn:cdx:"); ok {
		if _, frag, ok := strings.Cut(rest, "#"); ok {
			candidates = append(candidates, frag)
			if unescaped, err := url.PathUnescape(frag); err == nil && unescaped != frag {
				candidates = append(candidates, unescaped)
			}
		}
	}
	for _, c := range candidates[1:] {
		if purl, ok := refs[c]; ok {
			return purl, true
		}
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, "pkg:") {
			if _, err := packageurl.FromString(c); err == nil {
				return c, true
			}
		}
	}
	return "", false
}
