package catalog

import (
	"errors"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
	"github.com/palisade-project/palisade"
)

// dropEmptyDocuments removes document markers that only delimit an empty
// document ("---" right after "---"): goccy's parser (v1.19.2) silently
// drops everything after such a pair. An empty document declares nothing,
// so removing it changes no meaning.
func dropEmptyDocuments(tks token.Tokens) token.Tokens {
	marker := func(t *token.Token) bool {
		return t.Type == token.DocumentHeaderType || t.Type == token.DocumentEndType
	}
	// drop reports whether t repeats the marker before it; "..." then "---"
	// is the normal end of one document and start of the next.
	drop := func(last, t *token.Token) bool {
		return last != nil && marker(last) && marker(t) && !(last.Type == token.DocumentEndType && t.Type == token.DocumentHeaderType)
	}
	var last *token.Token
	dropping := false
	for _, t := range tks {
		if t.Type == token.CommentType {
			continue
		}
		if drop(last, t) {
			dropping = true
			break
		}
		last = t
	}
	if !dropping {
		return tks
	}
	out := make(token.Tokens, 0, len(tks))
	last = nil
	for _, t := range tks {
		if t.Type != token.CommentType {
			if drop(last, t) {
				continue
			}
			last = t
		}
		out.Add(t) // relinks Prev and Next
	}
	out[len(out)-1].Next = nil
	return out
}

// lostContent returns the last token with content when the parsed tree
// does not reach its line: a check, by line, that the parser kept the whole
// input. A catalog read with services silently missing would be worse than
// one refused.
func lostContent(tks token.Tokens, f *ast.File) *token.Token {
	var last *token.Token
	for _, t := range tks {
		switch t.Type {
		case token.CommentType, token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType,
			token.SequenceEntryType, token.MappingKeyType, token.MappingValueType, token.CollectEntryType,
			token.SequenceEndType, token.MappingEndType:
			continue // punctuation, not necessarily a node's token
		}
		if t.Position != nil && (last == nil || t.Position.Line > last.Position.Line) {
			last = t
		}
	}
	if last == nil {
		return nil
	}
	for _, doc := range f.Docs {
		if doc != nil && maxLine(doc.Body, 0) >= last.Position.Line {
			return nil
		}
	}
	return last
}

// nodeToken returns the token of n, nil for none.
func nodeToken(n ast.Node) *token.Token {
	switch v := n.(type) {
	case nil:
		return nil
	case *ast.DocumentNode: // GetToken panics on a document without a body
		return v.Start
	}
	return n.GetToken()
}

// children returns the nodes directly under n.
func children(n ast.Node) []ast.Node {
	switch v := n.(type) {
	case *ast.MappingNode:
		out := make([]ast.Node, 0, len(v.Values))
		for _, mv := range v.Values {
			if mv != nil {
				out = append(out, mv)
			}
		}
		return out
	case *ast.MappingValueNode:
		return []ast.Node{v.Key, v.Value}
	case *ast.MappingKeyNode:
		return []ast.Node{v.Value}
	case *ast.SequenceNode:
		return v.Values
	case *ast.TagNode:
		return []ast.Node{v.Value}
	case *ast.AnchorNode:
		return []ast.Node{v.Name, v.Value}
	case *ast.AliasNode:
		return []ast.Node{v.Value}
	case *ast.LiteralNode:
		if v.Value != nil {
			return []ast.Node{v.Value}
		}
	}
	return nil
}

// maxLine returns the last line on which a node of the tree n starts.
func maxLine(n ast.Node, depth int) int {
	line := 0
	if tk := nodeToken(n); tk != nil && tk.Position != nil {
		line = tk.Position.Line
	}
	if depth > 4*maxDepth {
		return line // checkParseCost keeps real nesting far below this
	}
	for _, c := range children(n) {
		line = max(line, maxLine(c, depth+1))
	}
	return line
}

// syntaxError turns a goccy error into ours. Its Error method is not used:
// it renders the source around the problem, which is slow on large input
// and repeats what the location already says.
func (r *yamlReader) syntaxError(err error) *palisade.Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		return locError(r.tokenLoc(ye.GetToken()), "invalid YAML: %s", ye.GetMessage())
	}
	return locError(Loc{File: r.file}, "invalid YAML: %v", err)
}

func (r *yamlReader) tokenLoc(tk *token.Token) Loc {
	l := Loc{File: r.file}
	if tk != nil && tk.Position != nil {
		l.Line, l.Col = tk.Position.Line, tk.Position.Column
	}
	return l
}

type blockLevel struct {
	col, path int
	key       bool
}

type flowLevel struct {
	base, path int
	mapping    bool
}

// indexLen is what a list index adds to a node's path ("[123]").
const indexLen = 8

// checkParseCost estimates, in one pass over the tokens, the work goccy's
// parser will do, and refuses input for which it is out of proportion to the
// size. Three costs are not visible in the size: the parser stores in every
// node a copy of its full path ($.a.b[3].c), so a long key above many nodes
// costs their product; it inserts a token into the document's token slice
// for every empty value ("key:" with nothing after it), which is quadratic;
// and it recurses as deep as the nesting. The estimate follows indentation
// and brackets closely enough to over-count a little, never much.
func (r *yamlReader) checkParseCost(all token.Tokens, size int) *palisade.Error {
	tks := make([]*token.Token, 0, len(all))
	for _, t := range all {
		if t != nil && t.Type != token.CommentType && t.Position != nil {
			tks = append(tks, t)
		}
	}
	budget := parseCostPerByte*size + 1<<20
	var (
		block                 []blockLevel
		flow                  []flowLevel
		cost, nullCost        int
		nulls                 int // empty values in the file
		nullCount, nullIdxSum int // empty values in the current document
		prev                  *token.Token
	)
	boundary := func(t *token.Token) bool {
		return t == nil || t.Type == token.DocumentHeaderType || t.Type == token.DocumentEndType
	}
	// path is the length of the path the parser gives the current node.
	path := func() int {
		if len(flow) > 0 {
			return flow[len(flow)-1].path
		}
		if len(block) > 0 {
			return block[len(block)-1].path
		}
		return 1
	}
	// start opens a block-level node at col: it closes the nodes at deeper
	// or equal columns, except that a list may sit at its key's column.
	start := func(col, add int, key, seq bool) {
		for len(block) > 0 {
			top := block[len(block)-1]
			if top.col < col || (top.col == col && seq && top.key) {
				break
			}
			block = block[:len(block)-1]
		}
		block = append(block, blockLevel{col: col, path: path() + add, key: key})
	}
	// Every empty value costs a move of the rest of its document's tokens.
	endDoc := func(end int) {
		nullCost += nullCount*end - nullIdxSum
		nullCount, nullIdxSum = 0, 0
	}
	null := func(i int) { nulls++; nullCount++; nullIdxSum += i }
	for i, t := range tks {
		var next *token.Token
		if i+1 < len(tks) {
			next = tks[i+1]
		}
		switch t.Type {
		case token.DocumentHeaderType, token.DocumentEndType:
			endDoc(i)
			block, flow = block[:0], flow[:0]
		case token.SequenceStartType, token.MappingStartType:
			base := path()
			if t.Type == token.SequenceStartType {
				base += indexLen
			}
			flow = append(flow, flowLevel{base: base, path: base, mapping: t.Type == token.MappingStartType})
		case token.SequenceEndType, token.MappingEndType:
			if len(flow) > 0 {
				flow = flow[:len(flow)-1]
			}
		case token.CollectEntryType:
			if len(flow) > 0 {
				flow[len(flow)-1].path = flow[len(flow)-1].base
			}
		case token.MappingValueType:
			switch {
			case boundary(next):
				null(i)
			case len(flow) > 0:
				if next.Type == token.CollectEntryType || next.Type == token.MappingEndType || next.Type == token.SequenceEndType {
					null(i)
				}
			case next.Position.Line > t.Position.Line:
				keyCol := t.Position.Column
				if prev != nil && prev.Position.Line == t.Position.Line {
					keyCol = prev.Position.Column
				}
				if next.Position.Column < keyCol || (next.Position.Column == keyCol && next.Type != token.SequenceEntryType) {
					null(i)
				}
			}
		case token.SequenceEntryType:
			if len(flow) == 0 {
				start(t.Position.Column, indexLen, false, true)
			}
			if boundary(next) || (next.Position.Line > t.Position.Line && next.Position.Column <= t.Position.Column) {
				null(i)
			}
		case token.MappingKeyType:
			if len(flow) == 0 {
				start(t.Position.Column, indexLen, false, false)
			}
		default:
			switch {
			case next != nil && next.Type == token.MappingValueType:
				add := len(t.Value) + 3
				if len(flow) > 0 {
					flow[len(flow)-1].path = flow[len(flow)-1].base + add
				} else {
					start(t.Position.Column, add, true, false)
				}
			case len(flow) > 0 && flow[len(flow)-1].mapping && prev != nil &&
				(prev.Type == token.MappingStartType || prev.Type == token.CollectEntryType) &&
				next != nil && (next.Type == token.CollectEntryType || next.Type == token.MappingEndType):
				null(i) // a key without a value in a flow mapping: {a, b}
			}
		}
		if len(block)+len(flow) > maxDepth {
			return locError(r.tokenLoc(t), "nested more than %d levels deep", maxDepth)
		}
		if cost += path(); cost > budget {
			return palisade.FieldErrorf(palisade.ETOOLARGE, r.tokenLoc(t).String(), "too complex to read safely: deep nesting under long keys")
		}
		prev = t
	}
	endDoc(len(tks))
	if nullCost > maxNullCostPerByte*size+maxNullCost {
		return palisade.FieldErrorf(palisade.ETOOLARGE, r.file, "too many empty values (%d) to read safely; write them out (null, [] or \"\") or remove the keys", nulls)
	}
	return nil
}
