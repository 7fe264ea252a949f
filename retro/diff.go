package retro

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Changes returns what differs between before and after, as it was and as
// it is, for the audit log: whole values for the simple fields and lists,
// and for sections and action items only the ones that changed, appeared
// or went (keyed by section key and item id), so that an edit of one
// section does not copy the whole document twice. UpdatedAt is left out:
// the audit entry has its own time. A nil before or after yields a nil
// map for that side (a create or a delete records the whole document
// instead).
func Changes(before, after *Retrospective) (was, now map[string]any) {
	if before == nil || after == nil {
		return nil, nil
	}
	was, now = map[string]any{}, map[string]any{}
	b, a := jsonFields(before), jsonFields(after)
	for _, k := range sortedKeys(b, a) {
		switch k {
		case "updatedAt", "sections", "actionItems":
			continue
		}
		if !bytes.Equal(b[k], a[k]) {
			if v, ok := b[k]; ok {
				was[k] = v
			}
			if v, ok := a[k]; ok {
				now[k] = v
			}
		}
	}
	diffBy(before.Sections, after.Sections, func(s Section) string { return s.Key }, "sections", was, now)
	diffBy(before.ActionItems, after.ActionItems, func(a ActionItem) string { return a.ID }, "actionItems", was, now)
	return was, now
}

func jsonFields(r *Retrospective) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	b, _ := json.Marshal(r) // a Retrospective always marshals
	json.Unmarshal(b, &m)
	return m
}

func sortedKeys(ms ...map[string]json.RawMessage) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// diffBy records under name the elements of before and after (matched by
// key) that differ.
func diffBy[T any](before, after []T, key func(T) string, name string, was, now map[string]any) {
	bm, am := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for _, x := range before {
		bm[key(x)], _ = json.Marshal(x)
	}
	for _, x := range after {
		am[key(x)], _ = json.Marshal(x)
	}
	bw, aw := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for _, k := range sortedKeys(bm, am) {
		if bytes.Equal(bm[k], am[k]) {
			continue
		}
		if v, ok := bm[k]; ok {
			bw[k] = v
		}
		if v, ok := am[k]; ok {
			aw[k] = v
		}
	}
	if len(bw) > 0 {
		was[name] = bw
	}
	if len(aw) > 0 {
		now[name] = aw
	}
	// The order of sections is part of the document too.
	if len(bw) == 0 && len(aw) == 0 && !slices.EqualFunc(before, after, func(x, y T) bool { return key(x) == key(y) }) {
		was[name+"Order"] = keysOf(before, key)
		now[name+"Order"] = keysOf(after, key)
	}
}

func keysOf[T any](l []T, key func(T) string) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = key(x)
	}
	return out
}
