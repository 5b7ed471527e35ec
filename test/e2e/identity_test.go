package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// identityCall sends a request to d's identity API and returns its status,
// X-Subject-Token and decoded body.
func identityCall(t *testing.T, d *daemon, method, path, token, body string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, d.URL+"/identity/v3"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return res.StatusCode, res.Header.Get("X-Subject-Token"), v
}

// containersStatus is the status of GET /v1/containers with token.
func containersStatus(t *testing.T, d *daemon, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+"/v1/containers", nil)
	req.Header.Set("X-Auth-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestIdentityRefusalsAndRevocation, against the built zund: scopes it
// does not offer are refused, and tokens revoked by disabling a user, a
// project or removing a role stay dead once that is undone, also after
// zund restarts.
func TestIdentityRefusalsAndRevocation(t *testing.T) {
	requireDocker(t, "")
	d := startZund(t, "")
	admin := d.adminToken(t)
	mustCall := func(t *testing.T, method, path, body string, want int) map[string]any {
		t.Helper()
		status, _, v := identityCall(t, d, method, path, admin, body)
		if status != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, status, want, v)
		}
		return v
	}
	pid := mustCall(t, "POST", "/projects", `{"project": {"name": "idp", "domain_id": "default"}}`, 201)["project"].(map[string]any)["id"].(string)
	uid := mustCall(t, "POST", "/users", `{"user": {"name": "idu", "password": "idu-secret", "domain_id": "default"}}`, 201)["user"].(map[string]any)["id"].(string)
	member := mustCall(t, "GET", "/roles?name=member", "", 200)["roles"].([]any)[0].(map[string]any)["id"].(string)
	grant := "/projects/" + pid + "/users/" + uid + "/roles/" + member
	mustCall(t, "PUT", grant, "", 204)

	login := func(scope string) (int, string, map[string]any) {
		body := `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "idu",
			"domain": {"id": "default"}, "password": "idu-secret"}}}`
		if scope != "" {
			body += `, "scope": ` + scope
		}
		return identityCall(t, d, "POST", "/auth/tokens", "", body+`}}`)
	}
	project := `{"project": {"name": "idp", "domain": {"name": "Default"}}}`

	t.Run("scopes", func(t *testing.T) {
		for _, tc := range []struct {
			name, scope string
			want        int
		}{
			{"trust", `{"OS-TRUST:trust": {"id": "4b4e4d1f5d6a4d4c9b0e6f0a1b2c3d4e"}}`, 501},
			{"empty", `{}`, 400},
			{"unknown", `{"bogus": {"id": "x"}}`, 400},
			{"project and domain", `{"project": {"id": "` + pid + `"}, "domain": {"id": "default"}}`, 400},
			{"unscoped", `{"unscoped": {}}`, 201},
			{"project", project, 201},
		} {
			status, tok, v := login(tc.scope)
			if status != tc.want {
				t.Errorf("%s: %d, want %d: %v", tc.name, status, tc.want, v)
			}
			if tc.name == "unscoped" {
				if _, scoped := v["token"].(map[string]any)["project"]; scoped {
					t.Errorf("unscoped: a project-scoped token: %v", v)
				}
				if got := containersStatus(t, d, tok); got != 401 {
					t.Errorf("the container API with an unscoped token: %d, want 401", got)
				}
			}
		}
	})

	var old []string
	for _, tc := range []struct {
		name            string
		change, restore func(t *testing.T)
	}{
		{"user disabled",
			func(t *testing.T) { mustCall(t, "PATCH", "/users/"+uid, `{"user": {"enabled": false}}`, 200) },
			func(t *testing.T) { mustCall(t, "PATCH", "/users/"+uid, `{"user": {"enabled": true}}`, 200) }},
		{"project disabled",
			func(t *testing.T) { mustCall(t, "PATCH", "/projects/"+pid, `{"project": {"enabled": false}}`, 200) },
			func(t *testing.T) { mustCall(t, "PATCH", "/projects/"+pid, `{"project": {"enabled": true}}`, 200) }},
		{"role removed",
			func(t *testing.T) { mustCall(t, "DELETE", grant, "", 204) },
			func(t *testing.T) { mustCall(t, "PUT", grant, "", 204) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, tok, _ := login(project)
			if got := containersStatus(t, d, tok); got != 200 {
				t.Fatalf("before: %d, want 200", got)
			}
			tc.change(t)
			tc.restore(t)
			if got := containersStatus(t, d, tok); got != 401 {
				t.Errorf("a token issued before, once restored: %d, want 401", got)
			}
			_, fresh, _ := login(project)
			if got := containersStatus(t, d, fresh); got != 200 {
				t.Errorf("a token issued after: %d, want 200", got)
			}
			old = append(old, tok)
		})
	}

	d.stop(syscall.SIGKILL)
	d.start()
	for i, tok := range old {
		if got := containersStatus(t, d, tok); got != 401 {
			t.Errorf("revoked token %d after a restart: %d, want 401", i, got)
		}
	}
	if _, fresh, _ := login(project); containersStatus(t, d, fresh) != 200 {
		t.Error("a new token after the restart is refused")
	}
}
