package controlplane_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/images"
	"github.com/zun-go/zun/placement"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// opHost is a compute host for the operations: its pulls and saves do
// what the test says, and it can be unreachable or down.
type opHost struct {
	apiserver.HostAPI // the calls the operations never make

	mu          sync.Mutex
	unreachable bool
	down        bool
	gone        bool // no such host
	pull        func(ctx context.Context, progress func(driver.Progress)) error
	save        func(ctx context.Context) (io.ReadCloser, error)
	reaches     int            // calls of Reach
	pulls       int            // pulls begun
	cancelled   int            // pulls or saves that saw their context end
	pulled      map[string]int // ref -> pulls finished
}

func newOpHost() *opHost { return &opHost{pulled: map[string]int{}} }

func (h *opHost) Reach(_ context.Context, name string) (apiserver.HostAPI, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reaches++
	switch {
	case h.gone || name != "h1":
		return nil, errdefs.NotFoundf("The compute host %s does not exist.", name)
	case h.unreachable:
		return nil, errdefs.Unavailablef("compute host %s is not connected", name)
	}
	return h, nil
}

func (h *opHost) Up(string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.down
}

// count reads a counter of h.
func (h *opHost) count(n *int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return *n
}

func (h *opHost) set(fn func(h *opHost)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

func (h *opHost) PullImage(ctx context.Context, ref string, _ driver.PullPolicy, progress func(driver.Progress)) (driver.ImageInfo, error) {
	h.mu.Lock()
	h.pulls++
	pull := h.pull
	h.mu.Unlock()
	if pull != nil {
		if err := pull(ctx, progress); err != nil {
			if ctx.Err() != nil {
				h.set(func(h *opHost) { h.cancelled++ })
			}
			return driver.ImageInfo{}, err
		}
	}
	h.set(func(h *opHost) { h.pulled[ref]++ })
	return driver.ImageInfo{ID: "sha256:" + strings.Repeat("a", 64), Size: 42}, nil
}

func (h *opHost) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	h.mu.Lock()
	save := h.save
	h.mu.Unlock()
	if save == nil {
		return io.NopCloser(strings.NewReader("tarball of " + ref)), nil
	}
	return save(ctx)
}

// blocked is a pull or a save that waits for release (or its context),
// after telling started.
type blocked struct {
	started chan struct{}
	release chan struct{}
}

func newBlocked() *blocked {
	return &blocked{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blocked) pull(ctx context.Context, progress func(driver.Progress)) error {
	progress(driver.Progress{Done: 1, Total: 2})
	b.started <- struct{}{}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// save streams a first part, then the rest once released.
func (b *blocked) save(ctx context.Context) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("first part "))
		b.started <- struct{}{}
		select {
		case <-b.release:
			_, _ = pw.Write([]byte("rest"))
			pw.Close()
		case <-ctx.Done():
			pw.CloseWithError(ctx.Err())
		}
	}()
	return pr, nil
}

// opActions records the commit events the operations finish.
type opActions struct {
	container.ActionStore
	mu       sync.Mutex
	finished map[string][]error // request id -> causes
}

func (a *opActions) FinishEvent(_ context.Context, uuid, requestID, event string, cause error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if event != container.EventName(container.ActCommit) {
		return errors.New("not a commit's event: " + event)
	}
	a.finished[requestID] = append(a.finished[requestID], cause)
	return nil
}

func (a *opActions) causes(requestID string) []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.finished[requestID]...)
}

// opsEnv is a store with image records, an image store and a host.
type opsEnv struct {
	t       *testing.T
	db      *store.DB
	records *images.EtcdStore
	glance  *glance.Service
	host    *opHost
	actions *opActions
}

func newOpsEnv(t *testing.T) *opsEnv {
	db := dbtest.Open(t)
	return &opsEnv{t: t, db: db, records: images.NewEtcdStore(db),
		glance: &glance.Service{Store: glance.NewEtcdStore(db), Dir: t.TempDir()},
		host:   newOpHost(), actions: &opActions{finished: map[string][]error{}}}
}

// run runs an operations runner until the test ends or stop is called.
func (e *opsEnv) run(tune func(*controlplane.OperationDeps)) (stop func()) {
	d := controlplane.OperationDeps{Records: e.records, ImageStore: e.glance, Glance: glance.NewEtcdStore(e.db),
		Actions: e.actions, Hosts: e.host, ProgressEvery: time.Millisecond, Retry: 20 * time.Millisecond}
	if tune != nil {
		tune(&d)
	}
	ops := controlplane.NewOperations(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ops.Run(ctx)
	}()
	stop = func() { cancel(); <-done }
	e.t.Cleanup(stop)
	return stop
}

func (e *opsEnv) ctx() context.Context {
	return auth.WithAllProjects(auth.System(context.Background()))
}

// recordPull records a pull of ref onto host, as the API does.
func (e *opsEnv) recordPull(ref, host string) string {
	e.t.Helper()
	repo, tag, _ := strings.Cut(ref, ":")
	im := &images.Image{Repo: repo, Tag: tag, Host: host, ProjectID: "p", UserID: "u", Status: images.Pulling}
	if err := e.records.Create(e.ctx(), im); err != nil {
		e.t.Fatal(err)
	}
	return im.UUID
}

// recordCommit records a commit's upload, as the API does: the image
// store's image, queued, and its upload, committed or not yet.
func (e *opsEnv) recordCommit(requestID string, committed bool) string {
	e.t.Helper()
	gi := &glance.Image{Name: "team/commit", Tags: []string{"v1"}, ContainerFormat: "docker", DiskFormat: "raw", Owner: "p"}
	if err := e.glance.Create(e.ctx(), gi); err != nil {
		e.t.Fatal(err)
	}
	u := &images.Upload{ImageID: gi.ID, Container: "c1", Host: "h1", Ref: "team/commit:v1", ProjectID: "p",
		RequestID: requestID, Committed: committed}
	if err := e.records.CreateUpload(e.ctx(), u); err != nil {
		e.t.Fatal(err)
	}
	return gi.ID
}

// await polls until cond holds.
func (e *opsEnv) await(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *opsEnv) image(id string) *images.Image {
	e.t.Helper()
	im, err := e.records.Get(e.ctx(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return im
}

// awaitStatus waits for image record id to leave Pulling with status.
func (e *opsEnv) awaitStatus(id, status string) *images.Image {
	e.t.Helper()
	var im *images.Image
	e.await("image "+id+" "+status, func() bool {
		im = e.image(id)
		return im.Status != images.Pulling
	})
	if im.Status != status {
		e.t.Fatalf("image %s: %s (%s), want %s", id, im.Status, im.StatusReason, status)
	}
	return im
}

func (e *opsEnv) uploads() []*images.Upload {
	e.t.Helper()
	all, err := e.records.ListUploads(e.ctx())
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

// TestPullResumedAfterRestart: a pull under way when the runner stops
// (its process restarted) is taken up again by the next one and
// finishes; nothing is left running.
func TestPullResumedAfterRestart(t *testing.T) {
	e := newOpsEnv(t)
	b := newBlocked()
	e.host.set(func(h *opHost) { h.pull = b.pull })
	stop := e.run(nil)
	id := e.recordPull("team/app:1", "h1")
	<-b.started
	e.await("progress recorded", func() bool { return e.image(id).Done == 1 })
	stop()
	if im := e.image(id); im.Status != images.Pulling {
		t.Fatalf("after the restart's stop: %s, want still Pulling", im.Status)
	}
	e.run(nil)
	<-b.started
	close(b.release)
	im := e.awaitStatus(id, images.Pulled)
	if im.ImageID == "" || im.Size != 42 || im.Done != 0 || im.Total != 0 {
		t.Fatalf("pulled: %+v", im)
	}
	e.host.mu.Lock()
	defer e.host.mu.Unlock()
	if e.host.pulls != 2 || e.host.cancelled != 1 || e.host.pulled["team/app:1"] != 1 {
		t.Fatalf("pulls %d, cancelled %d, finished %v: want the first cancelled by the stop, the second finished",
			e.host.pulls, e.host.cancelled, e.host.pulled)
	}
}

// TestPullEnds: a pull that cannot finish ends in Error with the reason;
// one whose host is not reachable while up is tried again.
func TestPullEnds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		host   string
		setup  func(h *opHost)
		tune   func(d *controlplane.OperationDeps)
		then   func(e *opsEnv) // after the pull is recorded
		status string
		reason string
	}{
		{name: "pulled", host: "h1", status: images.Pulled},
		{name: "no such host", host: "nowhere", status: images.Error, reason: "The compute host nowhere does not exist."},
		{name: "the pull fails", host: "h1", setup: func(h *opHost) {
			h.pull = func(context.Context, func(driver.Progress)) error { return errors.New("manifest unknown") }
		}, status: images.Error, reason: "manifest unknown"},
		{name: "host down", host: "h1", setup: func(h *opHost) { h.unreachable, h.down = true, true },
			tune:   func(d *controlplane.OperationDeps) { d.HostGrace = 100 * time.Millisecond },
			status: images.Error, reason: "not connected"},
		{name: "host down, back within the grace", host: "h1", setup: func(h *opHost) { h.unreachable, h.down = true, true },
			then: func(e *opsEnv) {
				e.await("tried three times", func() bool { return e.host.count(&e.host.reaches) >= 3 })
				e.host.set(func(h *opHost) { h.unreachable, h.down = false, false })
			}, status: images.Pulled},
		{name: "timed out", host: "h1", setup: func(h *opHost) {
			h.pull = func(ctx context.Context, _ func(driver.Progress)) error { <-ctx.Done(); return ctx.Err() }
		}, tune: func(d *controlplane.OperationDeps) { d.PullTimeout = 200 * time.Millisecond },
			status: images.Error, reason: "timed out after 200ms"},
		{name: "unreachable while up: tried again", host: "h1", setup: func(h *opHost) { h.unreachable = true },
			then: func(e *opsEnv) {
				e.await("tried three times", func() bool { return e.host.count(&e.host.reaches) >= 3 })
				e.host.set(func(h *opHost) { h.unreachable = false })
			}, status: images.Pulled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOpsEnv(t)
			if tc.setup != nil {
				e.host.set(tc.setup)
			}
			e.run(tc.tune)
			id := e.recordPull("team/app:1", tc.host)
			if tc.then != nil {
				tc.then(e)
			}
			im := e.awaitStatus(id, tc.status)
			if !strings.Contains(im.StatusReason, tc.reason) || (tc.reason == "" && im.StatusReason != "") {
				t.Fatalf("reason %q, want %q", im.StatusReason, tc.reason)
			}
		})
	}
}

// glanceImage reads image id of the image store; nil when it is gone.
func (e *opsEnv) glanceImage(id string) *glance.Image {
	e.t.Helper()
	im, err := e.glance.Store.Get(e.ctx(), id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return im
}

// TestUploadResumedAfterRestart: a commit's upload under way when the
// runner stops is taken up again from the start by the next one: the
// image, left saving by a killed process, is queued again, uploaded whole
// and active, and the commit's event finishes once.
func TestUploadResumedAfterRestart(t *testing.T) {
	e := newOpsEnv(t)
	b := newBlocked()
	e.host.set(func(h *opHost) { h.save = b.save })
	stop := e.run(nil)
	id := e.recordCommit("req-1", true)
	<-b.started
	e.await("saving", func() bool { return e.glanceImage(id).Status == glance.Saving })
	stop()
	if im := e.glanceImage(id); im.Status == glance.Active || len(e.uploads()) != 1 {
		t.Fatalf("after the stop: %s, %d uploads; want not active, still recorded", im.Status, len(e.uploads()))
	}
	// A process killed while uploading leaves the image saving.
	if _, err := e.glance.Store.Update(e.ctx(), id, func(im *glance.Image) error {
		im.Status = glance.Saving
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.run(nil)
	<-b.started
	close(b.release)
	e.await("upload done", func() bool { return len(e.uploads()) == 0 })
	im, data, err := e.glance.Open(e.ctx(), id)
	if err != nil || im.Status != glance.Active {
		t.Fatalf("image after the upload: %+v, %v", im, err)
	}
	got, _ := io.ReadAll(data)
	data.Close()
	if string(got) != "first part rest" {
		t.Fatalf("data %q, want the whole tarball once", got)
	}
	if causes := e.actions.causes("req-1"); len(causes) != 1 || causes[0] != nil {
		t.Fatalf("the commit's event finished with %v, want once, successfully", causes)
	}
}

// TestUploadEnds: a commit's upload that cannot finish fails its event
// with the reason and leaves no image; one whose image is deleted stops.
func TestUploadEnds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		committed bool
		setup     func(h *opHost, b *blocked)
		tune      func(d *controlplane.OperationDeps)
		then      func(e *opsEnv, b *blocked, id string)
		reason    string // "": the upload succeeds
		kept      bool   // the image stays (deleted by the user: gone anyway)
	}{
		{name: "uploaded", committed: true, kept: true},
		{name: "committed by the request later", then: func(e *opsEnv, _ *blocked, id string) {
			if _, err := e.records.UpdateUpload(e.ctx(), id, func(u *images.Upload) error {
				u.Committed = true
				return nil
			}); err != nil {
				e.t.Fatal(err)
			}
		}, kept: true},
		{name: "stream cut short (its agent restarted): uploaded again", committed: true, setup: func(h *opHost, _ *blocked) {
			cut := true
			h.save = func(context.Context) (io.ReadCloser, error) {
				if cut {
					cut = false
					return io.NopCloser(io.MultiReader(strings.NewReader("part"), iotest.ErrReader(io.ErrUnexpectedEOF))), nil
				}
				return io.NopCloser(strings.NewReader("whole tarball")), nil
			}
		}, kept: true},
		{name: "never committed", tune: func(d *controlplane.OperationDeps) { d.CommitWait = 200 * time.Millisecond },
			reason: "its request was interrupted"},
		{name: "image gone from the host", committed: true, setup: func(h *opHost, _ *blocked) {
			h.save = func(context.Context) (io.ReadCloser, error) {
				return nil, errdefs.NotFoundf("No such image: team/commit:v1")
			}
		}, reason: "No such image"},
		{name: "no such host", committed: true, setup: func(h *opHost, _ *blocked) { h.gone = true },
			reason: "does not exist"},
		{name: "timed out", committed: true, setup: func(h *opHost, b *blocked) { h.save = b.save },
			tune:   func(d *controlplane.OperationDeps) { d.CommitTimeout = 300 * time.Millisecond },
			reason: "timed out after 300ms"},
		{name: "image deleted by its user", committed: true, setup: func(h *opHost, b *blocked) { h.save = b.save },
			then: func(e *opsEnv, b *blocked, id string) {
				<-b.started
				if err := e.glance.Delete(e.ctx(), id); err != nil {
					e.t.Fatal(err)
				}
			}, reason: "deleted before its upload finished"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOpsEnv(t)
			b := newBlocked()
			if tc.setup != nil {
				e.host.set(func(h *opHost) { tc.setup(h, b) })
			}
			e.run(tc.tune)
			id := e.recordCommit("req-1", tc.committed)
			if tc.then != nil {
				tc.then(e, b, id)
			}
			e.await("the upload ends", func() bool { return len(e.uploads()) == 0 })
			causes := e.actions.causes("req-1")
			if len(causes) != 1 {
				t.Fatalf("the commit's event finished %d times (%v), want once", len(causes), causes)
			}
			switch im := e.glanceImage(id); {
			case tc.reason == "" && causes[0] != nil:
				t.Fatalf("the event failed: %v", causes[0])
			case tc.reason != "" && (causes[0] == nil || !strings.Contains(causes[0].Error(), tc.reason)):
				t.Fatalf("the event finished with %v, want %q", causes[0], tc.reason)
			case tc.kept && (im == nil || im.Status != glance.Active):
				t.Fatalf("image %+v, want active", im)
			case !tc.kept && im != nil:
				t.Fatalf("image %+v left by a failed commit", im)
			}
		})
	}
}

// opElector campaigns for the operations role on a store.
type opElector struct {
	db *store.DB
	id string
}

func (e opElector) Campaign(ctx context.Context) (placement.Term, error) {
	t, err := e.db.Campaign(ctx, "operations", e.id, time.Second)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TestOperationsFollowLeadership: only the leader of the operations role
// runs them; when it stops, the next leader takes the pull up again.
func TestOperationsFollowLeadership(t *testing.T) {
	e := newOpsEnv(t)
	b := newBlocked()
	e.host.set(func(h *opHost) { h.pull = b.pull })
	stopA := e.run(func(d *controlplane.OperationDeps) { d.Elector = opElector{e.db, "a"} })
	e.await("a leads", func() bool { id, _ := e.db.Leader(e.ctx(), "operations"); return id == "a" })
	e.run(func(d *controlplane.OperationDeps) { d.Elector = opElector{e.db, "b"} })
	id := e.recordPull("team/app:1", "h1")
	<-b.started
	stopA()
	<-b.started // b's
	close(b.release)
	e.awaitStatus(id, images.Pulled)
	if n := e.host.count(&e.host.pulls); n != 2 {
		t.Fatalf("%d pulls, want one by each leader", n)
	}
}

// TestPullCancelledByDelete: deleting a record Pulling cancels its pull,
// which records nothing.
func TestPullCancelledByDelete(t *testing.T) {
	e := newOpsEnv(t)
	b := newBlocked()
	e.host.set(func(h *opHost) { h.pull = b.pull })
	e.run(nil)
	id := e.recordPull("team/app:1", "h1")
	<-b.started
	if err := e.records.Delete(e.ctx(), id); err != nil {
		t.Fatal(err)
	}
	e.await("the pull cancelled", func() bool { return e.host.count(&e.host.cancelled) == 1 })
	if _, err := e.records.Get(e.ctx(), id); !errdefs.IsNotFound(err) {
		t.Fatalf("the deleted record: %v, want not found", err)
	}
}

// TestReach: the operations reach a host connected to their process, or
// dial the address a host registered through another process; a host
// that is not registered does not exist.
func TestReach(t *testing.T) {
	db := dbtest.Open(t)
	other, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default()})
	if err != nil {
		t.Fatal(err)
	}
	var dialed []string
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default(),
		Dial: func(addr string) apiserver.HostAPI { dialed = append(dialed, addr); return newOpHost() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.System(context.Background())
	if err := other.Agents.Heartbeat(ctx, compute.HostInfo{Name: "remote", Driver: "fake", Address: "http://192.0.2.7:9518"}); err != nil {
		t.Fatal(err)
	}
	p.Agents.Attach("local", newOpHost())
	for _, tc := range []struct {
		host   string
		dial   string // the address dialed; "": none
		exists bool
	}{
		{host: "local", exists: true},
		{host: "remote", dial: "http://192.0.2.7:9518", exists: true},
		{host: "nowhere"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			dialed = nil
			api, err := p.Agents.Reach(ctx, tc.host)
			switch {
			case tc.exists && (err != nil || api == nil):
				t.Fatalf("Reach: %v", err)
			case !tc.exists && !errdefs.IsNotFound(err):
				t.Fatalf("Reach: %v, want not found", err)
			case tc.dial != "" && (len(dialed) != 1 || dialed[0] != tc.dial):
				t.Fatalf("dialed %v, want %s", dialed, tc.dial)
			case tc.dial == "" && len(dialed) != 0:
				t.Fatalf("dialed %v, want none", dialed)
			}
		})
	}
}
