package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeCloud is an identity service whose catalog lists a container
// service and, with withImage, an image store, all on one server.
func fakeCloud(t *testing.T, withImage bool) *httptest.Server {
	return startFakeCloud(t, withImage, false)
}

// startFakeCloud is fakeCloud, over HTTPS with tlsOn.
func startFakeCloud(t *testing.T, withImage, tlsOn bool) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "POST /identity/v3/auth/tokens":
			var body struct {
				Auth struct {
					Identity struct {
						Password struct {
							User struct {
								Name     string `json:"name"`
								Password string `json:"password"`
							} `json:"user"`
						} `json:"password"`
					} `json:"identity"`
					Scope struct {
						Project struct {
							Name string `json:"name"`
						} `json:"project"`
					} `json:"scope"`
				} `json:"auth"`
			}
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &body)
			u := body.Auth.Identity.Password.User
			if u.Name != "demo" || u.Password != "s3cret" || body.Auth.Scope.Project.Name != "demo" {
				w.WriteHeader(401)
				io.WriteString(w, `{"error": {"code": 401, "message": "The request you have made requires authentication."}}`)
				return
			}
			catalog := []any{map[string]any{"type": "container", "endpoints": []any{
				map[string]any{"interface": "internal", "region": "RegionOne", "url": "http://wrong.invalid/v1"},
				map[string]any{"interface": "public", "region": "RegionOne", "url": srv.URL + "/v1"},
			}}}
			if withImage {
				catalog = append(catalog, map[string]any{"type": "image", "endpoints": []any{
					map[string]any{"interface": "public", "region": "RegionOne", "url": srv.URL + "/catalog-image"},
				}})
			}
			w.Header().Set("X-Subject-Token", "tok-demo")
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
				"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				"catalog":    catalog,
			}})
		case "GET /v1/containers":
			if r.Header.Get("X-Auth-Token") != "tok-demo" {
				w.WriteHeader(401)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"containers": [], "next": null}`)
		case "GET /catalog-image/v2/images":
			if r.Header.Get("X-Auth-Token") != "tok-demo" || r.Header.Get("OpenStack-API-Version") != "" {
				w.WriteHeader(401)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"images": [{"id": "1f2e", "name": "demo", "status": "active"}], "first": "/v2/images", "schema": "/v2/schemas/images"}`)
		default:
			w.WriteHeader(404)
		}
	}))
	if tlsOn {
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenStackLogin(t *testing.T) {
	srv := fakeCloud(t, true)
	dir := t.TempDir()
	clouds := filepath.Join(dir, "clouds.yaml")
	os.WriteFile(clouds, []byte(`clouds:
  zun:
    auth:
      auth_url: `+srv.URL+`/identity/v3
      username: demo
      password: s3cret
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`), 0o600)
	openrc := map[string]string{
		"OS_AUTH_URL": srv.URL + "/identity/v3", "OS_USERNAME": "demo", "OS_PASSWORD": "s3cret",
		"OS_PROJECT_NAME": "demo", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
	}
	withPassword := func(pw string) map[string]string {
		env := map[string]string{}
		for k, v := range openrc {
			env[k] = v
		}
		env["OS_PASSWORD"] = pw
		return env
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    int
		wantErr string
	}{
		{"openrc variables", openrc, 0, ""},
		{"clouds.yaml", map[string]string{"OS_CLOUD": "zun", "OS_CLIENT_CONFIG_FILE": clouds}, 0, ""},
		{"wrong password", withPassword("nope"), 1, "requires authentication"},
		{"unknown cloud", map[string]string{"OS_CLOUD": "other", "OS_CLIENT_CONFIG_FILE": clouds}, 2, "no such cloud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return tc.env[k] }}
			code := a.run(context.Background(), []string{"list"})
			if code != tc.want || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Fatalf("exit %d, want %d; stderr %q, want %q", code, tc.want, stderr.String(), tc.wantErr)
			}
			if code == 0 && !strings.Contains(stdout.String(), "UUID") {
				t.Fatalf("stdout %q", stdout.String())
			}
		})
	}
}

// TestImageStoreFromCatalog checks that, logged in through identity,
// zunctl finds the image store in the catalog, and says so when the
// catalog has none.
func TestImageStoreFromCatalog(t *testing.T) {
	for _, tc := range []struct {
		name       string
		withImage  bool
		want       int
		wantStdout string
		wantStderr string
	}{
		{"in the catalog", true, 0, "demo", ""},
		{"not in the catalog", false, 1, "", `find the image service: the catalog has no public endpoint of service type "image" (set --image-endpoint or ZUN_IMAGE_ENDPOINT)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeCloud(t, tc.withImage)
			env := map[string]string{
				"OS_AUTH_URL": srv.URL + "/identity/v3", "OS_USERNAME": "demo", "OS_PASSWORD": "s3cret", "OS_PROJECT_NAME": "demo",
			}
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
			code := a.run(context.Background(), []string{"image", "store-list"})
			if code != tc.want || !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Fatalf("exit %d, want %d; stdout %q, want %q; stderr %q, want %q", code, tc.want, stdout.String(), tc.wantStdout, stderr.String(), tc.wantStderr)
			}
		})
	}
}
