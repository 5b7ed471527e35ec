package compute_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// TestUnavailableRuntime: an op the runtime does not answer (ErrUnavailable,
// as when the engine is down or restarting) is neither reported nor
// dropped: it stays pending and is carried out, once, when the runtime
// answers again.
func TestUnavailableRuntime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		setup   []container.Op
		op      container.Op
		refused string // the call refused while the runtime is down
		only    bool   // only that call is refused (the runtime went down mid-op)
		calls   string // the op's call that must reach the runtime once
		status  container.Status
	}{
		{name: "create and run", op: runOp, refused: "PrepareImage", calls: "Create", status: container.Running},
		{name: "create and run, down between create and start", op: runOp, refused: "Start", only: true,
			calls: "Create", status: container.Running},
		{name: "start", setup: []container.Op{createOp}, op: container.Op{Action: container.ActStart, RequestID: "req"},
			refused: "Start", calls: "Start", status: container.Running},
		{name: "stop", setup: []container.Op{runOp}, op: stopOp, refused: "Stop", calls: "Stop", status: container.Stopped},
		{name: "delete after stop", setup: []container.Op{runOp},
			op: container.Op{Action: container.ActDelete, RequestID: "req", Stop: true}, refused: "Stop", calls: "Remove"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			uuid := r.add(nil)
			for _, op := range tc.setup {
				r.do(uuid, op)
			}
			if tc.only {
				r.rt.setDown(true, tc.refused)
			} else {
				r.rt.setDown(true)
			}
			mark := r.rt.mark()
			seq := r.cp.SetOp(uuid, tc.op)
			eventually(t, tc.refused+" refused", func() bool { return r.rt.refusedCalls(tc.refused) > 0 })
			// A few sync passes while it is down.
			lists := r.rt.refusedCalls("List") + r.rt.count(0, "List")
			eventually(t, "two more sync passes", func() bool {
				return r.rt.refusedCalls("List")+r.rt.count(0, "List") >= lists+2
			})
			for _, rep := range r.opReports(uuid, seq) {
				if rep.Done {
					t.Fatalf("op reported done while the runtime is down: %+v", rep)
				}
			}
			for _, e := range r.cp.Events(uuid) {
				if e.RequestID == tc.op.RequestID && e.Finished {
					t.Fatalf("action event finished while the runtime is down: %+v", e)
				}
			}
			if c := r.cp.Get(uuid); c == nil || c.Op == nil || c.Op.Seq != seq {
				t.Fatalf("op no longer pending while the runtime is down: %+v", c)
			}

			r.rt.setDown(false)
			eventually(t, "the op done once the runtime answers", func() bool {
				c := r.cp.Get(uuid)
				return c == nil || c.Op == nil
			})
			if n := r.rt.count(mark, tc.calls); n != 1 {
				t.Errorf("%s reached the runtime %d times; want once", tc.calls, n)
			}
			c := r.cp.Get(uuid)
			if tc.status == "" {
				if c != nil {
					t.Fatalf("record still there after the delete: %+v", c)
				}
				return
			}
			if c.Status != tc.status || c.StatusReason != "" {
				t.Errorf("status %q (%q); want %q", c.Status, c.StatusReason, tc.status)
			}
			done := 0
			for _, rep := range r.opReports(uuid, seq) {
				if rep.Done {
					done++
				}
			}
			if done != 1 {
				t.Errorf("op reported done %d times; want once", done)
			}
		})
	}
}

// TestOpNotRepeated: an op carried out is never carried out again, even
// when the watch hands the agent an older record that still shows it
// pending; a newer op is.
func TestOpNotRepeated(t *testing.T) {
	t.Parallel()
	r := newRig(t).start()
	uuid := r.add(nil)
	r.do(uuid, runOp)
	id := r.runtimeID(uuid)
	mark := r.rt.mark()
	stale := r.cp.Get(uuid)
	seq := r.do(uuid, stopOp)
	stale.SetOp(stopOp) // the record as it was while the stop was pending
	if stale.Op.Seq != seq {
		t.Fatalf("stale op seq %d; want %d", stale.Op.Seq, seq)
	}
	r.cp.Replay(stale)
	r.syncs(3)
	if n := r.rt.count(mark, "Stop"); n != 1 {
		t.Errorf("the stop reached the runtime %d times; want once", n)
	}
	if st, err := r.rt.Inspect(t.Context(), id); err != nil || st.Status != driver.StatusExited {
		t.Errorf("runtime container %s, %v; want exited", st.Status, err)
	}

	// The same kind of op, newer, is carried out.
	mark = r.rt.mark()
	r.do(uuid, container.Op{Action: container.ActStart, RequestID: "req-start"})
	r.do(uuid, container.Op{Action: container.ActStop, RequestID: "req-stop-2"})
	if n := r.rt.count(mark, "Stop"); n != 1 {
		t.Errorf("the second stop reached the runtime %d times; want once", n)
	}
	if c := r.cp.Get(uuid); c.Status != container.Stopped {
		t.Errorf("status %q after start and stop; want Stopped", c.Status)
	}
}

// TestObserveReportsOnlyChanges: what the runtime does by itself is
// reported once per change, and a container at rest is not reported at
// all, however many sync passes and events go by (a container stopped and
// started again once caused a report at every pass).
func TestObserveReportsOnlyChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		act      func(r *rig, uuid, id string)
		want     []container.Status // the observations reported, in order
		exitCode int                // of the record at the end; -1: none
	}{
		{name: "at rest", exitCode: -1,
			act: func(r *rig, uuid, id string) {}},
		{name: "stopped and started again", want: []container.Status{container.Stopped, container.Running}, exitCode: -1,
			act: func(r *rig, uuid, id string) {
				r.must(r.rt.Stop(r.t.Context(), id, time.Second))
				r.waitStatus(uuid, container.Stopped)
				r.must(r.rt.Start(r.t.Context(), id))
				r.waitStatus(uuid, container.Running)
			}},
		{name: "stopped and started three times",
			want: []container.Status{container.Stopped, container.Running, container.Stopped, container.Running,
				container.Stopped, container.Running}, exitCode: -1,
			act: func(r *rig, uuid, id string) {
				for range 3 {
					r.must(r.rt.Stop(r.t.Context(), id, time.Second))
					r.waitStatus(uuid, container.Stopped)
					r.must(r.rt.Start(r.t.Context(), id))
					r.waitStatus(uuid, container.Running)
				}
			}},
		{name: "crashed", want: []container.Status{container.Stopped}, exitCode: 3,
			act: func(r *rig, uuid, id string) {
				r.must(r.rt.Exit(id, 3))
				r.waitStatus(uuid, container.Stopped)
			}},
		{name: "paused and unpaused behind its back", want: []container.Status{container.Paused, container.Running}, exitCode: -1,
			act: func(r *rig, uuid, id string) {
				r.must(r.rt.Pause(r.t.Context(), id))
				r.waitStatus(uuid, container.Paused)
				r.must(r.rt.Unpause(r.t.Context(), id))
				r.waitStatus(uuid, container.Running)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			uuid := r.add(nil)
			r.do(uuid, runOp)
			id := r.runtimeID(uuid)
			r.passes(id, 2)
			from := len(r.observations(uuid))
			writes := r.cp.Writes()

			tc.act(r, uuid, id)
			r.passes(id, 2)
			settled := len(r.observations(uuid))
			r.passes(id, 4)
			if n := len(r.observations(uuid)) - settled; n != 0 {
				t.Errorf("%d more reports in 4 passes at rest; want none", n)
			}
			// An event that comes before the watch brings the agent's own
			// report back may report the same again (not written); what is
			// reported, in order, is each change once.
			var got []container.Status
			for _, rep := range r.observations(uuid)[from:] {
				if len(got) == 0 || got[len(got)-1] != rep.Status {
					got = append(got, rep.Status)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("observations reported %q; want %q", got, tc.want)
			}
			if n := r.cp.Writes() - writes; n != len(tc.want) {
				t.Errorf("%d records written; want %d", n, len(tc.want))
			}
			c := r.cp.Get(uuid)
			switch {
			case tc.exitCode < 0 && c.ExitCode != nil:
				t.Errorf("exit code %d; want none", *c.ExitCode)
			case tc.exitCode >= 0 && (c.ExitCode == nil || *c.ExitCode != tc.exitCode):
				t.Errorf("exit code %v; want %d", c.ExitCode, tc.exitCode)
			}
		})
	}
}

// TestVanished: a runtime container that disappears makes its record
// Error ("No such container", as Zun's sync says), once; an auto_remove
// container that exits, by itself or stopped, is shown as Deleted and then
// forgotten; a record that never reached the runtime is left alone.
func TestVanished(t *testing.T) {
	t.Parallel()

	t.Run("removed behind its back", func(t *testing.T) {
		t.Parallel()
		r := newRig(t).start()
		uuid := r.add(nil)
		r.do(uuid, runOp)
		id := r.runtimeID(uuid)
		r.must(r.rt.Remove(t.Context(), id, true))
		r.waitStatus(uuid, container.Error)
		r.passes(id, 4)
		want := fmt.Sprintf("No such container: %s in fake", id)
		if c := r.cp.Get(uuid); c.StatusReason != want {
			t.Errorf("reason %q; want %q", c.StatusReason, want)
		}
		writes := r.cp.Writes()
		reports := len(r.cp.Reports(uuid))
		r.passes(id, 4)
		if n := len(r.cp.Reports(uuid)) - reports; n != 0 {
			t.Errorf("%d more reports in 4 passes; want none", n)
		}
		if n := r.cp.Writes() - writes; n != 0 {
			t.Errorf("%d more records written in 4 passes; want none", n)
		}
	})

	t.Run("auto_remove", func(t *testing.T) {
		t.Parallel()
		r := newRig(t).start()
		c := r.record(nil)
		c.AutoRemove = true
		r.cp.Put(c)
		r.do(c.UUID, runOp)
		id := r.runtimeID(c.UUID)
		r.must(r.rt.Exit(id, 0))
		eventually(t, "the record forgotten", func() bool { return r.cp.Get(c.UUID) == nil })
		var got []container.Status
		for _, rep := range r.observations(c.UUID) {
			got = append(got, rep.Status)
		}
		if !slices.Contains(got, container.Deleted) || slices.Contains(got, container.Error) {
			t.Errorf("observations %q; want Deleted, no Error", got)
		}
		if !slices.Equal(r.cp.Forgotten(), []string{c.UUID}) {
			t.Errorf("forgotten %q; want %q", r.cp.Forgotten(), c.UUID)
		}
	})

	t.Run("auto_remove, stopped by an op", func(t *testing.T) {
		t.Parallel()
		r := newRig(t).start()
		c := r.record(nil)
		c.AutoRemove = true
		r.cp.Put(c)
		r.do(c.UUID, runOp)
		r.do(c.UUID, stopOp)
		eventually(t, "the record forgotten", func() bool { return r.cp.Get(c.UUID) == nil })
		for _, rep := range r.cp.Reports(c.UUID) {
			if rep.Status == container.Error {
				t.Errorf("reported Error: %+v", rep)
			}
		}
	})

	t.Run("never reached the runtime", func(t *testing.T) {
		t.Parallel()
		r := newRig(t).start()
		uuid := r.add(nil)
		r.syncs(4)
		if reps := r.cp.Reports(uuid); len(reps) != 0 {
			t.Errorf("reported %+v; want nothing", reps)
		}
		if c := r.cp.Get(uuid); c.Status != container.Creating {
			t.Errorf("status %q; want Creating, untouched", c.Status)
		}
	})
}

// TestOrphansRemoved: runtime containers of this agent's whose records are
// gone (deleted while the agent was away, or moved to another host) are
// removed by the sync; those with records are kept.
func TestOrphansRemoved(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := t.Context()
	r.rt.AddImage("busybox")
	newCtr := func(uuid string, start bool) string {
		t.Helper()
		id, err := r.rt.Driver.Create(ctx, driver.Spec{Name: "zun-" + uuid, Image: "busybox",
			Labels: map[string]string{driver.LabelManaged: "true", driver.LabelUUID: uuid, driver.LabelHost: host}})
		r.must(err)
		if start {
			r.must(r.rt.Driver.Start(ctx, id))
		}
		return id
	}
	kept := r.record(nil)
	kept.RuntimeID = newCtr(kept.UUID, true)
	kept.Status = container.Running
	r.cp.Put(kept)
	elsewhere := r.record(nil)
	elsewhere.Host = "host-2"
	elsewhere.RuntimeID = newCtr(elsewhere.UUID, true)
	r.cp.Put(elsewhere)
	orphans := []string{newCtr("00000000-0000-4000-8000-orphan000001", true), newCtr("00000000-0000-4000-8000-orphan000002", false),
		elsewhere.RuntimeID}

	r.start()
	for _, id := range orphans {
		eventually(t, "orphan "+id+" removed", func() bool {
			_, err := r.rt.Driver.Inspect(ctx, id)
			return errdefs.IsNotFound(err)
		})
	}
	r.syncs(2)
	if st, err := r.rt.Driver.Inspect(ctx, kept.RuntimeID); err != nil || st.Status != driver.StatusRunning {
		t.Errorf("container with a record: %s, %v; want running", st.Status, err)
	}
	for _, c := range r.rt.changes(0) {
		if c.Method != "Remove" || !slices.Contains(orphans, c.ID) || c.Arg != "true" {
			t.Errorf("runtime call %+v; want only forced removals of orphans", c)
		}
	}
	if c := r.cp.Get(kept.UUID); c.Status != container.Running {
		t.Errorf("kept container's status %q; want Running", c.Status)
	}
}

// TestHeartbeat: the host is reported alive with its name and driver, and
// not ready, with the reason, while a runtime that can be pinged does not
// answer.
func TestHeartbeat(t *testing.T) {
	t.Parallel()
	down := errdefs.Unavailablef("cannot connect to the Docker daemon")
	for _, tc := range []struct {
		name string
		ping bool  // the driver is a driver.Pinger
		err  error // its Ping fails with err, then answers
	}{
		{name: "no ping"},
		{name: "runtime answers", ping: true},
		{name: "runtime down, then up", ping: true, err: down},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.cfg.HeartbeatInterval = 10 * time.Millisecond
			if !tc.ping {
				r.start()
			} else {
				p := &pinger{runtime: r.rt, err: tc.err}
				r.startOn(p)
				if tc.err != nil {
					eventually(t, "a heartbeat saying not ready", func() bool {
						return slices.ContainsFunc(r.cp.Heartbeats(), func(h compute.HostInfo) bool {
							return strings.Contains(h.NotReady, tc.err.Error())
						})
					})
					p.setErr(nil)
				}
			}
			from := len(r.cp.Heartbeats())
			eventually(t, "a ready heartbeat", func() bool {
				hbs := r.cp.Heartbeats()
				return len(hbs) > from && hbs[len(hbs)-1].NotReady == ""
			})
			for _, h := range r.cp.Heartbeats() {
				if h.Name != host || h.Driver != "fake" || h.Facts.CPUs == 0 {
					t.Errorf("heartbeat of %q, driver %q, %d CPUs; want %q, fake, the runtime's facts", h.Name, h.Driver, h.Facts.CPUs, host)
				}
				if h.NotReady != "" && tc.err == nil {
					t.Errorf("not ready (%q) though the runtime answers", h.NotReady)
				}
			}
		})
	}
}

// TestRestartPolicy: a container that crashes and is restarted by its
// runtime's policy ends up Running, with no exit code, and at rest; one
// whose policy gives up ends up Stopped with the crash's exit code.
func TestRestartPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		policy   container.RestartPolicy
		status   container.Status
		exitCode int // -1: none
	}{
		{name: "always", policy: container.RestartPolicy{Name: "always"}, status: container.Running, exitCode: -1},
		{name: "on-failure", policy: container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}, status: container.Running, exitCode: -1},
		{name: "no", policy: container.RestartPolicy{Name: "no"}, status: container.Stopped, exitCode: 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			c := r.record(nil)
			c.RestartPolicy = tc.policy
			r.cp.Put(c)
			r.do(c.UUID, runOp)
			id := r.runtimeID(c.UUID)
			started := r.cp.Get(c.UUID).StartedAt
			r.must(r.rt.Exit(id, 7))
			eventually(t, "restarted by its policy, or stopped", func() bool {
				st, err := r.rt.Inspect(t.Context(), id)
				return err == nil && (st.Status == driver.StatusExited || st.StartedAt.After(started))
			})
			r.waitStatus(c.UUID, tc.status)
			r.atRest(c.UUID)
			got := r.cp.Get(c.UUID)
			switch {
			case got.Status != tc.status:
				t.Errorf("status %q at rest; want %q", got.Status, tc.status)
			case tc.exitCode < 0 && got.ExitCode != nil:
				t.Errorf("exit code %d; want none", *got.ExitCode)
			case tc.exitCode >= 0 && (got.ExitCode == nil || *got.ExitCode != tc.exitCode):
				t.Errorf("exit code %v; want %d", got.ExitCode, tc.exitCode)
			case tc.status == container.Running && !got.StartedAt.After(started):
				t.Errorf("started at %v; want the restart's time, after %v", got.StartedAt, started)
			}
		})
	}
}

// TestSupersededOp: an op asked for while the agent carries out an older
// one is carried out next; the older one's outcome, reported after the
// newer op was set, does not clear it nor set the status.
func TestSupersededOp(t *testing.T) {
	t.Parallel()
	r := newRig(t).start()
	uuid := r.add(nil)
	r.do(uuid, runOp)
	var newerSeq atomic.Int64
	r.rt.setBefore(func(c call) {
		if c.Method == "Stop" && newerSeq.Load() == 0 {
			newerSeq.Store(r.cp.SetOp(uuid, container.Op{Action: container.ActStart, RequestID: "req-start"}))
		}
	})
	mark := r.rt.mark()
	older := r.cp.SetOp(uuid, stopOp)
	eventually(t, "both ops done", func() bool {
		c := r.cp.Get(uuid)
		return newerSeq.Load() != 0 && c.Op == nil
	})
	newer := newerSeq.Load()
	if stops, starts := r.rt.count(mark, "Stop"), r.rt.count(mark, "Start"); stops != 1 || starts != 1 {
		t.Errorf("%d stops, %d starts reached the runtime; want one each", stops, starts)
	}
	c := r.cp.Get(uuid)
	if c.Status != container.Running || c.ExitCode != nil || c.TaskState != container.TaskNone {
		t.Errorf("status %q, exit code %v, task state %q; want Running, none, none", c.Status, c.ExitCode, c.TaskState)
	}
	for _, seq := range []int64{older, newer} {
		done := 0
		for _, rep := range r.opReports(uuid, seq) {
			if rep.Done {
				done++
			}
		}
		if done != 1 {
			t.Errorf("op %d reported done %d times; want once", seq, done)
		}
	}
	r.atRest(uuid)
}

// TestPostponedOpNoWriteLoop: an op postponed because one runtime call
// answers ErrUnavailable while the others work (an engine that answers
// 503 to a start, say) waits for the next sync pass or runtime event; its
// own progress reports do not make it try again and again.
func TestPostponedOpNoWriteLoop(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.cfg.SyncInterval = time.Hour // no sync passes: only the op's own doings could kick it
	r.cfg.HeartbeatInterval = 10 * time.Millisecond
	r.start()
	uuid := r.add(nil)
	r.rt.setDown(true, "Start")
	r.cp.SetOp(uuid, runOp)
	eventually(t, "the start refused", func() bool { return r.rt.refusedCalls("Start") > 0 })
	beats := len(r.cp.Heartbeats())
	eventually(t, "20 heartbeats", func() bool { return len(r.cp.Heartbeats()) >= beats+20 })
	if n := r.rt.refusedCalls("Start"); n > 3 {
		t.Errorf("the start tried %d times in 20 heartbeats without a sync pass or event; want at most 3", n)
	}
	r.rt.setDown(false)
	r.rt.Emit(driver.Event{UUID: uuid, Action: "start"}) // a runtime event kicks it
	r.waitStatus(uuid, container.Running)
}
