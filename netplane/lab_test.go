package netplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The runtime tests build hosts and containers out of network namespaces
// and check the data plane with real packets. They need root, iproute2,
// iptables, nsenter and busybox (ping, nc); they never touch the root
// namespace, and remove all they made.

// labs numbers the labs of this test process, for unique namespace names.
var labs atomic.Int32

// lab is a set of namespaces: hosts on one underlay, and containers.
type lab struct {
	t    testing.TB
	name string // prefix of its namespaces' names
	n    int    // namespaces made so far
}

// host is a namespace standing for a compute host, with its Plane.
type host struct {
	path  string // of its namespace
	plane *Plane
}

// ctr is a namespace standing for a container, held by a sleep.
type ctr struct {
	lab   *lab
	path  string
	sleep *exec.Cmd
	pid   int // of the sleep
}

// newLab skips the test unless it can run, and removes the lab's
// namespaces when the test ends.
func newLab(t testing.TB) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the data plane tests need root")
	}
	for _, tool := range []string{"ip", "bridge", "iptables-restore", "ip6tables-restore", "nsenter", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the data plane tests need %s", tool)
		}
	}
	if t, ok := t.(*testing.T); ok {
		t.Parallel()
	}
	return &lab{t: t, name: fmt.Sprintf("zt-%d-%d", os.Getpid(), labs.Add(1))}
}

// sh runs a command, failing the test if it fails.
func (l *lab) sh(name string, args ...string) string {
	l.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// netns makes a namespace, with lo up.
func (l *lab) netns(kind string) string {
	l.t.Helper()
	l.n++
	name := fmt.Sprintf("%s-%s%d", l.name, kind, l.n)
	l.sh("ip", "netns", "add", name)
	path := "/var/run/netns/" + name
	l.t.Cleanup(func() {
		if _, err := os.Stat(path); err != nil {
			return // removed by the test
		}
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	l.sh("nsenter", "--net="+path, "ip", "link", "set", "lo", "up")
	return path
}

// hosts makes one or two hosts joined by an underlay (a veth,
// 10.250.0.1/24 and .2/24), each with a
// FORWARD policy of DROP as Docker sets. The last host also has the
// bridge-nf-call sysctls off, so the bridges' own setting is what counts.
func (l *lab) hosts(n int) []*host {
	l.t.Helper()
	if n > 2 {
		l.t.Fatal("a lab has one or two hosts")
	}
	var hosts []*host
	for i := range n {
		path := l.netns("h")
		for _, cmd := range []string{"iptables", "ip6tables"} {
			l.sh("nsenter", "--net="+path, cmd, "-P", "FORWARD", "DROP")
		}
		if i == n-1 && n > 1 {
			l.sh("nsenter", "--net="+path, "sysctl", "-q", "-w",
				"net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0")
		}
		tunnel := netip.AddrFrom4([4]byte{10, 250, 0, byte(i + 1)})
		hosts = append(hosts, &host{path: path, plane: &Plane{TunnelIP: tunnel, Runner: InNetns(path, nil)}})
	}
	if n == 2 {
		l.sh("ip", "-n", nsName(hosts[0].path), "link", "add", "u0", "type", "veth", "peer", "name", "u0", "netns", nsName(hosts[1].path))
		for i, h := range hosts {
			l.sh("ip", "-n", nsName(h.path), "addr", "add", fmt.Sprintf("10.250.0.%d/24", i+1), "dev", "u0")
			l.sh("ip", "-n", nsName(h.path), "link", "set", "u0", "up")
		}
	}
	return hosts
}

func nsName(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// container makes a container namespace and starts its sleep.
func (l *lab) container() *ctr {
	l.t.Helper()
	c := &ctr{lab: l, path: l.netns("c")}
	c.start()
	return c
}

// start starts a sleep in the container's namespace (again, after stop:
// the container restarted).
func (c *ctr) start() {
	c.lab.t.Helper()
	cmd := exec.Command("nsenter", "--net="+c.path, "sleep", "600")
	if err := cmd.Start(); err != nil {
		c.lab.t.Fatal(err)
	}
	c.lab.t.Cleanup(func() { stop(cmd) })
	c.sleep, c.pid = cmd, cmd.Process.Pid // nsenter execs sleep in its own process
}

// stop kills the container's sleep; its namespace stays.
func (c *ctr) stop() { stop(c.sleep) }

// remove kills the container's sleep and deletes its namespace, as a
// container runtime does.
func (c *ctr) remove() {
	c.lab.t.Helper()
	c.stop()
	c.lab.sh("ip", "netns", "del", nsName(c.path))
}

func stop(cmd *exec.Cmd) {
	if cmd.ProcessState == nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// in runs a command in the container's namespace.
func (c *ctr) in(name string, args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=" + c.path, name}, args...)...).CombinedOutput()
	return string(out), err
}

// serve starts a TCP server answering "ok" on port.
func (c *ctr) serve(port int) {
	c.lab.t.Helper()
	cmd := exec.Command("nsenter", "--net="+c.path, "busybox", "nc", "-ll", "-p", fmt.Sprint(port), "-e", "/bin/echo", "ok")
	if err := cmd.Start(); err != nil {
		c.lab.t.Fatal(err)
	}
	c.lab.t.Cleanup(func() { stop(cmd) })
}

// ping reports whether one echo request from the container to ip (from
// source src, if given) is answered within a second.
func (c *ctr) ping(ip string, src ...string) bool {
	args := []string{"ping", "-c1", "-W1"}
	if netip.MustParseAddr(ip).Is6() {
		args = append(args, "-6")
	}
	for _, s := range src {
		args = append(args, "-I", s)
	}
	_, err := c.in("busybox", append(args, ip)...)
	return err == nil
}

// dial reports whether a TCP connection from the container to ip:port is
// made within a second and answered "ok".
func (c *ctr) dial(ip string, port int) bool {
	out, err := c.in("busybox", "nc", "-w", "1", ip, fmt.Sprint(port))
	return err == nil && strings.TrimSpace(out) == "ok"
}

// eventually polls cond for a few seconds: the first packets may wait for
// neighbour resolution or a server to listen.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
	}
}

// reaches checks that traffic from c gets to a destination (polling: the
// path is new); blocked checks it does not, once. Each blocked check
// follows a reaches check on the same path that proves it works.
func reaches(t *testing.T, what string, ok func() bool) {
	t.Helper()
	eventually(t, what, ok)
}

func blocked(t *testing.T, what string, ok func() bool) {
	t.Helper()
	if ok() {
		t.Errorf("got through, want blocked: %s", what)
	}
}

// apply applies cfg on h, failing the test on an error.
func (h *host) apply(t *testing.T, cfg Config) {
	t.Helper()
	if err := h.plane.Apply(context.Background(), cfg); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// plug plugs a port into c as eth0.
func (h *host) plug(t *testing.T, portID string, c *ctr) {
	t.Helper()
	if err := h.plane.Plug(context.Background(), portID, c.pid, "eth0"); err != nil {
		t.Fatalf("Plug: %v", err)
	}
}
