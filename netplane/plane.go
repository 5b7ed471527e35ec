// Package netplane is the per-host data plane of tenant networks: it makes
// a host's kernel match the network state the control plane computed for
// it (a Config), and plugs containers' network namespaces into it.
//
//	container netns       container netns
//	 eth0 10.0.0.5         eth0 10.0.0.6
//	    │ veth                │ veth
//	 zv<port>            zv<port>         iptables: anti-spoofing, egress
//	    └──── zb<network> ────┘           and ingress security groups per
//	          bridge, no IP               port; nothing to or through the host
//	              │
//	          zx<network>  VXLAN, VNI ── UDP 4789 ──▶ the network's other hosts
//
// Each tenant network on the host is a Linux bridge with no address, so
// networks are isolated by construction and overlapping CIDRs are fine; the
// host neither answers ARP nor accepts or routes packets on it. Its VXLAN
// device replicates broadcasts and unknown unicast to every other host of
// the network (head-end replication). Security groups are iptables rules on
// the frames the bridges forward (br_netfilter), each network in its own
// conntrack zone; Ruleset describes the chains. README.md says what a host
// needs.
package netplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zun-go/zun/errdefs"
)

// Plane is the data plane of one host. Its methods are safe for concurrent
// use and run one at a time.
type Plane struct {
	// TunnelIP is this host's address on the underlay, the local end of
	// every VXLAN tunnel.
	TunnelIP netip.Addr
	// Runner runs the ip, bridge, sysctl and iptables commands; nil: Exec,
	// this host's own namespace.
	Runner Runner

	mu     sync.Mutex
	last   *Config // of the last Apply that passed validation
	synced bool    // the kernel matched last when Apply or Repair returned
	done   applied // what the kernel was last made to match, part by part
}

// applied remembers, part by part, what the last reconcile made the kernel
// match, so that Apply skips the parts whose input has not changed since:
// a new port, the usual change, only rewrites the chains it changes. An
// empty field is unknown (never done, or failed): that part looks at the
// kernel again. Repair forgets it all, so what something else changed in
// the kernel is put back within the caller's repair interval.
type applied struct {
	netfilter bool                  // br_netfilter was there
	links     *linkState            // the devices
	remotes   string                // the flooding lists, remotesKey's
	rules     map[Family]*installed // netplane's chains, as restored
}

// linkState is the input of reconcileLinks.
type linkState struct {
	tunnel   netip.Addr
	networks string            // id, VNI and MTU of each network
	ports    map[string]string // port id → its network's
}

func linkStateOf(cfg Config, tunnel netip.Addr) *linkState {
	networks := make([]string, len(cfg.Networks))
	for i, n := range cfg.Networks {
		networks[i] = fmt.Sprintf("%s %d %d", n.ID, n.VNI, n.mtu())
	}
	slices.Sort(networks) // in any order
	ports := make(map[string]string, len(cfg.Ports))
	for _, p := range cfg.Ports {
		ports[p.ID] = p.NetworkID
	}
	return &linkState{tunnel: tunnel, networks: strings.Join(networks, "\n"), ports: ports}
}

// covers reports whether reconcileLinks of next has nothing to do once
// the kernel matches s: the same networks and no port gone or moved. A new
// port needs nothing: its veth is Plug's to make (and Plug completes one
// cut short).
func (s *linkState) covers(next *linkState) bool {
	if s == nil || s.tunnel != next.tunnel || s.networks != next.networks {
		return false
	}
	for id, network := range s.ports {
		if next.ports[id] != network {
			return false
		}
	}
	return true
}

// remotesKey is the input of reconcileRemotes, networks and their
// remotes in any order.
func remotesKey(cfg Config) string {
	networks := make([]string, len(cfg.Networks))
	for i, n := range cfg.Networks {
		remotes := slices.SortedFunc(slices.Values(n.Remotes), netip.Addr.Compare)
		networks[i] = fmt.Sprintf("%s %v", n.ID, remotes)
	}
	slices.Sort(networks)
	return strings.Join(networks, "\n")
}

func (p *Plane) run() Runner {
	if p.Runner == nil {
		return Exec{}
	}
	return p.Runner
}

// Apply makes the host's kernel match cfg: bridges, VXLAN devices and their
// remotes, the host ends of ports (the container ends are Plug's), and the
// security group chains. Whatever of netplane's the kernel has that cfg no
// longer has is removed. An invalid cfg is refused (errdefs.ErrInvalid)
// and nothing changes.
//
// Apply is idempotent. Called again with the Config it last applied
// successfully, it returns at once without looking at the kernel; Repair
// looks again. Otherwise it does only what the change needs, trusting the
// kernel to hold what it made last (see applied): a new port, the usual
// change, costs an iptables-restore and an ip6tables-restore adding the
// port's chains and its jumps, and nothing else.
func (p *Plane) Apply(ctx context.Context, cfg Config) error {
	if err := p.validate(cfg); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.synced && reflect.DeepEqual(*p.last, cfg) {
		return nil
	}
	last := cfg.clone()
	p.last, p.synced = &last, false
	if err := p.reconcile(ctx, last); err != nil {
		return err
	}
	p.synced = true
	return nil
}

// Repair re-applies the last Config in full, restoring whatever went
// missing from the kernel since (a deleted device or remote, a flushed
// chain, the FORWARD jump removed by a firewall reload). The caller runs
// it periodically and when something may have touched the host's network.
func (p *Plane) Repair(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return nil
	}
	p.synced, p.done = false, applied{}
	if err := p.reconcile(ctx, *p.last); err != nil {
		return err
	}
	p.synced = true
	return nil
}

// validate checks cfg, and its remotes against the tunnel IP.
func (p *Plane) validate(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(cfg.Networks) > 0 && (!p.TunnelIP.IsValid() || p.TunnelIP.IsUnspecified()) {
		return errdefs.Invalidf("the plane has no tunnel IP for its networks' VXLAN devices")
	}
	for _, n := range cfg.Networks {
		for _, r := range n.Remotes {
			if r.Is4() != p.TunnelIP.Is4() {
				return errdefs.Invalidf("network %q: remote %v is not of the tunnel IP %v's family", n.ID, r, p.TunnelIP)
			}
			if r == p.TunnelIP {
				return errdefs.Invalidf("network %q: remote %v is this host's tunnel IP", n.ID, r)
			}
		}
	}
	return nil
}

// reconcile makes the kernel match cfg, which is valid, skipping the
// parts p.done says match already.
func (p *Plane) reconcile(ctx context.Context, cfg Config) error {
	run := p.run()
	if !p.done.netfilter && slices.ContainsFunc(cfg.Ports, func(p Port) bool { return p.SecurityEnabled }) {
		if _, err := run.Run(ctx, "sysctl", "-n", "net.bridge.bridge-nf-call-iptables"); err != nil {
			return errdefs.Unavailablef("security groups need the br_netfilter module (modprobe br_netfilter): %v", err)
		}
		p.done.netfilter = true
	}
	if links := linkStateOf(cfg, p.TunnelIP); p.done.links.covers(links) {
		p.done.links = links // the ports whose veths Plug may make
	} else {
		remotes := p.done.remotes
		p.done.links, p.done.remotes = nil, ""
		made, err := p.reconcileLinks(ctx, cfg)
		if err != nil {
			return err
		}
		p.done.links = links
		if !made { // a VXLAN device made (again) has no flooding list
			p.done.remotes = remotes
		}
	}
	if remotes := remotesKey(cfg); remotes != p.done.remotes {
		p.done.remotes = ""
		if err := p.reconcileRemotes(ctx, cfg); err != nil {
			return err
		}
		p.done.remotes = remotes
	}
	return p.restoreRules(ctx, cfg)
}

// restoreRules makes netplane's chains of both families cfg's. For a
// family it restored last itself, it writes only what changes, without
// reading the kernel first, both families at once; should that fail
// (someone else changed the chains since), or for a family it knows
// nothing of, it reads the kernel and writes all.
func (p *Plane) restoreRules(ctx context.Context, cfg Config) error {
	run, have := p.run(), p.done.rules
	p.done.rules = map[Family]*installed{}
	families := []Family{IPv4, IPv6}
	waits := map[Family]func() error{}
	for _, f := range families {
		if have[f] != nil {
			waits[f] = startRestore(ctx, run, f, restoreInput(cfg, f, *have[f]))
		}
	}
	errs := map[Family]error{}
	for f, wait := range waits {
		errs[f] = wait()
	}
	for _, f := range families {
		err, tried := errs[f], waits[f] != nil
		if !tried || err != nil && ctx.Err() == nil {
			err = restoreFromKernel(ctx, run, cfg, f)
		}
		if err != nil {
			return err
		}
		now := restored(cfg, f)
		p.done.rules[f] = &now
	}
	return nil
}

// reconcileLinks removes our stale devices, then makes each network's
// bridge and VXLAN device, and sets the host ends of plugged ports. It
// reports whether it made a VXLAN device.
func (p *Plane) reconcileLinks(ctx context.Context, cfg Config) (made bool, err error) {
	run := p.run()
	have, err := links(ctx, run)
	if err != nil {
		return false, err
	}
	want := map[string]string{} // our device → its kind
	for _, n := range cfg.Networks {
		want[bridgeName(n.ID)], want[vxlanName(n.ID)] = "bridge", "vxlan"
	}
	for _, port := range cfg.Ports {
		want[vethName(port.ID)] = "veth"
	}
	// Ports first, bridges last: nothing is left without its master.
	for _, prefix := range []string{vethPrefix, vxlanPrefix, bridgePrefix} {
		for name, l := range have {
			if ours(name, prefix) && want[name] != l.Info.Kind {
				if err := deleteLink(ctx, run, name); err != nil {
					return false, err
				}
				delete(have, name)
			}
		}
	}
	for _, n := range cfg.Networks {
		if err := p.bridge(ctx, have, n); err != nil {
			return false, fmt.Errorf("network %q: %w", n.ID, err)
		}
		if _, ok := have[vxlanName(n.ID)]; !ok {
			made = true
		}
		remade, err := p.vxlan(ctx, have, n)
		if err != nil {
			return false, fmt.Errorf("network %q: %w", n.ID, err)
		}
		made = made || remade
	}
	networks := cfg.networks()
	for _, port := range cfg.Ports {
		// A veth still in the host namespace is a Plug cut short: Plug
		// redoes it.
		if l, ok := have[vethName(port.ID)]; ok && l.PeerNetns != nil {
			n := networks[port.NetworkID]
			if err := p.bringUp(ctx, l, n.mtu(), bridgeName(n.ID)); err != nil {
				return false, fmt.Errorf("port %q: %w", port.ID, err)
			}
		}
	}
	return made, nil
}

// bridge makes a network's bridge: iptables called for the frames it
// forwards whatever the host's bridge-nf-call sysctls say, and no ARP, so
// the host does not answer for its own addresses on a tenant network.
func (p *Plane) bridge(ctx context.Context, have map[string]link, n Network) error {
	run, name := p.run(), bridgeName(n.ID)
	l, ok := have[name]
	if !ok {
		if _, err := run.Run(ctx, "ip", "link", "add", name, "mtu", strconv.Itoa(n.mtu()), "arp", "off",
			"type", "bridge", "nf_call_iptables", "1", "nf_call_ip6tables", "1"); err != nil {
			return err
		}
		return p.bringUp(ctx, link{Name: name}, n.mtu(), "")
	}
	var info bridgeInfo
	_ = json.Unmarshal(l.Info.Data, &info)
	if info.CallIPTables != 1 || info.CallIP6Tables != 1 {
		if _, err := run.Run(ctx, "ip", "link", "set", name, "type", "bridge", "nf_call_iptables", "1", "nf_call_ip6tables", "1"); err != nil {
			return err
		}
	}
	if !slices.Contains(l.Flags, "NOARP") {
		if _, err := run.Run(ctx, "ip", "link", "set", "dev", name, "arp", "off"); err != nil {
			return err
		}
	}
	return p.bringUp(ctx, l, n.mtu(), "")
}

// vxlan makes a network's VXLAN device, a port of its bridge. One with
// other parameters is made again: it reports whether it was.
func (p *Plane) vxlan(ctx context.Context, have map[string]link, n Network) (remade bool, err error) {
	run, name := p.run(), vxlanName(n.ID)
	l, ok := have[name]
	if ok {
		var info vxlanInfo
		_ = json.Unmarshal(l.Info.Data, &info)
		if info != (vxlanInfo{VNI: n.VNI, Local: p.TunnelIP.String(), Port: VXLANPort}) {
			if err := deleteLink(ctx, run, name); err != nil {
				return false, err
			}
			ok, remade = false, true
		}
	}
	if !ok {
		if _, err := run.Run(ctx, "ip", "link", "add", name, "mtu", strconv.Itoa(n.mtu()), "type", "vxlan",
			"id", strconv.Itoa(n.VNI), "local", p.TunnelIP.String(), "dstport", strconv.Itoa(VXLANPort), "nolearning"); err != nil {
			return remade, err
		}
		l = link{Name: name}
	}
	return remade, p.bringUp(ctx, l, n.mtu(), bridgeName(n.ID))
}

// bringUp sets one of our host-side devices' MTU and master and brings it
// up, keeping the host off the tenant network's IPv6 first.
func (p *Plane) bringUp(ctx context.Context, l link, mtu int, master string) error {
	if !l.up() {
		if err := disableIPv6(ctx, p.run(), l.Name); err != nil {
			return err
		}
	}
	return setLink(ctx, p.run(), l, mtu, master)
}

// reconcileRemotes makes each VXLAN device's all-zeros FDB entries (its
// flooding list) exactly its network's remotes.
func (p *Plane) reconcileRemotes(ctx context.Context, cfg Config) error {
	run := p.run()
	have, err := floodLists(ctx, run)
	if err != nil {
		return err
	}
	for _, n := range cfg.Networks {
		dev := vxlanName(n.ID)
		for _, r := range have[dev] {
			if !slices.Contains(n.Remotes, r) {
				if _, err := run.Run(ctx, "bridge", "fdb", "del", zeroMAC, "dev", dev, "dst", r.String()); err != nil {
					return fmt.Errorf("network %q: %w", n.ID, err)
				}
			}
		}
		for _, r := range n.Remotes {
			if !slices.Contains(have[dev], r) {
				if _, err := run.Run(ctx, "bridge", "fdb", "append", zeroMAC, "dev", dev, "dst", r.String()); err != nil {
					return fmt.Errorf("network %q: %w", n.ID, err)
				}
			}
		}
	}
	return nil
}

// restoreFromKernel makes netplane's chains of one family cfg's, reading
// what the kernel has first.
func restoreFromKernel(ctx context.Context, run Runner, cfg Config, f Family) error {
	save, err := run.Run(ctx, f.saveCommand())
	if err != nil {
		return err
	}
	return startRestore(ctx, run, f, restoreInput(cfg, f, parseInstalled(string(save))))()
}

// startRestore starts iptables-restore --noflush (ip6tables-restore for
// IPv6) with input, if there is any, and returns what waits for its end.
// With a Runner that can start commands (Exec) it runs meanwhile, started
// from this goroutine; otherwise it has run already.
func startRestore(ctx context.Context, run Runner, f Family, input string) (wait func() error) {
	if input == "" {
		return func() error { return nil }
	}
	// Runner has no standard input; the rules go through a file.
	file, err := os.CreateTemp("", "netplane-*.rules")
	if err != nil {
		return func() error { return err }
	}
	_, err = file.WriteString(input)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	end := func(err error) error {
		os.Remove(file.Name())
		if err != nil {
			return fmt.Errorf("%w\n%s", err, numbered(input))
		}
		return nil
	}
	if err != nil {
		return func() error { return end(err) }
	}
	args := []string{"--noflush", "--wait=5", file.Name()}
	if s, ok := run.(starter); ok {
		done, err := s.start(ctx, f.restoreCommand(), args...)
		if err != nil {
			return func() error { return end(err) }
		}
		return func() error { _, err := done(); return end(err) }
	}
	_, err = run.Run(ctx, f.restoreCommand(), args...)
	return func() error { return end(err) }
}

// numbered prefixes lines with their numbers, as iptables-restore's errors
// name lines.
func numbered(s string) string {
	var b strings.Builder
	i := 0
	for line := range strings.Lines(s) {
		i++
		fmt.Fprintf(&b, "%4d  %s", i, line)
	}
	return b.String()
}

// networks indexes a Config's networks by id.
func (c Config) networks() map[string]Network {
	m := make(map[string]Network, len(c.Networks))
	for _, n := range c.Networks {
		m[n.ID] = n
	}
	return m
}

// clone deep-copies a Config, so a caller changing its own afterwards
// does not change what was applied.
func (c Config) clone() Config {
	out := Config{Networks: slices.Clone(c.Networks), Ports: slices.Clone(c.Ports)}
	for i := range out.Networks {
		out.Networks[i].Remotes = slices.Clone(out.Networks[i].Remotes)
	}
	for i := range out.Ports {
		p := &out.Ports[i]
		p.Addresses = slices.Clone(p.Addresses)
		p.Ingress, p.Egress = cloneRules(p.Ingress), cloneRules(p.Egress)
	}
	return out
}

func cloneRules(rules []Rule) []Rule {
	out := slices.Clone(rules)
	for i := range out {
		out[i].Remotes = slices.Clone(out[i].Remotes)
	}
	return out
}
