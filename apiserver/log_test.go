package apiserver_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/internal/logctx/logtest"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// TestRequestLog checks that a request's log lines, in JSON, carry its
// request id (the one answered in X-Openstack-Request-Id), the caller's
// project and user, and the container a handler works on; and that a
// logger's level silences the lines below it.
func TestRequestLog(t *testing.T) {
	db := dbtest.Open(t)
	cs := store.Containers(db, store.ContainerOptions{})
	ct := &container.Container{UUID: uuid.NewString(), Name: "logged", Image: "busybox",
		ProjectID: apiserver.DevPrincipal.ProjectID, UserID: apiserver.DevPrincipal.UserID, Status: container.Created}
	if err := cs.Create(auth.WithPrincipal(context.Background(), apiserver.DevPrincipal), ct); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		level         slog.Level
		path          string
		wantStatus    int
		wantLines     bool
		wantContainer string
	}{
		{name: "container shown", level: slog.LevelInfo, path: "/v1/containers/" + ct.UUID, wantStatus: 200, wantLines: true, wantContainer: ct.UUID},
		{name: "not found", level: slog.LevelInfo, path: "/v1/containers/" + uuid.NewString(), wantStatus: 404, wantLines: true},
		{name: "warn silences the access log", level: slog.LevelWarn, path: "/v1/containers/" + ct.UUID, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, out := logtest.New(tt.level)
			srv := apiserver.New(apiserver.Config{NoAuth: true}, apiserver.Deps{Containers: cs, Actions: cs, Logger: log})
			ts := httptest.NewServer(srv)
			defer ts.Close()

			resp, err := http.Get(ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			reqID := resp.Header.Get(apiserver.RequestIDHeader)
			if reqID == "" {
				t.Fatal("no request id answered")
			}
			if !tt.wantLines {
				if recs := out.Records(t); len(recs) != 0 {
					t.Fatalf("logged %d lines at %v: %v", len(recs), tt.level, recs)
				}
				return
			}
			access := out.Find(t, "request")
			want := map[string]string{
				"request_id": reqID,
				"project_id": apiserver.DevPrincipal.ProjectID,
				"user_id":    apiserver.DevPrincipal.UserID,
				"path":       tt.path,
			}
			if tt.wantContainer != "" {
				want["container_id"] = tt.wantContainer
			}
			logtest.Has(t, access, want)
			if _, ok := access["container_id"]; ok && tt.wantContainer == "" {
				t.Errorf("container_id on a request about none: %v", access)
			}
		})
	}
}
