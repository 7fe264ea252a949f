package sbom

import (
	"bytes"
	"fmt"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// bigBOM encodes a CycloneDX 1.5 JSON BOM of n npm library components with
// a bom-ref, a purl, a hash and a license each, as cdxgen writes them.
func bigBOM(tb testing.TB, n int) []byte {
	tb.Helper()
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{Component: &cdx.Component{Type: cdx.ComponentTypeApplication, Name: "big-service", Version: "1.0.0"}}
	var comps []cdx.Component
	for i := range n {
		c := cdx.Component{
			BOMRef:     fmt.Sprintf("pkg:npm/package-%d@1.%d.0", i, i%10),
			Type:       cdx.ComponentTypeLibrary,
			Name:       fmt.Sprintf("package-%d", i),
			Version:    fmt.Sprintf("1.%d.0", i%10),
			PackageURL: fmt.Sprintf("pkg:npm/package-%d@1.%d.0", i, i%10),
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: fmt.Sprintf("%064x", i)}},
			Licenses:   &cdx.Licenses{{License: &cdx.License{ID: "MIT"}}},
		}
		comps = append(comps, c)
	}
	bom.Components = &comps
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_5); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadCycloneDX5000 reads a 5,000-component CycloneDX JSON BOM
// (about 2 MB), sniffing included.
func BenchmarkReadCycloneDX5000(b *testing.B) {
	data := bigBOM(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		inv, err := Read("big.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Components) != 5000 {
			b.Fatalf("%d components", len(inv.Components))
		}
	}
}
