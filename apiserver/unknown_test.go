package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/errdefs"
)

// zunUnknowns is the table of what Zun does with a query parameter or
// body field the container API may not know, with where that was read in
// openstack/zun. handled: the request reaches the route's handler (the
// parameter is taken or, for routes without a schema, ignored).
var zunUnknowns = []struct {
	name, method, path, query string
	handled                   bool
	source                    string
}{
	{"create: run taken", "POST", "/v1/containers", "run=true", true, "schemas/containers.py query_param_create"},
	{"create: unknown parameter refused", "POST", "/v1/containers", "colour=red", false, "schemas/containers.py query_param_create (additionalProperties false)"},
	{"delete: force, stop, all_projects taken", "DELETE", "/v1/containers/c", "force=true&stop=true&all_projects=1", true, "schemas/containers.py query_param_delete"},
	{"delete: unknown parameter refused", "DELETE", "/v1/containers/c", "colour=red", false, "schemas/containers.py query_param_delete"},
	{"rename: unknown parameter refused", "POST", "/v1/containers/c/rename", "name=n&colour=red", false, "schemas/containers.py query_param_rename"},
	{"stop: unknown parameter refused", "POST", "/v1/containers/c/stop", "timeout=1&colour=red", false, "schemas/containers.py query_param_stop"},
	{"reboot: unknown parameter refused", "POST", "/v1/containers/c/reboot", "colour=red", false, "schemas/containers.py query_param_reboot"},
	{"kill: unknown parameter refused", "POST", "/v1/containers/c/kill", "signal=9&colour=red", false, "schemas/containers.py query_param_signal (validation.validated in containers.py kill)"},
	{"logs: follow (this project's extension) taken", "GET", "/v1/containers/c/logs", "stdout=true&follow=true", true, "schemas/containers.py query_param_logs; docs/api.md (follow)"},
	{"logs: unknown parameter refused", "GET", "/v1/containers/c/logs", "colour=red", false, "schemas/containers.py query_param_logs"},
	{"execute: unknown parameter refused", "POST", "/v1/containers/c/execute", "command=ls&colour=red", false, "schemas/containers.py query_param_execute_command"},
	{"top: unknown parameter refused", "GET", "/v1/containers/c/top", "colour=red", false, "schemas/containers.py query_param_top"},
	{"commit: unknown parameter refused", "POST", "/v1/containers/c/commit", "repository=r&colour=red", false, "schemas/containers.py query_param_commit"},
	{"network_attach: unknown parameter refused", "POST", "/v1/containers/c/network_attach", "network=n&colour=red", false, "schemas/containers.py network_attach"},
	{"network_detach: unknown parameter refused", "POST", "/v1/containers/c/network_detach", "network=n&colour=red", false, "schemas/containers.py network_detach"},
	{"add_security_group: unknown parameter refused", "POST", "/v1/containers/c/add_security_group", "name=g&colour=red", false, "schemas/containers.py add_security_group"},
	{"remove_security_group: unknown parameter refused", "POST", "/v1/containers/c/remove_security_group", "name=g&colour=red", false, "schemas/containers.py remove_security_group"},
	{"start: no schema, unknown parameter ignored", "POST", "/v1/containers/c/start", "colour=red", true, "containers.py start(self, container_ident, **kwargs)"},
	{"pause: no schema, unknown parameter ignored", "POST", "/v1/containers/c/pause", "colour=red", true, "containers.py pause(self, container_ident, **kwargs)"},
}

// TestUnknownQueryParams sends every row of zunUnknowns through the
// route table to a stub handler and checks Zun's answer: 400 with its
// validator's words, or the handler.
func TestUnknownQueryParams(t *testing.T) {
	s := New(Config{NoAuth: true}, Deps{})
	s.mux = http.NewServeMux() // the route table's patterns, over stubs
	reached := ""
	stub := func(pattern string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { reached = pattern; w.WriteHeader(http.StatusTeapot) }
	}
	for _, p := range s.Routes() {
		s.mux.HandleFunc(p, s.withParamCheck(p, stub(p)))
	}
	for _, c := range zunUnknowns {
		t.Run(c.name, func(t *testing.T) {
			reached = ""
			r := httptest.NewRequest(c.method, c.path+"?"+c.query, nil)
			r.Header.Set(api.VersionHeader, "container latest")
			w := httptest.NewRecorder()
			s.mux.ServeHTTP(w, r)
			if c.handled {
				if reached == "" {
					t.Fatalf("%s %s?%s refused: %d %s (%s)", c.method, c.path, c.query, w.Code, w.Body, c.source)
				}
				return
			}
			var out struct {
				Errors []struct{ Detail string } `json:"errors"`
			}
			_ = json.Unmarshal(w.Body.Bytes(), &out)
			if w.Code != http.StatusBadRequest || reached != "" || len(out.Errors) != 1 ||
				out.Errors[0].Detail != "Additional properties are not allowed ('colour' was unexpected)" {
				t.Fatalf("%s %s?%s: %d %s, want Zun's 400 (%s)", c.method, c.path, c.query, w.Code, w.Body, c.source)
			}
		})
	}
	// Every route with a schema has a row.
	for pattern := range actionParams {
		found := false
		for _, c := range zunUnknowns {
			m, p, _ := strings.Cut(pattern, " ")
			found = found || c.method == m && strings.ReplaceAll(p, "{id}", "c") == c.path
		}
		if !found {
			t.Errorf("no row of zunUnknowns for %s", pattern)
		}
	}
}

// TestUnknownBodyFields: Zun's create and update schemas allow no other
// field (zun/api/controllers/v1/schemas/containers.py container_create,
// container_update: "additionalProperties": false).
func TestUnknownBodyFields(t *testing.T) {
	l := schema.DefaultLimits()
	if _, err := schema.ContainerCreate([]byte(`{"image": "busybox", "colour": "red"}`), api.MaxVersion, l); !errdefs.IsInvalid(err) ||
		!strings.Contains(err.Error(), "('colour' was unexpected)") {
		t.Errorf("create with an unknown field: %v", err)
	}
	if _, err := schema.ContainerUpdate([]byte(`{"name": "n", "colour": "red"}`), api.MaxVersion, l); !errdefs.IsInvalid(err) ||
		!strings.Contains(err.Error(), "('colour' was unexpected)") {
		t.Errorf("update with an unknown field: %v", err)
	}
}
