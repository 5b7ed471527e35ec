package keystone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// The two Keystone calls the validator makes, and their wire types.

// maxBody bounds what is read of a Keystone response; a token with its
// roles is a few kilobytes (the catalog is never asked for).
const maxBody = 1 << 20

// errServiceTokenRejected is Keystone answering 401 to the service token:
// it expired early or was revoked, and a new one may do.
var errServiceTokenRejected = errors.New("keystone rejected the service token")

// tokenBody is a token as Keystone v3 shows it.
type tokenBody struct {
	Token struct {
		ExpiresAt time.Time `json:"expires_at"`
		User      struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain struct {
				ID string `json:"id"`
			} `json:"domain"`
		} `json:"user"`
		Project *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		Roles []struct {
			Name string `json:"name"`
		} `json:"roles"`
	} `json:"token"`
}

// principal maps the token to the container API's caller. A token without
// a project is refused: every container belongs to a project.
func (b *tokenBody) principal() (auth.Principal, error) {
	t := b.Token
	if t.Project == nil || t.Project.ID == "" {
		return auth.Principal{}, errdefs.Unauthorizedf("token of user %q is not scoped to a project, and the container API needs a project-scoped token", t.User.Name)
	}
	p := auth.Principal{
		UserID:      t.User.ID,
		UserName:    t.User.Name,
		ProjectID:   t.Project.ID,
		ProjectName: t.Project.Name,
		DomainID:    t.User.Domain.ID,
	}
	for _, r := range t.Roles {
		p.Roles = append(p.Roles, strings.ToLower(r.Name))
	}
	return p, nil
}

// passwordAuth is the request body of a password authentication scoped to
// a project.
func (c Config) passwordAuth() any {
	type named struct {
		Name string `json:"name"`
	}
	type user struct {
		Name     string `json:"name"`
		Domain   named  `json:"domain"`
		Password string `json:"password"`
	}
	type project struct {
		Name   string `json:"name"`
		Domain named  `json:"domain"`
	}
	var body struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User user `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project project `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	body.Auth.Identity.Methods = []string{"password"}
	body.Auth.Identity.Password.User = user{Name: c.Username, Domain: named{c.UserDomainName}, Password: c.Password}
	body.Auth.Scope.Project = project{Name: c.ProjectName, Domain: named{c.ProjectDomainName}}
	return body
}

// authenticate obtains a service token and its expiry.
func (v *Validator) authenticate(ctx context.Context) (string, time.Time, error) {
	raw, err := json.Marshal(v.cfg.passwordAuth())
	if err != nil {
		return "", time.Time{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.endpoint+"/auth/tokens?nocatalog", bytes.NewReader(raw))
	if err != nil {
		return "", time.Time{}, errdefs.Invalidf("keystone: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return "", time.Time{}, errdefs.Unavailablef("keystone at %s: authenticating service user %q: %w", v.endpoint, v.cfg.Username, err)
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		// The caller's token is not at fault: this is the operator's
		// configuration, so the API answers 503, not 401.
		return "", time.Time{}, errdefs.Unavailablef("keystone at %s refused the credentials of service user %q in project %q", v.endpoint, v.cfg.Username, v.cfg.ProjectName)
	case resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK:
		return "", time.Time{}, errdefs.Unavailablef("keystone at %s: authenticating service user %q: %s", v.endpoint, v.cfg.Username, resp.Status)
	}
	var body tokenBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&body); err != nil {
		return "", time.Time{}, errdefs.Unavailablef("keystone at %s: reading service token: %w", v.endpoint, err)
	}
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return "", time.Time{}, errdefs.Unavailablef("keystone at %s: no X-Subject-Token in the answer to the service authentication", v.endpoint)
	}
	return token, body.Token.ExpiresAt, nil
}

// check asks Keystone what token stands for, on behalf of the service
// token. It returns the principal and when the token expires, an
// unauthorized error for a token Keystone does not know (bad, expired or
// revoked), or errServiceTokenRejected.
func (v *Validator) check(ctx context.Context, serviceToken, token string) (auth.Principal, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.endpoint+"/auth/tokens?nocatalog", nil)
	if err != nil {
		return auth.Principal{}, time.Time{}, errdefs.Invalidf("keystone: %v", err)
	}
	req.Header.Set("X-Auth-Token", serviceToken)
	req.Header.Set("X-Subject-Token", token)
	resp, err := v.client.Do(req)
	if err != nil {
		return auth.Principal{}, time.Time{}, errdefs.Unavailablef("keystone at %s: validating a token: %w", v.endpoint, err)
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return auth.Principal{}, time.Time{}, errdefs.Unauthorizedf("token is not valid (unknown, expired or revoked)")
	case http.StatusUnauthorized:
		return auth.Principal{}, time.Time{}, errServiceTokenRejected
	case http.StatusForbidden:
		return auth.Principal{}, time.Time{}, errdefs.Unavailablef("keystone at %s does not let service user %q validate tokens: give it the service role in project %q", v.endpoint, v.cfg.Username, v.cfg.ProjectName)
	default:
		return auth.Principal{}, time.Time{}, errdefs.Unavailablef("keystone at %s: validating a token: %s", v.endpoint, resp.Status)
	}
	var body tokenBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&body); err != nil {
		return auth.Principal{}, time.Time{}, errdefs.Unavailablef("keystone at %s: reading a validated token: %w", v.endpoint, err)
	}
	p, err := body.principal()
	return p, body.Token.ExpiresAt, err
}

// drain reads what is left of a response so its connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
}
