package network_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zun-go/zun/internal/logctx/logtest"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/store/dbtest"
)

// TestRequestLog checks that the network API logs a request with its id
// (the one answered) and its caller's project and user.
func TestRequestLog(t *testing.T) {
	log, out := logtest.New(slog.LevelDebug)
	ns := network.NewEtcdStore(dbtest.Open(t), nil)
	srv := httptest.NewServer(network.NewHandler(ns, principals, network.HandlerOptions{Logger: log}))
	defer srv.Close()
	tests := []struct {
		name  string
		token string
		path  string
		want  map[string]string
	}{
		{name: "member", token: "alice", path: "/v2.0/networks", want: map[string]string{"project_id": "pa", "user_id": "ua"}},
		{name: "unknown path", token: "alice", path: "/v2.0/nothing", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			req.Header.Set("X-Auth-Token", tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			rec := out.Find(t, "network API")
			tt.want["request_id"] = resp.Header.Get("X-Openstack-Request-Id")
			if tt.want["request_id"] == "" {
				t.Fatal("no request id answered")
			}
			tt.want["path"] = tt.path
			logtest.Has(t, rec, tt.want)
		})
	}
}
