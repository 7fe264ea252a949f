package enrich

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// MaxEPSSSize bounds the uncompressed EPSS CSV ReadEPSS accepts. The
// daily file was about 10 MB for some 300,000 CVEs in 2025; 256 MiB leaves
// room for growth and stops a gzip bomb from expanding without end.
const MaxEPSSSize = 256 << 20

// epssWhat names the input in messages; the reader is not given a file name.
const epssWhat = "EPSS CSV"

// EPSS is one day's FIRST Exploit Prediction Scoring System scores
// (https://www.first.org/epss/), as published in
// https://epss.cyentia.com/epss_scores-current.csv.gz.
type EPSS struct {
	// ModelVersion is the model that produced the scores, such as
	// "v2025.03.14"; empty for files without the leading comment line.
	ModelVersion string
	// ScoreDate is the day the scores are for; zero when not given.
	ScoreDate time.Time
	// Scores holds every row keyed by CVE id, upper case.
	Scores map[string]EPSSScore
}

// EPSSScore is the EPSS estimate for one CVE.
type EPSSScore struct {
	// Probability is the probability, 0 to 1, of exploitation activity
	// in the next 30 days.
	Probability float64
	// Percentile is the share, 0 to 1, of scored CVEs with the same or a
	// lower probability.
	Percentile float64
}

// ReadEPSS reads the EPSS daily CSV, plain or gzip-compressed (told apart
// by the gzip magic bytes, not by a file name). The file is an optional
// first line "#model_version:v2025.03.14,score_date:2025-03-15T00:00:00+0000",
// then the header "cve,epss,percentile", then one row per CVE. Empty
// lines are skipped.
//
// A line that is not three comma-separated fields, a CVE id that is not
// one or is listed twice, or a number that does not parse or lies outside
// 0–1 is an EINVALID error naming the line ("EPSS CSV, line 7"). More than
// MaxEPSSSize bytes after decompression is an ETOOLARGE error.
func ReadEPSS(r io.Reader) (*EPSS, error) {
	return readEPSS(r, MaxEPSSSize)
}

// readEPSS is ReadEPSS with the size limit as a parameter, so tests can
// check the limit without pushing 256 MiB through gzip.
func readEPSS(r io.Reader, limit int64) (*EPSS, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &palisade.Error{Code: palisade.EINVALID, Field: epssWhat, Message: "gzip header: " + err.Error(), Err: err}
		}
		defer zr.Close()
		src = zr
	}
	lim := &limitedReader{r: src, n: limit}
	e, err := parseEPSS(lim)
	if lim.over {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, epssWhat, "larger than the %d-byte limit once uncompressed", limit)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func parseEPSS(r io.Reader) (*EPSS, error) {
	sc := bufio.NewScanner(r)
	// Rows are ~40 bytes; a longer line is garbage, and the limit keeps
	// one huge line from being buffered whole.
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	e := &EPSS{Scores: make(map[string]EPSSScore)}
	first := map[string]int{}
	line, sawHeader := 0, false
	fail := func(format string, args ...any) error {
		return palisade.FieldErrorf(palisade.EINVALID, fmt.Sprintf("%s, line %d", epssWhat, line), format, args...)
	}
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !sawHeader {
			if strings.HasPrefix(text, "#") {
				if line != 1 || e.ModelVersion != "" {
					return nil, fail("a comment line is only allowed first")
				}
				if err := parseEPSSMeta(e, text[1:]); err != nil {
					return nil, fail("%v", err)
				}
				continue
			}
			if h := strings.ReplaceAll(strings.ToLower(text), " ", ""); h != "cve,epss,percentile" {
				return nil, fail("header is %s, want \"cve,epss,percentile\"", quote(text))
			}
			sawHeader = true
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 3 {
			return nil, fail("%d fields, want 3 (cve,epss,percentile)", len(f))
		}
		id := strings.ToUpper(strings.TrimSpace(f[0]))
		if !cveID.MatchString(id) {
			return nil, fail("%s is not a CVE id", quote(f[0]))
		}
		if at, dup := first[id]; dup {
			return nil, fail("%s is already listed on line %d", id, at)
		}
		first[id] = line
		p, err := unitFloat(f[1])
		if err != nil {
			return nil, fail("epss %s: %v", quote(f[1]), err)
		}
		pct, err := unitFloat(f[2])
		if err != nil {
			return nil, fail("percentile %s: %v", quote(f[2]), err)
		}
		e.Scores[id] = EPSSScore{Probability: p, Percentile: pct}
	}
	if err := sc.Err(); err != nil {
		line++
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fail("line longer than 64 KiB")
		}
		var pe *palisade.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		var corrupt flate.CorruptInputError
		if errors.As(err, &corrupt) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &palisade.Error{Code: palisade.EINVALID, Field: epssWhat, Message: "corrupt or truncated gzip data: " + err.Error(), Err: err}
		}
		return nil, fmt.Errorf("reading %s: %w", epssWhat, err)
	}
	if !sawHeader {
		return nil, palisade.FieldErrorf(palisade.EINVALID, epssWhat, "no \"cve,epss,percentile\" header; is this the EPSS scores file?")
	}
	return e, nil
}

// parseEPSSMeta reads "model_version:v2025.03.14,score_date:2025-03-15T00:00:00+0000".
// Unknown keys are ignored so that FIRST can add some.
func parseEPSSMeta(e *EPSS, meta string) error {
	for _, kv := range strings.Split(meta, ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "model_version":
			e.ModelVersion = v
		case "score_date":
			t, err := parseScoreDate(v)
			if err != nil {
				return fmt.Errorf("score_date %s is not a date", quote(v))
			}
			e.ScoreDate = t
		}
	}
	return nil
}

func parseScoreDate(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

func unitFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		return 0, errors.New("outside 0–1")
	}
	return f, nil
}

// limitedReader is io.LimitReader that remembers it cut the input short,
// so the caller can report ETOOLARGE instead of a parse error at the cut.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Probe one byte: input that ends exactly at the limit is fine.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.over = true
			return 0, palisade.Errorf(palisade.ETOOLARGE, "input exceeds its size limit")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
