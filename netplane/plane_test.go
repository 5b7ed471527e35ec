package netplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// anyEgress lets a port send anything, as Neutron's default group does.
var anyEgress = []Rule{{Remotes: prefixes("0.0.0.0/0", "::/0")}}

// port is a port of network on 10.0.0.0/24 and fd00::/64 with host number
// i, MAC fa:16:3e:00:00:0i.
func port(id, network string, i int, secured bool, ingress ...Rule) Port {
	v4 := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
	v6 := netip.MustParseAddr("fd00::").As16()
	v6[15] = byte(i)
	return Port{
		ID: id, NetworkID: network, MAC: macOf(i),
		Addresses:       []netip.Prefix{netip.PrefixFrom(v4, 24), netip.PrefixFrom(netip.AddrFrom16(v6), 64)},
		SecurityEnabled: secured, Ingress: ingress, Egress: anyEgress,
	}
}

func macOf(i int) string { return fmt.Sprintf("fa:16:3e:00:00:%02x", i) }

// TestSameHost checks security groups between containers on one host: what
// the rules allow gets through, nothing else does, a secured port cannot
// send from another address, and new rules apply to live containers.
func TestSameHost(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2, c3 := l.container(), l.container(), l.container()
	cfg := Config{
		Networks: []Network{{ID: netA, VNI: 10}},
		Ports: []Port{
			port(portA, netA, 1, true),
			port(portB, netA, 2, true, Rule{Protocol: "icmp"}, Rule{Protocol: "tcp", PortMin: 8080, PortMax: 8080}),
			port(portC, netA, 3, false),
		},
	}
	h.apply(t, cfg)
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	h.plug(t, portC, c3)
	c2.serve(8080)
	c2.serve(8081)

	reaches(t, "c1 → c2 ping (ingress icmp)", func() bool { return c1.ping("10.0.0.2") })
	reaches(t, "c1 → c2 ping over IPv6 (icmp is ICMPv6 too)", func() bool { return c1.ping("fd00::2") })
	reaches(t, "c1 → c2 tcp 8080 (ingress tcp 8080)", func() bool { return c1.dial("10.0.0.2", 8080) })
	blocked(t, "c1 → c2 tcp 8081 (no rule)", func() bool { return c1.dial("10.0.0.2", 8081) })
	blocked(t, "c2 → c1 ping (c1 has no ingress rules)", func() bool { return c2.ping("10.0.0.1") })
	reaches(t, "c1 → c3 ping (c3 without security)", func() bool { return c1.ping("10.0.0.3") })
	blocked(t, "c3 → c1 ping (c1 has no ingress rules)", func() bool { return c3.ping("10.0.0.1") })

	// Anti-spoofing: a secured port's container sending from an address
	// not its own is dropped; one without security is not checked.
	for _, c := range []*ctr{c1, c3} {
		if out, err := c.in("ip", "addr", "add", "10.0.0.99/24", "dev", "eth0"); err != nil {
			t.Fatalf("ip addr add: %v: %s", err, out)
		}
	}
	blocked(t, "c1 → c2 ping from 10.0.0.99 (spoofed)", func() bool { return c1.ping("10.0.0.2", "10.0.0.99") })
	reaches(t, "c1 → c2 ping from its own address", func() bool { return c1.ping("10.0.0.2", "10.0.0.1") })
	reaches(t, "c3 → c2 ping from 10.0.0.99 (c3 without security)", func() bool { return c3.ping("10.0.0.2", "10.0.0.99") })

	// New rules on live containers, no replug: c1 now answers pings, c2
	// no longer serves tcp 8080 to new connections.
	cfg.Ports[0].Ingress = []Rule{{Protocol: "icmp", Remotes: prefixes("10.0.0.0/24")}}
	cfg.Ports[1].Ingress = []Rule{{Protocol: "icmp"}}
	h.apply(t, cfg)
	reaches(t, "c2 → c1 ping after the rule change", func() bool { return c2.ping("10.0.0.1") })
	blocked(t, "c2 → c1 ping over IPv6 (the new rule is IPv4 only)", func() bool { return c2.ping("fd00::1") })
	blocked(t, "c1 → c2 tcp 8080 after the rule change", func() bool { return c1.dial("10.0.0.2", 8080) })

	// Plug is idempotent, and makes the addresses the port's again.
	h.plug(t, portA, c1)
	if out, _ := c1.in("ip", "-o", "addr", "show", "dev", "eth0"); strings.Contains(out, "10.0.0.99") {
		t.Errorf("c1 kept 10.0.0.99 after Plug:\n%s", out)
	}
	reaches(t, "c1 → c2 ping after a second Plug", func() bool { return c1.ping("10.0.0.2") })

	h.apply(t, Config{})
	h.assertClean(t)
}

// TestAcrossHosts checks the same over VXLAN between two hosts, and that
// a host's flooding list follows its network's remotes.
func TestAcrossHosts(t *testing.T) {
	l := newLab(t)
	hosts := l.hosts(2)
	h1, h2 := hosts[0], hosts[1]
	c1, c2 := l.container(), l.container()
	network := func(remote string) Network {
		return Network{ID: netA, VNI: 4242, Remotes: []netip.Addr{netip.MustParseAddr(remote)}}
	}
	cfg1 := Config{Networks: []Network{network("10.250.0.2")}, Ports: []Port{port(portA, netA, 1, true)}}
	cfg2 := Config{Networks: []Network{network("10.250.0.1")}, Ports: []Port{port(portB, netA, 2, true, Rule{Protocol: "icmp"})}}
	h1.apply(t, cfg1)
	h2.apply(t, cfg2)
	h1.plug(t, portA, c1)
	h2.plug(t, portB, c2)
	c2.serve(8080)

	reaches(t, "c1 → c2 ping across hosts", func() bool { return c1.ping("10.0.0.2") })
	reaches(t, "c1 → c2 ping over IPv6 across hosts", func() bool { return c1.ping("fd00::2") })
	blocked(t, "c1 → c2 tcp 8080 (no rule)", func() bool { return c1.dial("10.0.0.2", 8080) })
	blocked(t, "c2 → c1 ping (c1 has no ingress rules)", func() bool { return c2.ping("10.0.0.1") })

	cfg2.Ports[0].Ingress = append(cfg2.Ports[0].Ingress, Rule{Protocol: "tcp", PortMin: 8080, PortMax: 8080, Remotes: prefixes("10.0.0.1/32")})
	h2.apply(t, cfg2)
	reaches(t, "c1 → c2 tcp 8080 after the rule change", func() bool { return c1.dial("10.0.0.2", 8080) })

	// The flooding list follows the remotes: with none, c2 is out of reach.
	cfg1.Networks[0].Remotes = []netip.Addr{netip.MustParseAddr("10.250.0.7")}
	h1.apply(t, cfg1)
	lists, err := floodLists(context.Background(), h1.plane.Runner)
	if err != nil {
		t.Fatal(err)
	}
	if got := lists[vxlanName(netA)]; len(got) != 1 || got[0].String() != "10.250.0.7" {
		t.Errorf("flooding list: got %v, want [10.250.0.7]", got)
	}
	blocked(t, "c1 → c2 ping with h2 no longer a remote of h1", func() bool { return c1.ping("10.0.0.2") })
}

// TestNetworksIsolated checks that two networks with the same CIDR on one
// host cannot reach each other, even with no security groups at all.
func TestNetworksIsolated(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2, c3, c4 := l.container(), l.container(), l.container(), l.container()
	portD := "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
	h.apply(t, Config{
		Networks: []Network{{ID: netA, VNI: 1}, {ID: netB, VNI: 2}},
		Ports: []Port{
			port(portA, netA, 1, false), port(portB, netA, 2, false), // network A: 10.0.0.1, .2
			port(portC, netB, 1, false), port(portD, netB, 3, false), // network B: 10.0.0.1, .3
		},
	})
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	h.plug(t, portC, c3)
	h.plug(t, portD, c4)

	reaches(t, "c1 → c2 in network A", func() bool { return c1.ping("10.0.0.2") })
	reaches(t, "c3 → c4 in network B", func() bool { return c3.ping("10.0.0.3") })
	blocked(t, "c1 (A) → c4 (B)", func() bool { return c1.ping("10.0.0.3") })
	blocked(t, "c3 (B) → c2 (A)", func() bool { return c3.ping("10.0.0.2") })
	blocked(t, "c2 (A) → c4 (B) over IPv6", func() bool { return c2.ping("fd00::3") })

	// Each network's connections are in its own conntrack zone.
	out := l.sh("nsenter", "--net="+h.path, "cat", "/proc/net/nf_conntrack")
	for _, want := range []string{"src=10.0.0.1 dst=10.0.0.2 .* zone=1", "src=10.0.0.1 dst=10.0.0.3 .* zone=2"} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no connection %q in the host's conntrack table:\n%s", want, out)
		}
	}
}

// TestReplug checks Unplug, and Plug after the container restarted: in
// the same namespace, in a new one while the old lives on, and in a new
// one after the old was deleted. Then an empty Config removes everything.
func TestReplug(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	ctx := context.Background()
	c1, c2 := l.container(), l.container()
	h.apply(t, Config{
		Networks: []Network{{ID: netA, VNI: 10, MTU: 1400}},
		Ports:    []Port{port(portA, netA, 1, true), port(portB, netA, 2, true, Rule{Protocol: "icmp"})},
	})
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	reaches(t, "c1 → c2 ping", func() bool { return c1.ping("10.0.0.2") })
	if out, _ := c2.in("ip", "-o", "link", "show", "eth0"); !strings.Contains(out, "mtu 1400") || !strings.Contains(out, macOf(2)) {
		t.Errorf("c2's eth0 is not the port's MTU and MAC:\n%s", out)
	}

	if err := h.plane.Unplug(ctx, portB); err != nil {
		t.Fatalf("Unplug: %v", err)
	}
	if err := h.plane.Unplug(ctx, portB); err != nil {
		t.Fatalf("second Unplug: %v", err)
	}
	h.assertPlugged(t, portB, false)
	if out, err := c2.in("ip", "link", "show", "eth0"); err == nil {
		t.Errorf("c2 still has eth0 after Unplug:\n%s", out)
	}

	// Restarted in the same namespace.
	c2.stop()
	c2.start()
	h.plug(t, portB, c2)
	h.assertPlugged(t, portB, true)
	reaches(t, "c1 → c2 ping after a restart", func() bool { return c1.ping("10.0.0.2") })

	// Restarted in a new namespace, the old one still there.
	c2b := l.container()
	h.plug(t, portB, c2b)
	reaches(t, "c1 → c2 ping in its new namespace", func() bool { return c1.ping("10.0.0.2") })
	if out, err := c2.in("ip", "link", "show", "eth0"); err == nil {
		t.Errorf("the old namespace still has eth0 after the replug:\n%s", out)
	}

	// Restarted in a new namespace, the old one deleted (its veth goes
	// asynchronously).
	c2b.remove()
	c2c := l.container()
	h.plug(t, portB, c2c)
	reaches(t, "c1 → c2 ping after its namespace was replaced", func() bool { return c1.ping("10.0.0.2") })

	h.apply(t, Config{})
	h.assertClean(t)
	if out, err := c1.in("ip", "link", "show", "eth0"); err == nil {
		t.Errorf("c1 still has eth0 after an empty Apply:\n%s", out)
	}
}

// TestRepair checks that Apply of an unchanged Config does not look at the
// kernel, and Repair restores what went missing.
func TestRepair(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2 := l.container(), l.container()
	cfg := Config{
		Networks: []Network{{ID: netA, VNI: 10, Remotes: []netip.Addr{netip.MustParseAddr("10.250.0.9")}}},
		Ports:    []Port{port(portA, netA, 1, true), port(portB, netA, 2, true, Rule{Protocol: "icmp"})},
	}
	h.apply(t, cfg)
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	reaches(t, "c1 → c2 ping", func() bool { return c1.ping("10.0.0.2") })

	for _, cmd := range [][]string{
		{"iptables", "-D", "FORWARD", "-o", "zb+", "-j", "ZUN-FWD"},
		{"iptables", "-D", "FORWARD", "-i", "zb+", "-j", "ZUN-FWD"},
		{"iptables", "-F", "ZUN-I-" + mustKey(portB)},
		{"bridge", "fdb", "del", zeroMAC, "dev", vxlanName(netA), "dst", "10.250.0.9"},
		{"ip", "link", "del", vxlanName(netA)},
	} {
		l.sh("nsenter", append([]string{"--net=" + h.path}, cmd...)...)
	}
	blocked(t, "c1 → c2 ping with the FORWARD jumps gone", func() bool { return c1.ping("10.0.0.2") })
	h.apply(t, cfg) // unchanged: nothing done
	blocked(t, "c1 → c2 ping after Apply of the same Config", func() bool { return c1.ping("10.0.0.2") })

	if err := h.plane.Repair(context.Background()); err != nil {
		t.Fatalf("Repair: %v", err)
	}
	reaches(t, "c1 → c2 ping after Repair", func() bool { return c1.ping("10.0.0.2") })
	lists, err := floodLists(context.Background(), h.plane.Runner)
	if err != nil {
		t.Fatal(err)
	}
	if got := lists[vxlanName(netA)]; len(got) != 1 {
		t.Errorf("flooding list after Repair: got %v, want [10.250.0.9]", got)
	}
	blocked(t, "c2 → c1 ping after Repair (c1's ingress chain is back)", func() bool { return c2.ping("10.0.0.1") })
}

// TestHostUnreachable checks that a container reaches neither its host
// nor, through it, anything else, even with routes and neighbour entries
// of its own making (or a network whose CIDR overlaps the hosts').
func TestHostUnreachable(t *testing.T) {
	l := newLab(t)
	hosts := l.hosts(2)
	h1, h2 := hosts[0], hosts[1]
	c1 := l.container()
	h1.apply(t, Config{
		Networks: []Network{{ID: netA, VNI: 10, Remotes: []netip.Addr{netip.MustParseAddr("10.250.0.2")}}},
		Ports:    []Port{port(portA, netA, 1, false)},
	})
	h1.plug(t, portA, c1)
	if out, err := c1.in("ip", "route", "add", "10.250.0.0/24", "dev", "eth0"); err != nil {
		t.Fatalf("ip route add: %v: %s", err, out)
	}
	blocked(t, "c1 → its host's tunnel IP", func() bool { return c1.ping("10.250.0.1") })
	if out, _ := c1.in("ip", "neigh", "show", "10.250.0.1"); strings.Contains(out, "lladdr") {
		t.Errorf("the host answered ARP for its address on a tenant network: %s", out)
	}

	// Sent to the bridge's MAC, nothing gets to h1 nor, routed by h1
	// (forwarding on, FORWARD's policy ACCEPT), to h2. A rule of the
	// test's at the end of INPUT counts what does.
	l.sh("nsenter", "--net="+h1.path, "iptables", "-P", "FORWARD", "ACCEPT")
	all, err := links(context.Background(), h1.plane.Runner)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		l.sh("nsenter", "--net="+h.path, "iptables", "-A", "INPUT", "-s", "10.0.0.1", "-j", "ACCEPT")
	}
	for _, ip := range []string{"10.250.0.1", "10.250.0.2"} {
		if out, err := c1.in("ip", "neigh", "replace", ip, "lladdr", all[bridgeName(netA)].Address, "dev", "eth0"); err != nil {
			t.Fatalf("ip neigh replace: %v: %s", err, out)
		}
		blocked(t, "c1 → "+ip+" by h1's bridge's MAC", func() bool { return c1.ping(ip) })
	}
	for i, h := range []*host{h1, h2} {
		counters := l.sh("nsenter", "--net="+h.path, "iptables", "-nvxL", "INPUT")
		if !regexp.MustCompile(`(?m)^\s+0\s+0\s+ACCEPT.*10\.0\.0\.1`).MatchString(counters) {
			t.Errorf("packets from a container reached the end of h%d's INPUT chain:\n%s", i+1, counters)
		}
	}
}

// assertPlugged checks Plugged.
func (h *host) assertPlugged(t *testing.T, portID string, want bool) {
	t.Helper()
	got, err := h.plane.Plugged(context.Background(), portID)
	if err != nil {
		t.Fatalf("Plugged: %v", err)
	}
	if got != want {
		t.Errorf("Plugged(%s): got %v, want %v", portID, got, want)
	}
}

// assertClean checks that the host has none of netplane's devices and
// chains.
func (h *host) assertClean(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	all, err := links(ctx, h.plane.Runner)
	if err != nil {
		t.Fatal(err)
	}
	for name := range all {
		if ours(name, bridgePrefix) || ours(name, vxlanPrefix) || ours(name, vethPrefix) {
			t.Errorf("device %s is left", name)
		}
	}
	for _, f := range []Family{IPv4, IPv6} {
		save, err := h.plane.Runner.Run(ctx, f.saveCommand())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(save), "ZUN-") {
			t.Errorf("%s shows netplane's chains or jumps:\n%s", f.saveCommand(), save)
		}
	}
}

// TestChangedBehindItsBack checks that Apply, which rewrites only the
// chains a change touches without reading the kernel first, still
// converges when something else deleted one of its chains since: the
// restore fails, and Apply reads the kernel and writes all.
func TestChangedBehindItsBack(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2, c3 := l.container(), l.container(), l.container()
	cfg := Config{
		Networks: []Network{{ID: netA, VNI: 10}},
		Ports:    []Port{port(portA, netA, 1, true), port(portB, netA, 2, true, Rule{Protocol: "icmp"})},
	}
	h.apply(t, cfg)
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	reaches(t, "c1 → c2 ping", func() bool { return c1.ping("10.0.0.2") })

	for _, cmd := range [][]string{
		{"iptables", "-F", fwdChain},
		{"iptables", "-F", ingressChain + mustKey(portA)},
		{"iptables", "-X", ingressChain + mustKey(portA)},
	} {
		l.sh("nsenter", append([]string{"--net=" + h.path}, cmd...)...)
	}
	saves := &counter{run: h.plane.Runner, only: "iptables-save"}
	h.plane.Runner = saves
	cfg.Ports = append(cfg.Ports, port(portC, netA, 3, true, Rule{Protocol: "icmp"}))
	h.apply(t, cfg)
	if saves.n.Load() != 1 {
		t.Errorf("Apply ran iptables-save %d times, want once (after its restore failed)", saves.n.Load())
	}
	h.plug(t, portC, c3)
	reaches(t, "c1 → c3 ping (the new port)", func() bool { return c1.ping("10.0.0.3") })
	reaches(t, "c1 → c2 ping after Apply", func() bool { return c1.ping("10.0.0.2") })
	blocked(t, "c2 → c1 ping (c1's ingress chain is back)", func() bool { return c2.ping("10.0.0.1") })
}

// TestPlugInOwnNamespace checks Plug, Plugged and Apply where an agent
// runs them, in its own namespace (Exec), where netplane reads links and
// writes sysctls without commands.
func TestPlugInOwnNamespace(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2, c2b := l.container(), l.container(), l.container()
	run := enter(t, h) // for the rest of the test
	ctx := context.Background()
	h.apply(t, Config{
		Networks: []Network{{ID: netA, VNI: 10, MTU: 1400}},
		Ports:    []Port{port(portA, netA, 1, true), port(portB, netA, 2, true, Rule{Protocol: "icmp"})},
	})
	before := run.n.Load()
	h.assertPlugged(t, portA, false)
	if n := run.n.Load() - before; n != 0 {
		t.Errorf("Plugged of a port never plugged ran %d commands, want none", n)
	}
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	before = run.n.Load()
	h.assertPlugged(t, portA, true)
	if n := run.n.Load() - before; n != 0 {
		t.Errorf("Plugged of a plugged port ran %d commands, want none", n)
	}
	reaches(t, "c1 → c2 ping", func() bool { return c1.ping("10.0.0.2") })
	reaches(t, "c1 → c2 ping over IPv6", func() bool { return c1.ping("fd00::2") })
	blocked(t, "c2 → c1 ping (c1 has no ingress rules)", func() bool { return c2.ping("10.0.0.1") })
	if out, _ := c2.in("ip", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, "10.0.0.2/24") || !strings.Contains(out, "fd00::2/64") {
		t.Errorf("c2's eth0 lacks the port's addresses:\n%s", out)
	}
	if out, _ := c2.in("ip", "-o", "link", "show", "dev", "eth0"); !strings.Contains(out, "mtu 1400") || !strings.Contains(out, macOf(2)) || !strings.Contains(out, "state UP") {
		t.Errorf("c2's eth0 is not up with the port's MTU and MAC:\n%s", out)
	}
	// This goroutine is in the host's namespace: so is what it reads.
	for _, dev := range []string{vethName(portA), bridgeName(netA), vxlanName(netA)} {
		if b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + dev + "/disable_ipv6"); err != nil || strings.TrimSpace(string(b)) != "1" {
			t.Errorf("%s: disable_ipv6 is %q (%v), want 1", dev, b, err)
		}
	}

	// c2 restarted in a new namespace: its veth leads elsewhere.
	h.plug(t, portB, c2b)
	reaches(t, "c1 → c2 ping in its new namespace", func() bool { return c1.ping("10.0.0.2") })
	if out, err := c2.in("ip", "link", "show", "eth0"); err == nil {
		t.Errorf("the old namespace still has eth0 after the replug:\n%s", out)
	}
	if err := h.plane.Unplug(ctx, portB); err != nil {
		t.Fatal(err)
	}
	h.assertPlugged(t, portB, false)

	// A namespace that has an eth0 of its own: a conflict, and nothing made.
	if err := h.plane.Plug(ctx, portB, c1.pid, "eth0"); !errdefs.IsConflict(err) {
		t.Errorf("Plug as an interface name taken: got %v, want ErrConflict", err)
	}
	h.assertPlugged(t, portB, false)
}

// TestIncrementalEqualsFull checks that a host brought through a series of
// Configs, each Apply writing only what changed, ends with the chains a
// host given the last Config at once has, rule for rule.
func TestIncrementalEqualsFull(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	ports := benchPorts(6)
	network := Network{ID: netA, VNI: 10}
	cfg := Config{Networks: []Network{network}, Ports: slices.Clone(ports[:3])}
	for _, change := range []func(){
		func() { cfg.Ports = append(cfg.Ports, ports[3]) },
		func() { cfg.Ports = append([]Port{ports[4]}, cfg.Ports...) },                         // first in the Config, last in ZUN-FWD
		func() { cfg.Ports = slices.Delete(cfg.Ports, 2, 3) },                                 // one removed
		func() { cfg.Ports[0].Ingress = append(cfg.Ports[0].Ingress, Rule{Protocol: "udp"}) }, // a rule added
		func() { cfg.Ports[1].Ingress = cfg.Ports[1].Ingress[1:] },                            // a rule removed
		func() { cfg.Ports[2].SecurityEnabled = false },                                       // security off
		func() { cfg.Ports = append(cfg.Ports, ports[5]); cfg.Networks[0].VNI = 11 },          // and a new zone
		func() { cfg.Ports[1] = ports[1] },                                                    // one port for another, at once, in the middle of ZUN-FWD
	} {
		change()
		h.apply(t, cfg)
	}
	fresh := l.hosts(1)[0]
	fresh.apply(t, cfg)
	for _, f := range []Family{IPv4, IPv6} {
		got, want := chainsOf(t, h, f), chainsOf(t, fresh, f)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s after incremental Applies:\n%v\nwant, as after one Apply:\n%v", f.saveCommand(), got, want)
		}
	}
}

// chainsOf lists the rules of netplane's chains on a host, and the jumps
// to them, in order.
func chainsOf(t *testing.T, h *host, f Family) map[string][]string {
	t.Helper()
	save, err := h.plane.Runner.Run(context.Background(), f.saveCommand())
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string][]string{}
	table := ""
	for line := range strings.Lines(string(save)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case strings.HasPrefix(line, ":ZUN-"):
			name, _, _ := strings.Cut(line[1:], " ")
			chains[table+" "+name] = []string{}
		case strings.HasPrefix(line, "-A ") && strings.Contains(line, "ZUN-"):
			chain, rule, _ := strings.Cut(line[3:], " ")
			chains[table+" "+chain] = append(chains[table+" "+chain], rule)
		}
	}
	return chains
}

// TestAddressMoved checks that a port given the address of a deleted one
// is reached at once, where an agent plugs it (Exec, in the host's
// namespace): Plug announces its address, so a neighbour that knew it at
// the old MAC (REACHABLE for 15 to 45 s otherwise) learns the new one.
func TestAddressMoved(t *testing.T) {
	l := newLab(t)
	h := l.hosts(1)[0]
	c1, c2, c3 := l.container(), l.container(), l.container()
	enter(t, h) // for the rest of the test
	network := Network{ID: netA, VNI: 10}
	icmp := Rule{Protocol: "icmp"}
	h.apply(t, Config{Networks: []Network{network}, Ports: []Port{port(portA, netA, 1, true, icmp), port(portB, netA, 2, true, icmp)}})
	h.plug(t, portA, c1)
	h.plug(t, portB, c2)
	reaches(t, "c1 → c2 ping", func() bool { return c1.ping("10.0.0.2") })

	moved := port(portC, netA, 2, true, icmp)
	moved.MAC = macOf(9)
	c2.remove()
	h.apply(t, Config{Networks: []Network{network}, Ports: []Port{port(portA, netA, 1, true, icmp), moved}})
	h.plug(t, portC, c3)
	reaches(t, "c1 → 10.0.0.2, now c3's, at its new MAC", func() bool {
		out, _ := c1.in("ip", "neigh", "show", "10.0.0.2")
		return strings.Contains(out, macOf(9)) && c1.ping("10.0.0.2")
	})
}
