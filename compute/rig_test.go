package compute_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/compute/computetest"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
)

// The agent's tests run a real Agent on the fake runtime, behind a
// wrapper that records the calls reaching it and can play a runtime that
// does not answer, and report to computetest's control plane. No etcd,
// no Docker.

const host = "host-1"

// syncInterval is short, so that "a few sync passes later" comes soon.
const syncInterval = 20 * time.Millisecond

// call is one runtime call that reached the fake runtime.
type call struct {
	Method string
	ID     string // runtime id, or the spec's name for Create
	Arg    string // Stop/Restart: timeout; Kill: signal; Remove: force
}

// runtime is the fake runtime with its calls recorded. While down, every
// call (or every call of the methods given to setDown) answers
// errdefs.ErrUnavailable, as the Docker driver does when the engine does
// not answer, and does not reach the fake.
type runtime struct {
	*fake.Driver

	mu      sync.Mutex
	calls   []call
	down    bool
	only    []string       // while down, only these methods are refused; nil: all
	refused map[string]int // calls refused while down, by method
	// before, when set, runs before each call reaches the fake: a test
	// does something while the agent is in the middle of an op.
	before func(c call)
	// specs are the specs created, by name.
	specs map[string]driver.Spec
}

func newRuntime() *runtime {
	return &runtime{Driver: fake.New(fake.Options{HostName: host}), refused: map[string]int{}, specs: map[string]driver.Spec{}}
}

// enter records a call, or refuses it while the runtime is down.
func (r *runtime) enter(method, id, arg string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down && (r.only == nil || slices.Contains(r.only, method)) {
		r.refused[method]++
		return errdefs.Unavailablef("%s %s: cannot reach the runtime", method, id)
	}
	r.calls = append(r.calls, call{method, id, arg})
	if before := r.before; before != nil {
		r.mu.Unlock()
		before(call{method, id, arg})
		r.mu.Lock()
	}
	return nil
}

// setBefore makes f run before each call reaches the fake.
func (r *runtime) setBefore(f func(c call)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.before = f
}

// setDown makes the runtime stop (true) or start (false) answering:
// every call, or only those of methods.
func (r *runtime) setDown(down bool, methods ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down, r.only = down, methods
}

// refusedCalls is how many calls of method were refused while down.
func (r *runtime) refusedCalls(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused[method]
}

// mark is the number of calls so far; since(mark) returns later ones.
func (r *runtime) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// changes returns the calls since mark that change containers (not
// Inspect, List or PrepareImage).
func (r *runtime) changes(mark int) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls[mark:] {
		switch c.Method {
		case "Inspect", "List", "PrepareImage", "Events":
		default:
			out = append(out, c)
		}
	}
	return out
}

// spec is the spec of the runtime container created as name.
func (r *runtime) spec(name string) (driver.Spec, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.specs[name]
	return s, ok
}

// callsOf returns the calls of method since mark.
func (r *runtime) callsOf(mark int, method string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls[mark:] {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// count is how many calls of method reached the runtime since mark.
func (r *runtime) count(mark int, method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls[mark:] {
		if c.Method == method {
			n++
		}
	}
	return n
}

func (r *runtime) PrepareImage(ctx context.Context, image string, policy driver.PullPolicy) error {
	if err := r.enter("PrepareImage", image, string(policy)); err != nil {
		return err
	}
	return r.Driver.PrepareImage(ctx, image, policy)
}

func (r *runtime) Create(ctx context.Context, spec driver.Spec) (string, error) {
	if err := r.enter("Create", spec.Name, ""); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.specs[spec.Name] = spec
	r.mu.Unlock()
	return r.Driver.Create(ctx, spec)
}

func (r *runtime) Start(ctx context.Context, id string) error {
	if err := r.enter("Start", id, ""); err != nil {
		return err
	}
	return r.Driver.Start(ctx, id)
}

func (r *runtime) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if err := r.enter("Stop", id, timeout.String()); err != nil {
		return err
	}
	return r.Driver.Stop(ctx, id, timeout)
}

func (r *runtime) Restart(ctx context.Context, id string, timeout time.Duration) error {
	if err := r.enter("Restart", id, timeout.String()); err != nil {
		return err
	}
	return r.Driver.Restart(ctx, id, timeout)
}

func (r *runtime) Kill(ctx context.Context, id, signal string) error {
	if err := r.enter("Kill", id, signal); err != nil {
		return err
	}
	return r.Driver.Kill(ctx, id, signal)
}

func (r *runtime) Remove(ctx context.Context, id string, force bool) error {
	if err := r.enter("Remove", id, strconv.FormatBool(force)); err != nil {
		return err
	}
	return r.Driver.Remove(ctx, id, force)
}

func (r *runtime) Pause(ctx context.Context, id string) error {
	if err := r.enter("Pause", id, ""); err != nil {
		return err
	}
	return r.Driver.Pause(ctx, id)
}

func (r *runtime) Unpause(ctx context.Context, id string) error {
	if err := r.enter("Unpause", id, ""); err != nil {
		return err
	}
	return r.Driver.Unpause(ctx, id)
}

func (r *runtime) Inspect(ctx context.Context, id string) (driver.State, error) {
	if err := r.enter("Inspect", id, ""); err != nil {
		return driver.State{}, err
	}
	return r.Driver.Inspect(ctx, id)
}

func (r *runtime) List(ctx context.Context) ([]driver.State, error) {
	if err := r.enter("List", "", ""); err != nil {
		return nil, err
	}
	return r.Driver.List(ctx)
}

func (r *runtime) Events(ctx context.Context) (<-chan driver.Event, <-chan error) {
	events, errs := r.Driver.Events(ctx) // subscribed once it returns
	r.mu.Lock()
	r.calls = append(r.calls, call{Method: "Events"})
	r.mu.Unlock()
	return events, errs
}

// pinger is the runtime with a Ping that fails while err is set.
type pinger struct {
	*runtime
	mu  sync.Mutex
	err error
}

func (p *pinger) Ping(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pinger) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
}

// Interface guards
var (
	_ driver.Driver       = (*runtime)(nil)
	_ driver.Pauser       = (*runtime)(nil)
	_ driver.EventWatcher = (*runtime)(nil)
	_ driver.Pinger       = (*pinger)(nil)
)

// uuids numbers the containers of this test process.
var uuids atomic.Int64

// rig is an agent at work: its runtime, its control plane.
type rig struct {
	t   *testing.T
	cfg compute.Config // Host and SyncInterval set; change it before start
	rt  *runtime
	cp  *computetest.ControlPlane
	seq int // names containers
}

// newRig returns a rig whose agent is not started yet.
func newRig(t *testing.T) *rig {
	return &rig{t: t, cfg: compute.Config{Host: host, SyncInterval: syncInterval},
		rt: newRuntime(), cp: computetest.New()}
}

// start starts the agent on the rig's runtime; it stops when the test
// ends.
func (r *rig) start() *rig { return r.startOn(r.rt) }

// startOn starts the agent on drv, a wrapper of the rig's runtime.
func (r *rig) startOn(drv driver.Driver) *rig {
	agent := compute.New(r.cfg, drv, r.cp, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		agent.Run(ctx)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-done
	})
	// The agent lists the runtime once it has loaded its records: from
	// then on it sees every change.
	eventually(r.t, "the agent's first sync", func() bool { return r.rt.count(0, "List")+r.rt.refusedCalls("List") > 0 })
	return r
}

// record is a new record placed on the rig's host, as the API stores one
// before its create op.
func (r *rig) record(labels map[string]string) *container.Container {
	r.seq++
	return &container.Container{
		Schema: container.SchemaVersion,
		UUID:   fmt.Sprintf("00000000-0000-4000-8000-%012d", uuids.Add(1)),
		Name:   fmt.Sprintf("c%d", r.seq),
		Image:  "busybox",
		Labels: labels,
		Host:   host,
		Status: container.Creating,
	}
}

// add stores a new record with labels and returns its uuid.
func (r *rig) add(labels map[string]string) string {
	c := r.record(labels)
	r.cp.Put(c)
	return c.UUID
}

// do sets op on container uuid and waits until it is no longer pending
// (done, or the record forgotten); it returns the op's seq.
func (r *rig) do(uuid string, op container.Op) int64 {
	r.t.Helper()
	seq := r.cp.SetOp(uuid, op)
	eventually(r.t, fmt.Sprintf("op %s (seq %d) done", op.Action, seq), func() bool {
		c := r.cp.Get(uuid)
		return c == nil || c.Op == nil || c.Op.Seq != seq
	})
	return seq
}

// runtimeID is container uuid's runtime id as recorded.
func (r *rig) runtimeID(uuid string) string {
	r.t.Helper()
	c := r.cp.Get(uuid)
	if c == nil || c.RuntimeID == "" {
		r.t.Fatalf("container %s has no runtime id: %+v", uuid, c)
	}
	return c.RuntimeID
}

// passes waits until the agent has looked at the runtime container id n
// more times (n sync passes, or events): the agent has had n chances to
// report whatever it would report.
func (r *rig) passes(id string, n int) {
	r.t.Helper()
	from := r.inspections(id)
	eventually(r.t, fmt.Sprintf("%d more inspections of %s", n, id), func() bool {
		return r.inspections(id) >= from+n
	})
}

func (r *rig) inspections(id string) int {
	r.rt.mu.Lock()
	defer r.rt.mu.Unlock()
	n := 0
	for _, c := range r.rt.calls {
		if c.Method == "Inspect" && c.ID == id {
			n++
		}
	}
	return n
}

// syncs waits until the agent has listed the runtime n more times: n
// sync passes.
func (r *rig) syncs(n int) {
	r.t.Helper()
	from := r.rt.count(0, "List")
	eventually(r.t, fmt.Sprintf("%d more sync passes", n), func() bool {
		return r.rt.count(0, "List") >= from+n
	})
}

// atRest checks that the agent writes nothing more about container uuid
// in the next few looks at it: an outcome once reported is not reported
// again and again.
func (r *rig) atRest(uuid string) {
	r.t.Helper()
	writes, reports := r.cp.Writes(), len(r.cp.Reports(uuid))
	if c := r.cp.Get(uuid); c != nil && c.RuntimeID != "" {
		r.passes(c.RuntimeID, 4)
	} else {
		r.syncs(4)
	}
	if n := r.cp.Writes() - writes; n != 0 {
		r.t.Errorf("%d records written at rest; want none (reports: %+v)", n, r.cp.Reports(uuid)[reports:])
	}
}

// waitStatus waits until container uuid's record shows status.
func (r *rig) waitStatus(uuid string, status container.Status) {
	r.t.Helper()
	eventually(r.t, fmt.Sprintf("container %s %s", uuid, status), func() bool {
		c := r.cp.Get(uuid)
		return c != nil && c.Status == status
	})
}

// must fails the test on err.
func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// opReports returns the reports made for op seq of container uuid.
func (r *rig) opReports(uuid string, seq int64) []compute.Report {
	var out []compute.Report
	for _, rep := range r.cp.Reports(uuid) {
		if rep.Seq == seq {
			out = append(out, rep)
		}
	}
	return out
}

// observations returns the reports of container uuid that no op made.
func (r *rig) observations(uuid string) []compute.Report {
	return r.opReports(uuid, 0)
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}
