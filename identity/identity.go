// Package identity is the embedded identity service: the subset of
// OpenStack Keystone's v3 API that clients use (version discovery,
// password and token authentication with project or domain scope, token
// validation and revocation, domains, projects, users, roles, role
// assignments and the service catalog).
//
// Records live in the store under "identity/" and are mirrored in memory
// by a watch, so validating a token costs an HMAC and a few map lookups;
// every zund sharing the etcd sees the same users, signing key and
// revocations. Tokens are signed, not stored: see token.go.
package identity

import (
	"strings"
	"time"
)

// The records of the identity service, as stored.

// Domain is a namespace of users and projects.
type Domain struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
}

// Project owns containers and other resources; quotas and isolation are
// per project.
type Project struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DomainID    string `json:"domain_id"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
}

// User is someone who authenticates with a password.
type User struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	DomainID         string `json:"domain_id"`
	DefaultProjectID string `json:"default_project_id,omitempty"`
	Description      string `json:"description,omitempty"`
	Email            string `json:"email,omitempty"`
	Enabled          bool   `json:"enabled"`
	// PasswordHash is a bcrypt hash of the SHA-256 of the password (see
	// hashPassword); never served.
	PasswordHash string `json:"password_hash,omitempty"`
	// TokensValidAfter invalidates every token issued before it: set
	// when the password changes.
	TokensValidAfter time.Time `json:"tokens_valid_after"`
}

// Role is a named set of permissions that policy rules refer to.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Assignment grants a role to a user on a project or a domain.
type Assignment struct {
	UserID    string `json:"user_id"`
	RoleID    string `json:"role_id"`
	ProjectID string `json:"project_id,omitempty"`
	DomainID  string `json:"domain_id,omitempty"`
}

// Revocation invalidates the tokens of one audit chain until they expire.
type Revocation struct {
	AuditID   string    `json:"audit_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RevocationEvent invalidates, for good, every token issued before it
// that it matches (Keystone's revocation events; "before" in store
// revisions, see revoke.go): a user's tokens (UserID alone: the user was
// disabled or deleted, or their password changed), the tokens scoped to
// a project (ProjectID alone: the project was disabled or deleted), or a
// user's tokens on one project or domain (UserID with ProjectID or
// DomainID: a role assignment was removed). Restoring what was changed
// does not bring those tokens back.
type RevocationEvent struct {
	UserID    string `json:"user_id,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	DomainID  string `json:"domain_id,omitempty"`
	// IssuedBefore is when it was recorded, for people reading it.
	IssuedBefore time.Time `json:"issued_before"`
	// ExpiresAt is when every token the event may match has expired
	// anyway; the event is pruned then.
	ExpiresAt time.Time `json:"expires_at"`
}

// DefaultDomainID is the domain every deployment has.
const (
	DefaultDomainID   = "default"
	DefaultDomainName = "Default"
)

// The roles created at bootstrap; each implies the next, as in Keystone:
// an admin is a member, a member is a reader.
var bootstrapRoles = []string{"admin", "member", "reader"}

// implied lists the roles a role name implies, itself first.
func implied(role string) []string {
	switch strings.ToLower(role) {
	case "admin":
		return []string{role, "member", "reader"}
	case "member":
		return []string{role, "reader"}
	}
	return []string{role}
}
