package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestExecBounded checks on the real engine that an execute of a command
// that does not end answers 409 within the configured time plus a
// second, that the command (and what it started) is gone from the
// container afterwards, and that another execute, a stop and a delete of
// the container answer and are carried out while a command runs.
func TestExecBounded(t *testing.T) {
	requireDocker(t, "")
	// Long enough that a stop or delete waiting for the command could not
	// pass for prompt on a loaded machine.
	const timeout = 4 * time.Second
	d := startZund(t, "", "--exec-timeout", timeout.String())
	c := apiClient(t, d)
	ctx := context.Background()
	run := func() string {
		t.Helper()
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref,
			Command: []string{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		waitStatus(t, c, ct.UUID, "Running")
		return ct.UUID
	}
	// lasting starts a command that does not end and waits until it runs.
	lasting := func(id, cmd string) <-chan error {
		t.Helper()
		done := make(chan error, 1)
		go func() { _, err := c.Execute(ctx, id, cmd); done <- err }()
		if !poll(timeout/2, func() bool { return len(processesWith(t, c, id, cmd)) > 0 }) {
			t.Fatalf("%q did not start", cmd)
		}
		return done
	}
	stillRunning := func(done <-chan error, what string) {
		t.Helper()
		select {
		case err := <-done:
			t.Fatalf("the lasting exec answered (%v) before %s did", err, what)
		default:
		}
	}
	id := run()

	t.Run("timeout ends the command", func(t *testing.T) {
		execTimesOut(t, c, id, timeout, "sh -c 'sleep 1002 & sleep 1003'")
	})
	t.Run("another execute meanwhile", func(t *testing.T) {
		done := lasting(id, "sleep 1004")
		res, err := c.Execute(ctx, id, "echo aside")
		if err != nil || res.Output != "aside\n" {
			t.Fatalf("execute beside a lasting one: %+v, %v", res, err)
		}
		stillRunning(done, "another execute")
		// The stop below ends it.
	})
	t.Run("stop meanwhile", func(t *testing.T) {
		began := time.Now()
		done := lasting(id, "sleep 1005")
		if err := c.Stop(ctx, id, nil); err != nil {
			t.Fatalf("stop beside a lasting exec: %v", err)
		}
		stillRunning(done, "the stop")
		waitStatus(t, c, id, "Stopped")
		if took := time.Since(began); took > timeout {
			t.Fatalf("a stop beside a lasting exec was carried out after %v, past the exec's deadline", took)
		}
		<-done
	})
	t.Run("delete meanwhile", func(t *testing.T) {
		id := run()
		began := time.Now()
		done := lasting(id, "sleep 1006")
		if err := c.DeleteContainer(ctx, id, api.DeleteOptions{Stop: true}); err != nil {
			t.Fatalf("delete beside a lasting exec: %v", err)
		}
		stillRunning(done, "the delete")
		if !poll(timeout, func() bool {
			_, err := c.GetContainer(ctx, id)
			return errors.Is(err, errdefs.ErrNotFound)
		}) {
			t.Fatalf("a delete beside a lasting exec was not carried out within %v", timeout)
		}
		t.Logf("deleted beside a lasting exec after %v", time.Since(began).Round(time.Millisecond))
		<-done
	})
}

// TestExecBoundedRemote checks the same through a compute host of its
// own (zund --agent): the control plane's deadline travels to the agent,
// which ends the command.
func TestExecBoundedRemote(t *testing.T) {
	requireDocker(t, "")
	const timeout = 2 * time.Second
	d := startZund(t, "", "--no-compute", "--exec-timeout", timeout.String())
	startAgent(t, d, "exec-remote", "")
	c := apiClient(t, d)
	ct, err := c.CreateContainer(context.Background(), api.CreateContainer{Image: demoimage.Ref, Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteContainer(context.Background(), ct.UUID, api.DeleteOptions{Force: true}) })
	waitStatus(t, c, ct.UUID, "Running")
	execTimesOut(t, c, ct.UUID, timeout, "sleep 1001", "sh -c 'sleep 1002 & sleep 1003'")
}

// execTimesOut checks that commands (each one that does not end, with
// "sleep 100" in what it runs) answer 409 within timeout plus a second
// and are gone from container id afterwards.
func execTimesOut(t *testing.T, c *api.Client, id string, timeout time.Duration, cmds ...string) {
	t.Helper()
	for _, cmd := range cmds {
		began := time.Now()
		_, err := c.Execute(context.Background(), id, cmd)
		took := time.Since(began)
		if !errors.Is(err, errdefs.ErrConflict) || !strings.Contains(err.Error(), "Timeout on executing command") {
			t.Fatalf("execute %q: got %v, want a 409 timeout", cmd, err)
		}
		if took > timeout+time.Second {
			t.Fatalf("execute %q answered after %v, want within %v", cmd, took, timeout+time.Second)
		}
		t.Logf("execute %q: 409 after %v", cmd, took.Round(time.Millisecond))
		if left := processesWith(t, c, id, "sleep 100"); len(left) > 0 {
			t.Fatalf("after the timeout of %q, the container still runs %q", cmd, left)
		}
		res, err := c.Execute(context.Background(), id, "ps")
		if err != nil || strings.Contains(res.Output, "sleep 100") {
			t.Fatalf("ps in the container after the timeout of %q: %v\n%s", cmd, err, res.Output)
		}
	}
}

// processesWith lists the processes of container id whose line holds
// marker, as the API's top shows them.
func processesWith(t *testing.T, c *api.Client, id, marker string) []string {
	t.Helper()
	top, err := c.Top(context.Background(), id, "")
	if err != nil {
		t.Fatalf("top: %v", err)
	}
	var out []string
	for _, p := range top.Processes {
		if line := strings.Join(p, " "); strings.Contains(line, marker) {
			out = append(out, line)
		}
	}
	return out
}
