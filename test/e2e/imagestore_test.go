package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/internal/demoimage"
)

// saveAs writes the demo image, tagged ref, as a `docker save` tarball
// and drops the tag from the engine, so that running ref needs the
// tarball.
func saveAs(t *testing.T, dc *client.Client, ref, path string) []byte {
	t.Helper()
	ctx := context.Background()
	if err := dc.ImageTag(ctx, demoimage.Ref, ref); err != nil {
		t.Fatal(err)
	}
	rc, err := dc.ImageSave(ctx, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dropTag(t, dc, ref)
	t.Cleanup(func() { dropTag(t, dc, ref) })
	return data
}

func dropTag(t *testing.T, dc *client.Client, ref string) {
	_, _ = dc.ImageRemove(context.Background(), ref, image.RemoveOptions{})
}

// TestImageStore: the embedded image store driven by the real clients.
// openstackclient uploads a `docker save` tarball; python-zunclient runs
// a container from it (the glance image driver: the host loads the
// tarball into its engine), commits the container back into the store,
// and a second container runs the committed image; the data downloads
// unchanged; another project sees none of it; bad input is refused and
// leaves nothing behind.
func TestImageStore(t *testing.T) {
	dc := requireDocker(t, "")
	osBin, zunBin := lookClient(t, "openstack"), lookClient(t, "zun")
	ctx := context.Background()
	d := startZund(t, "")
	admin := cli{t, osBin, d.osEnv("admin", adminPassword, "admin")}
	for _, u := range []string{"carol", "dave"} {
		admin.must("project", "create", "--domain", "default", "proj-"+u)
		admin.must("user", "create", "--domain", "default", "--project", "proj-"+u, "--password", u+"-pw", u)
		admin.must("role", "add", "--project", "proj-"+u, "--user", u, "member")
	}
	osc := cli{t, osBin, d.osEnv("carol", "carol-pw", "proj-carol")}
	zun := cli{t, zunBin, osc.env}
	other := cli{t, osBin, d.osEnv("dave", "dave-pw", "proj-dave")}

	dir := t.TempDir()
	tarball := filepath.Join(dir, "store.tar")
	data := saveAs(t, dc, "zun-e2e/store:v1", tarball)
	sum := md5.Sum(data)

	// Upload, as the command line has it.
	created := osc.showJSON("image", "create", "--container-format", "docker", "--disk-format", "raw",
		"--file", tarball, "e2e-store")
	id, _ := created["id"].(string)
	shown := osc.showJSON("image", "show", "e2e-store")
	if shown["id"] != id || shown["status"] != "active" || shown["checksum"] != hex.EncodeToString(sum[:]) ||
		shown["size"] != float64(len(data)) || shown["container_format"] != "docker" {
		t.Fatalf("image show: %v", shown)
	}
	if out := osc.must("image", "list"); !strings.Contains(out, id) {
		t.Fatalf("image list lacks %s:\n%s", id, out)
	}
	if out := other.must("image", "list"); strings.Contains(out, id) {
		t.Fatalf("another project lists the image:\n%s", out)
	}
	if out, err := other.run("image", "show", id); err == nil {
		t.Fatalf("another project shows the image:\n%s", out)
	}
	saved := filepath.Join(dir, "saved.tar")
	osc.must("image", "save", "--file", saved, "e2e-store")
	if got, _ := os.ReadFile(saved); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}

	// A container runs the stored image: the host loads the tarball.
	zun.must("run", "--image-driver", "glance", "--name", "from-store", "e2e-store", "sleep", "300")
	osc.waitStatus("Running", "appcontainer", "show", "from-store")
	if _, _, err := dc.ImageInspectWithRaw(ctx, "zun-e2e/store:v1"); err != nil {
		t.Fatalf("the engine did not load the stored image: %v", err)
	}

	// Commit writes the container into the store; the image runs.
	zun.must("exec", "from-store", "sh", "-c", "echo committed-data > /marker")
	out := zun.must("commit", "from-store", "zun-e2e/committed:v2")
	fields := strings.Fields(strings.TrimSpace(out))
	committed := strings.TrimSuffix(fields[len(fields)-1], ".")
	var img map[string]any
	if !poll(60*time.Second, func() bool {
		img = osc.showJSON("image", "show", committed)
		return img["status"] == "active"
	}) {
		t.Fatalf("committed image: %v", img)
	}
	if img["name"] != "zun-e2e/committed" || !strings.Contains(strings.Join(toStrings(img["tags"]), ","), "v2") {
		t.Fatalf("committed image: %v", img)
	}
	dropTag(t, dc, "zun-e2e/committed:v2")
	t.Cleanup(func() { dropTag(t, dc, "zun-e2e/committed:v2") })
	zun.must("run", "--image-driver", "glance", "--name", "from-commit", "zun-e2e/committed:v2", "cat", "/marker")
	if !poll(60*time.Second, func() bool {
		out, _ := zun.run("logs", "from-commit")
		return strings.Contains(out, "committed-data")
	}) {
		t.Fatalf("the committed image lacks the data; logs:\n%s\n%s", zun.must("logs", "from-commit"),
			zun.must("show", "from-commit"))
	}

	// Bad input: nothing is created.
	if out, err := zun.run("run", "--image-driver", "glance", "--name", "nothing", "no-such-image", "true"); err == nil ||
		!strings.Contains(out, "404") {
		t.Fatalf("run of a missing image: %v\n%s", err, out)
	}
	// (openstackclient uploads its stdin when given no file; an image
	// without data is made with the API.)
	queued := createQueued(t, d, "e2e-empty")
	if out, err := zun.run("run", "--image-driver", "glance", "--name", "nothing", queued, "true"); err == nil ||
		!strings.Contains(out, "409") {
		t.Fatalf("run of an image without data: %v\n%s", err, out)
	}
	if out, err := (cli{t, zunBin, other.env}).run("run", "--image-driver", "glance", "--name", "nothing", id, "true"); err == nil {
		t.Fatalf("another project ran the image:\n%s", out)
	}
	if out := zun.must("list"); strings.Contains(out, "nothing") {
		t.Fatalf("a refused run left a container:\n%s", out)
	}

	// zunctl uploads with a progress report and lists the store.
	up, err := d.zunctl("image", "upload", tarball, "--name", "by-zunctl")
	if err != nil || !strings.Contains(up, "100%") || !strings.Contains(up, "active") {
		t.Fatalf("zunctl image upload: %v\n%s", err, up)
	}
	if out := d.mustZunctl("image", "store-list"); !strings.Contains(out, "by-zunctl") {
		t.Fatalf("zunctl image store-list:\n%s", out)
	}

	// Delete removes the data.
	osc.must("image", "delete", "e2e-store", "e2e-empty")
	if out := osc.must("image", "list"); strings.Contains(out, id) {
		t.Fatalf("deleted image listed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(d.DataDir, "images", id)); !os.IsNotExist(err) {
		t.Fatalf("the deleted image's data: %v", err)
	}
}

// createQueued creates an image without data as carol and returns its id.
func createQueued(t *testing.T, d *daemon, name string) string {
	t.Helper()
	tok, err := d.login("carol", "carol-pw", "proj-carol").Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", d.URL+"/image/v2/images", strings.NewReader(
		`{"name":"`+name+`","container_format":"docker","disk_format":"raw"}`))
	req.Header.Set("X-Auth-Token", tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var im struct{ ID, Status string }
	if err := json.NewDecoder(res.Body).Decode(&im); err != nil || res.StatusCode != 201 || im.Status != "queued" {
		t.Fatalf("create a queued image: %d %+v %v", res.StatusCode, im, err)
	}
	return im.ID
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
