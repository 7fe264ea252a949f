package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/palisade-project/palisade"
)

// MaxFileSize is the largest input, in bytes, that ParseYAML, ParseJSON and
// the Backstage readers accept (per file): 16 MiB. Larger input fails with
// palisade.ETOOLARGE before it is parsed.
const MaxFileSize = 16 << 20

// sections maps each top-level key of palisade.yaml to the kind of object
// its list declares. The file is shared by every capability: when another
// one gives it a section (slos, experiments, ...), that key is added here
// with kind "" so that this parser accepts it and leaves it to its owner.
// Any key not listed is an error, so that a misspelt section is reported
// instead of silently declaring nothing.
var sections = map[string]string{
	"teams":        KindTeam,
	"services":     KindService,
	"thirdParties": KindThirdParty,
}

// sectionNames returns the keys of sections for error messages.
func sectionNames() string {
	var names []string
	for k := range sections {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

type fieldType uint8

const (
	textField fieldType = iota // a string
	intField                   // an integer
	listField                  // a list of strings
)

// objectFields lists the fields of each kind as palisade.yaml and JSON spell
// them (the json tags of Team, Service and ThirdParty); both readers check
// against it, so a field unknown here is an error in either format.
// TestObjectFieldsMatchStructs keeps it in step with the structs.
var objectFields = map[string]map[string]fieldType{
	KindTeam: {
		"name": textField, "description": textField, "members": listField,
	},
	KindService: {
		"name": textField, "description": textField, "team": textField, "tier": intField,
		"system": textField, "lifecycle": textField, "tags": listField, "dataClasses": listField,
		"dependsOn": listField, "thirdParties": listField,
	},
	KindThirdParty: {
		"name": textField, "description": textField, "website": textField, "statusPage": textField,
		"dataClasses": listField,
	},
}

// kindWord is how error messages name a kind.
var kindWord = map[string]string{KindTeam: "team", KindService: "service", KindThirdParty: "third party"}

// Guards against input that is small but expensive to read.
const (
	// maxErrors stops a read after this many problems: past it they are
	// mostly consequences of the first ones, and the list only grows.
	maxErrors = 50
	// maxDepth bounds nesting (each mapping key and list entry is a level).
	// Catalog files need fewer than 10 levels; Backstage specs a few dozen.
	maxDepth = 128
	// parseCostPerByte bounds the path bytes the YAML parser may allocate
	// per input byte (see checkParseCost). Real files need fewer than 10.
	parseCostPerByte = 32
	// maxNullCost and maxNullCostPerByte bound the token moves the YAML
	// parser makes to insert empty values (see checkParseCost): half a
	// second of work, plus about as much again as parsing itself takes.
	maxNullCost        = 100_000_000
	maxNullCostPerByte = 64
)

// ParseYAML reads a palisade.yaml file: one YAML document whose top-level
// keys are the sections (teams, services, thirdParties), each a list of
// objects whose fields are spelt as the json tags of Team, Service and
// ThirdParty. Unknown sections and fields are errors at every level.
//
// file names the input in errors and locations; data is its content. Empty
// input (or only comments) is an empty Document. The Document records the
// location of every object and field (see Document.Loc); the caller runs
// Normalize and Validate. On failure the error is a *palisade.Error, or
// palisade.Errors when there are several problems, with Field set to
// "file:line:col" and code EINVALID (ETOOLARGE for input over MaxFileSize
// or whose aliases or nesting expand beyond what its size justifies).
func ParseYAML(file string, data []byte) (*Document, error) {
	r, docs, err := parseYAMLFile(file, data)
	if err != nil {
		return nil, err
	}
	d := &Document{}
	if len(docs) > 1 {
		return nil, locError(r.docLoc(docs[1]), "a catalog file holds one YAML document; remove the '---' separator and merge the sections")
	}
	if len(docs) == 1 {
		r.readCatalog(d, docs[0].Body)
	}
	if err := errorsResult(r.errs); err != nil {
		return nil, err
	}
	return d, nil
}

// ParseJSON reads the JSON form of palisade.yaml (the API's
// application/json body): an object with the same sections and fields, with
// the same strictness. Locations and errors use "file:line:col" with the
// column counted in bytes. Empty input is an empty Document; the caller runs
// Normalize and Validate. Errors are as for ParseYAML.
func ParseJSON(file string, data []byte) (*Document, error) {
	if err := checkSize(file, data); err != nil {
		return nil, err
	}
	d := &Document{}
	if len(bytes.TrimSpace(data)) == 0 {
		return d, nil
	}
	j := newJSONReader(file, data)
	j.readCatalog(d)
	if err := errorsResult(j.errs); err != nil {
		return nil, err
	}
	return d, nil
}

func checkSize(file string, data []byte) error {
	if len(data) > MaxFileSize {
		return palisade.FieldErrorf(palisade.ETOOLARGE, file, "file is %d bytes; the limit is %d (16 MiB)", len(data), MaxFileSize)
	}
	return nil
}

func locError(l Loc, format string, args ...any) *palisade.Error {
	return palisade.FieldErrorf(palisade.EINVALID, l.String(), format, args...)
}

// errorsResult returns nil for no errors, the error itself for one (so that
// callers see a plain *palisade.Error in the common case), or the list.
func errorsResult(errs palisade.Errors) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errs
}

// field is one decoded field of an object with where it was written.
type field struct {
	text string
	num  int
	list []string
	loc  Loc
}

// object is a declared team, service or third party as read from a file,
// before it becomes its struct; both readers produce it so that the model
// is built, and locations recorded, in one place.
type object struct {
	kind   string
	loc    Loc
	fields map[string]field
}

func (d *Document) addObject(o object) {
	f := o.fields
	name := f["name"].text
	switch o.kind {
	case KindTeam:
		d.Teams = append(d.Teams, Team{Name: name, Description: f["description"].text, Members: f["members"].list})
	case KindService:
		d.Services = append(d.Services, Service{
			Name: name, Description: f["description"].text, Team: f["team"].text, Tier: f["tier"].num,
			System: f["system"].text, Lifecycle: f["lifecycle"].text, Tags: f["tags"].list,
			DataClasses: f["dataClasses"].list, DependsOn: f["dependsOn"].list, ThirdParties: f["thirdParties"].list,
		})
	case KindThirdParty:
		d.ThirdParties = append(d.ThirdParties, ThirdParty{
			Name: name, Description: f["description"].text, Website: f["website"].text,
			StatusPage: f["statusPage"].text, DataClasses: f["dataClasses"].list,
		})
	default:
		return
	}
	d.SetLoc(o.kind, name, "", o.loc)
	for k, v := range f {
		d.SetLoc(o.kind, name, k, v.loc)
	}
}

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
			continue // another capability's section
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
		case kind == "" || tok == nil:
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
