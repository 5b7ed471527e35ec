package compute

import (
	"context"
	"io"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// The agent answers the control plane's direct calls (logs, exec, stats,
// top, update, commit) with its runtime's optional features.

// Logs returns a container's logs.
func (a *Agent) Logs(ctx context.Context, id string, opts driver.LogOptions) (io.ReadCloser, error) {
	l, ok := a.drv.(driver.Logger)
	if !ok {
		return nil, a.unsupported("read logs")
	}
	return l.Logs(ctx, id, opts)
}

// Exec runs a command in a container and waits for it.
func (a *Agent) Exec(ctx context.Context, id string, cmd []string) (driver.ExecResult, error) {
	e, ok := a.drv.(driver.Execer)
	if !ok {
		return driver.ExecResult{}, a.unsupported("execute commands")
	}
	return e.Exec(ctx, id, cmd)
}

// Stats samples a container's resource use.
func (a *Agent) Stats(ctx context.Context, id string) (driver.Stats, error) {
	s, ok := a.drv.(driver.Statter)
	if !ok {
		return driver.Stats{}, a.unsupported("report stats")
	}
	return s.Stats(ctx, id)
}

// Top lists a container's processes.
func (a *Agent) Top(ctx context.Context, id, psArgs string) (driver.TopResult, error) {
	t, ok := a.drv.(driver.Topper)
	if !ok {
		return driver.TopResult{}, a.unsupported("list processes")
	}
	return t.Top(ctx, id, psArgs)
}

// Update changes a container's cpu and memory limits live.
func (a *Agent) Update(ctx context.Context, id string, r driver.Resources) error {
	u, ok := a.drv.(driver.Updater)
	if !ok {
		return a.unsupported("update resources")
	}
	return u.Update(ctx, id, r)
}

// Commit snapshots a container into an image on this host.
func (a *Agent) Commit(ctx context.Context, id, repository, tag string) (string, error) {
	c, ok := a.drv.(driver.Committer)
	if !ok {
		return "", a.unsupported("commit containers")
	}
	return c.Commit(ctx, id, repository, tag)
}

func (a *Agent) unsupported(what string) error {
	return errdefs.NotSupportedf("the %s runtime of host %s cannot %s", a.drv.Name(), a.cfg.Host, what)
}
