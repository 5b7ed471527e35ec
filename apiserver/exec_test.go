package apiserver_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/errdefs"
)

// TestExecBounded checks on the fake runtime that an execute of a command
// that does not end answers 409 after the configured time, the command is
// ended, and the container's other calls do not wait for it.
func TestExecBounded(t *testing.T) {
	const timeout = 2 * time.Second
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth, cfg.ExecTimeout = true, timeout
	ts, _ := newStack(t, cfg, nil)
	c, err := api.NewClient(api.Config{Endpoint: ts.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: testImage, Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitShows(t, c, ct.UUID, "Running", 10*time.Second)

	began := time.Now()
	_, err = c.Execute(ctx, ct.UUID, "sleep 1000")
	if took := time.Since(began); !errors.Is(err, errdefs.ErrConflict) || took > timeout+time.Second {
		t.Fatalf("execute of a command that does not end: got %v after %v, want a conflict within %v", err, took, timeout+time.Second)
	}
	if !strings.Contains(err.Error(), "Timeout on executing command: sleep 1000") {
		t.Fatalf("timeout message: %v", err)
	}
	if ps := processesWith(t, c, ct.UUID, "sleep 1000"); len(ps) > 0 {
		t.Fatalf("the timed-out command runs on: %q", ps)
	}

	// While a command runs, the container answers another execute, and
	// a stop is carried out (ending the command) well before the
	// command's deadline.
	began = time.Now()
	done := make(chan error, 1)
	go func() { _, err := c.Execute(ctx, ct.UUID, "sleep 3599"); done <- err }()
	if !pollFor(timeout/2, func() bool { return len(processesWith(t, c, ct.UUID, "sleep 3599")) > 0 }) {
		t.Fatal("the lasting exec did not start")
	}
	if res, err := c.Execute(ctx, ct.UUID, "echo aside"); err != nil || res.Output != "aside\n" {
		t.Fatalf("execute beside a lasting one: %+v, %v", res, err)
	}
	select {
	case err := <-done:
		t.Fatalf("the lasting exec answered early (%v): the other execute waited for it", err)
	default:
	}
	if err := c.Stop(ctx, ct.UUID, nil); err != nil {
		t.Fatalf("stop beside a lasting exec: %v", err)
	}
	waitShows(t, c, ct.UUID, "Stopped", timeout)
	if took := time.Since(began); took >= timeout {
		t.Fatalf("stop beside a lasting exec took until %v, the exec's deadline", took)
	}
	<-done
}

// waitShows waits until the container shows status with no task.
func waitShows(t *testing.T, c *api.Client, id, status string, within time.Duration) {
	t.Helper()
	var last *api.Container
	if !pollFor(within, func() bool {
		got, err := c.GetContainer(t.Context(), id)
		last = got
		return err == nil && got.Status == status && got.TaskState == ""
	}) {
		t.Fatalf("container %s: %+v, want status %s within %v", id, last, status, within)
	}
}

// processesWith lists the container's processes whose command holds marker.
func processesWith(t *testing.T, c *api.Client, id, marker string) []string {
	t.Helper()
	top, err := c.Top(t.Context(), id, "")
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

// pollFor calls cond until it holds or timeout passes.
func pollFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
