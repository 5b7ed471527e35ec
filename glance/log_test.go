package glance_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/internal/logctx/logtest"
	"github.com/zun-go/zun/store/dbtest"
)

// TestRequestLog checks that the image API answers a request id and logs
// what a request does with that id and the caller's project and user, at
// the logger's level.
func TestRequestLog(t *testing.T) {
	tests := []struct {
		name     string
		level    slog.Level
		wantLine bool
	}{
		{name: "info", level: slog.LevelInfo, wantLine: true},
		{name: "warn silences info", level: slog.LevelWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, out := logtest.New(tt.level)
			svc := &glance.Service{Store: glance.NewEtcdStore(dbtest.Open(t)), Dir: t.TempDir()}
			srv := httptest.NewServer(glance.NewHandler(svc, principals, glance.HandlerOptions{Logger: log}))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2/images",
				strings.NewReader(`{"name": "logged", "container_format": "bare", "disk_format": "raw"}`))
			req.Header.Set("X-Auth-Token", "alice")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d", resp.StatusCode)
			}
			id := resp.Header.Get("X-Openstack-Request-Id")
			if id == "" {
				t.Fatal("no request id answered")
			}
			if !tt.wantLine {
				if recs := out.Records(t); len(recs) != 0 {
					t.Fatalf("logged at %v: %v", tt.level, recs)
				}
				return
			}
			logtest.Has(t, out.Find(t, "image created"), map[string]string{"request_id": id, "project_id": "pa", "user_id": "ua"})
		})
	}
}
