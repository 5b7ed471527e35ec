package apiserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/errdefs"
)

// TestErrorAnswers: one error of each kind the container API meets at its
// edge, end to end through the handler: Zun's status and code, and the
// message as written, never suffixed with the kind's text (": not
// acceptable", ": quota exceeded"...).
func TestErrorAnswers(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	cfg.MaxBodyBytes = 1 << 10
	ts, _ := newStack(t, cfg, tokens{"a": alice, "root": root})
	if status, raw := call(t, "PUT", ts.URL+"/v1/quotas/p-a", "root", `{"containers": 0}`); status != 200 {
		t.Fatalf("set a's quota: %d %s", status, raw)
	}
	create := `{"image": "` + testImage + `"}`
	tests := []struct {
		name, method, path, token, version, contentType, body string
		status                                                int
		code, detail                                          string
	}{
		{"no token", "GET", "/v1/containers", "", "container 1.40", "", "", 401,
			"container.not_authorized", "The request you have made requires authentication."},
		{"no route", "GET", "/v1/nothing", "a", "container 1.40", "", "", 404,
			"container.not_found", "the resource could not be found: GET /v1/nothing"},
		{"microversion of another service", "GET", "/v1/containers", "a", "compute 2.1", "", "", 406,
			"zun.microversion-unsupported", `invalid service type for OpenStack-API-Version header "compute 2.1": want "container X.Y"`},
		{"body over its limit", "POST", "/v1/containers", "a", "container 1.40", "application/json",
			`{"image": "` + strings.Repeat("x", 2<<10) + `"}`, 413, "container.request_too_large", "request body is larger than 1024 bytes"},
		{"not JSON", "POST", "/v1/containers", "a", "container 1.40", "text/plain", create, 415,
			"container.unsupported_media_type", `the server could not comply with the request since it is either malformed or otherwise incorrect: Content-Type must be application/json, not "text/plain"`},
		{"over quota", "POST", "/v1/containers", "a", "container 1.40", "application/json", create, 403,
			"container.forbidden", "Quota exceeded for resources: containers (requested 1, in use 0, limit 0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("OpenStack-API-Version", tc.version)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.token != "" {
				req.Header.Set("X-Auth-Token", tc.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var body api.ErrorBody
			if err := json.Unmarshal(raw, &body); err != nil || len(body.Errors) != 1 {
				t.Fatalf("%d %s: not Zun's error body", res.StatusCode, raw)
			}
			e := body.Errors[0]
			if res.StatusCode != tc.status || e.Status != tc.status || e.Code != tc.code || e.Detail != tc.detail {
				t.Fatalf("%d %s, want %d %s %q", res.StatusCode, raw, tc.status, tc.code, tc.detail)
			}
			for _, k := range errdefs.Kinds() {
				if strings.HasSuffix(e.Detail, ": "+k.Err.Error()) {
					t.Errorf("detail %q carries the kind %q", e.Detail, k.Err)
				}
			}
		})
	}
}
