package osv

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The oracle: osv-scanner v2.2.4, run offline against exactly the records
// of ../shared/corpora/osv-advisories, reported for every component of six
// CycloneDX SBOMs the advisory ids that affect it. Palisade must report
// the same set for every purl, except where osv-scanner is wrong; each
// such difference is listed below with its cause, and the test checks
// that the cause really applies, so the list cannot hide a bug of ours.

// exceptionKind is why osv-scanner misses an advisory Palisade reports.
type exceptionKind int

const (
	// goPathCase: osv-scanner reads SBOM purls with packageurl-go, which
	// lowercases golang namespaces and names, and then compares names
	// case-sensitively; Go module paths are case-sensitive and the Go
	// vulnerability database spells them as the module does
	// ("github.com/Tencent/WeKnora"), so osv-scanner never finds any
	// advisory for a module with a capital letter. Palisade keeps the
	// purl's spelling and compares Go paths case-insensitively.
	goPathCase exceptionKind = iota + 1
	// gitRangeFirst: osv-scanner's rangeAffectsVersion returns false at
	// the first range that is neither SEMVER nor ECOSYSTEM instead of
	// skipping it, so when an affected entry lists a GIT range before its
	// ECOSYSTEM range (as most PyPA records do) only the versions list is
	// consulted. The component's version is inside the ECOSYSTEM range but
	// not in the list (it is not a published release, or the list was
	// enumerated before it); the OSV schema says a version is affected if
	// it lies within any range or is listed.
	gitRangeFirst
)

// oracleExceptions are the advisories Palisade reports for a purl and
// osv-scanner does not. Palisade never misses one osv-scanner reports.
var oracleExceptions = []struct {
	purl string
	kind exceptionKind
	ids  []string
}{
	{"pkg:golang/github.com/OliveTin/OliveTin@v0.0.0-20260708084548-995ff79736f3", goPathCase, strings.Fields(`GO-2025-3886 GO-2026-4547 GO-2026-4586 GO-2026-4623 GO-2026-4683 GO-2026-4687 GO-2026-6144`)},
	{"pkg:golang/github.com/SpectoLabs/hoverfly@v1.12.8", goPathCase, strings.Fields(`GO-2025-3944`)},
	{"pkg:golang/github.com/Tencent/WeKnora@v0.2.11", goPathCase, strings.Fields(`GO-2026-4628 GO-2026-4637 GO-2026-4638 GO-2026-4640 GO-2026-4641 GO-2026-4642 GO-2026-4643`)},
	{"pkg:pypi/salt@2015.6", gitRangeFirst, strings.Fields(`PYSEC-2017-36 PYSEC-2017-37`)},
	{"pkg:golang/github.com/1Panel-dev/1Panel@v1.10.1-lts", goPathCase, strings.Fields(`GO-2024-2734 GO-2024-2830 GO-2024-2990 GO-2024-2992 GO-2025-4207 GO-2025-4209 GO-2025-4229 GO-2025-4230
		GO-2025-4231`)},
	{"pkg:golang/github.com/SpectoLabs/hoverfly@v1.10.2", goPathCase, strings.Fields(`GO-2024-3108 GO-2025-3944 GO-2025-3945 GO-2026-5975 GO-2026-5977`)},
	{"pkg:golang/github.com/CosmWasm/wasmvm/v2@v2.0.0", goPathCase, strings.Fields(`GO-2025-3448 GO-2025-3449`)},
	{"pkg:golang/github.com/KubeOperator/kubepi@v1.6.3", goPathCase, strings.Fields(`GO-2023-1463 GO-2023-1468 GO-2023-1956 GO-2023-1957`)},
	{"pkg:golang/github.com/cloudreve/Cloudreve/v4@v4.0.0-20260606015557-ed20843dc3df", goPathCase, strings.Fields(`GO-2026-6023 GO-2026-6097 GO-2026-6098 GO-2026-6100 GO-2026-6101 GO-2026-6102 GO-2026-6104 GO-2026-6106`)},
	{"pkg:golang/github.com/IceWhaleTech/CasaOS-UserService@v0.4.4-3-alpha0", goPathCase, strings.Fields(`GO-2024-2616 GO-2024-2668`)},
	{"pkg:pypi/tensorflow-cpu@2.0.0", gitRangeFirst, strings.Fields(`PYSEC-2020-270 PYSEC-2020-271 PYSEC-2020-272 PYSEC-2020-273 PYSEC-2020-274 PYSEC-2020-275 PYSEC-2020-276 PYSEC-2020-277
		PYSEC-2020-278 PYSEC-2020-279 PYSEC-2020-280 PYSEC-2020-281 PYSEC-2020-282 PYSEC-2020-283 PYSEC-2020-284 PYSEC-2020-285
		PYSEC-2020-286 PYSEC-2020-287 PYSEC-2020-288 PYSEC-2020-289 PYSEC-2020-290 PYSEC-2020-291 PYSEC-2020-295 PYSEC-2020-297
		PYSEC-2020-298 PYSEC-2020-299 PYSEC-2020-301 PYSEC-2020-302 PYSEC-2020-303 PYSEC-2021-441 PYSEC-2021-442 PYSEC-2021-443
		PYSEC-2021-444 PYSEC-2021-445 PYSEC-2021-446 PYSEC-2021-447 PYSEC-2021-448 PYSEC-2021-450 PYSEC-2021-451 PYSEC-2021-452
		PYSEC-2021-453 PYSEC-2021-454 PYSEC-2021-455 PYSEC-2021-456 PYSEC-2021-457 PYSEC-2021-458 PYSEC-2021-459 PYSEC-2021-460
		PYSEC-2021-461 PYSEC-2021-462 PYSEC-2021-463 PYSEC-2021-464 PYSEC-2021-465 PYSEC-2021-466 PYSEC-2021-467 PYSEC-2021-468
		PYSEC-2021-469 PYSEC-2021-470 PYSEC-2021-471 PYSEC-2021-472 PYSEC-2021-473 PYSEC-2021-474 PYSEC-2021-475 PYSEC-2021-476
		PYSEC-2021-477 PYSEC-2021-478 PYSEC-2021-479 PYSEC-2021-480 PYSEC-2021-481 PYSEC-2021-482 PYSEC-2021-483 PYSEC-2021-484
		PYSEC-2021-485 PYSEC-2021-486 PYSEC-2021-487 PYSEC-2021-488 PYSEC-2021-489 PYSEC-2021-490 PYSEC-2021-491 PYSEC-2021-492
		PYSEC-2021-493 PYSEC-2021-494 PYSEC-2021-495 PYSEC-2021-496 PYSEC-2021-497 PYSEC-2021-498 PYSEC-2021-499 PYSEC-2021-500
		PYSEC-2021-501 PYSEC-2021-502 PYSEC-2021-503 PYSEC-2021-504 PYSEC-2021-505 PYSEC-2021-506 PYSEC-2021-507 PYSEC-2021-508
		PYSEC-2021-509 PYSEC-2021-510 PYSEC-2021-511 PYSEC-2021-512 PYSEC-2021-513 PYSEC-2021-514 PYSEC-2021-515 PYSEC-2021-516
		PYSEC-2021-517 PYSEC-2021-518 PYSEC-2021-519 PYSEC-2021-520 PYSEC-2021-521 PYSEC-2021-522 PYSEC-2021-523 PYSEC-2021-524
		PYSEC-2021-525 PYSEC-2021-526 PYSEC-2021-527 PYSEC-2021-528 PYSEC-2021-529 PYSEC-2021-530 PYSEC-2021-531 PYSEC-2021-532
		PYSEC-2021-533 PYSEC-2021-534 PYSEC-2021-535 PYSEC-2021-536 PYSEC-2021-537 PYSEC-2021-538 PYSEC-2021-539 PYSEC-2021-540
		PYSEC-2021-541 PYSEC-2021-542 PYSEC-2021-543 PYSEC-2021-544 PYSEC-2021-545 PYSEC-2021-546 PYSEC-2021-547 PYSEC-2021-606
		PYSEC-2021-607 PYSEC-2021-608 PYSEC-2021-609 PYSEC-2021-610 PYSEC-2021-611 PYSEC-2021-612 PYSEC-2021-613 PYSEC-2021-614
		PYSEC-2021-615 PYSEC-2021-616 PYSEC-2021-617 PYSEC-2021-618 PYSEC-2021-619 PYSEC-2021-621 PYSEC-2021-622 PYSEC-2021-623
		PYSEC-2021-624 PYSEC-2021-625 PYSEC-2021-626 PYSEC-2021-627 PYSEC-2021-628 PYSEC-2021-630 PYSEC-2021-631 PYSEC-2021-632
		PYSEC-2021-633 PYSEC-2021-634 PYSEC-2021-635 PYSEC-2021-636 PYSEC-2021-637 PYSEC-2021-844 PYSEC-2021-845 PYSEC-2022-100
		PYSEC-2022-103 PYSEC-2022-49 PYSEC-2022-50 PYSEC-2022-51 PYSEC-2022-52 PYSEC-2022-53 PYSEC-2022-54 PYSEC-2022-55
		PYSEC-2022-56 PYSEC-2022-57 PYSEC-2022-58 PYSEC-2022-59 PYSEC-2022-60 PYSEC-2022-61 PYSEC-2022-62 PYSEC-2022-63
		PYSEC-2022-64 PYSEC-2022-65 PYSEC-2022-66 PYSEC-2022-67 PYSEC-2022-68 PYSEC-2022-69 PYSEC-2022-70 PYSEC-2022-71
		PYSEC-2022-73 PYSEC-2022-74 PYSEC-2022-75 PYSEC-2022-76 PYSEC-2022-77 PYSEC-2022-79 PYSEC-2022-80 PYSEC-2022-81
		PYSEC-2022-82 PYSEC-2022-83 PYSEC-2022-84 PYSEC-2022-85 PYSEC-2022-86 PYSEC-2022-87 PYSEC-2022-88 PYSEC-2022-89
		PYSEC-2022-90 PYSEC-2022-91 PYSEC-2022-92 PYSEC-2022-93 PYSEC-2022-94 PYSEC-2022-95 PYSEC-2022-96 PYSEC-2022-97
		PYSEC-2022-98 PYSEC-2022-99`)},
	{"pkg:golang/github.com/OliveTin/OliveTin@v0.0.0-20260309102040-b03af0e2eca2", goPathCase, strings.Fields(`GO-2025-3886 GO-2026-4547 GO-2026-4586 GO-2026-4623 GO-2026-4670 GO-2026-4683 GO-2026-4687 GO-2026-5216
		GO-2026-5347 GO-2026-5552 GO-2026-6144 GO-2026-6145 GO-2026-6146`)},
}

type oracleCase struct {
	name     string
	purls    []string            // from the SBOM, in its order
	expected map[string][]string // purl -> sorted advisory ids
}

// readOracleCase reads <base>.cdx.json and <base>.expected.json. The SBOM
// is read for its purls only; the real readers live in vuln/sbom.
func readOracleCase(t *testing.T, base string) oracleCase {
	t.Helper()
	var bom struct {
		Components []struct {
			Purl string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(readFile(t, base+".cdx.json"), &bom); err != nil {
		t.Fatalf("%s.cdx.json: %v", base, err)
	}
	c := oracleCase{name: filepath.Base(base)}
	for _, comp := range bom.Components {
		c.purls = append(c.purls, comp.Purl)
	}
	if err := json.Unmarshal(readFile(t, base+".expected.json"), &c.expected); err != nil {
		t.Fatalf("%s.expected.json: %v", base, err)
	}
	if len(c.purls) != len(c.expected) {
		t.Fatalf("%s: %d components but %d expected purls", base, len(c.purls), len(c.expected))
	}
	return c
}

// runOracle matches every purl of the cases and compares with osv-scanner
// plus the exceptions; records maps ids to the records imported, to check
// each exception's cause. It returns how many purls matched exactly and
// how many only through exceptions.
func runOracle(t *testing.T, ix *Index, records map[string]*Record, cases []oracleCase) (exact, excepted int) {
	t.Helper()
	used := map[string]bool{}
	for _, c := range cases {
		for _, purl := range c.purls {
			want, ok := c.expected[purl]
			if !ok {
				t.Errorf("%s: %s has no expected result", c.name, purl)
				continue
			}
			pkg, version, err := FromPurl(purl)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			matches, err := ix.MatchChecked(pkg, version)
			if err != nil {
				t.Errorf("%s: %s: %v", c.name, purl, err)
			}
			var got []string
			for _, m := range matches {
				got = append(got, m.ID)
			}
			want = slices.Clone(want)
			for _, ex := range oracleExceptions {
				if ex.purl != purl {
					continue
				}
				for _, id := range ex.ids {
					if _, imported := records[id]; !imported {
						continue // the mini case holds a subset of the records
					}
					used[purl+" "+id] = true
					checkException(t, records[id], pkg, version, ex.kind)
					want = append(want, id)
				}
			}
			slices.Sort(want)
			switch {
			case !slices.Equal(got, want):
				t.Errorf("%s: %s:\n got  %v\n want %v", c.name, purl, got, want)
			case len(want) != len(c.expected[purl]):
				excepted++
			default:
				exact++
			}
		}
	}
	for _, ex := range oracleExceptions {
		for _, id := range ex.ids {
			if _, imported := records[id]; imported && !used[ex.purl+" "+id] && caseHas(cases, ex.purl) {
				t.Errorf("exception %s %s was not needed", ex.purl, id)
			}
		}
	}
	return exact, excepted
}

func caseHas(cases []oracleCase, purl string) bool {
	for _, c := range cases {
		if _, ok := c.expected[purl]; ok {
			return true
		}
	}
	return false
}

// checkException verifies the stated cause of one exception on the record.
func checkException(t *testing.T, r *Record, pkg Package, version string, kind exceptionKind) {
	t.Helper()
	switch kind {
	case goPathCase:
		if pkg.Name == strings.ToLower(pkg.Name) {
			t.Errorf("%s: goPathCase for %s, which has no capital letter", r.ID, pkg.Name)
		}
		for _, a := range r.Affected {
			if a.Package.Ecosystem == "Go" && strings.ToLower(a.Package.Name) == a.Package.Name && strings.EqualFold(a.Package.Name, pkg.Name) {
				t.Errorf("%s: names %s in lower case; osv-scanner would have found it", r.ID, a.Package.Name)
			}
		}
	case gitRangeFirst:
		// Evaluate the entry as osv-scanner does: versions list, then the
		// ranges before the first GIT range. It must miss, and the ranges
		// after it must hit.
		for _, a := range r.Affected {
			if NormalizeName(a.Package.Ecosystem, a.Package.Name) != NormalizeName(pkg.Ecosystem, pkg.Name) {
				continue
			}
			if slices.Contains(a.Versions, version) {
				t.Errorf("%s: %s is in the versions list; osv-scanner would have found it", r.ID, version)
			}
			git := slices.IndexFunc(a.Ranges, func(rg Range) bool { return rg.Type == RangeGit })
			if git < 0 {
				t.Errorf("%s: no GIT range", r.ID)
				continue
			}
			if inRanges(t, r.ID, a, a.Ranges[:git], pkg, version) {
				t.Errorf("%s: a range before the GIT range contains %s; osv-scanner would have found it", r.ID, version)
			}
			if !inRanges(t, r.ID, a, a.Ranges[git:], pkg, version) {
				t.Errorf("%s: no range after the GIT range contains %s", r.ID, version)
			}
		}
	default:
		t.Errorf("%s: unknown exception kind %d", r.ID, kind)
	}
}

// inRanges reports whether version is inside one of ranges of entry a.
func inRanges(t *testing.T, id string, a Affected, ranges []Range, pkg Package, version string) bool {
	t.Helper()
	a.Ranges, a.Versions = ranges, nil
	ix := NewIndex()
	if err := ix.Add(&Record{ID: id, Affected: []Affected{a}}); err != nil {
		t.Fatal(err)
	}
	return len(ix.Match(pkg, version)) > 0
}

// TestOracleOSVScanner runs the six full cases against the full snapshot.
func TestOracleOSVScanner(t *testing.T) {
	advisories := sharedCorpus(t, "osv-advisories")
	oracle := sharedCorpus(t, "oracle-osv-scanner")
	ix := NewIndex()
	records := map[string]*Record{}
	for _, eco := range []string{"Go", "PyPI"} {
		st, err := Import(context.Background(), filepath.Join(advisories, eco, "all.zip"), func(r *Record) error {
			records[r.ID] = r
			return ix.Add(r)
		})
		if err != nil || st.Skipped != 0 {
			t.Fatalf("import %s: %+v, %v", eco, st, err)
		}
	}
	bases, err := filepath.Glob(filepath.Join(oracle, "*.cdx.json"))
	if err != nil || len(bases) != 6 {
		t.Fatalf("cases: %v, %v", bases, err)
	}
	var cases []oracleCase
	purls := 0
	for _, b := range bases {
		c := readOracleCase(t, strings.TrimSuffix(b, ".cdx.json"))
		cases = append(cases, c)
		purls += len(c.purls)
	}
	exact, excepted := runOracle(t, ix, records, cases)
	t.Logf("%d purls in %d cases: %d exactly as osv-scanner, %d differ only by documented exceptions", purls, len(cases), exact, excepted)
}

// TestOracleMini runs the offline cut of case-1-00 in testdata/oracle.
func TestOracleMini(t *testing.T) {
	ix := NewIndex()
	records := map[string]*Record{}
	st, err := Import(context.Background(), filepath.Join("testdata", "oracle", "records"), func(r *Record) error {
		records[r.ID] = r
		return ix.Add(r)
	})
	if err != nil || st.Skipped != 0 || st.Imported != 75 {
		t.Fatalf("import: %+v, %v", st, err)
	}
	c := readOracleCase(t, filepath.Join("testdata", "oracle", "mini"))
	exact, excepted := runOracle(t, ix, records, []oracleCase{c})
	if exact+excepted != 16 || excepted != 2 {
		t.Errorf("%d exact, %d by exception; want 14 and 2", exact, excepted)
	}
}
