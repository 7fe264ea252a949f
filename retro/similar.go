package retro

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kinds of Doc.
const (
	DocIncident      = "incident"
	DocRetrospective = "retrospective"
)

// Doc is what similarity compares: a past retrospective, or an incident
// (new or past) that has none yet.
type Doc struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"` // DocIncident or DocRetrospective
	Title    string   `json:"title"`
	Severity string   `json:"severity,omitempty"`
	Services []string `json:"services"`
	Tags     []string `json:"tags"`
	// Text is the searchable text (SearchText for a retrospective).
	Text string `json:"text"`
}

// Doc returns the retrospective as a similarity document.
func (r *Retrospective) Doc() Doc {
	return Doc{ID: r.ID, Kind: DocRetrospective, Title: r.Title, Severity: r.Severity,
		Services: r.Services, Tags: r.Tags, Text: r.SearchText()}
}

// Doc returns the incident as a similarity document: its title and the
// text of its timeline, with its kind as a tag (as New tags a
// retrospective).
func (in IncidentSummary) Doc() Doc {
	d := Doc{ID: in.ID, Kind: DocIncident, Title: in.Title, Severity: in.Severity, Services: in.Services}
	if k := strings.ToLower(strings.TrimSpace(in.Kind)); k != "" {
		d.Tags = []string{k}
	}
	var b strings.Builder
	for _, e := range in.Timeline {
		b.WriteString(e.Text)
		b.WriteByte('\n')
	}
	d.Text = b.String()
	return d
}

// Match is one document similar to the target, with its score in (0, 1]
// and the reasons, so that a suggestion can say why it was made.
type Match struct {
	Doc     Doc      `json:"doc"`
	Score   float64  `json:"score"`
	Reasons []string `json:"reasons"`
}

// Weights of the signals Similar combines. Text and services dominate
// because they say what broke and where; a shared severity alone says
// little, so it only adds to documents that share something else.
const (
	weightText     = 0.40
	weightServices = 0.30
	weightTags     = 0.15
	weightSeverity = 0.15
	// MinScore is the lowest score Similar reports: below it matches are
	// mostly one common word, which only adds noise to the suggestions.
	MinScore = 0.05
)

// Similar ranks the documents of corpus by similarity to target and
// returns the best k (all when k ≤ 0). The score combines the TF-IDF cosine
// of their text (title terms counted twice, identifiers such as CVE ids
// three times), the overlap of services and of tags
// (shared / √(|a|·|b|)) and whether the severity is the same (half for an
// adjacent SEVn); each signal counts only when the target has it, and the
// result is normalised by the weights counted. A document sharing nothing
// but the severity, or scoring under MinScore, is left out, as is the
// target itself (same kind and id). The order is by score, then kind and
// id: the same input always gives the same output.
func Similar(target Doc, corpus []Doc, k int) []Match {
	docs := make([]Doc, 0, len(corpus))
	for _, d := range corpus {
		if target.ID != "" && d.ID == target.ID && d.Kind == target.Kind {
			continue
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return nil
	}
	counts := make([]map[string]int, len(docs))
	df := map[string]int{}
	tc := termCounts(target)
	for t := range tc {
		df[t]++
	}
	for i, d := range docs {
		counts[i] = termCounts(d)
		for t := range counts[i] {
			df[t]++
		}
	}
	n := float64(len(docs) + 1)
	idf := func(t string) float64 { return math.Log((1+n)/(1+float64(df[t]))) + 1 }
	tv, tnorm := tfidf(tc, idf)
	tServices, tTags := lowerSet(target.Services), lowerSet(target.Tags)

	var out []Match
	for i, d := range docs {
		var score, weights float64
		var reasons []string
		shared := false
		if tnorm > 0 {
			weights += weightText
			dv, dnorm := tfidf(counts[i], idf)
			if dnorm > 0 {
				cos, top := cosine(tv, dv, tnorm, dnorm)
				score += weightText * cos
				if cos > 0 {
					shared = true
					reasons = append(reasons, fmt.Sprintf("common terms: %s", strings.Join(top, ", ")))
				}
			}
		}
		if len(tServices) > 0 {
			weights += weightServices
			if o, common := overlap(tServices, lowerSet(d.Services)); o > 0 {
				score += weightServices * o
				shared = true
				reasons = append(reasons, "same services: "+strings.Join(common, ", "))
			}
		}
		if len(tTags) > 0 {
			weights += weightTags
			if o, common := overlap(tTags, lowerSet(d.Tags)); o > 0 {
				score += weightTags * o
				shared = true
				reasons = append(reasons, "same tags: "+strings.Join(common, ", "))
			}
		}
		if target.Severity != "" {
			weights += weightSeverity
			if s := severityCloseness(target.Severity, d.Severity); s > 0 {
				score += weightSeverity * s
				if s == 1 {
					reasons = append(reasons, "same severity "+d.Severity)
				} else {
					reasons = append(reasons, fmt.Sprintf("similar severity %s", d.Severity))
				}
			}
		}
		if !shared || weights == 0 {
			continue
		}
		score = math.Round(score/weights*1e6) / 1e6
		if score < MinScore {
			continue
		}
		out = append(out, Match{Doc: d, Score: score, Reasons: reasons})
	}
	slices.SortFunc(out, func(a, b Match) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		if c := strings.Compare(a.Doc.Kind, b.Doc.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Doc.ID, b.Doc.ID)
	})
	if k > 0 && len(out) > k {
		out = out[:k]
	}
	return out
}

// Term count multipliers: a title says what the document is about, and a
// shared advisory id, technique or address is stronger evidence than any
// shared word.
const (
	titleBoost      = 2
	identifierBoost = 3
)

func termCounts(d Doc) map[string]int {
	m := map[string]int{}
	add := func(s string, boost int) {
		for _, t := range Tokenize(s) {
			if isWord(t) {
				m[t] += boost
			} else {
				m[t] += boost * identifierBoost
			}
		}
	}
	add(d.Title, titleBoost)
	add(d.Text, 1)
	return m
}

// weighted is one term of a TF-IDF vector; vectors are sorted by term so
// that sums are computed in the same order every time and scores are
// reproducible to the last bit.
type weighted struct {
	term string
	w    float64
}

func tfidf(counts map[string]int, idf func(string) float64) ([]weighted, float64) {
	v := make([]weighted, 0, len(counts))
	for t, c := range counts {
		v = append(v, weighted{t, (1 + math.Log(float64(c))) * idf(t)})
	}
	slices.SortFunc(v, func(a, b weighted) int { return strings.Compare(a.term, b.term) })
	var sum float64
	for _, x := range v {
		sum += x.w * x.w
	}
	return v, math.Sqrt(sum)
}

// cosine returns the cosine of a and b and the (at most five) terms that
// contribute most to it.
func cosine(a, b []weighted, na, nb float64) (float64, []string) {
	var dot float64
	var contrib []weighted
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i].term, b[j].term); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			p := a[i].w * b[j].w
			dot += p
			contrib = append(contrib, weighted{a[i].term, p})
			i, j = i+1, j+1
		}
	}
	slices.SortStableFunc(contrib, func(x, y weighted) int {
		switch {
		case x.w > y.w:
			return -1
		case x.w < y.w:
			return 1
		}
		return strings.Compare(x.term, y.term)
	})
	var top []string
	for _, c := range contrib[:min(5, len(contrib))] {
		top = append(top, c.term)
	}
	return dot / (na * nb), top
}

func lowerSet(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// overlap is the Ochiai coefficient of two sorted sets: a past incident
// that touched every service shares each one, but only weakly.
func overlap(a, b []string) (float64, []string) {
	var common []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); ok {
			common = append(common, x)
		}
	}
	if len(common) == 0 {
		return 0, nil
	}
	return float64(len(common)) / math.Sqrt(float64(len(a)*len(b))), common
}

var sevRE = regexp.MustCompile(`(?i)^sev\s*-?\s*(\d)$`)

// severityCloseness is 1 for the same severity and 0.5 for adjacent SEVn
// levels; the scale is configurable, so other names match only exactly.
func severityCloseness(a, b string) float64 {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" || b == "" {
		return 0
	}
	if strings.EqualFold(a, b) {
		return 1
	}
	ma, mb := sevRE.FindStringSubmatch(a), sevRE.FindStringSubmatch(b)
	if ma != nil && mb != nil {
		x, _ := strconv.Atoi(ma[1])
		y, _ := strconv.Atoi(mb[1])
		if x-y == 1 || y-x == 1 {
			return 0.5
		}
	}
	return 0
}

// tokenRE finds terms: identifiers that security work searches for as a
// whole (CVE, GHSA, CWE and OSV-style advisory ids, ATT&CK techniques, IPv4
// addresses) before plain words, so that "CVE-2024-3094" stays one term
// instead of becoming "cve" and two numbers.
var tokenRE = regexp.MustCompile(`\bcve-\d{4}-\d{4,}\b` +
	`|\bghsa(?:-[0-9a-z]{4}){3}\b` +
	`|\b(?:cwe|capec)-\d+\b` +
	`|\b[a-z]{2,10}-\d{4}-\d{2,}\b` +
	`|\bt\d{4}(?:\.\d{3})?\b` +
	`|\b\d{1,3}(?:\.\d{1,3}){3}\b` +
	`|[\p{L}\p{N}]+`)

// Tokenize splits s into the terms similarity compares: lowercased, stop
// words and bare numbers dropped, plain words lightly stemmed (plural
// endings), security identifiers kept whole.
func Tokenize(s string) []string {
	var out []string
	for _, t := range tokenRE.FindAllString(strings.ToLower(s), -1) {
		if !isWord(t) {
			out = append(out, t) // an identifier: keep as written
			continue
		}
		if utf8.RuneCountInString(t) < 2 || stopWords[t] || strings.IndexFunc(t, unicode.IsLetter) < 0 {
			continue
		}
		out = append(out, stem(t))
	}
	return out
}

func isWord(t string) bool {
	return !strings.ContainsAny(t, "-.")
}

// stem folds common English plural endings so that "credential" and
// "credentials" meet; anything smarter would need a dictionary.
func stem(w string) string {
	if len(w) <= 4 || strings.IndexFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further had has
		have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
		on once only or other our ours out over own same she should so some such than that the their theirs them then
		there these they this those through to too under until up very was we were what when where which while who whom
		why will with would you your yours utc via per got get did didn don doesn isn wasn weren won wouldn shouldn couldn`) {
		m[w] = true
	}
	return m
}()
