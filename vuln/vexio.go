package vuln

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/vuln/osv"
	"github.com/palisade-project/palisade/vuln/vex"
)

// VEXResult says what a VEX import did.
type VEXResult struct {
	Statements int `json:"statements"`
	// Applied counts findings whose decision changed.
	Applied int `json:"applied"`
	// Unchanged counts findings that already had the decision.
	Unchanged int `json:"unchanged"`
	// Unmatched lists statements that named no finding in scope.
	Unmatched []string `json:"unmatched"`
}

// ImportVEX applies the decisions of a VEX document (OpenVEX, or CycloneDX
// JSON/XML) to the findings they name: a statement applies to every
// finding, in service (or everywhere when ""), whose advisory id or alias is
// the statement's vulnerability (or one of its aliases) and whose
// component is one of its products. Requires responder.
func (s *Service) ImportVEX(ctx context.Context, name string, data []byte, service string) (*VEXResult, error) {
	if err := palisade.Authorize(ctx, palisade.RoleResponder); err != nil {
		return nil, err
	}
	if service != "" {
		if _, err := s.catalog.Service(ctx, service); err != nil {
			return nil, err
		}
		if err := s.checkService(ctx, service, true); err != nil {
			return nil, err
		}
	}
	stmts, err := vex.Read(name, data)
	if err != nil {
		return nil, err
	}
	res := &VEXResult{Statements: len(stmts), Unmatched: []string{}}
	for _, st := range stmts {
		triage := Triage{State: st.State, Justification: st.Justification, Detail: st.Detail,
			Reason: fmt.Sprintf("VEX %s (%s)", name, st.Source)}
		if st.State != StateNotAffected {
			triage.Justification = ""
		}
		if err := triage.Validate(); err != nil {
			return nil, palisade.FieldErrorf(palisade.EINVALID, st.Position, "%s", palisade.ErrorMessage(err))
		}
		ids, err := s.vexTargets(ctx, st, service)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			res.Unmatched = append(res.Unmatched, fmt.Sprintf("%s: %s on %s", st.Position, st.Vulnerability, strings.Join(st.Products, ", ")))
			continue
		}
		before := map[string]string{}
		fs, err := s.store.Findings(ctx, FindingFilter{IDs: ids, Now: s.clock()})
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			before[f.ID] = f.State + "/" + f.Justification + "/" + f.Detail
		}
		after, err := s.Triage(ctx, ids, triage)
		if err != nil {
			return nil, err
		}
		for _, f := range after {
			if before[f.ID] == f.State+"/"+f.Justification+"/"+f.Detail && f.UpdatedAt.Before(s.clock()) {
				res.Unchanged++
			} else {
				res.Applied++
			}
		}
	}
	return res, nil
}

// vexTargets finds the findings a statement speaks of.
func (s *Service) vexTargets(ctx context.Context, st vex.Statement, service string) ([]string, error) {
	products := map[string]bool{}
	for _, p := range append(slices.Clone(st.Products), st.Subcomponents...) {
		products[purlKey(p)] = true
	}
	var ids []string
	seen := map[string]bool{}
	for _, v := range append([]string{st.Vulnerability}, st.Aliases...) {
		f := FindingFilter{Advisory: v, Service: service, Now: s.clock()}
		if err := s.restrict(ctx, &f); err != nil {
			return nil, err
		}
		fs, err := s.store.Findings(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !seen[f.ID] && products[purlKey(f.Purl)] {
				seen[f.ID] = true
				ids = append(ids, f.ID)
			}
		}
	}
	return ids, nil
}

// purlKey compares purls by package and version, ignoring qualifiers and
// subpaths that SBOM tools add or drop, and OSV's name normalization.
func purlKey(p string) string {
	pkg, version, err := osv.FromPurl(p)
	if err != nil {
		return p
	}
	return pkg.Ecosystem + "|" + osv.NormalizeName(pkg.Ecosystem, pkg.Name) + "|" + version
}

// VEX formats for export.
const (
	VEXOpenVEX   = "openvex"
	VEXCycloneDX = "cyclonedx"
)

// ExportVEX writes the decisions about findings (of service, or all) as a
// VEX document: every finding becomes a statement with its state,
// justification and detail. Requires viewer.
func (s *Service) ExportVEX(ctx context.Context, w io.Writer, service, format string) error {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return err
	}
	if format != VEXOpenVEX && format != VEXCycloneDX {
		return palisade.FieldErrorf(palisade.EINVALID, "format", "VEX format %q: use openvex or cyclonedx", format)
	}
	if service != "" {
		if _, err := s.catalog.Service(ctx, service); err != nil {
			return err
		}
	}
	f := FindingFilter{Service: service, Now: s.clock()}
	if err := s.restrict(ctx, &f); err != nil {
		return err
	}
	fs, err := s.store.Findings(ctx, f)
	if err != nil {
		return err
	}
	return WriteVEX(w, findingStatements(fs), format, s.clock())
}

// findingStatements turns findings into VEX statements, one per finding.
func findingStatements(fs []Finding) []vex.Statement {
	out := make([]vex.Statement, 0, len(fs))
	for _, f := range fs {
		st := vex.Statement{Vulnerability: f.Advisory, Aliases: f.Aliases, Products: []string{f.Purl}, State: f.State,
			Justification: f.Justification, Detail: f.Detail, Timestamp: f.UpdatedAt}
		if f.State == StateExploitable && len(f.Fixed) > 0 {
			st.ActionStatement = "Update to " + strings.Join(f.Fixed, " or ")
			st.Response = []string{"update"}
		}
		if f.State == StateNotAffected && st.Detail == "" {
			st.Detail = "Marked not affected (" + f.Justification + ") in Palisade"
		}
		out = append(out, st)
	}
	return out
}

// WriteVEX writes statements as an OpenVEX or CycloneDX VEX document
// authored by Palisade at now.
func WriteVEX(w io.Writer, stmts []vex.Statement, format string, now time.Time) error {
	meta := vex.DocMeta{Author: "Palisade", AuthorRole: "vulnerability management", Timestamp: now, Version: 1, Tooling: "palisade"}
	if format == VEXCycloneDX {
		return vex.WriteCycloneDX(w, meta, stmts)
	}
	return vex.WriteOpenVEX(w, meta, stmts)
}
