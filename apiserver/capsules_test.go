package apiserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/store"
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
	url string
	db  *store.DB
	cs  *store.ContainerStore
}

func newCapsuleStack(t *testing.T) *capsuleStack {
	t.Helper()
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	ts, _, db := newStackDB(t, cfg, tokens{"a": alice, "b": bob, "root": root})
	return &capsuleStack{url: ts.URL, db: db, cs: store.Containers(db, store.ContainerOptions{NameScope: "project"})}
}

// do calls the API at microversion 1.minor and decodes a JSON object.
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
	var v map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
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

// records returns every record of the store, capsules and members
// included.
func (s *capsuleStack) records(t *testing.T) []*container.Container {
	t.Helper()
	list, err := s.cs.List(auth.System(t.Context()), container.ListOptions{})
	if err != nil {
		t.Fatal(err)
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
