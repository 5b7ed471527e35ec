package netplane

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Runner runs a command (ip, bridge, iptables-restore...) and returns its
// standard output. A failure's error carries the command's standard error.
// Run may be called from several goroutines at once. A Plane starts the
// commands that act on the Runner's namespace from the goroutine that
// called it (a caller may have locked that goroutine's thread into another
// namespace); only those naming their namespace (nsenter --net=PATH) may
// start from another goroutine.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Exec runs commands on this host, in the caller's network namespace.
type Exec struct{}

// Run runs the command.
func (e Exec) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	wait, err := e.start(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	return wait()
}

// starter is a Runner that can also start a command and wait for its end
// later, so that two run at once. The command starts from the calling
// goroutine, in its thread's namespace.
type starter interface {
	start(ctx context.Context, name string, args ...string) (wait func() ([]byte, error), err error)
}

func (Exec) start(ctx context.Context, name string, args ...string) (func() ([]byte, error), error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	fail := func(err error) error {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	if err := cmd.Start(); err != nil {
		return nil, fail(err)
	}
	return func() ([]byte, error) {
		if err := cmd.Wait(); err != nil {
			return stdout.Bytes(), fail(err)
		}
		return stdout.Bytes(), nil
	}, nil
}

// local reports whether run runs commands in this process's own network
// namespace, where netplane reads and writes some things itself rather
// than run a command: Exec does (a Runner wrapping one says so with a
// method local() bool).
func local(run Runner) bool {
	switch r := run.(type) {
	case Exec:
		return true
	case interface{ local() bool }:
		return r.local()
	}
	return false
}

// InNetns runs commands in the network namespace at path (e.g.
// /var/run/netns/NAME or /proc/PID/ns/net) with nsenter, through run (nil:
// Exec). Tests use it to make a namespace a host.
func InNetns(path string, run Runner) Runner {
	if run == nil {
		run = Exec{}
	}
	return netnsRunner{path: path, run: run}
}

type netnsRunner struct {
	path string
	run  Runner
}

func (r netnsRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return r.run.Run(ctx, "nsenter", append([]string{"--net=" + r.path, name}, args...)...)
}

// start starts the command if the Runner it goes through can.
func (r netnsRunner) start(ctx context.Context, name string, args ...string) (func() ([]byte, error), error) {
	args = append([]string{"--net=" + r.path, name}, args...)
	if s, ok := r.run.(starter); ok {
		return s.start(ctx, "nsenter", args...)
	}
	out, err := r.run.Run(ctx, "nsenter", args...)
	return func() ([]byte, error) { return out, err }, nil
}

// Interface guards
var (
	_ Runner  = Exec{}
	_ Runner  = netnsRunner{}
	_ starter = Exec{}
	_ starter = netnsRunner{}
)
