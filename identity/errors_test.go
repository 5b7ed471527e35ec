package identity

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestHTTPErrorStatuses: Keystone's error body carries the status errdefs
// gives the error's kind, and its message as written, never suffixed with
// the kind's text.
func TestHTTPErrorStatuses(t *testing.T) {
	t.Parallel()
	f := newHTTPFixture(t)
	admin := f.token(t, "admin", f.admin, "admin")
	tests := []struct {
		name, method, path, token, subject, body string
		want                                     int
		msg                                      string
	}{
		{"unknown path", "GET", "/v3/nothing", "", "", "", http.StatusNotFound, "The resource could not be found."},
		{"unknown token checked", "GET", "/v3/auth/tokens", admin, "bogus", "", http.StatusNotFound, "Could not find token."},
		{"no token", "GET", "/v3/projects", "", "", "", http.StatusUnauthorized, "The request you have made requires authentication."},
		{"body over its limit", "POST", "/v3/projects", admin, "", `{"project": {"name": "` + strings.Repeat("x", 70<<10) + `"}}`,
			http.StatusRequestEntityTooLarge, "Request is too large."},
		{"projects as domains", "POST", "/v3/projects", admin, "", `{"project": {"name": "d", "is_domain": true}}`,
			http.StatusNotImplemented, "Projects acting as domains are not supported."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.do(t, tc.method, tc.path, tc.token, tc.subject, tc.body)
			e, _ := body["error"].(map[string]any)
			if res.StatusCode != tc.want || e["code"] != float64(tc.want) || e["message"] != tc.msg {
				t.Fatalf("%d %v, want %d with the message %q", res.StatusCode, body, tc.want, tc.msg)
			}
			for _, k := range errdefs.Kinds() {
				if msg, _ := e["message"].(string); strings.HasSuffix(msg, ": "+k.Err.Error()) {
					t.Errorf("message %q carries the kind %q", msg, k.Err)
				}
			}
		})
	}
}
