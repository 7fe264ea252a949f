package sbom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// builder collects one file's components and findings, so that every reader
// dedupes, validates purls and caps warnings the same way.
type builder struct {
	inv        Inventory
	components map[string]int // dedupe key -> index in inv.Components
	findings   map[[2]string]int
	// merged holds, per finding index, the aliases and fixed versions
	// already there, so that merging thousands of repeats of one finding
	// stays linear.
	merged   map[int]*findingSets
	warnings int // all warnings, including those past MaxWarnings
}

type findingSets struct{ aliases, fixed map[string]bool }

func newBuilder(name, format string) *builder {
	return &builder{
		inv:        Inventory{File: name, Format: format},
		components: map[string]int{},
		findings:   map[[2]string]int{},
		merged:     map[int]*findingSets{},
	}
}

func (b *builder) warnf(format string, args ...any) {
	b.warnings++
	if len(b.inv.Warnings) < MaxWarnings {
		b.inv.Warnings = append(b.inv.Warnings, fmt.Sprintf(format, args...))
	}
}

// add adds c unless a component with the same purl is already there, and
// warns when c cannot be matched against advisories. It returns the purl the
// inventory holds for c's package, which for a duplicate is the first one's.
func (b *builder) add(c Component) string {
	return b.addWhy(c, "")
}

// addWhy is add with a reason for a missing purl, for the warning.
func (b *builder) addWhy(c Component, why string) string {
	key, valid := componentKey(c)
	if i, ok := b.components[key]; ok {
		return b.inv.Components[i].Purl
	}
	b.components[key] = len(b.inv.Components)
	b.inv.Components = append(b.inv.Components, c)
	switch {
	case c.Purl == "" && why != "":
		b.warnf("%s: component %s has no purl (%s); it cannot be matched against advisories", c.Location, describe(c), why)
	case c.Purl == "":
		b.warnf("%s: component %s has no purl; it cannot be matched against advisories", c.Location, describe(c))
	case !valid:
		b.warnf("%s: component %s has an invalid purl %q; it cannot be matched against advisories", c.Location, describe(c), c.Purl)
	}
	return c.Purl
}

// componentKey is the purl in canonical form, so that two spellings of one
// package ("pkg:npm/@a/b", "pkg:npm/%40a/b") count once; components without
// a valid purl are told apart by what the file says about them. valid
// reports whether the purl parses.
func componentKey(c Component) (key string, valid bool) {
	if c.Purl != "" {
		if p, err := packageurl.FromString(c.Purl); err == nil {
			return "purl\x00" + p.ToString(), true
		}
		// An invalid purl does not identify a package: syft has written
		// "pkg:pypi/" for several different ones.
		return "raw\x00" + c.Purl + "\x00" + c.Type + "\x00" + c.Group + "\x00" + c.Name + "\x00" + c.Version, false
	}
	return "none\x00" + c.Type + "\x00" + c.Group + "\x00" + c.Name + "\x00" + c.Version, false
}

// describe names a component for a warning: "jackson-databind 2.9.4".
func describe(c Component) string {
	name := c.Name
	if c.Group != "" {
		name = c.Group + "/" + name
	}
	if name == "" {
		name = "(unnamed)"
	}
	if c.Version != "" {
		return fmt.Sprintf("%q %s", name, c.Version)
	}
	return fmt.Sprintf("%q", name)
}

// maxListed caps a finding's aliases and fixed versions. Real advisories
// have a handful; the cap keeps a crafted file (one advisory with millions
// of aliases, affecting thousands of packages) from costing their product.
const maxListed = 64

// capList returns the distinct, non-blank strings of lists other than
// skip, in order, stopping at maxListed; it reads no further than it
// needs, so its cost is bounded by what it returns plus the blanks and
// repeats before them.
func capList(skip string, lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, s := range list {
			if len(out) == maxListed {
				return out
			}
			if s = strings.TrimSpace(s); s != "" && s != skip && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// addFinding adds f, or merges its aliases and fixed versions into the
// finding already there for the same purl and id: scanners repeat a
// vulnerability for each target that contains the package. Callers pass
// lists built with capList.
func (b *builder) addFinding(f Finding) {
	key := [2]string{f.Purl, f.ID}
	i, ok := b.findings[key]
	if !ok {
		i = len(b.inv.Findings)
		b.findings[key] = i
		b.merged[i] = &findingSets{aliases: map[string]bool{}, fixed: map[string]bool{}}
		aliases, fixed := f.Aliases, f.Fixed
		f.Aliases, f.Fixed = nil, nil
		b.inv.Findings = append(b.inv.Findings, f)
		f.Aliases, f.Fixed = aliases, fixed
	}
	old, sets := &b.inv.Findings[i], b.merged[i]
	for _, a := range f.Aliases {
		if len(old.Aliases) == maxListed {
			break
		}
		if a = strings.TrimSpace(a); a != "" && a != old.ID && !sets.aliases[a] {
			sets.aliases[a] = true
			old.Aliases = append(old.Aliases, a)
		}
	}
	// Fixed versions keep the file's order, which is often meaningful
	// (lowest fix first).
	for _, v := range f.Fixed {
		if len(old.Fixed) == maxListed {
			break
		}
		if v = strings.TrimSpace(v); v != "" && !sets.fixed[v] {
			sets.fixed[v] = true
			old.Fixed = append(old.Fixed, v)
		}
	}
	if severityRank(f.Severity) > severityRank(old.Severity) {
		old.Severity = f.Severity
	}
}

func (b *builder) finish() *Inventory {
	for i := range b.inv.Findings {
		slices.Sort(b.inv.Findings[i].Aliases)
	}
	if b.warnings > MaxWarnings {
		kept := b.inv.Warnings[:MaxWarnings-1]
		b.inv.Warnings = append(kept, fmt.Sprintf("%d more warnings were left out", b.warnings-len(kept)))
	}
	inv := b.inv
	return &inv
}
