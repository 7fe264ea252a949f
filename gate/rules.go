package gate

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// Limits on custom rules. They keep one palisade.yaml from making every
// gate decision slow: a decision runs in a CI job's critical path and on the
// API server.
const (
	// MaxRules is the most rules one policy may have.
	MaxRules = 100
	// MaxExpressionLen is the longest `when`, in bytes.
	MaxExpressionLen = 2048
	// MaxMessageLen is the longest rule message, in bytes.
	MaxMessageLen = 1024
	// MaxNodes is the most syntax nodes one expression may parse into.
	MaxNodes = 1000
	// StepBudget is the work one rule may do in one evaluation, in
	// steps: a loop (all, any, count, filter, map, ...) costs, for each
	// element, one step plus one per syntax node of its predicate; an
	// aggregate (sum, max, ...) or `in` costs a step per element, and
	// lower, upper and trim a step per 8 bytes of their string. It bounds
	// nested loops, which MaxNodes cannot: three nested loops over 100
	// findings are one line of YAML and a million iterations. A step
	// costs at most about 0.1µs, so a rule runs at most about 0.1s.
	StepBudget = 1_000_000
	// PolicyStepBudget is the work all the rules of one decision may do
	// together; the rules after it is spent fail closed.
	PolicyStepBudget = 10 * StepBudget
	// memoryBudget bounds what the expr VM allocates for array and map
	// literals in one evaluation.
	memoryBudget = 100_000
)

// Rule is a custom rule of a policy: when its `when` expression holds, the
// change gets Outcome with Message.
type Rule struct {
	Name string `json:"name"`
	When string `json:"when"`
	// Outcome is fail or warn.
	Outcome string `json:"outcome"`
	// Message is the reason shown when the rule holds; empty means one is
	// made from the name and the expression.
	Message string `json:"message,omitempty"`
	// Loc is where the `when` is written, for errors.
	Loc catalog.Loc `json:"loc"`

	program *vm.Program
}

// ruleName is what a rule name may look like: it appears in reasons,
// reports and logs, so it stays one plain word.
var ruleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// reservedRules name the reasons Decide adds itself; a custom rule with
// one of these names would be confused with them.
var reservedRules = []string{ruleMissingData, ruleSecurityFix, ruleNotCounted}

// allowedBuiltins are the expr builtins rules may call. Everything else is
// off: builtins that build strings or lists of any size (repeat, join,
// replace, split, concat, flatten, sort, groupBy, reduce, toJSON, ...),
// that read the clock (now, date, duration), whose result depends on map
// order (keys, values), or that format whole structures (string).
var allowedBuiltins = []string{
	"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
	"count", "sum", "max", "min", "mean", "len", "first", "last",
	"abs", "ceil", "floor", "round", "int", "float",
	"lower", "upper", "trim", "trimPrefix", "trimSuffix", "hasPrefix", "hasSuffix", "indexOf", "lastIndexOf",
}

// consumers are the builtins whose first argument they walk element by
// element; the argument is charged its length.
var consumers = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true, "find": true,
	"findIndex": true, "findLast": true, "findLastIndex": true, "count": true, "sum": true,
	"max": true, "min": true, "mean": true,
}

// copiers are the builtins that copy their first argument, a string.
var copiers = map[string]bool{"lower": true, "upper": true, "trim": true, "trimPrefix": true, "trimSuffix": true}

// chargeFunc is the function compile wraps around every collection a rule
// walks. Its name cannot be written in an expression (the lexer reads no
// '%'), so only the compiler's patch calls it.
const chargeFunc = "%charge"

// charge is chargeFunc(env, v, weight): it adds weight steps per element of
// v to the steps of env and fails the evaluation once the budget is spent,
// then returns v unchanged.
func charge(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, errors.New("internal error: charge takes three arguments")
	}
	e, ok := args[0].(*Env)
	weight, ok2 := args[2].(int)
	if !ok || !ok2 {
		return nil, errors.New("internal error: rule evaluated without its environment")
	}
	n := 1
	switch v := reflect.ValueOf(args[1]); v.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		n = v.Len()
	case reflect.String:
		// Copying a string costs about one step per 8 bytes.
		n += v.Len() / 8
	}
	e.steps += n * weight
	if e.steps > e.limit {
		if e.limitByPolicy {
			return nil, fmt.Errorf("the policy's rules together spent their evaluation budget of %d steps", PolicyStepBudget)
		}
		return nil, fmt.Errorf("the rule spent its evaluation budget of %d steps; simplify its nested loops", StepBudget)
	}
	return args[1], nil
}

// chargeOption declares chargeFunc. Validate gives the call the type of its
// second argument, so that wrapping a collection keeps its element type and
// the type checker still catches `.severty` inside a loop.
func chargeOption(c *conf.Config) {
	c.Functions[chargeFunc] = &builtin.Function{
		Name: chargeFunc,
		Func: charge,
		Validate: func(args []reflect.Type) (reflect.Type, error) {
			if len(args) != 3 {
				return nil, errors.New("internal error: charge takes three arguments")
			}
			return args[1], nil
		},
	}
}

// patcher rewrites a rule before its final type check: it wraps what loops
// walk in chargeFunc and records the first construct rules may not use.
// expr type-checks the tree before running patchers, so node types are
// known here.
type patcher struct {
	bad *file.Error
}

func (p *patcher) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.BuiltinNode:
		if consumers[x.Name] && len(x.Arguments) > 0 && !((x.Name == "max" || x.Name == "min") && len(x.Arguments) > 1) {
			weight := 1
			for _, a := range x.Arguments[1:] {
				if pred, ok := a.(*ast.PredicateNode); ok {
					weight += countNodes(pred)
				}
			}
			wrapCharge(&x.Arguments[0], weight)
		}
		if copiers[x.Name] && len(x.Arguments) > 0 {
			wrapCharge(&x.Arguments[0], 1)
		}
	case *ast.BinaryNode:
		switch x.Operator {
		case "in", "not in":
			wrapCharge(&x.Right, 1)
		case "matches":
			// A constant pattern is compiled once with the rule; any
			// other is compiled again for every evaluation.
			if _, ok := x.Right.(*ast.StringNode); !ok {
				p.reject(x, "the pattern after matches must be a literal string")
			}
		case "..":
			p.reject(x, "ranges (..) are not allowed in gate rules")
		case "+":
			// Strings built in a loop or a chain of lets can grow
			// exponentially; deciding on a change never needs them.
			if !numeric(x.Type()) {
				p.reject(x, "'+' is allowed on numbers only in gate rules")
			}
		case "==", "!=":
			// Comparing lists or records is a deep walk the step budget
			// does not see; comparing with nil is not.
			_, leftNil := x.Left.(*ast.NilNode)
			_, rightNil := x.Right.(*ast.NilNode)
			if !leftNil && !rightNil && (composite(x.Left.Type()) || composite(x.Right.Type())) {
				p.reject(x, "lists, maps and records cannot be compared with %s; compare their fields", x.Operator)
			}
		}
	}
}

func (p *patcher) reject(n ast.Node, format string, args ...any) {
	if p.bad == nil {
		p.bad = &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	}
}

// countNodes is the number of syntax nodes under n, n included.
func countNodes(n ast.Node) int {
	c := &nodeCounter{}
	ast.Walk(&n, c)
	return c.n
}

type nodeCounter struct{ n int }

func (c *nodeCounter) Visit(*ast.Node) { c.n++ }

// wrapCharge replaces *n with chargeFunc($env, *n, weight). Literals are
// left alone: their size is bounded by MaxNodes, and expr turns
// `x in [...]` on constants into a set lookup only while the list is a
// literal.
func wrapCharge(n *ast.Node, weight int) {
	switch (*n).(type) {
	case *ast.ArrayNode, *ast.MapNode, *ast.ConstantNode, *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
		return
	}
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: chargeFunc}, Arguments: []ast.Node{&ast.IdentifierNode{Value: "$env"}, *n, &ast.IntegerNode{Value: weight}}}
	call.SetLocation((*n).Location())
	*n = call
}

func numeric(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func composite(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Pointer:
		return true
	}
	return false
}

// compileOptions are the expr options every rule is compiled with.
func compileOptions(p *patcher) []expr.Option {
	opts := []expr.Option{
		expr.Env(&Env{}),
		expr.AsBool(),
		expr.MaxNodes(MaxNodes),
		expr.DisableAllBuiltins(),
	}
	for _, b := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return append(opts, chargeOption, expr.Patch(p))
}

// typeNames turns Go type names in expr's messages into the words
// docs/gate.md uses.
var typeNames = strings.NewReplacer("*gate.Env", "the rule's variables", "gate.Env", "the rule's variables",
	"gate.Finding", "finding", "gate.SLO", "slo", "gate.Counts", "counts")

// exprMessage is expr's error as one line with the position in the
// expression (line:column, 1-based), without the multi-line snippet.
func exprMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Snippet != "" || fe.Line > 0 {
			msg = fmt.Sprintf("%s (at %d:%d of the expression)", msg, fe.Line, fe.Column+1)
		}
		return typeNames.Replace(msg)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return typeNames.Replace(first)
}

// nameProblem says what is wrong with a rule name, or "".
func nameProblem(name string) string {
	switch {
	case !ruleName.MatchString(name):
		return fmt.Sprintf("rule name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	case containsString(reservedRules, name):
		return fmt.Sprintf("rule name %q is reserved for the gate's own reasons", name)
	}
	return ""
}

// compile checks r and compiles its expression. Errors are EINVALID and
// located at r.Loc.
func (r *Rule) compile() error {
	at := r.Loc.String()
	fail := func(format string, args ...any) error {
		return palisade.FieldErrorf(palisade.EINVALID, at, "rule %q: "+format, append([]any{r.Name}, args...)...)
	}
	if msg := nameProblem(r.Name); msg != "" {
		return palisade.FieldErrorf(palisade.EINVALID, at, "%s", msg)
	}
	switch {
	case r.Outcome != Fail && r.Outcome != Warn:
		return fail("outcome %q: use fail or warn", r.Outcome)
	case strings.TrimSpace(r.When) == "":
		return fail("when is required")
	case len(r.When) > MaxExpressionLen:
		return fail("when is %d bytes long; the limit is %d", len(r.When), MaxExpressionLen)
	case len(r.Message) > MaxMessageLen:
		return fail("message is %d bytes long; the limit is %d", len(r.Message), MaxMessageLen)
	}
	p := &patcher{}
	prog, err := expr.Compile(r.When, compileOptions(p)...)
	if err != nil {
		return fail("when: %s", exprMessage(err))
	}
	if p.bad != nil {
		return fail("when: %s", exprMessage(p.bad.Bind(file.NewSource(r.When))))
	}
	r.program = prog
	return nil
}

// eval runs r over e. An error means the rule could not decide.
func (r *Rule) eval(e *Env) (bool, error) {
	if r.program == nil {
		return false, errors.New("the rule was not compiled")
	}
	// The rule may spend its own budget, but no more than what the
	// decision has left.
	left := max(0, PolicyStepBudget-e.steps)
	e.limit, e.limitByPolicy = e.steps+min(StepBudget, left), left < StepBudget
	machine := vm.VM{MemoryBudget: memoryBudget}
	out, err := machine.Run(r.program, e)
	if err != nil {
		return false, errors.New(exprMessage(err))
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("the expression gave %T, not true or false", out)
	}
	return b, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
