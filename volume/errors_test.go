package volume_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/volume"
)

// failingStore refuses every create with err; the rest is never reached.
type failingStore struct {
	volume.Store
	err error
}

func (s *failingStore) Create(context.Context, *volume.Volume) error { return s.err }

// TestFaults: an error of each kind, raised where the store is, reaches
// the caller as Cinder's fault: the status errdefs gives the kind for
// Cinder (a quota is 413 with Retry-After, as Cinder's QuotaError), the
// fault's name, and the message as written, with no kind's text appended.
// None of the client's mistakes is a 500.
func TestFaults(t *testing.T) {
	fs := &failingStore{}
	h := http.StripPrefix("/volume", volume.NewHandler(fs, principals, volume.HandlerOptions{Prefix: "/volume"}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		err    error
		status int
		fault  string
	}{
		{"invalid", errdefs.Invalidf("Invalid input received: size 0."), 400, "badRequest"},
		{"forbidden", errdefs.Forbiddenf("Policy doesn't allow volume:create to be performed."), 403, "forbidden"},
		{"quota exceeded", errdefs.QuotaExceededf("Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 10G and 8G has been consumed."), 413, "overLimit"},
		{"not found", errdefs.NotFoundf("Volume type local could not be found."), 404, "itemNotFound"},
		{"conflict", errdefs.Conflictf("Volume v is in use."), 409, "conflictingRequest"},
		{"too large", errdefs.TooLargef("Requested volume size 2048G is larger than maximum allowed limit 1024G."), 413, "overLimit"},
		{"not supported", errdefs.NotSupportedf("Volumes from snapshots are not supported."), 501, "notImplemented"},
		{"unavailable", errdefs.Unavailablef("No valid backend was found."), 503, "serviceUnavailable"},
		{"internal", errors.New("disk on fire"), 500, "computeFault"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs.err = tc.err
			req, _ := http.NewRequest("POST", srv.URL+"/volume/v3/volumes", strings.NewReader(`{"volume": {"size": 1}}`))
			req.Header.Set("X-Auth-Token", "alice")
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			f, ok := out[tc.fault]
			if res.StatusCode != tc.status || !ok || f.Code != tc.status || f.Message != tc.err.Error() {
				t.Fatalf("%d %+v, want %d %s %q", res.StatusCode, out, tc.status, tc.fault, tc.err)
			}
			if quota := errdefs.IsQuotaExceeded(tc.err); quota != (res.Header.Get("Retry-After") == "0") {
				t.Errorf("Retry-After %q for %s", res.Header.Get("Retry-After"), tc.name)
			}
			for _, k := range errdefs.Kinds() {
				if strings.HasSuffix(f.Message, ": "+k.Err.Error()) {
					t.Errorf("message %q carries the kind %q", f.Message, k.Err)
				}
			}
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		req, _ := http.NewRequest("PATCH", srv.URL+"/volume/v3/volumes", nil)
		req.Header.Set("X-Auth-Token", "alice")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]struct {
			Message string `json:"message"`
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode != 405 || out["badMethod"].Message != "The method PATCH is not allowed for this resource." {
			t.Fatalf("%d %v", res.StatusCode, out)
		}
	})
}

// TestBodyLimit: a body up to Cinder's default max_request_body_size
// (114688 bytes, oslo.middleware's sizelimit) is read; one byte more is
// 413 overLimit, as Cinder's size-limit middleware answers, and records
// nothing.
func TestBodyLimit(t *testing.T) {
	const limit = 114688
	create := `{"volume": {"size": 1}}`
	tests := []struct {
		name   string
		size   int
		status int
		fault  string
		volume bool
	}{
		{"at the limit", limit, 202, "", true},
		{"one byte over", limit + 1, 413, "overLimit", false},
		{"far over", 4 * limit, 413, "overLimit", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			body := create + strings.Repeat(" ", tc.size-len(create))
			code, out := e.call("alice", "POST", "/v3/volumes", body)
			if code != tc.status {
				t.Fatalf("%d %v, want %d", code, out, tc.status)
			}
			if tc.fault != "" {
				f, _ := out[tc.fault].(map[string]any)
				if f == nil || f["code"] != float64(tc.status) ||
					f["message"] != "Request is too large. Larger than max_request_body_size (114688)." {
					t.Fatalf("%v, want %s", out, tc.fault)
				}
			}
			vols, err := e.vs.List(auth.System(context.Background()))
			if err != nil || (len(vols) == 1) != tc.volume {
				t.Fatalf("%d volumes (%v), want one: %t", len(vols), err, tc.volume)
			}
		})
	}
}
