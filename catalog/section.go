package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/palisade-project/palisade"
)

// Node is a value of a section of palisade.yaml that another capability
// owns (remediation, slos, ...), read without knowing its schema but with
// the location of every value, so that its owner can decode it strictly and
// still point at file:line:col.
type Node struct {
	Kind NodeKind
	Loc  Loc
	// Scalar is the text of a scalar as written (without quotes).
	Scalar string
	// Quoted is set for scalars written in quotes: they are strings even
	// when they look like numbers.
	Quoted bool
	Map    []MapEntry
	List   []*Node
}

// MapEntry is one key of a mapping node, in file order.
type MapEntry struct {
	Key    string
	KeyLoc Loc
	Value  *Node
}

// NodeKind is the shape of a Node.
type NodeKind uint8

// Node kinds.
const (
	NullNode NodeKind = iota
	ScalarNode
	MapNode
	ListNode
)

func (k NodeKind) String() string {
	return [...]string{"nothing", "a scalar", "a mapping", "a list"}[k]
}

// Errorf returns an EINVALID error located at n.
func (n *Node) Errorf(format string, args ...any) *palisade.Error {
	return palisade.FieldErrorf(palisade.EINVALID, n.Loc.String(), format, args...)
}

// Fields checks that n is a mapping whose keys are all in allowed and
// returns its values by key. A null n is an empty mapping.
func (n *Node) Fields(what string, allowed ...string) (map[string]*Node, error) {
	out := map[string]*Node{}
	if n == nil || n.Kind == NullNode {
		return out, nil
	}
	if n.Kind != MapNode {
		return nil, n.Errorf("%s: expected a mapping, got %s", what, n.Kind)
	}
	for _, e := range n.Map {
		ok := false
		for _, a := range allowed {
			ok = ok || a == e.Key
		}
		if !ok {
			return nil, palisade.FieldErrorf(palisade.EINVALID, e.KeyLoc.String(), "unknown field %q in %s (expected %s)", e.Key, what, strings.Join(allowed, ", "))
		}
		out[e.Key] = e.Value
	}
	return out, nil
}

// Int returns n as an integer.
func (n *Node) Int(what string) (int, error) {
	if n.Kind != ScalarNode || n.Quoted {
		return 0, n.Errorf("%s: expected an integer, got %s", what, n.describe())
	}
	v, err := strconv.Atoi(n.Scalar)
	if err != nil {
		return 0, n.Errorf("%s: expected an integer, got %q", what, n.Scalar)
	}
	return v, nil
}

// Bool returns n as a boolean.
func (n *Node) Bool(what string) (bool, error) {
	if n.Kind == ScalarNode && !n.Quoted {
		switch n.Scalar {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, n.Errorf("%s: expected true or false, got %s", what, n.describe())
}

// String returns n as a string; unquoted numbers and booleans are taken as
// written.
func (n *Node) String(what string) (string, error) {
	if n.Kind != ScalarNode {
		return "", n.Errorf("%s: expected text, got %s", what, n.Kind)
	}
	return n.Scalar, nil
}

func (n *Node) describe() string {
	if n.Kind == ScalarNode {
		return fmt.Sprintf("%q", n.Scalar)
	}
	return n.Kind.String()
}

// maxNodeDepth bounds nesting in sections, as for catalog objects.
const maxNodeDepth = 64

// node converts a YAML value into a Node.
func (r *yamlReader) node(n ast.Node, depth int) *Node {
	at := r.loc(n)
	v, _ := r.resolve(n)
	if depth > maxNodeDepth {
		r.errorf(n, "nested too deeply")
		return &Node{Kind: NullNode, Loc: at}
	}
	switch x := v.(type) {
	case nil, *ast.NullNode:
		return &Node{Kind: NullNode, Loc: at}
	case *ast.MappingNode, *ast.MappingValueNode:
		entries, _ := r.mapping("section", n)
		out := &Node{Kind: MapNode, Loc: at}
		for _, e := range entries {
			out.Map = append(out.Map, MapEntry{Key: e.key, KeyLoc: r.loc(e.keyAt), Value: r.node(e.value, depth+1)})
		}
		return out
	case *ast.SequenceNode:
		out := &Node{Kind: ListNode, Loc: at}
		for _, item := range x.Values {
			out.List = append(out.List, r.node(item, depth+1))
		}
		return out
	case *ast.StringNode:
		return &Node{Kind: ScalarNode, Loc: at, Scalar: x.Value, Quoted: x.Token != nil && (x.Token.Type == token.DoubleQuoteType || x.Token.Type == token.SingleQuoteType)}
	}
	s, ok := scalarText(v)
	if !ok {
		r.errorf(n, "unsupported value %s", describe(v))
		return &Node{Kind: NullNode, Loc: at}
	}
	return &Node{Kind: ScalarNode, Loc: at, Scalar: s}
}

// node converts the JSON value starting with tok at offset at into a Node.
func (j *jsonReader) node(tok json.Token, at int, depth int) *Node {
	out := &Node{Loc: j.loc(at)}
	if depth > maxNodeDepth {
		j.errorAt(at, "nested too deeply")
		j.skip(tok)
		return out
	}
	switch v := tok.(type) {
	case nil:
	case json.Delim:
		if v == '{' {
			out.Kind = MapNode
			j.members(func(key string, keyAt int) {
				t, a, ok := j.token()
				if !ok {
					return
				}
				out.Map = append(out.Map, MapEntry{Key: key, KeyLoc: j.loc(keyAt), Value: j.node(t, a, depth+1)})
			})
			return out
		}
		out.Kind = ListNode
		for !j.stopped && j.dec.More() {
			t, a, ok := j.token()
			if !ok {
				break
			}
			out.List = append(out.List, j.node(t, a, depth+1))
		}
		j.token() // ']'
	case string:
		out.Kind, out.Scalar, out.Quoted = ScalarNode, v, true
	case json.Number:
		out.Kind, out.Scalar = ScalarNode, v.String()
	case float64:
		out.Kind, out.Scalar = ScalarNode, strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		out.Kind, out.Scalar = ScalarNode, strconv.FormatBool(v)
	}
	return out
}

// MarshalJSON writes the node as JSON, so a section read from YAML can be
// sent on to a server: quoted scalars are strings, unquoted ones numbers,
// booleans or null when they read as such.
func (n *Node) MarshalJSON() ([]byte, error) {
	if n == nil {
		return []byte("null"), nil
	}
	switch n.Kind {
	case ScalarNode:
		if !n.Quoted {
			switch n.Scalar {
			case "true", "false", "null":
				return []byte(n.Scalar), nil
			}
			if _, err := strconv.ParseFloat(n.Scalar, 64); err == nil && json.Valid([]byte(n.Scalar)) {
				return []byte(n.Scalar), nil
			}
		}
		return json.Marshal(n.Scalar)
	case MapNode:
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range n.Map {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(e.Key)
			v, err := e.Value.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		return []byte(b.String()), nil
	case ListNode:
		items := make([]json.RawMessage, len(n.List))
		for i, x := range n.List {
			v, err := x.MarshalJSON()
			if err != nil {
				return nil, err
			}
			items[i] = v
		}
		return json.Marshal(items)
	}
	return []byte("null"), nil
}

// JSON returns the document as palisade.yaml's JSON form, sections
// included.
func (d *Document) JSON() ([]byte, error) {
	m := map[string]any{"teams": d.Teams, "services": d.Services, "thirdParties": d.ThirdParties}
	for name, n := range d.Sections {
		m[name] = n
	}
	return json.Marshal(m)
}
