package volume_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/zun-go/zun/volume"
)

// TestRoutes keeps Routes in step with ServeHTTP, which dispatches by
// hand: every method on every path shape is served (not 405) exactly
// when Routes lists it, so a route added to one and not the other fails.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	id := e.mustCreate("alice", `{"volume": {"size": 1}}`)["id"].(string)
	routes := (&volume.Handler{}).Routes()
	for _, shape := range []struct{ path, pattern string }{
		{"/v3/volumes", "/v3/volumes"},
		{"/v3/volumes/detail", "/v3/volumes/detail"},
		{"/v3/volumes/" + id, "/v3/volumes/{id}"},
	} {
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			t.Run(method+" "+shape.pattern, func(t *testing.T) {
				listed := slices.Contains(routes, method+" "+shape.pattern)
				if !listed && method != "GET" && shape.pattern == "/v3/volumes/detail" {
					// Only GET takes "detail" for a word: other
					// methods read it as an id.
					listed = slices.Contains(routes, method+" /v3/volumes/{id}")
				}
				code, out := e.call("admin", method, shape.path, "{}")
				if served := code != http.StatusMethodNotAllowed; served != listed {
					t.Fatalf("%s %s: %d %v; listed in Routes: %v", method, shape.path, code, out, listed)
				}
			})
		}
	}
}
