package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	dockerregistry "github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// gatedRegistry is a registry in the test process whose blob downloads
// wait at a gate: a pull is under way, and stays so, until the test
// opens the gate (or breaks the registry). That makes a pull long enough
// to kill zund in its middle, every time.
type gatedRegistry struct {
	domain string
	// requested receives a signal whenever a blob download waits.
	requested chan struct{}

	mu     sync.Mutex
	closed bool          // the gate is on
	open   chan struct{} // closed when the gate opens
	broken chan struct{} // closed when every request answers 404
}

func newGatedRegistry(t *testing.T) *gatedRegistry {
	t.Helper()
	g := &gatedRegistry{requested: make(chan struct{}, 100), open: make(chan struct{}), broken: make(chan struct{})}
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		closed := g.closed
		g.mu.Unlock()
		notFound := func() {
			http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`, http.StatusNotFound)
		}
		select {
		case <-g.broken:
			notFound()
			return
		default:
		}
		if closed && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			g.requested <- struct{}{}
			select {
			case <-g.open:
			case <-g.broken:
				notFound()
				return
			case <-r.Context().Done():
				return
			}
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		g.release()
		srv.Close()
	})
	g.domain = strings.TrimPrefix(srv.URL, "http://")
	return g
}

// pushUnique pushes the demo image with one more layer of random bytes,
// which no engine has, as repo:tag, and removes it from the engine: a
// pull of it downloads that layer. It returns the reference.
func (g *gatedRegistry) pushUnique(t *testing.T, dc *client.Client, repoTag string) string {
	t.Helper()
	ctx := context.Background()
	ref := g.domain + "/" + repoTag
	made, err := dc.ContainerCreate(ctx, &container.Config{Image: demoimage.Ref,
		Cmd: []string{"sh", "-c", "head -c 1048576 /dev/urandom > /unique"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dc.ContainerRemove(ctx, made.ID, container.RemoveOptions{Force: true}) }()
	if err := dc.ContainerStart(ctx, made.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitC, errC := dc.ContainerWait(ctx, made.ID, container.WaitConditionNotRunning)
	select {
	case <-waitC:
	case err := <-errC:
		t.Fatal(err)
	}
	if _, err := dc.ContainerCommit(ctx, made.ID, container.CommitOptions{Reference: ref}); err != nil {
		t.Fatal(err)
	}
	auth, _ := dockerregistry.EncodeAuthConfig(dockerregistry.AuthConfig{ServerAddress: g.domain})
	rc, err := dc.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatal(err)
	}
	pushed, _ := io.ReadAll(rc)
	rc.Close()
	if strings.Contains(string(pushed), `"error"`) {
		t.Fatalf("push: %s", pushed)
	}
	if _, err := dc.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
		t.Fatal(err)
	}
	return ref
}

// close puts the gate on the blob downloads.
func (g *gatedRegistry) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// release opens the gate.
func (g *gatedRegistry) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
}

// breakDown makes the registry answer 404 to everything, the downloads
// waiting at the gate too.
func (g *gatedRegistry) breakDown() { close(g.broken) }

// waitRequested waits until a blob download waits at the gate.
func (g *gatedRegistry) waitRequested(t *testing.T) {
	t.Helper()
	select {
	case <-g.requested:
	case <-time.After(60 * time.Second):
		t.Fatal("no blob download reached the registry")
	}
}

// TestPullAcrossRestart: a pull through the images API under way when
// zund is killed is taken up again by zund restarted: it finishes once
// the registry answers, or ends in Error with the registry's reason when
// the registry no longer has the image. Before, the pull died with its
// API process and the record stayed Pulling for ever.
func TestPullAcrossRestart(t *testing.T) {
	dc := requireDocker(t, "")
	for _, tc := range []struct {
		name   string
		after  func(g *gatedRegistry) // once zund is back
		status string
		reason string
	}{
		{name: "finishes", after: (*gatedRegistry).release, status: api.ImagePulled},
		// The engine's reason: the manifest, or a layer, not found.
		{name: "ends with a reason", after: (*gatedRegistry).breakDown, status: api.ImageError, reason: "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGatedRegistry(t)
			ref := g.pushUnique(t, dc, "ops/"+strings.ReplaceAll(tc.name, " ", "-")+":1")
			g.close()
			d := startZund(t, "")
			c := apiClient(t, d)
			ctx := context.Background()
			im := pullOnto(t, c, ref, d.Host)
			t.Cleanup(func() { _, _ = dc.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}) })
			g.waitRequested(t) // the host is downloading
			d.stop(syscall.SIGKILL)
			logged := logSize(t, d)
			d.start()
			restarted := time.Now()
			c = apiClient(t, d)
			if got, err := c.GetImage(ctx, im.UUID); err != nil || got.Status != api.ImagePulling {
				t.Fatalf("after the restart: %+v, %v; want still Pulling", got, err)
			}
			tc.after(g)
			got := pullEnded(t, c, im.UUID)
			t.Logf("%s after the restart: %s %q", time.Since(restarted).Round(time.Millisecond), got.Status, got.StatusReason)
			if !strings.Contains(logSince(t, d, logged), `msg="pulling image"`) {
				t.Fatal("zund restarted did not take the pull up")
			}
			if got.Status != tc.status || !strings.Contains(got.StatusReason, tc.reason) {
				t.Fatalf("pull: %s %q, want %s %q", got.Status, got.StatusReason, tc.status, tc.reason)
			}
			_, _, err := dc.ImageInspectWithRaw(ctx, ref)
			if present := err == nil; present != (tc.status == api.ImagePulled) {
				t.Fatalf("image %s on the host: %v, after a pull %s", ref, present, got.Status)
			}
		})
	}
}

// TestPullAcrossAgentRestart: a pull under way when the host's agent (a
// `zund --agent` process) is killed goes on once the agent is back: the
// control plane tries the host again while it is up, and the pull
// finishes.
func TestPullAcrossAgentRestart(t *testing.T) {
	dc := requireDocker(t, "")
	g := newGatedRegistry(t)
	ref := g.pushUnique(t, dc, "ops/agent-restart:1")
	g.close()
	d := startZund(t, "", "--no-compute")
	a := startAgent(t, d, fmt.Sprintf("ops-agent-%d", os.Getpid()), "")
	c := apiClient(t, d)
	ctx := context.Background()
	t.Cleanup(func() { _, _ = dc.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}) })
	im := pullOnto(t, c, ref, a.name)
	g.waitRequested(t) // the host is downloading
	a.stop(syscall.SIGKILL)
	if got, err := c.GetImage(ctx, im.UUID); err != nil || got.Status != api.ImagePulling {
		t.Fatalf("with the agent killed: %+v, %v; want still Pulling", got, err)
	}
	a.start()
	g.release()
	got := pullEnded(t, c, im.UUID)
	if got.Status != api.ImagePulled {
		t.Fatalf("pull: %s %q, want Pulled", got.Status, got.StatusReason)
	}
	if !strings.Contains(logSince(t, d, 0), `msg="host not reachable, trying again"`) {
		t.Fatal("the control plane did not try the host again")
	}
	if _, _, err := dc.ImageInspectWithRaw(ctx, ref); err != nil {
		t.Fatalf("image %s not on the host: %v", ref, err)
	}
}

// TestPullCancelled: deleting an image record while it is Pulling
// cancels the pull: the control plane stops it. (The engine may finish
// a download it has begun: Docker does not give it up when its client
// goes away. The image then stays in the engine.)
func TestPullCancelled(t *testing.T) {
	dc := requireDocker(t, "")
	g := newGatedRegistry(t)
	ref := g.pushUnique(t, dc, "ops/cancelled:1")
	g.close()
	d := startZund(t, "")
	c := apiClient(t, d)
	ctx := context.Background()
	t.Cleanup(func() { _, _ = dc.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}) })
	im := pullOnto(t, c, ref, d.Host)
	g.waitRequested(t)
	if err := c.DeleteImage(ctx, im.UUID); err != nil {
		t.Fatal(err)
	}
	stopped := `msg="operation stopped: its record changed" role=operations operation=pull/` + im.UUID
	if !poll(30*time.Second, func() bool { return strings.Contains(logSince(t, d, 0), stopped) }) {
		t.Fatal("the control plane did not stop the pull")
	}
	if _, err := c.GetImage(ctx, im.UUID); !errdefs.IsNotFound(err) {
		t.Fatalf("the deleted record: %v, want not found", err)
	}
}

// commitMiB is the size of the file a committed container writes: its
// upload into the image store takes seconds (about 3 s on a loaded
// 2-core machine), long enough to see it saving and kill zund then.
const commitMiB = 256

// TestCommitAcrossRestart: a commit's upload into the image store under
// way when zund is killed is taken up again by zund restarted: the image
// becomes active with the whole tarball and the commit's event finishes;
// or, when the committed image left the host meanwhile, the event fails
// with the reason and the image is deleted.
func TestCommitAcrossRestart(t *testing.T) {
	dc := requireDocker(t, "")
	for _, tc := range []struct {
		name      string
		whileDown func(t *testing.T, ref string) // zund is down
		result    string                         // the commit event's
		reason    string                         // in its traceback
		active    bool                           // the image is active at the end; else deleted
	}{
		{name: "finishes", result: "Success", active: true},
		{name: "ends with a reason", whileDown: func(t *testing.T, ref string) {
			if _, err := dc.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		}, result: "Error", reason: "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startZund(t, "")
			c := apiClient(t, d)
			ctx := context.Background()
			ct := bigContainer(t, c)
			ref := "zun-e2e/ops-" + strings.ReplaceAll(tc.name, " ", "-") + ":v1"
			repo, tag, _ := strings.Cut(ref, ":")
			t.Cleanup(func() { dropTag(t, dc, ref) })
			res, err := c.Commit(ctx, ct.UUID, repo, tag)
			if err != nil {
				t.Fatal(err)
			}
			if !poll(60*time.Second, func() bool { return glanceStatus(t, d, res.UUID) == "saving" }) {
				t.Fatalf("the upload was never seen under way: image %s", glanceStatus(t, d, res.UUID))
			}
			d.stop(syscall.SIGKILL)
			if tc.whileDown != nil {
				tc.whileDown(t, ref)
			}
			logged := logSize(t, d)
			d.start()
			restarted := time.Now()
			c = apiClient(t, d)
			var ev api.ActionEvent
			if !poll(120*time.Second, func() bool {
				ev = commitEvent(t, c, ct.UUID)
				return ev.FinishTime != ""
			}) {
				t.Fatalf("the commit's event never finished: %+v; image %s", ev, glanceStatus(t, d, res.UUID))
			}
			t.Logf("%s after the restart: the commit's event %s %q", time.Since(restarted).Round(time.Millisecond), ev.Result, ev.Traceback)
			if !strings.Contains(logSince(t, d, logged), `msg="uploading a commit"`) {
				t.Fatal("zund restarted did not take the upload up")
			}
			if ev.Result != tc.result || !strings.Contains(ev.Traceback, tc.reason) {
				t.Fatalf("commit event %+v, want %s %q", ev, tc.result, tc.reason)
			}
			switch st := glanceStatus(t, d, res.UUID); {
			case tc.active && st != "active":
				t.Fatalf("image %s after the commit, want active", st)
			case !tc.active && st != "gone":
				t.Fatalf("image %s after a failed commit, want deleted", st)
			}
			if tc.active {
				if size := glanceSize(t, d, res.UUID); size < commitMiB<<20 {
					t.Fatalf("image of %d bytes, want the whole tarball (over %d MiB)", size, commitMiB)
				}
			}
			if err := c.DeleteContainer(ctx, ct.UUID, api.DeleteOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCommitCancelled: deleting the image store's image while a commit
// uploads into it stops the upload; the commit's event fails with the
// reason.
func TestCommitCancelled(t *testing.T) {
	dc := requireDocker(t, "")
	d := startZund(t, "")
	c := apiClient(t, d)
	ct := bigContainer(t, c)
	t.Cleanup(func() { dropTag(t, dc, "zun-e2e/ops-cancelled:v1") })
	res, err := c.Commit(context.Background(), ct.UUID, "zun-e2e/ops-cancelled", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if !poll(60*time.Second, func() bool { return glanceStatus(t, d, res.UUID) == "saving" }) {
		t.Fatalf("the upload was never seen under way: image %s", glanceStatus(t, d, res.UUID))
	}
	req, _ := http.NewRequest("DELETE", d.URL+"/image/v2/images/"+res.UUID, nil)
	req.Header.Set("X-Auth-Token", d.adminToken(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete the image: %d", resp.StatusCode)
	}
	var ev api.ActionEvent
	if !poll(60*time.Second, func() bool {
		ev = commitEvent(t, c, ct.UUID)
		return ev.FinishTime != ""
	}) {
		t.Fatalf("the commit's event never finished: %+v", ev)
	}
	if ev.Result != "Error" || !strings.Contains(ev.Traceback, "deleted before its upload finished") {
		t.Fatalf("commit event %+v, want an error: deleted", ev)
	}
	if st := glanceStatus(t, d, res.UUID); st != "gone" {
		t.Fatalf("image %s after its delete", st)
	}
}

// glanceImage reads image id of d's image store as the admin; nil when
// it is not found.
func glanceImage(t *testing.T, d *daemon, id string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL+"/image/v2/images/"+id, nil)
	req.Header.Set("X-Auth-Token", d.adminToken(t))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return nil
	}
	var v map[string]any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != 200 {
		t.Fatalf("image %s: %d, %v", id, res.StatusCode, err)
	}
	return v
}

// glanceStatus is the status of image id, "gone" when it is not found.
func glanceStatus(t *testing.T, d *daemon, id string) string {
	t.Helper()
	v := glanceImage(t, d, id)
	if v == nil {
		return "gone"
	}
	s, _ := v["status"].(string)
	return s
}

func glanceSize(t *testing.T, d *daemon, id string) int64 {
	t.Helper()
	v := glanceImage(t, d, id)
	size, _ := v["size"].(float64)
	return int64(size)
}

// commitEvent is the event of the container's commit action.
func commitEvent(t *testing.T, c *api.Client, id string) api.ActionEvent {
	t.Helper()
	ctx := context.Background()
	actions, err := c.ListActions(ctx, id)
	if err != nil {
		return api.ActionEvent{}
	}
	for _, a := range actions {
		if a.Action != "commit" {
			continue
		}
		full, err := c.GetAction(ctx, id, a.RequestID)
		if err != nil || len(full.Events) == 0 {
			return api.ActionEvent{}
		}
		return full.Events[0]
	}
	return api.ActionEvent{}
}

// logSize is the size of d's log, whose lines after it logSince reads.
func logSize(t *testing.T, d *daemon) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(d.DataDir, "zund.log"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// logSince is d's log after offset.
func logSince(t *testing.T, d *daemon, offset int64) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.DataDir, "zund.log"))
	if err != nil || int64(len(b)) < offset {
		t.Fatalf("zund log: %v", err)
	}
	return string(b[offset:])
}

// pullOnto asks for a pull of ref (repo:tag) onto host, once the host is
// registered (with its agent's first heartbeat).
func pullOnto(t *testing.T, c *api.Client, ref, host string) *api.Image {
	t.Helper()
	i := strings.LastIndex(ref, ":")
	repo, tag := ref[:i], ref[i+1:]
	var im *api.Image
	var err error
	if !poll(30*time.Second, func() bool {
		im, err = c.PullImage(context.Background(), api.PullImage{Repo: repo, Tag: tag, Host: host})
		return err == nil
	}) {
		t.Fatalf("pull onto %s: %v", host, err)
	}
	return im
}

// pullEnded waits up to a minute for image record id to end its pull
// (no longer Pulling) and returns it.
func pullEnded(t *testing.T, c *api.Client, id string) *api.Image {
	t.Helper()
	var got *api.Image
	var err error
	if !poll(60*time.Second, func() bool {
		got, err = c.GetImage(context.Background(), id)
		return err == nil && got.Status != api.ImagePulling
	}) {
		t.Fatalf("the pull never ended: %+v, %v", got, err)
	}
	return got
}

// bigContainer runs a container that has written a file of commitMiB.
func bigContainer(t *testing.T, c *api.Client) *api.Container {
	t.Helper()
	ctx := context.Background()
	ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "big",
		Command: []string{"sh", "-c", fmt.Sprintf("dd if=/dev/zero of=/big bs=1M count=%d && touch /written && sleep 3600", commitMiB)}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ct.UUID, "Running")
	if !poll(60*time.Second, func() bool {
		r, err := c.Execute(ctx, ct.UUID, "test -f /written")
		return err == nil && r.ExitCode != nil && *r.ExitCode == 0
	}) {
		t.Fatal("the container never wrote its file")
	}
	t.Cleanup(func() { _ = c.DeleteContainer(ctx, ct.UUID, api.DeleteOptions{Force: true}) })
	return ct
}
