package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/palisade-project/palisade/catalog"
)

// SectionName is the section of palisade.yaml that declares notifiers.
const SectionName = "notifiers"

// Section returns the handler that checks and stores the notifiers section.
// It checks with a nil lookup: the file holds ${NAME} references, and the
// values live only in the server's environment.
func Section(st catalog.SectionStore) catalog.SectionHandler {
	return catalog.StoredSection(st, SectionName, func(_ context.Context, n *catalog.Node) error {
		_, err := TargetsFromSection(n, nil)
		return err
	})
}

// Live is the set of notifiers declared in the stored notifiers section,
// rebuilt when the section changes, so that an apply reaches running
// dispatchers on every replica without a restart.
type Live struct {
	st     catalog.SectionStore
	lookup func(string) (string, bool)
	opts   Options

	mu       sync.Mutex
	raw      json.RawMessage
	loaded   bool
	built    map[string]Notifier
	problems map[string]error
}

// NewLive returns notifiers read from st, with ${NAME} references resolved
// by lookup (os.LookupEnv in the server).
func NewLive(st catalog.SectionStore, lookup func(string) (string, bool), opts Options) *Live {
	return &Live{st: st, lookup: lookup, opts: opts}
}

// Notifier returns the notifier named name. A declared notifier that
// cannot work here (an unset environment variable, a bad URL) is an error
// naming the reason; so is an undeclared name.
func (l *Live) Notifier(ctx context.Context, name string) (Notifier, error) {
	raw, err := l.st.ConfigSection(ctx, SectionName)
	if err != nil {
		return nil, fmt.Errorf("read the notifiers section: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded || !bytes.Equal(raw, l.raw) {
		l.rebuild(ctx, raw)
	}
	if n, ok := l.built[name]; ok {
		return n, nil
	}
	if err, ok := l.problems[name]; ok {
		return nil, err
	}
	if err, ok := l.problems[""]; ok {
		return nil, err
	}
	return nil, fmt.Errorf("no notifier named %q is declared under notifiers in palisade.yaml", name)
}

func (l *Live) rebuild(ctx context.Context, raw json.RawMessage) {
	l.raw, l.loaded = raw, true
	l.built, l.problems = map[string]Notifier{}, map[string]error{}
	n, err := catalog.LoadSection(ctx, l.st, SectionName)
	if err != nil {
		l.problems[""] = err
		return
	}
	// Parse without the lookup first, so that one unset variable
	// disables only its own notifier.
	targets, err := TargetsFromSection(n, nil)
	if err != nil {
		l.problems[""] = err
		return
	}
	for i, t := range targets {
		one := &catalog.Node{Kind: catalog.ListNode, List: n.List[i : i+1]}
		resolved, err := TargetsFromSection(one, l.lookup)
		if err != nil {
			l.problems[t.Name] = fmt.Errorf("notifier %s cannot be used: %w", t.Name, err)
			continue
		}
		nt, err := New(resolved[0], l.opts)
		if err != nil {
			l.problems[t.Name] = err
			continue
		}
		l.built[t.Name] = nt
	}
}
