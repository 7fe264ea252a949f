package sbom

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/palisade-project/palisade"
)

// MaxComponents is the number of component entries a file may list:
// CycloneDX components and services at any depth, SPDX packages,
// osv-scanner and Trivy packages. The largest real SBOMs list tens of thousands;
// the limit is there because the decoders need several hundred bytes per
// entry, so that a 64 MiB file of tiny entries would otherwise take
// gigabytes. Larger files are refused with palisade.ETOOLARGE before they
// are decoded.
const MaxComponents = 250_000

// MaxFindings is the number of vulnerability entries a file may list
// (CycloneDX vulnerabilities, and their affects targets, osv-scanner and
// Trivy vulnerabilities, Grype matches), for the same reason as
// MaxComponents.
const MaxFindings = 250_000

// maxScanDepth stops the counting scanner where encoding/json gives up
// (it refuses nesting deeper than 10000), so a file of brackets cannot
// grow its stack.
const maxScanDepth = 10_001

// limit is one count a reader checks before decoding.
type limit struct {
	keys []string // JSON keys (or XML element names) whose entries count
	max  int
	what string // "components", "vulnerabilities", ... for the message
}

// checkJSONLimits counts, in one pass without decoding, the elements of
// every array that is the value of one of each limit's keys, at any depth,
// and refuses the file when a count is over its limit. Keys compare as
// encoding/json compares them with struct tags (case-insensitively, after
// unescaping), so that no spelling decodes more than was counted. On
// invalid JSON the counts are rough; the decoder reports the error.
func checkJSONLimits(name string, data []byte, limits ...limit) error {
	var keys []string
	var owner []int
	for i, l := range limits {
		for _, k := range l.keys {
			keys = append(keys, k)
			owner = append(owner, i)
		}
	}
	counts := countJSONElements(data, keys)
	totals := make([]int, len(limits))
	for i, n := range counts {
		totals[owner[i]] += n
	}
	for i, l := range limits {
		if totals[i] > l.max {
			return palisade.FieldErrorf(palisade.ETOOLARGE, name, "the file lists %d %s; at most %d are read", totals[i], l.what, l.max)
		}
	}
	return nil
}

type scanFrame struct {
	array     bool
	counting  int  // for arrays: index of the key being counted, or -1
	expectKey bool // for objects: the next string is a key
	key       int  // for objects: index of the key whose value comes next, or -1
}

// countJSONElements returns, for each key, the number of values in arrays
// that are the value of that key.
func countJSONElements(data []byte, keys []string) []int {
	counts := make([]int, len(keys))
	rawKeys := make([][]byte, len(keys))
	for i, k := range keys {
		rawKeys[i] = []byte(k)
	}
	var stack []scanFrame
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].array && stack[n-1].counting >= 0 {
			counts[stack[n-1].counting]++
		}
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case ' ', '\t', '\r', '\n', ':':
		case ',':
			if n := len(stack); n > 0 && !stack[n-1].array {
				stack[n-1].expectKey = true
				stack[n-1].key = -1
			}
		case '"':
			start := i + 1
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].expectKey {
				stack[n-1].expectKey = false
				stack[n-1].key = matchKey(data[start:min(i, len(data))], escaped, rawKeys)
				continue
			}
			value()
		case '{', '[':
			value()
			counting := -1
			if n := len(stack); n > 0 && !stack[n-1].array {
				if c == '[' {
					counting = stack[n-1].key
				}
				stack[n-1].key = -1
			}
			if len(stack) >= maxScanDepth {
				return counts
			}
			stack = append(stack, scanFrame{array: c == '[', counting: counting, expectKey: c == '{', key: -1})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			// A number, true, false or null: one value, however long.
			value()
			for i+1 < len(data) && !strings.ContainsRune(" \t\r\n,]}:", rune(data[i+1])) {
				i++
			}
		}
	}
	return counts
}

// matchKey returns the index of the key raw (a JSON string's content)
// names, or -1. It allocates only for keys with escapes, which are rare,
// because it runs for every key of the file.
func matchKey(raw []byte, escaped bool, keys [][]byte) int {
	if escaped {
		var s string
		if err := json.Unmarshal([]byte(`"`+string(raw)+`"`), &s); err != nil {
			return -1
		}
		raw = []byte(s)
	}
	for i, k := range keys {
		if bytes.EqualFold(raw, k) {
			return i
		}
	}
	return -1
}

// checkXMLLimits counts the elements of the given local names (any
// namespace prefix) with a byte scan, and refuses the file when a count is
// over its limit. Markup inside comments counts too, which only makes the
// count higher.
func checkXMLLimits(name string, data []byte, limits ...limit) error {
	totals := make([]int, len(limits))
	for i := 0; i < len(data); i++ {
		if data[i] != '<' || i+1 >= len(data) {
			continue
		}
		j := i + 1
		for j < len(data) && !strings.ContainsRune(" \t\r\n/>", rune(data[j])) {
			j++
		}
		tag := string(data[i+1 : j])
		if tag == "" || tag[0] == '?' || tag[0] == '!' {
			continue
		}
		if k := strings.LastIndexByte(tag, ':'); k >= 0 {
			tag = tag[k+1:]
		}
		for li, l := range limits {
			for _, k := range l.keys {
				if tag == k {
					totals[li]++
				}
			}
		}
		i = j - 1
	}
	for i, l := range limits {
		if totals[i] > l.max {
			return palisade.FieldErrorf(palisade.ETOOLARGE, name, "the file lists %d %s; at most %d are read", totals[i], l.what, l.max)
		}
	}
	return nil
}
