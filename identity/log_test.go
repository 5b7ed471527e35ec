package identity

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/zun-go/zun/internal/logctx/logtest"
)

// TestRequestLog checks that the identity API answers a request id and
// that a failed login is logged with it.
func TestRequestLog(t *testing.T) {
	f := newHTTPFixture(t)
	log, out := logtest.New(slog.LevelInfo)
	f.s.log = log
	res, _ := f.do(t, "POST", "/v3/auth/tokens", "", "", passwordBody("nobody", "wrong", "admin"))
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", res.StatusCode)
	}
	id := res.Header.Get("X-Openstack-Request-Id")
	if id == "" {
		t.Fatal("no request id answered")
	}
	logtest.Has(t, out.Find(t, "failed login"), map[string]string{"request_id": id, "user": "nobody"})
}
