package apiserver_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
	"github.com/zun-go/zun/volume"
)

// capsuleTemplate is a capsule of an init container and two containers,
// named name, as the create body wants it.
func capsuleTemplate(name string) string {
	return `{"template": {"kind": "capsule", "capsuleVersion": "beta",
		"metadata": {"name": "` + name + `", "labels": {"app": "web"}, "annotations": {"owner": "team-a"}},
		"spec": {"restartPolicy": "Always",
			"initContainers": [{"name": "seed", "image": "` + testImage + `", "command": ["true"]}],
			"containers": [
				{"name": "web", "image": "` + testImage + `", "command": ["sleep", "1000"], "ports": [{"containerPort": 80}],
				 "resources": {"requests": {"cpu": 0.25, "memory": 64}}},
				{"name": "db", "image": "` + testImage + `", "command": ["sleep", "1000"], "ports": [{"containerPort": 53, "protocol": "UDP"}],
				 "resources": {"requests": {"cpu": 0.25, "memory": 64}}, "tty": true}]}}}`
}

// capsuleStack is the API on the embedded store with one agent on the
// fake runtime, and the callers alice and bob (members of p-a and p-b)
// and root (admin).
type capsuleStack struct {
	url     string
	db      *store.DB
	cs      *store.ContainerStore
	volumes volume.Store
}

func newCapsuleStack(t *testing.T) *capsuleStack {
	t.Helper()
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	s := &capsuleStack{}
	drv := fake.New(fake.Options{Images: []string{testImage}})
	ts, db := newStackOn(t, cfg, tokens{"a": alice, "b": bob, "root": root}, drv, func(d *apiserver.Deps) { s.volumes = d.Volumes })
	s.url, s.db, s.cs = ts.URL, db, store.Containers(db, store.ContainerOptions{NameScope: "project"})
	return s
}

// newCapsuleStackUnscoped is newCapsuleStack where names need not be
// unique (Zun's default), without an agent: records stay as created.
func newCapsuleStackUnscoped(t *testing.T) *capsuleStack {
	t.Helper()
	db := dbtest.Open(t)
	p := startPlane(t, controlplane.Config{Store: db, Scheduler: scheduler.Default()})
	deps := p.Deps()
	deps.Auth = tokens{"a": alice, "b": bob, "root": root}
	cfg := apiserver.DefaultConfig()
	cfg.PlacementWait = time.Millisecond
	ts := httptest.NewServer(apiserver.New(cfg, deps))
	t.Cleanup(ts.Close)
	return &capsuleStack{url: ts.URL, db: db, cs: store.Containers(db, store.ContainerOptions{})}
}

// do calls the API at microversion version and decodes its JSON answer:
// an object, or another value under the key "".
func (s *capsuleStack) do(t *testing.T, token, method, path, body, version string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	req.Header.Set("OpenStack-API-Version", "container "+version)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Auth-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var x any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	v, ok := x.(map[string]any)
	if !ok && x != nil {
		v = map[string]any{"": x} // a JSON string (logs)
	}
	return res.StatusCode, v, res.Header
}

// create makes a capsule as token and returns its view.
func (s *capsuleStack) create(t *testing.T, token, name string) map[string]any {
	t.Helper()
	status, v, _ := s.do(t, token, "POST", "/v1/capsules", capsuleTemplate(name), "1.40")
	if status != 202 {
		t.Fatalf("create %s: %d %v", name, status, v)
	}
	return v
}

// records returns every container record in etcd, capsules and members
// included (read from etcd, not from an index that may lag).
func (s *capsuleStack) records(t *testing.T) []*container.Container {
	t.Helper()
	items, _, err := store.List[container.Container](t.Context(), s.db, "containers/")
	if err != nil {
		t.Fatal(err)
	}
	list := make([]*container.Container, 0, len(items))
	for i := range items {
		list = append(list, &items[i].Value)
	}
	return list
}

func (s *capsuleStack) record(t *testing.T, uuid string) *container.Container {
	t.Helper()
	c, err := s.cs.Get(auth.System(t.Context()), uuid)
	if err != nil {
		t.Fatalf("record %s: %v", uuid, err)
	}
	return c
}

func views(t *testing.T, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

// TestCapsuleCreate checks POST /v1/capsules: the answer, the capsule's
// record and its members' as stored, their ops and actions.
func TestCapsuleCreate(t *testing.T) {
	s := newCapsuleStack(t)
	status, v, header := s.do(t, "a", "POST", "/v1/capsules", capsuleTemplate("shop"), "1.40")
	if status != 202 {
		t.Fatalf("create: %d %v", status, v)
	}
	id, _ := v["uuid"].(string)
	if loc := header.Get("Location"); !strings.HasSuffix(loc, "/v1/capsules/"+id) || id == "" {
		t.Fatalf("Location %q, uuid %q", loc, id)
	}
	if v["name"] != "shop" || v["project_id"] != "p-a" || v["user_id"] != "u-alice" || v["cpu"] != 1.0 || v["memory"] != "512" {
		t.Fatalf("view = %v, want shop of p-a, cpu 1 (the init container's default), 512 MiB", v)
	}
	if _, ok := v["host"]; ok {
		t.Fatalf("a member sees the host: %v", v["host"])
	}
	if inits, list := views(t, v["init_containers"]), views(t, v["containers"]); len(inits) != 1 || len(list) != 2 ||
		list[0]["name"] != "capsule-shop-web" || list[1]["name"] != "capsule-shop-db" || inits[0]["name"] != "capsule-shop-seed" {
		t.Fatalf("members %v %v, want seed, then web and db", inits, list)
	}

	rec := s.record(t, id)
	if !rec.IsCapsule() || rec.Capsule == nil || len(rec.Capsule.InitContainers) != 1 || len(rec.Capsule.Containers) != 2 {
		t.Fatalf("capsule record = %+v", rec)
	}
	if got := strings.Join(rec.ExposedPorts, ","); got != "53/udp,80/tcp" {
		t.Fatalf("capsule's exposed ports %q, want its members' 53/udp,80/tcp", got)
	}
	if rec.OpSeq < 1 {
		t.Fatalf("capsule record has had no op (op seq %d)", rec.OpSeq)
	}
	for _, m := range append(rec.Capsule.InitContainers, rec.Capsule.Containers...) {
		ct := s.record(t, m.UUID)
		if ct.CapsuleID != id || ct.OpSeq < 1 || ct.ProjectID != "p-a" || ct.Host != rec.Host {
			t.Fatalf("member %s = %+v, want of capsule %s, on its host %q, with an op", m.Name, ct, id, rec.Host)
		}
		acts, err := s.cs.ListActions(auth.System(t.Context()), m.UUID)
		if err != nil || len(acts) != 1 || acts[0].Action != container.ActCreate {
			t.Fatalf("member %s actions %v %v, want one create", m.Name, acts, err)
		}
	}
	acts, err := s.cs.ListActions(auth.System(t.Context()), id)
	if err != nil || len(acts) < 1 || acts[len(acts)-1].Action != container.ActCreate {
		t.Fatalf("capsule actions %v %v, want its create", acts, err)
	}
	// The op is a create that runs, on every record: read it before an
	// agent carries it out from the create's own write.
	if rec.Op != nil && (rec.Op.Action != container.ActCreate || !rec.Op.Run) {
		t.Fatalf("capsule op = %+v, want create with run", rec.Op)
	}

	// The name is the capsule's in the project: a second one is 409.
	if status, v, _ := s.do(t, "a", "POST", "/v1/capsules", capsuleTemplate("shop"), "1.40"); status != 409 {
		t.Fatalf("second shop: %d %v, want 409", status, v)
	}
	// The template as a JSON string, at the oldest version: the legacy
	// view.
	tpl := capsuleTemplate("text")
	raw, _ := json.Marshal(strings.TrimSuffix(strings.TrimPrefix(tpl, `{"template": `), "}"))
	status, v, _ = s.do(t, "a", "POST", "/v1/capsules", `{"template": `+string(raw)+`}`, "1.1")
	if status != 202 || v["meta_name"] != "text" || v["restart_policy"] != "always" || v["capsule_version"] != "beta" {
		t.Fatalf("create from a string at 1.1: %d %v", status, v)
	}
}

// TestCapsuleCreateRefused checks that a refused create stores, claims
// and counts nothing: a bad template (400 naming the path), a bad body,
// and a capsule over the project's quota (403 as a container's).
func TestCapsuleCreateRefused(t *testing.T) {
	s := newCapsuleStack(t)
	if status, v, _ := s.do(t, "root", "PUT", "/v1/quotas/p-a", `{"containers": 2}`, "1.40"); status != 200 {
		t.Fatalf("quota: %d %v", status, v)
	}
	tests := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"bad image", strings.Replace(capsuleTemplate("bad"), `"name": "db", "image": "`+testImage+`"`, `"name": "db", "image": "Bad Image"`, 1),
			400, "spec.containers[1].image"},
		{"unknown key", strings.Replace(capsuleTemplate("bad"), `"tty": true`, `"tty": true, "labels": {}`, 1), 400, "spec.containers[1].labels"},
		{"no template", `{}`, 400, "'template' is a required property"},
		{"another key", `{"template": {}, "nets": []}`, 400, "'nets' was unexpected"},
		{"template not an object", `{"template": 3}`, 400, "template"},
		{"over quota: three containers of two", capsuleTemplate("big"), 403, "Quota exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, v, _ := s.do(t, "a", "POST", "/v1/capsules", tt.body, "1.40")
			raw, _ := json.Marshal(v)
			if status != tt.status || !strings.Contains(string(raw), tt.detail) {
				t.Fatalf("%d %s, want %d naming %q", status, raw, tt.status, tt.detail)
			}
		})
	}
	if recs := s.records(t); len(recs) != 0 {
		t.Fatalf("refused creates stored %d records: %+v", len(recs), recs[0])
	}
	_, q, _ := s.do(t, "a", "GET", "/v1/quotas/p-a?usages=true", "", "1.40")
	for _, r := range []string{"containers", "cpu", "memory"} {
		if u, _ := q[r].(map[string]any); u["in_use"] != 0.0 {
			t.Fatalf("refused creates count %s: %v", r, q[r])
		}
	}
	// Within the quota, the capsule counts its summed size and one
	// container per member.
	if status, v, _ := s.do(t, "root", "PUT", "/v1/quotas/p-a", `{"containers": 3}`, "1.40"); status != 200 {
		t.Fatalf("quota: %d %v", status, v)
	}
	s.create(t, "a", "fits")
	_, q, _ = s.do(t, "a", "GET", "/v1/quotas/p-a?usages=true", "", "1.40")
	if c, _ := q["containers"].(map[string]any); c["in_use"] != 3.0 {
		t.Fatalf("containers in use %v, want 3", q["containers"])
	}
	if m, _ := q["memory"].(map[string]any); m["in_use"] != 512.0 {
		t.Fatalf("memory in use %v, want 512", q["memory"])
	}
}

// TestCapsuleRead checks list (pages, sort, all_projects), show (uuid or
// name, the legacy view at the oldest versions) and that another
// project's capsule is not found.
func TestCapsuleRead(t *testing.T) {
	s := newCapsuleStack(t)
	shop, cart := s.create(t, "a", "shop")["uuid"].(string), s.create(t, "a", "cart")["uuid"].(string)
	bobs := s.create(t, "b", "shop")["uuid"].(string)

	ids := func(v map[string]any) []string {
		var out []string
		for _, c := range views(t, v["capsules"]) {
			out = append(out, c["uuid"].(string))
		}
		return out
	}
	lists := []struct {
		name, token, query string
		want               []string
		host               bool
	}{
		{"own", "a", "", []string{shop, cart}, false},
		{"sorted by name", "a", "?sort_key=name&sort_dir=desc", []string{shop, cart}, false},
		{"sorted by name, ascending", "a", "?sort_key=name", []string{cart, shop}, false},
		{"first page", "a", "?limit=1", []string{shop}, false},
		{"next page", "a", "?limit=1&marker=" + shop, []string{cart}, false},
		{"all_projects ignored for a member", "a", "?all_projects=1", []string{shop, cart}, false},
		{"bob's", "b", "", []string{bobs}, false},
		{"admin, all projects", "root", "?all_projects=true", []string{shop, cart, bobs}, true},
		{"admin, own project", "root", "", nil, true},
	}
	for _, tt := range lists {
		t.Run("list "+tt.name, func(t *testing.T) {
			status, v, _ := s.do(t, tt.token, "GET", "/v1/capsules"+tt.query, "", "1.40")
			if got := ids(v); status != 200 || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("%d %v, want %v", status, got, tt.want)
			}
			for _, c := range views(t, v["capsules"]) {
				if _, ok := c["host"]; ok != tt.host {
					t.Fatalf("host shown %v, want %v", ok, tt.host)
				}
				if len(views(t, c["containers"])) != 2 || len(views(t, c["init_containers"])) != 1 {
					t.Fatalf("capsule %s lists members %v %v", c["uuid"], c["containers"], c["init_containers"])
				}
			}
		})
	}
	if status, v, _ := s.do(t, "a", "GET", "/v1/capsules?limit=1", "", "1.40"); status != 200 || !strings.Contains(v["next"].(string), "marker="+shop) {
		t.Fatalf("next = %v, want a link with marker %s", v["next"], shop)
	}
	if status, v, _ := s.do(t, "a", "GET", "/v1/capsules?sort_dir=up", "", "1.40"); status != 400 {
		t.Fatalf("bad sort_dir: %d %v", status, v)
	}

	shows := []struct {
		name, token, path, version string
		status                     int
		key                        string
		want                       any
	}{
		{"by uuid", "a", "/v1/capsules/" + shop, "1.40", 200, "uuid", shop},
		{"by name", "a", "/v1/capsules/cart", "1.40", 200, "uuid", cart},
		{"new view at 1.32", "a", "/v1/capsules/" + shop, "1.32", 200, "name", "shop"},
		{"legacy view at 1.31", "a", "/v1/capsules/" + shop, "1.31", 200, "meta_name", "shop"},
		{"legacy view at 1.1", "a", "/v1/capsules/" + shop, "1.1", 200, "meta_labels", map[string]any{"app": "web"}},
		{"annotations", "a", "/v1/capsules/" + shop, "1.40", 200, "annotations", map[string]any{"owner": "team-a"}},
		{"bob's own shop by name", "b", "/v1/capsules/shop", "1.40", 200, "uuid", bobs},
		{"another project's by uuid", "b", "/v1/capsules/" + shop, "1.40", 404, "", nil},
		{"another project's by name", "b", "/v1/capsules/cart", "1.40", 404, "", nil},
		{"unknown", "a", "/v1/capsules/nothing", "1.40", 404, "", nil},
		{"a member is not a capsule", "a", "/v1/capsules/capsule-shop-web", "1.40", 404, "", nil},
		{"admin without all_projects", "root", "/v1/capsules/" + shop, "1.40", 404, "", nil},
		{"admin with all_projects", "root", "/v1/capsules/" + shop + "?all_projects=1", "1.40", 200, "project_id", "p-a"},
		{"all_projects is the admin's", "a", "/v1/capsules/" + shop + "?all_projects=1", "1.40", 403, "", nil},
	}
	for _, tt := range shows {
		t.Run("show "+tt.name, func(t *testing.T) {
			status, v, _ := s.do(t, tt.token, "GET", tt.path, "", tt.version)
			if status != tt.status {
				t.Fatalf("%d %v, want %d", status, v, tt.status)
			}
			if tt.key != "" && !jsonEqual(v[tt.key], tt.want) {
				t.Fatalf("%s = %#v, want %#v", tt.key, v[tt.key], tt.want)
			}
			if status == 404 && !strings.Contains(detail(v), "Capsule") {
				t.Fatalf("404 says %q, want Zun's capsule not found", detail(v))
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// detail is the detail of Zun's error body.
func detail(v map[string]any) string {
	errs, _ := v["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	d, _ := errs[0].(map[string]any)["detail"].(string)
	return d
}

// TestCapsuleHiddenFromContainers checks that the container routes never
// show a capsule's record or members: not listed, and 404 by uuid or name
// on every container route, as for an unknown container.
func TestCapsuleHiddenFromContainers(t *testing.T) {
	s := newCapsuleStack(t)
	v := s.create(t, "a", "shop")
	id := v["uuid"].(string)
	rec := s.record(t, id)
	web, _ := rec.Capsule.Member("web")
	seed, _ := rec.Capsule.Member("seed")
	if status, v, _ := s.do(t, "a", "POST", "/v1/containers", `{"image": "`+testImage+`", "name": "plain", "command": ["sleep", "1000"]}`, "1.40"); status != 202 {
		t.Fatalf("plain container: %d %v", status, v)
	}
	for _, who := range []string{"a", "root"} {
		_, list, _ := s.do(t, who, "GET", "/v1/containers?all_projects="+map[string]string{"a": "0", "root": "1"}[who], "", "1.40")
		got := views(t, list["containers"])
		if len(got) != 1 || got[0]["name"] != "plain" {
			t.Fatalf("%s lists %v, want the plain container alone", who, got)
		}
	}
	for _, ident := range []string{id, "shop", web.UUID, seed.UUID, "capsule-shop-web"} {
		for _, r := range []struct{ method, path string }{
			{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/start"}, {"POST", "/stop"}, {"POST", "/kill?signal=SIGKILL"},
			{"GET", "/logs"}, {"POST", "/execute?command=true&run=true"}, {"GET", "/stats"}, {"GET", "/top"},
			{"GET", "/container_actions"}, {"GET", "/network_list"},
		} {
			t.Run(r.method+" "+ident+r.path, func(t *testing.T) {
				body := ""
				if r.method == "PATCH" {
					body = `{"cpu": 0.5}`
				}
				status, v, _ := s.do(t, "a", r.method, "/v1/containers/"+ident+r.path, body, "1.40")
				if want := "Container " + ident + " could not be found."; status != 404 || detail(v) != want {
					t.Fatalf("%d %q, want 404 %q", status, detail(v), want)
				}
			})
		}
	}
	// Nothing the refused calls could have changed did change.
	if got := s.record(t, web.UUID); got.Status == container.Deleting || got.CPU != 0.25 {
		t.Fatalf("member changed through the container routes: %+v", got)
	}
}

// TestCapsuleDelete checks DELETE /v1/capsules/{id}: a placed capsule and
// its members get Deleting and a delete op (stop first) in one write; a
// capsule whose placement failed is removed at once with its members;
// another project's is not found.
func TestCapsuleDelete(t *testing.T) {
	s := newCapsuleStack(t)
	id := s.create(t, "a", "shop")["uuid"].(string)
	rec := s.record(t, id)
	uuids := append([]string{id}, rec.Capsule.MemberUUIDs()...)
	if rec.Host == "" {
		t.Fatalf("capsule not placed: %+v", rec)
	}
	if status, v, _ := s.do(t, "b", "DELETE", "/v1/capsules/"+id, "", "1.40"); status != 404 {
		t.Fatalf("bob's delete: %d %v", status, v)
	}
	if status, v, _ := s.do(t, "a", "DELETE", "/v1/capsules/shop", "", "1.40"); status != 204 {
		t.Fatalf("delete: %d %v", status, v)
	}
	// The host carries the op out (the runtime's part, not checked
	// here); until it has, every record shows the request.
	for _, u := range uuids {
		got, err := s.cs.Get(auth.System(t.Context()), u)
		if err != nil {
			continue // the host has carried it out already
		}
		if got.Status != container.Deleting || got.TaskState != container.TaskDeleting ||
			(got.Op != nil && (got.Op.Action != container.ActDelete || !got.Op.Stop || got.Op.Force)) {
			t.Fatalf("record %s after the delete: status %s, task %s, op %+v", u, got.Status, got.TaskState, got.Op)
		}
		// Each record has the delete's action, where its host records
		// the delete's event.
		acts, err := s.cs.ListActions(auth.System(t.Context()), u)
		if err == nil && (len(acts) == 0 || acts[0].Action != container.ActDelete) {
			t.Fatalf("record %s actions %+v, want the delete newest", u, acts)
		}
	}

	// No host is in zone nowhere: the capsule ends in Error, unplaced,
	// and goes at once.
	big := strings.Replace(capsuleTemplate("big"), `"spec": {`, `"availabilityZone": "nowhere", "spec": {`, 1)
	status, v, _ := s.do(t, "a", "POST", "/v1/capsules", big, "1.40")
	if status != 202 || v["status"] != "Error" {
		t.Fatalf("capsule no host can take: %d %v, want 202 in Error", status, v)
	}
	bigID := v["uuid"].(string)
	big0 := s.record(t, bigID)
	if big0.Host != "" || !strings.Contains(v["status_reason"].(string), "host") {
		t.Fatalf("failed capsule: host %q, reason %v", big0.Host, v["status_reason"])
	}
	if status, v, _ := s.do(t, "a", "DELETE", "/v1/capsules/"+bigID, "", "1.40"); status != 204 {
		t.Fatalf("delete of the failed capsule: %d %v", status, v)
	}
	for _, u := range append([]string{bigID}, big0.Capsule.MemberUUIDs()...) {
		if _, err := s.cs.Get(auth.System(t.Context()), u); err == nil {
			t.Fatalf("record %s of the failed capsule is still there", u)
		}
	}
	if status, _, _ := s.do(t, "a", "GET", "/v1/capsules/"+bigID, "", "1.40"); status != 404 {
		t.Fatalf("the failed capsule is still shown: %d", status)
	}
}

// TestCapsuleContainerRoutes checks the extension: logs, execute, top and
// stats of a capsule's container by its template name reach that member
// (its uuid or name in the answer), under the capsule's owner's rules.
func TestCapsuleContainerRoutes(t *testing.T) {
	s := newCapsuleStack(t)
	id := s.create(t, "a", "shop")["uuid"].(string)
	rec := s.record(t, id)
	for _, name := range []string{"web", "db", "seed"} {
		m, _ := rec.Capsule.Member(name)
		for _, r := range []struct{ method, path string }{
			{"GET", "/logs?stdout=true"}, {"POST", "/execute?command=true&run=true"}, {"GET", "/top"}, {"GET", "/stats"},
		} {
			t.Run(name+r.path, func(t *testing.T) {
				status, v, _ := s.do(t, "a", r.method, "/v1/capsules/shop/containers/"+name+r.path, "", "1.40")
				switch {
				case status == 409 && strings.Contains(detail(v), m.UUID):
					// The member has no runtime container, or is in a
					// state that refuses the call: it was the one asked.
				case status == 200 && r.path == "/stats" && v["CONTAINER"] == "capsule-shop-"+name:
				case status == 200 && r.path != "/stats":
				default:
					t.Fatalf("%d %v, want the answer of member %s (%s)", status, v, name, m.UUID)
				}
			})
		}
	}
	for _, tt := range []struct {
		name, token, path string
		status            int
	}{
		{"unknown container", "a", "/v1/capsules/shop/containers/nginx/top", 404},
		{"the member's record name", "a", "/v1/capsules/shop/containers/capsule-shop-web/top", 404},
		{"another project's capsule", "b", "/v1/capsules/" + id + "/containers/web/top", 404},
		{"unknown capsule", "a", "/v1/capsules/nothing/containers/web/top", 404},
		{"a parameter the container route refuses", "a", "/v1/capsules/shop/containers/web/top?colour=red", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, v, _ := s.do(t, tt.token, "GET", tt.path, "", "1.40"); status != tt.status {
				t.Fatalf("%d %v, want %d", status, v, tt.status)
			}
		})
	}
}

// TestCapsuleVolumes checks a capsule's volumes: a new one made and an
// existing one attached with the capsule's record, in the create's
// transaction; an unknown or a taken volume refuses the create with
// nothing stored.
func TestCapsuleVolumes(t *testing.T) {
	s := newCapsuleStack(t)
	actx := auth.WithPrincipal(t.Context(), alice)
	data := &volume.Volume{Name: "data", Size: 2, Status: volume.Available, ProjectID: "p-a", UserID: "u-alice"}
	if err := s.volumes.Create(actx, data); err != nil {
		t.Fatal(err)
	}
	tpl := func(name, existing string) string {
		return `{"template": {"kind": "capsule", "metadata": {"name": "` + name + `"}, "spec": {
			"containers": [
				{"name": "web", "image": "` + testImage + `", "volumeMounts": [{"name": "site", "mountPath": "/site"}, {"name": "data", "mountPath": "/data"}]},
				{"name": "db", "image": "` + testImage + `", "volumeMounts": [{"name": "data", "mountPath": "/var/lib/db"}]}],
			"volumes": [{"name": "site", "cinder": {"size": 1, "autoRemove": true}}, {"name": "data", "cinder": {"volumeID": "` + existing + `"}}]}}}`
	}
	status, v, _ := s.do(t, "a", "POST", "/v1/capsules", tpl("vols", data.ID), "1.40")
	if status != 202 {
		t.Fatalf("create: %d %v", status, v)
	}
	rec := s.record(t, v["uuid"].(string))
	site := rec.Capsule.Volumes[0].VolumeID
	want := []container.Mount{
		{Type: container.MountVolume, VolumeID: site, Size: "1", AutoRemove: true},
		{Type: container.MountVolume, Source: data.ID, VolumeID: data.ID, Size: "2"},
	}
	if !jsonEqual(rec.Mounts, want) {
		t.Fatalf("capsule's mounts %+v, want %+v", rec.Mounts, want)
	}
	for id, autoRemove := range map[string]bool{site: true, data.ID: false} {
		got, err := s.volumes.Get(actx, id)
		if err != nil {
			t.Fatalf("volume %s: %v", id, err)
		}
		if got.Status != volume.InUse || len(got.Attachments) != 1 || got.Attachments[0].ContainerUUID != rec.UUID || got.AutoRemove != autoRemove {
			t.Fatalf("volume %s = %+v, want in use by capsule %s, auto-removed %v", id, got, rec.UUID, autoRemove)
		}
	}
	web, _ := rec.Capsule.Member("web")
	if m := s.record(t, web.UUID).Mounts; len(m) != 2 || m[0].VolumeID != site || m[1].VolumeID != data.ID {
		t.Fatalf("web's mounts %+v, want the capsule's volumes", m)
	}

	before := len(s.records(t))
	if before != 3 {
		t.Fatalf("%d records of the capsule, want 3", before)
	}
	for _, tt := range []struct {
		name, volume string
		status       int
	}{
		{"unknown volume", "0b0c6a4e-8a3c-4c44-9a4e-1d2f3a4b5c6d", 404},
		{"volume in use", data.ID, 409},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, v, _ := s.do(t, "a", "POST", "/v1/capsules", tpl("refused", tt.volume), "1.40"); status != tt.status {
				t.Fatalf("%d %v, want %d", status, v, tt.status)
			}
			if n := len(s.records(t)); n != before {
				t.Fatalf("%d records after the refusal, want %d", n, before)
			}
		})
	}
	vols, err := s.volumes.List(actx)
	if err != nil || len(vols) != 2 {
		t.Fatalf("volumes %v %v, want data and site alone", vols, err)
	}
}

// TestCapsuleLifecycle follows a capsule on the fake runtime: it runs,
// the extension reaches each running container (stats name it), and a
// delete removes every record and gives the project's quota back.
func TestCapsuleLifecycle(t *testing.T) {
	s := newCapsuleStack(t)
	// No init container: the fake runtime's run until stopped.
	tpl := strings.Replace(capsuleTemplate("shop"), `"initContainers": [{"name": "seed", "image": "`+testImage+`", "command": ["true"]}],`, "", 1)
	status, v, _ := s.do(t, "a", "POST", "/v1/capsules", tpl, "1.40")
	if status != 202 {
		t.Fatalf("create: %d %v", status, v)
	}
	id := v["uuid"].(string)
	var last map[string]any
	if !pollFor(10*time.Second, func() bool {
		_, last, _ = s.do(t, "a", "GET", "/v1/capsules/"+id, "", "1.40")
		return last["status"] == "Running"
	}) {
		t.Fatalf("capsule never ran: %v %v", last["status"], last["status_reason"])
	}
	for _, name := range []string{"web", "db"} {
		status, v, _ := s.do(t, "a", "GET", "/v1/capsules/shop/containers/"+name+"/stats", "", "1.40")
		if status != 200 || v["CONTAINER"] != "capsule-shop-"+name {
			t.Fatalf("stats of %s: %d %v", name, status, v)
		}
	}
	if n := len(s.records(t)); n != 3 {
		t.Fatalf("%d records of the running capsule, want 3", n)
	}
	if status, v, _ := s.do(t, "a", "DELETE", "/v1/capsules/"+id, "", "1.40"); status != 204 {
		t.Fatalf("delete: %d %v", status, v)
	}
	if !pollFor(10*time.Second, func() bool { return len(s.records(t)) == 0 }) {
		t.Fatalf("records left after the delete: %d", len(s.records(t)))
	}
	_, q, _ := s.do(t, "a", "GET", "/v1/quotas/p-a?usages=true", "", "1.40")
	for _, r := range []string{"containers", "cpu", "memory"} {
		if u, _ := q[r].(map[string]any); u["in_use"] != 0.0 {
			t.Fatalf("%s still in use after the delete: %v", r, q[r])
		}
	}
}

// TestCapsuleSharedNames checks lookups by name where names need not be
// unique: a container and a capsule of one name are each found by their
// own routes; two capsules of one name are a 409, as two containers are.
func TestCapsuleSharedNames(t *testing.T) {
	s := newCapsuleStackUnscoped(t)
	twin := s.create(t, "a", "twin")["uuid"].(string)
	status, v, _ := s.do(t, "a", "POST", "/v1/containers", `{"image": "`+testImage+`", "name": "twin"}`, "1.40")
	if status != 202 {
		t.Fatalf("container twin: %d %v", status, v)
	}
	plain := v["uuid"].(string)
	s.create(t, "a", "dup")
	s.create(t, "a", "dup")
	for _, tt := range []struct {
		name, path string
		status     int
		uuid       string
	}{
		{"the container of a capsule's name", "/v1/containers/twin", 200, plain},
		{"the capsule of a container's name", "/v1/capsules/twin", 200, twin},
		{"two capsules of one name", "/v1/capsules/dup", 409, ""},
		{"no container of that name", "/v1/containers/dup", 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, v, _ := s.do(t, "a", "GET", tt.path, "", "1.40")
			if status != tt.status || (tt.uuid != "" && v["uuid"] != tt.uuid) {
				t.Fatalf("%d %v, want %d %s", status, v, tt.status, tt.uuid)
			}
		})
	}
}

// TestCapsuleListPages checks that pages of capsules and of containers
// walk each once, in order, across the store's pages (a capsule's records
// share their place in the store's creation order).
func TestCapsuleListPages(t *testing.T) {
	s := newCapsuleStackUnscoped(t)
	if status, v, _ := s.do(t, "root", "PUT", "/v1/quotas/p-a", `{"containers": -1, "cpu": -1, "memory": -1}`, "1.40"); status != 200 {
		t.Fatalf("quota: %d %v", status, v)
	}
	var capsules, plain []string
	for i := range 30 {
		capsules = append(capsules, s.create(t, "a", fmt.Sprintf("c%02d", i))["uuid"].(string))
		if i%5 == 0 {
			status, v, _ := s.do(t, "a", "POST", "/v1/containers", fmt.Sprintf(`{"image": "%s", "name": "p%02d"}`, testImage, i), "1.40")
			if status != 202 {
				t.Fatalf("container: %d %v", status, v)
			}
			plain = append(plain, v["uuid"].(string))
		}
	}
	walk := func(t *testing.T, path, key string) []string {
		var got []string
		for next := path; next != ""; {
			status, v, _ := s.do(t, "a", "GET", next, "", "1.40")
			if status != 200 {
				t.Fatalf("%s: %d %v", next, status, v)
			}
			for _, x := range views(t, v[key]) {
				got = append(got, x["uuid"].(string))
			}
			next = ""
			if n, ok := v["next"].(string); ok {
				next = n[strings.Index(n, "/v1/"):]
			}
			if len(got) > 100 {
				t.Fatalf("%s: the pages never end", path)
			}
		}
		return got
	}
	reversed := slices.Clone(capsules)
	slices.Reverse(reversed)
	for _, tt := range []struct {
		name, path, key string
		want            []string
	}{
		{"capsules, one page", "/v1/capsules", "capsules", capsules},
		{"capsules, a page of 30", "/v1/capsules?limit=30", "capsules", capsules},
		{"capsules by 7", "/v1/capsules?limit=7", "capsules", capsules},
		{"capsules by 7, newest first", "/v1/capsules?limit=7&sort_dir=desc", "capsules", reversed},
		{"capsules by name, by 4", "/v1/capsules?limit=4&sort_key=name", "capsules", capsules},
		{"capsules by status, by 3", "/v1/capsules?limit=3&sort_key=status", "capsules", capsules},
		{"containers by 2", "/v1/containers?limit=2", "containers", plain},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := walk(t, tt.path, tt.key); !slices.Equal(got, tt.want) {
				t.Fatalf("walked %d: %v\nwant %d: %v", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}
