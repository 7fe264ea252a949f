// Package catalog holds what the organisation runs: teams, services and the
// third parties they depend on, declared as code (palisade.yaml or Backstage
// descriptors) and applied idempotently. It also answers graph questions:
// who depends on a service, and what a service's neighbourhood looks like.
package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/palisade-project/palisade"
)

// Tier bounds: 1 is the most critical.
const (
	MinTier     = 1
	MaxTier     = 4
	DefaultTier = 3
)

// Limits on declared values, so that a typo or a hostile file cannot fill the
// database. Documented in docs/catalog.md.
const (
	MaxNameLen        = 63
	MaxDescriptionLen = 1024
	MaxListLen        = 256 // tags, members, dependsOn, ...
	MaxObjects        = 50000
)

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// ValidName reports whether s can name a team, service or third party:
// lowercase letters, digits, '.', '_' and '-', starting and ending with a
// letter or digit, at most MaxNameLen characters.
func ValidName(s string) bool { return len(s) <= MaxNameLen && nameRE.MatchString(s) }

// Team owns services.
type Team struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Members     []string `json:"members" yaml:"members,omitempty"`
}

// Service is something the organisation runs.
type Service struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Team        string `json:"team" yaml:"team"`
	// Tier is 1 (most critical) to 4.
	Tier int `json:"tier" yaml:"tier"`
	// System groups services that form one product (Backstage's System).
	System    string   `json:"system,omitempty" yaml:"system,omitempty"`
	Lifecycle string   `json:"lifecycle,omitempty" yaml:"lifecycle,omitempty"`
	Tags      []string `json:"tags" yaml:"tags,omitempty"`
	// DataClasses are the kinds of data the service holds (pii, payment-card).
	DataClasses []string `json:"dataClasses" yaml:"dataClasses,omitempty"`
	// DependsOn names other services this one needs.
	DependsOn []string `json:"dependsOn" yaml:"dependsOn,omitempty"`
	// ThirdParties names vendors this service needs.
	ThirdParties []string `json:"thirdParties" yaml:"thirdParties,omitempty"`
}

// ThirdParty is a vendor or external service the organisation depends on.
type ThirdParty struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Website     string   `json:"website,omitempty" yaml:"website,omitempty"`
	StatusPage  string   `json:"statusPage,omitempty" yaml:"statusPage,omitempty"`
	DataClasses []string `json:"dataClasses" yaml:"dataClasses,omitempty"`
}

// Catalog is a whole set of teams, services and third parties.
type Catalog struct {
	Teams        []Team       `json:"teams" yaml:"teams,omitempty"`
	Services     []Service    `json:"services" yaml:"services,omitempty"`
	ThirdParties []ThirdParty `json:"thirdParties" yaml:"thirdParties,omitempty"`
}

// Kinds of catalog objects, as used in plans, audit entries and errors.
const (
	KindTeam       = "team"
	KindService    = "service"
	KindThirdParty = "thirdParty"
)

// Loc is a place in an input file. The zero Loc means "unknown".
type Loc struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
}

func (l Loc) String() string {
	switch {
	case l.File == "" && l.Line == 0:
		return ""
	case l.Line == 0:
		return l.File
	}
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Col)
}

// Document is a catalog read from one or more files, with the location of
// every object and field so that errors can point at them.
type Document struct {
	Catalog
	// Warnings are problems that did not stop the read (a Backstage kind
	// Palisade does not model, an owner that is a user, ...).
	Warnings []string
	// Sections are the top-level sections other capabilities own
	// (remediation, ...), by name, for their owners to decode.
	Sections map[string]*Node
	locs     map[string]Loc
}

// SetLoc records where field of the object kind/name was read. field ""
// is the object itself.
func (d *Document) SetLoc(kind, name, field string, l Loc) {
	if d.locs == nil {
		d.locs = map[string]Loc{}
	}
	d.locs[kind+"\x00"+name+"\x00"+field] = l
}

// Loc returns where field of kind/name was read, falling back to the object's
// own location, and the zero Loc when neither is known.
func (d *Document) Loc(kind, name, field string) Loc {
	if l, ok := d.locs[kind+"\x00"+name+"\x00"+field]; ok {
		return l
	}
	return d.locs[kind+"\x00"+name+"\x00"]
}

// Merge appends other's objects, warnings and locations to d.
func (d *Document) Merge(other *Document) {
	d.Teams = append(d.Teams, other.Teams...)
	d.Services = append(d.Services, other.Services...)
	d.ThirdParties = append(d.ThirdParties, other.ThirdParties...)
	d.Warnings = append(d.Warnings, other.Warnings...)
	for name, n := range other.Sections {
		if d.Sections == nil {
			d.Sections = map[string]*Node{}
		}
		if prev, dup := d.Sections[name]; dup {
			d.Warnings = append(d.Warnings, fmt.Sprintf("section %q at %s replaces the one at %s", name, n.Loc, prev.Loc))
		}
		d.Sections[name] = n
	}
	for k, v := range other.locs {
		if d.locs == nil {
			d.locs = map[string]Loc{}
		}
		if _, ok := d.locs[k]; !ok {
			d.locs[k] = v
		}
	}
}

// Normalize sorts and de-duplicates list fields and fills defaults, so that
// two declarations that mean the same compare equal.
func (c *Catalog) Normalize() {
	for i := range c.Teams {
		c.Teams[i].Members = normList(c.Teams[i].Members)
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.Tier == 0 {
			s.Tier = DefaultTier
		}
		s.Tags = normList(s.Tags)
		s.DataClasses = normList(s.DataClasses)
		s.DependsOn = normList(s.DependsOn)
		s.ThirdParties = normList(s.ThirdParties)
	}
	for i := range c.ThirdParties {
		c.ThirdParties[i].DataClasses = normList(c.ThirdParties[i].DataClasses)
	}
	slices.SortFunc(c.Teams, func(a, b Team) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(c.Services, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(c.ThirdParties, func(a, b ThirdParty) int { return strings.Compare(a.Name, b.Name) })
}

func normList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Validate checks d on its own and against existing, the catalog already
// stored (nil when there is none or when prune is set, because then only the
// declared objects will remain). It returns every problem found, each naming
// where it is.
func (d *Document) Validate(existing *Catalog) palisade.Errors {
	var errs palisade.Errors
	add := func(kind, name, field, format string, args ...any) {
		loc := d.Loc(kind, name, field)
		f := loc.String()
		if f == "" {
			f = kind + " " + name
			if field != "" {
				f += "." + field
			}
		}
		errs = append(errs, palisade.FieldErrorf(palisade.EUNPROCESSABLE, f, format, args...))
	}
	if n := len(d.Teams) + len(d.Services) + len(d.ThirdParties); n > MaxObjects {
		errs = append(errs, palisade.Errorf(palisade.ETOOLARGE, "catalog declares %d objects; the limit is %d", n, MaxObjects))
		return errs
	}

	teams := map[string]bool{}
	services := map[string]bool{}
	vendors := map[string]bool{}
	if existing != nil {
		for _, t := range existing.Teams {
			teams[t.Name] = true
		}
		for _, s := range existing.Services {
			services[s.Name] = true
		}
		for _, v := range existing.ThirdParties {
			vendors[v.Name] = true
		}
	}
	seen := map[string]bool{}
	checkName := func(kind, name string) {
		switch {
		case name == "":
			add(kind, name, "name", "name is required")
		case !ValidName(name):
			add(kind, name, "name", "invalid name %q: use lowercase letters, digits, '.', '_' and '-' (at most %d characters)", name, MaxNameLen)
		case seen[kind+"/"+name]:
			add(kind, name, "name", "duplicate %s name %q", kind, name)
		}
		seen[kind+"/"+name] = true
	}
	checkList := func(kind, name, field string, list []string) {
		if len(list) > MaxListLen {
			add(kind, name, field, "%d entries; the limit is %d", len(list), MaxListLen)
		}
		for _, v := range list {
			if len(v) > MaxNameLen*4 {
				add(kind, name, field, "entry %.20q... is longer than %d characters", v, MaxNameLen*4)
			}
		}
	}
	checkDesc := func(kind, name, desc string) {
		if len(desc) > MaxDescriptionLen {
			add(kind, name, "description", "description is %d characters; the limit is %d", len(desc), MaxDescriptionLen)
		}
	}
	for _, t := range d.Teams {
		checkName(KindTeam, t.Name)
		checkDesc(KindTeam, t.Name, t.Description)
		checkList(KindTeam, t.Name, "members", t.Members)
		teams[t.Name] = true
	}
	for _, v := range d.ThirdParties {
		checkName(KindThirdParty, v.Name)
		checkDesc(KindThirdParty, v.Name, v.Description)
		checkList(KindThirdParty, v.Name, "dataClasses", v.DataClasses)
		for field, u := range map[string]string{"statusPage": v.StatusPage, "website": v.Website} {
			if u != "" && !validURL(u) {
				add(KindThirdParty, v.Name, field, "%q is not an absolute http(s) URL", u)
			}
		}
		vendors[v.Name] = true
	}
	for _, s := range d.Services {
		checkName(KindService, s.Name)
		services[s.Name] = true
	}
	for _, s := range d.Services {
		checkDesc(KindService, s.Name, s.Description)
		switch {
		case s.Team == "":
			add(KindService, s.Name, "team", "team is required")
		case !teams[s.Team]:
			add(KindService, s.Name, "team", "unknown team %q", s.Team)
		}
		if s.Tier != 0 && (s.Tier < MinTier || s.Tier > MaxTier) {
			add(KindService, s.Name, "tier", "tier %d is out of range %d..%d", s.Tier, MinTier, MaxTier)
		}
		for field, list := range map[string][]string{"tags": s.Tags, "dataClasses": s.DataClasses, "dependsOn": s.DependsOn, "thirdParties": s.ThirdParties} {
			checkList(KindService, s.Name, field, list)
		}
		for _, dep := range s.DependsOn {
			switch {
			case dep == s.Name:
				add(KindService, s.Name, "dependsOn", "service %q depends on itself", s.Name)
			case !services[dep]:
				add(KindService, s.Name, "dependsOn", "unknown service %q", dep)
			}
		}
		for _, v := range s.ThirdParties {
			if !vendors[v] {
				add(KindService, s.Name, "thirdParties", "unknown third party %q", v)
			}
		}
	}
	return errs
}

func validURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) > len("https://") && len(s) <= 2048 && !strings.ContainsAny(s, " \t\n")
}
