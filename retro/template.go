package retro

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// DefaultTemplateName is the name of the built-in blameless template. It is
// reserved: palisade.yaml cannot define a template with this name, so that
// "blameless" means the same thing in every installation.
const DefaultTemplateName = "blameless"

// Keys of the sections New fills from the incident. Templates that use
// these keys get the same pre-filled content.
const (
	KeySummary    = "summary"
	KeyImpact     = "impact"
	KeyTimeline   = "timeline"
	KeyDetection  = "detection"
	KeyLucky      = "where_we_got_lucky"
	KeyActionItem = actionItemsKey // its content is the action items themselves
)

// maxTemplates bounds the templates palisade.yaml may declare.
const maxTemplates = 100

// Template is the outline a retrospective starts from.
type Template struct {
	Name string `json:"name"`
	// Default marks the template used when a retrospective is started
	// without naming one; exactly one template of a set has it.
	Default  bool              `json:"default"`
	Sections []TemplateSection `json:"sections"`
}

// TemplateSection is one section of a template.
type TemplateSection struct {
	Key    string `json:"key"`
	Title  string `json:"title"`
	Prompt string `json:"prompt,omitempty"`
	// Optional sections may stay empty when the retrospective is published.
	Optional bool `json:"optional,omitempty"`
}

// DefaultTemplate returns the built-in blameless template: summary, impact,
// timeline, detection, response, contributing factors, what went well,
// what went poorly, where we got lucky (optional) and action items. The
// prompts steer authors toward systems and conditions rather than people,
// because a review that looks for someone to blame teaches people to hide
// what they know. Each call returns a new value.
func DefaultTemplate() *Template {
	return &Template{Name: DefaultTemplateName, Default: true, Sections: []TemplateSection{
		{Key: KeySummary, Title: "Summary", Prompt: "In a few sentences: what happened, what it affected and how it ended. " +
			"Write for a reader who was not there. Describe systems and conditions, not people."},
		{Key: KeyImpact, Title: "Impact", Prompt: "Who and what was affected, for how long and how badly: users, data (which classes, exposed or only at risk), " +
			"services, obligations such as breach notification or contracts. Say how each number was measured or estimated."},
		{Key: KeyTimeline, Title: "Timeline", Prompt: "What happened when, in UTC, imported from the incident's timeline. Add what came before the incident opened " +
			"(the change, the first signal), correct what is wrong and remove noise. Record what responders knew and decided at each point, " +
			"not what they could have known in hindsight."},
		{Key: KeyDetection, Title: "Detection", Prompt: "How the problem was noticed: which signal, alert or report, and how long after it began. " +
			"Which signal was missing, noisy or easy to overlook, and what in the system made it so?"},
		{Key: "response", Title: "Response", Prompt: "How the response went: the roles, how responders coordinated and communicated, " +
			"which runbooks, tools and access helped or got in the way, and how the problem was mitigated and then resolved."},
		{Key: "contributing_factors", Title: "Contributing factors", Prompt: "The conditions that together made this incident possible or worse: " +
			"technical causes, gaps in process, tooling, knowledge, time pressure. Look for several factors rather than one root cause, and ask " +
			"why the system allowed each one. People acted on what they knew at the time; explain the context, do not name a culprit."},
		{Key: "what_went_well", Title: "What went well", Prompt: "What worked and should be kept or spread: controls that held, alerts that fired, " +
			"practices and tools that helped."},
		{Key: "what_went_poorly", Title: "What went poorly", Prompt: "What made the incident longer, larger or harder: missing signals, unclear ownership, " +
			"confusing tools, slow access, gaps in runbooks. Describe the conditions, not who tripped over them."},
		{Key: KeyLucky, Title: "Where we got lucky", Optional: true, Prompt: "What went right by chance rather than by design: the near misses " +
			"that could have made this worse. Optional, but the next incident often hides here."},
		{Key: KeyActionItem, Title: "Action items", Prompt: "The changes that make a recurrence less likely or less harmful, each tracked below with " +
			"an owner and a due date. Prefer changes to systems (guards, automation, alerts, safer defaults) over reminders to be careful. " +
			"Use this text for context; if nothing needs to change, say why in the no-action-items note."},
	}}
}

// Validate checks a template: a valid name, 1..MaxSections sections with
// distinct keys, titles and prompts within their limits.
func (t *Template) Validate() error {
	if !catalog.ValidName(t.Name) {
		return palisade.FieldErrorf(palisade.EINVALID, "name", "invalid template name %.70q: use lowercase letters, digits, '.', '_' and '-' (at most %d characters)", t.Name, catalog.MaxNameLen)
	}
	if len(t.Sections) == 0 || len(t.Sections) > MaxSections {
		return palisade.FieldErrorf(palisade.EINVALID, "sections", "a template has 1 to %d sections, not %d", MaxSections, len(t.Sections))
	}
	keys := map[string]bool{}
	for i, s := range t.Sections {
		f := fmt.Sprintf("sections[%d]", i)
		if msg := templateSectionProblem(s, keys); msg != "" {
			return palisade.FieldErrorf(palisade.EINVALID, f, "%s", msg)
		}
		keys[s.Key] = true
	}
	return nil
}

func templateSectionProblem(s TemplateSection, seen map[string]bool) string {
	switch {
	case !keyRE.MatchString(s.Key):
		return fmt.Sprintf("key %.70q: use lowercase letters, digits and '_', starting with a letter (at most 63)", s.Key)
	case seen[s.Key]:
		return fmt.Sprintf("key %q is used by another section", s.Key)
	}
	if msg := lineProblem(s.Title, MaxTitle, true); msg != "" {
		return "title " + msg
	}
	if len(s.Prompt) > MaxPrompt || !utf8.ValidString(s.Prompt) {
		return fmt.Sprintf("prompt is longer than %d bytes or not UTF-8", MaxPrompt)
	}
	return ""
}

// TemplatesFromSection decodes the retrospectives section of palisade.yaml:
//
//	retrospectives:
//	  default: security
//	  templates:
//	    - name: security
//	      sections:
//	        - {key: summary, title: Summary, prompt: "What happened, in a few sentences."}
//	        - {key: lucky, title: Where we got lucky, optional: true}
//
// The result holds the built-in template (DefaultTemplateName) and every
// declared one by name; the one named by default (the built-in one when
// default is omitted) has Default set. A null section yields the built-in
// template alone. Errors are EINVALID at file:line:col.
func TemplatesFromSection(n *catalog.Node) (map[string]*Template, error) {
	builtin := DefaultTemplate()
	out := map[string]*Template{builtin.Name: builtin}
	f, err := n.Fields("retrospectives", "templates", "default", "digest")
	if err != nil {
		return nil, err
	}
	if tn, ok := f["templates"]; ok && tn.Kind != catalog.NullNode {
		if tn.Kind != catalog.ListNode {
			return nil, tn.Errorf("templates: expected a list, got %s", tn.Kind)
		}
		if len(tn.List) > maxTemplates {
			return nil, tn.Errorf("templates: %d templates; the limit is %d", len(tn.List), maxTemplates)
		}
		for i, item := range tn.List {
			t, err := templateFromNode(fmt.Sprintf("templates[%d]", i), item)
			if err != nil {
				return nil, err
			}
			if _, dup := out[t.Name]; dup {
				if t.Name == DefaultTemplateName {
					return nil, item.Errorf("templates[%d]: %q is the built-in template; give yours another name and select it with default", i, t.Name)
				}
				return nil, item.Errorf("templates[%d]: template %q is declared twice", i, t.Name)
			}
			out[t.Name] = t
		}
	}
	if dn, ok := f["default"]; ok && dn.Kind != catalog.NullNode {
		name, err := dn.String("default")
		if err != nil {
			return nil, err
		}
		t, ok := out[name]
		if !ok {
			return nil, dn.Errorf("default: no template is named %.70q (have %s)", name, strings.Join(templateNames(out), ", "))
		}
		builtin.Default = false
		t.Default = true
	}
	return out, nil
}

func templateFromNode(what string, n *catalog.Node) (*Template, error) {
	f, err := n.Fields(what, "name", "sections")
	if err != nil {
		return nil, err
	}
	if n.Kind != catalog.MapNode {
		return nil, n.Errorf("%s: expected a mapping with name and sections, got %s", what, n.Kind)
	}
	t := &Template{}
	nn, ok := f["name"]
	if !ok {
		return nil, n.Errorf("%s: name is required", what)
	}
	if t.Name, err = nn.String(what + ".name"); err != nil {
		return nil, err
	}
	if !catalog.ValidName(t.Name) {
		return nil, nn.Errorf("%s.name: invalid template name %.70q: use lowercase letters, digits, '.', '_' and '-' (at most %d characters)", what, t.Name, catalog.MaxNameLen)
	}
	sn, ok := f["sections"]
	if !ok || sn.Kind != catalog.ListNode || len(sn.List) == 0 {
		at := n
		if ok {
			at = sn
		}
		return nil, at.Errorf("%s.sections: a template needs a list of at least one section", what)
	}
	if len(sn.List) > MaxSections {
		return nil, sn.Errorf("%s.sections: %d sections; the limit is %d", what, len(sn.List), MaxSections)
	}
	keys := map[string]bool{}
	for i, item := range sn.List {
		sw := fmt.Sprintf("%s.sections[%d]", what, i)
		s, err := templateSectionFromNode(sw, item)
		if err != nil {
			return nil, err
		}
		if msg := templateSectionProblem(s, keys); msg != "" {
			return nil, item.Errorf("%s: %s", sw, msg)
		}
		keys[s.Key] = true
		t.Sections = append(t.Sections, s)
	}
	return t, nil
}

func templateSectionFromNode(what string, n *catalog.Node) (TemplateSection, error) {
	var s TemplateSection
	f, err := n.Fields(what, "key", "title", "prompt", "optional")
	if err != nil {
		return s, err
	}
	if n.Kind != catalog.MapNode {
		return s, n.Errorf("%s: expected a mapping with key and title, got %s", what, n.Kind)
	}
	for _, req := range []string{"key", "title"} {
		if _, ok := f[req]; !ok {
			return s, n.Errorf("%s: %s is required", what, req)
		}
	}
	text := func(name string, into *string) error {
		v, ok := f[name]
		if !ok {
			return nil
		}
		*into, err = v.String(what + "." + name)
		return err
	}
	for _, fld := range []struct {
		name string
		into *string
	}{{"key", &s.Key}, {"title", &s.Title}, {"prompt", &s.Prompt}} {
		if err := text(fld.name, fld.into); err != nil {
			return s, err
		}
	}
	if v, ok := f["optional"]; ok {
		if s.Optional, err = v.Bool(what + ".optional"); err != nil {
			return s, err
		}
	}
	return s, nil
}

func templateNames(m map[string]*Template) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Pick returns the template called name from templates, or the default one
// when name is empty (the built-in template when templates is empty or has
// no default). An unknown name is EINVALID on field "template".
func Pick(templates map[string]*Template, name string) (*Template, error) {
	if name == "" {
		for _, n := range templateNames(templates) {
			if templates[n].Default {
				return templates[n], nil
			}
		}
		return DefaultTemplate(), nil
	}
	if t, ok := templates[name]; ok {
		return t, nil
	}
	if name == DefaultTemplateName {
		return DefaultTemplate(), nil
	}
	return nil, palisade.FieldErrorf(palisade.EINVALID, "template", "no template is named %.70q (have %s)", name, strings.Join(templateNames(templates), ", "))
}

// IncidentSummary is what New needs to know about the incident reviewed;
// the incident capability fills it from its incident and timeline.
type IncidentSummary struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	Kind     string   `json:"kind"` // security, reliability, ...
	Services []string `json:"services"`
	// Restricted incidents are visible to their participants only; a
	// digest sent to a channel names their retrospectives by id.
	Restricted bool `json:"restricted,omitempty"`
	// ImpactStartedAt is when the problem began, when known (the first
	// alert's start); time to detect is measured from it.
	ImpactStartedAt *time.Time `json:"impactStartedAt,omitempty"`
	// OpenedAt is when the incident was opened.
	OpenedAt *time.Time `json:"openedAt,omitempty"`
	// DetectedAt is when the problem was first noticed; OpenedAt stands in
	// when it is unknown.
	DetectedAt     *time.Time      `json:"detectedAt,omitempty"`
	AcknowledgedAt *time.Time      `json:"acknowledgedAt,omitempty"`
	MitigatedAt    *time.Time      `json:"mitigatedAt,omitempty"`
	ResolvedAt     *time.Time      `json:"resolvedAt,omitempty"`
	Timeline       []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one line of the incident's timeline.
type TimelineEntry struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`  // alert, status, note, ...
	Actor string    `json:"actor"` // who or what made the entry
	Text  string    `json:"text"`
}

// New starts a draft retrospective of incident from tmpl (the built-in
// template when nil) at now. It fills what the incident already knows so
// that authors start from facts: the title, severity and services; the
// incident's kind as a tag; the timeline section as a table of the
// incident's timeline; the impact section with severity, services and
// duration; the detection section with the times to detect and acknowledge
// when they are known. The ID is left for the store to assign.
func New(tmpl *Template, incident IncidentSummary, now time.Time) *Retrospective {
	if tmpl == nil {
		tmpl = DefaultTemplate()
	}
	title := oneLine(incident.Title)
	if title == "" {
		title = "Incident " + oneLine(incident.ID)
	}
	r := &Retrospective{
		IncidentID:  incident.ID,
		Title:       truncateRunes(title, MaxTitle),
		State:       StateDraft,
		Template:    tmpl.Name,
		Severity:    incident.Severity,
		Services:    sortedSet(slices.Clone(incident.Services)),
		Tags:        []string{},
		Authors:     []string{},
		ActionItems: []ActionItem{},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if r.Services == nil {
		r.Services = []string{}
	}
	if k := strings.ToLower(strings.TrimSpace(incident.Kind)); tagRE.MatchString(k) {
		r.Tags = append(r.Tags, k)
	}
	for _, s := range tmpl.Sections {
		sec := Section{Key: s.Key, Title: s.Title, Prompt: s.Prompt, Optional: s.Optional}
		switch s.Key {
		case KeyTimeline:
			sec.Body = timelineTable(incident.Timeline)
		case KeyImpact:
			sec.Body = impactFacts(incident)
		case KeyDetection:
			sec.Body = detectionFacts(incident)
		}
		r.Sections = append(r.Sections, sec)
	}
	return r
}

// timelineTable renders entries as a Markdown table in time order. Rows
// that would push the section past MaxBody are left out and counted, so
// that a long incident still yields a valid retrospective.
func timelineTable(entries []TimelineEntry) string {
	if len(entries) == 0 {
		return ""
	}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b TimelineEntry) int { return a.At.Compare(b.At) })
	var b strings.Builder
	b.WriteString("| Time (UTC) | Kind | Who | What |\n| --- | --- | --- | --- |\n")
	const reserve = 200 // room for the note about left-out rows
	for i, e := range sorted {
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", e.At.UTC().Format(time.DateTime), mdCell(e.Kind), mdCell(e.Actor), mdCell(e.Text))
		if b.Len()+len(row) > MaxBody-reserve {
			fmt.Fprintf(&b, "\n%d later entries were left out to keep this section under 64 KiB; see the incident's timeline.\n", len(sorted)-i)
			break
		}
		b.WriteString(row)
	}
	return b.String()
}

// start is when the incident began as far as we know: the start of impact,
// else detection, else opening.
func (in IncidentSummary) start() *time.Time {
	for _, t := range []*time.Time{in.ImpactStartedAt, in.DetectedAt, in.OpenedAt} {
		if t != nil {
			return t
		}
	}
	return nil
}

func (in IncidentSummary) detected() *time.Time {
	if in.DetectedAt != nil {
		return in.DetectedAt
	}
	return in.OpenedAt
}

func impactFacts(in IncidentSummary) string {
	var b strings.Builder
	if in.Severity != "" {
		fmt.Fprintf(&b, "- **Severity:** %s\n", mdCell(in.Severity))
	}
	if svcs := sortedSet(slices.Clone(in.Services)); len(svcs) > 0 {
		fmt.Fprintf(&b, "- **Services affected:** %s\n", mdCell(strings.Join(svcs, ", ")))
	}
	start := in.start()
	if start != nil {
		fmt.Fprintf(&b, "- **Began:** %s\n", stamp(*start))
	}
	if d, ok := between(start, in.MitigatedAt); ok {
		fmt.Fprintf(&b, "- **Mitigated:** %s (%s after it began)\n", stamp(*in.MitigatedAt), duration(d))
	}
	switch d, ok := between(start, in.ResolvedAt); {
	case ok:
		fmt.Fprintf(&b, "- **Resolved:** %s\n- **Duration:** %s\n", stamp(*in.ResolvedAt), duration(d))
	case in.ResolvedAt == nil && start != nil:
		b.WriteString("- **Duration:** the incident was not resolved when this retrospective was started\n")
	}
	return b.String()
}

func detectionFacts(in IncidentSummary) string {
	var b strings.Builder
	detected := in.detected()
	if in.ImpactStartedAt != nil {
		fmt.Fprintf(&b, "- **Impact began:** %s\n", stamp(*in.ImpactStartedAt))
	}
	if detected != nil {
		fmt.Fprintf(&b, "- **Detected:** %s", stamp(*detected))
		if d, ok := between(in.ImpactStartedAt, detected); ok {
			fmt.Fprintf(&b, " (time to detect: %s)", duration(d))
		}
		b.WriteString("\n")
	}
	if in.AcknowledgedAt != nil {
		fmt.Fprintf(&b, "- **Acknowledged:** %s", stamp(*in.AcknowledgedAt))
		if d, ok := between(detected, in.AcknowledgedAt); ok {
			fmt.Fprintf(&b, " (time to acknowledge: %s)", duration(d))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// between returns to − from when both are known and to is not earlier:
// clocks of different senders disagree, and a negative time to detect
// would only confuse the reader.
func between(from, to *time.Time) (time.Duration, bool) {
	if from == nil || to == nil || to.Before(*from) {
		return 0, false
	}
	return to.Sub(*from), true
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// duration writes d the way people say it: "2d 3h", "1h 30m", "45s".
func duration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hours))
	}
	if mins > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%dm", mins))
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}

func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == ' ' || r == '\u2028' || r == '\u2029' || (r >= 0x80 && r < 0xa0)
	}), " ")
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
