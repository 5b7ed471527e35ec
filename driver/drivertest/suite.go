// Package drivertest is the conformance suite every container runtime of
// the project passes: the Docker driver against a real engine and the fake
// driver in memory. A runtime that passes it can be driven by the compute
// agent; a behaviour the agent relies on belongs here, not in one driver's
// tests.
//
// A driver's test wires it with one call:
//
//	func TestConformance(t *testing.T) {
//		drivertest.Run(t, func(t *testing.T) driver.Driver { return newDriver(t) }, image)
//	}
//
// image must be present and behave like busybox (sh, sleep, echo). Every
// spec the suite creates also carries the fake driver's script labels, so
// the fake does what the real command does. The suite runs its cases in
// parallel, removes what it creates, and takes a few seconds on Docker.
//
// RequireDocker decides whether tests that need a Docker Engine run, skip or
// fail; see its comment.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
)

// CommitRepo is the repository of the images the suite commits; a driver's
// test removes its images after the run.
const CommitRepo = "zun-drivertest/commit"

// waitTimeout bounds every wait for a container to reach a state.
const waitTimeout = 20 * time.Second

// Run runs the suite on the drivers newDriver makes, one per case.
func Run(t *testing.T, newDriver func(t *testing.T) driver.Driver, image string) {
	cases := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"Lifecycle", testLifecycle},
		{"ExitsByItself", testExitsByItself},
		{"AutoRemove", testAutoRemove},
		{"Kill", testKill},
		{"CreateErrors", testCreateErrors},
		{"Disk", testDisk},
		{"NotFound", testNotFound},
		{"PrepareImage", testPrepareImage},
		{"List", testList},
		{"Events", testEvents},
		{"Pause", testPause},
		{"Exec", testExec},
		{"ExecBounded", testExecBounded},
		{"ExecAside", testExecAside},
		{"Logs", testLogs},
		{"Update", testUpdate},
		{"Stats", testStats},
		{"Top", testTop},
		{"Commit", testCommit},
		{"Rename", testRename},
		{"JoinNamespace", testJoinNamespace},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, &env{t: t, d: newDriver(t), image: image, ctx: t.Context()})
		})
	}
}

// env is what a case works with.
type env struct {
	t     *testing.T
	d     driver.Driver
	image string
	ctx   context.Context
}

// spec is a managed container spec running cmd, with a unique name and
// uuid, scripted for the fake by labels.
func (e *env) spec(cmd []string, labels map[string]string) driver.Spec {
	id := uuid.NewString()
	all := map[string]string{
		driver.LabelManaged: "true",
		driver.LabelUUID:    id,
		"io.zun.test":       e.t.Name(),
	}
	for k, v := range labels {
		all[k] = v
	}
	return driver.Spec{Name: "zun-drivertest-" + id[:13], Image: e.image, Command: cmd, Labels: all}
}

// sleeper is a spec of a container that runs until stopped and exits 0 on
// SIGTERM (sh as PID 1 has no default signal handlers, hence the trap).
func (e *env) sleeper() driver.Spec {
	return e.spec([]string{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}, nil)
}

// exiter is a spec of a container that exits by itself with code, after
// writing out to stdout and errOut to stderr (each ends with a newline or is
// empty; no quotes).
func (e *env) exiter(code int, out, errOut string) driver.Spec {
	script := ""
	for _, l := range lines(out) {
		script += "echo " + l + "; "
	}
	for _, l := range lines(errOut) {
		script += "echo " + l + " >&2; "
	}
	script += fmt.Sprintf("exit %d", code)
	return e.spec([]string{"sh", "-c", script}, map[string]string{
		fake.LabelRunFor:   "10ms",
		fake.LabelExitCode: fmt.Sprint(code),
		fake.LabelStdout:   out,
		fake.LabelStderr:   errOut,
	})
}

// create creates spec and removes the container when the test ends.
func (e *env) create(spec driver.Spec) string {
	e.t.Helper()
	id, err := e.d.Create(e.ctx, spec)
	if err != nil {
		e.t.Fatalf("create %s: %v", spec.Name, err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.d.Remove(ctx, id, true); err != nil {
			e.t.Errorf("cleanup: remove %s: %v", id, err)
		}
	})
	return id
}

// run creates and starts spec.
func (e *env) run(spec driver.Spec) string {
	e.t.Helper()
	id := e.create(spec)
	if err := e.d.Start(e.ctx, id); err != nil {
		e.t.Fatalf("start %s: %v", spec.Name, err)
	}
	return id
}

// inspect inspects id, failing the test on error.
func (e *env) inspect(id string) driver.State {
	e.t.Helper()
	st, err := e.d.Inspect(e.ctx, id)
	if err != nil {
		e.t.Fatalf("inspect %s: %v", id, err)
	}
	return st
}

// waitStatus waits until container id has status and returns its state.
func (e *env) waitStatus(id, status string) driver.State {
	e.t.Helper()
	var st driver.State
	WaitFor(e.t, fmt.Sprintf("container %.12s to be %s", id, status), func() error {
		var err error
		if st, err = e.d.Inspect(e.ctx, id); err != nil {
			return err
		}
		if st.Status != status {
			return fmt.Errorf("status %s", st.Status)
		}
		return nil
	})
	return st
}

// WaitFor calls check until it returns nil, backing off from 10ms to
// 200ms, and fails t with check's last error after 20 seconds. It is the
// suite's one way to wait; drivers' own tests use it too.
func WaitFor(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up after %v: %v", what, waitTimeout, err)
		}
		time.Sleep(delay)
	}
}

// wantKind fails t unless err wraps kind.
func wantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got error %v, want one of kind %q", what, err, kind)
	}
}

// lines splits text into its lines, without their newlines.
func lines(text string) []string {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}
