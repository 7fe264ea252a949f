package incident

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident/intake"
)

// Signal is an alert event as the intake hands it over, whatever sent it.
type Signal = intake.Alert

// Actions of a Signal.
const (
	ActionTrigger     = intake.ActionTrigger
	ActionAcknowledge = intake.ActionAcknowledge
	ActionResolve     = intake.ActionResolve
)

// normalize fills the service from the service label, defaults the action
// and checks the signal (the intake parsers return valid ones; internal
// sources are checked here).
func normalize(s *Signal) error {
	if s.Action == "" {
		s.Action = ActionTrigger
	}
	if s.Kind == "" {
		s.Kind = intake.KindInternal
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	if s.Service == "" {
		s.Service = s.Labels["service"]
	}
	return s.Validate()
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Incident decisions of a route.
const (
	RouteOpen = "open" // open an incident, or join the one this alert already belongs to
	RouteJoin = "join" // join an open incident of the same service and kind, or open one
	RouteNone = "none" // record and show the alert, no incident
)

// Route is what a rule decides for an alert.
type Route struct {
	Rule       string   `json:"rule"`
	Incident   string   `json:"incident"` // open, join or none
	Severity   string   `json:"severity"`
	Kind       string   `json:"kind"`
	Team       string   `json:"team,omitempty"`
	Service    string   `json:"service,omitempty"`
	Restricted bool     `json:"restricted,omitempty"`
	Notify     []string `json:"notify"`
}

// Rule is one routing rule from palisade.yaml.
type Rule struct {
	Name string `json:"name"`
	When string `json:"when"`
	Route
	program *vm.Program
	loc     catalog.Loc
}

// Env is what routing expressions see.
type Env struct {
	Source      string            `expr:"source"`
	Kind        string            `expr:"kind"`
	Action      string            `expr:"action"`
	Summary     string            `expr:"summary"`
	Severity    string            `expr:"severity"`
	Service     string            `expr:"service"`
	Labels      map[string]string `expr:"labels"`
	Annotations map[string]string `expr:"annotations"`
}

// Routing limits.
const (
	MaxRules    = 200
	MaxWhenLen  = 1024
	maxRuleNode = 500
)

func compileWhen(when string) (*vm.Program, error) {
	if len(when) > MaxWhenLen {
		return nil, fmt.Errorf("expression is longer than %d characters", MaxWhenLen)
	}
	return expr.Compile(when, expr.Env(Env{}), expr.AsBool(), expr.MaxNodes(maxRuleNode))
}

// Router decides routes.
type Router struct {
	rules []Rule
	sevs  []Severity
}

// NewRouter returns a router with rules (first match wins) over the
// severity scale.
func NewRouter(rules []Rule, sevs []Severity) *Router { return &Router{rules: rules, sevs: sevs} }

// DefaultRoute is the route when no rule matches: a firing alert labelled
// severity critical or page (or a PagerDuty-style critical event) opens a
// SEV2 incident on the service its service label names; other alerts are
// recorded and shown, not paged.
func DefaultRoute(s *Signal) Route {
	sev := strings.ToLower(s.Labels["severity"])
	if sev == "" {
		sev = strings.ToLower(s.Severity)
	}
	r := Route{Rule: "default", Incident: RouteNone, Kind: KindReliability, Severity: "SEV2", Service: s.Service, Notify: []string{}}
	if sev == "critical" || sev == "page" {
		r.Incident = RouteOpen
	}
	if strings.EqualFold(s.Labels["kind"], KindSecurity) || s.Kind == "internal" {
		r.Kind = KindSecurity
	}
	return r
}

// Decide returns the route for s: the first rule whose expression holds,
// or DefaultRoute. A rule whose expression fails to evaluate is skipped
// and reported in the returned warnings.
func (r *Router) Decide(s *Signal) (Route, []string) {
	env := Env{Source: s.Source, Kind: s.Kind, Action: s.Action, Summary: s.Summary, Severity: s.Severity, Service: s.Service,
		Labels: orEmpty(s.Labels), Annotations: orEmpty(s.Annotations)}
	var warnings []string
	for _, rule := range r.rules {
		out, err := expr.Run(rule.program, env)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("routing rule %s: %v", rule.Name, err))
			continue
		}
		if ok, _ := out.(bool); ok {
			rt := rule.Route
			rt.Rule = rule.Name
			rt.Service = expand(rt.Service, s)
			rt.Team = expand(rt.Team, s)
			if rt.Service == "" {
				rt.Service = s.Service
			}
			if rt.Notify == nil {
				rt.Notify = []string{}
			}
			return rt, warnings
		}
	}
	return DefaultRoute(s), warnings
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

var labelRef = regexp.MustCompile(`\$\{labels\.([A-Za-z0-9_]+)\}`)

// expand replaces ${labels.NAME} with the alert's label.
func expand(tmpl string, s *Signal) string {
	return labelRef.ReplaceAllStringFunc(tmpl, func(m string) string {
		return s.Labels[labelRef.FindStringSubmatch(m)[1]]
	})
}

// Config is the incident section of palisade.yaml.
type Config struct {
	Severities []Severity
	Rules      []Rule
	Sources    []Source
}

// ConfigFromSections decodes the severities and routing sections:
//
//	severities:
//	  - {name: SEV1, title: Critical, description: ...}
//	routing:
//	  - name: security-pages
//	    when: 'labels.team == "security" && severity in ["critical", "page"]'
//	    incident: open          # open | join | none
//	    severity: SEV1
//	    kind: security
//	    service: '${labels.service}'
//	    team: security-team
//	    restricted: true
//	    notify: [slack-security, pagerduty-security]
//
// Errors point at file:line:col.
func ConfigFromSections(sevNode, routing *catalog.Node) (*Config, error) {
	c := &Config{Severities: DefaultSeverities()}
	if sevNode != nil && sevNode.Kind != catalog.NullNode {
		if sevNode.Kind != catalog.ListNode || len(sevNode.List) == 0 {
			return nil, sevNode.Errorf("severities: expected a list of levels, most severe first")
		}
		c.Severities = nil
		for _, n := range sevNode.List {
			f, err := n.Fields("severity", "name", "title", "description")
			if err != nil {
				return nil, err
			}
			var s Severity
			for key, dst := range map[string]*string{"name": &s.Name, "title": &s.Title, "description": &s.Description} {
				if v, ok := f[key]; ok {
					if *dst, err = v.String(key); err != nil {
						return nil, err
					}
				}
			}
			if !regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`).MatchString(s.Name) {
				return nil, n.Errorf("severity name %q: 1-16 letters, digits, '_' or '-'", s.Name)
			}
			if slices.ContainsFunc(c.Severities, func(x Severity) bool { return x.Name == s.Name }) {
				return nil, n.Errorf("duplicate severity %q", s.Name)
			}
			c.Severities = append(c.Severities, s)
		}
	}
	if routing == nil || routing.Kind == catalog.NullNode {
		return c, nil
	}
	if routing.Kind != catalog.ListNode {
		return nil, routing.Errorf("routing: expected a list of rules")
	}
	if len(routing.List) > MaxRules {
		return nil, routing.Errorf("routing: at most %d rules", MaxRules)
	}
	names := map[string]bool{}
	for _, n := range routing.List {
		rule, err := ruleFrom(n, c.Severities)
		if err != nil {
			return nil, err
		}
		if names[rule.Name] {
			return nil, n.Errorf("duplicate routing rule %q", rule.Name)
		}
		names[rule.Name] = true
		c.Rules = append(c.Rules, rule)
	}
	return c, nil
}

func ruleFrom(n *catalog.Node, sevs []Severity) (Rule, error) {
	f, err := n.Fields("routing rule", "name", "when", "incident", "severity", "kind", "service", "team", "restricted", "notify")
	if err != nil {
		return Rule{}, err
	}
	r := Rule{Route: Route{Incident: RouteOpen, Kind: KindReliability, Severity: "SEV2", Notify: []string{}}, loc: n.Loc}
	text := map[string]*string{"name": &r.Name, "when": &r.When, "incident": &r.Incident, "severity": &r.Severity, "kind": &r.Kind, "service": &r.Service, "team": &r.Team}
	for key, dst := range text {
		if v, ok := f[key]; ok {
			if *dst, err = v.String(key); err != nil {
				return r, err
			}
		}
	}
	if r.Name == "" || r.When == "" {
		return r, n.Errorf("a routing rule needs a name and a when expression")
	}
	if v, ok := f["restricted"]; ok {
		if r.Restricted, err = v.Bool("restricted"); err != nil {
			return r, err
		}
	}
	if v, ok := f["notify"]; ok {
		if v.Kind != catalog.ListNode {
			return r, v.Errorf("notify: expected a list of notifier names")
		}
		for _, x := range v.List {
			s, err := x.String("notify")
			if err != nil {
				return r, err
			}
			r.Notify = append(r.Notify, s)
		}
	}
	at := func(key string) *catalog.Node {
		if v, ok := f[key]; ok {
			return v
		}
		return n
	}
	switch {
	case r.Incident != RouteOpen && r.Incident != RouteJoin && r.Incident != RouteNone:
		return r, at("incident").Errorf("incident %q: use open, join or none", r.Incident)
	case r.Kind != KindSecurity && r.Kind != KindReliability:
		return r, at("kind").Errorf("kind %q: use security or reliability", r.Kind)
	case !slices.ContainsFunc(sevs, func(s Severity) bool { return s.Name == r.Severity }):
		return r, at("severity").Errorf("unknown severity %q: use %s", r.Severity, sevNames(sevs))
	case r.Restricted && r.Kind != KindSecurity:
		return r, at("restricted").Errorf("restricted: only security incidents can be restricted; add kind: security")
	}
	if r.program, err = compileWhen(r.When); err != nil {
		return r, at("when").Errorf("when: %v", err)
	}
	return r, nil
}
