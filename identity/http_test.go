package identity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type httpFixture struct {
	*fixture
	srv *httptest.Server
}

func newHTTPFixture(t *testing.T) *httpFixture {
	f := newFixture(t)
	return &httpFixture{fixture: f, srv: serveIdentity(t, f.s)}
}

// serveIdentity serves the API of s at /identity.
func serveIdentity(t *testing.T, s *Service) *httptest.Server {
	mux := http.NewServeMux()
	h := http.StripPrefix("/identity", NewHandler(s, HandlerOptions{Prefix: "/identity"}))
	mux.Handle("/identity/", h)
	mux.Handle("/identity", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func (f *httpFixture) do(t *testing.T, method, path, token, subject, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+"/identity"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if subject != "" {
		req.Header.Set("X-Subject-Token", subject)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return res, v
}

func passwordBody(user, password, project string) string {
	return `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "` + user +
		`", "domain": {"name": "Default"}, "password": "` + password + `"}}},
		"scope": {"project": {"name": "` + project + `", "domain": {"id": "default"}}}}}`
}

func (f *httpFixture) token(t *testing.T, user, password, project string) string {
	t.Helper()
	res, body := f.do(t, "POST", "/v3/auth/tokens", "", "", passwordBody(user, password, project))
	if res.StatusCode != 201 {
		t.Fatalf("login %s: %d %v", user, res.StatusCode, body)
	}
	return res.Header.Get("X-Subject-Token")
}

func TestHTTPDiscoveryAndTokens(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	res, body := f.do(t, "GET", "/", "", "", "")
	if res.StatusCode != 300 || !strings.Contains(mustJSON(body), `"id":"v3.14"`) {
		t.Fatalf("versions: %d %v", res.StatusCode, body)
	}
	res, body = f.do(t, "GET", "/v3", "", "", "")
	if res.StatusCode != 200 || !strings.Contains(mustJSON(body), f.srv.URL+"/identity/v3/") {
		t.Fatalf("v3: %d %v", res.StatusCode, body)
	}

	res, body = f.do(t, "POST", "/v3/auth/tokens", "", "", passwordBody("demo", "demo-secret", "demo"))
	tok := res.Header.Get("X-Subject-Token")
	if res.StatusCode != 201 || tok == "" {
		t.Fatalf("issue: %d %v", res.StatusCode, body)
	}
	js := mustJSON(body)
	for _, want := range []string{`"type":"container"`, `"url":"` + f.srv.URL + `/v1"`, `"type":"identity"`,
		`"interface":"internal"`, `"name":"member"`, `"name":"demo"`, `"audit_ids"`} {
		if !strings.Contains(js, want) {
			t.Fatalf("token body lacks %s: %s", want, js)
		}
	}
	if res, _ := f.do(t, "GET", "/v3/auth/tokens", tok, tok, ""); res.StatusCode != 200 {
		t.Fatalf("validate: %d", res.StatusCode)
	}
	if res, _ := f.do(t, "HEAD", "/v3/auth/tokens", tok, tok+"x", ""); res.StatusCode != 404 {
		t.Fatalf("validate a bad token: %d, want 404", res.StatusCode)
	}
	if res, _ := f.do(t, "DELETE", "/v3/auth/tokens", tok, tok, ""); res.StatusCode != 204 {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := f.do(t, "GET", "/v3/auth/tokens", tok, tok, ""); res.StatusCode != 401 {
		t.Fatalf("a revoked token still authenticates: %d", res.StatusCode)
	}

	res, body = f.do(t, "POST", "/v3/auth/tokens", "", "", passwordBody("demo", "wrong", "demo"))
	if res.StatusCode != 401 || body["error"].(map[string]any)["message"] != "The request you have made requires authentication." {
		t.Fatalf("wrong password: %d %v", res.StatusCode, body)
	}
	for i := 0; i < 10; i++ {
		res, _ = f.do(t, "POST", "/v3/auth/tokens", "", "", passwordBody("demo", "wrong", "demo"))
	}
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a flood of failures: %d, want 429 with Retry-After", res.StatusCode)
	}
}

func TestHTTPAdminAPI(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	admin := f.token(t, "admin", f.admin, "admin")
	member := f.token(t, "demo", "demo-secret", "demo")

	res, body := f.do(t, "POST", "/v3/projects", admin, "", `{"project": {"name": "p2", "domain_id": "default"}}`)
	if res.StatusCode != 201 {
		t.Fatalf("create project: %d %v", res.StatusCode, body)
	}
	pid := body["project"].(map[string]any)["id"].(string)
	res, body = f.do(t, "POST", "/v3/users", admin, "", `{"user": {"name": "u2", "password": "pw2", "default_project_id": "`+pid+`"}}`)
	if res.StatusCode != 201 {
		t.Fatalf("create user: %d %v", res.StatusCode, body)
	}
	uid := body["user"].(map[string]any)["id"].(string)
	if _, ok := body["user"].(map[string]any)["password_hash"]; ok {
		t.Fatal("the password hash is served")
	}
	role := f.s.Roles("reader")[0].ID
	grant := "/v3/projects/" + pid + "/users/" + uid + "/roles/" + role
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"member lists users", "GET", "/v3/users", member, "", 403},
		{"member creates a project", "POST", "/v3/projects", member, `{"project": {"name": "x"}}`, 403},
		{"member grants", "PUT", grant, member, "", 403},
		{"no token", "GET", "/v3/projects", "", "", 401},
		{"duplicate project", "POST", "/v3/projects", admin, `{"project": {"name": "p2"}}`, 409},
		{"malformed json", "POST", "/v3/projects", admin, `{"project": `, 400},
		{"grant", "PUT", grant, admin, "", 204},
		{"check grant", "HEAD", grant, admin, "", 204},
		{"grant unknown role", "PUT", "/v3/projects/" + pid + "/users/" + uid + "/roles/nope", admin, "", 404},
		{"grant on unknown project", "PUT", "/v3/projects/nope/users/" + uid + "/roles/" + role, admin, "", 404},
		{"show unknown role", "GET", "/v3/roles/nope", admin, "", 404},
		{"member sees themselves", "GET", "/v3/users/" + f.demo.ID, member, "", 200},
		{"member sees another", "GET", "/v3/users/" + uid, member, "", 403},
		{"ungrant", "DELETE", grant, admin, "", 204},
		{"ungrant again", "DELETE", grant, admin, "", 404},
	} {
		res, body := f.do(t, tc.method, tc.path, tc.token, "", tc.body)
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d: %v", tc.name, res.StatusCode, tc.want, body)
		}
	}
	res, body = f.do(t, "GET", "/v3/projects?name=p2", admin, "", "")
	if res.StatusCode != 200 || len(body["projects"].([]any)) != 1 {
		t.Fatalf("filter by name: %d %v", res.StatusCode, body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
