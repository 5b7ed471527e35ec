// Package auth carries the caller's identity through a request.
//
// The API edge puts a Principal into the context; stores read the Scope
// from it and refuse calls that have none, so a handler that forgets to
// filter by project cannot leak another tenant's data. Seeing across
// projects is an explicit flag that only admins get.
package auth

import (
	"context"
	"slices"

	"github.com/zun-go/zun/errdefs"
)

// Role names as OpenStack uses them.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleReader = "reader"
)

// Principal is who is calling.
type Principal struct {
	UserID      string
	UserName    string
	ProjectID   string
	ProjectName string
	DomainID    string
	Roles       []string
	// Token is the caller's token, passed on to services called for them.
	Token string
}

// HasRole reports whether the principal holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// IsAdmin reports whether the principal holds the admin role.
func (p Principal) IsAdmin() bool { return p.HasRole(RoleAdmin) }

// Scope is what a store call may see.
type Scope struct {
	// ProjectID limits the call to one project.
	ProjectID string
	// AllProjects lifts the limit. Only admin handlers and the system's own
	// components (scheduler, compute agents through the control plane) set it.
	AllProjects bool
}

type principalKey struct{}
type scopeKey struct{}

// WithPrincipal returns ctx carrying p and a scope limited to p's project.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	return context.WithValue(ctx, scopeKey{}, Scope{ProjectID: p.ProjectID})
}

// FromContext returns the principal of ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithAllProjects returns ctx whose scope sees every project.
func WithAllProjects(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, Scope{AllProjects: true})
}

// System returns a context for the service's own components, which see all
// projects. It is never derived from a request.
func System(ctx context.Context) context.Context { return WithAllProjects(ctx) }

// ScopeFrom returns the scope of ctx, or an error when the call is unscoped.
func ScopeFrom(ctx context.Context) (Scope, error) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	if !ok || (!s.AllProjects && s.ProjectID == "") {
		return Scope{}, errdefs.Forbiddenf("unscoped call: no project in context")
	}
	return s, nil
}

// Allows reports whether the scope may see an object of projectID.
func (s Scope) Allows(projectID string) bool { return s.AllProjects || s.ProjectID == projectID }

// MayCreateIn checks that ctx's scope allows creating an object of kind
// ("volume", in the message) in project.
func MayCreateIn(ctx context.Context, project, kind string) error {
	scope, err := ScopeFrom(ctx)
	if err != nil {
		return err
	}
	if project == "" || !scope.Allows(project) {
		return errdefs.Forbiddenf("cannot create a %s in project %q", kind, project)
	}
	return nil
}
