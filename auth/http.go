package auth

import (
	"context"
	"net/http"

	"github.com/zun-go/zun/errdefs"
)

// Validator turns a token into the caller's principal (the embedded
// identity service, or an external Keystone).
type Validator interface {
	Validate(ctx context.Context, token string) (Principal, error)
}

// FromRequest authenticates r by its X-Auth-Token header with v. noAuth,
// when set, is every caller's principal (development only).
func FromRequest(r *http.Request, v Validator, noAuth *Principal) (Principal, error) {
	if noAuth != nil {
		return *noAuth, nil
	}
	token := r.Header.Get("X-Auth-Token")
	if token == "" || v == nil {
		return Principal{}, errdefs.Unauthorizedf("The request you have made requires authentication.")
	}
	return v.Validate(r.Context(), token)
}
