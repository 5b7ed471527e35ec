package fake

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// sigTerm and sigKill are the numbers of SIGTERM and SIGKILL.
const (
	sigTerm = 15
	sigKill = 9
)

// Stop ends the container's process as SIGTERM would (exit code 143), at
// once: a fake process never needs the timeout. Stopping a stopped
// container does nothing.
func (d *Driver) Stop(ctx context.Context, id string, timeout time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	d.stop(c)
	return nil
}

// stop stops c, or cancels its pending restart; d.mu is held.
func (d *Driver) stop(c *ctr) {
	switch {
	case c.running():
		d.exit(c, 128+sigTerm, false)
		if c.state.Status != driver.StatusRemoving {
			d.publish(c, "stop")
		}
	case c.state.Status == driver.StatusRestarting:
		c.gen++
		c.timer.Stop()
		c.state.Status = driver.StatusExited
		d.publish(c, "stop")
	}
}

// Restart stops the container as Stop does and starts it again.
func (d *Driver) Restart(ctx context.Context, id string, timeout time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	d.stop(c)
	if c.state.Status == driver.StatusRemoving {
		return errdefs.NotFoundf("restart container %q: removed when it stopped (AutoRemove)", id)
	}
	if err := d.start(c); err != nil {
		return err
	}
	d.publish(c, "restart")
	return nil
}

// Kill ends the container's process with 128 + the signal's number,
// whatever the signal: fake processes have no signal handlers.
func (d *Driver) Kill(ctx context.Context, id, signal string) error {
	n, err := parseSignal(signal)
	if err != nil {
		return errdefs.Invalidf("kill container %q: %w", id, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	if !c.running() {
		return errdefs.Conflictf("kill container %q: container is not running", id)
	}
	d.publish(c, "kill")
	d.exit(c, 128+n, false)
	return nil
}

// Remove removes the container; force kills a running one first. A
// container that does not exist is not an error.
func (d *Driver) Remove(ctx context.Context, id string, force bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if c.running() {
		if !force {
			return errdefs.Conflictf("remove container %q: container is running: stop it first or force the removal", id)
		}
		c.spec.AutoRemove = false // removed below, once
		d.exit(c, 128+sigKill, false)
	}
	if c.timer != nil {
		c.timer.Stop() // a pending restart
	}
	d.remove(c)
	return nil
}

// Pause freezes a running container.
func (d *Driver) Pause(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	switch c.state.Status {
	case driver.StatusRunning:
		c.state.Status = driver.StatusPaused
		d.publish(c, "pause")
		return nil
	case driver.StatusPaused:
		return errdefs.Conflictf("pause container %q: container is already paused", id)
	}
	return errdefs.Conflictf("pause container %q: container is not running", id)
}

// Unpause thaws a paused container. If it exited by itself while paused
// (its run time ended, or Exit), it exits now.
func (d *Driver) Unpause(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	if c.state.Status != driver.StatusPaused {
		return errdefs.Conflictf("unpause container %q: container is not paused", id)
	}
	c.state.Status = driver.StatusRunning
	d.publish(c, "unpause")
	if c.exitLater {
		d.exit(c, c.laterCode, true)
	}
	return nil
}

// signalNumbers are the Linux signals 1 to 31 by name.
var signalNumbers = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7,
	"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14,
	"TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20,
	"TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26,
	"PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
}

// parseSignal is the number of a signal written as the contract allows:
// "SIGTERM", "TERM", "15", or "" for SIGKILL. Real-time signals are taken
// by number (34 to 64) only.
func parseSignal(s string) (int, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return sigKill, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		n = signalNumbers[strings.TrimPrefix(strings.ToUpper(raw), "SIG")]
	}
	if (n >= 1 && n <= 31) || (n >= 34 && n <= 64) {
		return n, nil
	}
	return 0, fmt.Errorf("invalid signal %q", s)
}

// Interface guards
var (
	_ driver.Driver  = (*Driver)(nil)
	_ driver.Pauser  = (*Driver)(nil)
	_ driver.Renamer = (*Driver)(nil)
)
