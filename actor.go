package palisade

import (
	"context"
	"time"
)

// Role is what an actor may do. Roles are ordered: each includes the rights
// of the ones before it.
type Role string

// The roles, from least to most powerful.
const (
	RoleViewer    Role = "viewer"    // reads everything that is not restricted
	RoleResponder Role = "responder" // + works incidents, alerts and finding triage
	RoleEditor    Role = "editor"    // + changes configuration: catalog, policies, objectives
	RoleAdmin     Role = "admin"     // + manages tokens and reads restricted data
)

// Roles lists every role in ascending order of rights.
var Roles = []Role{RoleViewer, RoleResponder, RoleEditor, RoleAdmin}

// Rank returns the position of r in Roles, or -1 for an unknown role.
func (r Role) Rank() int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.Rank() >= 0 }

// AtLeast reports whether r has every right of min.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.Rank() >= min.Rank() }

// Actor is who makes a request or a change: recorded on every audit entry.
type Actor struct {
	// Kind is "token", "session", "cli" or "system".
	Kind string `json:"kind"`
	// Name identifies the actor within its kind: the token's name, the
	// operating-system user of a local CLI run, or the job name.
	Name string `json:"name"`
	// TokenID is the id of the API token behind a token or session actor.
	TokenID string `json:"tokenId,omitempty"`
	Role    Role   `json:"role"`
	// Address is the client's network address, or "local" for the CLI.
	Address string `json:"address"`
	// RequestID ties the change to the request log line.
	RequestID string `json:"requestId,omitempty"`
	// Teams, when not empty, scopes the actor to the services of these
	// teams: capabilities show and change only those, and refuse what
	// spans the whole organisation (catalog, tokens, advisory imports).
	Teams []string `json:"teams,omitempty"`
}

// Scoped reports whether the actor is limited to some teams.
func (a Actor) Scoped() bool { return len(a.Teams) > 0 }

// String returns "kind:name".
func (a Actor) String() string { return a.Kind + ":" + a.Name }

// SystemActor is the actor for changes Palisade makes on its own (jobs,
// bootstrap).
func SystemActor(name string) Actor {
	return Actor{Kind: "system", Name: name, Role: RoleAdmin, Address: "local"}
}

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx and whether there is one.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Authorize returns nil when ctx carries an actor whose role is at least min,
// EUNAUTHORIZED when it carries none, and EFORBIDDEN otherwise. Services call
// it at their entry points so that every path (API, web, CLI) is checked the
// same way.
func Authorize(ctx context.Context, min Role) error {
	a, ok := ActorFrom(ctx)
	if !ok {
		return Errorf(EUNAUTHORIZED, "authentication required")
	}
	if !a.Role.AtLeast(min) {
		return Errorf(EFORBIDDEN, "role %s may not do this; it needs %s or higher", a.Role, min)
	}
	return nil
}

// AuthorizeAll is Authorize for actions that span the whole organisation:
// an actor scoped to teams is refused them.
func AuthorizeAll(ctx context.Context, min Role) error {
	if err := Authorize(ctx, min); err != nil {
		return err
	}
	if a, _ := ActorFrom(ctx); a.Scoped() {
		return Errorf(EFORBIDDEN, "this token is limited to teams %v; this needs an unscoped token", a.Teams)
	}
	return nil
}

// Clock returns the current time. It is injected so that tests control time.
type Clock func() time.Time
