package osv

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Positions in a JSON document, for error messages. They run only for a
// record being rejected, but that record may be hostile (16 MB, nested
// 10,000 deep), so both lookups are one linear pass that keeps a stack of
// path elements and renders a path string only for the answer.

// jsonFrame is an open object or list.
type jsonFrame struct {
	obj     bool
	wantKey bool   // an object expecting a member name next
	key     string // the current member's name
	index   int    // the current element's index
	start   int
	onPath  bool // the frame's own path is a prefix of locate's target
}

func (f *jsonFrame) elem() string {
	if f.obj {
		return f.key
	}
	return "[" + strconv.Itoa(f.index) + "]"
}

type jsonToken int

const (
	tokOpen jsonToken = iota + 1
	tokClose
	tokScalar
)

type jsonScanner struct {
	data    []byte
	dec     *json.Decoder
	stack   []jsonFrame
	advance bool // the previous token completed a value
}

func newJSONScanner(data []byte) *jsonScanner {
	s := &jsonScanner{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	s.dec.UseNumber()
	return s
}

// next returns the next value-level token (member names are consumed
// into their object's frame) with its start and end offsets. After
// tokOpen the new frame is on the stack; after tokClose it is gone.
func (s *jsonScanner) next() (kind jsonToken, start, end int, ok bool) {
	for {
		if s.advance {
			s.advance = false
			if n := len(s.stack); n > 0 {
				if f := &s.stack[n-1]; f.obj {
					f.wantKey = true
				} else {
					f.index++
				}
			}
		}
		// The decoder stands after the previous token, before blanks
		// and separators.
		start = int(s.dec.InputOffset())
		for start < len(s.data) && strings.IndexByte(" \t\r\n,:", s.data[start]) >= 0 {
			start++
		}
		tok, err := s.dec.Token()
		if err != nil {
			return 0, 0, 0, false
		}
		end = int(s.dec.InputOffset())
		if n := len(s.stack); n > 0 && s.stack[n-1].wantKey && tok != json.Delim('}') {
			s.stack[n-1].key, _ = tok.(string) // the decoder guarantees a string
			s.stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			s.stack = append(s.stack, jsonFrame{obj: tok == json.Delim('{'), wantKey: tok == json.Delim('{'), start: start})
			return tokOpen, start, end, true
		case json.Delim('}'), json.Delim(']'):
			s.stack = s.stack[:len(s.stack)-1]
			s.advance = true
			return tokClose, start, end, true
		}
		s.advance = true
		return tokScalar, start, end, true
	}
}

// path renders the path of the value inside the first n frames.
func (s *jsonScanner) path(n int) string {
	var b strings.Builder
	for i := range n {
		e := s.stack[i].elem()
		if b.Len() > 0 && s.stack[i].obj {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// locate returns the offset where the value at path starts. For a path
// that is not in the document (a required field that is missing) it is
// where the nearest enclosing value starts, which is where it belongs.
func locate(data []byte, path string) int {
	target := splitPath(path)
	s := newJSONScanner(data)
	best := 0
	for {
		kind, start, _, ok := s.next()
		if !ok || kind == tokClose {
			if !ok {
				return best
			}
			continue
		}
		// The value's parent is the frame below it (for an open value,
		// the one under the frame just pushed).
		depth := len(s.stack)
		if kind == tokOpen {
			depth--
		}
		on := depth == 0 || (s.stack[depth-1].onPath && depth <= len(target) && s.stack[depth-1].elem() == target[depth-1])
		if kind == tokOpen {
			s.stack[len(s.stack)-1].onPath = on
		}
		if on {
			best = start
			if depth == len(target) {
				return start
			}
		}
	}
}

// splitPath splits "affected[2].ranges" into "affected", "[2]", "ranges".
func splitPath(path string) []string {
	var out []string
	for path != "" {
		i := strings.IndexAny(path[1:], ".[")
		if i < 0 {
			out = append(out, path)
			break
		}
		out = append(out, path[:i+1])
		path = strings.TrimPrefix(path[i+1:], ".")
	}
	return out
}

// pathAt returns the path and start of the innermost value around offset,
// where encoding/json reports a type error: just after a bad scalar, or
// just after the '{' or '[' of a bad object or list.
func pathAt(data []byte, offset int) (string, int) {
	s := newJSONScanner(data)
	for {
		kind, start, end, ok := s.next()
		if !ok || start >= offset {
			break
		}
		switch {
		case kind == tokScalar && end >= offset:
			return s.path(len(s.stack)), start
		case kind == tokOpen && start+1 == offset:
			return s.path(len(s.stack) - 1), start
		}
	}
	// Otherwise offset is inside the innermost open value.
	if n := len(s.stack); n > 0 {
		return s.path(n - 1), s.stack[n-1].start
	}
	return "", 0
}
