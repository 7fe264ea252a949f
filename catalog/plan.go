package catalog

import (
	"reflect"
)

// Operations in a plan.
const (
	OpCreate    = "create"
	OpUpdate    = "update"
	OpUnchanged = "unchanged"
	OpDelete    = "delete"
)

// Change is one object's fate in a plan. Before is nil for a create, After
// is nil for a delete; both are *Team, *Service or *ThirdParty.
type Change struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Op     string `json:"op"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// Counts summarises a plan for one kind.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
}

// Plan is what applying a declared catalog will do. Changes lists every
// object that is created, updated or deleted (unchanged ones are only
// counted); creates come in dependency order (teams and third parties before
// services, a service after the services it depends on) and deletes after
// all creates and updates, in reverse order.
type Plan struct {
	Changes []Change          `json:"changes"`
	Summary map[string]Counts `json:"summary"`
	// Warnings carries the document's warnings to the caller.
	Warnings []string `json:"warnings,omitempty"`
	// Sections names the other capabilities' sections that were applied.
	Sections []string `json:"sections,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Diff computes the plan that turns current into desired. Both must be
// normalized. Objects in current that desired does not declare are deleted
// only when prune is set.
func Diff(current, desired *Catalog, prune bool) *Plan {
	p := &Plan{Summary: map[string]Counts{KindTeam: {}, KindService: {}, KindThirdParty: {}}}
	var deletes []Change

	diffKind(p, &deletes, KindTeam, current.Teams, desired.Teams, func(t Team) string { return t.Name }, prune)
	diffKind(p, &deletes, KindThirdParty, current.ThirdParties, desired.ThirdParties, func(t ThirdParty) string { return t.Name }, prune)
	// Services reference each other through foreign keys; write them in
	// dependency order so that every reference exists when a row is written.
	ordered := dependencyOrder(desired.Services)
	diffKind(p, &deletes, KindService, current.Services, ordered, func(s Service) string { return s.Name }, prune)

	// Delete services first (they reference teams and third parties), then
	// the rest.
	for i := len(deletes) - 1; i >= 0; i-- {
		if deletes[i].Kind == KindService {
			p.Changes = append(p.Changes, deletes[i])
		}
	}
	for _, d := range deletes {
		if d.Kind != KindService {
			p.Changes = append(p.Changes, d)
		}
	}
	return p
}

func diffKind[T any](p *Plan, deletes *[]Change, kind string, current, desired []T, name func(T) string, prune bool) {
	cur := make(map[string]*T, len(current))
	for i := range current {
		cur[name(current[i])] = &current[i]
	}
	c := p.Summary[kind]
	declared := make(map[string]bool, len(desired))
	for i := range desired {
		d := &desired[i]
		n := name(*d)
		declared[n] = true
		before, ok := cur[n]
		switch {
		case !ok:
			c.Created++
			p.Changes = append(p.Changes, Change{Kind: kind, Name: n, Op: OpCreate, After: d})
		case reflect.DeepEqual(*before, *d):
			c.Unchanged++
		default:
			c.Updated++
			p.Changes = append(p.Changes, Change{Kind: kind, Name: n, Op: OpUpdate, Before: before, After: d})
		}
	}
	if prune {
		for i := range current {
			n := name(current[i])
			if !declared[n] {
				c.Deleted++
				*deletes = append(*deletes, Change{Kind: kind, Name: n, Op: OpDelete, Before: &current[i]})
			}
		}
	}
	p.Summary[kind] = c
}

// dependencyOrder returns services sorted so that each comes after the
// services it depends on (where those are in the list); cycles keep their
// input order. Dependencies are stored as edges, so order only matters for
// readability of the plan, not for correctness.
func dependencyOrder(in []Service) []Service {
	idx := make(map[string]int, len(in))
	for i, s := range in {
		idx[s.Name] = i
	}
	state := make([]uint8, len(in)) // 0 new, 1 visiting, 2 done
	out := make([]Service, 0, len(in))
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, d := range in[i].DependsOn {
			if j, ok := idx[d]; ok && state[j] == 0 {
				visit(j)
			}
		}
		state[i] = 2
		out = append(out, in[i])
	}
	for i := range in {
		visit(i)
	}
	return out
}
