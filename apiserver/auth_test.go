package apiserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/policy"
)

// tokens is an Authenticator with fixed tokens.
type tokens map[string]auth.Principal

func (tk tokens) Validate(ctx context.Context, token string) (auth.Principal, error) {
	if p, ok := tk[token]; ok {
		return p, nil
	}
	return auth.Principal{}, errdefs.ErrUnauthorized
}

var (
	alice = auth.Principal{UserID: "u-alice", ProjectID: "p-a", Roles: []string{auth.RoleMember}}
	bob   = auth.Principal{UserID: "u-bob", ProjectID: "p-b", Roles: []string{auth.RoleMember}}
	root  = auth.Principal{UserID: "u-root", ProjectID: "p-admin", Roles: []string{auth.RoleAdmin}}
)

func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestAuthentication(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	ts, _ := newStack(t, cfg, tokens{"tok-alice": alice})
	for _, tc := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"root is public", "GET", "/", "", 200},
		{"v1 is public", "GET", "/v1", "", 200},
		{"list needs a token", "GET", "/v1/containers", "", 401},
		{"a bad token is refused", "GET", "/v1/containers", "forged", 401},
		{"a good token passes", "GET", "/v1/containers", "tok-alice", 200},
		{"create needs a token", "POST", "/v1/containers", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, body := call(t, tc.method, ts.URL+tc.path, tc.token, "")
			if got != tc.want {
				t.Fatalf("status %d, want %d: %s", got, tc.want, body)
			}
			if got == 401 && !strings.Contains(body, `"status":401`) {
				t.Fatalf("401 without Zun's error body: %s", body)
			}
		})
	}
}

// TestTenantIsolation: another project's container is 404 on every route
// and absent from every list; an admin sees it only when asking.
func TestTenantIsolation(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	ts, _ := newStack(t, cfg, tokens{"a": alice, "b": bob, "root": root})
	status, body := call(t, "POST", ts.URL+"/v1/containers?run=true", "a",
		`{"image": "`+testImage+`", "name": "secret", "command": ["sleep", "3600"]}`)
	if status != 202 {
		t.Fatalf("create: %d %s", status, body)
	}
	var created map[string]any
	_ = json.Unmarshal([]byte(body), &created)
	id := created["uuid"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := call(t, "GET", ts.URL+"/v1/containers/"+id, "a", "")
		if strings.Contains(b, `"status":"Running"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, ident := range []string{id, "secret"} {
		for _, r := range []struct{ method, path string }{
			{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"DELETE", "?stop=true"}, {"POST", "/stop"}, {"POST", "/start"},
			{"POST", "/pause"}, {"POST", "/kill"}, {"POST", "/reboot"}, {"GET", "/logs"},
			{"POST", "/execute?command=ls"}, {"GET", "/stats"}, {"GET", "/top"},
			{"POST", "/commit?repository=x"}, {"GET", "/container_actions"},
		} {
			b := ""
			if r.method == "PATCH" {
				b = `{"name": "stolen"}`
			}
			got, resp := call(t, r.method, ts.URL+"/v1/containers/"+ident+r.path, "b", b)
			if got != 404 {
				t.Fatalf("bob %s %s%s: %d, want 404: %s", r.method, ident, r.path, got, resp)
			}
		}
	}
	for _, q := range []string{"", "?name=secret", "?project_id=p-a"} {
		_, list := call(t, "GET", ts.URL+"/v1/containers"+q, "b", "")
		if strings.Contains(list, id) {
			t.Fatalf("bob's list %q shows alice's container", q)
		}
	}
	// A scheduler hint cannot name, or probe for, another project's container.
	if got, resp := call(t, "POST", ts.URL+"/v1/containers", "b",
		`{"image": "`+testImage+`", "hints": {"same_host": "`+id+`"}}`); got != 400 {
		t.Fatalf("bob's hint naming alice's container: %d, want 400: %s", got, resp)
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers?all_projects=true", "b", ""); got != 403 {
		t.Fatalf("member all_projects: %d, want 403", got)
	}
	if _, list := call(t, "GET", ts.URL+"/v1/containers", "root", ""); strings.Contains(list, id) {
		t.Fatalf("admin's plain list shows another project's container")
	}
	if _, list := call(t, "GET", ts.URL+"/v1/containers?all_projects=true", "root", ""); !strings.Contains(list, id) {
		t.Fatalf("admin's all_projects list lacks it")
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers/"+id, "root", ""); got != 404 {
		t.Fatalf("admin show without all_projects: %d, want 404", got)
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers/"+id+"?all_projects=true", "root", ""); got != 200 {
		t.Fatalf("admin show with all_projects: %d, want 200", got)
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers/"+id+"?all_projects=true", "b", ""); got != 403 {
		t.Fatalf("member show with all_projects: %d, want 403", got)
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers/"+id, "a", ""); got != 200 {
		t.Fatalf("alice lost her container: %d", got)
	}
	// Admin-only knobs are refused to members.
	for _, body := range []string{
		`{"image": "` + testImage + `", "host": "host-1"}`,
		`{"image": "` + testImage + `", "runtime": "runc"}`,
		`{"image": "` + testImage + `", "privileged": true}`,
	} {
		if got, resp := call(t, "POST", ts.URL+"/v1/containers", "a", body); got != 403 {
			t.Fatalf("member create %s: %d %s", body, got, resp)
		}
	}
}

// TestPolicyOverride: a policy file's rule replaces Zun's default: here
// readers may look at their project's containers but not stop them.
func TestPolicyOverride(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	rules, err := policy.New(map[string]string{"container:stop": "role:member and rule:admin_or_owner"})
	if err != nil {
		t.Fatal(err)
	}
	reader := auth.Principal{UserID: "u-reader", ProjectID: "p-a", Roles: []string{auth.RoleReader}}
	ts, _ := newStack(t, cfg, tokens{"a": alice, "r": reader}, func(d *apiserver.Deps) { d.Policy = rules })
	status, body := call(t, "POST", ts.URL+"/v1/containers?run=true", "a",
		`{"image": "`+testImage+`", "name": "ro", "command": ["sleep", "3600"]}`)
	if status != 202 {
		t.Fatalf("create: %d %s", status, body)
	}
	if got, _ := call(t, "GET", ts.URL+"/v1/containers/ro", "r", ""); got != 200 {
		t.Fatalf("reader show: %d, want 200", got)
	}
	got, resp := call(t, "POST", ts.URL+"/v1/containers/ro/stop", "r", "")
	if got != 403 || !strings.Contains(resp, "Policy doesn't allow container:stop to be performed.") {
		t.Fatalf("reader stop: %d %s, want 403", got, resp)
	}
}
