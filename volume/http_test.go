package volume_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/internal/authtest"
	"github.com/zun-go/zun/store/dbtest"
	"github.com/zun-go/zun/volume"
)

var principals = authtest.Principals

type env struct {
	t   *testing.T
	url string
	vs  *volume.EtcdStore
}

func newEnv(t *testing.T) *env {
	vs := volume.NewEtcdStore(dbtest.Open(t))
	h := http.StripPrefix("/volume", volume.NewHandler(vs, principals, volume.HandlerOptions{Prefix: "/volume"}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL + "/volume", vs: vs}
}

// call makes a request as token and decodes the answer into a map.
func (e *env) call(token, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *env) mustCreate(token, body string) map[string]any {
	e.t.Helper()
	code, out := e.call(token, "POST", "/v3/volumes", body)
	if code != 202 {
		e.t.Fatalf("create %s: %d %v", body, code, out)
	}
	return out["volume"].(map[string]any)
}

func TestVolumeAPI(t *testing.T) {
	e := newEnv(t)
	v := e.mustCreate("alice", `{"volume":{"size":2,"name":"data","description":"d","metadata":{"k":"v"},
		"snapshot_id":null,"source_volid":null,"imageRef":null,"volume_type":null,"availability_zone":null,"consistencygroup_id":null}}`)
	id := v["id"].(string)
	if v["status"] != "available" || v["size"] != float64(2) || v["name"] != "data" {
		t.Fatalf("created %v", v)
	}
	if _, ok := v["os-vol-tenant-attr:tenant_id"]; ok {
		t.Fatal("a member sees the admin-only tenant attribute")
	}
	// Both URL forms: with and without the project id.
	for _, path := range []string{"/v3/volumes/" + id, "/v3/pa/volumes/" + id} {
		if code, out := e.call("alice", "GET", path, ""); code != 200 || out["volume"].(map[string]any)["id"] != id {
			t.Fatalf("GET %s: %d %v", path, code, out)
		}
	}
	code, out := e.call("alice", "GET", "/v3/volumes/detail?name=data", "")
	if vols := out["volumes"].([]any); code != 200 || len(vols) != 1 {
		t.Fatalf("detail by name: %d %v", code, out)
	}
	if code, out := e.call("alice", "PUT", "/v3/volumes/"+id, `{"volume":{"name":"renamed"}}`); code != 200 ||
		out["volume"].(map[string]any)["name"] != "renamed" {
		t.Fatalf("rename: %d %v", code, out)
	}

	// Tenancy: another project's volume does not exist for bob; the
	// admin sees it with all_tenants.
	for _, m := range []string{"GET", "DELETE"} {
		if code, out := e.call("bob", m, "/v3/volumes/"+id, ""); code != 404 || out["itemNotFound"] == nil {
			t.Fatalf("bob %s alice's volume: %d %v", m, code, out)
		}
	}
	if _, out := e.call("bob", "GET", "/v3/volumes/detail", ""); len(out["volumes"].([]any)) != 0 {
		t.Fatalf("bob lists %v", out)
	}
	// all_tenants is ignored for a member, as in Cinder.
	if code, out := e.call("bob", "GET", "/v3/volumes/detail?all_tenants=1", ""); code != 200 || len(out["volumes"].([]any)) != 0 {
		t.Fatalf("a member listed all projects: %d %v", code, out)
	}
	if _, out := e.call("admin", "GET", "/v3/volumes/detail?all_tenants=1", ""); len(out["volumes"].([]any)) != 1 {
		t.Fatalf("admin all_tenants: %v", out)
	}
	// A reader reads but does not change.
	if code, _ := e.call("reader", "GET", "/v3/volumes/"+id, ""); code != 200 {
		t.Fatalf("reader show: %d", code)
	}
	if code, _ := e.call("reader", "POST", "/v3/volumes", `{"volume":{"size":1}}`); code != 403 {
		t.Fatalf("reader create: %d", code)
	}
	if code, _ := e.call("", "GET", "/v3/volumes", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}

	// In use: 409, and it stays.
	ctx := auth.WithPrincipal(context.Background(), principals["alice"])
	if _, err := e.vs.Update(ctx, id, func(v *volume.Volume) error {
		v.Status = volume.InUse
		v.Attachments = []volume.Attachment{{ID: "a1", ContainerUUID: "c1", Path: "/data", AttachedAt: time.Now()}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code, out := e.call("alice", "DELETE", "/v3/volumes/"+id, ""); code != 409 || out["conflictingRequest"] == nil {
		t.Fatalf("delete in use: %d %v", code, out)
	}
	_, out = e.call("alice", "GET", "/v3/volumes/detail", "")
	got := out["volumes"].([]any)[0].(map[string]any)
	atts := got["attachments"].([]any)
	if got["status"] != "in-use" || len(atts) != 1 || atts[0].(map[string]any)["server_id"] != "c1" {
		t.Fatalf("in use: %v", got)
	}
	if _, err := e.vs.Update(ctx, id, func(v *volume.Volume) error {
		v.Status, v.Attachments = volume.Available, nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.call("alice", "DELETE", "/v3/volumes/"+id, ""); code != 202 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := e.call("alice", "GET", "/v3/volumes/"+id, ""); code != 404 {
		t.Fatalf("deleted volume: %d", code)
	}
}

// TestVolumeBadInput: every refusal is a 400 in Cinder's fault format and
// records nothing (an oversized body is a 413: TestBodyLimit).
func TestVolumeBadInput(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"volume":{"size":0}}`,
		`{"volume":{"size":1025}}`,
		`{"volume":{"size":"1G"}}`,
		`{"volume":{"size":1.5}}`,
		`{"volume":{"name":"no size"}}`,
		`{"volume":{"size":1,"snapshot_id":"s1"}}`,
		`{"volume":{"size":1,"imageRef":"cirros"}}`,
		`{"volume":{"size":1,"availability_zone":"mars"}}`,
		`{"volume":{"size":1,"multiattach":true}}`,
		`{"volume":{"size":1,"name":"` + strings.Repeat("n", 256) + `"}}`,
		`{"size":1}`,
		`{"volume":`,
	} {
		code, out := e.call("alice", "POST", "/v3/volumes", body)
		if code != 400 || out["badRequest"] == nil {
			t.Errorf("%.60s: %d %v", body, code, out)
		}
	}
	if vols, _ := e.vs.List(auth.System(context.Background())); len(vols) != 0 {
		t.Fatalf("refused creates left %d volumes", len(vols))
	}
	if code, _ := e.call("alice", "GET", "/v3/volumes/nope", ""); code != 404 {
		t.Fatalf("unknown volume: %d", code)
	}
	if code, out := e.call("alice", "GET", "/", ""); code != 200 || out["versions"] == nil {
		t.Fatalf("versions: %d %v", code, out)
	}
}
