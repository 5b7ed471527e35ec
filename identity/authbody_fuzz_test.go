package identity

import (
	"errors"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// FuzzParseAuthBody checks that no body of POST /v3/auth/tokens makes
// the decoder panic, that every refusal has one of Keystone's statuses
// (400, 401, 501), and that an accepted request asks for one scope at
// most, with a method the service offers.
func FuzzParseAuthBody(f *testing.F) {
	for _, seed := range []string{
		passwordBody("demo", "pw", "demo"),
		withScope(`{"unscoped": {}}`), withScope(`"unscoped"`), withScope(`{}`), withScope(`null`),
		withScope(`{"OS-TRUST:trust": {"id": "x"}}`), withScope(`{"system": {"all": true}}`),
		withScope(`{"project": {"id": "p"}, "domain": {"id": "d"}}`), withScope(`{"domain": {"name": "Default"}}`),
		withIdentity(`{"methods": ["token"], "token": {"id": "zt1.x.y"}}`),
		withIdentity(`{"methods": ["password", "token"], "token": {"id": "t"}, "password": {"user": {"id": "u", "password": "p"}}}`),
		withIdentity(`{"methods": ["totp"], "totp": {}}`), withIdentity(`{"methods": [1]}`),
		`{"auth": {"identity": {"methods": []}}}`, `{"auth": "x"}`, `[]`, `null`, ``, `{"auth": {}} x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseAuthBody(body, "")
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalid) && !errors.Is(err, errdefs.ErrUnauthorized) && !errors.Is(err, errdefs.ErrNotSupported) {
				t.Fatalf("parseAuthBody(%q): %v is not a 400, 401 or 501", body, err)
			}
			return
		}
		if err := req.Scope.check(); err != nil {
			t.Fatalf("parseAuthBody(%q) accepted a scope of several kinds: %+v", body, req.Scope)
		}
		for _, m := range req.Methods {
			if m != "password" && m != "token" {
				t.Fatalf("parseAuthBody(%q) accepted method %q", body, m)
			}
		}
		if len(req.Methods) > 0 && req.Methods[0] == "password" && req.Password == nil {
			t.Fatalf("parseAuthBody(%q): password method without credentials", body)
		}
	})
}
