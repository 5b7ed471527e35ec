package glance_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/internal/authtest"
	"github.com/zun-go/zun/store/dbtest"
)

var principals = authtest.Principals

type env struct {
	t   *testing.T
	url string
	svc *glance.Service
}

func newEnv(t *testing.T, sizeCap int64) *env {
	svc := &glance.Service{Store: glance.NewEtcdStore(dbtest.Open(t)), Dir: t.TempDir(), SizeCap: sizeCap}
	h := http.StripPrefix("/image", glance.NewHandler(svc, principals, glance.HandlerOptions{Prefix: "/image"}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL + "/image", svc: svc}
}

// do makes a request as token and returns the status, headers and body.
func (e *env) do(token, method, path, contentType string, body io.Reader) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// call is do with a JSON body and answer.
func (e *env) call(token, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	code, _, b := e.do(token, method, path, "application/json", strings.NewReader(body))
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return code, out
}

func (e *env) mustCreate(token, body string) map[string]any {
	e.t.Helper()
	code, out := e.call(token, "POST", "/v2/images", body)
	if code != 201 {
		e.t.Fatalf("create %s: %d %v", body, code, out)
	}
	return out
}

func (e *env) upload(token, id, data string) int {
	e.t.Helper()
	code, _, _ := e.do(token, "PUT", "/v2/images/"+id+"/file", "application/octet-stream", strings.NewReader(data))
	return code
}

func (e *env) names(token, query string) []string {
	e.t.Helper()
	code, out := e.call(token, "GET", "/v2/images"+query, "")
	if code != 200 {
		e.t.Fatalf("list %s: %d %v", query, code, out)
	}
	var names []string
	for _, im := range out["images"].([]any) {
		names = append(names, im.(map[string]any)["name"].(string))
	}
	return names
}

// TestUploadDownload: an image takes its data once, shows its size and
// checksums, and gives the same bytes back.
func TestUploadDownload(t *testing.T) {
	e := newEnv(t, 0)
	im := e.mustCreate("alice", `{"name":"demo","container_format":"docker","disk_format":"raw","tags":["v1"],"color":"blue"}`)
	id := im["id"].(string)
	if im["status"] != "queued" || im["visibility"] != "shared" || im["owner"] != "pa" || im["size"] != nil ||
		im["color"] != "blue" || im["file"] != "/v2/images/"+id+"/file" {
		t.Fatalf("created %v", im)
	}
	if code, _, _ := e.do("alice", "GET", "/v2/images/"+id+"/file", "", nil); code != 204 {
		t.Fatalf("download before upload: %d", code)
	}
	// What an upload killed midway left goes with the next one.
	if err := os.WriteFile(filepath.Join(e.svc.Dir, id+".1234.part"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("layer", 1000)
	if code := e.upload("alice", id, data); code != 204 {
		t.Fatalf("upload: %d", code)
	}
	sum := md5.Sum([]byte(data))
	_, im = e.call("alice", "GET", "/v2/images/"+id, "")
	if im["status"] != "active" || im["size"] != float64(len(data)) || im["checksum"] != hex.EncodeToString(sum[:]) ||
		im["os_hash_algo"] != "sha512" || len(im["os_hash_value"].(string)) != 128 {
		t.Fatalf("after upload %v", im)
	}
	if code := e.upload("alice", id, "again"); code != 409 {
		t.Fatalf("second upload: %d", code)
	}
	code, h, b := e.do("alice", "GET", "/v2/images/"+id+"/file", "", nil)
	if code != 200 || string(b) != data || h.Get("Content-MD5") != hex.EncodeToString(sum[:]) {
		t.Fatalf("download: %d %q… md5 %q", code, b[:min(len(b), 10)], h.Get("Content-MD5"))
	}
	if code, _ := e.call("alice", "DELETE", "/v2/images/"+id, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if left, _ := os.ReadDir(e.svc.Dir); len(left) != 0 {
		t.Fatalf("data left after delete: %v", left)
	}
	if code, _ := e.call("alice", "GET", "/v2/images/"+id, ""); code != 404 {
		t.Fatalf("show deleted: %d", code)
	}
}

// TestBadUploads: refused uploads change nothing and leave no data.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, 100)
	bare := e.mustCreate("alice", `{"name":"noformat"}`)["id"].(string)
	if code := e.upload("alice", bare, "x"); code != 400 {
		t.Fatalf("upload without formats: %d", code)
	}
	id := e.mustCreate("alice", `{"name":"big","container_format":"docker","disk_format":"raw"}`)["id"].(string)
	if code := e.upload("alice", id, strings.Repeat("x", 101)); code != 413 {
		t.Fatalf("upload over the cap: %d", code)
	}
	// Sent without a length, the cap still holds.
	req, _ := http.NewRequest("PUT", e.url+"/v2/images/"+id+"/file", io.MultiReader(strings.NewReader(strings.Repeat("y", 150))))
	req.Header.Set("X-Auth-Token", "alice")
	req.ContentLength = -1
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 413 {
		t.Fatalf("chunked upload over the cap: %v %v", resp, err)
	}
	if code, _, _ := e.do("alice", "PUT", "/v2/images/"+id+"/file", "text/plain", strings.NewReader("x")); code != 415 {
		t.Fatalf("upload as text: %d", code)
	}
	if code := e.upload("bob", id, "x"); code != 404 {
		t.Fatalf("upload into another project's image: %d", code)
	}
	if _, im := e.call("alice", "GET", "/v2/images/"+id, ""); im["status"] != "queued" {
		t.Fatalf("after refused uploads: %v", im)
	}
	if left, _ := filepath.Glob(filepath.Join(e.svc.Dir, "*")); len(left) != 0 {
		t.Fatalf("data left: %v", left)
	}
	if code := e.upload("alice", id, "fits"); code != 204 {
		t.Fatalf("upload within the cap after refusals: %d", code)
	}
}

// TestCreateValidation: bad fields are refused with the reason and
// create nothing.
func TestCreateValidation(t *testing.T) {
	e := newEnv(t, 0)
	for _, tc := range []struct {
		token, body string
		code        int
	}{
		{"alice", `{"name":"x","container_format":"dockerx"}`, 400},
		{"alice", `{"name":"x","disk_format":"floppy"}`, 400},
		{"alice", `{"name":"x","visibility":"everyone"}`, 400},
		{"alice", `{"name":"x","min_ram":-1}`, 400},
		{"alice", `{"name":"x","min_ram":"lots"}`, 400},
		{"alice", `{"name":"x","id":"not-a-uuid"}`, 400},
		{"alice", `{"name":"x","color":3}`, 400},
		{"alice", `{"name":"x","status":"active"}`, 403},
		{"alice", `{"name":"x","size":5}`, 403},
		{"alice", `{"name":"x","owner":"pb"}`, 403},
		{"alice", `{"name":"x","visibility":"public"}`, 403},
		{"reader", `{"name":"x"}`, 403},
		{"", `{"name":"x"}`, 401},
		{"alice", `[1]`, 400},
	} {
		if code, out := e.call(tc.token, "POST", "/v2/images", tc.body); code != tc.code {
			t.Errorf("create %s as %q: %d %v, want %d", tc.body, tc.token, code, out, tc.code)
		}
	}
	if names := e.names("admin", "?visibility=all"); len(names) != 0 {
		t.Fatalf("refused creates left %v", names)
	}
	// A chosen id is kept, and taken only once.
	body := `{"name":"mine","id":"0b7c8f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}`
	if im := e.mustCreate("alice", body); im["id"] != "0b7c8f9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b" {
		t.Fatalf("chosen id: %v", im)
	}
	if code, _ := e.call("bob", "POST", "/v2/images", body); code != 409 {
		t.Fatalf("same id again: %d", code)
	}
}

// TestVisibility: projects see their own images and the public ones;
// only owners change them; community images show when asked for.
func TestVisibility(t *testing.T) {
	e := newEnv(t, 0)
	priv := e.mustCreate("alice", `{"name":"a-private","visibility":"private"}`)["id"].(string)
	e.mustCreate("alice", `{"name":"a-shared"}`)
	e.mustCreate("alice", `{"name":"a-community","visibility":"community"}`)
	pub := e.mustCreate("admin", `{"name":"z-public","visibility":"public"}`)["id"].(string)

	if got := strings.Join(e.names("bob", "?sort_key=name&sort_dir=asc"), ","); got != "z-public" {
		t.Fatalf("bob sees %s", got)
	}
	if got := strings.Join(e.names("bob", "?visibility=community"), ","); got != "a-community" {
		t.Fatalf("bob's community list: %s", got)
	}
	if got := strings.Join(e.names("alice", "?sort=name:asc"), ","); got != "a-community,a-private,a-shared,z-public" {
		t.Fatalf("alice sees %s", got)
	}
	if got := len(e.names("admin", "")); got != 3 {
		t.Fatalf("admin sees %d images by default, want 3 (community ones only when asked)", got)
	}
	if code, _ := e.call("bob", "GET", "/v2/images/"+priv, ""); code != 404 {
		t.Fatalf("bob shows alice's private image: %d", code)
	}
	if code, _ := e.call("bob", "GET", "/v2/images/"+pub, ""); code != 200 {
		t.Fatalf("bob shows the public image: %d", code)
	}
	if code, _ := e.call("bob", "DELETE", "/v2/images/"+pub, ""); code != 403 {
		t.Fatalf("bob deletes the public image: %d", code)
	}
	if code, _ := e.call("bob", "DELETE", "/v2/images/"+priv, ""); code != 404 {
		t.Fatalf("bob deletes alice's image: %d", code)
	}
	if code, _ := e.call("admin", "DELETE", "/v2/images/"+priv, ""); code != 204 {
		t.Fatalf("admin deletes alice's image: %d", code)
	}
}

// TestListPages: limit, marker and the next link walk every image once;
// filters and sorting as Glance takes them.
func TestListPages(t *testing.T) {
	e := newEnv(t, 0)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		e.mustCreate("alice", `{"name":"`+n+`","container_format":"docker","disk_format":"raw","tags":["t-`+n+`"]}`)
	}
	var seen []string
	next := "/v2/images?limit=2&sort_key=name&sort_dir=asc"
	for next != "" {
		code, out := e.call("alice", "GET", next, "")
		if code != 200 {
			t.Fatalf("page %s: %d %v", next, code, out)
		}
		for _, im := range out["images"].([]any) {
			seen = append(seen, im.(map[string]any)["name"].(string))
		}
		next, _ = out["next"].(string)
	}
	if got := strings.Join(seen, ","); got != "a,b,c,d,e" {
		t.Fatalf("pages gave %s", got)
	}
	if got := strings.Join(e.names("alice", "?tag=t-c"), ","); got != "c" {
		t.Fatalf("by tag: %s", got)
	}
	if got := strings.Join(e.names("alice", "?name=in:a,e&sort_key=name&sort_dir=desc"), ","); got != "e,a" {
		t.Fatalf("by names: %s", got)
	}
	for _, q := range []string{"?sort_key=color", "?sort_dir=up", "?limit=-1", "?marker=nope", "?visibility=x", "?protected=maybe"} {
		if code, _ := e.call("alice", "GET", "/v2/images"+q, ""); code != 400 {
			t.Errorf("list %s: %d, want 400", q, code)
		}
	}
}

// TestPatch: Glance's JSON patch changes names, properties and
// protection; a protected image cannot be deleted.
func TestPatch(t *testing.T) {
	e := newEnv(t, 0)
	id := e.mustCreate("alice", `{"name":"old","container_format":"docker","disk_format":"raw"}`)["id"].(string)
	patch := func(token, ops string) (int, map[string]any) {
		code, _, b := e.do(token, "PATCH", "/v2/images/"+id, "application/openstack-images-v2.1-json-patch", strings.NewReader(ops))
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return code, out
	}
	code, im := patch("alice", `[{"op":"replace","path":"/name","value":"new"},{"op":"add","path":"/color","value":"red"},{"op":"replace","path":"/protected","value":true}]`)
	if code != 200 || im["name"] != "new" || im["color"] != "red" || im["protected"] != true {
		t.Fatalf("patch: %d %v", code, im)
	}
	if code, _ := patch("alice", `[{"op":"remove","path":"/color"}]`); code != 200 {
		t.Fatalf("remove a property: %d", code)
	}
	for _, tc := range []struct {
		token, ops string
		code       int
	}{
		{"alice", `[{"op":"remove","path":"/color"}]`, 409},
		{"alice", `[{"op":"replace","path":"/status","value":"active"}]`, 403},
		{"alice", `[{"op":"replace","path":"/visibility","value":"public"}]`, 403},
		{"alice", `[{"op":"move","path":"/name","value":"x"}]`, 400},
		{"alice", `[{"op":"replace","path":"/container_format","value":"vhd-ish"}]`, 400},
		{"bob", `[{"op":"replace","path":"/name","value":"mine"}]`, 404},
	} {
		if code, out := patch(tc.token, tc.ops); code != tc.code {
			t.Errorf("patch %s as %s: %d %v, want %d", tc.ops, tc.token, code, out, tc.code)
		}
	}
	if code, _, _ := e.do("alice", "PATCH", "/v2/images/"+id, "application/json", strings.NewReader(`[]`)); code != 415 {
		t.Fatalf("patch as plain JSON: %d", code)
	}
	if code, _ := e.call("alice", "PUT", "/v2/images/"+id+"/tags/v2", ""); code != 204 {
		t.Fatalf("add tag: %d", code)
	}
	if code, _ := e.call("alice", "DELETE", "/v2/images/"+id+"/tags/nope", ""); code != 404 {
		t.Fatalf("remove a missing tag: %d", code)
	}
	if code, _ := e.call("alice", "DELETE", "/v2/images/"+id, ""); code != 403 {
		t.Fatalf("delete a protected image: %d", code)
	}
	_, im = e.call("alice", "GET", "/v2/images/"+id, "")
	if im["name"] != "new" || im["color"] != nil || len(im["tags"].([]any)) != 1 {
		t.Fatalf("after refused patches: %v", im)
	}
	if code, _ := e.call("alice", "GET", "/v2/nowhere", ""); code != 404 {
		t.Fatalf("unknown path: %d", code)
	}
	if code, _ := e.call("alice", "POST", "/v2/images/"+id, ""); code != 405 {
		t.Fatalf("wrong method: %d", code)
	}
}

// TestFindDocker: the glance image driver's lookup by id or name and tag.
func TestFindDocker(t *testing.T) {
	e := newEnv(t, 0)
	a := e.mustCreate("alice", `{"name":"app","container_format":"docker","disk_format":"raw","tags":["v1"]}`)["id"].(string)
	e.mustCreate("alice", `{"name":"app","container_format":"docker","disk_format":"raw","tags":["v2"]}`)
	vm := e.mustCreate("alice", `{"name":"vm","container_format":"bare","disk_format":"qcow2"}`)["id"].(string)
	ctx := auth.WithPrincipal(context.Background(), principals["alice"])
	if im, err := e.svc.FindDocker(ctx, "app", "v1"); err != nil || im.ID != a {
		t.Fatalf("app:v1: %v %v", im, err)
	}
	if _, err := e.svc.FindDocker(ctx, "app", ""); !errdefs.IsConflict(err) {
		t.Fatalf("app, two of them: %v", err)
	}
	if _, err := e.svc.FindDocker(ctx, "app", "v3"); !errdefs.IsNotFound(err) {
		t.Fatalf("app:v3: %v", err)
	}
	if _, err := e.svc.FindDocker(ctx, vm, ""); !errdefs.IsInvalid(err) {
		t.Fatalf("a VM image: %v", err)
	}
	bob := auth.WithPrincipal(context.Background(), principals["bob"])
	if _, err := e.svc.FindDocker(bob, a, ""); !errdefs.IsNotFound(err) {
		t.Fatalf("another project's image by id: %v", err)
	}
}

// TestReaders: Glance's defaults: a project reader lists and shows the
// project's images; changing, uploading, downloading and deleting need
// the member role (modify_image, upload_image, download_image,
// delete_image), as the network and volume services refuse readers.
func TestReaders(t *testing.T) {
	e := newEnv(t, 0)
	id := e.mustCreate("alice", `{"name":"r","container_format":"docker","disk_format":"raw"}`)["id"].(string)
	full := e.mustCreate("alice", `{"name":"f","container_format":"docker","disk_format":"raw"}`)["id"].(string)
	if code := e.upload("alice", full, "data"); code != 204 {
		t.Fatalf("alice uploads: %d", code)
	}
	for _, tc := range []struct {
		name, method, path, contentType, body string
		want                                  int
	}{
		{"list", "GET", "/v2/images", "", "", 200},
		{"show", "GET", "/v2/images/" + id, "", "", 200},
		{"create", "POST", "/v2/images", "application/json", `{"name":"x"}`, 403},
		{"update", "PATCH", "/v2/images/" + id, "application/openstack-images-v2.1-json-patch", `[{"op":"replace","path":"/name","value":"stolen"}]`, 403},
		{"add a tag", "PUT", "/v2/images/" + id + "/tags/t", "", "", 403},
		{"remove a tag", "DELETE", "/v2/images/" + id + "/tags/t", "", "", 403},
		{"upload", "PUT", "/v2/images/" + id + "/file", "application/octet-stream", "data", 403},
		{"download", "GET", "/v2/images/" + full + "/file", "", "", 403},
		{"delete", "DELETE", "/v2/images/" + id, "", "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := e.do("reader", tc.method, tc.path, tc.contentType, strings.NewReader(tc.body))
			if code != tc.want {
				t.Fatalf("reader %s %s: %d %s, want %d", tc.method, tc.path, code, b, tc.want)
			}
			if code == 403 && !strings.Contains(string(b), "You are not authorized to complete") {
				t.Fatalf("403 without Glance's message: %s", b)
			}
		})
	}
	code, out := e.call("alice", "GET", "/v2/images/"+id, "")
	if code != 200 || out["name"] != "r" || out["status"] != glance.Queued || len(out["tags"].([]any)) != 0 {
		t.Fatalf("the reader changed the image: %d %v", code, out)
	}
	// A member does what the reader could not.
	if code, _, b := e.do("alice", "PUT", "/v2/images/"+id+"/tags/t", "", nil); code != 204 {
		t.Fatalf("alice adds a tag: %d %s", code, b)
	}
	if code, _, _ := e.do("alice", "GET", "/v2/images/"+full+"/file", "", nil); code != 200 {
		t.Fatalf("alice downloads: %d", code)
	}
	if code, _ := e.call("alice", "DELETE", "/v2/images/"+id, ""); code != 204 {
		t.Fatalf("alice deletes: %d", code)
	}
}
