package e2e

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	dockerregistry "github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/zun-go/zun/internal/demoimage"
)

// pushDemo pushes the demo image to the registry at domain as repo:1 and
// drops the local tag, so that running it needs a pull.
func pushDemo(t *testing.T, dc *client.Client, domain, repo, user, password string) string {
	t.Helper()
	ctx := context.Background()
	ref := domain + "/" + repo + ":1"
	if err := dc.ImageTag(ctx, demoimage.Ref, ref); err != nil {
		t.Fatal(err)
	}
	auth, _ := dockerregistry.EncodeAuthConfig(dockerregistry.AuthConfig{Username: user, Password: password, ServerAddress: domain})
	rc, err := dc.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatal(err)
	}
	pushed, _ := io.ReadAll(rc)
	rc.Close()
	if strings.Contains(string(pushed), `"error"`) {
		t.Fatalf("push: %s", pushed)
	}
	dropTag := func() { _, _ = dc.ImageRemove(ctx, ref, image.RemoveOptions{}) }
	dropTag()
	t.Cleanup(dropTag)
	return ref
}

// privateRegistry serves a registry inside the test process that wants
// user:password on every request, on loopback (which Docker reaches over
// plain HTTP).
func privateRegistry(t *testing.T, user, password string) string {
	t.Helper()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestPrivateRegistry: an image pushed to a private registry runs only
// through a registry record with the right credentials, made and used
// with the real python-zunclient; the password is never shown.
func TestPrivateRegistry(t *testing.T) {
	dc := requireDocker(t, "")
	zunBin := lookClient(t, "zun")
	domain := privateRegistry(t, "puller", "s3cret")
	ref := pushDemo(t, dc, domain, "private/demo", "puller", "s3cret")

	d := startZund(t, "")
	zun := cli{t, zunBin, d.osEnv("admin", adminPassword, "admin")}
	osc := cli{t, lookClient(t, "openstack"), zun.env}
	reg := osc.showJSON("appcontainer", "registry", "create", "--name", "priv", "--domain", domain,
		"--username", "puller", "--password", "s3cret")
	if reg["password"] != "***" || reg["domain"] != domain || reg["username"] != "puller" {
		t.Fatalf("registry-create: %v", reg)
	}
	if out := zun.must("registry-list"); strings.Contains(out, "s3cret") || !strings.Contains(out, "priv") {
		t.Fatalf("registry-list:\n%s", out)
	}
	if out := zun.must("registry-show", "priv"); strings.Contains(out, "s3cret") || !strings.Contains(out, domain) {
		t.Fatalf("registry-show:\n%s", out)
	}
	if raw, err := exec.Command("grep", "-r", "-l", "s3cret", filepath.Join(d.DataDir, "etcd")).CombinedOutput(); err == nil {
		t.Fatalf("the password is in clear in the store's files: %s", raw)
	}

	// With the registry's credentials the image is pulled and runs, named
	// in the registry.
	zun.must("run", "--name", "ok", "--registry", "priv", "private/demo:1", "sleep", "3600")
	zun.waitStatus("Running", "show", "ok")
	if c := zun.showJSON("show", "ok"); c["image"] != ref || c["registry_id"] != reg["uuid"] {
		t.Fatalf("container: image %v registry_id %v, want %s %v", c["image"], c["registry_id"], ref, reg["uuid"])
	}
	zun.must("delete", "--stop", "ok")

	// A wrong password, or none, ends in Error saying why; nothing runs.
	zun.must("registry-create", "--name", "wrong", "--domain", domain, "--username", "puller", "--password", "guess")
	for _, args := range [][]string{
		{"run", "--name", "denied", "--registry", "wrong", "--image-pull-policy", "always", "private/demo:1", "true"},
		{"run", "--name", "anonymous", "--image-pull-policy", "always", ref, "true"},
	} {
		name := args[2]
		zun.must(args...)
		zun.waitStatus("Error", "show", name)
		if reason := fmt.Sprint(zun.showJSON("show", name)["status_reason"]); !strings.Contains(strings.ToLower(reason), "auth") {
			t.Fatalf("%s: status_reason %q does not say the registry refused", name, reason)
		}
	}
	// Fixing the password fixes the pull.
	zun.must("registry-update", "wrong", "--password", "s3cret")
	zun.must("run", "--name", "fixed", "--registry", "wrong", "--image-pull-policy", "always", "private/demo:1", "true")
	zun.waitStatus("Stopped", "show", "fixed")

	// Another project does not see the registries, nor use them.
	admin := osc
	admin.must("project", "create", "--domain", "default", "proj-reg")
	admin.must("user", "create", "--domain", "default", "--project", "proj-reg", "--password", "carol-pw", "carol")
	admin.must("role", "add", "--project", "proj-reg", "--user", "carol", "member")
	carol := cli{t, zunBin, d.osEnv("carol", "carol-pw", "proj-reg")}
	if out := carol.must("registry-list"); strings.Contains(out, "priv") {
		t.Fatalf("another project lists the registry:\n%s", out)
	}
	if out, err := carol.run("run", "--registry", "priv", "private/demo:1", "true"); err == nil || !strings.Contains(out, "could not be found") {
		t.Fatalf("another project used the registry: %v\n%s", err, out)
	}
	zun.must("registry-delete", "wrong")
	if out, err := zun.run("registry-show", "wrong"); err == nil {
		t.Fatalf("deleted registry shown:\n%s", out)
	}
}

// TestImagesAPI: an admin pulls an image from a registry onto a host with
// python-zunclient, lists, shows, searches and deletes it; bad input is
// refused and a pull that fails says why.
func TestImagesAPI(t *testing.T) {
	dc := requireDocker(t, "")
	zunBin := lookClient(t, "zun")
	ctx := context.Background()
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	domain := strings.TrimPrefix(srv.URL, "http://")
	ref := pushDemo(t, dc, domain, "public/demo", "", "")

	d := startZund(t, "")
	zun := cli{t, zunBin, d.osEnv("admin", adminPassword, "admin")}
	osc := cli{t, lookClient(t, "openstack"), zun.env}
	zun.must("pull", domain+"/public/demo:1", d.Host)
	var pulled map[string]any
	if !poll(60*time.Second, func() bool {
		for _, line := range strings.Split(zun.must("image-list"), "\n") {
			if strings.Contains(line, domain+"/public/demo") && strings.Contains(line, "sha256:") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("image never pulled:\n%s", zun.must("image-list"))
	}
	if _, _, err := dc.ImageInspectWithRaw(ctx, ref); err != nil {
		t.Fatalf("the engine lacks the pulled image: %v", err)
	}
	uuid := ""
	for _, line := range strings.Split(zun.must("image-list"), "\n") {
		if f := strings.Split(line, "|"); len(f) > 2 && strings.Contains(line, domain+"/public/demo") {
			uuid = strings.TrimSpace(f[1])
		}
	}
	pulled = osc.showJSON("appcontainer", "image", "show", uuid)
	if pulled["host"] != d.Host || pulled["tag"] != "1" || pulled["status"] != "Pulled" {
		t.Fatalf("image-show: %v", pulled)
	}
	if out := zun.must("image-search", "public/demo"); !strings.Contains(out, domain+"/public/demo") {
		t.Fatalf("image-search:\n%s", out)
	}
	if out := zun.must("image-search", "--exact-match", "demo"); strings.Contains(out, "public/demo") {
		t.Fatalf("an exact search matched a longer name:\n%s", out)
	}

	// Bad input changes nothing.
	for _, args := range [][]string{
		{"pull", domain + "/public/demo:1", "no-such-host"},
		{"pull", "not//valid", d.Host},
	} {
		if out, err := zun.run(args...); err == nil || !strings.Contains(out, "400") {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	// A pull that fails says why.
	zun.must("pull", domain+"/public/missing:1", d.Host)
	if !poll(60*time.Second, func() bool {
		return strings.Contains(zun.must("image-list"), "public/missing")
	}) {
		t.Fatal("no record of the failed pull")
	}
	var failed map[string]any
	if !poll(60*time.Second, func() bool {
		for _, line := range strings.Split(zun.must("image-list"), "\n") {
			if f := strings.Split(line, "|"); len(f) > 2 && strings.Contains(line, "public/missing") {
				failed = osc.showJSON("appcontainer", "image", "show", strings.TrimSpace(f[1]))
			}
		}
		return failed != nil && failed["status"] == "Error"
	}) {
		t.Fatalf("failed pull: %v", failed)
	}
	if reason := fmt.Sprint(failed["status_reason"]); !strings.Contains(reason, "missing") {
		t.Fatalf("failed pull's reason: %q", reason)
	}

	// Delete removes it from the engine too.
	zun.must("image-delete", uuid)
	if _, _, err := dc.ImageInspectWithRaw(ctx, ref); err == nil {
		t.Fatal("the deleted image is still in the engine")
	}
	if out, err := zun.run("image-show", uuid); err == nil {
		t.Fatalf("deleted image shown:\n%s", out)
	}
}
