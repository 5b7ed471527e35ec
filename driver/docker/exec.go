package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// maxExecOutput bounds what Exec keeps of a command's output; the rest is
// read and dropped, so a chatty command cannot exhaust the agent's memory.
const maxExecOutput = 4 << 20

// Exec runs cmd in the running container, without a TTY or stdin, waits
// for it and returns its stdout and stderr, interleaved, and its exit code.
// A container that is not running is an errdefs.ErrConflict error.
//
// When ctx ends first, Exec ends the command (see endExec) and returns an
// error wrapping ctx's error that says whether the command could be ended.
// Nothing is locked while the command runs: the container's other calls
// go to the engine as they come.
func (d *Driver) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	if len(cmd) == 0 {
		return driver.ExecResult{}, errdefs.Invalidf("exec in container %q: no command", id)
	}
	what := fmt.Sprintf("exec %q in container %q", strings.Join(cmd, " "), id)
	fail := func(err error) (driver.ExecResult, error) {
		return driver.ExecResult{}, wrap(err, "%s: %w", what)
	}
	created, err := d.cli.ContainerExecCreate(ctx, id, container.ExecOptions{
		Cmd: cmd, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return fail(err)
	}
	// cut ends the command the caller no longer waits for.
	cut := func() (driver.ExecResult, error) {
		if err := d.endExec(created.ID); err != nil {
			return driver.ExecResult{}, fmt.Errorf("%s: %w; the command could not be ended: %v", what, ctx.Err(), err)
		}
		return driver.ExecResult{}, fmt.Errorf("%s: %w (the command was ended)", what, ctx.Err())
	}
	att, err := d.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return cut() // the engine may have started it all the same
		}
		return fail(err)
	}
	defer att.Close()
	// The hijacked connection knows nothing of ctx: closing it ends the copy.
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()

	out := &cappedBuffer{max: maxExecOutput}
	_, err = stdcopy.StdCopy(out, out, att.Reader)
	if ctx.Err() != nil {
		return cut()
	}
	if err != nil {
		return fail(fmt.Errorf("read output: %w", err))
	}
	code, err := d.execExitCode(ctx, created.ID)
	if ctx.Err() != nil {
		return cut()
	}
	if err != nil {
		return fail(err)
	}
	return driver.ExecResult{Output: out.String(), ExitCode: code}, nil
}

// endExecWait bounds how long endExec waits for an exec to start, to be
// ended and to be reported gone.
const endExecWait = 2 * time.Second

// endExec ends the processes of exec execID that its caller stopped
// waiting for, and waits until the engine reports the exec finished.
//
// The engine has no call that ends an exec, so the agent signals the
// processes itself: the engine reports the exec's process by its pid as
// the engine sees it, which is this process's view when the agent runs on
// the engine's host (as root, as a compute agent does). See killExec for
// how it makes sure it signals only processes of that container.
func (d *Driver) endExec(execID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), endExecWait)
	defer cancel()
	killed, begun := false, time.Now()
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		ins, err := d.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil // its container is gone, and the exec with it
			}
			return err
		}
		switch {
		case !ins.Running && ins.Pid != 0:
			return nil // finished
		case !ins.Running && time.Since(begun) > endExecWait/5:
			return nil // it never started, and will not now
		case ins.Running && !killed:
			switch err := killExec(ins.Pid, ins.ContainerID, func() bool {
				again, err := d.cli.ContainerExecInspect(ctx, execID)
				return err == nil && again.Running && again.Pid == ins.Pid
			}); {
			case err == nil:
				killed = true
			case !errors.Is(err, errProcessGone):
				return err
			}
		}
		// Not started yet (the start may still be on its way), or ended
		// and not yet reported so.
		select {
		case <-ctx.Done():
			if killed {
				return fmt.Errorf("killed process of exec %.12s, but the engine still reports it running", execID)
			}
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// execExitCode waits for the exec, whose output has ended, to be reported
// finished and returns its exit code.
func (d *Driver) execExitCode(ctx context.Context, execID string) (int, error) {
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		ins, err := d.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return 0, err
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// cappedBuffer keeps the first max bytes written to it and drops the rest.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// Top lists the container's processes with ps, run by the engine on the
// host with psArgs ("" is ps's -ef). A container that is not running is an
// errdefs.ErrConflict error.
func (d *Driver) Top(ctx context.Context, id, psArgs string) (driver.TopResult, error) {
	var args []string
	if psArgs != "" {
		args = []string{psArgs}
	}
	resp, err := d.cli.ContainerTop(ctx, id, args)
	if err != nil {
		if psArgs != "" && cerrdefs.IsInternal(err) {
			// The engine answers 500 when ps refuses its arguments.
			return driver.TopResult{}, errdefs.Invalidf("ps_args %q: %v", psArgs, err)
		}
		return driver.TopResult{}, wrap(err, "processes of container %q: %w", id)
	}
	return driver.TopResult{Titles: resp.Titles, Processes: resp.Processes}, nil
}

// Interface guards
var (
	_ driver.Execer = (*Driver)(nil)
	_ driver.Topper = (*Driver)(nil)
)
