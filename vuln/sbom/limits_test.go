package sbom

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-project/palisade"
)

func TestCountJSONElements(t *testing.T) {
	keys := []string{"components", "vulnerabilities"}
	tests := []struct {
		json string
		want []int
	}{
		{`{}`, []int{0, 0}},
		{`{"components": []}`, []int{0, 0}},
		{`{"components": [{}, {"components": [1, "x", null, [2], {"a": 1}]}], "vulnerabilities": ["a", "b"]}`, []int{7, 2}},
		// Keys are matched as encoding/json matches struct tags: any
		// case, escapes decoded, Unicode folding.
		{`{"COMPONENTS": [1, 2], "comp\u006fnents": [3], "componentſ": [4]}`, []int{4, 0}},
		// Strings that look like keys or brackets do not count.
		{`{"x": "\"components\": [1, 2, 3]", "y": ["components", "[", "]"]}`, []int{0, 0}},
		{`{"components": "not an array", "vulnerabilities": {"components": [true, false]}}`, []int{2, 0}},
		{`{"a": [{"components": [-1.5e3, 2]}], "components": 3}`, []int{2, 0}},
		// Broken input gives a rough count, never a panic.
		{`{"components": [1, 2`, []int{2, 0}},
		{`]]]}}}{"components":[1`, []int{1, 0}},
		{`"`, []int{0, 0}},
	}
	for _, tt := range tests {
		if got := countJSONElements([]byte(tt.json), keys); !slices.Equal(got, tt.want) {
			t.Errorf("countJSONElements(%s) = %v; want %v", tt.json, got, tt.want)
		}
	}
}

func TestCountDeepNesting(t *testing.T) {
	data := bytes.Repeat([]byte("["), 1<<20)
	if got := countJSONElements(data, []string{"x"}); got[0] != 0 {
		t.Errorf("got %v", got)
	}
}

func TestLimits(t *testing.T) {
	var cdx, osv, xml bytes.Buffer
	cdx.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[`)
	osv.WriteString(`{"results":[{"packages":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"vulnerabilities":[`)
	xml.WriteString(`<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>`)
	for i := range MaxComponents + 1 {
		if i > 0 {
			cdx.WriteByte(',')
			osv.WriteByte(',')
		}
		fmt.Fprintf(&cdx, `{"name":"%x"}`, i)
		fmt.Fprintf(&osv, `"%x"`, i)
		fmt.Fprintf(&xml, `<x:component/>`)
	}
	cdx.WriteString("]}")
	osv.WriteString("]}]}]}")
	xml.WriteString("</components></bom>")
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"cdx.json", cdx.Bytes(), "the file lists 250001 components and services; at most 250000 are read"},
		{"osv.json", osv.Bytes(), "the file lists 250001 vulnerabilities; at most 250000 are read"},
		{"cdx.xml", xml.Bytes(), "the file lists 250001 components and services; at most 250000 are read"},
	}
	for _, tt := range tests {
		inv, err := Read(tt.name, tt.data)
		if inv != nil || palisade.ErrorCode(err) != palisade.ETOOLARGE || palisade.ErrorMessage(err) != tt.msg {
			t.Errorf("%s: %v, %q; want ETOOLARGE %q", tt.name, inv != nil, err, tt.msg)
		}
	}
}

// TestListsCapped checks that a crafted advisory with thousands of aliases
// or fixed versions costs at most maxListed per finding.
func TestListsCapped(t *testing.T) {
	var aliases, fixed []string
	for i := range 1000 {
		aliases = append(aliases, fmt.Sprintf("%q", fmt.Sprintf("ALIAS-%04d", i)))
		fixed = append(fixed, fmt.Sprintf("1.%d", i))
	}
	osv := fmt.Sprintf(`{"results":[{"packages":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"vulnerabilities":["V-1","V-2"],
		"groups":[{"ids":["V-1","V-2"],"aliases":[%s],"max_severity":"9.8"}]}]}]}`, strings.Join(aliases, ","))
	trivy := fmt.Sprintf(`{"SchemaVersion":2,"Results":[{"Type":"npm","Vulnerabilities":[{"VulnerabilityID":"V-1","PkgName":"a","InstalledVersion":"1","FixedVersion":%q,"VendorIDs":[%s]}]}]}`,
		strings.Join(fixed, ", "), strings.Join(aliases, ","))
	for name, data := range map[string]string{"osv.json": osv, "trivy.json": trivy} {
		inv, err := Read(name, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range inv.Findings {
			if len(f.Aliases) < maxListed-2 || len(f.Aliases) > maxListed || len(f.Fixed) > maxListed {
				t.Errorf("%s: %s has %d aliases and %d fixed", name, f.ID, len(f.Aliases), len(f.Fixed))
			}
			if !slices.IsSorted(f.Aliases) {
				t.Errorf("%s: aliases not sorted", name)
			}
		}
		if name == "trivy.json" && (len(inv.Findings[0].Fixed) != maxListed || inv.Findings[0].Fixed[0] != "1.0") {
			t.Errorf("fixed %q", inv.Findings[0].Fixed)
		}
	}
}
