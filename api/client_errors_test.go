package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestLoginErrorKinds: a refused login keeps Keystone's message and gets
// the kind of its status, as errdefs reads statuses back.
func TestLoginErrorKinds(t *testing.T) {
	tests := []struct {
		name   string
		status int
		kind   error
	}{
		{"wrong password", http.StatusUnauthorized, errdefs.ErrUnauthorized},
		{"malformed", http.StatusBadRequest, errdefs.ErrInvalid},
		{"throttled", http.StatusTooManyRequests, errdefs.ErrThrottled},
		{"down", http.StatusServiceUnavailable, errdefs.ErrUnavailable},
		{"broken", http.StatusInternalServerError, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"error": {"code": 0, "title": "", "message": "The request you have made requires authentication."}}`))
			}))
			defer srv.Close()
			_, err := (&Password{AuthURL: srv.URL + "/v3", Username: "demo", Password: "pw"}).Token(context.Background())
			if err == nil || errdefs.KindOf(err) != tc.kind || !strings.Contains(err.Error(), "requires authentication") {
				t.Fatalf("login answered %d: %v (kind %v), want kind %v", tc.status, err, errdefs.KindOf(err), tc.kind)
			}
		})
	}
}
