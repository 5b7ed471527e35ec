package netplane

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/zun-go/zun/errdefs"
)

// DefaultMTU is the MTU of a network that does not set one: 1500 less the
// 50 bytes of VXLAN encapsulation over an IPv4 underlay.
const DefaultMTU = 1450

// VXLANPort is the UDP port of the tunnels between hosts (IANA's).
const VXLANPort = 4789

// Config is the desired network state of one host: the tenant networks
// present on it and the ports of its containers.
type Config struct {
	Networks []Network
	Ports    []Port
}

// Network is a tenant network present on the host.
type Network struct {
	ID  string
	VNI int // VXLAN network identifier, 1..16777215
	MTU int // of the bridge, the VXLAN device and the ports; 0: DefaultMTU
	// Remotes are the tunnel IPs of the other hosts with ports on the
	// network; broadcasts and unknown unicast are replicated to each.
	Remotes []netip.Addr
}

// Port is a container's interface on a network.
type Port struct {
	ID        string
	NetworkID string
	MAC       string
	// Addresses are the port's fixed IPs with their subnet's prefix
	// length, e.g. 10.0.0.5/24. A secured port may send from these only.
	Addresses []netip.Prefix
	// SecurityEnabled turns filtering on; false leaves the port wide open
	// (no anti-spoofing either), as Neutron's port_security_enabled.
	SecurityEnabled bool
	// Ingress and Egress are the allow rules of the port's security groups,
	// remote groups already expanded to prefixes. Anything else is denied;
	// replies to allowed traffic are always allowed.
	Ingress, Egress []Rule
}

// Rule allows traffic to (ingress) or from (egress) a port.
//
// A Rule has no ethertype: it applies to IPv4 and IPv6 when Remotes is nil,
// and otherwise to the families of its prefixes. Neutron's "IPv4, any
// remote" is therefore Remotes: 0.0.0.0/0, and "IPv6, any" is ::/0.
type Rule struct {
	// Protocol is "" (any), "tcp", "udp", "sctp", "icmp", "icmpv6" (alias
	// "ipv6-icmp") or an IP protocol number. "icmp" means ICMPv6 for IPv6,
	// as in Neutron.
	Protocol string
	// PortMin and PortMax are the destination port range of tcp, udp and
	// sctp rules; 0, 0: any port. For icmp they are the type and the code,
	// as Neutron's port_range_min and max, 0 meaning any (as gophercloud
	// omits it): type 0 (echo reply) alone cannot be asked for, but
	// replies are allowed by connection tracking anyway. Types differ
	// between ICMP and ICMPv6 (echo request: 8, 128), so an icmp rule with
	// a type should have Remotes of one family.
	PortMin, PortMax int
	// Remotes are the addresses on the other end: the source of ingress
	// traffic, the destination of egress. nil: any address; empty and
	// non-nil: none, the rule matches nothing.
	Remotes []netip.Prefix
}

// mtu is the network's MTU with the default applied.
func (n Network) mtu() int {
	if n.MTU == 0 {
		return DefaultMTU
	}
	return n.MTU
}

// protocols are the names a Rule's Protocol may take, by their canonical
// name; numbers of named protocols are taken for the name.
var protocols = map[string]string{
	"tcp": "tcp", "6": "tcp",
	"udp": "udp", "17": "udp",
	"sctp": "sctp", "132": "sctp",
	"icmp": "icmp", "1": "icmp",
	"icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "58": "icmpv6",
}

// protocol returns the canonical form of a Rule's Protocol: one of the
// names above, a number 0..255 as text, or "" for any.
func protocol(p string) (string, bool) {
	if p == "" {
		return "", true
	}
	if name, ok := protocols[p]; ok {
		return name, true
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != p {
		return "", false
	}
	return p, true
}

// Validate reports the first problem of the Config as an errdefs.ErrInvalid
// naming the network, port or rule at fault.
func (c Config) Validate() error {
	networks := map[string]bool{}
	keys := map[string]string{} // device key → id, to catch collisions
	vnis := map[int]string{}
	for _, n := range c.Networks {
		key, err := deviceKey(n.ID)
		if err != nil {
			return errdefs.Invalidf("network %q: %v", n.ID, err)
		}
		if networks[n.ID] {
			return errdefs.Invalidf("network %q: listed twice", n.ID)
		}
		if other, ok := keys[key]; ok {
			return errdefs.Invalidf("network %q: its device names collide with network %q's (same first 12 hex digits)", n.ID, other)
		}
		networks[n.ID], keys[key] = true, n.ID
		if n.VNI < 1 || n.VNI > 1<<24-1 {
			return errdefs.Invalidf("network %q: VNI %d is not in 1..16777215", n.ID, n.VNI)
		}
		if other, ok := vnis[n.VNI]; ok {
			return errdefs.Invalidf("network %q: VNI %d is network %q's too", n.ID, n.VNI, other)
		}
		vnis[n.VNI] = n.ID
		if n.MTU != 0 && (n.MTU < 68 || n.MTU > 65535) {
			return errdefs.Invalidf("network %q: MTU %d is not in 68..65535", n.ID, n.MTU)
		}
		for _, r := range n.Remotes {
			if !r.IsValid() || r.IsUnspecified() || r.IsMulticast() || r.Zone() != "" {
				return errdefs.Invalidf("network %q: remote %v is not a unicast address", n.ID, r)
			}
		}
	}
	ports := map[string]bool{}
	keys = map[string]string{}
	for _, p := range c.Ports {
		key, err := deviceKey(p.ID)
		if err != nil {
			return errdefs.Invalidf("port %q: %v", p.ID, err)
		}
		if ports[p.ID] {
			return errdefs.Invalidf("port %q: listed twice", p.ID)
		}
		if other, ok := keys[key]; ok {
			return errdefs.Invalidf("port %q: its device names collide with port %q's (same first 12 hex digits)", p.ID, other)
		}
		ports[p.ID], keys[key] = true, p.ID
		if err := p.validate(networks); err != nil {
			return err
		}
	}
	return nil
}

func (p Port) validate(networks map[string]bool) error {
	if !networks[p.NetworkID] {
		return errdefs.Invalidf("port %q: network %q is not in the config", p.ID, p.NetworkID)
	}
	mac, err := net.ParseMAC(p.MAC)
	if err != nil || len(mac) != 6 {
		return errdefs.Invalidf("port %q: MAC %q is not an Ethernet address", p.ID, p.MAC)
	}
	if mac[0]&1 != 0 || slices.Equal(mac, make(net.HardwareAddr, 6)) {
		return errdefs.Invalidf("port %q: MAC %q is not a unicast address", p.ID, p.MAC)
	}
	for _, a := range p.Addresses {
		if !a.IsValid() || a.Addr().IsUnspecified() || a.Addr().IsMulticast() || a.Addr().Zone() != "" {
			return errdefs.Invalidf("port %q: address %v is not a unicast address with a prefix length", p.ID, a)
		}
	}
	for i, r := range p.Ingress {
		if err := r.validate(); err != nil {
			return errdefs.Invalidf("port %q: ingress rule %d: %v", p.ID, i+1, err)
		}
	}
	for i, r := range p.Egress {
		if err := r.validate(); err != nil {
			return errdefs.Invalidf("port %q: egress rule %d: %v", p.ID, i+1, err)
		}
	}
	return nil
}

func (r Rule) validate() error {
	proto, ok := protocol(r.Protocol)
	if !ok {
		return fmt.Errorf("protocol %q is not a name Neutron knows here or a number 0..255", r.Protocol)
	}
	switch proto {
	case "tcp", "udp", "sctp":
		if (r.PortMin != 0 || r.PortMax != 0) && (r.PortMin < 1 || r.PortMax < r.PortMin || r.PortMax > 65535) {
			return fmt.Errorf("port range %d..%d is not within 1..65535", r.PortMin, r.PortMax)
		}
	case "icmp", "icmpv6":
		if r.PortMin < 0 || r.PortMin > 255 || r.PortMax < 0 || r.PortMax > 255 {
			return fmt.Errorf("%s type %d and code %d are not within 0..255", proto, r.PortMin, r.PortMax)
		}
		if r.PortMin == 0 && r.PortMax != 0 {
			return fmt.Errorf("%s code %d is given without a type", proto, r.PortMax)
		}
	default:
		if r.PortMin != 0 || r.PortMax != 0 {
			return fmt.Errorf("a port range needs protocol tcp, udp or sctp, not %q", r.Protocol)
		}
	}
	for _, remote := range r.Remotes {
		if !remote.IsValid() {
			return fmt.Errorf("remote %v is not a prefix", remote)
		}
	}
	return nil
}
