package osv

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Positions in a JSON document, for error messages. These walk the
// document again token by token, which is slow but only runs for a record
// that is being rejected.

// jsonValue is one value of a document: its path ("affected[2].ranges[0]")
// and its byte span. end is -1 when a composite value is visited on entry,
// before its end is known.
type jsonValue struct {
	path       string
	start, end int
}

// walkJSON calls visit for every value of data: composite values once on
// entry (end -1) and every value once when it has been read (end set). It
// stops when visit returns false or the document turns out malformed.
func walkJSON(data []byte, visit func(jsonValue) bool) {
	w := &jsonWalker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), visit: visit}
	w.dec.UseNumber()
	w.value("")
}

type jsonWalker struct {
	data    []byte
	dec     *json.Decoder
	visit   func(jsonValue) bool
	stopped bool
}

// next returns the next token and the offset where it starts: the decoder
// stands after the previous token, before blanks and separators.
func (w *jsonWalker) next() (json.Token, int) {
	start := int(w.dec.InputOffset())
	for start < len(w.data) && bytes.IndexByte([]byte(" \t\r\n,:"), w.data[start]) >= 0 {
		start++
	}
	tok, err := w.dec.Token()
	if err != nil {
		w.stopped = true
		return nil, start
	}
	return tok, start
}

func (w *jsonWalker) emit(v jsonValue) {
	if !w.stopped && !w.visit(v) {
		w.stopped = true
	}
}

func (w *jsonWalker) value(path string) {
	tok, start := w.next()
	if w.stopped {
		return
	}
	v := jsonValue{path: path, start: start, end: -1}
	switch tok {
	case json.Delim('{'):
		w.emit(v)
		for !w.stopped && w.dec.More() {
			key, _ := w.next()
			k, _ := key.(string) // the decoder guarantees string keys
			if path != "" {
				k = path + "." + k
			}
			w.value(k)
		}
		w.next() // '}'
	case json.Delim('['):
		w.emit(v)
		for i := 0; !w.stopped && w.dec.More(); i++ {
			w.value(path + "[" + strconv.Itoa(i) + "]")
		}
		w.next() // ']'
	}
	v.end = int(w.dec.InputOffset())
	w.emit(v)
}

// locate returns the offset where the value at path starts. For a path
// that is not in the document (a required field that is missing) it is
// where the nearest enclosing value starts, which is where it belongs.
func locate(data []byte, path string) int {
	for {
		off, found := -1, false
		walkJSON(data, func(v jsonValue) bool {
			if v.path == path {
				off, found = v.start, true
				return false
			}
			return true
		})
		if found || path == "" {
			return max(off, 0)
		}
		path = parentPath(path)
	}
}

// parentPath drops the last element of a path: "a[1].b" → "a[1]" → "a".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// pathAt returns the path and start of the innermost value around offset,
// where encoding/json reports a type error: just after a bad scalar, or
// just after the '{' or '[' of a bad object or list.
func pathAt(data []byte, offset int) (string, int) {
	var best jsonValue
	found := false
	walkJSON(data, func(v jsonValue) bool {
		contains := v.start < offset && (offset <= v.end || (v.end < 0 && offset == v.start+1))
		if contains && (!found || v.start > best.start) {
			best, found = v, true
		}
		return true
	})
	return best.path, best.start
}
