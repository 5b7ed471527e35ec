package apiserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
)

// FuzzNegotiate checks the microversion header's parser: no header value
// makes it panic; it either refuses with ErrNotAcceptable (406) or
// answers a version within the supported range that it echoes in the
// response header and that reads back to itself.
func FuzzNegotiate(f *testing.F) {
	for _, seed := range []string{
		"container 1.1", "container 1.40", "container latest", "container LATEST", "container 1.41",
		"container 1.0", "container 2.1", "container 1.040", "container +1.2", "container 1.-1",
		"container 1", "container 1.", "container .1", "container", "compute 1.2", "container 1.2, compute 2.1",
		" container   1.3 ", "container 1.99999999999999999999", "container 1.2.3", "container\t1.5", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/containers", nil)
		r.Header.Set(api.VersionHeader, header)
		w := httptest.NewRecorder()
		v, err := negotiate(w, r)
		if err != nil {
			if !errors.Is(err, errdefs.ErrNotAcceptable) {
				t.Fatalf("negotiate(%q): %v is not ErrNotAcceptable", header, err)
			}
			return
		}
		if v.Less(api.MinVersion) || api.MaxVersion.Less(v) {
			t.Fatalf("negotiate(%q) = %s, outside [%s, %s]", header, v, api.MinVersion, api.MaxVersion)
		}
		if got, want := w.Header().Get(api.VersionHeader), api.ServiceType+" "+v.String(); got != want {
			t.Fatalf("negotiate(%q) answered header %q, want %q", header, got, want)
		}
		if back, err := api.ParseVersion(v.String()); err != nil || back != v {
			t.Fatalf("negotiate(%q) = %s, which parses to %v, %v", header, v, back, err)
		}
	})
}
