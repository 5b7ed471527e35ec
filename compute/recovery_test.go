package compute_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// TestPullPolicy: Zun's pull policies. Without one, an untagged or latest
// image is pulled always and another if not present; a default pull that
// fails falls back on the host's copy. An explicit policy is kept to.
func TestPullPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		image    string
		policy   string // the record's image_pull_policy
		present  bool   // the image is on the host
		pullFail bool
		pulls    []string // PrepareImage calls: image:policy
		status   container.Status
	}{
		{name: "untagged: pulled always", image: "busybox", present: true,
			pulls: []string{"busybox:always"}, status: container.Created},
		{name: "tagged: pulled if not present", image: "busybox:1.36",
			pulls: []string{"busybox:1.36:ifnotpresent"}, status: container.Created},
		{name: "latest, the pull fails: the host's copy", image: "busybox:latest", present: true, pullFail: true,
			pulls: []string{"busybox:latest:always", "busybox:latest:never"}, status: container.Created},
		{name: "latest, the pull fails, no copy", image: "busybox:latest", pullFail: true,
			pulls: []string{"busybox:latest:always", "busybox:latest:never"}, status: container.Error},
		{name: "explicit always, the pull fails: no fallback", image: "busybox", policy: "Always", present: true, pullFail: true,
			pulls: []string{"busybox:always"}, status: container.Error},
		{name: "explicit never, absent", image: "busybox:1.36", policy: "never",
			pulls: []string{"busybox:1.36:never"}, status: container.Error},
		{name: "explicit never, present", image: "busybox:1.36", policy: "never", present: true,
			pulls: []string{"busybox:1.36:never"}, status: container.Created},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			if tc.present {
				r.rt.AddImage(tc.image)
			}
			if tc.pullFail {
				r.rt.FailPull(tc.image, errdefs.Unauthorizedf("registry refused the pull"))
			}
			c := r.record(nil)
			c.Image, c.ImagePullPolicy = tc.image, tc.policy
			r.cp.Put(c)
			mark := r.rt.mark()
			r.do(c.UUID, createOp)
			var pulls []string
			for _, call := range r.rt.callsOf(mark, "PrepareImage") {
				pulls = append(pulls, call.ID+":"+call.Arg)
			}
			if !slices.Equal(pulls, tc.pulls) {
				t.Errorf("pulls %q; want %q", pulls, tc.pulls)
			}
			got := r.cp.Get(c.UUID)
			if got.Status != tc.status {
				t.Errorf("status %q (%q); want %q", got.Status, got.StatusReason, tc.status)
			}
			if tc.status == container.Error && !strings.Contains(got.StatusReason, tc.image) {
				t.Errorf("reason %q does not name the image %s", got.StatusReason, tc.image)
			}
		})
	}
}

// TestPendingOpsAfterRestart: an agent that starts (again) carries out the
// ops still pending in its records, and a create finds the runtime
// container an earlier attempt left (a crash between the runtime's create
// and the report) and adopts it rather than making a second.
func TestPendingOpsAfterRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		leftover string // the runtime container an earlier attempt left: "", created, running
		op       container.Op
		calls    []string
		status   container.Status
	}{
		{name: "create and run, nothing left", op: runOp, calls: []string{"Create", "Start"}, status: container.Running},
		{name: "create and run, created before the crash", leftover: driver.StatusCreated, op: runOp,
			calls: []string{"Start"}, status: container.Running},
		{name: "create and run, started before the crash", leftover: driver.StatusRunning, op: runOp,
			calls: []string{"Start"}, status: container.Running},
		{name: "create, created before the crash", leftover: driver.StatusCreated, op: createOp,
			calls: nil, status: container.Created},
		{name: "stop, no runtime id recorded", leftover: driver.StatusRunning, op: stopOp,
			calls: []string{"Stop"}, status: container.Stopped},
		{name: "delete, nothing left", op: container.Op{Action: container.ActDelete, RequestID: "req", Force: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			ctx := t.Context()
			c := r.record(nil)
			c.SetOp(tc.op)
			leftover := ""
			if tc.leftover != "" {
				r.rt.AddImage(c.Image)
				id, err := r.rt.Driver.Create(ctx, driver.Spec{Name: "zun-" + c.UUID, Image: c.Image,
					Labels: map[string]string{driver.LabelManaged: "true", driver.LabelUUID: c.UUID, driver.LabelHost: host}})
				r.must(err)
				if tc.leftover == driver.StatusRunning {
					r.must(r.rt.Driver.Start(ctx, id))
				}
				leftover = id
			}
			r.cp.Put(c)
			r.start()
			eventually(t, "the pending op done", func() bool {
				got := r.cp.Get(c.UUID)
				return got == nil || got.Op == nil
			})
			var calls []string
			for _, call := range r.rt.changes(0) {
				calls = append(calls, call.Method)
			}
			if !slices.Equal(calls, tc.calls) {
				t.Errorf("runtime calls %q; want %q", calls, tc.calls)
			}
			got := r.cp.Get(c.UUID)
			if tc.op.Action == container.ActDelete {
				if got != nil {
					t.Errorf("record still there after the delete: %+v", got)
				}
				return
			}
			if got.Status != tc.status || (leftover != "" && got.RuntimeID != leftover) {
				t.Errorf("status %q (%q), runtime id %q; want %q, %q", got.Status, got.StatusReason, got.RuntimeID, tc.status, leftover)
			}
			states, err := r.rt.Driver.List(ctx)
			r.must(err)
			if len(states) != 1 {
				t.Errorf("%d runtime containers; want 1", len(states))
			}
		})
	}
}

// TestRecordGone: a record deleted or moved to another host while the
// agent runs (the watch sends it as deleted) has its runtime container
// removed at the next sync.
func TestRecordGone(t *testing.T) {
	t.Parallel()
	r := newRig(t).start()
	gone, kept := r.add(nil), r.add(nil)
	r.do(gone, runOp)
	r.do(kept, runOp)
	goneID, keptID := r.runtimeID(gone), r.runtimeID(kept)
	r.cp.Delete(gone)
	eventually(t, "the runtime container removed", func() bool {
		_, err := r.rt.Driver.Inspect(t.Context(), goneID)
		return errdefs.IsNotFound(err)
	})
	r.syncs(2)
	if st, err := r.rt.Driver.Inspect(t.Context(), keptID); err != nil || st.Status != driver.StatusRunning {
		t.Errorf("the other container: %s, %v; want running", st.Status, err)
	}
	if reps := r.cp.Reports(gone); slices.ContainsFunc(reps, func(rep compute.Report) bool { return rep.Seq == 0 }) {
		t.Errorf("reports about the gone record: %+v", reps)
	}
}

// noPause is a runtime without the optional driver.Pauser.
type noPause struct{ rt *runtime }

func (n noPause) Name() string { return n.rt.Name() }
func (n noPause) PrepareImage(ctx context.Context, image string, p driver.PullPolicy) error {
	return n.rt.PrepareImage(ctx, image, p)
}
func (n noPause) Create(ctx context.Context, s driver.Spec) (string, error) {
	return n.rt.Create(ctx, s)
}
func (n noPause) Start(ctx context.Context, id string) error { return n.rt.Start(ctx, id) }
func (n noPause) Stop(ctx context.Context, id string, d time.Duration) error {
	return n.rt.Stop(ctx, id, d)
}
func (n noPause) Restart(ctx context.Context, id string, d time.Duration) error {
	return n.rt.Restart(ctx, id, d)
}
func (n noPause) Kill(ctx context.Context, id, s string) error { return n.rt.Kill(ctx, id, s) }
func (n noPause) Remove(ctx context.Context, id string, f bool) error {
	return n.rt.Remove(ctx, id, f)
}
func (n noPause) Inspect(ctx context.Context, id string) (driver.State, error) {
	return n.rt.Inspect(ctx, id)
}
func (n noPause) List(ctx context.Context) ([]driver.State, error) { return n.rt.List(ctx) }

// TestPauseNotSupported: on a runtime that cannot pause, a pause is done
// with the reason in its event, and the container keeps running.
func TestPauseNotSupported(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.startOn(noPause{r.rt})
	uuid := r.add(nil)
	r.do(uuid, runOp)
	mark := r.rt.mark()
	r.do(uuid, pauseOp)
	if calls := r.rt.changes(mark); len(calls) != 0 {
		t.Errorf("runtime calls %+v; want none", calls)
	}
	var causes []string
	for _, e := range r.cp.Events(uuid) {
		if e.RequestID == pauseOp.RequestID && e.Finished {
			causes = append(causes, e.Cause)
		}
	}
	if len(causes) != 1 || !strings.Contains(causes[0], "cannot pause") {
		t.Errorf("finished events with causes %q; want one saying the runtime cannot pause", causes)
	}
	eventually(t, "Running, no reason", func() bool {
		c := r.cp.Get(uuid)
		return c.Status == container.Running && c.StatusReason == "" && c.Op == nil
	})
}

// Interface guards
var _ driver.Driver = noPause{}

// TestWatchBroken: when the control plane's watch breaks (and Watch fails
// for a while), the agent watches again and catches up from the new
// snapshot: an op set meanwhile is carried out, the runtime container of
// a record deleted meanwhile is removed.
func TestWatchBroken(t *testing.T) {
	t.Parallel()
	r := newRig(t).start()
	gone, kept := r.add(nil), r.add(nil)
	r.do(gone, runOp)
	r.do(kept, runOp)
	goneID := r.runtimeID(gone)

	r.cp.FailWatch(errdefs.Unavailablef("etcd: no leader"))
	r.cp.BreakWatches()
	r.cp.Delete(gone)
	seq := r.cp.SetOp(kept, stopOp)
	r.syncs(2)
	if c := r.cp.Get(kept); c.Op == nil || c.Op.Seq != seq {
		t.Fatalf("op carried out without a watch: %+v", c.Op)
	}
	watches := r.cp.Watches()
	r.cp.FailWatch(nil)
	r.waitStatus(kept, container.Stopped)
	if r.cp.Watches() <= watches {
		t.Errorf("no new watch")
	}
	eventually(t, "the deleted record's runtime container removed", func() bool {
		_, err := r.rt.Driver.Inspect(t.Context(), goneID)
		return errdefs.IsNotFound(err)
	})
}

// TestEventsAlone: with no periodic sync, runtime events alone bring what
// a container does to its record, also after the event stream broke (an
// engine restart) and the agent subscribed again.
func TestEventsAlone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.cfg.SyncInterval = time.Hour
	r.start()
	uuid := r.add(nil)
	r.do(uuid, runOp)
	id := r.runtimeID(uuid)
	r.must(r.rt.Exit(id, 2))
	r.waitStatus(uuid, container.Stopped)

	r.must(r.rt.Start(t.Context(), id))
	r.waitStatus(uuid, container.Running)
	subscribed := len(r.rt.callsOf(0, "Events"))
	r.rt.BreakEvents(nil)
	eventually(t, "subscribed again", func() bool { return len(r.rt.callsOf(0, "Events")) > subscribed })
	r.must(r.rt.Exit(id, 3))
	eventually(t, "the exit seen through the new stream", func() bool {
		c := r.cp.Get(uuid)
		return c.Status == container.Stopped && c.ExitCode != nil && *c.ExitCode == 3
	})
}
