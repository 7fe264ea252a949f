package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"

	"github.com/palisade-project/palisade"
)

func readFile(t *testing.T, name string) []Statement {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Read(name, data)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return st
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestReadOpenVEX(t *testing.T) {
	spring := "Spring Boot users are only affected by this vulnerability if they have switched the default logging system to Log4J2. The log4j-to-slf4j and log4j-api jars that we include in spring-boot-starter-logging cannot be exploited on their own. Only applications using log4j-core and including user input in log messages are vulnerable."
	alpine := "pkg:oci/alpine@sha256%3A124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"
	alpineSubs := []string{"pkg:apk/alpine/libssl3@3.0.8-r3", "pkg:apk/alpine/libcrypto3@3.0.8-r3"}
	tests := []struct {
		file string
		want []Statement
	}{
		{"openvex-minimal.json", []Statement{{
			Vulnerability: "CVE-2023-12345",
			Products:      []string{"pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
			State:         StateResolved,
			Timestamp:     ts("2023-01-08T18:02:03.647787998-06:00"),
			Source:        FormatOpenVEX, Position: "openvex-minimal.json: statements[0]",
		}}},
		{"openvex-spring.json", []Statement{{
			Vulnerability: "CVE-2021-44228",
			Aliases:       []string{"GHSA-jfh8-c2jp-5v3q"},
			Products:      []string{"pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"},
			State:         StateNotAffected,
			Justification: "code_not_reachable",
			Detail:        spring,
			Timestamp:     ts("2023-01-16T19:07:16.853479631-06:00"),
			Source:        FormatOpenVEX, Position: "openvex-spring.json: statements[0]",
		}}},
		{"openvex-inheritance.json", []Statement{{
			Vulnerability: "CVE-2023-12345",
			Products:      []string{"pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
			State:         StateInTriage,
			Timestamp:     ts("2023-01-08T18:02:03-06:00"),
			Source:        FormatOpenVEX, Position: "openvex-inheritance.json: statements[0]",
		}, {
			Vulnerability: "CVE-2023-12345",
			Products:      []string{"pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
			State:         StateResolved,
			Timestamp:     ts("2023-01-09T09:08:42-06:00"), // inherited from the document
			Source:        FormatOpenVEX, Position: "openvex-inheritance.json: statements[1]",
		}}},
		{"openvex-v0.0.1.json", []Statement{{
			Vulnerability: "CVE-2023-12345",
			Products:      []string{"pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
			State:         StateResolved,
			Timestamp:     ts("2023-01-08T18:02:03.647787998-06:00"),
			Source:        FormatOpenVEX, Position: "openvex-v0.0.1.json: statements[0]",
		}}},
		{"openvex-subcomponents.json", func() []Statement {
			var out []Statement
			for i, id := range []string{"CVE-2023-1255", "CVE-2023-2650", "CVE-2023-2975", "CVE-2023-3446", "CVE-2023-3817"} {
				s := Statement{
					Vulnerability: id, Products: []string{alpine}, Subcomponents: alpineSubs, State: StateResolved,
					Timestamp: ts("2023-07-17T18:28:47.696004345-06:00"),
					Source:    FormatOpenVEX, Position: fmt.Sprintf("openvex-subcomponents.json: statements[%d]", i),
				}
				if i >= 3 {
					s.State, s.Justification, s.Detail = StateNotAffected, "code_not_present", "affected functions were removed before packaging"
				}
				out = append(out, s)
			}
			return out
		}()},
		{"openvex-mixed.json", []Statement{{
			Vulnerability:   "GHSA-jfh8-c2jp-5v3q",
			Aliases:         []string{"CVE-2021-44228"},
			Products:        []string{"pkg:oci/shop@sha256%3Aabc", "pkg:oci/cart@sha256%3Adef"},
			Subcomponents:   []string{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
			State:           StateExploitable,
			ActionStatement: "Upgrade log4j-core to 2.17.1",
			Detail:          "Reachable from the search endpoint",
			Timestamp:       ts("2024-05-01T10:00:00Z"),
			Source:          FormatOpenVEX, Position: "openvex-mixed.json: statements[0]",
		}, {
			Vulnerability:   "GHSA-jfh8-c2jp-5v3q",
			Aliases:         []string{"CVE-2021-44228"},
			Products:        []string{"pkg:oci/search@sha256%3A123"},
			State:           StateExploitable,
			ActionStatement: "Upgrade log4j-core to 2.17.1",
			Detail:          "Reachable from the search endpoint",
			Timestamp:       ts("2024-05-01T10:00:00Z"),
			Source:          FormatOpenVEX, Position: "openvex-mixed.json: statements[0]",
		}, {
			Vulnerability: "GO-2023-1571",
			Products:      []string{"pkg:golang/golang.org/x/net@v0.5.0"},
			State:         StateNotAffected,
			Justification: "protected_by_mitigating_control",
			Timestamp:     ts("2024-04-01T08:30:00.5Z"),
			Source:        FormatOpenVEX, Position: "openvex-mixed.json: statements[1]",
		}, {
			Vulnerability: "CVE-2023-0001",
			Products:      []string{"https://example.com/products/gateway"},
			State:         StateNotAffected,
			Detail:        "The gateway never parses the affected header.",
			Timestamp:     ts("2024-05-01T10:00:00Z"),
			Source:        FormatOpenVEX, Position: "openvex-mixed.json: statements[2]",
		}, {
			Vulnerability: "CVE-2023-0002",
			Products:      []string{"pkg:npm/left-pad@1.3.0"},
			State:         StateExploitable,
			Timestamp:     ts("2024-05-01T10:00:00Z"),
			Source:        FormatOpenVEX, Position: "openvex-mixed.json: statements[3]",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := readFile(t, tt.file)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestReadCycloneDX(t *testing.T) {
	reachable := "Automated dataflow analysis and manual code review indicates that the vulnerable code is not reachable, either directly or indirectly."
	case5 := []Statement{{
		Vulnerability: "CVE-2020-25649",
		Products:      []string{"acme-product"},
		Versions:      []ProductVersion{{Ref: "acme-product", Range: "vers:semver/<7.0.0|>=1.5.0", Status: "affected"}},
		State:         StateExploitable,
		Timestamp:     ts("2022-01-13T00:00:00Z"), // metadata.timestamp
		Source:        FormatCycloneDX,
	}, {
		Vulnerability: "CVE-2020-25649",
		Products:      []string{"acme-product"},
		Versions:      []ProductVersion{{Ref: "acme-product", Range: "vers:semver/<1.5.0|>=7.0.0", Status: "unaffected"}},
		State:         StateNotAffected,
		Justification: "code_not_reachable",
		Response:      []string{"will_not_fix", "update"},
		Detail:        reachable,
		Timestamp:     ts("2022-01-13T00:00:00Z"),
		Source:        FormatCycloneDX,
	}}
	withPos := func(file string, st []Statement) []Statement {
		out := slices.Clone(st)
		for i := range out {
			out[i].Position = fmt.Sprintf("%s: vulnerabilities[%d]", file, i)
		}
		return out
	}
	tests := []struct {
		file string
		want []Statement
	}{
		{"cyclonedx-vex.json", []Statement{{
			Vulnerability: "CVE-2020-25649",
			Aliases:       []string{"SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"},
			// A BOM-Link whose fragment is a purl resolves to the purl.
			Products:      []string{"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"},
			State:         StateNotAffected,
			Justification: "code_not_reachable",
			Response:      []string{"will_not_fix", "update"},
			Detail:        reachable,
			Source:        FormatCycloneDX, Position: "cyclonedx-vex.json: vulnerabilities[0]",
		}}},
		{"cyclonedx-case5.json", withPos("cyclonedx-case5.json", case5)},
		{"cyclonedx-case5.xml", withPos("cyclonedx-case5.xml", case5)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := readFile(t, tt.file)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
}

// TestReadCycloneDXNesting checks what WriteCycloneDX relies on:
// components nested in a product are subcomponents, in-document bom-refs
// resolve to purls, and a ref's groups split by parent.
func TestReadCycloneDXNesting(t *testing.T) {
	doc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
	"components":[{"type":"container","name":"shop","bom-ref":"shop","components":[
	  {"type":"library","name":"log4j-core","bom-ref":"ref-1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]},
	  {"type":"library","name":"left-pad","bom-ref":"lp","purl":"pkg:npm/left-pad@1.3.0"}],
	"services":[{"name":"billing","bom-ref":"svc-billing"}],
	"vulnerabilities":[
	  {"id":"CVE-2021-44228","analysis":{"state":"resolved_with_pedigree","lastUpdated":"2024-01-02T03:04:05Z"},
	   "affects":[{"ref":"ref-1"},{"ref":"lp","versions":[{"version":"1.3.0"}]},{"ref":"svc-billing"},{"ref":"unknown-ref"}]},
	  {"id":"CVE-2000-0001","description":"no analysis: vulnerability data, not a statement"}]}`
	got, err := Read("nested.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{{
		Vulnerability: "CVE-2021-44228",
		Products:      []string{"shop"},
		Subcomponents: []string{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		State:         StateResolved,
		Timestamp:     ts("2024-01-02T03:04:05Z"),
		Source:        FormatCycloneDX, Position: "nested.json: vulnerabilities[0]",
	}, {
		Vulnerability: "CVE-2021-44228",
		Products:      []string{"pkg:npm/left-pad@1.3.0", "svc-billing", "unknown-ref"},
		Versions:      []ProductVersion{{Ref: "pkg:npm/left-pad@1.3.0", Version: "1.3.0", Status: "affected"}},
		State:         StateResolved,
		Timestamp:     ts("2024-01-02T03:04:05Z"),
		Source:        FormatCycloneDX, Position: "nested.json: vulnerabilities[0]",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestReadErrors(t *testing.T) {
	ov := func(statements string) string {
		return `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[` + statements + `]}`
	}
	good := `{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"fixed"}`
	cdx := func(vulns string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"vulnerabilities":[` + vulns + `]}`
	}
	tests := []struct {
		name, file, data string
		code, want       string
	}{
		{"brief example", "vex.json", ov(good + "," + good + "," + good + `,{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"maybe"}`),
			palisade.EINVALID, `vex.json: statements[3].status: unknown status "maybe"`},
		{"not_affected without reason", "vex.json", ov(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"not_affected"}`),
			palisade.EINVALID, "vex.json: statements[0].justification: status not_affected needs a justification or an impact_statement"},
		{"unknown justification", "vex.json", ov(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"not_affected","justification":"trust_me"}`),
			palisade.EINVALID, `statements[0].justification: unknown justification "trust_me"`},
		{"no status", "vex.json", ov(`{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}]}`),
			palisade.EINVALID, "statements[0].status: status is required"},
		{"no vulnerability", "vex.json", ov(`{"products":[{"@id":"p"}],"status":"fixed"}`),
			palisade.EINVALID, "statements[0].vulnerability: vulnerability is required"},
		{"empty vulnerability name", "vex.json", ov(`{"vulnerability":{"name":" "},"products":[{"@id":"p"}],"status":"fixed"}`),
			palisade.EINVALID, "statements[0].vulnerability.name: a vulnerability name is required"},
		{"no products", "vex.json", ov(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`),
			palisade.EINVALID, "statements[0].products: the statement names no product"},
		{"product without id", "vex.json", ov(`{"vulnerability":{"name":"CVE-1"},"products":[{"hashes":{"sha-256":"ab"}}],"status":"fixed"}`),
			palisade.EINVALID, "statements[0].products[0]: the product has no @id"},
		{"several problems", "vex.json", ov(good + `,{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"maybe"},{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"p"}],"status":"perhaps"}`),
			palisade.EINVALID, `vex.json: statements[1].status: unknown status "maybe" (want one of not_affected, affected, fixed, under_investigation) (and 1 more)`},
		{"json syntax", "vex.json", "{\n  \"@context\": \"https://openvex.dev/ns\",\n  \"statements\": [,]\n}",
			palisade.EINVALID, "vex.json:3:18: invalid character ','"},
		{"json type", "vex.json", "{\"@context\":\"https://openvex.dev/ns\",\n\"statements\":[{\"status\":7}]}",
			palisade.EINVALID, "vex.json:2:25: statements.status: cannot use a JSON number"},
		{"unknown format", "x.json", `{"csaf_version":"2.0"}`, palisade.EINVALID, "x.json: not a VEX document: neither OpenVEX"},
		{"not json", "x.txt", "hello", palisade.EINVALID, "x.txt: not a VEX document"},
		{"empty", "x.json", " \n", palisade.EINVALID, "x.json: empty file"},
		{"xml not cyclonedx", "x.xml", `<svg xmlns="http://www.w3.org/2000/svg"></svg>`, palisade.EINVALID, "x.xml: XML: expected element type <bom> but have <svg>"},
		{"xml syntax", "x.xml", "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<vulnerabilities>\n</bom>", palisade.EINVALID, "x.xml: XML: XML syntax error on line 3"},
		{"sbom", "bom.json", `{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[]}`, palisade.EINVALID, "bom.json: not a VEX document: a CycloneDX BOM without vulnerabilities"},
		{"vdr", "vdr.json", cdx(`{"id":"CVE-1","affects":[{"ref":"p"}]}`), palisade.EINVALID, "no vulnerability has an analysis.state"},
		{"cdx state", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"maybe"},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vex.json: vulnerabilities[0].analysis.state: unknown state "maybe"`},
		{"cdx justification", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"not_affected","justification":"trust_me"},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vex.json: vulnerabilities[0].analysis.justification: unknown justification "trust_me"`},
		{"cdx justification on exploitable", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable","justification":"code_not_present"},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vulnerabilities[0].analysis.justification: a justification belongs only to state not_affected`},
		{"cdx response", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable","response":["pray"]},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vulnerabilities[0].analysis.response[0]: unknown response "pray"`},
		{"cdx no id", "vex.json", cdx(`{"id":"","analysis":{"state":"exploitable"},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vulnerabilities[0].id: a vulnerability id is required`},
		{"cdx no affects", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable"}}`),
			palisade.EINVALID, "vex.json: vulnerabilities[0].affects: names no affected component"},
		{"cdx version status", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable"},"affects":[{"ref":"p","versions":[{"version":"1","status":"maybe"}]}]}`),
			palisade.EINVALID, `vulnerabilities[0].affects[0].versions[0].status: unknown status "maybe"`},
		{"cdx version and range", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable"},"affects":[{"ref":"p","versions":[{"version":"1","range":"vers:generic/>1"}]}]}`),
			palisade.EINVALID, `vulnerabilities[0].affects[0].versions[0]: give exactly one of version and range`},
		{"cdx timestamp", "vex.json", cdx(`{"id":"CVE-1","analysis":{"state":"exploitable","lastUpdated":"yesterday"},"affects":[{"ref":"p"}]}`),
			palisade.EINVALID, `vulnerabilities[0].analysis.lastUpdated: "yesterday" is not an RFC 3339 date-time`},
		{"cdx spec version", "vex.json", `{"bomFormat":"CycloneDX","specVersion":"9.9","vulnerabilities":[]}`, palisade.EINVALID, "vex.json: specVersion: unknown CycloneDX spec version"},
		{"too large", "big.json", "{" + strings.Repeat(" ", MaxFileSize) + "}", palisade.ETOOLARGE, "big.json: file is 16777218 bytes; the limit is 16777216"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Read(tt.file, []byte(tt.data))
			if err == nil {
				t.Fatalf("no error; statements %s", dump(st))
			}
			if got := palisade.ErrorCode(err); got != tt.code {
				t.Errorf("code %q, want %q (%v)", got, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%s\ndoes not contain\n%s", err, tt.want)
			}
		})
	}
}

func TestReadByteOrderMark(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "openvex-minimal.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Read("bom.json", append([]byte("\xef\xbb\xbf"), data...))
	if err != nil || len(st) != 1 {
		t.Fatalf("got %d statements, %v", len(st), err)
	}
}

func TestReadEmptyVulnerabilities(t *testing.T) {
	// An explicit empty list is a VEX with nothing to say, not an SBOM.
	st, err := Read("vex.json", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"vulnerabilities":[]}`))
	if err != nil || len(st) != 0 {
		t.Fatalf("got %d statements, %v", len(st), err)
	}
	st, err = Read("vex.json", []byte(`{"@context":["https://openvex.dev/ns/v0.2.0"],"@id":"x","statements":[]}`))
	if err != nil || len(st) != 0 {
		t.Fatalf("OpenVEX with a context list: got %d statements, %v", len(st), err)
	}
}

// testdataFiles lists the VEX documents in testdata that Read accepts.
func testdataFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"openvex-*.json", "cyclonedx-*.json", "cyclonedx-*.xml"} {
		m, err := filepath.Glob(filepath.Join("testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.Contains(f, "no-affects") {
				files = append(files, filepath.Base(f))
			}
		}
	}
	return files
}

func TestRoundTrip(t *testing.T) {
	for _, file := range testdataFiles(t) {
		t.Run(file, func(t *testing.T) {
			st := readFile(t, file)
			checkRoundTrip(t, file, st)
		})
	}
}

var testDoc = DocMeta{
	ID:        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
	Author:    "Palisade tests",
	Timestamp: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
	Version:   2,
	Tooling:   "palisade",
}

// checkRoundTrip writes st in both formats and reads it back. CycloneDX
// carries everything a Statement holds. OpenVEX carries everything but
// Response and Versions (a statement with Versions is refused), and
// false_positive comes back as not_affected; the comparison allows for
// exactly that, and for the justifications that map many-to-one.
//
// Both formats let a statement without a timestamp inherit the document's,
// so a zero Timestamp comes back as DocMeta.Timestamp.
func checkRoundTrip(t *testing.T, name string, st []Statement) {
	t.Helper()
	var inherited []Statement
	for _, s := range st {
		if s.Timestamp.IsZero() {
			s.Timestamp = testDoc.Timestamp
		}
		inherited = append(inherited, s)
	}
	var buf bytes.Buffer
	if err := WriteCycloneDX(&buf, testDoc, st); err != nil {
		t.Fatalf("WriteCycloneDX: %v", err)
	}
	back, err := Read("out.cdx.json", buf.Bytes())
	if err != nil {
		t.Fatalf("reading WriteCycloneDX's output: %v\n%s", err, buf.Bytes())
	}
	if diff := compare(inherited, back); diff != "" {
		t.Errorf("%s: CycloneDX round trip: %s\n%s", name, diff, buf.Bytes())
	}

	var want []Statement
	hasVersions := false
	for _, s := range inherited {
		hasVersions = hasVersions || len(s.Versions) > 0
		s.Response = nil
		if s.Justification != "" {
			// Four CycloneDX justifications share an OpenVEX one.
			s.Justification = justificationFromOpenVEX(justificationToOpenVEX(s.Justification))
		}
		if s.State == StateFalsePositive {
			s.State, s.Justification = StateNotAffected, "code_not_present"
		}
		want = append(want, s)
	}
	buf.Reset()
	doc := testDoc
	doc.ID = "https://example.com/vex/1"
	err = WriteOpenVEX(&buf, doc, st)
	if hasVersions {
		if err == nil || !strings.Contains(err.Error(), "OpenVEX cannot express version ranges") {
			t.Fatalf("WriteOpenVEX with Versions: %v, want a refusal", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("WriteOpenVEX: %v", err)
	}
	back, err = Read("out.openvex.json", buf.Bytes())
	if err != nil {
		t.Fatalf("reading WriteOpenVEX's output: %v\n%s", err, buf.Bytes())
	}
	if diff := compare(want, back); diff != "" {
		t.Errorf("%s: OpenVEX round trip: %s\n%s", name, diff, buf.Bytes())
	}
	// go-vex must accept what we write, statement by statement.
	parsed, err := govex.Parse(buf.Bytes())
	if err != nil {
		t.Fatalf("go-vex cannot parse the output: %v", err)
	}
	for i, s := range parsed.Statements {
		if err := s.Validate(); err != nil {
			t.Errorf("go-vex rejects statement %d: %v", i, err)
		}
	}
}

// compare reports how got differs from want, ignoring where the
// statements were read from (Source, Position) and nil versus empty.
func compare(want, got []Statement) string {
	norm := func(st []Statement) []Statement {
		out := make([]Statement, len(st))
		for i, s := range st {
			s.Source, s.Position = "", ""
			for _, p := range []*[]string{&s.Aliases, &s.Products, &s.Subcomponents, &s.Response} {
				if len(*p) == 0 {
					*p = nil
				}
			}
			if len(s.Versions) == 0 {
				s.Versions = nil
			}
			out[i] = s
		}
		return out
	}
	w, g := norm(want), norm(got)
	if len(w) != len(g) {
		return fmt.Sprintf("%d statements, want %d:\n%s", len(g), len(w), dump(g))
	}
	for i := range w {
		if !reflect.DeepEqual(w[i], g[i]) {
			return fmt.Sprintf("statement %d:\ngot  %s\nwant %s", i, dump(g[i]), dump(w[i]))
		}
	}
	return ""
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestWriteOpenVEX(t *testing.T) {
	st := []Statement{{
		Vulnerability: "CVE-2021-44228",
		Aliases:       []string{"GHSA-jfh8-c2jp-5v3q"},
		Products:      []string{"pkg:oci/shop"},
		Subcomponents: []string{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		State:         StateFalsePositive,
		Detail:        "the scanner matched log4j-api",
		Response:      []string{"will_not_fix"},
		Timestamp:     ts("2024-04-01T08:30:00.123Z"),
	}, {
		Vulnerability: "CVE-2023-0002",
		Products:      []string{"pkg:npm/left-pad@1.3.0"},
		State:         StateExploitable,
	}}
	var buf bytes.Buffer
	doc := testDoc
	doc.ID = ""
	if err := WriteOpenVEX(&buf, doc, st); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["@context"] != "https://openvex.dev/ns/v0.2.0" || got["author"] != "Palisade tests" || got["timestamp"] != "2024-05-01T10:00:00Z" || got["version"] != 2.0 {
		t.Errorf("document metadata: %s", buf.Bytes())
	}
	if id, _ := got["@id"].(string); !strings.HasPrefix(id, "https://openvex.dev/docs/public/vex-") {
		t.Errorf("derived @id %q", id)
	}
	stmts := got["statements"].([]any)
	first := stmts[0].(map[string]any)
	if first["status"] != "not_affected" || first["justification"] != "vulnerable_code_not_present" || first["impact_statement"] != "the scanner matched log4j-api" {
		t.Errorf("false_positive written as %v", first)
	}
	second := stmts[1].(map[string]any)
	if second["status"] != "affected" || second["action_statement"] != govex.NoActionStatementMsg {
		t.Errorf("exploitable written as %v", second)
	}
	// The same input gives the same document: no clock, no randomness.
	var again bytes.Buffer
	if err := WriteOpenVEX(&again, doc, st); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("second write differs (%v)", err)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: StateResolved}
	tests := []struct {
		name    string
		openvex bool
		doc     DocMeta
		st      Statement
		want    string
	}{
		{"no author", true, DocMeta{Timestamp: testDoc.Timestamp}, ok, "author: OpenVEX requires the document author"},
		{"no timestamp", true, DocMeta{Author: "a"}, ok, "timestamp: OpenVEX requires the document timestamp"},
		{"versions", true, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: StateResolved, Versions: []ProductVersion{{Ref: "p", Version: "1", Status: "affected"}}}, "statements[0].versions: OpenVEX cannot express version ranges"},
		{"not_affected without reason", true, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: StateNotAffected}, "statements[0].justification: OpenVEX needs a justification or a detail"},
		{"bad state", true, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: "fixed"}, `statements[0].state: unknown state "fixed"`},
		{"no products", false, testDoc, Statement{Vulnerability: "CVE-1", State: StateResolved}, "statements[0].products: the statement names no product"},
		{"bad serial", false, DocMeta{ID: "https://example.com/1"}, ok, "id: a CycloneDX serial number is a urn:uuid:"},
		{"action on resolved", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: StateResolved, ActionStatement: "x"}, "statements[0].action_statement: an action statement belongs only to state exploitable"},
		{"version of nothing", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, State: StateResolved, Versions: []ProductVersion{{Ref: "q", Version: "1", Status: "affected"}}}, `statements[0].versions[0]: "q" is none of the statement's products`},
		{"version of a product with subcomponents", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, Subcomponents: []string{"s"}, State: StateResolved, Versions: []ProductVersion{{Ref: "p", Version: "1", Status: "affected"}}}, `statements[0].versions[0]: "p" is none of the statement's subcomponents`},
		{"duplicate product", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p", "p"}, State: StateResolved}, `statements[0].products[1]: "p" is listed twice`},
		{"empty subcomponent", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"p"}, Subcomponents: []string{""}, State: StateResolved}, `statements[0].subcomponents[0]: empty identifier`},
		{"subcomponent of a BOM-Link", false, testDoc, Statement{Vulnerability: "CVE-1", Products: []string{"urn:cdx:abc/1#x"}, Subcomponents: []string{"pkg:npm/a@1"}, State: StateResolved}, "subcomponents of urn:cdx:abc/1#x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var err error
			if tt.openvex {
				err = WriteOpenVEX(&buf, tt.doc, []Statement{ok, tt.st}[1:])
			} else {
				err = WriteCycloneDX(&buf, tt.doc, []Statement{tt.st})
			}
			if palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want EINVALID containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestWriteCycloneDX(t *testing.T) {
	st := []Statement{{
		Vulnerability:   "GHSA-jfh8-c2jp-5v3q",
		Aliases:         []string{"CVE-2021-44228"},
		Products:        []string{"pkg:oci/shop", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		State:           StateExploitable,
		Response:        []string{"update"},
		ActionStatement: "Upgrade to 2.17.1",
	}, {
		// The same purl as a subcomponent of another product: its nested
		// component needs a bom-ref of its own.
		Vulnerability: "CVE-2021-44228",
		Products:      []string{"pkg:oci/cart"},
		Subcomponents: []string{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		State:         StateNotAffected,
		Justification: "protected_at_perimeter",
		Timestamp:     ts("2024-04-01T08:30:00.123456789Z"),
	}}
	var buf bytes.Buffer
	if err := WriteCycloneDX(&buf, testDoc, st); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"specVersion": "1.6"`,
		`"serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"`,
		`"bom-ref": "pkg:oci/cart/pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"`,
		`"recommendation": "Upgrade to 2.17.1"`,
		`"lastUpdated": "2024-04-01T08:30:00.123456789Z"`,
		`"url": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	checkRoundTrip(t, "TestWriteCycloneDX", st)
}
