package openslo

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/palisade-project/palisade"
)

// node is a decoded YAML or JSON value with the path it was found at, so
// every error can name its field.
type node struct {
	v    any
	path string // "spec.objectives[0].target"; "" for an object's root
	has  bool   // false for a key that is absent
}

func (n node) present() bool { return n.has || n.path == "" }

func (n node) key(k string) node {
	p := k
	if n.path != "" {
		p = n.path + "." + k
	}
	m, _ := n.v.(map[string]any)
	v, ok := m[k]
	return node{v: v, path: p, has: ok}
}

func (n node) index(i int) node {
	l, _ := n.v.([]any)
	p := fmt.Sprintf("%s[%d]", n.path, i)
	if i < 0 || i >= len(l) {
		return node{path: p}
	}
	return node{v: l[i], path: p, has: true}
}

// keys lists a mapping's keys in order, so warnings come out the same
// on every run.
func (n node) keys() []string {
	m, _ := n.v.(map[string]any)
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (n node) field() string {
	if n.path == "" {
		return ""
	}
	return n.path
}

func (n node) reqMap(o *object) *palisade.Error {
	if !n.present() {
		return o.errorf(n.field(), "is required")
	}
	if _, ok := n.v.(map[string]any); !ok {
		return o.errorf(n.field(), "expected a mapping, got %s", typeName(n.v))
	}
	return nil
}

func (n node) reqString(o *object) (string, *palisade.Error) {
	if !n.present() || n.v == nil {
		return "", o.errorf(n.field(), "is required")
	}
	s, ok := n.v.(string)
	if !ok || s == "" {
		if ok {
			return "", o.errorf(n.field(), "must not be empty")
		}
		return "", o.errorf(n.field(), "expected a string, got %s", typeName(n.v))
	}
	return s, nil
}

func (n node) optString(o *object) (string, *palisade.Error) {
	if !n.present() || n.v == nil {
		return "", nil
	}
	s, ok := n.v.(string)
	if !ok {
		return "", o.errorf(n.field(), "expected a string, got %s", typeName(n.v))
	}
	return s, nil
}

func (n node) optStrings(o *object) ([]string, *palisade.Error) {
	items, err := n.optList(o)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	out := make([]string, len(items))
	for i := range items {
		if out[i], err = n.index(i).reqString(o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (n node) optList(o *object) ([]any, *palisade.Error) {
	if !n.present() || n.v == nil {
		return nil, nil
	}
	l, ok := n.v.([]any)
	if !ok {
		return nil, o.errorf(n.field(), "expected a list, got %s", typeName(n.v))
	}
	return l, nil
}

func (n node) optBool(o *object) (bool, *palisade.Error) {
	if !n.present() || n.v == nil {
		return false, nil
	}
	b, ok := n.v.(bool)
	if !ok {
		return false, o.errorf(n.field(), "expected true or false, got %s", typeName(n.v))
	}
	return b, nil
}

// numeric reads a number as YAML or JSON decoded it.
func (n node) numeric() (float64, bool) {
	switch v := n.v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

func (n node) number(o *object) (float64, *palisade.Error) {
	if !n.present() || n.v == nil {
		return 0, o.errorf(n.field(), "is required")
	}
	if f, ok := n.numeric(); ok {
		return f, nil
	}
	// The YAML decoder leaves some plain numbers such as 1e-3 as
	// strings; a quoted number is accepted the same way.
	if s, ok := n.v.(string); ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
	}
	return 0, o.errorf(n.field(), "expected a number, got %s", typeName(n.v))
}

func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", truncate(v))
	case bool:
		return fmt.Sprintf("%v", v)
	case json.Number:
		return "the number " + v.String()
	case float64, int64, uint64, int:
		return fmt.Sprintf("the number %v", v)
	}
	return fmt.Sprintf("a %T", v)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
