package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/store/dbtest"
)

// fuzzRoutes are the identity API's routes with a body or parameters, as
// method and path; {user}, {project}, {role}, {domain} become ids of the
// fixture's demo objects (never the admin's, so that a fuzzed delete
// does not lock the fuzzer out) or the fuzzed id.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v3/auth/tokens"},
	{"GET", "/v3/auth/tokens"},
	{"DELETE", "/v3/auth/tokens"},
	{"POST", "/v3/domains"},
	{"POST", "/v3/projects"},
	{"PATCH", "/v3/projects/{project}"},
	{"POST", "/v3/users"},
	{"PATCH", "/v3/users/{user}"},
	{"POST", "/v3/users/{user}/password"},
	{"POST", "/v3/roles"},
	{"PUT", "/v3/projects/{project}/users/{user}/roles/{role}"},
	{"GET", "/v3/role_assignments"},
	{"GET", "/v3/projects"},
	{"GET", "/v3/users"},
}

// FuzzIdentityRequest sends fuzzed bodies, ids and query strings to the
// identity API's routes, as the admin, as a member or with a fuzzed token.
// No request may get a 5xx or break the handler; a token it issues (201)
// must validate; a refused request changes no domain, project, user,
// role or assignment.
func FuzzIdentityRequest(f *testing.F) {
	ctx := context.Background()
	s, err := Open(ctx, dbtest.Open(f), testConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	pw, err := s.Bootstrap(ctx, Bootstrap{})
	if err != nil {
		f.Fatal(err)
	}
	proj, err := s.CreateProject(ctx, Project{Name: "demo", Enabled: true})
	if err != nil {
		f.Fatal(err)
	}
	user, err := s.CreateUser(ctx, User{Name: "demo", Enabled: true}, "demo-secret")
	if err != nil {
		f.Fatal(err)
	}
	member := s.Roles("member")[0]
	if err := s.Grant(ctx, Assignment{UserID: user.ID, RoleID: member.ID, ProjectID: proj.ID}); err != nil {
		f.Fatal(err)
	}
	login := func(name, password, project string) string {
		t, err := s.Authenticate(ctx, AuthRequest{Methods: []string{"password"},
			Password: &PasswordCredentials{UserName: name, DomainName: "Default", Password: password},
			Scope:    Scope{ProjectName: project, ProjectDomainName: "Default"}})
		if err != nil {
			f.Fatal(err)
		}
		return t.ID
	}
	adminTok, memberTok := login("admin", pw, "admin"), login("demo", "demo-secret", "demo")
	h := NewHandler(s, HandlerOptions{})
	snapshot := func() string {
		var b strings.Builder
		for _, path := range []string{"/v3/domains", "/v3/projects", "/v3/users", "/v3/roles", "/v3/role_assignments"} {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("X-Auth-Token", adminTok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			b.Write(w.Body.Bytes())
		}
		return b.String()
	}

	for _, seed := range []struct {
		route uint8
		body  string
	}{
		{0, passwordBody("demo", "demo-secret", "demo")},
		{0, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"` + user.ID + `","password":"demo-secret"}}},"scope":"unscoped"}}`},
		{0, `{"auth":{"identity":{"methods":["token"],"token":{"id":"` + memberTok + `"}},"scope":{"project":{"id":"` + proj.ID + `"}}}}`},
		{0, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"id":"default"},"password":"demo-secret"}}},"scope":{"domain":{"name":"Default"}}}}`},
		{0, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"id":"default"},"password":"demo-secret"}}},"scope":{"OS-TRUST:trust":{"id":"x"}}}}`},
		{0, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"id":"default"},"password":"demo-secret"}}},"scope":{"system":{"all":true}}}}`},
		{0, `{"auth":{"identity":{"methods":["password","token"]},"scope":{}}}`},
		{0, `{"auth":{}}`}, {0, `{}`}, {0, `[]`}, {0, `null`}, {0, ``}, {0, `{"auth":{"identity":{"methods":"password"}}}`},
		{3, `{"domain":{"name":"d1","enabled":true}}`},
		{4, `{"project":{"name":"p1","domain_id":"default","enabled":true,"description":"x"}}`},
		{4, `{"project":{"name":"","parent_id":"nope"}}`},
		{5, `{"project":{"enabled":false}}`}, {5, `{"project":{"name":null}}`},
		{6, `{"user":{"name":"u1","password":"pw","default_project_id":"` + proj.ID + `","email":"a@b"}}`},
		{7, `{"user":{"enabled":"yes"}}`}, {7, `{"user":{"password":"new"}}`},
		{8, `{"user":{"original_password":"demo-secret","password":"demo-secret"}}`},
		{9, `{"role":{"name":"r1"}}`}, {9, `{"role":{}}`},
		{10, ``},
	} {
		for token := range uint8(3) {
			f.Add(seed.route, token, "", seed.body)
		}
	}
	f.Add(uint8(11), uint8(0), "user.id="+user.ID+"&scope.project.id="+proj.ID+"&effective", "")
	f.Add(uint8(12), uint8(0), "name=demo&enabled=false&domain_id=default", "")
	f.Add(uint8(13), uint8(1), "name=%zz&domain_id=", "")

	f.Fuzz(func(t *testing.T, route, token uint8, param, body string) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path, query := rt.path, ""
		ids := strings.NewReplacer("{user}", user.ID, "{project}", proj.ID, "{role}", member.ID, "{domain}", "default")
		if route >= uint8(len(fuzzRoutes)) { // the fuzzed string as every id
			id := strings.NewReplacer("/", "", "?", "", "#", "", "%", "").Replace(param)
			ids = strings.NewReplacer("{user}", id, "{project}", id, "{role}", id, "{domain}", id)
		} else {
			query = param
		}
		path = ids.Replace(path)
		r := httptest.NewRequest(rt.method, "/", strings.NewReader(body))
		r.URL.Path, r.URL.RawQuery = path, query
		r.Header.Set("Content-Type", "application/json")
		switch token % 3 {
		case 0:
			r.Header.Set("X-Auth-Token", adminTok)
		case 1:
			r.Header.Set("X-Auth-Token", memberTok)
		case 2:
			r.Header.Set("X-Auth-Token", param)
		}
		if rt.path == "/v3/auth/tokens" && rt.method != "POST" {
			r.Header.Set("X-Subject-Token", memberTok)
		}
		before := snapshot()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s?%s %q: %d %s", rt.method, path, query, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e struct {
				Error struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != w.Code {
				t.Fatalf("%s %s %q: %d with a body that is no Keystone error: %s", rt.method, path, body, w.Code, w.Body)
			}
			if after := snapshot(); after != before {
				t.Fatalf("%s %s?%s %q: refused (%d %s) but the records changed", rt.method, path, query, body, w.Code, w.Body)
			}
		}
		if rt.path == "/v3/auth/tokens" && rt.method == "POST" && w.Code == http.StatusCreated {
			if _, err := s.ValidateToken(ctx, w.Header().Get("X-Subject-Token")); err != nil {
				t.Fatalf("POST /v3/auth/tokens %q issued a token that does not validate: %v", body, err)
			}
		}
	})
}
