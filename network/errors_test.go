package network_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestErrorAnswers: Neutron's error document carries the status errdefs
// gives the error's kind for Neutron, the Neutron type a handler named or
// its kind's, and the message as written. A body over our limit is a 413
// wherever a body is read (Neutron has none of its own; 413 is what
// OpenStack's size-limit middleware answers).
func TestErrorAnswers(t *testing.T) {
	e := newEnv(t)
	const missing = "0d0d0d0d-0000-4000-8000-000000000000"
	net := e.create("alice", "networks", "network", `{"name": "n"}`)["id"].(string)
	big := strings.Repeat("x", 65<<10)
	tests := []struct {
		name, token, method, path, body string
		status                          int
		typ, msg                        string
	}{
		{"no token", "", "GET", "/v2.0/networks", "", http.StatusUnauthorized, "HTTPUnauthorized", ""},
		{"unknown path", "alice", "GET", "/v2.0/routers", "", http.StatusNotFound, "HTTPNotFound", "The resource could not be found."},
		{"wrong method", "alice", "PATCH", "/v2.0/networks", "", http.StatusMethodNotAllowed, "HTTPMethodNotAllowed",
			"The method PATCH is not allowed for this resource."},
		{"unknown network", "alice", "GET", "/v2.0/networks/" + missing, "", http.StatusNotFound, "NetworkNotFound", ""},
		{"body over its limit", "alice", "POST", "/v2.0/networks", `{"network": {"name": "` + big + `"}}`,
			http.StatusRequestEntityTooLarge, "HTTPRequestEntityTooLarge", "Request body is larger than 65536 bytes."},
		{"update body over its limit", "alice", "PUT", "/v2.0/networks/" + net, `{"network": {"name": "` + big + `"}}`,
			http.StatusRequestEntityTooLarge, "HTTPRequestEntityTooLarge", "Request body is larger than 65536 bytes."},
		{"tags body over its limit", "alice", "PUT", "/v2.0/networks/" + net + "/tags", `{"tags": ["` + big + `"]}`,
			http.StatusRequestEntityTooLarge, "HTTPRequestEntityTooLarge", "Request body is larger than 65536 bytes."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.call(tc.token, tc.method, tc.path, tc.body)
			ne, _ := out["NeutronError"].(map[string]any)
			msg, _ := ne["message"].(string)
			if code != tc.status || ne["type"] != tc.typ || (tc.msg != "" && msg != tc.msg) {
				t.Fatalf("%d %v, want %d %s %q", code, out, tc.status, tc.typ, tc.msg)
			}
			for _, k := range errdefs.Kinds() {
				if strings.HasSuffix(msg, ": "+k.Err.Error()) {
					t.Errorf("message %q carries the kind %q", msg, k.Err)
				}
			}
		})
	}
}
