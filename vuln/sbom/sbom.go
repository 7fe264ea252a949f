// Package sbom reads what a service contains from the files that describe it:
// SBOMs (CycloneDX JSON and XML, SPDX JSON) and scanner results (osv-scanner,
// Trivy and Grype JSON). Each reader turns one file into an Inventory of
// components identified by purl, plus the vulnerabilities the file itself
// reports, so that the rest of Palisade never sees a file format.
//
// Reading is all or nothing: a malformed file is an error that names the file
// and, where the decoder knows it, the line and column; nothing is returned
// half read. What is merely incomplete (a component without a purl, an
// advisory that points at nothing) becomes a warning instead.
//
// docs/inventories.md describes the accepted formats for users.
package sbom

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
)

// Format names accepted by ReadFormat and reported in Inventory.Format.
const (
	FormatCycloneDXJSON = "cyclonedx-json"
	FormatCycloneDXXML  = "cyclonedx-xml"
	FormatSPDXJSON      = "spdx-json"
	FormatOSVScanner    = "osv-scanner"
	FormatTrivy         = "trivy"
	FormatGrype         = "grype"
)

// Formats returns the accepted format names in a fixed order. The slice is
// new on each call, so callers may keep or change it.
func Formats() []string {
	return []string{FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatOSVScanner, FormatTrivy, FormatGrype}
}

// MaxFileSize is the largest input Read and ReadFormat accept, 64 MiB. The
// largest real SBOMs we know of (container images with their whole OS) are a
// few MiB; the limit keeps one upload from holding gigabytes of decoded JSON
// in memory. Larger input is refused with palisade.ETOOLARGE.
const MaxFileSize = 64 << 20

// MaxWarnings is the number of warnings an Inventory keeps. A file with
// thousands of unidentifiable components would otherwise bury the first
// useful warning; the last kept warning says how many were left out.
const MaxWarnings = 100

// Inventory is what one file says a service contains.
type Inventory struct {
	// File is the name the caller passed to Read, for messages.
	File string
	// Format is one of the Format constants.
	Format string
	// SpecVersion is the version of the format the file declares: "1.5" for
	// CycloneDX, "SPDX-2.3" for SPDX, the SchemaVersion ("2") for Trivy. It
	// is "" for osv-scanner and Grype, whose output carries no schema version.
	SpecVersion string
	// Subject is what the file describes: the CycloneDX metadata.component
	// name, the SPDX document name, Trivy's ArtifactName, Grype's scanned
	// target, or osv-scanner's source path when all results share one. It
	// may be "".
	Subject string
	// Components are the packages, in file order, each purl once (the first
	// occurrence wins). Components without a usable purl are kept, and a
	// warning names each of them.
	Components []Component
	// Findings are the vulnerabilities the file reports, each (purl, ID)
	// once, in file order.
	Findings []Finding
	// Warnings say what was read but is incomplete: components without a
	// purl, invalid purls, advisories that point at no component. At most
	// MaxWarnings are kept.
	Warnings []string
}

// Component is one package of an Inventory.
type Component struct {
	// Purl is the package URL exactly as the file gives it, so that reports
	// can quote it; for osv-scanner packages without one, and for scanner
	// packages whose ecosystem is known, it is built (canonical form, see
	// docs/inventories.md). It may be "" (nothing identifies the package)
	// or unparseable; both cases also produce a warning.
	Purl string
	// Name, Group and Version are as the file gives them. Group is the
	// CycloneDX group (Maven groupId, npm scope) and "" for other formats.
	Name, Group, Version string
	// Type is the kind of component in the file's own words: the CycloneDX
	// type ("library"), the SPDX primaryPackagePurpose, the osv-scanner
	// ecosystem, the Trivy result type ("npm", "alpine") or the Grype
	// artifact type. Use the purl's type for the ecosystem.
	Type string
	// BOMRef is the CycloneDX bom-ref or the SPDX SPDXID, when present.
	BOMRef string
	// Location says where in the file the component is, as a path
	// ("components[3].components[0]", "Results[1].Packages[4]"), for messages.
	Location string
}

// Finding is one vulnerability a file reports for one component.
type Finding struct {
	// Purl is the affected component's purl, as in Component.Purl.
	Purl string
	// ID is the advisory id the file uses (CVE, GHSA, OSV or vendor id).
	ID string
	// Aliases are the other ids of the same advisory the file names,
	// sorted, without ID; at most 64.
	Aliases []string
	// Severity is one of the Severity constants ("critical", "high",
	// "medium", "low", "unknown"), normalized from the file's own scale
	// (docs/inventories.md).
	Severity string
	// Fixed are versions that fix the vulnerability, as the file gives
	// them, in the file's order; at most 64.
	Fixed []string
	// State and Justification are the CycloneDX analysis.state and
	// analysis.justification when the BOM carries VEX data ("not_affected",
	// "code_not_reachable"); "" otherwise.
	State, Justification string
	// Location says where in the file the finding is, for messages.
	Location string
}

// Read reads an inventory from data, recognizing the format from the
// content (see ReadFormat for the rules). name is used in messages only.
func Read(name string, data []byte) (*Inventory, error) {
	return ReadFormat(name, data, "")
}

// ReadFormat reads an inventory from data in the given format, one of
// Formats(); "" recognizes the format from the content: JSON with bomFormat
// "CycloneDX", XML in a CycloneDX namespace, JSON with spdxVersion, JSON with
// osv-scanner's "results", Trivy's "SchemaVersion" and "Results", or Grype's
// "matches" and "descriptor".
//
// On success the Inventory is complete. Otherwise it returns nil and a
// *palisade.Error: ETOOLARGE past MaxFileSize, MaxComponents or
// MaxFindings; EINVALID for content of an unknown format or malformed
// content, with Field set to name or, where the decoder knows the
// position, "name:line:col"; EINVALID with Field "format" for a format
// name not in Formats().
func ReadFormat(name string, data []byte, format string) (*Inventory, error) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(name)
	}
	data, err := stripBOM(name, data)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format, err = sniff(name, data)
		if err != nil {
			return nil, err
		}
	}
	var inv *Inventory
	switch format {
	case FormatCycloneDXJSON:
		inv, err = readCycloneDXJSON(name, data)
	case FormatCycloneDXXML:
		inv, err = readCycloneDXXML(name, data)
	case FormatSPDXJSON:
		inv, err = readSPDX(name, data)
	case FormatOSVScanner:
		inv, err = readOSVScanner(name, data)
	case FormatTrivy:
		inv, err = readTrivy(name, data)
	case FormatGrype:
		inv, err = readGrype(name, data)
	default:
		return nil, palisade.FieldErrorf(palisade.EINVALID, "format", "unknown format %q; accepted: %s", format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// ReadFrom reads at most MaxFileSize bytes from r and then works as Read.
// Input past the limit is refused with ETOOLARGE without reading it all, so
// an upload cannot make the server buffer more than the limit.
func ReadFrom(name string, r io.Reader) (*Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &palisade.Error{Code: palisade.EINVALID, Field: name, Message: "cannot read the file", Err: err}
	}
	return Read(name, data)
}

func tooLarge(name string) error {
	return palisade.FieldErrorf(palisade.ETOOLARGE, name, "the file is larger than %d MiB", MaxFileSize>>20)
}

// stripBOM drops a UTF-8 byte order mark, which Windows tools write and JSON
// decoders reject, and refuses UTF-16, which PowerShell's ">" produces from
// scanner output, with a message that says how to fix it.
func stripBOM(name string, data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		return data[3:], nil
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "the file is UTF-16 encoded; convert it to UTF-8 (PowerShell: use Out-File -Encoding utf8)")
	}
	return data, nil
}

// invalid returns an EINVALID error about the file as a whole.
func invalid(name string, err error, format string, args ...any) error {
	return &palisade.Error{Code: palisade.EINVALID, Field: name, Message: fmt.Sprintf(format, args...), Err: err}
}

// invalidAt returns an EINVALID error about one position of the file; a line
// of 0 means the position is unknown.
func invalidAt(name string, line, col int, err error, format string, args ...any) error {
	field := name
	if line > 0 {
		field = name + ":" + strconv.Itoa(line)
		if col > 0 {
			field += ":" + strconv.Itoa(col)
		}
	}
	return &palisade.Error{Code: palisade.EINVALID, Field: field, Message: fmt.Sprintf(format, args...), Err: err}
}
