package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// lockedBuffer is a bytes.Buffer safe for concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// records returns the JSON log records written so far.
func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var recs []map[string]any
	for line := range strings.Lines(b.b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		recs = append(recs, rec)
	}
	return recs
}

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
			var out lockedBuffer
			log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: tt.level}))
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
			recs := out.records(t)
			if !tt.wantLines {
				if len(recs) != 0 {
					t.Fatalf("logged %d lines at %v: %v", len(recs), tt.level, recs)
				}
				return
			}
			var access map[string]any
			for _, rec := range recs {
				if rec["msg"] == "request" {
					access = rec
				}
			}
			if access == nil {
				t.Fatalf("no access log line in %v", recs)
			}
			want := map[string]any{
				"request_id": reqID,
				"project_id": apiserver.DevPrincipal.ProjectID,
				"user_id":    apiserver.DevPrincipal.UserID,
				"path":       tt.path,
			}
			if tt.wantContainer != "" {
				want["container_id"] = tt.wantContainer
			}
			for k, v := range want {
				if access[k] != v {
					t.Errorf("%s = %v, want %v; line %v", k, access[k], v, access)
				}
			}
			if _, ok := access["container_id"]; ok && tt.wantContainer == "" {
				t.Errorf("container_id on a request about none: %v", access)
			}
		})
	}
}
