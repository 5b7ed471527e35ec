package volume_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/store/dbtest"
	"github.com/zun-go/zun/volume"
)

// FuzzVolumeRequest sends fuzzed bodies, ids and query strings to the
// volume API's routes as alice (a member), the reader, the admin or a
// fuzzed token. Properties: no 5xx; a refusal is a Cinder fault and
// changes no volume; what a create or update accepts reads back the same.
func FuzzVolumeRequest(f *testing.F) {
	vs := volume.NewEtcdStore(dbtest.Open(f))
	h := volume.NewHandler(vs, principals, volume.HandlerOptions{})
	do := func(token, method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/", strings.NewReader(body))
		r.URL.Path, r.URL.RawQuery, _ = strings.Cut(path, "?")
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("X-Auth-Token", token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("alice", "POST", "/v3/volumes", `{"volume": {"size": 1, "name": "v1"}}`)
	var created map[string]map[string]any
	if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &created) != nil {
		f.Fatalf("create: %d %s", w.Code, w.Body)
	}
	volID := created["volume"]["id"].(string)
	snapshot := func() []byte {
		return do("admin", "GET", "/v3/volumes/detail?all_tenants=1", "").Body.Bytes()
	}
	routes := []struct{ method, path string }{
		{"GET", "/v3/volumes"}, {"GET", "/v3/volumes/detail"}, {"POST", "/v3/volumes"},
		{"GET", "/v3/volumes/{id}"}, {"PUT", "/v3/volumes/{id}"}, {"DELETE", "/v3/volumes/{id}"},
		{"GET", "/v3/pa/volumes/{id}"}, {"PATCH", "/v3/volumes/{id}"}, {"GET", "/v2/volumes"},
	}
	for i, rt := range routes {
		f.Add(uint8(i), uint8(0), "", "")
		if rt.method == "GET" {
			for _, q := range []string{"name=v1", "status=available&all_tenants=true", "display_name=v1&bogus=1", "limit=1&marker=x&sort=name:asc", "all_tenants=maybe"} {
				f.Add(uint8(i), uint8(2), q, "")
			}
		}
	}
	for _, b := range []string{
		`{"volume": {"size": 2, "name": "n", "description": "d", "metadata": {"a": "b"}, "availability_zone": "nova", "volume_type": null}}`,
		`{"volume": {"size": "3", "snapshot_id": "", "source_volid": null, "imageRef": "", "multiattach": false, "display_name": "dn"}}`,
		`{"volume": {"size": 0}}`, `{"volume": {"size": 1.5}}`, `{"volume": {"size": "x"}}`, `{"volume": {"size": 1, "availability_zone": "az9"}}`,
		`{"volume": {"size": 1, "bogus": true}}`, `{"volume": {"size": 1}, "bogus": 1}`, `{"volume": {"size": 1}, "OS-SCH-HNT:scheduler_hints": {"same_host": []}}`,
		`{"volume": {"size": 1, "metadata": {"a": 1}}}`, `{"volume": null}`, `{"volume": []}`, `[]`, `null`, ``, `{"volume": {"size": 99999999999999999999}}`,
	} {
		f.Add(uint8(2), uint8(0), "", b)
	}
	for _, b := range []string{
		`{"volume": {"name": "x", "description": "y", "metadata": {"k": "v"}}}`, `{"volume": {}}`, `{"volume": {"size": 5}}`,
		`{"volume": {"display_name": "z"}}`, `{"volume": {"name": 1}}`, `{"volume": {"name": "a"}, "extra": {}}`,
	} {
		f.Add(uint8(4), uint8(0), "", b)
	}

	tokens := []string{"alice", "reader", "admin", "bob"}
	f.Fuzz(func(t *testing.T, route, who uint8, param, body string) {
		rt := routes[int(route)%len(routes)]
		id, query := volID, param
		if int(route) >= len(routes) {
			id, query = strings.NewReplacer("/", "", "?", "", "#", "", "%", "").Replace(param), ""
		}
		path := strings.ReplaceAll(rt.path, "{id}", id)
		token := tokens[int(who)%len(tokens)]
		if int(who) >= 2*len(tokens) {
			token = param
		}
		before := snapshot()
		w := do(token, rt.method, path+"?"+query, body)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s %q as %q: %d %s", rt.method, path, query, body, token, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var fault map[string]struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &fault); err != nil || len(fault) != 1 {
				t.Fatalf("%s %s %q: %d with a body that is no Cinder fault: %s", rt.method, path, body, w.Code, w.Body)
			}
			if after := snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("%s %s?%s %q as %q: refused (%d %s) but the volumes changed", rt.method, path, query, body, token, w.Code, w.Body)
			}
			return
		}
		if rt.method == "POST" || rt.method == "PUT" {
			var out map[string]map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s %q: %d %s", rt.method, path, body, w.Code, w.Body)
			}
			again := do(token, "GET", "/v3/volumes/"+out["volume"]["id"].(string), "")
			var back map[string]map[string]any
			_ = json.Unmarshal(again.Body.Bytes(), &back)
			a, _ := json.Marshal(out["volume"])
			b, _ := json.Marshal(back["volume"])
			if again.Code != http.StatusOK || !bytes.Equal(a, b) {
				t.Fatalf("%s %s %q answered %s, read back as %d %s", rt.method, path, body, a, again.Code, again.Body)
			}
		}
	})
}
