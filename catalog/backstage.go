package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/palisade-project/palisade"
)

// Annotations a Backstage Component or Resource may carry for Palisade.
const (
	// AnnotationTier is the service's tier, "1" to "4".
	AnnotationTier = "palisade.dev/tier"
	// AnnotationDataClasses lists the data classes the service holds,
	// comma separated ("pii, payment-card").
	AnnotationDataClasses = "palisade.dev/data-classes"
	// AnnotationThirdParties lists the third parties the service needs,
	// comma separated.
	AnnotationThirdParties = "palisade.dev/third-parties"
)

// backstageAPIVersions are the descriptor versions whose entities are read;
// documents of other versions are skipped with a warning.
var backstageAPIVersions = map[string]bool{"backstage.io/v1alpha1": true, "backstage.io/v1beta1": true}

// ParseBackstage reads one file of Backstage catalog descriptors; see
// ParseBackstageFiles. References to entities in other files (an API
// provided elsewhere, a parent component) cannot be resolved from one file:
// import the files of a catalog together.
func ParseBackstage(file string, data []byte) (*Document, error) {
	return ParseBackstageFiles(map[string][]byte{file: data})
}

// ParseBackstageFiles reads Backstage catalog descriptor files (each one or
// more YAML documents, apiVersion backstage.io/v1alpha1 or v1beta1) and maps
// them into one Document, resolving references across all of them:
//
//   - a Group is a team, with spec.members as its members;
//   - a User adds spec.profile.email (else its name) to the members of
//     each group in spec.memberOf;
//   - a Component or Resource is a service: its team is the name part of
//     spec.owner, its dependencies are spec.dependsOn (components and
//     resources), its subcomponents (spec.subcomponentOf) and the providers
//     of the APIs in spec.consumesApis; tier, data classes and third
//     parties come from the palisade.dev annotations;
//   - an owner no Group declares becomes a team without members;
//   - System and API entities only serve the references above, and other
//     kinds are skipped.
//
// Names are lowercased. Files are read in name order, so the result does not
// depend on the map. Unknown fields are allowed (Backstage has many); what
// Palisade does not model, and references it cannot follow, become
// Document.Warnings. Malformed YAML, a missing kind or metadata.name, a value
// of the wrong type, an invalid name or tier annotation are errors, returned
// as for ParseYAML (all of them across the files). The caller runs
// Normalize and Validate.
func ParseBackstageFiles(files map[string][]byte) (*Document, error) {
	im := &backstageImporter{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		im.read(name, files[name])
		if len(im.errs) >= maxErrors {
			break
		}
	}
	if err := errorsResult(im.errs); err != nil {
		return nil, err
	}
	return im.document(), nil
}

// backstageImporter collects entities from every file first, because
// references (consumesApis, subcomponentOf, memberOf) point across files.
type backstageImporter struct {
	groups, users, services []*bsEntity
	errs                    palisade.Errors
	warnings                []string
}

// bsRef is an entity reference ("group:default/team-a") reduced to the
// parts Palisade uses: the kind, lowercased, "" when not written, and the
// name, lowercased, without the namespace.
type bsRef struct {
	kind, name string
	loc        Loc
}

// bsEntity is what the importer keeps of a Backstage entity.
type bsEntity struct {
	kind string // lowercased: "group", "user", "component", "resource"
	name string
	loc  Loc
	// locs are the locations of Palisade fields, keyed as in SetLoc.
	locs        map[string]Loc
	description string

	members  []string // group
	email    string   // user
	memberOf []bsRef  // user

	owner                      *bsRef
	system, lifecycle          string
	tier                       int
	tags                       []string
	dataClasses, thirdParties  []string
	dependsOn                  []bsRef
	subcomponentOf             *bsRef
	consumesAPIs, providesAPIs []bsRef
}

func (im *backstageImporter) warnf(l Loc, format string, args ...any) {
	im.warnings = append(im.warnings, fmt.Sprintf(format, args...)+" ("+l.String()+")")
}

func (im *backstageImporter) read(file string, data []byte) {
	r, docs, err := parseYAMLFile(file, data)
	if err != nil {
		switch e := err.(type) {
		case palisade.Errors:
			im.errs = append(im.errs, e...)
		case *palisade.Error:
			im.errs = append(im.errs, e)
		}
		return
	}
	for _, doc := range docs {
		im.readEntity(r, doc.Body)
		if r.stopped {
			break
		}
	}
	im.errs = append(im.errs, r.errs...)
}

// fields indexes the pairs of a mapping by key.
func fields(entries []entry) map[string]entry {
	m := make(map[string]entry, len(entries))
	for _, e := range entries {
		if _, dup := m[e.key]; !dup {
			m[e.key] = e
		}
	}
	return m
}

func (im *backstageImporter) readEntity(r *yamlReader, body ast.Node) {
	if v, _ := r.resolve(body); isNull(v) {
		return
	} else if !isMapping(v) {
		r.errorf(body, "expected a Backstage entity (a mapping with apiVersion, kind and metadata), got %s", describe(v))
		return
	}
	top, _ := r.mapping("entity", body)
	f := fields(top)
	e := &bsEntity{loc: r.loc(body), locs: map[string]Loc{}}

	// A value of the wrong type is reported where it is read; do not also
	// report it as missing.
	before := len(r.errs)
	apiVersion, _ := r.text("apiVersion", f["apiVersion"].value)
	kind, _ := r.text("kind", f["kind"].value)
	md, hasMeta := f["metadata"]
	meta, metaOK := r.mapping("metadata", md.value)
	mf := fields(meta)
	name, _ := r.text("metadata.name", mf["name"].value)
	switch {
	case r.stopped || len(r.errs) > before:
		return
	case apiVersion == "":
		r.errorAt(e.loc, "apiVersion is required")
		return
	case kind == "":
		r.errorAt(e.loc, "kind is required")
		return
	case !hasMeta || !metaOK:
		if !hasMeta {
			r.errorAt(e.loc, "metadata is required")
		}
		return
	case name == "":
		r.errorAt(r.loc(md.value), "metadata.name is required")
		return
	}
	e.kind = strings.ToLower(kind)
	e.name = strings.ToLower(name)
	if !backstageAPIVersions[apiVersion] {
		im.warnf(r.loc(f["apiVersion"].value), "skipped %s %q: apiVersion %q is not a Backstage catalog version", kind, name, apiVersion)
		return
	}
	switch e.kind {
	case "group", "user", "component", "resource":
	case "system", "api":
		// Read where they are referenced (spec.system, consumesApis and
		// providesApis); not modelled as objects.
		return
	default:
		im.warnf(r.loc(f["kind"].value), "skipped kind %s %q", kind, name)
		return
	}
	nameAt := mf["name"].value
	if e.kind != "user" && !ValidName(e.name) {
		r.errorf(nameAt, "invalid name %q: use letters, digits, '.', '_' and '-' (at most %d characters)", name, MaxNameLen)
		return
	}
	e.locs["name"] = r.loc(nameAt)
	if d, ok := mf["description"]; ok {
		e.description, _ = r.text("metadata.description", d.value)
		e.locs["description"] = r.loc(d.value)
	}
	sp, _ := r.mapping("spec", f["spec"].value)
	spec := fields(sp)

	switch e.kind {
	case "group":
		if m, ok := spec["members"]; ok {
			ls, _ := r.strings("spec.members", m.value)
			e.members = texts(ls)
			e.locs["members"] = r.loc(m.value)
		}
		im.groups = append(im.groups, e)
	case "user":
		prof, _ := r.mapping("spec.profile", spec["profile"].value)
		e.email, _ = r.text("spec.profile.email", fields(prof)["email"].value)
		e.memberOf = im.refs(r, "spec.memberOf", spec["memberOf"].value)
		im.users = append(im.users, e)
	case "component", "resource":
		im.readService(r, e, mf, spec)
		im.services = append(im.services, e)
	}
}

func (im *backstageImporter) readService(r *yamlReader, e *bsEntity, meta, spec map[string]entry) {
	if t, ok := meta["tags"]; ok {
		ls, _ := r.strings("metadata.tags", t.value)
		e.tags = texts(ls)
		e.locs["tags"] = r.loc(t.value)
	}
	ann, _ := r.mapping("metadata.annotations", meta["annotations"].value)
	annotations := fields(ann)
	if a, ok := annotations[AnnotationTier]; ok {
		e.locs["tier"] = r.loc(a.value)
		if s, ok := r.text("annotation "+AnnotationTier, a.value); ok && s != "" {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < MinTier || n > MaxTier {
				r.errorf(a.value, "annotation %s: %s is not a tier (%d to %d)", AnnotationTier, short(s), MinTier, MaxTier)
			}
			e.tier = n
		}
	}
	list := func(annotation, field string) []string {
		a, ok := annotations[annotation]
		if !ok {
			return nil
		}
		e.locs[field] = r.loc(a.value)
		s, _ := r.text("annotation "+annotation, a.value)
		var out []string
		for _, part := range strings.Split(s, ",") {
			if part = strings.ToLower(strings.TrimSpace(part)); part != "" {
				out = append(out, part)
			}
		}
		return out
	}
	e.dataClasses = list(AnnotationDataClasses, "dataClasses")
	e.thirdParties = list(AnnotationThirdParties, "thirdParties")

	if o, ok := spec["owner"]; ok {
		e.locs["team"] = r.loc(o.value)
		if s, _ := r.text("spec.owner", o.value); s != "" {
			e.owner = im.ref(r, s, o.value)
		}
	}
	if s, ok := spec["system"]; ok {
		if v, _ := r.text("spec.system", s.value); v != "" {
			if ref := im.ref(r, v, s.value); ref != nil {
				e.system = ref.name
			}
		}
	}
	if l, ok := spec["lifecycle"]; ok {
		e.lifecycle, _ = r.text("spec.lifecycle", l.value)
	}
	if d, ok := spec["dependsOn"]; ok {
		e.dependsOn = im.refs(r, "spec.dependsOn", d.value)
		e.locs["dependsOn"] = r.loc(d.value)
	}
	if p, ok := spec["subcomponentOf"]; ok {
		if v, _ := r.text("spec.subcomponentOf", p.value); v != "" {
			e.subcomponentOf = im.ref(r, v, p.value)
		}
	}
	if c, ok := spec["consumesApis"]; ok {
		e.consumesAPIs = im.refs(r, "spec.consumesApis", c.value)
		if _, seen := e.locs["dependsOn"]; !seen {
			e.locs["dependsOn"] = r.loc(c.value)
		}
	}
	if p, ok := spec["providesApis"]; ok {
		e.providesAPIs = im.refs(r, "spec.providesApis", p.value)
	}
}

// ref parses the entity reference s written at n; see refAt.
func (im *backstageImporter) ref(r *yamlReader, s string, n ast.Node) *bsRef {
	return im.refAt(r, located{s: s, loc: r.loc(n)})
}

func (im *backstageImporter) refs(r *yamlReader, what string, n ast.Node) []bsRef {
	ls, _ := r.strings(what, n)
	var out []bsRef
	for _, l := range ls {
		if ref := im.refAt(r, l); ref != nil {
			out = append(out, *ref)
		}
	}
	return out
}

// refAt parses an entity reference, [kind:][namespace/]name. The namespace
// is dropped: Palisade names are global. It returns nil (and records an
// error) when the name part is not a valid name.
func (im *backstageImporter) refAt(r *yamlReader, l located) *bsRef {
	ref := &bsRef{loc: l.loc}
	rest := l.s
	if kind, after, found := strings.Cut(l.s, ":"); found {
		ref.kind, rest = strings.ToLower(strings.TrimSpace(kind)), after
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	ref.name = strings.ToLower(strings.TrimSpace(rest))
	if !ValidName(ref.name) {
		r.errorAt(l.loc, "invalid entity reference %s: the name must use letters, digits, '.', '_' and '-' (at most %d characters)", short(l.s), MaxNameLen)
		return nil
	}
	return ref
}

// document builds the catalog from the collected entities.
func (im *backstageImporter) document() *Document {
	d := &Document{}
	teams := map[string]int{} // name → index in d.Teams
	for _, g := range im.groups {
		if _, dup := teams[g.name]; !dup {
			teams[g.name] = len(d.Teams)
		}
		d.Teams = append(d.Teams, Team{Name: g.name, Description: g.description, Members: g.members})
		setLocs(d, KindTeam, g)
	}
	for _, u := range im.users {
		member := u.email
		if member == "" {
			member = u.name
		}
		for _, g := range u.memberOf {
			i, ok := teams[g.name]
			if !ok || (g.kind != "" && g.kind != "group") {
				im.warnf(g.loc, "user %q is a member of %q, which no Group declares; membership skipped", u.name, g.name)
				continue
			}
			d.Teams[i].Members = append(d.Teams[i].Members, member)
		}
	}

	providers := map[string][]string{} // API name → services providing it
	services := map[string]int{}       // name → index in d.Services
	for _, c := range im.services {
		for _, api := range c.providesAPIs {
			providers[api.name] = append(providers[api.name], c.name)
		}
	}
	for _, c := range im.services {
		s := Service{
			Name: c.name, Description: c.description, Tier: c.tier, System: c.system, Lifecycle: c.lifecycle,
			Tags: c.tags, DataClasses: c.dataClasses, ThirdParties: c.thirdParties,
		}
		if o := c.owner; o != nil {
			s.Team = o.name
			switch o.kind {
			case "", "group":
			case "user":
				im.warnf(o.loc, "%s %q is owned by user %q, not a group; it is assigned to team %q", c.kind, c.name, o.name, o.name)
			default:
				im.warnf(o.loc, "%s %q is owned by %s %q, not a group; it is assigned to team %q", c.kind, c.name, o.kind, o.name, o.name)
			}
			if _, ok := teams[o.name]; !ok {
				teams[o.name] = len(d.Teams)
				d.Teams = append(d.Teams, Team{Name: o.name})
				d.SetLoc(KindTeam, o.name, "", o.loc)
				im.warnf(o.loc, "team %q created from owner reference", o.name)
			}
		}
		for _, dep := range c.dependsOn {
			switch dep.kind {
			case "", "component", "resource":
				s.DependsOn = append(s.DependsOn, dep.name)
			default:
				im.warnf(dep.loc, "%s %q depends on %s %q, which is not a service; skipped", c.kind, c.name, dep.kind, dep.name)
			}
		}
		for _, api := range c.consumesAPIs {
			provs := providers[api.name]
			if len(provs) == 0 {
				im.warnf(api.loc, "%s %q consumes API %q, which no component provides; skipped", c.kind, c.name, api.name)
			}
			for _, p := range provs {
				if p != c.name {
					s.DependsOn = append(s.DependsOn, p)
				}
			}
		}
		if _, dup := services[c.name]; !dup {
			services[c.name] = len(d.Services)
		}
		d.Services = append(d.Services, s)
		setLocs(d, KindService, c)
	}
	// A parent needs its subcomponents, so it depends on them; done last
	// because the parent may come after the child.
	for _, c := range im.services {
		p := c.subcomponentOf
		if p == nil {
			continue
		}
		i, ok := services[p.name]
		if !ok {
			im.warnf(p.loc, "%s %q is a subcomponent of %q, which is not declared; skipped", c.kind, c.name, p.name)
			continue
		}
		if p.name != c.name {
			d.Services[i].DependsOn = append(d.Services[i].DependsOn, c.name)
		}
	}
	d.Warnings = im.warnings
	return d
}

func setLocs(d *Document, kind string, e *bsEntity) {
	d.SetLoc(kind, e.name, "", e.loc)
	for f, l := range e.locs {
		d.SetLoc(kind, e.name, f, l)
	}
}
