package controlplane

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/netplane"
	"github.com/zun-go/zun/network"
)

// netSnapshotTTL is how long one read of the network service serves the
// hosts asking for their configuration (they poll every few seconds).
const netSnapshotTTL = time.Second

// netSnapshot is everything the hosts' configurations are made of.
type netSnapshot struct {
	at         time.Time
	networks   map[string]*network.Network
	subnets    map[string]*network.Subnet
	ports      map[string]*network.Port
	groups     map[string]*network.SecurityGroup
	members    map[string]map[string][]netip.Addr // group id: network id: its ports' addresses there
	containers []*container.Container             // with ports
	tunnels    map[string]netip.Addr              // host: tunnel IP
}

type netCache struct {
	mu   sync.Mutex
	snap *netSnapshot
}

// snapshot returns a snapshot at most netSnapshotTTL old, or a new one.
func (h *AgentService) snapshot(ctx context.Context, fresh bool) (*netSnapshot, error) {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	if s := h.net.snap; s != nil && !fresh && time.Since(s.at) < netSnapshotTTL {
		return s, nil
	}
	ctx = auth.System(ctx)
	s := &netSnapshot{at: time.Now(), networks: map[string]*network.Network{}, subnets: map[string]*network.Subnet{},
		ports: map[string]*network.Port{}, groups: map[string]*network.SecurityGroup{}, members: map[string]map[string][]netip.Addr{},
		tunnels: map[string]netip.Addr{}}
	nets, err := h.d.Networks.ListNetworks(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		s.networks[n.ID] = n
	}
	subs, err := h.d.Networks.ListSubnets(ctx)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		s.subnets[sub.ID] = sub
	}
	ports, err := h.d.Networks.ListPorts(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		s.ports[p.ID] = p
		for _, g := range p.SecurityGroups {
			if s.members[g] == nil {
				s.members[g] = map[string][]netip.Addr{}
			}
			for _, f := range p.FixedIPs {
				if a, err := netip.ParseAddr(f.IPAddress); err == nil {
					s.members[g][p.NetworkID] = append(s.members[g][p.NetworkID], a)
				}
			}
		}
	}
	groups, err := h.d.Networks.ListSecurityGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		s.groups[g.ID] = g
	}
	all, err := h.d.Containers.List(ctx, container.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if len(c.Addresses) > 0 && c.Host != "" {
			s.containers = append(s.containers, c)
		}
	}
	hosts, err := h.d.Hosts.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, rec := range hosts {
		if a, err := netip.ParseAddr(rec.TunnelIP); err == nil {
			s.tunnels[rec.Name] = a
		}
	}
	h.mu.Lock()
	for name, e := range h.hosts {
		if a, err := netip.ParseAddr(e.info.TunnelIP); err == nil {
			s.tunnels[name] = a
		}
	}
	h.mu.Unlock()
	h.net.snap = s
	return s, nil
}

// NetConfig implements compute.ControlPlane: the networks, ports and
// rules of the containers placed on host.
func (h *AgentService) NetConfig(ctx context.Context, host string, fresh bool) (compute.NetConfig, error) {
	out := compute.NetConfig{Containers: map[string][]string{}}
	if h.d.Networks == nil {
		return out, nil
	}
	s, err := h.snapshot(ctx, fresh)
	if err != nil {
		return out, err
	}
	out.Time = s.at
	// Which hosts have ports on which network.
	hostsOf := map[string]map[string]bool{}
	for _, c := range s.containers {
		for netID := range c.Addresses {
			if hostsOf[netID] == nil {
				hostsOf[netID] = map[string]bool{}
			}
			hostsOf[netID][c.Host] = true
		}
	}
	needed := map[string]bool{}
	for _, c := range s.containers {
		if c.Host != host {
			continue
		}
		var ports []*network.Port
		for _, addrs := range c.Addresses {
			for _, a := range addrs {
				if p := s.ports[a.Port]; p != nil && !slices.Contains(ports, p) {
					ports = append(ports, p)
				}
			}
		}
		slices.SortFunc(ports, func(a, b *network.Port) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, p := range ports {
			n := s.networks[p.NetworkID]
			if n == nil {
				continue
			}
			pp, ok := checkedPort(h.d.Logger, n, s.planePort(p))
			if !ok {
				continue
			}
			needed[n.ID] = true
			out.Containers[c.UUID] = append(out.Containers[c.UUID], p.ID)
			out.Ports = append(out.Ports, pp)
		}
	}
	for id := range needed {
		n := s.networks[id]
		pn := netplane.Network{ID: n.ID, VNI: n.VNI, MTU: n.MTU}
		self := s.tunnels[host]
		for other := range hostsOf[id] {
			a, ok := s.tunnels[other]
			// A host that reports no usable address gets no tunnel.
			if !ok || other == host || a == self || a.IsLoopback() || a.Is4() != self.Is4() ||
				slices.Contains(pn.Remotes, a) {
				continue
			}
			pn.Remotes = append(pn.Remotes, a)
		}
		slices.SortFunc(pn.Remotes, func(a, b netip.Addr) int { return a.Compare(b) })
		out.Networks = append(out.Networks, pn)
	}
	slices.SortFunc(out.Networks, func(a, b netplane.Network) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// planePort is p as the data plane takes it: addresses with their
// subnets' prefixes, and its groups' IPv4 rules with remote groups
// expanded to their members' addresses.
func (s *netSnapshot) planePort(p *network.Port) netplane.Port {
	out := netplane.Port{ID: p.ID, NetworkID: p.NetworkID, MAC: p.MACAddress, SecurityEnabled: p.PortSecurity}
	for _, f := range p.FixedIPs {
		a, err := netip.ParseAddr(f.IPAddress)
		sub := s.subnets[f.SubnetID]
		if err != nil || sub == nil || !a.Is4() {
			continue // the data plane is IPv4 for now
		}
		pre, err := netip.ParsePrefix(sub.CIDR)
		if err != nil {
			continue
		}
		out.Addresses = append(out.Addresses, netip.PrefixFrom(a, pre.Bits()))
	}
	if !p.PortSecurity {
		return out
	}
	for _, gid := range p.SecurityGroups {
		g := s.groups[gid]
		if g == nil {
			continue
		}
		for _, r := range g.Rules {
			if r.EtherType != network.IPv4 {
				continue
			}
			pr := netplane.Rule{Protocol: r.Protocol}
			if r.PortRangeMin != nil {
				pr.PortMin = *r.PortRangeMin
			}
			if r.PortRangeMax != nil {
				pr.PortMax = *r.PortRangeMax
			}
			switch {
			case r.RemoteIPPrefix == "" && r.RemoteGroupID == "":
				// Any IPv4 address (nil would mean IPv6 too).
				pr.Remotes = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
			case r.RemoteIPPrefix != "":
				if pre, err := netip.ParsePrefix(r.RemoteIPPrefix); err == nil {
					pr.Remotes = []netip.Prefix{pre}
				}
			case r.RemoteGroupID != "":
				pr.Remotes = []netip.Prefix{} // matches nothing until the group has members
				// Only members on the port's own network can be its peers
				// (nothing routes between networks), and addresses of other
				// networks may be anyone's here.
				for _, a := range s.members[r.RemoteGroupID][p.NetworkID] {
					if a.Is4() {
						pr.Remotes = append(pr.Remotes, netip.PrefixFrom(a, 32))
					}
				}
			}
			if _, err := strconv.Atoi(pr.Protocol); err == nil || pr.Protocol == "" || pr.Protocol == "tcp" ||
				pr.Protocol == "udp" || pr.Protocol == "icmp" || pr.Protocol == "sctp" {
				if r.Direction == network.Ingress {
					out.Ingress = append(out.Ingress, pr)
				} else {
					out.Egress = append(out.Egress, pr)
				}
			}
		}
	}
	return out
}

// checkedPort drops what the data plane would refuse of p (rules, then
// the port itself) so that one bad record never stops a host's whole
// configuration; what is dropped is logged.
func checkedPort(log *slog.Logger, n *network.Network, p netplane.Port) (netplane.Port, bool) {
	valid := func(p netplane.Port) error {
		return netplane.Config{Networks: []netplane.Network{{ID: n.ID, VNI: n.VNI, MTU: n.MTU}}, Ports: []netplane.Port{p}}.Validate()
	}
	if valid(p) == nil {
		return p, true
	}
	keep := func(rules []netplane.Rule) []netplane.Rule {
		var out []netplane.Rule
		for _, r := range rules {
			one := p
			one.Ingress, one.Egress = []netplane.Rule{r}, nil
			if err := valid(one); err != nil {
				log.Warn("a security group rule the data plane refuses is left out", "port", p.ID, "error", err)
				continue
			}
			out = append(out, r)
		}
		return out
	}
	p.Ingress, p.Egress = keep(p.Ingress), keep(p.Egress)
	if err := valid(p); err != nil {
		log.Warn("a port the data plane refuses is left out", "port", p.ID, "error", err)
		return p, false
	}
	return p, true
}
