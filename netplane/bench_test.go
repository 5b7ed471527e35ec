package netplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// counter is a Runner that counts the commands it runs (those called
// only, if set).
type counter struct {
	run  Runner
	only string
	n    atomic.Int64
}

func (c *counter) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	if c.only == "" || name == c.only {
		c.n.Add(1)
	}
	return c.run.Run(ctx, name, args...)
}

// enter moves the calling goroutine into host h's namespace, for good (its
// thread stays locked, and ends with it), and gives h's Plane a counting
// Exec there: commands are run as an agent runs them in its own
// namespace, not through nsenter.
func enter(b testing.TB, h *host) *counter {
	b.Helper()
	runtime.LockOSThread()
	ns, err := os.Open(h.path)
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		b.Fatalf("setns %s: %v", h.path, err)
	}
	run := &counter{run: Exec{}}
	if os.Getenv("NETPLANE_BENCH_TRACE") != "" {
		run.run = tracer{Exec{}}
	}
	h.plane.Runner = run
	return run
}

// tracer is a Runner that prints each command and how long it took.
type tracer struct{ run Runner }

func (t tracer) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	start := time.Now()
	out, err := t.run.Run(ctx, name, args...)
	fmt.Fprintf(os.Stderr, "%6.1fms %s %s\n", float64(time.Since(start).Microseconds())/1000, name, strings.Join(args, " "))
	return out, err
}

func (c *counter) local() bool { return local(c.run) }
func (t tracer) local() bool   { return local(t.run) }

func (c *counter) start(ctx context.Context, name string, args ...string) (func() ([]byte, error), error) {
	if c.only == "" || name == c.only {
		c.n.Add(1)
	}
	if s, ok := c.run.(starter); ok {
		return s.start(ctx, name, args...)
	}
	out, err := c.run.Run(ctx, name, args...)
	return func() ([]byte, error) { return out, err }, nil
}

func (t tracer) start(ctx context.Context, name string, args ...string) (func() ([]byte, error), error) {
	start := time.Now()
	wait, err := t.run.(starter).start(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	return func() ([]byte, error) {
		out, err := wait()
		fmt.Fprintf(os.Stderr, "%6.1fms %s %s (started)\n", float64(time.Since(start).Microseconds())/1000, name, strings.Join(args, " "))
		return out, err
	}, nil
}

// benchPorts are n secured ports on one network, each with ingress rules
// of its own, as a busy host has.
func benchPorts(n int) []Port {
	ports := make([]Port, n)
	for i := range ports {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, i+1)
		ports[i] = port(id, netA, i+1, true, Rule{Protocol: "tcp", PortMin: 22, PortMax: 22},
			Rule{Protocol: "icmp", Remotes: prefixes("10.0.0.0/24")})
	}
	return ports
}

// BenchmarkApplyNewPort times Apply of a host's Config after one new port
// (a container being created), on a host that has n others, in a lab
// namespace. procs/op is the commands Apply runs.
func BenchmarkApplyNewPort(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("ports=%d", n), func(b *testing.B) {
			l := newLab(b)
			h := l.hosts(1)[0]
			run := enter(b, h)
			network := Network{ID: netA, VNI: 10, Remotes: []netip.Addr{netip.MustParseAddr("10.250.0.9")}}
			ports := benchPorts(n + 1)
			base := Config{Networks: []Network{network}, Ports: ports[:n]}
			grown := Config{Networks: []Network{network}, Ports: ports}
			ctx := context.Background()
			if err := h.plane.Apply(ctx, base); err != nil {
				b.Fatal(err)
			}
			var ran int64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := h.plane.Apply(ctx, base); err != nil {
					b.Fatal(err)
				}
				before := run.n.Load()
				b.StartTimer()
				if err := h.plane.Apply(ctx, grown); err != nil {
					b.Fatal(err)
				}
				ran += run.n.Load() - before
			}
			b.ReportMetric(float64(ran)/float64(b.N), "procs/op")
		})
	}
}

// BenchmarkPlug times what the agent does to plug a new container's port
// (Plugged, then Plug), in a lab namespace. procs/op is the commands run.
func BenchmarkPlug(b *testing.B) {
	l := newLab(b)
	h := l.hosts(1)[0]
	c := l.container()
	run := enter(b, h)
	ctx := context.Background()
	cfg := Config{Networks: []Network{{ID: netA, VNI: 10}}, Ports: benchPorts(10)}
	if err := h.plane.Apply(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	id := cfg.Ports[0].ID
	var ran int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := h.plane.Unplug(ctx, id); err != nil {
			b.Fatal(err)
		}
		before := run.n.Load()
		b.StartTimer()
		if ok, err := h.plane.Plugged(ctx, id); err != nil || ok {
			b.Fatalf("Plugged: %v, %v", ok, err)
		}
		if err := h.plane.Plug(ctx, id, c.pid, "eth0"); err != nil {
			b.Fatal(err)
		}
		ran += run.n.Load() - before
	}
	b.StopTimer()
	if out, err := c.in("ip", "-o", "addr", "show", "dev", "eth0"); err != nil {
		b.Fatalf("eth0 after Plug: %v: %s", err, out)
	}
	b.ReportMetric(float64(ran)/float64(b.N), "procs/op")
}
