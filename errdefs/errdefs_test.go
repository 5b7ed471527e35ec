package errdefs_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	mbe := fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 10})
	tests := []struct {
		name                 string
		err                  error
		zun, neutron, cinder int
		wire                 string
	}{
		{"invalid", errdefs.Invalidf("bad size"), 400, 400, 400, "invalid"},
		{"unauthorized", errdefs.Unauthorizedf("no token"), 401, 401, 401, "unauthorized"},
		{"forbidden", errdefs.Forbiddenf("not yours"), 403, 403, 403, "forbidden"},
		{"quota exceeded", errdefs.QuotaExceededf("Quota exceeded for resources: containers"), 403, 409, 413, "quota"},
		{"not found", errdefs.NotFoundf("Volume v could not be found."), 404, 404, 404, "not_found"},
		{"method not allowed", errdefs.MethodNotAllowedf("PATCH is not allowed"), 405, 405, 405, "method_not_allowed"},
		{"not acceptable", errdefs.NotAcceptablef("version 9.9"), 406, 406, 406, "not_acceptable"},
		{"conflict", errdefs.Conflictf("in use"), 409, 409, 409, "conflict"},
		{"too large", errdefs.TooLargef("body over 64 KiB"), 413, 413, 413, "too_large"},
		{"body over its limit", mbe, 413, 413, 413, "too_large"},
		{"unsupported media type", errdefs.UnsupportedMediaf("text/plain"), 415, 415, 415, "unsupported_media_type"},
		{"throttled", errdefs.Throttledf("slow down"), 429, 429, 429, "throttled"},
		{"not supported", errdefs.NotSupportedf("no snapshots"), 501, 501, 501, "not_supported"},
		{"unavailable", errdefs.Unavailablef("no host"), 503, 503, 503, "unavailable"},
		{"wrapped kind", fmt.Errorf("volume v: %w", errdefs.NotFoundf("gone")), 404, 404, 404, "not_found"},
		{"no kind", errors.New("disk on fire"), 500, 500, 500, "internal"},
		{"nil kind from the wire", errdefs.New(nil, "disk on fire"), 500, 500, 500, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := errdefs.HTTPStatus(tc.err); got != tc.zun {
				t.Errorf("HTTPStatus = %d, want %d", got, tc.zun)
			}
			if got := errdefs.Neutron.HTTPStatus(tc.err); got != tc.neutron {
				t.Errorf("Neutron.HTTPStatus = %d, want %d", got, tc.neutron)
			}
			if got := errdefs.Cinder.HTTPStatus(tc.err); got != tc.cinder {
				t.Errorf("Cinder.HTTPStatus = %d, want %d", got, tc.cinder)
			}
			if got := errdefs.Name(tc.err); got != tc.wire {
				t.Errorf("Name = %q, want %q", got, tc.wire)
			}
			// Across the wire the kind and the message survive.
			back := errdefs.New(errdefs.Named(errdefs.Name(tc.err)), tc.err.Error())
			if back.Error() != tc.err.Error() || errdefs.HTTPStatus(back) != tc.zun {
				t.Errorf("over the wire: %q (%d), want %q (%d)", back, errdefs.HTTPStatus(back), tc.err, tc.zun)
			}
		})
	}
}

// TestMessages: a kind's helper gives the message as written, with no
// kind's text appended.
func TestMessages(t *testing.T) {
	t.Parallel()
	for _, k := range errdefs.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			err := errdefs.New(k.Err, "Volume v is in use.")
			if err.Error() != "Volume v is in use." || !errors.Is(err, k.Err) {
				t.Errorf("New = %q (is %v: %t)", err, k.Err, errors.Is(err, k.Err))
			}
			if strings.HasSuffix(err.Error(), ": "+k.Err.Error()) {
				t.Errorf("message %q carries the kind", err)
			}
		})
	}
	cause := errdefs.NotFoundf("image x could not be found")
	err := errdefs.Invalidf("bad image: %w", cause)
	if err.Error() != "bad image: image x could not be found" || !errdefs.IsInvalid(err) || !errors.Is(err, cause) {
		t.Errorf("Invalidf with a cause = %q", err)
	}
}

// TestFromHTTPStatus: a client reads back the kind of every status the
// vocabulary writes; the quota's 403 reads as forbidden.
func TestFromHTTPStatus(t *testing.T) {
	t.Parallel()
	for _, k := range errdefs.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			got := errdefs.FromHTTPStatus(k.Status)
			if errdefs.HTTPStatus(got) != k.Status {
				t.Errorf("FromHTTPStatus(%d) = %v, of status %d", k.Status, got, errdefs.HTTPStatus(got))
			}
		})
	}
	tests := []struct {
		status int
		want   error
	}{
		{403, errdefs.ErrForbidden}, {413, errdefs.ErrTooLarge}, {409, errdefs.ErrConflict},
		{200, nil}, {500, nil}, {418, nil},
	}
	for _, tc := range tests {
		if got := errdefs.FromHTTPStatus(tc.status); got != tc.want {
			t.Errorf("FromHTTPStatus(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}
