package glance_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/store/dbtest"
)

// FuzzImageRequest sends fuzzed bodies, ids, tags and query strings to
// every route of the image API's table as alice (a member), the reader,
// the admin or a fuzzed token. Properties: no 5xx; a refusal is Glance's
// error document and changes no image; what a create or patch accepts
// reads back the same.
func FuzzImageRequest(f *testing.F) {
	svc := &glance.Service{Store: glance.NewEtcdStore(dbtest.Open(f)), Dir: f.TempDir(), SizeCap: 1 << 20}
	h := glance.NewHandler(svc, principals, glance.HandlerOptions{})
	do := func(token, method, path, contentType, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/", strings.NewReader(body))
		r.URL.Path, r.URL.RawQuery, _ = strings.Cut(path, "?")
		r.Header.Set("Content-Type", contentType)
		if token != "" {
			r.Header.Set("X-Auth-Token", token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("alice", "POST", "/v2/images", "application/json", `{"name": "i1", "container_format": "docker", "disk_format": "raw", "tags": ["t"], "k": "v"}`)
	var created map[string]any
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &created) != nil {
		f.Fatalf("create: %d %s", w.Code, w.Body)
	}
	imageID := created["id"].(string)
	snapshot := func() []byte {
		return do("admin", "GET", "/v2/images?visibility=all&os_hidden=false&limit=1000", "", "").Body.Bytes()
	}
	routes := h.Routes()
	seeds := map[string][]string{
		"GET /v2/images": {"?name=i1", "?visibility=community&sort=name:asc,created_at:desc", "?status=in:queued,active&limit=1",
			"?protected=maybe", "?marker=nope", "?tag=t&tag=u", "?k=v", "?size_min=1&size_max=x", "?sort_key=bogus"},
		"POST /v2/images": {`{"name": "x", "visibility": "private", "protected": false, "min_disk": 1, "min_ram": 0, "os_hidden": true}`,
			`{"id": "11111111-2222-3333-4444-555555555555", "container_format": "bare", "disk_format": "qcow2"}`,
			`{"status": "active"}`, `{"owner": "pb"}`, `{"visibility": "public"}`, `{"visibility": "bogus"}`, `{"name": 1}`,
			`{"x_prop": null}`, `{"tags": "t"}`, `{"min_ram": -1}`, `[]`, `null`, ``, `{"locations": []}`},
		"PATCH /v2/images/{id}": {`[{"op": "replace", "path": "/name", "value": "n2"}, {"op": "add", "path": "/p", "value": "q"}]`,
			`[{"op": "remove", "path": "/k"}]`, `[{"op": "remove", "path": "/name"}]`, `[{"op": "move", "path": "/a"}]`,
			`[{"op": "add", "path": "/a/b", "value": "x"}]`, `[{"op": "replace", "path": "/visibility", "value": "public"}]`, `{}`},
		"PUT /v2/images/{id}/file": {"some data", ""},
	}
	for i, pattern := range routes {
		f.Add(uint8(i), uint8(0), "", "")
		for _, s := range seeds[pattern] {
			if strings.HasPrefix(s, "?") {
				f.Add(uint8(i), uint8(0), s[1:], "")
			} else {
				f.Add(uint8(i), uint8(0), "", s)
			}
		}
	}

	tokens := []string{"alice", "reader", "admin", "bob"}
	f.Fuzz(func(t *testing.T, route, who uint8, param, body string) {
		pattern := routes[int(route)%len(routes)]
		method, path, _ := strings.Cut(pattern, " ")
		id, tag, query := imageID, "t", param
		if int(route) >= len(routes) {
			id = strings.NewReplacer("/", "", "?", "", "#", "", "%", "").Replace(param)
			tag, query = id, ""
		}
		path = strings.NewReplacer("{id}", id, "{tag}", tag).Replace(path)
		token := tokens[int(who)%len(tokens)]
		if int(who) >= 2*len(tokens) {
			token = param
		}
		ct := "application/json"
		switch {
		case method == "PATCH":
			ct = "application/openstack-images-v2.1-json-patch"
		case strings.HasSuffix(path, "/file"):
			ct = "application/octet-stream"
		}
		if who&0x80 != 0 {
			ct = param
		}
		before := snapshot()
		w := do(token, method, path+"?"+query, ct, body)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s %q as %q: %d %s", method, path, query, body, token, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != w.Code {
				t.Fatalf("%s %s %q: %d with a body that is no Glance error: %s", method, path, body, w.Code, w.Body)
			}
			if after := snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("%s %s?%s %q as %q: refused (%d %s) but the images changed", method, path, query, body, token, w.Code, w.Body)
			}
			return
		}
		if pattern == "POST /v2/images" || pattern == "PATCH /v2/images/{id}" {
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%s %s %q: %d %s", method, path, body, w.Code, w.Body)
			}
			again := do(token, "GET", "/v2/images/"+out["id"].(string), "", "")
			var back map[string]any
			_ = json.Unmarshal(again.Body.Bytes(), &back)
			a, _ := json.Marshal(out)
			b, _ := json.Marshal(back)
			if again.Code != http.StatusOK || !bytes.Equal(a, b) {
				t.Fatalf("%s %s %q answered %s, read back as %d %s", method, path, body, a, again.Code, again.Body)
			}
		}
	})
}
