package fake

import (
	"context"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// restartDelay is how long a container whose restart policy restarts it
// stays "restarting".
const restartDelay = 100 * time.Millisecond

// validName is the engine's rule for container names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// Create creates a container from spec, checking what the engine checks.
func (d *Driver) Create(ctx context.Context, spec driver.Spec) (string, error) {
	c, err := newCtr(spec, d.opts.HostName)
	if err != nil {
		return "", err
	}
	if spec.DiskGiB > 0 && d.opts.NoDiskQuota {
		return "", errdefs.Invalidf("container %q: disk %d GiB cannot be enforced on this host: it has no disk quotas", spec.Name, spec.DiskGiB)
	}
	ref, err := normalise(spec.Image)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.images[ref]; !ok {
		return "", errdefs.NotFoundf("create container %q: no such image %q", spec.Name, spec.Image)
	}
	if spec.Name == "" {
		spec.Name = "fake-" + c.state.ID[:12]
		c.state.Name = spec.Name
	}
	if id, ok := d.names[spec.Name]; ok {
		return "", errdefs.Conflictf("create container %q: the name is already in use by container %q", spec.Name, id)
	}
	if other, ok := strings.CutPrefix(spec.NetworkMode, "container:"); ok {
		// As Docker: the namespace's holder is resolved to its id now.
		holder, err := d.lookup(other)
		if err != nil {
			return "", errdefs.NotFoundf("create container %q: no such container %q", spec.Name, other)
		}
		c.spec.NetworkMode = "container:" + holder.state.ID
		c.state.NetworkMode = c.spec.NetworkMode
	}
	d.ctrs[c.state.ID] = c
	d.names[spec.Name] = c.state.ID
	d.publish(c, "create")
	return c.state.ID, nil
}

// newCtr checks spec and reads its script labels.
func newCtr(spec driver.Spec, hostName string) (*ctr, error) {
	if err := validate(spec); err != nil {
		return nil, err
	}
	id := newID()
	labels := maps.Clone(spec.Labels)
	if hostName != "" {
		labels[driver.LabelHost] = hostName
	}
	spec.Labels = labels // one copy, the driver's own
	c := &ctr{spec: spec, startErr: labels[LabelStartError]}
	c.state = driver.State{ID: id, Name: spec.Name, Image: spec.Image, Status: driver.StatusCreated,
		Labels: labels, Hostname: spec.Hostname, NetworkMode: spec.NetworkMode}
	if c.state.Hostname == "" {
		c.state.Hostname = id[:12]
	}
	if v, ok := labels[LabelRunFor]; ok {
		dur, err := time.ParseDuration(v)
		if err != nil || dur < 0 {
			return nil, errdefs.Invalidf("container %q: label %s: invalid duration %q", spec.Name, LabelRunFor, v)
		}
		c.runFor = max(dur, time.Nanosecond) // "0s" exits at once, not never
	}
	if v, ok := labels[LabelExitCode]; ok {
		code, err := strconv.Atoi(v)
		if err != nil || code < 0 || code > 255 {
			return nil, errdefs.Invalidf("container %q: label %s: invalid exit code %q", spec.Name, LabelExitCode, v)
		}
		c.exitCode = code
	}
	return c, nil
}

// validate checks a spec as the Docker driver and engine do.
func validate(spec driver.Spec) error {
	policy := spec.RestartPolicy.Name
	switch {
	case spec.Image == "":
		return errdefs.Invalidf("container %q: no image", spec.Name)
	case spec.Name != "" && !validName.MatchString(spec.Name):
		return errdefs.Invalidf("container %q: invalid name", spec.Name)
	case spec.Labels[driver.LabelManaged] != "true":
		return errdefs.Invalidf("container %q: label %s must be \"true\"", spec.Name, driver.LabelManaged)
	case driver.Owner(spec.Labels) == "":
		return errdefs.Invalidf("container %q: label %s (or %s) is missing", spec.Name, driver.LabelUUID, driver.LabelSandbox)
	case spec.CPU < 0 || spec.MemoryMiB < 0:
		return errdefs.Invalidf("container %q: invalid resources cpu %v, memory %d MiB", spec.Name, spec.CPU, spec.MemoryMiB)
	case spec.PidsLimit < 0:
		return errdefs.Invalidf("container %q: label %s must be a number of processes", spec.Name, driver.LabelPidsLimit)
	case spec.DiskGiB < 0:
		return errdefs.Invalidf("container %q: invalid disk %d GiB", spec.Name, spec.DiskGiB)
	case policy != "" && policy != "no" && policy != "always" && policy != "on-failure" && policy != "unless-stopped":
		return errdefs.Invalidf("container %q: invalid restart policy %q", spec.Name, policy)
	case spec.AutoRemove && policy != "" && policy != "no":
		return errdefs.Invalidf("container %q: AutoRemove and restart policy %q conflict", spec.Name, policy)
	}
	return nil
}

// Start starts the container's process; starting a running one does
// nothing.
func (d *Driver) Start(ctx context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	return d.start(c)
}

// start starts c; d.mu is held.
func (d *Driver) start(c *ctr) error {
	if c.running() {
		return nil
	}
	if c.startErr != "" {
		c.state.Error = c.startErr
		c.state.ExitCode = 128
		c.notify()
		return errdefs.Invalidf("start container %q: %s", c.state.ID, c.startErr)
	}
	if other, ok := strings.CutPrefix(c.spec.NetworkMode, "container:"); ok {
		// As Docker: the holder must run.
		if holder, err := d.lookup(other); err != nil || !holder.running() {
			c.state.Error = "cannot join network of a non running container: " + other
			c.state.ExitCode = 128
			c.notify()
			return errdefs.Conflictf("start container %q: %s", c.state.ID, c.state.Error)
		}
	}
	c.gen++
	d.nextPid++
	c.state.Status, c.state.Pid, c.state.Error, c.state.ExitCode = driver.StatusRunning, d.nextPid, "", 0
	c.state.StartedAt = time.Now()
	c.exitLater = false
	c.appendLog(stdout, c.state.Labels[LabelStdout])
	c.appendLog(stderr, c.state.Labels[LabelStderr])
	if c.runFor > 0 {
		id, gen := c.state.ID, c.gen
		c.timer = time.AfterFunc(c.runFor, func() { d.timeUp(id, gen) })
	}
	d.publish(c, "start")
	return nil
}

// timeUp ends the run of container id that began at generation gen.
func (d *Driver) timeUp(id string, gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.ctrs[id]
	switch {
	case !ok || c.gen != gen || !c.running():
	case c.state.Status == driver.StatusPaused:
		c.exitLater, c.laterCode = true, c.exitCode // a frozen process cannot exit yet
	default:
		d.exit(c, c.exitCode, true)
	}
}

// exit ends c's process with code; byItself says the process ended on its
// own, not by Stop or Kill, so that the restart policy applies. d.mu is
// held.
func (d *Driver) exit(c *ctr, code int, byItself bool) {
	c.gen++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.state.Status, c.state.ExitCode, c.state.Pid = driver.StatusExited, code, 0
	c.state.FinishedAt = time.Now()
	d.publish(c, "die")
	switch {
	case c.spec.AutoRemove:
		d.remove(c)
	case byItself && d.restarts(c, code):
		c.restarts++
		c.state.Status = driver.StatusRestarting
		id, gen := c.state.ID, c.gen
		c.timer = time.AfterFunc(restartDelay, func() { d.restartLater(id, gen) })
	}
}

// restarts reports whether c's restart policy restarts it after it exited
// with code.
func (d *Driver) restarts(c *ctr, code int) bool {
	switch p := c.spec.RestartPolicy; p.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (p.MaxRetryCount == 0 || c.restarts < p.MaxRetryCount)
	}
	return false
}

// restartLater starts container id again after its restart delay.
func (d *Driver) restartLater(id string, gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.ctrs[id]; ok && c.gen == gen && c.state.Status == driver.StatusRestarting {
		c.state.Status = driver.StatusExited
		d.start(c)
	}
}

// remove deletes c; d.mu is held.
func (d *Driver) remove(c *ctr) {
	delete(d.ctrs, c.state.ID)
	delete(d.names, c.state.Name)
	c.state.Status = driver.StatusRemoving
	c.notify()
	d.publish(c, "destroy")
}

// Rename implements driver.Renamer.
func (d *Driver) Rename(ctx context.Context, id, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookup(id)
	if err != nil {
		return err
	}
	if other, ok := d.names[name]; ok && other != c.state.ID {
		return errdefs.Conflictf("rename container %q: the name %q is already in use by container %q", id, name, other)
	}
	delete(d.names, c.state.Name)
	c.state.Name, c.spec.Name = name, name
	d.names[name] = c.state.ID
	d.publish(c, "rename")
	return nil
}
