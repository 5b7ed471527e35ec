package drivertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/driver"
)

// execLimit is how long the suite lets a command that does not end run.
const execLimit = 500 * time.Millisecond

// testExecBounded checks that an exec whose context ends is ended: the
// command and what it started in the background are gone, the container
// runs on.
func testExecBounded(t *testing.T, e *env) {
	x := implements[driver.Execer](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	for _, tc := range []struct {
		name string
		cmd  []string
	}{
		{"command", []string{"sleep", "1001"}},
		{"with background children", []string{"sh", "-c", "sleep 1002 & sleep 1003"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(e.ctx, execLimit)
			defer cancel()
			began := time.Now()
			_, err := x.Exec(ctx, id, tc.cmd)
			took := time.Since(began)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("exec %q past its deadline: got error %v, want one wrapping %v", tc.cmd, err, context.DeadlineExceeded)
			}
			if took > execLimit+2*time.Second {
				t.Fatalf("exec %q with a deadline of %v answered after %v", tc.cmd, execLimit, took)
			}
			if left := execProcesses(t, e, id, "sleep 100"); len(left) > 0 {
				t.Fatalf("exec %q ended by its deadline left processes behind: %q", tc.cmd, left)
			}
			if st := e.inspect(id); st.Status != driver.StatusRunning {
				t.Fatalf("container after an ended exec: status %s, want %s", st.Status, driver.StatusRunning)
			}
		})
	}
}

// testExecAside checks that a command that lasts holds up neither another
// exec in its container nor a stop, which ends it.
func testExecAside(t *testing.T, e *env) {
	x := implements[driver.Execer](t, e.d)
	id := e.run(e.sleeper())
	e.waitStatus(id, driver.StatusRunning)
	done := make(chan error, 1)
	go func() {
		_, err := x.Exec(e.ctx, id, []string{"sleep", "1004"})
		done <- err
	}()
	if _, ok := e.d.(driver.Topper); ok {
		WaitFor(t, "the lasting exec to run", func() error {
			if len(execProcesses(t, e, id, "sleep 1004")) == 0 {
				return errors.New("not in the container's processes")
			}
			return nil
		})
	}
	got, err := x.Exec(e.ctx, id, []string{"echo", "aside"})
	if err != nil || got.Output != "aside\n" {
		t.Fatalf("exec beside a lasting one: got %+v, %v; want output %q", got, err, "aside\n")
	}
	select {
	case err := <-done:
		t.Fatalf("the lasting exec ended early: %v", err)
	default:
	}
	if err := e.d.Stop(e.ctx, id, 5*time.Second); err != nil {
		t.Fatalf("stop beside a lasting exec: %v", err)
	}
	select {
	case <-done: // ended by the stop, whatever it answered
	case <-time.After(waitTimeout):
		t.Fatalf("the lasting exec did not end with its container")
	}
	e.waitStatus(id, driver.StatusExited)
}

// execProcesses lists the processes of container id whose command line
// holds marker; none when the driver cannot list processes.
func execProcesses(t *testing.T, e *env, id, marker string) []string {
	t.Helper()
	tp, ok := e.d.(driver.Topper)
	if !ok {
		return nil
	}
	top, err := tp.Top(e.ctx, id, "")
	if err != nil {
		t.Fatalf("top: %v", err)
	}
	cmd := slices.Index(top.Titles, "CMD")
	var out []string
	for _, p := range top.Processes {
		if cmd >= 0 && cmd < len(p) && strings.Contains(p[cmd], marker) {
			out = append(out, p[cmd])
		}
	}
	return out
}
