package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/container/v1/capsules"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
)

// clientCapsule is a capsule of one init container and one container
// of the demo image, named name; the container prints its name and runs.
func clientCapsule(name string) map[string]any {
	return map[string]any{
		"kind":           "capsule",
		"capsuleVersion": "beta",
		"metadata":       map[string]any{"name": name, "labels": map[string]any{"client": name}},
		"spec": map[string]any{
			"restartPolicy": "Always",
			"initContainers": []any{map[string]any{
				"name": "seed", "image": demoimage.Ref,
				"command": []any{"sh", "-c"}, "args": []any{"echo seeded-" + name},
			}},
			"containers": []any{map[string]any{
				"name": "web", "image": demoimage.Ref,
				"command": []any{"sh", "-c"}, "args": []any{"echo from-" + name + "; exec sleep 3600"},
				"resources": map[string]any{"requests": map[string]any{"cpu": 0.1, "memory": 64}},
			}},
		},
	}
}

// clientCapsuleYAML is the template of clientCapsule written by hand in YAML,
// as a user writes one for `zun capsule-create -f` or zunctl.
func clientCapsuleYAML(name string) string {
	return `kind: capsule
capsuleVersion: beta
metadata:
  name: ` + name + `
  labels:
    client: ` + name + `
spec:
  restartPolicy: Always
  initContainers:
  - name: seed
    image: ` + demoimage.Ref + `
    command: [sh, -c]
    args: ["echo seeded-` + name + `"]
  containers:
  - name: web
    image: ` + demoimage.Ref + `
    command: [sh, -c]
    args: ["echo from-` + name + `; exec sleep 3600"]
    resources:
      requests: {cpu: 0.1, memory: 64}
`
}

func writeTempFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// capsuleParts names a capsule's runtime objects: its uuid (its
// sandbox's) and its containers' uuids.
type capsuleParts struct {
	UUID       string
	Containers []string
}

// TestCapsuleClients drives capsules through the clients a user has:
// zunctl, the real python3-zunclient from Debian (`zun capsule-*`,
// unmodified, at the microversion it negotiates) and gophercloud v2's
// capsules package. Each creates a capsule from a template, sees it
// Running, listed and shown, and deletes it; nothing is left on the
// engine.
func TestCapsuleClients(t *testing.T) {
	engine := requireDocker(t, "")
	d := startZund(t, "")

	// gone checks that the engine holds nothing of a capsule: neither its
	// containers nor its sandbox.
	gone := func(t *testing.T, c capsuleParts) {
		t.Helper()
		owners := map[string]bool{c.UUID: true}
		for _, u := range c.Containers {
			owners[u] = true
		}
		left := func() []string {
			var out []string
			for _, rc := range d.runtimeContainers(t, engine) {
				if owners[driver.Owner(rc.Labels)] {
					out = append(out, strings.Join(rc.Names, ","))
				}
			}
			return out
		}
		if !poll(30*time.Second, func() bool { return len(left()) == 0 }) {
			t.Fatalf("the engine still holds %v of capsule %s", left(), c.UUID)
		}
	}

	t.Run("zunctl", func(t *testing.T) {
		file := writeTempFile(t, "ctl.yaml", clientCapsuleYAML("ctl"))
		out := d.mustZunctl("capsule", "create", "--wait", "-f", file)
		if !regexp.MustCompile(`(?m)^status\s+Running$`).MatchString(out) || !regexp.MustCompile(`(?m)^container\s+web: Running`).MatchString(out) {
			t.Fatalf("capsule create --wait printed:\n%s", out)
		}
		var shown struct {
			UUID, Status string
			Containers   []struct{ UUID, Status string }
		}
		if err := json.Unmarshal([]byte(d.mustZunctl("--json", "capsule", "show", "ctl")), &shown); err != nil {
			t.Fatal(err)
		}
		if shown.Status != "Running" || len(shown.Containers) != 1 || shown.Containers[0].Status != "Running" {
			t.Fatalf("capsule show: %+v", shown)
		}
		if list := d.mustZunctl("capsule", "list"); !regexp.MustCompile(`(?m)^` + shown.UUID + `\s+ctl\s+Running\s+seed, web\s`).MatchString(list) {
			t.Fatalf("capsule list:\n%s", list)
		}
		if !poll(10*time.Second, func() bool { return strings.Contains(d.mustZunctl("capsule", "logs", "ctl", "web"), "from-ctl") }) {
			t.Fatalf("capsule logs web lack the container's output")
		}
		if out := d.mustZunctl("capsule", "logs", "ctl", "seed"); !strings.Contains(out, "seeded-ctl") {
			t.Fatalf("capsule logs seed: %q", out)
		}
		if out := d.mustZunctl("capsule", "exec", "ctl", "web", "--", "sh", "-c", "echo in-$((6*7))"); !strings.Contains(out, "in-42") {
			t.Fatalf("capsule exec printed %q", out)
		}
		if _, err := d.zunctl("capsule", "exec", "ctl", "web", "--", "sh", "-c", "exit 3"); exitCode(err) != 3 {
			t.Fatalf("capsule exec of exit 3: %v, want exit status 3", err)
		}
		if out := d.mustZunctl("capsule", "top", "ctl", "web"); !strings.Contains(out, "sleep 3600") {
			t.Fatalf("capsule top:\n%s", out)
		}
		if out := d.mustZunctl("capsule", "stats", "ctl", "web"); !strings.Contains(out, "CPU %") {
			t.Fatalf("capsule stats:\n%s", out)
		}
		out = d.mustZunctl("capsule", "delete", "--wait", "ctl")
		if !strings.Contains(out, "Capsule ctl is deleted.") {
			t.Fatalf("capsule delete --wait printed:\n%s", out)
		}
		if out, err := d.zunctl("capsule", "show", "ctl"); err == nil || !strings.Contains(out, "could not be found") {
			t.Fatalf("capsule show after delete --wait: %v\n%s", err, out)
		}
		gone(t, capsuleParts{UUID: shown.UUID, Containers: []string{shown.Containers[0].UUID}})
	})

	t.Run("zunctl create --wait of a failing capsule", func(t *testing.T) {
		// Never: the init container is not tried again (under Always it
		// would be, ten times, before the capsule ends in Error).
		tpl := clientCapsule("failing")
		spec := tpl["spec"].(map[string]any)
		spec["restartPolicy"] = "Never"
		spec["initContainers"].([]any)[0].(map[string]any)["args"] = []any{"exit 7"}
		b, _ := json.Marshal(tpl)
		out, err := d.zunctl("capsule", "create", "--wait", "-f", writeTempFile(t, "failing.json", string(b)))
		if exitCode(err) != 1 || !strings.Contains(out, "error: capsule failing failed: init container seed") {
			t.Fatalf("capsule create --wait of a failing init container: %v\n%s", err, out)
		}
		d.mustZunctl("capsule", "delete", "--wait", "failing")
	})

	t.Run("zun", func(t *testing.T) {
		zunBin := lookClient(t, "zun")
		zun := cli{t, zunBin, d.osEnv("admin", adminPassword, "admin")}
		describe := func() (map[string]any, error) {
			out, err := zun.run("capsule-describe", "py", "-f", "json")
			if err != nil {
				return nil, errors.New(out)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("capsule-describe -f json: %v\n%s", err, out)
			}
			return v, nil
		}
		out := zun.must("--debug", "capsule-create", "-f", writeTempFile(t, "py.yaml", clientCapsuleYAML("py")))
		if !strings.Contains(out, "Request to create capsule has been accepted.") {
			t.Fatalf("capsule-create:\n%s", out)
		}
		// The client asks for the newest microversion both sides speak:
		// the new view.
		if post := regexp.MustCompile(`REQ: curl [^\n]*-X POST [^\n]*/v1/capsules[^\n]*`).FindString(out); !strings.Contains(post, `OpenStack-API-Version: container 1.40"`) {
			t.Fatalf("capsule-create did not send microversion 1.40:\n%s", out)
		}
		var v map[string]any
		if !poll(60*time.Second, func() bool {
			var err error
			v, err = describe()
			return err == nil && v["status"] == "Running"
		}) {
			t.Fatalf("capsule-describe: %v", v)
		}
		if v["name"] != "py" || len(v["containers"].([]any)) != 1 || len(v["init_containers"].([]any)) != 1 {
			t.Fatalf("capsule-describe: %v", v)
		}
		uuid := v["uuid"].(string)
		member := v["containers"].([]any)[0].(map[string]any)["uuid"].(string)
		if out := zun.must("capsule-list"); !regexp.MustCompile(`\|\s*` + uuid + `\s*\|\s*py\s*\|\s*Running\s*\|`).MatchString(out) {
			t.Fatalf("capsule-list:\n%s", out)
		}
		if out := zun.must("capsule-describe", "py"); !strings.Contains(out, uuid) {
			t.Fatalf("capsule-describe (table):\n%s", out)
		}
		// The legacy view, for the clients that ask for it.
		old := zun.must("--zun-api-version", "1.31", "capsule-describe", "py", "-f", "json")
		var legacy map[string]any
		if err := json.Unmarshal([]byte(old), &legacy); err != nil || legacy["meta_name"] != "py" || legacy["restart_policy"] != "always" {
			t.Fatalf("capsule-describe at 1.31: %v\n%s", err, old)
		}
		if out := zun.must("capsule-delete", "py"); !strings.Contains(out, "Request to delete capsule py has been accepted.") {
			t.Fatalf("capsule-delete:\n%s", out)
		}
		if !poll(60*time.Second, func() bool { _, err := describe(); return err != nil }) {
			t.Fatalf("capsule py is still there after capsule-delete")
		}
		if _, err := describe(); !strings.Contains(err.Error(), "could not be found") {
			t.Fatalf("capsule-describe after delete: %v", err)
		}
		gone(t, capsuleParts{UUID: uuid, Containers: []string{member}})
	})

	t.Run("gophercloud", func(t *testing.T) {
		ctx := context.Background()
		provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
			IdentityEndpoint: d.URL + "/identity/v3", Username: "admin", Password: adminPassword,
			DomainName: "Default", TenantName: "admin",
		})
		if err != nil {
			t.Fatalf("log in: %v", err)
		}
		sc, err := openstack.NewContainerV1(provider, gophercloud.EndpointOpts{})
		if err != nil {
			t.Fatalf("container service from the catalog: %v", err)
		}
		// gophercloud sends the template as a string, which holds JSON
		// (Zun reads a string template as JSON).
		tpl, _ := json.Marshal(clientCapsule("gc"))
		created, err := capsules.Create(ctx, sc, capsules.CreateOpts{TemplateOpts: &capsules.Template{Bin: tpl}}).Extract()
		var perr *time.ParseError
		if errors.As(err, &perr) {
			// gophercloud reads Zun's timestamps, Python's str of a UTC
			// datetime: "2006-01-02 15:04:05-07:00" (docs/capsules.md).
			t.Fatalf("create: gophercloud cannot read the view's timestamps %q (want Zun's form, as %q): %v",
				perr.Value, "2006-01-02 15:04:05-07:00", err)
		}
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		// Without a microversion the service answers the legacy view, as
		// Zun does.
		c, ok := created.(*capsules.Capsule)
		if !ok || c.MetaName != "gc" || c.Status != "Creating" || c.UUID == "" || c.MetaLabels["client"] != "gc" {
			t.Fatalf("created: %#v", created)
		}
		var got *capsules.Capsule
		if !poll(60*time.Second, func() bool {
			got, err = capsules.Get(ctx, sc, c.UUID).ExtractBase()
			return err == nil && got.Status == "Running"
		}) {
			t.Fatalf("get: %#v, %v", got, err)
		}
		if got.CreatedAt.IsZero() || len(got.ContainersUUIDs) != 1 || got.CapsuleVersion != "beta" {
			t.Fatalf("get: %#v", got)
		}
		pages, err := capsules.List(sc, capsules.ListOpts{Limit: 10}).AllPages(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		all, err := capsules.ExtractCapsulesBase(pages)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		found := false
		for _, x := range all {
			found = found || (x.UUID == c.UUID && x.MetaName == "gc")
		}
		if !found {
			t.Fatalf("list lacks %s: %+v", c.UUID, all)
		}
		if err := capsules.Delete(ctx, sc, "gc").ExtractErr(); err != nil {
			t.Fatalf("delete by name: %v", err)
		}
		if !poll(60*time.Second, func() bool {
			_, err = capsules.Get(ctx, sc, c.UUID).ExtractBase()
			return gophercloud.ResponseCodeIs(err, http.StatusNotFound)
		}) {
			t.Fatalf("get after delete: %v", err)
		}
		gone(t, capsuleParts{UUID: c.UUID, Containers: got.ContainersUUIDs})
	})
}
