package enrich

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/internal/testenv"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestReadKEVExcerpt(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "kev-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := ReadKEV(f)
	if err != nil {
		t.Fatal(err)
	}
	if k.CatalogVersion != "2025.08.25" || len(k.Entries) != 7 {
		t.Errorf("version %q with %d entries, want 2025.08.25 with 7", k.CatalogVersion, len(k.Entries))
	}
	if want := time.Date(2025, 8, 25, 17, 4, 19, 979600000, time.UTC); !k.Released.Equal(want) {
		t.Errorf("released %v, want %v", k.Released, want)
	}
	e, ok := k.Entries["CVE-2021-44228"]
	if !ok {
		t.Fatal("Log4Shell missing")
	}
	if e.VendorProject != "Apache" || e.Product != "Log4j2" || !e.KnownRansomware ||
		!e.DateAdded.Equal(date("2021-12-10")) || !e.DueDate.Equal(date("2021-12-24")) ||
		e.Name != "Apache Log4j2 Remote Code Execution Vulnerability" ||
		!strings.HasPrefix(e.RequiredAction, "For all affected software assets") ||
		len(e.CWEs) != 3 {
		t.Errorf("Log4Shell entry: %+v", e)
	}
	if k.Entries["CVE-2025-48384"].KnownRansomware {
		t.Error("CVE-2025-48384 is \"Unknown\", not ransomware")
	}
}

func TestKEVDue(t *testing.T) {
	k := &KEV{Entries: map[string]KEVEntry{
		"CVE-2021-44228": {CVE: "CVE-2021-44228", DueDate: date("2021-12-24")},
	}}
	tests := []struct {
		name   string
		k      *KEV
		policy time.Time
		ids    []string
		want   time.Time
	}{
		{"kev earlier", k, date("2022-01-10"), []string{"GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"}, date("2021-12-24")},
		{"policy earlier", k, date("2021-12-17"), []string{"CVE-2021-44228"}, date("2021-12-17")},
		{"not in kev", k, date("2022-01-10"), []string{"CVE-2000-0001"}, date("2022-01-10")},
		{"lower case alias", k, date("2022-01-10"), []string{"cve-2021-44228"}, date("2021-12-24")},
		{"no policy deadline", k, time.Time{}, []string{"CVE-2021-44228"}, date("2021-12-24")},
		{"nil catalog", nil, date("2022-01-10"), []string{"CVE-2021-44228"}, date("2022-01-10")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.Due(tt.policy, tt.ids...); !got.Equal(tt.want) {
				t.Errorf("Due = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadKEVErrors(t *testing.T) {
	const head = `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z","count":1,"vulnerabilities":[`
	entry := func(id, added, due string) string {
		return `{"cveID":"` + id + `","dateAdded":"` + added + `","dueDate":"` + due + `"}`
	}
	tests := []struct {
		name, input, code, want string
	}{
		{"not json", "<html>", palisade.EINVALID, "KEV catalog, line 1, column 1: invalid character '<'"},
		{"syntax error line", "{\n\"catalogVersion\": \"1\",\n  x}", palisade.EINVALID, "line 3, column 3"},
		{"wrong type", "{\n\"count\": \"many\"}", palisade.EINVALID, "line 2, column 15: count: cannot use a JSON string"},
		{"missing field", `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0}`, palisade.EINVALID, "KEV catalog, vulnerabilities: required field is missing"},
		{"bad release", `{"catalogVersion":"1","dateReleased":"yesterday","count":0,"vulnerabilities":[]}`, palisade.EINVALID, "dateReleased: \"yesterday\" is not"},
		{"count mismatch", head + `]}`, palisade.EINVALID, "count is 1 but 0 vulnerabilities"},
		{"bad cve", head + entry("CVE-21-1", "2021-12-10", "2021-12-24") + `]}`, palisade.EINVALID, `vulnerabilities[0].cveID: "CVE-21-1" is not a CVE id`},
		{"bad date", head + entry("CVE-2021-44228", "10/12/2021", "2021-12-24") + `]}`, palisade.EINVALID, `vulnerabilities[0].dateAdded: "10/12/2021" is not a YYYY-MM-DD date`},
		{"bad due", head + entry("CVE-2021-44228", "2021-12-10", "") + `]}`, palisade.EINVALID, `vulnerabilities[0].dueDate: "" is not`},
		{"duplicate", strings.Replace(head, `"count":1`, `"count":2`, 1) + entry("CVE-2021-44228", "2021-12-10", "2021-12-24") + "," + entry("CVE-2021-44228", "2021-12-10", "2021-12-24") + `]}`, palisade.EINVALID, "vulnerabilities[1].cveID: CVE-2021-44228 is already listed at vulnerabilities[0]"},
		{"empty", "", palisade.EINVALID, "KEV catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadKEV(strings.NewReader(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			if palisade.ErrorCode(err) != tt.code {
				t.Errorf("code %q, want %q (%v)", palisade.ErrorCode(err), tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestReadKEVTooLarge(t *testing.T) {
	const limit = 1 << 10
	doc := `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0,"vulnerabilities":[]}`
	padded := doc + strings.Repeat(" ", limit-len(doc))
	if _, err := readKEV(strings.NewReader(padded), limit); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	_, err := readKEV(bytes.NewReader([]byte(padded+" ")), limit)
	if palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Fatalf("got %v, want ETOOLARGE", err)
	}
	if !strings.Contains(err.Error(), "KEV catalog: larger than the limit of 1024 bytes") {
		t.Errorf("message %q", err)
	}
}

// TestReadKEVCorpus reads the whole catalog snapshot of the shared corpora.
func TestReadKEVCorpus(t *testing.T) {
	dir := testenv.Corpus(t, "cisa-kev")
	f, err := os.Open(filepath.Join(dir, "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := ReadKEV(f)
	if err != nil {
		t.Fatal(err)
	}
	if k.CatalogVersion != "2025.08.25" || len(k.Entries) != 1404 {
		t.Fatalf("catalog %s with %d entries, want 2025.08.25 with 1404", k.CatalogVersion, len(k.Entries))
	}
	ransomware := 0
	for id, e := range k.Entries {
		if id != e.CVE || e.DateAdded.IsZero() || e.DueDate.IsZero() {
			t.Errorf("%s: incomplete entry %+v", id, e)
		}
		// Entries of the first catalog (2021-11-03) carry the earlier
		// deadlines of the directives they came from, so DueDate before
		// DateAdded is real data, not an error.
		if e.DueDate.Before(e.DateAdded) && !e.DateAdded.Equal(date("2021-11-03")) {
			t.Errorf("%s: due %v before added %v", id, e.DueDate, e.DateAdded)
		}
		if e.KnownRansomware {
			ransomware++
		}
	}
	// jq '[.vulnerabilities[]|select(.knownRansomwareCampaignUse=="Known")]|length'
	if ransomware != 293 {
		t.Errorf("%d known ransomware entries, want 293", ransomware)
	}
	for _, tt := range []struct {
		id, vendor, added, due string
		ransomware             bool
	}{
		{"CVE-2021-44228", "Apache", "2021-12-10", "2021-12-24", true},
		{"CVE-2023-4966", "Citrix", "2023-10-18", "2023-11-08", true},
		{"CVE-2020-29583", "Zyxel", "2021-11-03", "2022-05-03", false},
		{"CVE-2025-48384", "Git", "2025-08-25", "2025-09-15", false},
	} {
		e := k.Entries[tt.id]
		if e.VendorProject != tt.vendor || !e.DateAdded.Equal(date(tt.added)) || !e.DueDate.Equal(date(tt.due)) || e.KnownRansomware != tt.ransomware {
			t.Errorf("%s: got %+v", tt.id, e)
		}
	}
}
