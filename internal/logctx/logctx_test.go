package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/internal/logctx"
)

func TestFromContext(t *testing.T) {
	var out bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&out, nil))
	tests := []struct {
		name     string
		ctx      context.Context
		fallback *slog.Logger
		wantLine bool
	}{
		{name: "carried", ctx: logctx.WithLogger(context.Background(), base), wantLine: true},
		{name: "fallback", ctx: context.Background(), fallback: base, wantLine: true},
		{name: "none drops", ctx: context.Background()},
		{name: "nil logger not carried", ctx: logctx.WithLogger(context.Background(), nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out.Reset()
			logctx.Or(tt.ctx, tt.fallback).Info("hello")
			if got := out.Len() > 0; got != tt.wantLine {
				t.Errorf("logged = %v, want %v", got, tt.wantLine)
			}
		})
	}
}

func TestStartRequest(t *testing.T) {
	var out bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&out, nil))
	w := httptest.NewRecorder()
	r, id := logctx.StartRequest(w, httptest.NewRequest(http.MethodGet, "/", nil), base)
	if got := w.Header().Get(logctx.RequestIDHeader); got != id || id == "" {
		t.Fatalf("header %q, id %q", got, id)
	}
	ctx := logctx.WithPrincipal(r.Context(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	ctx, _ = logctx.With(ctx, "container_id", "c1")
	logctx.FromContext(ctx).Info("hello")
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %q", err, out.String())
	}
	for k, v := range map[string]string{"request_id": id, "project_id": "p1", "user_id": "u1", "container_id": "c1"} {
		if rec[k] != v {
			t.Errorf("%s = %v, want %s", k, rec[k], v)
		}
	}
}
