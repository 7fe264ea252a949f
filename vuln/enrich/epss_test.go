package enrich

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

func TestReadEPSSSample(t *testing.T) {
	for _, name := range []string{"epss-sample.csv", "epss-sample.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			e, err := ReadEPSS(f)
			if err != nil {
				t.Fatal(err)
			}
			if e.ModelVersion != "v2025.03.14" || !e.ScoreDate.Equal(time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("model %q date %v", e.ModelVersion, e.ScoreDate)
			}
			if len(e.Scores) != 8 {
				t.Errorf("%d scores, want 8", len(e.Scores))
			}
			if got, want := e.Scores["CVE-2021-44228"], (EPSSScore{Probability: 0.94358, Percentile: 0.99972}); got != want {
				t.Errorf("CVE-2021-44228: %+v, want %+v", got, want)
			}
		})
	}
}

func TestReadEPSSVariants(t *testing.T) {
	tests := []struct {
		name, input string
		model       string
		date        time.Time
		n           int
	}{
		{"no comment line (pre-2022 files)", "cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n", "", time.Time{}, 1},
		{"crlf and bom", "\ufeff#model_version:v2023.03.01,score_date:2023-03-21T00:00:00+0000\r\ncve,epss,percentile\r\nCVE-2021-44228,0.9,0.99\r\n\r\n", "v2023.03.01", time.Date(2023, 3, 21, 0, 0, 0, 0, time.UTC), 1},
		{"date only, extra keys", "#model_version:v1,score_date:2023-03-21,rows:1\ncve,epss,percentile\n", "v1", time.Date(2023, 3, 21, 0, 0, 0, 0, time.UTC), 0},
		{"lower case id", "cve,epss,percentile\ncve-2021-44228,0,1\n", "", time.Time{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ReadEPSS(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if e.ModelVersion != tt.model || !e.ScoreDate.Equal(tt.date) || len(e.Scores) != tt.n {
				t.Errorf("got model %q date %v n %d", e.ModelVersion, e.ScoreDate, len(e.Scores))
			}
		})
	}
}

func TestReadEPSSErrors(t *testing.T) {
	const hdr = "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\ncve,epss,percentile\n"
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", "no \"cve,epss,percentile\" header"},
		{"wrong header", "cve,score\n", "EPSS CSV, line 1: header is \"cve,score\""},
		{"bad date", "#model_version:v1,score_date:soon\ncve,epss,percentile\n", "line 1: score_date \"soon\" is not a date"},
		{"second comment", hdr + "#again\n", "line 3: 1 fields"},
		{"late comment", "\n#model_version:v1\ncve,epss,percentile\n", "line 2: a comment line is only allowed first"},
		{"fields", hdr + "CVE-2021-44228,0.9\n", "EPSS CSV, line 3: 2 fields, want 3"},
		{"not cve", hdr + "GHSA-xxxx,0.9,0.9\n", `line 3: "GHSA-xxxx" is not a CVE id`},
		{"not number", hdr + "CVE-2021-44228,high,0.9\n", `line 3: epss "high": not a number`},
		{"out of range", hdr + "CVE-2021-44228,0.5,1.5\n", `line 3: percentile "1.5": outside 0–1`},
		{"nan", hdr + "CVE-2021-44228,NaN,0.5\n", `outside 0–1`},
		{"duplicate", hdr + "CVE-2021-44228,0.5,0.5\nCVE-2021-44228,0.5,0.5\n", "line 4: CVE-2021-44228 is already listed on line 3"},
		{"long line", hdr + strings.Repeat("x", 70<<10) + "\n", "line 3: line longer than 64 KiB"},
		{"bad gzip", "\x1f\x8bnot gzip", "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadEPSS(strings.NewReader(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			if palisade.ErrorCode(err) != palisade.EINVALID {
				t.Errorf("code %q (%v)", palisade.ErrorCode(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestReadEPSSTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("cve,epss,percentile\n" + strings.Repeat("CVE-2021-44228,0.5,0.5\n", 1)))
	zw.Close()
	_, err := ReadEPSS(bytes.NewReader(buf.Bytes()[:buf.Len()-6]))
	if palisade.ErrorCode(err) != palisade.EINVALID || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("got %v, want an EINVALID gzip error", err)
	}
}

// TestReadEPSSGzipBomb checks the limit applies after decompression: a
// small gzip stream expands past the limit.
func TestReadEPSSGzipBomb(t *testing.T) {
	const limit = 1 << 20
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte("cve,epss,percentile\n"))
	zw.Write(bytes.Repeat([]byte("\n"), 2*limit))
	zw.Close()
	if buf.Len() > limit/100 {
		t.Fatalf("compressed to %d bytes; not a bomb", buf.Len())
	}
	_, err := readEPSS(bytes.NewReader(buf.Bytes()), limit)
	if palisade.ErrorCode(err) != palisade.ETOOLARGE {
		t.Fatalf("got %v, want ETOOLARGE", err)
	}
	// Exactly at the limit is fine.
	exact := "cve,epss,percentile\n" + strings.Repeat("\n", limit-len("cve,epss,percentile\n"))
	if _, err := readEPSS(strings.NewReader(exact), limit); err != nil {
		t.Fatalf("input of exactly the limit: %v", err)
	}
}
