package agentapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// failingHost answers every update with err.
type failingHost struct {
	recorder
	err error
}

func (f *failingHost) Update(context.Context, string, driver.Resources) error { return f.err }

// TestErrorKindsCrossTheWire: every kind of the vocabulary reaches the
// other side with its status, its kind and its message as written, and
// an error of no kind stays one (a 500).
func TestErrorKindsCrossTheWire(t *testing.T) {
	type tcase struct {
		name   string
		err    error
		kind   error
		status int
	}
	var tests []tcase
	for _, k := range errdefs.Kinds() {
		tests = append(tests, tcase{k.Name, errdefs.New(k.Err, "container c1: "+k.Name+" here"), k.Err, k.Status})
	}
	tests = append(tests, tcase{"internal", errors.New("container c1: disk on fire"), nil, http.StatusInternalServerError})
	host := &failingHost{}
	h := NewHostHandler(host, "tok")
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := NewHostClient(srv.URL, "tok", nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host.err = tc.err
			req := httptest.NewRequest(http.MethodPost, HostPrefix+"containers/c1/update", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer tok")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			err := c.Update(context.Background(), "c1", driver.Resources{CPU: 1})
			if err == nil || err.Error() != tc.err.Error() {
				t.Fatalf("client got %v, want the message %q", err, tc.err)
			}
			if got := errdefs.KindOf(err); got != tc.kind {
				t.Errorf("client got kind %v, want %v", got, tc.kind)
			}
		})
	}
}
