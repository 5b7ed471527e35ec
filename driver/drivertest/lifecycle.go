package drivertest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// sub is e for subtest t.
func (e *env) sub(t *testing.T) *env {
	return &env{t: t, d: e.d, image: e.image, ctx: t.Context()}
}

func testLifecycle(t *testing.T, e *env) {
	spec := e.sleeper()
	spec.Hostname = "dt-host"
	spec.Labels["app"] = "drivertest"
	spec.Env = map[string]string{"GREETING": "hello"}
	id := e.create(spec)

	st := e.inspect(id)
	if st.ID != id || st.Name != spec.Name || st.Image != spec.Image || st.Status != driver.StatusCreated {
		t.Fatalf("created: got id %q name %q image %q status %q, want %q %q %q %q",
			st.ID, st.Name, st.Image, st.Status, id, spec.Name, spec.Image, driver.StatusCreated)
	}
	for _, k := range []string{driver.LabelManaged, driver.LabelUUID, "app"} {
		if got, want := st.Labels[k], spec.Labels[k]; got != want {
			t.Fatalf("label %s: got %q, want %q", k, got, want)
		}
	}
	if st.Hostname != "dt-host" {
		t.Fatalf("hostname: got %q, want %q", st.Hostname, "dt-host")
	}
	// The suite's image exposes no port, and a spec cannot ask for one.
	if len(st.Ports) != 0 {
		t.Fatalf("ports: got %v, want none", st.Ports)
	}

	if err := e.d.Start(e.ctx, id); err != nil {
		t.Fatalf("start: %v", err)
	}
	first := e.waitStatus(id, driver.StatusRunning)
	if first.Pid <= 0 || first.StartedAt.IsZero() {
		t.Fatalf("running: got pid %d started %v, want a pid and a start time", first.Pid, first.StartedAt)
	}
	if err := e.d.Start(e.ctx, id); err != nil {
		t.Fatalf("start a running container: got %v, want nil", err)
	}
	wantKind(t, "remove a running container without force", e.d.Remove(e.ctx, id, false), errdefs.ErrConflict)

	if err := e.d.Stop(e.ctx, id, 10*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	stopped := e.waitStatus(id, driver.StatusExited)
	if stopped.FinishedAt.Before(first.StartedAt) {
		t.Fatalf("stopped: finished %v before it started %v", stopped.FinishedAt, first.StartedAt)
	}
	if err := e.d.Stop(e.ctx, id, time.Second); err != nil {
		t.Fatalf("stop a stopped container: got %v, want nil", err)
	}

	if err := e.d.Start(e.ctx, id); err != nil {
		t.Fatalf("start again: %v", err)
	}
	second := e.waitStatus(id, driver.StatusRunning)
	if !second.StartedAt.After(first.StartedAt) {
		t.Fatalf("started again at %v, want after %v", second.StartedAt, first.StartedAt)
	}
	if err := e.d.Restart(e.ctx, id, 10*time.Second); err != nil {
		t.Fatalf("restart: %v", err)
	}
	third := e.waitStatus(id, driver.StatusRunning)
	if !third.StartedAt.After(second.StartedAt) {
		t.Fatalf("restarted at %v, want after %v", third.StartedAt, second.StartedAt)
	}

	if err := e.d.Remove(e.ctx, id, true); err != nil {
		t.Fatalf("remove: %v", err)
	}
	_, err := e.d.Inspect(e.ctx, id)
	wantKind(t, "inspect a removed container", err, errdefs.ErrNotFound)
	if err := e.d.Remove(e.ctx, id, true); err != nil {
		t.Fatalf("remove again: got %v, want nil", err)
	}
}

func testExitsByItself(t *testing.T, e *env) {
	id := e.run(e.exiter(3, "", ""))
	st := e.waitStatus(id, driver.StatusExited)
	if st.ExitCode != 3 || st.FinishedAt.IsZero() {
		t.Fatalf("exited: got code %d finished %v, want 3 and a finish time", st.ExitCode, st.FinishedAt)
	}
}

func testAutoRemove(t *testing.T, e *env) {
	spec := e.exiter(0, "", "")
	spec.AutoRemove = true
	id := e.run(spec)
	WaitFor(t, "the container to remove itself", func() error {
		_, err := e.d.Inspect(e.ctx, id)
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	})
}

func testKill(t *testing.T, e *env) {
	for _, tc := range []struct {
		signal   string
		wantCode int // -1: any (the suite's sleeper traps SIGTERM)
	}{
		{"", 137}, {"SIGKILL", 137}, {"KILL", 137}, {"9", 137}, {"SIGTERM", -1}, {"TERM", -1}, {"15", -1},
	} {
		name := "signal=" + tc.signal
		if tc.signal == "" {
			name = "signal=default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := e.sub(t)
			id := e.run(e.sleeper())
			e.waitStatus(id, driver.StatusRunning)
			if err := e.d.Kill(e.ctx, id, tc.signal); err != nil {
				t.Fatalf("kill: %v", err)
			}
			st := e.waitStatus(id, driver.StatusExited)
			if tc.wantCode >= 0 && st.ExitCode != tc.wantCode {
				t.Fatalf("exit code: got %d, want %d", st.ExitCode, tc.wantCode)
			}
			wantKind(t, "kill a stopped container", e.d.Kill(e.ctx, id, tc.signal), errdefs.ErrConflict)
		})
	}
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		e := e.sub(t)
		id := e.run(e.sleeper())
		wantKind(t, "kill with SIGNOPE", e.d.Kill(e.ctx, id, "SIGNOPE"), errdefs.ErrInvalid)
		wantKind(t, "kill with 0", e.d.Kill(e.ctx, id, "0"), errdefs.ErrInvalid)
		if st := e.inspect(id); st.Status != driver.StatusRunning {
			t.Fatalf("after invalid signals: got status %s, want running", st.Status)
		}
	})
}

func testCreateErrors(t *testing.T, e *env) {
	taken := e.sleeper()
	e.create(taken)
	dup := e.sleeper()
	dup.Name = taken.Name

	noManaged := e.sleeper()
	delete(noManaged.Labels, driver.LabelManaged)
	noUUID := e.sleeper()
	delete(noUUID.Labels, driver.LabelUUID)
	noImage := e.sleeper()
	noImage.Image = "zun-drivertest/absent:none"
	badPolicy := e.sleeper()
	badPolicy.RestartPolicy = driver.RestartPolicy{Name: "sometimes"}
	removeAndRestart := e.sleeper()
	removeAndRestart.AutoRemove = true
	removeAndRestart.RestartPolicy = driver.RestartPolicy{Name: "always"}
	badPids := e.sleeper()
	badPids.PidsLimit = -1

	for _, tc := range []struct {
		name string
		spec driver.Spec
		kind error
	}{
		{"name in use", dup, errdefs.ErrConflict},
		{"not managed", noManaged, errdefs.ErrInvalid},
		{"no uuid", noUUID, errdefs.ErrInvalid},
		{"absent image", noImage, errdefs.ErrNotFound},
		{"bad restart policy", badPolicy, errdefs.ErrInvalid},
		{"auto-remove with a restart policy", removeAndRestart, errdefs.ErrInvalid},
		{"pids limit not a number", badPids, errdefs.ErrInvalid},
	} {
		id, err := e.d.Create(e.ctx, tc.spec)
		if err == nil {
			e.d.Remove(e.ctx, id, true)
		}
		wantKind(t, "create: "+tc.name, err, tc.kind)
	}
}

func testNotFound(t *testing.T, e *env) {
	missing := "zun-drivertest-missing-" + uuid.NewString()[:8]
	ops := map[string]func() error{
		"start":   func() error { return e.d.Start(e.ctx, missing) },
		"stop":    func() error { return e.d.Stop(e.ctx, missing, time.Second) },
		"restart": func() error { return e.d.Restart(e.ctx, missing, time.Second) },
		"kill":    func() error { return e.d.Kill(e.ctx, missing, "KILL") },
		"inspect": func() error { _, err := e.d.Inspect(e.ctx, missing); return err },
	}
	for name, op := range optionalOps(e, missing) {
		ops[name] = op
	}
	for name, op := range ops {
		wantKind(t, name+" of a missing container", op(), errdefs.ErrNotFound)
	}
	if err := e.d.Remove(e.ctx, missing, false); err != nil {
		t.Fatalf("remove a missing container: got %v, want nil", err)
	}
}

func testPrepareImage(t *testing.T, e *env) {
	for _, tc := range []struct {
		image  string
		policy driver.PullPolicy
		kind   error // nil: success
	}{
		{e.image, driver.PullNever, nil},
		{e.image, driver.PullIfNotPresent, nil}, // present: no pull
		{"zun-drivertest/absent:none", driver.PullNever, errdefs.ErrNotFound},
		{e.image, "sometimes", errdefs.ErrInvalid},
	} {
		err := e.d.PrepareImage(e.ctx, tc.image, tc.policy)
		if tc.kind == nil && err != nil {
			t.Fatalf("prepare %s with %s: %v", tc.image, tc.policy, err)
		}
		if tc.kind != nil {
			wantKind(t, "prepare "+tc.image+" with "+string(tc.policy), err, tc.kind)
		}
	}
}

func testList(t *testing.T, e *env) {
	created := e.create(e.sleeper())
	running := e.run(e.sleeper())
	e.waitStatus(running, driver.StatusRunning)

	list, err := e.d.List(e.ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	status := map[string]string{}
	for _, st := range list {
		if st.Labels[driver.LabelManaged] != "true" {
			t.Fatalf("list: container %s is not managed: labels %v", st.ID, st.Labels)
		}
		status[st.ID] = st.Status
	}
	if status[created] != driver.StatusCreated || status[running] != driver.StatusRunning {
		t.Fatalf("list: got statuses %q and %q, want created and running", status[created], status[running])
	}

	if err := e.d.Remove(e.ctx, created, true); err != nil {
		t.Fatalf("remove: %v", err)
	}
	list, err = e.d.List(e.ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, st := range list {
		if st.ID == created {
			t.Fatalf("list: removed container %s still listed", created)
		}
	}
}
