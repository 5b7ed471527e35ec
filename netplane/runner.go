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
// Run may be called from several goroutines at once. A Plane runs the
// commands that act on the Runner's namespace from the goroutine that
// called it (a caller may have locked that goroutine's thread into another
// namespace); only those naming their namespace (nsenter --net=PATH) may
// run from another goroutine.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Exec runs commands on this host, in the caller's network namespace.
type Exec struct{}

// Run runs the command.
func (Exec) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
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

// Interface guards
var (
	_ Runner = Exec{}
	_ Runner = netnsRunner{}
)
