package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
)

// jsonReader walks a JSON document token by token so that it can say where
// every value is, and check field names exactly: json.Decoder's
// DisallowUnknownFields matches names regardless of case and reports an
// unknown field without its position.
type jsonReader struct {
	file    string
	data    []byte
	dec     *json.Decoder
	lines   []int // offset of the start of each line
	errs    palisade.Errors
	stopped bool
}

func newJSONReader(file string, data []byte) *jsonReader {
	j := &jsonReader{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: []int{0}}
	j.dec.UseNumber()
	for i, c := range data {
		if c == '\n' {
			j.lines = append(j.lines, i+1)
		}
	}
	return j
}

func (j *jsonReader) loc(off int) Loc {
	line := sort.Search(len(j.lines), func(i int) bool { return j.lines[i] > off }) // first line after off
	return Loc{File: j.file, Line: line, Col: off - j.lines[line-1] + 1}
}

func (j *jsonReader) errorAt(off int, format string, args ...any) {
	if j.stopped {
		return
	}
	j.errs = append(j.errs, locError(j.loc(off), format, args...))
	if len(j.errs) >= maxErrors {
		j.stopped = true
	}
}

// token returns the next token and the offset where it starts. A syntax
// error is recorded and stops the read: nothing after it can be trusted.
func (j *jsonReader) token() (json.Token, int, bool) {
	if j.stopped {
		return nil, 0, false
	}
	// The decoder has read up to the end of the previous token; the next
	// one starts after the blanks and separators.
	start := j.skipping(int(j.dec.InputOffset()), " \t\r\n,:")
	tok, err := j.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			j.errorAt(min(int(se.Offset), len(j.data)), "invalid JSON: %s", se.Error())
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			j.errorAt(len(j.data), "invalid JSON: unexpected end of input")
		default:
			j.errorAt(start, "invalid JSON: %v", err)
		}
		j.stopped = true
		return nil, start, false
	}
	return tok, start, true
}

// skipping returns the offset of the first byte at or after off not in set.
func (j *jsonReader) skipping(off int, set string) int {
	for off < len(j.data) && strings.IndexByte(set, j.data[off]) >= 0 {
		off++
	}
	return off
}

// skip consumes the rest of a value whose first token was tok.
func (j *jsonReader) skip(tok json.Token) {
	depth := 0
	for {
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth <= 0 {
			return
		}
		var ok bool
		if tok, _, ok = j.token(); !ok {
			return
		}
	}
}

func describeJSON(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "a list"
	case string:
		return "string " + short(v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return "boolean " + strconv.FormatBool(v)
	}
	return fmt.Sprintf("%v", tok)
}

// members reads the members of an object whose '{' has been read, calling
// fn for each key with the offset of the key; fn must consume the value.
func (j *jsonReader) members(fn func(key string, at int)) {
	seen := map[string]bool{}
	for !j.stopped && j.dec.More() {
		tok, at, ok := j.token()
		if !ok {
			return
		}
		key, _ := tok.(string) // the decoder guarantees a string key
		if seen[key] {
			j.errorAt(at, "duplicate field %q", key)
		}
		seen[key] = true
		fn(key, at)
	}
	j.token() // '}'
}

func (j *jsonReader) readCatalog(d *Document) {
	tok, at, ok := j.token()
	if !ok {
		return
	}
	if tok != json.Delim('{') {
		j.errorAt(at, "expected an object of sections (%s), got %s", sectionNames(), describeJSON(tok))
		return
	}
	j.members(func(key string, keyAt int) {
		tok, at, ok := j.token()
		if !ok {
			return
		}
		kind, known := sections[key]
		switch {
		case !known:
			j.errorAt(keyAt, "unknown section %q (expected %s)", key, sectionNames())
			j.skip(tok)
			return
		case kind == "":
			if d.Sections == nil {
				d.Sections = map[string]*Node{}
			}
			d.Sections[key] = j.node(tok, at, 0)
			return
		case tok == nil:
			j.skip(tok)
			return
		case tok != json.Delim('['):
			j.errorAt(at, "%s: expected a list of %ss, got %s", key, kindWord[kind], describeJSON(tok))
			j.skip(tok)
			return
		}
		for !j.stopped && j.dec.More() {
			tok, at, ok := j.token()
			if !ok {
				return
			}
			if tok != json.Delim('{') {
				j.errorAt(at, "%s: expected a %s (an object), got %s", key, kindWord[kind], describeJSON(tok))
				j.skip(tok)
				continue
			}
			d.addObject(j.object(kind, at))
		}
		j.token() // ']'
	})
	if j.stopped {
		return
	}
	if off := j.skipping(int(j.dec.InputOffset()), " \t\r\n"); off < len(j.data) {
		j.errorAt(off, "unexpected data after the JSON object")
	}
}

func (j *jsonReader) object(kind string, at int) object {
	o := object{kind: kind, loc: j.loc(at), fields: map[string]field{}}
	schema := objectFields[kind]
	j.members(func(key string, keyAt int) {
		tok, at, ok := j.token()
		if !ok {
			return
		}
		typ, known := schema[key]
		if !known {
			j.errorAt(keyAt, "unknown field %q in %s", key, kindWord[kind])
			j.skip(tok)
			return
		}
		f := field{loc: j.loc(at)}
		ok = true
		switch {
		case tok == nil:
		case typ == textField:
			f.text, ok = tok.(string)
		case typ == intField:
			n, isNum := tok.(json.Number)
			x, err := strconv.ParseInt(n.String(), 10, 32)
			f.num, ok = int(x), isNum && err == nil
			if isNum && errors.Is(err, strconv.ErrRange) {
				j.errorAt(at, "%s: %s is out of range", key, n)
				return
			}
		case typ == listField:
			if ok = tok == json.Delim('['); ok {
				f.list = j.strings(key)
			}
		}
		if !ok {
			want := map[fieldType]string{textField: "a string", intField: "an integer", listField: "a list of strings"}[typ]
			j.errorAt(at, "%s: expected %s, got %s", key, want, describeJSON(tok))
			j.skip(tok)
			return
		}
		o.fields[key] = f
	})
	return o
}

// strings reads the rest of a list of strings whose '[' has been read.
func (j *jsonReader) strings(key string) []string {
	out := []string{}
	for i := 0; !j.stopped && j.dec.More(); i++ {
		tok, at, ok := j.token()
		if !ok {
			return nil
		}
		s, isString := tok.(string)
		if !isString {
			j.errorAt(at, "%s[%d]: expected a string, got %s", key, i, describeJSON(tok))
			j.skip(tok)
			continue
		}
		out = append(out, s)
	}
	j.token() // ']'
	return slices.Clip(out)
}
