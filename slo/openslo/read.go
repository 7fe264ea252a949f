// Package openslo reads OpenSLO v1 (and v1alpha) files into Palisade SLOs
// and writes Palisade SLOs as OpenSLO v1. docs/openslo.md has the mapping
// both ways and what has no Palisade form.
//
// Read separates three outcomes so a user can act on each: input that is
// malformed (a wrong type, a missing required field, a dangling reference)
// is an error naming the file, the document and the field; an SLO that is
// well formed but has no Palisade form (a threshold metric, a Datadog
// source) is skipped with a warning that says why; and anything dropped on
// the way (a time zone, alert policies) is imported with a warning.
package openslo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

// MaxSize is the largest file Read accepts.
const MaxSize = 16 << 20

// API versions Read accepts.
const (
	APIVersion      = "openslo/v1"
	APIVersionAlpha = "openslo/v1alpha"
)

// SourcePalisade is the metricSource type Write gives Palisade's own
// indicators (events, remediation, exposure, controls), so that Read can
// bring them back unchanged.
const SourcePalisade = "Palisade"

// SourcePrometheus is the metricSource (and DataSource) type of PromQL
// queries.
const SourcePrometheus = "Prometheus"

// Annotations carry the alerting settings OpenSLO has no field for.
const (
	AnnotationMinEvents = "palisade/min-events" // slo.Alerting.MinEvents, as a decimal
	AnnotationAlerting  = "palisade/alerting"   // "disabled" when slo.Alerting.Disabled
)

// Result is what a file holds in Palisade's terms.
type Result struct {
	// SLOs are the imported objectives, in file order. An SLO whose
	// Prometheus server could not be found is included with an empty
	// Server (and a warning): it does not validate until one is set.
	SLOs []*slo.SLO
	// Services names every Service object and every service an imported
	// SLO belongs to, sorted, once each.
	Services []string
	// Warnings say what was skipped or dropped, each naming the file,
	// document and field.
	Warnings []string
}

// Read parses an OpenSLO file (YAML, several documents or a list of
// objects per document, or JSON) named name. On any problem it returns no
// result and a palisade.Errors listing every problem found, EINVALID
// (ETOOLARGE above MaxSize).
func Read(name string, data []byte) (*Result, error) {
	if len(data) > MaxSize {
		return nil, palisade.Errors{palisade.FieldErrorf(palisade.ETOOLARGE, name, "the file is %d bytes; the limit is %d", len(data), MaxSize)}
	}
	objs, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	r := &reader{res: &Result{}, slis: map[string]*object{}, sources: map[string]*object{}, services: map[string]bool{}}
	r.index(objs)
	for _, o := range objs {
		switch o.kind {
		case "SLO":
			r.readSLO(o)
		case "AlertPolicy", "AlertCondition", "AlertNotificationTarget":
			r.warn(o.warnf("", "%s %s not imported: Palisade alerts on the SRE Workbook's multi-window burn rates and routes through its own notifiers", o.kind, o.name))
		}
	}
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	for s := range r.services {
		r.res.Services = append(r.res.Services, s)
	}
	sort.Strings(r.res.Services)
	return r.res, nil
}

// object is one OpenSLO object: a document, or an item of a document that
// is a list.
type object struct {
	where      string // "file: document 2" or "file: document 1, item 3"
	doc        string // where without the file
	apiVersion string
	kind       string
	name       string
	root       node
}

func (o *object) errorf(field, format string, args ...any) *palisade.Error {
	loc := o.where
	if field != "" {
		loc += ": " + field
	}
	return palisade.FieldErrorf(palisade.EINVALID, loc, format, args...)
}

func (o *object) warnf(field, format string, args ...any) string {
	loc := o.where
	if field != "" {
		loc += ": " + field
	}
	return loc + ": " + fmt.Sprintf(format, args...)
}

// decode splits the file into objects. JSON is read with encoding/json
// because YAML parsers differ on JSON's corners (tabs, escapes); anything
// else is YAML.
func decode(name string, data []byte) (objs []*object, err error) {
	var docs []any
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		d := json.NewDecoder(bytes.NewReader(trimmed))
		d.UseNumber()
		var v any
		if d.Decode(&v) == nil {
			if _, err := d.Token(); errors.Is(err, io.EOF) {
				docs = []any{v}
			}
		}
	}
	if docs == nil {
		var perr *palisade.Error
		if docs, perr = decodeYAML(name, data); perr != nil {
			return nil, palisade.Errors{perr}
		}
	}
	var errs palisade.Errors
	for i, d := range docs {
		doc := fmt.Sprintf("document %d", i+1)
		switch v := d.(type) {
		case nil:
			continue // an empty document, such as after a trailing ---
		case []any:
			for j, item := range v {
				o, err := newObject(name, fmt.Sprintf("%s, item %d", doc, j+1), item)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				objs = append(objs, o)
			}
		default:
			o, err := newObject(name, doc, v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			objs = append(objs, o)
		}
	}
	return objs, errs.Err()
}

// MaxDepth is how deeply Read lets YAML nest. OpenSLO needs about a dozen
// levels; the YAML parser takes time quadratic in the depth (minutes for
// 100 000 levels), so deeper input is refused before it is parsed.
const MaxDepth = 32

// nesting estimates the deepest nesting of a YAML text without parsing it:
// block levels from indentation and "- " or "? " indicators, plus open
// flow brackets. It may count a bracket inside a quoted string, which only
// matters for text with dozens of unbalanced brackets.
func nesting(data []byte) int {
	deepest, flow := 0, 0
	var indents []int
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := bytes.TrimSpace(line[indent:])
		block := len(indents)
		if len(rest) > 0 && rest[0] != '#' && flow == 0 {
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
			block = len(indents)
			for len(rest) > 1 && (rest[0] == '-' || rest[0] == '?') && (rest[1] == ' ' || rest[1] == '\t') {
				block++
				rest = bytes.TrimLeft(rest[1:], " \t")
			}
		}
		for _, c := range line {
			switch c {
			case '[', '{':
				flow++
				deepest = max(deepest, block+flow)
			case ']', '}':
				flow = max(0, flow-1)
			}
		}
		deepest = max(deepest, block+flow)
	}
	return deepest
}

func decodeYAML(name string, data []byte) (docs []any, err *palisade.Error) {
	if d := nesting(data); d > MaxDepth {
		return nil, palisade.FieldErrorf(palisade.EINVALID, name, "the YAML nests about %d levels deep; the limit is %d", d, MaxDepth)
	}
	// A parser bug that panics on some odd input must not bring the
	// server down: a file from outside gives an error at worst.
	defer func() {
		if p := recover(); p != nil {
			docs, err = nil, palisade.FieldErrorf(palisade.EINVALID, name, "malformed YAML")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			// The decoder parses the whole stream first, so a syntax error
			// has no reliable document number; its [line:column] is better.
			return nil, palisade.FieldErrorf(palisade.EINVALID, name, "malformed YAML: %s", firstLine(err.Error()))
		}
		docs = append(docs, v)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func newObject(file, doc string, v any) (*object, *palisade.Error) {
	o := &object{where: file + ": " + doc, doc: doc, root: node{v: v}}
	if _, ok := v.(map[string]any); !ok {
		return nil, o.errorf("", "expected an OpenSLO object (apiVersion, kind, metadata, spec), got %s", typeName(v))
	}
	var err *palisade.Error
	if o.apiVersion, err = o.root.key("apiVersion").reqString(o); err != nil {
		return nil, err
	}
	if o.apiVersion != APIVersion && o.apiVersion != APIVersionAlpha {
		return nil, o.errorf("apiVersion", "apiVersion %q is not supported: use %s (or %s)", o.apiVersion, APIVersion, APIVersionAlpha)
	}
	if o.kind, err = o.root.key("kind").reqString(o); err != nil {
		return nil, err
	}
	kinds := []string{"SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget"}
	if o.apiVersion == APIVersionAlpha {
		kinds = []string{"SLO", "Service"}
	}
	if !slices.Contains(kinds, o.kind) {
		return nil, o.errorf("kind", "kind %q is not an %s kind (%s)", o.kind, o.apiVersion, strings.Join(kinds, ", "))
	}
	if o.name, err = o.root.key("metadata").key("name").reqString(o); err != nil {
		return nil, err
	}
	return o, nil
}

type reader struct {
	res      *Result
	errs     palisade.Errors
	slis     map[string]*object
	sources  map[string]*object
	services map[string]bool
	sloNames map[string]string // name -> where, to refuse duplicates
}

func (r *reader) warn(s string) { r.res.Warnings = append(r.res.Warnings, s) }

// index files the objects SLOs refer to and refuses duplicate names.
func (r *reader) index(objs []*object) {
	r.sloNames = map[string]string{}
	for _, o := range objs {
		switch o.kind {
		case "Service":
			r.services[o.name] = true
		case "SLI", "DataSource":
			m := r.slis
			if o.kind == "DataSource" {
				m = r.sources
			}
			if prev, dup := m[o.name]; dup {
				r.errs = append(r.errs, o.errorf("metadata.name", "a %s named %q is already defined (%s)", o.kind, o.name, prev.where))
				continue
			}
			m[o.name] = o
		case "SLO":
			if prev, dup := r.sloNames[o.name]; dup {
				r.errs = append(r.errs, o.errorf("metadata.name", "an SLO named %q is already defined (%s)", o.name, prev))
				continue
			}
			r.sloNames[o.name] = o.where
		}
	}
}

// sloBuild collects what one SLO maps to.
type sloBuild struct {
	o        *object
	s        *slo.SLO
	skip     []string // reasons the SLO has no Palisade form
	warnings []string
	noServer bool
}

func (b *sloBuild) skipf(field, format string, args ...any) { b.skipAt(b.o, field, format, args...) }

func (b *sloBuild) warnf(field, format string, args ...any) { b.warnAt(b.o, field, format, args...) }

// skipAt and warnAt name fields of a referenced SLI by the SLI, since
// the SLO's own document does not hold them.
func (b *sloBuild) skipAt(o *object, field, format string, args ...any) {
	b.skip = append(b.skip, fieldPrefix(b.qualify(o, field))+fmt.Sprintf(format, args...))
}

func (b *sloBuild) warnAt(o *object, field, format string, args ...any) {
	b.warnings = append(b.warnings, b.o.warnf(b.qualify(o, field), format, args...))
}

func (b *sloBuild) qualify(o *object, field string) string {
	if o == b.o {
		return field
	}
	return fmt.Sprintf("SLI %s (%s) %s", o.name, o.doc, field)
}

func fieldPrefix(field string) string {
	if field == "" {
		return ""
	}
	return field + ": "
}

func (r *reader) readSLO(o *object) {
	b := &sloBuild{o: o, s: &slo.SLO{Name: o.name, Budgeting: slo.Occurrences, Slice: slo.DefaultSlice,
		Alerting: slo.Alerting{MinEvents: slo.DefaultMinEvents}}}
	var err *palisade.Error
	if o.apiVersion == APIVersionAlpha {
		err = r.alphaSLO(b)
	} else {
		err = r.v1SLO(b)
	}
	if err != nil {
		r.errs = append(r.errs, err)
		return
	}
	if b.s.Indicator.Kind == slo.KindPrometheus && b.s.Budgeting != slo.Occurrences {
		b.skipf("spec.budgetingMethod", "Palisade counts Prometheus indicators as occurrences, not timeslices")
	}
	if len(b.skip) > 0 {
		r.warn(o.warnf("", "SLO %s skipped: %s", o.name, strings.Join(b.skip, "; ")))
		return
	}
	if err := r.validate(b); err != nil {
		r.errs = append(r.errs, err)
		return
	}
	r.res.Warnings = append(r.res.Warnings, b.warnings...)
	r.res.SLOs = append(r.res.SLOs, b.s)
	r.services[b.s.Service] = true
}

// sourceField maps a field slo.Validate names to where it came from.
func sourceField(field string) string {
	switch field {
	case "name":
		return "metadata.name"
	case "service":
		return "spec.service"
	case "objective":
		return "spec.objectives[0].target"
	case "window":
		return "spec.timeWindow[0].duration"
	case "budgeting":
		return "spec.budgetingMethod"
	case "slice":
		return "spec.objectives[0].timeSliceWindow"
	}
	return "spec.indicator"
}

// validate checks the SLO as Palisade will. A missing Prometheus server is
// the one gap Read lets through (with a warning), since OpenSLO files often
// keep DataSources elsewhere and the fix is one line.
func (r *reader) validate(b *sloBuild) *palisade.Error {
	s := b.s
	p := s.Indicator.Prometheus
	if b.noServer {
		p.Server = "http://server.invalid"
	}
	err := s.Validate()
	if b.noServer {
		p.Server = ""
	}
	if err != nil {
		return b.o.errorf(sourceField(palisade.ErrorField(err)), "SLO %s is not a valid Palisade SLO: %s", s.Name, palisade.ErrorMessage(err))
	}
	if b.noServer {
		b.warnf("spec.indicator", "SLO %s has no Prometheus server (no DataSource of type Prometheus with a connectionDetails url is referenced): set indicator.prometheus.server; the SLO is invalid until then", s.Name)
	}
	return nil
}

func (r *reader) v1SLO(b *sloBuild) *palisade.Error {
	o, s := b.o, b.s
	spec := o.root.key("spec")
	if err := spec.reqMap(o); err != nil {
		return err
	}
	var err *palisade.Error
	if s.Service, err = spec.key("service").reqString(o); err != nil {
		return err
	}
	if s.Description, err = spec.key("description").optString(o); err != nil {
		return err
	}
	if err := r.alerting(b); err != nil {
		return err
	}
	// The indicator.
	ind, ref := spec.key("indicator"), spec.key("indicatorRef")
	var sliSpec node
	var sliObj = o
	switch {
	case ind.present() && ref.present():
		return o.errorf("spec.indicatorRef", "give indicator or indicatorRef, not both")
	case ind.present():
		if err := ind.reqMap(o); err != nil {
			return err
		}
		sliSpec = ind.key("spec")
	case ref.present():
		name, err := ref.reqString(o)
		if err != nil {
			return err
		}
		sli, ok := r.slis[name]
		if !ok {
			return o.errorf("spec.indicatorRef", "no SLI named %q in this file (put the SLI in the same file, or inline it as spec.indicator)", name)
		}
		sliObj, sliSpec = sli, sli.root.key("spec")
	default:
		return o.errorf("spec", "indicator or indicatorRef is required")
	}
	if err := r.indicator(b, sliObj, sliSpec); err != nil {
		return err
	}
	// The window.
	if err := r.v1Window(b, spec.key("timeWindow")); err != nil {
		return err
	}
	// Budgeting and the objective.
	bm, err := spec.key("budgetingMethod").reqString(o)
	if err != nil {
		return err
	}
	if err := r.budgeting(b, bm, spec.key("budgetingMethod")); err != nil {
		return err
	}
	if err := r.objectives(b, spec.key("objectives")); err != nil {
		return err
	}
	if ap := spec.key("alertPolicies"); ap.present() {
		items, err := ap.optList(o)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			b.warnf(ap.path, "%d alert policies not imported: Palisade alerts on the SRE Workbook's burn rates (page 14.4 and 6, ticket 3 and 1 for 30 days), scaled to the window", len(items))
		}
	}
	return nil
}

// alerting reads Palisade's own annotations back.
func (r *reader) alerting(b *sloBuild) *palisade.Error {
	ann := b.o.root.key("metadata").key("annotations")
	if v := ann.key(AnnotationMinEvents); v.present() {
		str, err := v.reqString(b.o)
		if err != nil {
			return err
		}
		n, perr := strconv.Atoi(str)
		if perr != nil || n < 0 {
			return b.o.errorf(v.path, "expected a count of events, got %q", str)
		}
		b.s.Alerting.MinEvents = n
	}
	if v := ann.key(AnnotationAlerting); v.present() {
		str, err := v.reqString(b.o)
		if err != nil {
			return err
		}
		if str != "disabled" && str != "enabled" {
			return b.o.errorf(v.path, "expected disabled or enabled, got %q", str)
		}
		b.s.Alerting.Disabled = str == "disabled"
	}
	return nil
}

// indicator maps an SLI spec (inline or referenced).
func (r *reader) indicator(b *sloBuild, o *object, spec node) *palisade.Error {
	if err := spec.reqMap(o); err != nil {
		return err
	}
	ratio, threshold := spec.key("ratioMetric"), spec.key("thresholdMetric")
	switch {
	case ratio.present() && threshold.present():
		return o.errorf(spec.path, "give ratioMetric or thresholdMetric, not both")
	case threshold.present():
		b.skipAt(o, threshold.path, "a threshold metric has no Palisade form (Palisade indicators are ratios of good to valid events)")
		return nil
	case !ratio.present():
		return o.errorf(spec.path, "ratioMetric or thresholdMetric is required")
	}
	if err := ratio.reqMap(o); err != nil {
		return err
	}
	if raw := ratio.key("raw"); raw.present() {
		b.skipAt(o, raw.path, "a raw (precomputed) ratio has no Palisade form: give good or bad, and total")
		return nil
	}
	good, bad, total := ratio.key("good"), ratio.key("bad"), ratio.key("total")
	switch {
	case good.present() && bad.present():
		return o.errorf(ratio.path, "give good or bad, not both")
	case !good.present() && !bad.present():
		return o.errorf(ratio.path, "good or bad is required")
	case !total.present():
		return o.errorf(ratio.path, "total is required")
	}
	num, numKey := good, "good"
	if bad.present() {
		num, numKey = bad, "bad"
	}
	var counter *bool
	if c := ratio.key("counter"); c.present() {
		v, err := c.optBool(o)
		if err != nil {
			return err
		}
		counter = &v
	}
	ms := []metric{{key: numKey}, {key: "total"}}
	for i, n := range []node{num, total} {
		if err := r.metricSource(o, n.key("metricSource"), &ms[i]); err != nil {
			return err
		}
	}
	if !strings.EqualFold(ms[0].typ, ms[1].typ) {
		b.skipAt(o, ratio.path, "%s reads %s and total reads %s: Palisade reads both from one source", numKey, ms[0].typ, ms[1].typ)
		return nil
	}
	switch {
	case strings.EqualFold(ms[0].typ, SourcePrometheus):
		return r.prometheus(b, o, ms, counter)
	case strings.EqualFold(ms[0].typ, SourcePalisade):
		return r.palisadeIndicator(b, o, ms)
	}
	b.skipAt(o, ms[0].path, "metric source type %s has no Palisade form (Palisade reads Prometheus and its own indicators)", ms[0].typ)
	return nil
}

// metric is one resolved metricSource.
type metric struct {
	key    string // good, bad or total
	path   string
	typ    string
	ref    string
	source *object // the DataSource, when referenced and present
	spec   node
}

func (r *reader) metricSource(o *object, ms node, m *metric) *palisade.Error {
	m.path = ms.path
	if err := ms.reqMap(o); err != nil {
		return err
	}
	var err *palisade.Error
	if m.ref, err = ms.key("metricSourceRef").optString(o); err != nil {
		return err
	}
	if m.typ, err = ms.key("type").optString(o); err != nil {
		return err
	}
	if m.ref != "" {
		m.source = r.sources[m.ref]
	}
	if m.source != nil {
		typ, err := m.source.root.key("spec").key("type").reqString(m.source)
		if err != nil {
			return err
		}
		if m.typ == "" {
			m.typ = typ
		} else if !strings.EqualFold(m.typ, typ) {
			return o.errorf(ms.key("type").path, "type %s differs from the type %s of DataSource %s", m.typ, typ, m.ref)
		}
	}
	if m.typ == "" {
		return o.errorf(ms.path, "type is required when metricSourceRef does not name a DataSource in this file")
	}
	m.spec = ms.key("spec")
	return m.spec.reqMap(o)
}

// selectorRE matches a bare series selector, the one query shape that can
// be given a range without parsing PromQL.
var selectorRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})?$`)

// placeholder is where a query's range goes; spacedRE finds it written
// with spaces, as Go templates (and so Sloth) allow.
const placeholder = "{{.window}}"

var spacedRE = regexp.MustCompile(`\{\{\s*\.window\s*\}\}`)

// query adapts a PromQL query to how Palisade reads one (docs/slo.md): with
// {{.window}} it is a per-second rate over each window, without it a
// counter whose increase over each window is counted. counter is the
// source's own word on that (counter, or v1alpha's incremental), nil when
// it says nothing.
func (b *sloBuild) query(o *object, path, q string, counter *bool) string {
	q = strings.TrimSpace(spacedRE.ReplaceAllLiteralString(q, placeholder))
	if strings.Contains(q, placeholder) {
		return q
	}
	isGauge := counter != nil && !*counter
	if selectorRE.MatchString(q) && !isGauge {
		// The rate of a bare counter counts the same as the increase
		// Palisade would take, without a subquery over the whole window.
		nq := "sum(rate(" + q + "[" + placeholder + "]))"
		b.warnAt(o, path, "the counter %s is read as %s (its rate over each window, times the window)", q, nq)
		return nq
	}
	switch {
	case isGauge:
		b.warnAt(o, path, "the query is not a counter, but without a [{{.window}}] range Palisade reads it as one (its increase over each window): give a rate, as in sum(rate(x[{{.window}}]))")
	case counter == nil:
		b.warnAt(o, path, "the query has no [{{.window}}] range, so Palisade reads it as a counter: its increase over each window")
	}
	return q
}

func (r *reader) prometheus(b *sloBuild, o *object, ms []metric, counter *bool) *palisade.Error {
	p := &slo.Prometheus{}
	var servers []string
	for i := range ms {
		m := &ms[i]
		q, err := m.spec.key("query").reqString(o)
		if err != nil {
			return err
		}
		for _, k := range m.spec.keys() {
			if k != "query" {
				b.warnAt(o, m.spec.path+"."+k, "ignored: Palisade reads only the query")
			}
		}
		q = b.query(o, m.spec.path+".query", q, counter)
		switch m.key {
		case "good":
			p.Good = q
		case "bad":
			p.Bad = q
		default:
			p.Total = q
		}
		server, err := r.serverOf(m)
		if err != nil {
			return err
		}
		servers = append(servers, server)
	}
	if servers[0] != servers[1] {
		if servers[0] != "" && servers[1] != "" {
			b.skipAt(o, ms[0].path, "%s and total read different Prometheus servers (%s, %s)", ms[0].key, servers[0], servers[1])
			return nil
		}
		if servers[0] == "" {
			servers[0] = servers[1]
		}
	}
	p.Server = servers[0]
	b.noServer = p.Server == ""
	b.s.Indicator = slo.Indicator{Kind: slo.KindPrometheus, Prometheus: p}
	return nil
}

// serverOf finds the url in the connectionDetails of the DataSource m
// refers to; it is a map in the OpenSLO README and a list of one-key maps
// in the go-sdk's examples, so both are read.
func (r *reader) serverOf(m *metric) (string, *palisade.Error) {
	if m.source == nil {
		return "", nil
	}
	cd := m.source.root.key("spec").key("connectionDetails")
	var cands []node
	if items, ok := cd.v.([]any); ok {
		for i := range items {
			cands = append(cands, cd.index(i))
		}
	} else {
		cands = []node{cd}
	}
	for _, c := range cands {
		if u := c.key("url"); u.present() {
			return u.reqString(m.source)
		}
	}
	return "", nil
}

// palisadeIndicator reads back what Write writes for Palisade's own
// indicators.
func (r *reader) palisadeIndicator(b *sloBuild, o *object, ms []metric) *palisade.Error {
	var got [2]slo.Indicator
	for i, m := range ms {
		in := &got[i]
		var err *palisade.Error
		if in.Kind, err = m.spec.key("indicator").reqString(o); err != nil {
			return err
		}
		if in.Check, err = m.spec.key("check").optString(o); err != nil {
			return err
		}
		if in.Severities, err = m.spec.key("severities").optStrings(o); err != nil {
			return err
		}
		count, err := m.spec.key("count").reqString(o)
		if err != nil {
			return err
		}
		want := "total"
		if m.key != "total" {
			want = "good"
		}
		if count != want {
			return o.errorf(m.spec.key("count").path, "expected count: %s, got %q", want, count)
		}
		if !slices.Contains([]string{slo.KindEvents, slo.KindRemediation, slo.KindExposure, slo.KindControls}, in.Kind) {
			return o.errorf(m.spec.key("indicator").path, "unknown Palisade indicator %q: events, remediation, exposure or controls", in.Kind)
		}
	}
	if got[0].Kind != got[1].Kind || got[0].Check != got[1].Check || !slices.Equal(got[0].Severities, got[1].Severities) {
		return o.errorf(ms[0].spec.path, "good and total describe different Palisade indicators")
	}
	b.s.Indicator = got[1]
	return nil
}

// shorthandRE is OpenSLO's duration shorthand.
var shorthandRE = regexp.MustCompile(`^([0-9]+)([mhdwMQY])$`)

// unitLength is the length of a shorthand unit. Months, quarters and
// years count 30, 90 and 365 days, as slo.Window.Period counts a month;
// only rolling windows written in them use these.
func unitLength(unit string) (d time.Duration, nominal bool) {
	switch unit {
	case "m":
		return time.Minute, false
	case "h":
		return time.Hour, false
	case "d":
		return 24 * time.Hour, false
	case "w":
		return 7 * 24 * time.Hour, false
	case "M":
		return 30 * 24 * time.Hour, true
	case "Q":
		return 90 * 24 * time.Hour, true
	}
	return 365 * 24 * time.Hour, true
}

// oneWindow returns the single time window of a spec. Without one the SLO
// gets a rolling 30-day window, with a warning on field, and ok is false.
func oneWindow(b *sloBuild, tw node, field string) (w node, ok bool, err *palisade.Error) {
	o := b.o
	if !tw.present() {
		b.s.Window = slo.Window{Rolling: slo.Duration(30 * 24 * time.Hour)}
		b.warnf(field, "no time window: Palisade uses a rolling 30d window")
		return node{}, false, nil
	}
	items, err := tw.optList(o)
	if err != nil {
		return node{}, false, err
	}
	if len(items) != 1 {
		return node{}, false, o.errorf(tw.path, "expected exactly one time window, got %d", len(items))
	}
	w = tw.index(0)
	if err := w.reqMap(o); err != nil {
		return node{}, false, err
	}
	return w, true, nil
}

func (r *reader) v1Window(b *sloBuild, tw node) *palisade.Error {
	o := b.o
	w, ok, err := oneWindow(b, tw, "spec.timeWindow")
	if !ok || err != nil {
		return err
	}
	dur, err := w.key("duration").reqString(o)
	if err != nil {
		return err
	}
	m := shorthandRE.FindStringSubmatch(dur)
	if m == nil {
		return o.errorf(w.key("duration").path, "%q is not a duration shorthand (a number and one of m, h, d, w, M, Q, Y)", dur)
	}
	n, perr := strconv.Atoi(m[1])
	if perr != nil || n <= 0 || n > 100000 {
		return o.errorf(w.key("duration").path, "%q is out of range", dur)
	}
	cal := w.key("calendar")
	rolling := !cal.present()
	if ir := w.key("isRolling"); ir.present() {
		if rolling, err = ir.optBool(o); err != nil {
			return err
		}
	}
	if rolling {
		if cal.present() {
			b.warnf(cal.path, "ignored: the window is rolling")
		}
		return r.rolling(b, w.key("duration").path, n, m[2])
	}
	return r.calendar(b, w.key("duration").path, cal, n, m[2])
}

func (r *reader) rolling(b *sloBuild, path string, n int, unit string) *palisade.Error {
	length, nominal := unitLength(unit)
	d := time.Duration(n) * length
	if nominal {
		b.warnf(path, "a rolling %d%s window is read as %s", n, unit, slo.Duration(d))
	}
	w, err := slo.ParseWindow(slo.Duration(d).String())
	if err != nil {
		b.skipf(path, "a rolling window of %d%s: %v", n, unit, err)
		return nil
	}
	b.s.Window = w
	return nil
}

func (r *reader) calendar(b *sloBuild, path string, cal node, n int, unit string) *palisade.Error {
	o := b.o
	switch {
	case n == 1 && unit == "M":
		b.s.Window = slo.Window{Calendar: slo.CalendarMonth}
	case n == 1 && unit == "w":
		b.s.Window = slo.Window{Calendar: slo.CalendarWeek}
	default:
		hint := ""
		if unit == "m" {
			hint = " (m is minutes; a month is M)"
		}
		b.skipf(path, "a calendar window of %d%s%s: Palisade's calendar windows are a month (1M) or a week (1w)", n, unit, hint)
		return nil
	}
	if !cal.present() {
		return nil
	}
	if err := cal.reqMap(o); err != nil {
		return err
	}
	tz, err := cal.key("timeZone").optString(o)
	if err != nil {
		return err
	}
	start, err := cal.key("startTime").optString(o)
	if err != nil {
		return err
	}
	aligned := true
	if start != "" {
		t, perr := parseStart(start)
		if perr != nil {
			return o.errorf(cal.key("startTime").path, "%q is not a date and time such as 2022-01-01 00:00:00", start)
		}
		midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
		if b.s.Window.Calendar == slo.CalendarMonth {
			aligned = midnight && t.Day() == 1
		} else {
			aligned = midnight && t.Weekday() == time.Monday
		}
	}
	if !slices.Contains([]string{"", "UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"}, tz) || !aligned {
		b.warnf(cal.path, "the calendar start (%s %s) is not kept: Palisade's %s windows start at 00:00 UTC on %s",
			start, tz, b.s.Window.Calendar, map[string]string{slo.CalendarMonth: "the 1st", slo.CalendarWeek: "Monday"}[b.s.Window.Calendar])
	}
	return nil
}

func parseStart(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time")
}

func (r *reader) budgeting(b *sloBuild, bm string, at node) *palisade.Error {
	switch strings.ToLower(bm) {
	case "occurrences":
		b.s.Budgeting = slo.Occurrences
	case "timeslices":
		b.s.Budgeting = slo.Timeslices
	case "ratiotimeslices":
		b.skipf(at.path, "RatioTimeslices (the mean of per-slice ratios) has no Palisade form: use Occurrences or Timeslices")
	default:
		return b.o.errorf(at.path, "budgetingMethod %q: use Occurrences or Timeslices", bm)
	}
	return nil
}

func (r *reader) objectives(b *sloBuild, objs node) *palisade.Error {
	o := b.o
	items, err := objs.optList(o)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return o.errorf(objs.path, "at least one objective is required")
	}
	if len(items) > 1 {
		b.warnf(objs.path, "%d objectives: only the first is imported (a Palisade SLO has one objective; write one SLO per objective)", len(items))
	}
	obj := objs.index(0)
	if err := obj.reqMap(o); err != nil {
		return err
	}
	for _, k := range []string{"indicator", "indicatorRef", "compositeWeight"} {
		if v := obj.key(k); v.present() {
			b.skipf(v.path, "a composite SLO (an indicator per objective) has no Palisade form")
			return nil
		}
	}
	target, tp := obj.key("target"), obj.key("targetPercent")
	switch {
	case target.present() && tp.present():
		return o.errorf(tp.path, "give target or targetPercent, not both")
	case target.present():
		v, err := target.number(o)
		if err != nil {
			return err
		}
		if !(v > 0 && v < 1) {
			return o.errorf(target.path, "target %v is outside (0, 1)", v)
		}
		b.s.Objective = v
	case tp.present():
		v, err := tp.number(o)
		if err != nil {
			return err
		}
		if !(v > 0 && v < 100) {
			return o.errorf(tp.path, "targetPercent %v is outside (0, 100)", v)
		}
		b.s.Objective = v / 100
	default:
		return o.errorf(obj.path, "target or targetPercent is required")
	}
	if b.s.Budgeting != slo.Timeslices {
		return nil
	}
	if tst := obj.key("timeSliceTarget"); tst.present() {
		v, err := tst.number(o)
		if err != nil {
			return err
		}
		if v != 1 {
			b.warnf(tst.path, "timeSliceTarget %v not kept: Palisade counts a slice good only when all of it is good (timeSliceTarget 1)", v)
		}
	}
	tsw := obj.key("timeSliceWindow")
	if !tsw.present() {
		b.warnf(obj.path, "no timeSliceWindow: Palisade uses %s slices", slo.DefaultSlice)
		return nil
	}
	var slice slo.Duration
	if v, ok := tsw.numeric(); ok {
		// A bare number is minutes, as the spec says.
		if v <= 0 || v > 1e6 || v != float64(int64(v)) {
			return o.errorf(tsw.path, "timeSliceWindow %v is not a whole number of minutes", v)
		}
		slice = slo.Duration(time.Duration(v) * time.Minute)
	} else {
		s, err := tsw.reqString(o)
		if err != nil {
			return err
		}
		d, perr := slo.ParseDuration(s)
		if perr != nil {
			return o.errorf(tsw.path, "%v", perr)
		}
		slice = d
	}
	b.s.Slice = slice
	return nil
}
