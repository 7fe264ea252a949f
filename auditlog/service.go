package auditlog

import (
	"context"
	"strconv"
	"time"

	"github.com/palisade-project/palisade"
)

// Filter selects audit entries, newest first. Zero fields match everything.
type Filter struct {
	Actor  string // "kind:name", exact
	Action string // exact, or a prefix ending in "." such as "service."
	Kind   string
	Object string
	Since  time.Time
	Until  time.Time
	// Before continues a listing: only entries with a smaller seq.
	Before int64
	Limit  int
}

// Store is what the audit log needs from persistence. Appending happens
// inside each capability's own write transaction, not through this
// interface.
type Store interface {
	ListAudit(ctx context.Context, f Filter) ([]Entry, error)
	// ScanAudit reads the stored head, then calls fn for every entry up to
	// that head in seq order, stopping at fn's first error.
	ScanAudit(ctx context.Context, fn func(*Entry) error) (Head, error)
}

// Page sizes for List.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Service reads and verifies the audit log.
type Service struct{ store Store }

// NewService returns the audit log capability over store.
func NewService(store Store) *Service { return &Service{store: store} }

// List returns one page of entries, newest first, and the cursor for the
// next page ("" at the end). Before and after states can hold anything
// that was changed, so reading them requires admin.
func (s *Service) List(ctx context.Context, f Filter) ([]Entry, string, error) {
	if err := palisade.AuthorizeAll(ctx, palisade.RoleAdmin); err != nil {
		return nil, "", err
	}
	switch {
	case f.Limit <= 0:
		f.Limit = DefaultPageSize
	case f.Limit > MaxPageSize:
		f.Limit = MaxPageSize
	}
	want := f.Limit
	f.Limit++
	items, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if len(items) > want {
		items = items[:want]
		return items, strconv.FormatInt(items[len(items)-1].Seq, 10), nil
	}
	return items, "", nil
}

// Verify walks the whole chain and reports the first broken entry. expect,
// when not nil, is a head recorded elsewhere that the chain must contain.
// The result only says whether and where the log was tampered with, so any
// role may ask.
func (s *Service) Verify(ctx context.Context, expect *Head) (Result, error) {
	if err := palisade.Authorize(ctx, palisade.RoleViewer); err != nil {
		return Result{}, err
	}
	v := NewVerifier(expect)
	head, err := s.store.ScanAudit(ctx, func(e *Entry) error {
		v.Add(e)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	return v.Finish(head), nil
}
