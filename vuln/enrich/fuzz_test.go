package enrich

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-project/palisade"
)

func FuzzScoreVector(f *testing.F) {
	for _, v := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
		"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/MAV:N/MAC:L/MPR:L/MUI:N/MS:C/MC:H/MI:H/MA:H",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:H/MSI:S",
		"AV:N/AC:M/Au:M/C:C/I:N/A:P/RL:W/RC:UC/CDP:LM/TD:M/CR:L/IR:L/AR:L",
		"(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
		"CVSS:9/",
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := ScoreVector(v)
		if err != nil {
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Fatalf("error code %q: %v", palisade.ErrorCode(err), err)
			}
			return
		}
		if s.Base < 0 || s.Base > 10 || s.Effective < 0 || s.Effective > 10 || s.Severity == SeverityUnknown {
			t.Fatalf("%q scored %+v", v, s)
		}
	})
}

func FuzzReadKEV(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "kev-excerpt.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19Z","count":0,"vulnerabilities":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ReadKEV(bytes.NewReader(b))
		if err != nil {
			if c := palisade.ErrorCode(err); c != palisade.EINVALID {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		for id, e := range k.Entries {
			if id != e.CVE || !cveID.MatchString(id) {
				t.Fatalf("entry %q: %+v", id, e)
			}
		}
	})
}

func FuzzReadEPSS(f *testing.F) {
	for _, name := range []string{"epss-sample.csv", "epss-sample.csv.gz"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ReadEPSS(bytes.NewReader(b))
		if err != nil {
			if c := palisade.ErrorCode(err); c != palisade.EINVALID {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		for id, s := range e.Scores {
			if !cveID.MatchString(id) || s.Probability < 0 || s.Probability > 1 || s.Percentile < 0 || s.Percentile > 1 {
				t.Fatalf("%q: %+v", id, s)
			}
		}
	})
}
