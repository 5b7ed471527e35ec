// Package authtest has the principals and token validator that the
// embedded services' handler tests share.
package authtest

import (
	"context"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// Tokens maps a token to its principal; it is an auth.Validator.
type Tokens map[string]auth.Principal

// Validate implements auth.Validator.
func (t Tokens) Validate(_ context.Context, token string) (auth.Principal, error) {
	p, ok := t[token]
	if !ok {
		return auth.Principal{}, errdefs.Unauthorizedf("The request you have made requires authentication.")
	}
	return p, nil
}

// Principals are four callers, each with its token as the key: alice and
// bob, members of projects pa and pb; reader, a reader of pa; admin, the
// admin (of project pz).
var Principals = Tokens{
	"alice":  {UserID: "ua", ProjectID: "pa", Roles: []string{auth.RoleMember, auth.RoleReader}},
	"bob":    {UserID: "ub", ProjectID: "pb", Roles: []string{auth.RoleMember, auth.RoleReader}},
	"reader": {UserID: "ur", ProjectID: "pa", Roles: []string{auth.RoleReader}},
	"admin":  {UserID: "uz", ProjectID: "pz", Roles: []string{auth.RoleAdmin, auth.RoleMember, auth.RoleReader}},
}
