package agentapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// recorder is a HostCalls that records what reached it.
type recorder struct {
	cmd     []string
	execFor time.Duration // what was left of the exec's deadline; 0: none
	opts    driver.LogOptions
	removed string
}

func (r *recorder) Logs(_ context.Context, id string, o driver.LogOptions) (io.ReadCloser, error) {
	r.opts = o
	return io.NopCloser(strings.NewReader("log of " + id)), nil
}
func (r *recorder) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	r.cmd = cmd
	r.execFor = 0
	if dl, ok := ctx.Deadline(); ok {
		r.execFor = time.Until(dl)
	}
	return driver.ExecResult{Output: "ran", ExitCode: 3}, nil
}
func (r *recorder) Stats(context.Context, string) (driver.Stats, error) {
	return driver.Stats{}, errdefs.NotSupportedf("no stats here")
}
func (r *recorder) Top(_ context.Context, _, ps string) (driver.TopResult, error) {
	return driver.TopResult{Titles: []string{ps}}, nil
}
func (r *recorder) Update(context.Context, string, driver.Resources) error {
	return errdefs.Conflictf("container is paused")
}
func (r *recorder) Commit(_ context.Context, _, repo, tag string) (string, error) {
	return "sha256:" + repo + ":" + tag, nil
}

func (r *recorder) PullImage(_ context.Context, ref string, policy driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error) {
	if progress != nil {
		progress(driver.Progress{Done: 1, Total: 42})
	}
	if policy == driver.PullNever {
		return driver.ImageInfo{}, errdefs.NotFoundf("image %q not present", ref)
	}
	return driver.ImageInfo{ID: "sha256:" + ref, Size: 42}, nil
}
func (r *recorder) RemoveImage(_ context.Context, ref string) error {
	return errdefs.Conflictf("image %s is in use", ref)
}
func (r *recorder) RemoveVolume(_ context.Context, id string) error {
	r.removed = id
	return nil
}

func (r *recorder) SaveImage(_ context.Context, ref string) (io.ReadCloser, error) {
	if ref != "repo:v1" {
		return nil, errdefs.NotFoundf("no image %s", ref)
	}
	return io.NopCloser(strings.NewReader("tarball of " + ref)), nil
}

func TestHostCalls(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(NewHostHandler(rec, "tok"))
	defer srv.Close()
	ctx := context.Background()
	c := NewHostClient(srv.URL, "tok", nil)

	res, err := c.Exec(ctx, "c1", []string{"sh", "-c", "echo a b"})
	if err != nil || res.ExitCode != 3 || res.Output != "ran" || !slices.Equal(rec.cmd, []string{"sh", "-c", "echo a b"}) {
		t.Fatalf("exec: %+v %v, command seen %q", res, err, rec.cmd)
	}
	if rec.execFor != 0 {
		t.Fatalf("exec without a deadline reached the host with one %v away", rec.execFor)
	}
	// The caller's deadline travels: the host ends the command on time
	// even if the caller's connection lingers.
	bounded, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := c.Exec(bounded, "c1", []string{"sleep", "1000"}); err != nil || rec.execFor <= 0 || rec.execFor > time.Minute {
		t.Fatalf("exec with a deadline a minute away: %v, reached the host with one %v away", err, rec.execFor)
	}
	rc, err := c.Logs(ctx, "c1", driver.LogOptions{Stdout: true, Tail: "5"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "log of c1" || !rec.opts.Stdout || rec.opts.Stderr || rec.opts.Tail != "5" {
		t.Fatalf("logs %q with %+v", b, rec.opts)
	}
	if top, err := c.Top(ctx, "c1", "aux"); err != nil || top.Titles[0] != "aux" {
		t.Fatalf("top: %+v %v", top, err)
	}
	if id, err := c.Commit(ctx, "c1", "repo", "v1"); err != nil || id != "sha256:repo:v1" {
		t.Fatalf("commit: %q %v", id, err)
	}
	var heard []driver.Progress
	if info, err := c.PullImage(ctx, "busybox:1", driver.PullAlways, func(p driver.Progress) { heard = append(heard, p) }); err != nil || info.ID != "sha256:busybox:1" || info.Size != 42 {
		t.Fatalf("pull image: %+v %v", info, err)
	}
	if !slices.Equal(heard, []driver.Progress{{Done: 1, Total: 42}}) {
		t.Fatalf("pull progress heard: %v", heard)
	}
	if _, err := c.PullImage(ctx, "busybox:1", driver.PullNever, nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("pull never: %v", err)
	}
	if err := c.RemoveImage(ctx, "busybox:1"); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("remove image: %v", err)
	}
	if rc, err := c.SaveImage(ctx, "repo:v1"); err != nil {
		t.Fatalf("save image: %v", err)
	} else if b, _ := io.ReadAll(rc); string(b) != "tarball of repo:v1" {
		t.Fatalf("save image streamed %q", b)
	}
	if _, err := c.SaveImage(ctx, "other:v1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("save a missing image: %v", err)
	}
	if err := c.RemoveVolume(ctx, "v1"); err != nil || rec.removed != "v1" {
		t.Fatalf("remove volume: %v, removed %q", err, rec.removed)
	}
	// Errors keep their kind across the wire.
	if _, err := c.Stats(ctx, "c1"); !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "no stats here") {
		t.Fatalf("stats: %v", err)
	}
	if err := c.Update(ctx, "c1", driver.Resources{CPU: 1}); !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("update: %v", err)
	}
	// Without the token nothing gets through.
	for _, tok := range []string{"", "wrong"} {
		bad := NewHostClient(srv.URL, tok, nil)
		if _, err := bad.Exec(ctx, "c1", []string{"rm", "-rf", "/"}); !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Fatalf("exec with token %q: %v", tok, err)
		}
	}
	if slices.Contains(rec.cmd, "rm") {
		t.Fatal("an unauthenticated exec ran")
	}
	cp := httptest.NewServer(NewControlPlaneHandler(nil, "tok"))
	defer cp.Close()
	if err := NewControlPlaneClient(cp.URL, "wrong", nil).Forget(ctx, "h", "u", 1); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("control plane with a wrong token: %v", err)
	}
}

// registryCP answers RegistryAuth for one container of one host.
type registryCP struct{ compute.ControlPlane }

func (registryCP) RegistryAuth(_ context.Context, host, uuid string) (driver.RegistryAuth, error) {
	if host != "h1" || uuid != "c1" {
		return driver.RegistryAuth{}, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	return driver.RegistryAuth{ServerAddress: "reg:5000", Username: "u", Password: "p"}, nil
}

// TestRegistryAuth: the credentials cross the wire to the agent of the
// container's host, and only with the token.
func TestRegistryAuth(t *testing.T) {
	srv := httptest.NewServer(NewControlPlaneHandler(registryCP{}, "tok"))
	defer srv.Close()
	ctx := context.Background()
	got, err := NewControlPlaneClient(srv.URL, "tok", nil).RegistryAuth(ctx, "h1", "c1")
	if err != nil || got != (driver.RegistryAuth{ServerAddress: "reg:5000", Username: "u", Password: "p"}) {
		t.Fatalf("auth: %+v %v", got, err)
	}
	if _, err := NewControlPlaneClient(srv.URL, "tok", nil).RegistryAuth(ctx, "h2", "c1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("another host: %v", err)
	}
	if _, err := NewControlPlaneClient(srv.URL, "bad", nil).RegistryAuth(ctx, "h1", "c1"); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
}

// storeCP answers StoreImage for one container of one host.
type storeCP struct{ compute.ControlPlane }

func (storeCP) StoreImage(_ context.Context, host, uuid string, data bool) (compute.StoreImage, io.ReadCloser, error) {
	if host != "h1" || uuid != "c1" {
		return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	info := compute.StoreImage{ID: "i1", Name: "demo", Checksum: "abc", Size: 7}
	if !data {
		return info, nil, nil
	}
	return info, io.NopCloser(strings.NewReader("tarball")), nil
}

// TestStoreImage: the description comes alone or with the data.
func TestStoreImage(t *testing.T) {
	srv := httptest.NewServer(NewControlPlaneHandler(storeCP{}, "tok"))
	defer srv.Close()
	ctx := context.Background()
	c := NewControlPlaneClient(srv.URL, "tok", nil)
	want := compute.StoreImage{ID: "i1", Name: "demo", Checksum: "abc", Size: 7}
	info, rc, err := c.StoreImage(ctx, "h1", "c1", false)
	if err != nil || info != want || rc != nil {
		t.Fatalf("describe: %+v %v %v", info, rc, err)
	}
	info, rc, err = c.StoreImage(ctx, "h1", "c1", true)
	if err != nil || info != want {
		t.Fatalf("download: %+v %v", info, err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "tarball" {
		t.Fatalf("downloaded %q", b)
	}
	if _, _, err := c.StoreImage(ctx, "h2", "c1", true); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("another host: %v", err)
	}
}

// hanger is a host whose execs last until their deadline, then take until
// release is closed to end the command.
type hanger struct {
	recorder
	expired chan struct{} // closed when the exec's deadline passed
	release chan struct{}
}

func (h *hanger) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	<-ctx.Done()
	close(h.expired)
	<-h.release
	return driver.ExecResult{}, fmt.Errorf("exec %q: %w (the command was ended)", cmd, ctx.Err())
}

// TestExecWaitsForAgent checks that an exec past its deadline returns once
// the agent has ended the command, not at the deadline (when the agent
// may still be at it), and says that the deadline passed.
func TestExecWaitsForAgent(t *testing.T) {
	h := &hanger{expired: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(NewHostHandler(h, "tok"))
	defer srv.Close()
	var release sync.Once
	defer release.Do(func() { close(h.release) }) // before the server's close
	c := NewHostClient(srv.URL, "tok", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := c.Exec(ctx, "c1", []string{"sleep", "1000"}); done <- err }()
	<-h.expired
	// Past its deadline, the call waits for the agent (up to execGrace):
	// it does not return while the agent is still ending the command.
	select {
	case err := <-done:
		t.Fatalf("exec returned (%v) while the agent was still ending the command", err)
	case <-time.After(execGrace / 4):
	}
	release.Do(func() { close(h.release) })
	// The agent's answer came through, and the error says the deadline
	// passed.
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "the command was ended") {
		t.Fatalf("exec past its deadline: got %v, want the agent's answer wrapping %v", err, context.DeadlineExceeded)
	}
}
