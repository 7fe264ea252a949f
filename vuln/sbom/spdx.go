package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	spdxjson "github.com/spdx/tools-golang/json"
)

// readSPDX reads SPDX 2.1 to 2.3 JSON through tools-golang, which converts
// every version to the 2.3 model. A package's purl is its first external
// reference of type "purl" in the PACKAGE-MANAGER category (spelled
// PACKAGE_MANAGER before SPDX 2.3).
func readSPDX(name string, data []byte) (*Inventory, error) {
	// tools-golang reports every version as 2.3 after converting, so the
	// version the file declares is read first, which also gives a clear
	// error for a file that declares none.
	var top topLevel
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(name, data, err, "not an SPDX JSON document")
	}
	version := top.str("spdxVersion")
	switch version {
	case "SPDX-2.1", "SPDX-2.2", "SPDX-2.3":
	case "":
		return nil, invalid(name, nil, "no spdxVersion; not an SPDX 2.x JSON document")
	default:
		return nil, invalid(name, nil, "spdxVersion %q is not supported; accepted: SPDX-2.2 and SPDX-2.3 (and SPDX-2.1)", version)
	}
	if err := checkJSONLimits(name, data,
		limit{[]string{"packages"}, MaxComponents, "packages"},
		// tools-golang decodes every element three times, once into
		// generic maps: files and relationships cost as much as packages.
		limit{[]string{"files", "snippets", "relationships", "annotations", "hasExtractedLicensingInfos", "externalRefs", "checksums"}, 4 * MaxComponents, "files, relationships and other elements"},
	); err != nil {
		return nil, err
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return nil, jsonError(name, data, err, "not an SPDX 2.x JSON document")
	}
	b := newBuilder(name, FormatSPDXJSON)
	b.inv.SpecVersion = version
	b.inv.Subject = doc.DocumentName
	for i, p := range doc.Packages {
		if p == nil {
			continue
		}
		c := Component{
			Name:     p.PackageName,
			Version:  p.PackageVersion,
			Type:     p.PrimaryPackagePurpose,
			Location: fmt.Sprintf("packages[%d]", i),
		}
		if p.PackageSPDXIdentifier != "" {
			c.BOMRef = "SPDXRef-" + string(p.PackageSPDXIdentifier)
		}
		for _, ref := range p.PackageExternalReferences {
			if ref == nil {
				continue
			}
			category := strings.ReplaceAll(strings.ToUpper(ref.Category), "_", "-")
			if category == "PACKAGE-MANAGER" && ref.RefType == "purl" {
				c.Purl = ref.Locator
				break
			}
		}
		b.add(c)
	}
	return b.finish(), nil
}
