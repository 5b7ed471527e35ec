// Package docker is the Docker Engine runtime of a compute host: it
// implements driver.Driver and every optional driver interface (events,
// pause, exec, logs, update, stats, top, commit) on the official Docker Go
// client.
//
// The client negotiates the API version with the engine, so the driver
// works with Debian's docker.io 20.10 (API 1.41) as with newer engines; it
// uses no option that API 1.41 rejects.
//
// Every container the driver creates carries driver.LabelManaged, its
// owner (driver.LabelUUID or LabelSandbox) and, when Options.HostName is
// set, driver.LabelHost. List and Events see only containers with those
// labels, so several compute hosts (or a test run) can share one engine
// without seeing each other's containers, and containers started by hand
// are never touched.
//
// Errors name the container or image and wrap the project's errdefs kinds:
// a missing object is errdefs.ErrNotFound, a state conflict (removing a
// running container, a duplicate name, exec in a stopped container)
// errdefs.ErrConflict, a request the engine refuses errdefs.ErrInvalid and an
// engine that cannot be reached errdefs.ErrUnavailable.
package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Options configure a Driver.
type Options struct {
	// Host is the engine's address, e.g. unix:///var/run/docker.sock or
	// tcp://10.0.0.5:2375. "" means DOCKER_HOST, or the local socket when
	// that is unset.
	Host string
	// HostName is the compute host's name. When set, Create writes it as
	// driver.LabelHost and List and Events see only containers carrying it.
	HostName string
	// Limits bound every container the driver creates (processes, log
	// size); the zero value bounds nothing.
	Limits Limits
}

// Driver runs containers on a Docker Engine. It is safe for concurrent use.
type Driver struct {
	cli      *client.Client
	hostName string
	limits   Limits

	engMu sync.Mutex
	eng   *engine // what the engine can enforce, once known
}

// New connects to the engine of opts and checks that it answers. An engine
// that cannot be reached is an errdefs.ErrUnavailable error.
func New(ctx context.Context, opts Options) (*Driver, error) {
	d, err := Dial(opts)
	if err != nil {
		return nil, err
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Dial returns a driver for the engine of opts without waiting for it to
// answer: an agent starts while its engine is down and catches up when it
// is back. The API version is negotiated on the first call that reaches
// the engine.
func Dial(opts Options) (*Driver, error) {
	copts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if opts.Host != "" {
		copts = append(copts, client.WithHost(opts.Host))
	}
	cli, err := client.NewClientWithOpts(copts...)
	if err != nil {
		return nil, errdefs.Invalidf("docker engine address %q: %w", opts.Host, err)
	}
	return &Driver{cli: cli, hostName: opts.HostName, limits: opts.Limits}, nil
}

// Ping implements driver.Pinger: an engine that cannot be reached is an
// errdefs.ErrUnavailable error.
func (d *Driver) Ping(ctx context.Context) error {
	ping, err := d.cli.Ping(ctx)
	if err != nil {
		return errdefs.Unavailablef("docker engine at %s is unreachable: %w", d.cli.DaemonHost(), err)
	}
	d.cli.NegotiateAPIVersionPing(ping)
	return nil
}

// Name is "docker".
func (d *Driver) Name() string { return "docker" }

// APIVersion is the API version negotiated with the engine, e.g. "1.41".
func (d *Driver) APIVersion() string { return d.cli.ClientVersion() }

// Close releases the client's connections.
func (d *Driver) Close() error { return d.cli.Close() }

// containerErr names container id in err and gives it its errdefs kind.
func containerErr(id string, err error) error {
	return wrap(err, "container %q: %w", id)
}

// wrap formats err with format, whose last verb is the %w of err, and
// gives the result the errdefs kind of err.
func wrap(err error, format string, args ...any) error {
	args = append(args, err)
	switch kindOf(err) {
	case errdefs.ErrNotFound:
		return errdefs.NotFoundf(format, args...)
	case errdefs.ErrConflict:
		return errdefs.Conflictf(format, args...)
	case errdefs.ErrInvalid:
		return errdefs.Invalidf(format, args...)
	case errdefs.ErrUnavailable:
		return errdefs.Unavailablef(format, args...)
	case errdefs.ErrNotSupported:
		return errdefs.NotSupportedf(format, args...)
	}
	return fmt.Errorf(format, args...)
}

// kindOf is the errdefs kind of an error of the Docker client, or nil when
// it has none (an engine-internal error, a cancelled context).
//
// The client types the engine's answers by HTTP status (404 not found,
// 409 conflict, 400 invalid parameter, 503 unavailable, 501 not
// implemented), which containerd's errdefs recognises; a connection that
// fails is the client's own error.
func kindOf(err error) error {
	for _, kind := range []error{errdefs.ErrNotFound, errdefs.ErrConflict, errdefs.ErrInvalid,
		errdefs.ErrUnavailable, errdefs.ErrNotSupported} {
		if errors.Is(err, kind) {
			return kind // already ours
		}
	}
	switch {
	case err == nil:
		return nil
	case client.IsErrConnectionFailed(err):
		return errdefs.ErrUnavailable
	case cerrdefs.IsNotFound(err):
		return errdefs.ErrNotFound
	case cerrdefs.IsConflict(err):
		return errdefs.ErrConflict
	case cerrdefs.IsInvalidArgument(err):
		return errdefs.ErrInvalid
	case cerrdefs.IsUnavailable(err):
		return errdefs.ErrUnavailable
	case cerrdefs.IsNotImplemented(err):
		return errdefs.ErrNotSupported
	}
	return nil
}

// Interface guards
var _ driver.Pinger = (*Driver)(nil)
