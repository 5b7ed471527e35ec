package drivertest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// optionalOps are the calls of the optional interfaces the driver
// implements, on container id.
func optionalOps(e *env, id string) map[string]func() error {
	ops := map[string]func() error{}
	if p, ok := e.d.(driver.Pauser); ok {
		ops["pause"] = func() error { return p.Pause(e.ctx, id) }
		ops["unpause"] = func() error { return p.Unpause(e.ctx, id) }
	}
	if x, ok := e.d.(driver.Execer); ok {
		ops["exec"] = func() error { _, err := x.Exec(e.ctx, id, []string{"true"}); return err }
	}
	if l, ok := e.d.(driver.Logger); ok {
		ops["logs"] = func() error {
			rc, err := l.Logs(e.ctx, id, driver.LogOptions{Stdout: true})
			if err == nil {
				rc.Close()
			}
			return err
		}
	}
	if u, ok := e.d.(driver.Updater); ok {
		ops["update"] = func() error { return u.Update(e.ctx, id, driver.Resources{MemoryMiB: 64}) }
	}
	if s, ok := e.d.(driver.Statter); ok {
		ops["stats"] = func() error { _, err := s.Stats(e.ctx, id); return err }
	}
	if tp, ok := e.d.(driver.Topper); ok {
		ops["top"] = func() error { _, err := tp.Top(e.ctx, id, ""); return err }
	}
	if c, ok := e.d.(driver.Committer); ok {
		ops["commit"] = func() error { _, err := c.Commit(e.ctx, id, CommitRepo, "missing"); return err }
	}
	return ops
}

// implements skips t unless the driver implements the optional interface
// I and returns it.
func implements[I any](t *testing.T, d driver.Driver) I {
	t.Helper()
	i, ok := d.(I)
	if !ok {
		t.Skipf("%s driver does not implement %s", d.Name(), reflect.TypeFor[I]())
	}
	return i
}

func testEvents(t *testing.T, e *env) {
	ew := implements[driver.EventWatcher](t, e.d)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	events, errs := ew.Events(ctx)

	spec := e.sleeper()
	id := e.run(spec)
	e.waitStatus(id, driver.StatusRunning)
	if err := e.d.Kill(e.ctx, id, "KILL"); err != nil {
		t.Fatalf("kill: %v", err)
	}
	timeout := time.After(10 * time.Second)
	for died := false; !died; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream closed before the die event: %v", <-errs)
			}
			if ev.ID == id && ev.Action == "die" {
				if ev.UUID != spec.Labels[driver.LabelUUID] || ev.Time.IsZero() {
					t.Fatalf("die event: got uuid %q time %v, want %q and a time", ev.UUID, ev.Time, spec.Labels[driver.LabelUUID])
				}
				died = true
			}
		case <-timeout:
			t.Fatalf("no die event of %s within 10s", id)
		}
	}

	// Ending the context ends the stream, without an error.
	cancel()
	timeout = time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-timeout:
			t.Fatalf("event stream still open 10s after its context ended")
		}
	}
	if err := <-errs; err != nil {
		t.Fatalf("event stream ended by its context: got error %v, want nil", err)
	}
}

func testPause(t *testing.T, e *env) {
	p := implements[driver.Pauser](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	if err := p.Pause(e.ctx, id); err != nil {
		t.Fatalf("pause: %v", err)
	}
	e.waitStatus(id, driver.StatusPaused)
	wantKind(t, "pause a paused container", p.Pause(e.ctx, id), errdefs.ErrConflict)
	if err := p.Unpause(e.ctx, id); err != nil {
		t.Fatalf("unpause: %v", err)
	}
	e.waitStatus(id, driver.StatusRunning)
	wantKind(t, "unpause a running container", p.Unpause(e.ctx, id), errdefs.ErrConflict)
}

func testExec(t *testing.T, e *env) {
	x := implements[driver.Execer](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	for _, tc := range []struct {
		cmd  []string
		want driver.ExecResult
	}{
		{[]string{"sh", "-c", "echo hi; exit 4"}, driver.ExecResult{Output: "hi\n", ExitCode: 4}},
		{[]string{"echo", "hello", "world"}, driver.ExecResult{Output: "hello world\n"}},
		{[]string{"sh", "-c", "echo oops >&2; false"}, driver.ExecResult{Output: "oops\n", ExitCode: 1}},
	} {
		got, err := x.Exec(e.ctx, id, tc.cmd)
		if err != nil {
			t.Fatalf("exec %q: %v", tc.cmd, err)
		}
		if got != tc.want {
			t.Fatalf("exec %q: got %+v, want %+v", tc.cmd, got, tc.want)
		}
	}
	created := e.create(e.sleeper())
	_, err := x.Exec(e.ctx, created, []string{"true"})
	wantKind(t, "exec in a container that is not running", err, errdefs.ErrConflict)
}

func testUpdate(t *testing.T, e *env) {
	u := implements[driver.Updater](t, e.d)
	spec := e.sleeper()
	spec.CPU, spec.MemoryMiB = 0.5, 64
	id := e.run(spec)
	e.waitStatus(id, driver.StatusRunning)
	if err := u.Update(e.ctx, id, driver.Resources{CPU: 1, MemoryMiB: 128}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if s, ok := e.d.(driver.Statter); ok {
		st, err := s.Stats(e.ctx, id)
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		if st.MemLimitBytes != 128<<20 {
			t.Fatalf("memory limit after update: got %d, want %d", st.MemLimitBytes, 128<<20)
		}
	}
	wantKind(t, "update with negative cpu", u.Update(e.ctx, id, driver.Resources{CPU: -1}), errdefs.ErrInvalid)
}

func testStats(t *testing.T, e *env) {
	s := implements[driver.Statter](t, e.d)
	spec := e.sleeper()
	spec.MemoryMiB = 64
	id := e.run(spec)
	e.waitStatus(id, driver.StatusRunning)
	st, err := s.Stats(e.ctx, id)
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	if st.MemLimitBytes != 64<<20 {
		t.Fatalf("memory limit: got %d, want %d", st.MemLimitBytes, 64<<20)
	}
	if st.MemUsageBytes == 0 || st.MemUsageBytes > st.MemLimitBytes || st.CPUPercent < 0 {
		t.Fatalf("stats: got memory use %d of %d, cpu %v%%, want some memory in use and cpu >= 0",
			st.MemUsageBytes, st.MemLimitBytes, st.CPUPercent)
	}
}

func testTop(t *testing.T, e *env) {
	tp := implements[driver.Topper](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	top, err := tp.Top(e.ctx, id, "")
	if err != nil {
		t.Fatalf("top: %v", err)
	}
	if !slices.Contains(top.Titles, "PID") || len(top.Processes) == 0 {
		t.Fatalf("top: got titles %q and %d processes, want a PID column and processes", top.Titles, len(top.Processes))
	}
	for _, p := range top.Processes {
		if len(p) != len(top.Titles) {
			t.Fatalf("top: process %q has %d columns, want %d", p, len(p), len(top.Titles))
		}
	}
	_, err = tp.Top(e.ctx, e.create(e.sleeper()), "")
	wantKind(t, "top of a container that is not running", err, errdefs.ErrConflict)
}

func testCommit(t *testing.T, e *env) {
	c := implements[driver.Committer](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	tag := "t" + uuid.NewString()[:8]
	imageID, err := c.Commit(e.ctx, id, CommitRepo, tag)
	if err != nil || imageID == "" {
		t.Fatalf("commit: got id %q, error %v; want an id", imageID, err)
	}
	if st := e.inspect(id); st.Status != driver.StatusRunning {
		t.Fatalf("after commit: got status %s, want running", st.Status)
	}
	if err := e.d.PrepareImage(e.ctx, CommitRepo+":"+tag, driver.PullNever); err != nil {
		t.Fatalf("committed image: %v", err)
	}
}
