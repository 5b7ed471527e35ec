package docker

import (
	"context"
	"math"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Create creates a container from spec without starting it and returns its
// id. A name already in use is an errdefs.ErrConflict error; an image the
// engine lacks, errdefs.ErrNotFound; a limit the host cannot or will not
// enforce (see limit), errdefs.ErrInvalid.
func (d *Driver) Create(ctx context.Context, spec driver.Spec) (string, error) {
	cfg, host, err := configOf(spec, d.hostName)
	if err != nil {
		return "", err
	}
	eng, err := d.engine(ctx)
	if err != nil {
		return "", err
	}
	if err := limit(host, spec, d.limits, eng); err != nil {
		return "", err
	}
	resp, err := d.cli.ContainerCreate(ctx, cfg, host, nil, nil, spec.Name)
	if err != nil {
		return "", wrap(err, "create container %q from image %q: %w", spec.Name, spec.Image)
	}
	return resp.ID, nil
}

// Start starts a created or stopped container. Starting a running one does
// nothing.
func (d *Driver) Start(ctx context.Context, id string) error {
	if err := d.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return wrap(err, "start container %q: %w", id)
	}
	return nil
}

// Stop sends the container SIGTERM (or its image's stop signal) and kills
// it after timeout. Stopping a stopped container does nothing.
func (d *Driver) Stop(ctx context.Context, id string, timeout time.Duration) error {
	secs := seconds(timeout)
	if err := d.cli.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil {
		return wrap(err, "stop container %q: %w", id)
	}
	return nil
}

// Restart stops the container as Stop does and starts it again.
func (d *Driver) Restart(ctx context.Context, id string, timeout time.Duration) error {
	secs := seconds(timeout)
	if err := d.cli.ContainerRestart(ctx, id, container.StopOptions{Timeout: &secs}); err != nil {
		return wrap(err, "restart container %q: %w", id)
	}
	return nil
}

// Rename implements driver.Renamer.
func (d *Driver) Rename(ctx context.Context, id, name string) error {
	if err := d.cli.ContainerRename(ctx, id, name); err != nil {
		return wrap(err, "rename container %q to %q: %w", id, name)
	}
	return nil
}

// Kill sends signal to the container's main process; see ParseSignal for
// the forms a signal takes. A container that is not running is an
// errdefs.ErrConflict error.
func (d *Driver) Kill(ctx context.Context, id, signal string) error {
	sig, err := ParseSignal(signal)
	if err != nil {
		return containerErr(id, err)
	}
	if err := d.cli.ContainerKill(ctx, id, sig); err != nil {
		return wrap(err, "kill container %q with %s: %w", id, sig)
	}
	return nil
}

// Remove removes the container and its anonymous volumes; force kills a
// running one first. A container that does not exist, or that the engine
// is already removing (AutoRemove), is not an error.
func (d *Driver) Remove(ctx context.Context, id string, force bool) error {
	err := d.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: force, RemoveVolumes: true})
	switch kind := kindOf(err); {
	case err == nil || kind == errdefs.ErrNotFound:
		return nil
	case kind == errdefs.ErrConflict:
		// Maybe removal is already under way (one that an agent killed
		// meanwhile started): wait for it to end. A forced removal is only
		// refused for that; an unforced one also for a running container.
		st, ierr := d.Inspect(ctx, id)
		if errdefs.IsNotFound(ierr) || (ierr == nil && (force || st.Status == driver.StatusRemoving)) && d.awaitGone(ctx, id) {
			return nil
		}
	}
	return wrap(err, "remove container %q: %w", id)
}

// awaitGone waits up to 30 s for container id to be gone.
func (d *Driver) awaitGone(ctx context.Context, id string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := d.Inspect(ctx, id); errdefs.IsNotFound(err) {
			return true
		} else if err != nil && !errdefs.IsConflict(err) {
			return false
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Pause freezes every process of the container.
func (d *Driver) Pause(ctx context.Context, id string) error {
	if err := d.cli.ContainerPause(ctx, id); err != nil {
		return wrap(err, "pause container %q: %w", id)
	}
	return nil
}

// Unpause thaws a paused container. A container that is not paused is an
// errdefs.ErrConflict error.
func (d *Driver) Unpause(ctx context.Context, id string) error {
	err := d.cli.ContainerUnpause(ctx, id)
	if err == nil {
		return nil
	}
	// Engines before 23.0 answer 500, not 409, for a container not paused.
	if kindOf(err) == nil {
		if st, ierr := d.Inspect(ctx, id); ierr == nil && st.Status != driver.StatusPaused {
			return errdefs.Conflictf("unpause container %q: container is %s, not paused: %w", id, st.Status, err)
		}
	}
	return wrap(err, "unpause container %q: %w", id)
}

// seconds is timeout in whole seconds, as the engine takes it, rounded up
// so that a short grace period is not none. A negative timeout waits for
// ever.
func seconds(timeout time.Duration) int {
	if timeout < 0 {
		return -1
	}
	return int(math.Ceil(timeout.Seconds()))
}

// Interface guards
var (
	_ driver.Driver  = (*Driver)(nil)
	_ driver.Pauser  = (*Driver)(nil)
	_ driver.Renamer = (*Driver)(nil)
)
