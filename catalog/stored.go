package catalog

import (
	"context"
	"encoding/json"

	"github.com/palisade-project/palisade"
)

// SectionStore keeps sections of palisade.yaml as written (JSON), for the
// capabilities that read them whole: severities, routing, alertSources,
// notifiers, retrospectives.
type SectionStore interface {
	ConfigSection(ctx context.Context, name string) (json.RawMessage, error)
	PutConfigSection(ctx context.Context, name string, section json.RawMessage) error
}

// StoredSection returns a SectionHandler that checks a section with check
// (nil: no check) and then stores it in st as JSON, replacing what was
// stored. check runs before anything is written; it may read sibling
// sections with Sibling.
func StoredSection(st SectionStore, name string, check func(ctx context.Context, n *Node) error) SectionHandler {
	return func(ctx context.Context, n *Node, _ bool) (func(context.Context) error, error) {
		if check != nil {
			if err := check(ctx, n); err != nil {
				return nil, err
			}
		}
		b, err := n.MarshalJSON()
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			if err := palisade.AuthorizeAll(ctx, palisade.RoleEditor); err != nil {
				return err
			}
			return st.PutConfigSection(ctx, name, b)
		}, nil
	}
}

// LoadSection reads a stored section back as a Node (nil when none is
// stored); positions in errors name the stored section.
func LoadSection(ctx context.Context, st SectionStore, name string) (*Node, error) {
	raw, err := st.ConfigSection(ctx, name)
	if err != nil || raw == nil {
		return nil, err
	}
	doc, err := ParseJSON("stored "+name+" section", []byte(`{"`+name+`":`+string(raw)+`}`))
	if err != nil {
		return nil, err
	}
	return doc.Sections[name], nil
}
