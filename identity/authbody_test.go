package identity

import (
	"strings"
	"testing"
)

// demoIdentity is the identity part of a password login of demo.
const demoIdentity = `"identity": {"methods": ["password"], "password": {"user": {"name": "demo",
	"domain": {"id": "default"}, "password": "demo-secret"}}}`

// withScope is a login of demo asking for scope (raw JSON).
func withScope(scope string) string {
	return `{"auth": {` + demoIdentity + `, "scope": ` + scope + `}}`
}

// withIdentity is a login with identity (raw JSON) scoped to demo.
func withIdentity(identity string) string {
	return `{"auth": {"identity": ` + identity + `, "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}`
}

// TestHTTPAuthRefusals: every body shape, method and scope the service
// does not honour is refused with Keystone's status and a message naming
// it, in Keystone's error body; nothing is answered with a token of
// another scope. The statuses follow keystone/auth/schema.py,
// keystone/auth/core.py (AuthInfo) and the password and token plugins;
// trusts are 501 here (see docs/identity.md).
func TestHTTPAuthRefusals(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	const malformed = " The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."
	for _, tc := range []struct {
		name, body string
		want       int
		msg        string // the error message contains it
	}{
		// The body.
		{"empty body", ``, 400, "Expecting to find auth in request body." + malformed},
		{"not JSON", `{"auth": `, 400, "Expecting to find valid JSON in request body."},
		{"not an object", `[]`, 400, "Expecting to find valid JSON in request body."},
		{"no auth", `{}`, 400, "Expecting to find auth in request body."},
		{"auth null", `{"auth": null}`, 400, "Expecting to find auth in request body."},
		{"auth a string", `{"auth": "x"}`, 400, `"x" is not of type 'object'`},
		{"no identity", `{"auth": {}}`, 400, "'identity' is a required property"},
		{"no methods", `{"auth": {"identity": {}}}`, 400, "Invalid input for field 'identity': 'methods' is a required property"},
		{"methods a string", withIdentity(`{"methods": "password"}`), 400, "Invalid input for field 'identity/methods': \"password\" is not of type 'array'"},
		{"method a number", withIdentity(`{"methods": [1]}`), 400, "Invalid input for field 'identity/methods/0': 1 is not of type 'string'"},
		// The methods.
		{"method without its data", withIdentity(`{"methods": ["password"]}`), 400, "Expecting to find password in identity."},
		{"unknown method", withIdentity(`{"methods": ["bogus"], "bogus": {}}`), 401, "Attempted to authenticate with an unsupported method."},
		{"totp not offered", withIdentity(`{"methods": ["password", "totp"], "password": {"user": {"id": "x", "password": "y"}}, "totp": {}}`), 401, "Attempted to authenticate with an unsupported method."},
		{"application credential not offered", withIdentity(`{"methods": ["application_credential"], "application_credential": {"id": "x", "secret": "y"}}`), 401, "Attempted to authenticate with an unsupported method."},
		{"no method", withIdentity(`{"methods": []}`), 401, "The request you have made requires authentication."},
		{"password without user", withIdentity(`{"methods": ["password"], "password": {}}`), 400, "Expecting to find user in password."},
		{"user without id or name", withIdentity(`{"methods": ["password"], "password": {"user": {"password": "x"}}}`), 400, "Invalid input for field identity/password/user: id or name must be present."},
		{"user name without domain", withIdentity(`{"methods": ["password"], "password": {"user": {"name": "demo", "password": "x"}}}`), 400, "Expecting to find domain in user."},
		{"user domain empty", withIdentity(`{"methods": ["password"], "password": {"user": {"name": "demo", "domain": {}, "password": "x"}}}`), 400, "Invalid input for field identity/password/user/domain: id or name must be present."},
		{"password a number", withIdentity(`{"methods": ["password"], "password": {"user": {"id": "x", "password": 5}}}`), 400, "Invalid input for field 'identity/password/user/password': 5 is not of type 'string'"},
		{"no password", withIdentity(`{"methods": ["password"], "password": {"user": {"name": "ghost", "domain": {"id": "default"}}}}`), 401, "The request you have made requires authentication."},
		{"token without id", withIdentity(`{"methods": ["token"], "token": {}}`), 400, "Invalid input for field 'identity/token': 'id' is a required property"},
		{"unknown token", withIdentity(`{"methods": ["token"], "token": {"id": "zt1.nope"}}`), 401, "The request you have made requires authentication."},
		// The scope.
		{"empty scope", withScope(`{}`), 400, "Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope." + malformed},
		{"unknown scope", withScope(`{"bogus": {"id": "x"}}`), 400, `Unknown scope "bogus".`},
		{"unknown scope string", withScope(`"everything"`), 400, `Unknown scope "everything".`},
		{"scope null", withScope(`null`), 400, "Invalid input for field 'scope': null is not of type 'object', 'string'"},
		{"scope a number", withScope(`5`), 400, "Invalid input for field 'scope': 5 is not of type 'object', 'string'"},
		{"project and domain", withScope(`{"project": {"name": "demo", "domain": {"id": "default"}}, "domain": {"id": "default"}}`), 400, "Found project and domain: a scope names one."},
		{"project and unscoped", withScope(`{"project": {"id": "x"}, "unscoped": {}}`), 400, "Found project and unscoped: a scope names one."},
		{"trust", withScope(`{"OS-TRUST:trust": {"id": "0123456789abcdef"}}`), 501, "Trusts (OS-TRUST) are not supported"},
		{"trust without id", withScope(`{"OS-TRUST:trust": {}}`), 400, "Expecting to find trust_id in trust."},
		{"trust and project", withScope(`{"OS-TRUST:trust": {"id": "x"}, "project": {"id": "x"}}`), 400, "Found project and OS-TRUST:trust: a scope names one."},
		{"system", withScope(`{"system": {"all": true}}`), 501, "System-scoped tokens are not supported"},
		{"system all a string", withScope(`{"system": {"all": "yes"}}`), 400, "Invalid input for field 'scope/system/all'"},
		{"project without id or name", withScope(`{"project": {}}`), 400, "Invalid input for field scope/project: id or name must be present."},
		{"project name without domain", withScope(`{"project": {"name": "demo"}}`), 400, "Expecting to find domain in project."},
		{"project domain empty", withScope(`{"project": {"name": "demo", "domain": {}}}`), 400, "Invalid input for field scope/project/domain: id or name must be present."},
		{"project id a number", withScope(`{"project": {"id": 5}}`), 400, "Invalid input for field 'scope/project/id': 5 is not of type 'string'"},
		{"project id empty", withScope(`{"project": {"id": ""}}`), 401, "The request you have made requires authentication."},
		{"project not found", withScope(`{"project": {"id": "nope"}}`), 401, "The request you have made requires authentication."},
		{"domain without id or name", withScope(`{"domain": {}}`), 400, "Invalid input for field scope/domain: id or name must be present."},
		{"domain without a role", withScope(`{"domain": {"id": "default"}}`), 401, "The request you have made requires authentication."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(t, "POST", "/v3/auth/tokens", "", "", tc.body)
			if res.StatusCode != tc.want {
				t.Fatalf("%d, want %d: %v", res.StatusCode, tc.want, body)
			}
			if tok := res.Header.Get("X-Subject-Token"); tok != "" {
				t.Fatalf("a refusal carries a token")
			}
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if e == nil || e["code"] != float64(tc.want) || e["title"] == "" || !strings.Contains(msg, tc.msg) {
				t.Fatalf("error body %v, want code %d and a message containing %q", body, tc.want, tc.msg)
			}
			if tc.want == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("a 401 without WWW-Authenticate")
			}
			if strings.Contains(msg, "unsupported method") {
				id, _ := e["identity"].(map[string]any)
				if mustJSON(id["methods"]) != `["password","token"]` {
					t.Fatalf("the refusal does not list the methods offered: %v", body)
				}
			}
		})
	}
}

// TestHTTPAuthScopes: each scope asked for is the scope of the token
// issued, never another.
func TestHTTPAuthScopes(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	// A user with a default project, for the scope-less request.
	if _, err := f.s.UpdateUser(t.Context(), f.demo.ID, nil, func(u *User) error {
		u.DefaultProjectID = f.demoProj.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Grant(t.Context(), Assignment{UserID: f.demo.ID, RoleID: f.member.ID, DomainID: DefaultDomainID}); err != nil {
		t.Fatal(err)
	}
	demo := f.token(t, "demo", "demo-secret", "demo")
	for _, tc := range []struct {
		name, body string
		project    string // the token's project name; "" for unscoped
		domain     string // the token's domain id, for a domain scope
	}{
		{"unscoped object", withScope(`{"unscoped": {}}`), "", ""},
		{"unscoped string", withScope(`"unscoped"`), "", ""},
		{"no scope: the default project", `{"auth": {` + demoIdentity + `}}`, "demo", ""},
		{"project by name", withScope(`{"project": {"name": "demo", "domain": {"name": "Default"}}}`), "demo", ""},
		{"project by id", withScope(`{"project": {"id": "` + f.demoProj.ID + `"}}`), "demo", ""},
		{"a key Keystone does not know beside a project", withScope(`{"project": {"id": "` + f.demoProj.ID + `"}, "bogus": {}}`), "demo", ""},
		{"rescoped to a domain", `{"auth": {"identity": {"methods": ["token"], "token": {"id": "` + demo + `"}},
			"scope": {"domain": {"id": "default"}}}}`, "", "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(t, "POST", "/v3/auth/tokens", "", "", tc.body)
			if res.StatusCode != 201 {
				t.Fatalf("%d, want 201: %v", res.StatusCode, body)
			}
			tok := body["token"].(map[string]any)
			p, _ := tok["project"].(map[string]any)
			d, _ := tok["domain"].(map[string]any)
			switch {
			case tc.project != "":
				if p == nil || p["name"] != tc.project || d != nil {
					t.Fatalf("token %v, want project %s", tok, tc.project)
				}
			case tc.domain != "":
				if d == nil || d["id"] != tc.domain || p != nil {
					t.Fatalf("token %v, want domain %s", tok, tc.domain)
				}
			default:
				if p != nil || d != nil || tok["roles"] != nil || tok["catalog"] != nil {
					t.Fatalf("token %v, want unscoped: no project, domain, roles or catalog", tok)
				}
				// The container API refuses an unscoped token.
				if _, err := f.s.Validate(t.Context(), res.Header.Get("X-Subject-Token")); err == nil {
					t.Fatal("an unscoped token passes the container API's validation")
				}
			}
		})
	}
}

// TestHTTPAuthMultiMethod: password and token together must name the
// same user, as Keystone's reconciliation of methods.
func TestHTTPAuthMultiMethod(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	demo := f.token(t, "demo", "demo-secret", "demo")
	admin := f.token(t, "admin", f.admin, "admin")
	both := func(token string) string {
		return withIdentity(`{"methods": ["password", "token"], "token": {"id": "` + token + `"},
			"password": {"user": {"name": "demo", "domain": {"id": "default"}, "password": "demo-secret"}}}`)
	}
	res, body := f.do(t, "POST", "/v3/auth/tokens", "", "", both(demo))
	if res.StatusCode != 201 || mustJSON(body["token"].(map[string]any)["methods"]) != `["password","token"]` {
		t.Fatalf("password and token of one user: %d %v", res.StatusCode, body)
	}
	if res, body := f.do(t, "POST", "/v3/auth/tokens", "", "", both(admin)); res.StatusCode != 401 {
		t.Fatalf("password of demo with admin's token: %d %v, want 401", res.StatusCode, body)
	}
}
