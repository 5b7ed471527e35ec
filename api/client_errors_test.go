package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestErrorMapping(t *testing.T) {
	zunBody := func(status, title string) string {
		return `{"errors":[{"request_id":"req-1","code":"container.x","status":` + status + `,"title":"` + title + `","detail":"` + title + `","links":[]}]}`
	}
	tests := []struct {
		name      string
		a         answer
		kind      error
		wantMsg   string
		wantCode  string
		wantReqID string
	}{
		{"400", answer{status: 400, body: zunBody("400", "Invalid input for field/attribute cpu.")}, errdefs.ErrInvalid, "Invalid input for field/attribute cpu.", "container.x", "req-1"},
		{"401", answer{status: 401, body: zunBody("401", "Unauthorized")}, errdefs.ErrUnauthorized, "Unauthorized", "container.x", "req-1"},
		{"403", answer{status: 403, body: zunBody("403", "Policy doesn't allow container:create:privileged to be performed.")}, errdefs.ErrForbidden, "Policy doesn't allow container:create:privileged to be performed.", "container.x", "req-1"},
		{"404", answer{status: 404, body: zunBody("404", "Container web could not be found.")}, errdefs.ErrNotFound, "Container web could not be found.", "container.x", "req-1"},
		{"406", answer{status: 406, body: zunBody("406", "Version 1.99 was requested but the minor version is not supported by this service.")}, errdefs.ErrNotAcceptable, "Version 1.99 was requested but the minor version is not supported by this service.", "container.x", "req-1"},
		{"409", answer{status: 409, body: zunBody("409", "Cannot stop container web in Stopped state.")}, errdefs.ErrConflict, "Cannot stop container web in Stopped state.", "container.x", "req-1"},
		{"413", answer{status: 413, body: zunBody("413", "Request is too large.")}, errdefs.ErrTooLarge, "Request is too large.", "container.x", "req-1"},
		{"415", answer{status: 415, body: zunBody("415", "Unsupported media type.")}, errdefs.ErrUnsupported, "Unsupported media type.", "container.x", "req-1"},
		{"501", answer{status: 501, body: zunBody("501", "Not supported.")}, errdefs.ErrNotSupported, "Not supported.", "container.x", "req-1"},
		{"503", answer{status: 503, body: zunBody("503", "Host is down.")}, errdefs.ErrUnavailable, "Host is down.", "container.x", "req-1"},
		{"500 has no kind", answer{status: 500, body: zunBody("500", "Your request could not be handled.")}, nil, "Your request could not be handled.", "container.x", "req-1"},
		{
			"request id from header",
			answer{status: 404, body: `{"errors":[{"title":"gone","detail":"gone"}]}`, header: map[string]string{RequestIDHeader: "req-h"}},
			errdefs.ErrNotFound, "gone", "", "req-h",
		},
		{
			"keystone body",
			answer{status: 401, body: `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`},
			errdefs.ErrUnauthorized, "The request you have made requires authentication.", "", "",
		},
		{
			"image store body",
			answer{status: 404, body: `{"code":404,"title":"Not Found","message":"No image found with ID 1f2e."}`},
			errdefs.ErrNotFound, "No image found with ID 1f2e.", "", "",
		},
		{
			"image store body without a message",
			answer{status: 409, body: `{"code":409,"title":"Conflict"}`},
			errdefs.ErrConflict, "Conflict", "", "",
		},
		{
			"plain text body",
			answer{status: 502, body: "upstream connect error\nmore", header: map[string]string{"Content-Type": "text/plain"}},
			nil, "502 Bad Gateway: upstream connect error", "", "",
		},
		{
			"html body",
			answer{status: 503, body: "<html><body>down</body></html>", header: map[string]string{"Content-Type": "text/html"}},
			errdefs.ErrUnavailable, "503 Service Unavailable", "", "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, tt.a, Config{})
			_, err := c.GetContainer(context.Background(), "web")
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if apiErr.Status != tt.a.status {
				t.Fatalf("Status = %d, want %d", apiErr.Status, tt.a.status)
			}
			if got := err.Error(); got != tt.wantMsg {
				t.Fatalf("message = %q, want %q", got, tt.wantMsg)
			}
			if apiErr.Code != tt.wantCode {
				t.Fatalf("Code = %q, want %q", apiErr.Code, tt.wantCode)
			}
			if apiErr.RequestID != tt.wantReqID {
				t.Fatalf("RequestID = %q, want %q", apiErr.RequestID, tt.wantReqID)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.kind)
			}
			for _, other := range []error{errdefs.ErrInvalid, errdefs.ErrNotFound, errdefs.ErrConflict, errdefs.ErrQuotaExceeded} {
				if other != tt.kind && errors.Is(err, other) {
					t.Fatalf("errors.Is(%v, %v) = true, want false", err, other)
				}
			}
		})
	}
}

func TestVersionErrorCarriesRange(t *testing.T) {
	body := `{"errors":[{"code":"zun.microversion-unsupported","status":406,"title":"Not Acceptable","detail":"Version 1.40 is not supported.","max_version":"1.30","min_version":"1.1"}]}`
	c, _ := newTestClient(t, answer{status: http.StatusNotAcceptable, body: body}, Config{})
	_, err := c.ListContainers(context.Background(), ListOptions{})
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want *Error", err)
	}
	if apiErr.MinVersion != "1.1" || apiErr.MaxVersion != "1.30" {
		t.Fatalf("range = %q..%q, want 1.1..1.30", apiErr.MinVersion, apiErr.MaxVersion)
	}
}

func TestEmptyIdentIsRefused(t *testing.T) {
	c, reqs := newTestClient(t, answer{body: `{}`}, Config{})
	_, err := c.GetContainer(context.Background(), " ")
	if !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("error = %v, want ErrInvalid", err)
	}
	if len(*reqs) != 0 {
		t.Fatalf("%d requests sent, want none", len(*reqs))
	}
}

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
