package catalog

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/palisade-project/palisade"
)

// yamlReader reads values out of a parsed YAML file with their locations.
// It follows aliases itself, within a budget, because expanding them is how
// a small file becomes a huge document ("billion laughs").
type yamlReader struct {
	file    string
	aliases map[*ast.AliasNode]ast.Node
	// budget is the number of nodes left to visit. Without aliases a file
	// has fewer nodes than bytes; aliases may add at most as many again.
	budget  int
	errs    palisade.Errors
	stopped bool // too many errors, or out of budget: read no further
}

// parseYAMLFile checks and parses data, returning its non-empty documents
// and a reader for them.
func parseYAMLFile(file string, data []byte) (*yamlReader, []*ast.DocumentNode, error) {
	if err := checkSize(file, data); err != nil {
		return nil, nil, err
	}
	r := &yamlReader{file: file, aliases: map[*ast.AliasNode]ast.Node{}, budget: 2*len(data) + 1<<16}
	f, err := r.parse(data)
	if err != nil {
		return nil, nil, err
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue // a stray '---' or a file of comments
		}
		if _, ok := doc.Body.(*ast.DirectiveNode); ok {
			continue // goccy returns a directive (%YAML 1.2) as a document of its own
		}
		r.indexAnchors(doc.Body)
		docs = append(docs, doc)
	}
	return r, docs, nil
}

// parse lexes data, refuses it when parsing it would be too costly, and
// parses it. A panic in the parser (a bug there, triggered by hostile
// input) becomes an error: a server must survive any request body.
func (r *yamlReader) parse(data []byte) (f *ast.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, locError(Loc{File: r.file}, "the YAML parser failed on this input (%v)", p)
		}
	}()
	tks := lexer.Tokenize(string(data))
	if tk := tks.InvalidToken(); tk != nil {
		return nil, locError(r.tokenLoc(tk), "invalid YAML: %s", tk.Error)
	}
	tks = dropEmptyDocuments(tks)
	if err := r.checkParseCost(tks, len(data)); err != nil {
		return nil, err
	}
	f, err = parser.Parse(tks, 0)
	if err != nil {
		return nil, r.syntaxError(err)
	}
	if tk := lostContent(tks, f); tk != nil {
		return nil, locError(r.tokenLoc(tk), "the YAML parser skipped content from here on; simplify the document structure around this line")
	}
	return f, nil
}

// indexAnchors records which node each alias in n refers to. An anchor is
// registered after its own content has been walked, so an alias can only
// refer to a node that is complete before it: the graph has no cycles.
func (r *yamlReader) indexAnchors(root ast.Node) {
	anchors := map[string]ast.Node{}
	var walk func(n ast.Node, depth int)
	walk = func(n ast.Node, depth int) {
		if depth > 4*maxDepth {
			return // checkParseCost keeps real nesting far below this
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			walk(v.Value, depth+1)
			if name, ok := scalarText(v.Name); ok && v.Value != nil {
				anchors[name] = v.Value
			}
			return
		case *ast.AliasNode:
			if name, ok := scalarText(v.Value); ok {
				if target, ok := anchors[name]; ok {
					r.aliases[v] = target
				}
			}
			return
		}
		for _, c := range children(n) {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
}

func (r *yamlReader) errorf(at ast.Node, format string, args ...any) {
	r.errorAt(r.loc(at), format, args...)
}

func (r *yamlReader) errorAt(l Loc, format string, args ...any) {
	if r.stopped {
		return
	}
	r.errs = append(r.errs, locError(l, format, args...))
	if len(r.errs) >= maxErrors {
		r.stopped = true
	}
}

// charge spends n of the node budget and reports whether reading may go on.
func (r *yamlReader) charge(n int, at ast.Node) bool {
	if r.stopped {
		return false
	}
	if r.budget -= n; r.budget < 0 {
		r.errs = append(r.errs, palisade.FieldErrorf(palisade.ETOOLARGE, r.loc(at).String(),
			"the document expands to too many values (aliases repeat more content than the file holds)"))
		r.stopped = true
		return false
	}
	return true
}

// resolve returns the node n stands for, following aliases and skipping
// anchors and tags, and the tag if there was one. It returns nil (read as
// null) when n is an unknown alias or reading has stopped.
func (r *yamlReader) resolve(n ast.Node) (ast.Node, string) {
	if !r.charge(1, n) {
		return nil, ""
	}
	tag := ""
	for range 1000 { // chains are acyclic (see indexAnchors); the bound is for safety
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			if v.Start != nil {
				tag = v.Start.Value
			}
			n = v.Value
		case *ast.AliasNode:
			target, ok := r.aliases[v]
			if !ok {
				name, _ := scalarText(v.Value)
				r.errorf(v, "unknown alias *%s", name)
				return nil, ""
			}
			n = target
		default:
			return n, tag
		}
	}
	r.errorf(n, "alias chain too long")
	return nil, ""
}

// loc returns where n is written. A block mapping is located at its first
// key, which is where a reader looks for the object.
func (r *yamlReader) loc(n ast.Node) Loc {
	tk := nodeToken(n)
	switch v := n.(type) {
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 && v.Values[0] != nil && v.Values[0].Key != nil {
			tk = v.Values[0].Key.GetToken()
		}
	case *ast.MappingValueNode:
		if v.Key != nil {
			tk = v.Key.GetToken()
		}
	}
	return r.tokenLoc(tk)
}

func (r *yamlReader) docLoc(doc *ast.DocumentNode) Loc {
	if doc.Start != nil {
		return r.tokenLoc(doc.Start)
	}
	return r.loc(doc.Body)
}

func isNull(n ast.Node) bool {
	switch n.(type) {
	case nil, *ast.NullNode:
		return true
	}
	return false
}

// scalarText returns the text of a scalar as written, so that a string
// field given as `1.10` or `yes` keeps exactly that text.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// describe names a value's type (and a short form of a scalar) for errors.
func describe(n ast.Node) string {
	s, _ := scalarText(n)
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "string " + short(s)
	case *ast.IntegerNode:
		return "integer " + s
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "number " + s
	case *ast.BoolNode:
		return "boolean " + s
	}
	return "a " + n.Type().YAMLName()
}

// short quotes s, cut to a length that fits in an error message.
func short(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return strconv.Quote(s)
}

// entry is one key/value pair of a mapping.
type entry struct {
	key   string
	keyAt ast.Node
	value ast.Node
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// mapping returns the pairs of n if it is a mapping, after resolving it. A
// null n is an empty mapping; anything else is reported as what.
func (r *yamlReader) mapping(what string, n ast.Node) ([]entry, bool) {
	v, _ := r.resolve(n)
	if isNull(v) {
		return nil, true
	}
	m, ok := v.(*ast.MappingNode)
	if !ok {
		if mv, isMV := v.(*ast.MappingValueNode); isMV {
			m, ok = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}, true
		}
	}
	if !ok {
		r.errorf(n, "%s: expected a mapping, got %s", what, describe(v))
		return nil, false
	}
	return r.entries(m, 0), true
}

// entries returns the pairs of m in order with merge keys (<<) expanded:
// a key written in m wins over a merged one, and an earlier merged mapping
// over a later one, as the YAML merge key type says.
func (r *yamlReader) entries(m *ast.MappingNode, depth int) []entry {
	var own, merged []entry
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil || !r.charge(1, mv) {
			continue
		}
		if mv.Key.IsMergeKey() {
			merged = append(merged, r.merge(mv.Value, depth)...)
			continue
		}
		k, _ := r.resolve(mv.Key)
		if mk, ok := k.(*ast.MappingKeyNode); ok { // "? key"
			k, _ = r.resolve(mk.Value)
		}
		key, ok := scalarText(k)
		if !ok {
			r.errorf(mv.Key, "mapping keys must be strings, not %s", describe(k))
			continue
		}
		own = append(own, entry{key: key, keyAt: mv.Key, value: mv.Value})
	}
	if len(merged) == 0 {
		return own
	}
	seen := make(map[string]bool, len(own)+len(merged))
	for _, e := range own {
		seen[e.key] = true
	}
	for _, e := range merged {
		if !seen[e.key] {
			seen[e.key] = true
			own = append(own, e)
		}
	}
	return own
}

func (r *yamlReader) merge(n ast.Node, depth int) []entry {
	if depth >= maxDepth {
		r.errorf(n, "merge keys (<<) nested more than %d deep", maxDepth)
		return nil
	}
	v, _ := r.resolve(n)
	switch v := v.(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.MappingNode:
		return r.entries(v, depth+1)
	case *ast.SequenceNode:
		var out []entry
		for _, item := range v.Values {
			iv, _ := r.resolve(item)
			m, ok := iv.(*ast.MappingNode)
			if !ok {
				if !isNull(iv) || !r.stopped {
					r.errorf(item, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(iv))
				}
				continue
			}
			out = append(out, r.entries(m, depth+1)...)
		}
		return out
	}
	r.errorf(n, "a merge key (<<) takes a mapping or a list of mappings, not %s", describe(v))
	return nil
}

// text returns n as a string: a scalar as written, or "" for null.
func (r *yamlReader) text(what string, n ast.Node) (string, bool) {
	v, _ := r.resolve(n)
	if isNull(v) {
		return "", true
	}
	s, ok := scalarText(v)
	if !ok {
		r.errorf(n, "%s: expected a string, got %s", what, describe(v))
	}
	return s, ok
}

// integer returns n as an int, 0 for null. The range is for Validate to
// judge; only values that do not fit an int32 are refused here.
func (r *yamlReader) integer(what string, n ast.Node) (int, bool) {
	v, tag := r.resolve(n)
	if isNull(v) {
		return 0, true
	}
	iv, ok := v.(*ast.IntegerNode)
	if !ok || (tag != "" && tag != "!!int") {
		r.errorf(n, "%s: expected an integer, got %s", what, describe(v))
		return 0, false
	}
	var x int64
	switch val := iv.Value.(type) {
	case int64:
		x = val
	case uint64:
		x = math.MaxInt64
		if val < math.MaxInt64 {
			x = int64(val)
		}
	}
	if x < math.MinInt32 || x > math.MaxInt32 {
		s, _ := scalarText(v)
		r.errorf(n, "%s: %s is out of range", what, s)
		return 0, false
	}
	return int(x), true
}

// located is a string with where it was written.
type located struct {
	s   string
	loc Loc
}

// strings returns n as a list of strings, nil for null.
func (r *yamlReader) strings(what string, n ast.Node) ([]located, bool) {
	v, _ := r.resolve(n)
	if isNull(v) {
		return nil, true
	}
	seq, ok := v.(*ast.SequenceNode)
	if !ok {
		r.errorf(n, "%s: expected a list of strings, got %s", what, describe(v))
		return nil, false
	}
	out := make([]located, 0, len(seq.Values))
	for i, item := range seq.Values {
		iv, _ := r.resolve(item)
		s, ok := scalarText(iv)
		if !ok {
			if r.stopped {
				return nil, false
			}
			r.errorf(item, "%s[%d]: expected a string, got %s", what, i, describe(iv))
			continue
		}
		out = append(out, located{s: s, loc: r.loc(item)})
	}
	return out, true
}

func texts(ls []located) []string {
	if ls == nil {
		return nil
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.s
	}
	return out
}

// readCatalog reads the sections of a palisade.yaml document into d.
func (r *yamlReader) readCatalog(d *Document, body ast.Node) {
	if v, _ := r.resolve(body); !isNull(v) && !isMapping(v) {
		r.errorf(body, "expected a mapping of sections (%s), got %s", sectionNames(), describe(v))
		return
	}
	top, _ := r.mapping("catalog", body)
	for _, e := range top {
		kind, known := sections[e.key]
		switch {
		case !known:
			r.errorf(e.keyAt, "unknown section %q (expected %s)", e.key, sectionNames())
			continue
		case kind == "":
			// Another capability's section: keep it for its owner.
			if d.Sections == nil {
				d.Sections = map[string]*Node{}
			}
			d.Sections[e.key] = r.node(e.value, 0)
			continue
		}
		v, _ := r.resolve(e.value)
		if isNull(v) {
			continue
		}
		seq, ok := v.(*ast.SequenceNode)
		if !ok {
			r.errorf(e.value, "%s: expected a list of %ss, got %s", e.key, kindWord[kind], describe(v))
			continue
		}
		for _, item := range seq.Values {
			if o, ok := r.object(kind, item); ok {
				d.addObject(o)
			}
			if r.stopped {
				return
			}
		}
	}
}

func (r *yamlReader) object(kind string, n ast.Node) (object, bool) {
	entries, ok := r.mapping(kindWord[kind], n)
	if !ok {
		return object{}, false
	}
	o := object{kind: kind, loc: r.loc(n), fields: map[string]field{}}
	schema := objectFields[kind]
	for _, e := range entries {
		typ, known := schema[e.key]
		if !known {
			r.errorf(e.keyAt, "unknown field %q in %s", e.key, kindWord[kind])
			continue
		}
		f := field{loc: r.loc(e.value)}
		if isNull(e.value) {
			f.loc = r.loc(e.keyAt) // an empty value has no place of its own
		}
		switch typ {
		case textField:
			f.text, ok = r.text(e.key, e.value)
		case intField:
			f.num, ok = r.integer(e.key, e.value)
		case listField:
			var ls []located
			ls, ok = r.strings(e.key, e.value)
			f.list = texts(ls)
		}
		if ok {
			o.fields[e.key] = f
		}
	}
	return o, true
}
