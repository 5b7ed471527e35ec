// Package network is the embedded network service: Neutron's networks,
// subnets, ports, security groups and their rules, with the addresses of
// ports allocated centrally (in the store, in the transaction that makes
// the port). The subset of Neutron's v2.0 API that openstackclient's
// network commands use is served by Handler; containers get their ports
// through the same store, and each compute host's data plane (package
// netplane) makes the kernel match.
//
// EtcdStore is the Store in etcd (package store's DB), under the keys
// net/: one key per network, subnet, port and group
// (net/{networks,subnets,ports,groups}/<id>), one per allocated address
// (net/ips/<subnet>/<address>), MAC (net/macs/<network>/<mac>) and VXLAN
// id (net/vnis/<vni>), the projects' defaults (net/default-network/,
// net/default-group/) and guard keys (net/guard/). Joined to the container
// store (a store.Participant), it makes and releases a container's ports
// in the transactions that create and delete its record.
package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// SchemaVersion is the version of the stored records.
const SchemaVersion = 1

// DefaultMTU is the MTU of tenant networks: VXLAN's 50 bytes less than
// Ethernet's 1500.
const DefaultMTU = 1450

// Device owners of ports.
const (
	// OwnerZun is a port the container service made for a container; it
	// goes with the container.
	OwnerZun = "compute:zun"
)

// Network is a tenant network: one L2 segment (a VXLAN id across hosts).
type Network struct {
	Schema       int       `json:"schema"`
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description,omitempty"`
	ProjectID    string    `json:"project_id"`
	Shared       bool      `json:"shared,omitempty"`
	External     bool      `json:"external,omitempty"`
	AdminStateUp bool      `json:"admin_state_up"`
	PortSecurity bool      `json:"port_security_enabled"`
	MTU          int       `json:"mtu"`
	VNI          int       `json:"vni"`
	Tags         []string  `json:"tags,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Revision     int       `json:"revision_number,omitempty"` // Neutron's revision_number: one up per update that changes the record
	// Default marks the network the service made for its project's
	// containers when they named none.
	Default bool `json:"default,omitempty"`
}

// Pool is a range of addresses a subnet allocates from.
type Pool struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Subnet is an address range of a network.
type Subnet struct {
	Schema         int       `json:"schema"`
	ID             string    `json:"id"`
	NetworkID      string    `json:"network_id"`
	Name           string    `json:"name"`
	Description    string    `json:"description,omitempty"`
	ProjectID      string    `json:"project_id"`
	Shared         bool      `json:"shared,omitempty"` // the network's, for reads
	IPVersion      int       `json:"ip_version"`
	CIDR           string    `json:"cidr"`
	GatewayIP      string    `json:"gateway_ip,omitempty"` // "": none
	Pools          []Pool    `json:"allocation_pools"`
	DNSNameservers []string  `json:"dns_nameservers,omitempty"`
	EnableDHCP     bool      `json:"enable_dhcp"`
	Tags           []string  `json:"tags,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Revision       int       `json:"revision_number,omitempty"` // Neutron's revision_number: one up per update that changes the record
}

// FixedIP is an address of a port in one of its network's subnets.
type FixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// Port is an attachment point on a network: a MAC and addresses, guarded
// by security groups.
type Port struct {
	Schema         int       `json:"schema"`
	ID             string    `json:"id"`
	NetworkID      string    `json:"network_id"`
	Name           string    `json:"name"`
	Description    string    `json:"description,omitempty"`
	ProjectID      string    `json:"project_id"`
	MACAddress     string    `json:"mac_address"`
	FixedIPs       []FixedIP `json:"fixed_ips"`
	SecurityGroups []string  `json:"security_groups"`
	PortSecurity   bool      `json:"port_security_enabled"`
	AdminStateUp   bool      `json:"admin_state_up"`
	DeviceID       string    `json:"device_id,omitempty"`
	DeviceOwner    string    `json:"device_owner,omitempty"`
	HostID         string    `json:"binding_host_id,omitempty"`
	Status         string    `json:"status"`
	Tags           []string  `json:"tags,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Revision       int       `json:"revision_number,omitempty"` // Neutron's revision_number: one up per update that changes the record
}

// Port statuses.
const (
	PortDown   = "DOWN"
	PortActive = "ACTIVE"
)

// Directions and ether types of rules.
const (
	Ingress = "ingress"
	Egress  = "egress"
	IPv4    = "IPv4"
	IPv6    = "IPv6"
)

// Rule allows traffic in one direction. Nil port bounds and empty
// remotes match everything.
type Rule struct {
	ID             string    `json:"id"`
	Direction      string    `json:"direction"`
	EtherType      string    `json:"ethertype"`
	Protocol       string    `json:"protocol,omitempty"`
	PortRangeMin   *int      `json:"port_range_min,omitempty"`
	PortRangeMax   *int      `json:"port_range_max,omitempty"`
	RemoteIPPrefix string    `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID  string    `json:"remote_group_id,omitempty"`
	Description    string    `json:"description,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// SecurityGroup is a set of allow rules applied to ports. Each project
// has one named "default", made on first use: it lets every port out and
// lets in only its own members.
type SecurityGroup struct {
	Schema      int       `json:"schema"`
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	ProjectID   string    `json:"project_id"`
	Rules       []Rule    `json:"rules"`
	Default     bool      `json:"default,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Revision    int       `json:"revision_number,omitempty"` // Neutron's revision_number: one up per update that changes the record
}

// Store keeps the network service's records. Reads see the context's
// scope, plus shared networks and their subnets; changes need the
// record's project in scope.
type Store interface {
	CreateNetwork(ctx context.Context, n *Network) error
	GetNetwork(ctx context.Context, id string) (*Network, error)
	ListNetworks(ctx context.Context) ([]*Network, error)
	UpdateNetwork(ctx context.Context, id string, fn func(*Network) error) (*Network, error)
	// DeleteNetwork deletes a network and its subnets; one with ports is
	// a conflict.
	DeleteNetwork(ctx context.Context, id string) error
	// DefaultNetwork returns the network a project's containers use when
	// they name none: its oldest own network, else the oldest shared one,
	// else one made now ("zun-default", with a subnet of its own).
	DefaultNetwork(ctx context.Context, project string) (*Network, error)

	// CreateSubnet checks the CIDR (no overlap with the project's other
	// subnets), gateway and pools and stores the subnet. A GatewayIP of
	// "none" asks for no gateway, an empty one for the first address.
	CreateSubnet(ctx context.Context, s *Subnet) error
	GetSubnet(ctx context.Context, id string) (*Subnet, error)
	ListSubnets(ctx context.Context) ([]*Subnet, error)
	UpdateSubnet(ctx context.Context, id string, fn func(*Subnet) error) (*Subnet, error)
	// DeleteSubnet deletes a subnet no port has an address in.
	DeleteSubnet(ctx context.Context, id string) error

	// CreatePort allocates the port's MAC and addresses (FixedIPs may ask
	// for a subnet, an address, or both) and stores it; without security
	// groups it gets the project's default group.
	CreatePort(ctx context.Context, p *Port) error
	GetPort(ctx context.Context, id string) (*Port, error)
	ListPorts(ctx context.Context) ([]*Port, error)
	// UpdatePort changes what fn changes, except the network, the MAC and
	// the addresses.
	UpdatePort(ctx context.Context, id string, fn func(*Port) error) (*Port, error)
	// DeletePort releases the port's addresses; a port a container uses
	// is a conflict.
	DeletePort(ctx context.Context, id string) error

	CreateSecurityGroup(ctx context.Context, g *SecurityGroup) error
	GetSecurityGroup(ctx context.Context, id string) (*SecurityGroup, error)
	ListSecurityGroups(ctx context.Context) ([]*SecurityGroup, error)
	UpdateSecurityGroup(ctx context.Context, id string, fn func(*SecurityGroup) error) (*SecurityGroup, error)
	// DeleteSecurityGroup deletes a group no port uses; a project's
	// default group goes only with... never (a conflict).
	DeleteSecurityGroup(ctx context.Context, id string) error
	// DefaultSecurityGroup returns the project's default group, made on
	// first use.
	DefaultSecurityGroup(ctx context.Context, project string) (*SecurityGroup, error)

	// AddRule adds a rule to group; an identical rule is a conflict.
	AddRule(ctx context.Context, group string, r *Rule) error
	// FindRule returns a rule and its group.
	FindRule(ctx context.Context, id string) (*Rule, *SecurityGroup, error)
	DeleteRule(ctx context.Context, id string) error
}

// ValidateNetwork checks what a caller sets on a network.
func ValidateNetwork(n *Network) error {
	switch {
	case len(n.Name) > 255:
		return errdefs.Invalidf("Invalid input for name. Reason: '%s' exceeds maximum length of 255.", n.Name)
	case len(n.Description) > 255:
		return errdefs.Invalidf("Invalid input for description. Reason: it exceeds maximum length of 255.")
	case n.MTU != 0 && (n.MTU < 68 || n.MTU > DefaultMTU):
		return errdefs.Invalidf("Invalid input for mtu. Reason: %d is not in [68, %d] (VXLAN needs 50 bytes of 1500).", n.MTU, DefaultMTU)
	}
	return validTags(n.Tags)
}

func validTags(tags []string) error {
	for _, t := range tags {
		if t == "" || len(t) > 255 || strings.Contains(t, ",") {
			return errdefs.Invalidf("Invalid tag %q: 1 to 255 characters, no commas.", t)
		}
	}
	return nil
}

// ValidateSubnet checks a subnet's addresses, fills in the defaults and
// normalizes the CIDR. Pools default to the range without the gateway. A
// new subnet (creating) without a gateway gets the first address, unless
// its GatewayIP is "none"; a stored one without a gateway has none.
func ValidateSubnet(s *Subnet, creating bool) error {
	if len(s.Name) > 255 || len(s.Description) > 255 {
		return errdefs.Invalidf("Invalid input: name and description are at most 255 characters.")
	}
	prefix, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return errdefs.Invalidf("Invalid input for cidr. Reason: '%s' is not a valid IP subnet.", s.CIDR)
	}
	if prefix.Masked() != prefix {
		return errdefs.Invalidf("Invalid input for cidr. Reason: '%s' isn't a recommended CIDR, use '%s'.", s.CIDR, prefix.Masked())
	}
	version := 4
	if prefix.Addr().Is6() {
		version = 6
	}
	switch {
	case s.IPVersion == 0:
		s.IPVersion = version
	case s.IPVersion != version:
		return errdefs.Invalidf("Cidr %s does not match ip_version %d.", s.CIDR, s.IPVersion)
	}
	bits := prefix.Addr().BitLen()
	if bits-prefix.Bits() < 2 || (version == 6 && prefix.Bits() > 126) {
		return errdefs.Invalidf("Invalid input for cidr. Reason: %s is too small for any host address.", s.CIDR)
	}
	if a := prefix.Addr(); a.IsMulticast() || a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() {
		return errdefs.Invalidf("Invalid input for cidr. Reason: %s is not a unicast range hosts can have addresses in.", s.CIDR)
	}
	if version == 4 && prefix.Bits() < 8 || version == 6 && prefix.Bits() < 64 {
		return errdefs.Invalidf("Invalid input for cidr. Reason: %s is larger than this service allocates (/8 for IPv4, /64 for IPv6).", s.CIDR)
	}
	s.CIDR = prefix.String()
	first, last := hostRange(prefix)
	switch {
	case s.GatewayIP == "none":
		s.GatewayIP = ""
	case s.GatewayIP == "" && creating:
		s.GatewayIP = first.String()
	case s.GatewayIP != "":
		gw, err := netip.ParseAddr(s.GatewayIP)
		if err != nil || !prefix.Contains(gw) || gw == prefix.Addr() || (version == 4 && gw == last.Next()) {
			return errdefs.Invalidf("Gateway IP %s conflicts with the subnet %s: it must be a host address of it.", s.GatewayIP, s.CIDR)
		}
	}
	if len(s.Pools) == 0 {
		s.Pools = defaultPools(first, last, s.GatewayIP)
	}
	var ranges [][2]netip.Addr
	for _, p := range s.Pools {
		start, err1 := netip.ParseAddr(p.Start)
		end, err2 := netip.ParseAddr(p.End)
		if err1 != nil || err2 != nil || !prefix.Contains(start) || !prefix.Contains(end) || end.Less(start) ||
			start.Less(first) || last.Less(end) {
			return errdefs.Invalidf("The allocation pool %s-%s spans beyond the subnet cidr %s.", p.Start, p.End, s.CIDR)
		}
		if gw, err := netip.ParseAddr(s.GatewayIP); err == nil && !gw.Less(start) && !end.Less(gw) {
			return errdefs.Invalidf("Gateway ip %s conflicts with allocation pool %s-%s.", s.GatewayIP, p.Start, p.End)
		}
		for _, r := range ranges {
			if !end.Less(r[0]) && !r[1].Less(start) {
				return errdefs.Invalidf("Found overlapping allocation pools: %s-%s and %s-%s.", p.Start, p.End, r[0], r[1])
			}
		}
		ranges = append(ranges, [2]netip.Addr{start, end})
	}
	for _, ns := range s.DNSNameservers {
		if _, err := netip.ParseAddr(ns); err != nil {
			return errdefs.Invalidf("Invalid input for dns_nameservers. Reason: '%s' is not a valid nameserver.", ns)
		}
	}
	return validTags(s.Tags)
}

// hostRange returns the first and last addresses a host of prefix may
// have: without the network address, and for IPv4 the broadcast.
func hostRange(prefix netip.Prefix) (netip.Addr, netip.Addr) {
	first := prefix.Addr().Next()
	last := lastAddr(prefix)
	if prefix.Addr().Is4() {
		last = last.Prev()
	}
	return first, last
}

// lastAddr is the highest address of prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// defaultPools are the host range without the gateway.
func defaultPools(first, last netip.Addr, gateway string) []Pool {
	gw, err := netip.ParseAddr(gateway)
	if err != nil || gw.Less(first) || last.Less(gw) {
		return []Pool{{first.String(), last.String()}}
	}
	var pools []Pool
	if first.Less(gw) {
		pools = append(pools, Pool{first.String(), gw.Prev().String()})
	}
	if gw.Less(last) {
		pools = append(pools, Pool{gw.Next().String(), last.String()})
	}
	return pools
}

// Overlaps reports whether two CIDRs share addresses.
func Overlaps(a, b string) bool {
	pa, err1 := netip.ParsePrefix(a)
	pb, err2 := netip.ParsePrefix(b)
	return err1 == nil && err2 == nil && pa.Overlaps(pb)
}

// CheckFixedIP checks that ip may be a port's address in s: inside the
// CIDR, and neither its network, broadcast nor gateway address.
func CheckFixedIP(s *Subnet, ip string) (netip.Addr, error) {
	a, err := netip.ParseAddr(ip)
	prefix, _ := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return netip.Addr{}, errdefs.Invalidf("Invalid input for fixed_ips. Reason: '%s' is not a valid IP address.", ip)
	}
	first, last := hostRange(prefix)
	if !prefix.Contains(a) || a.Less(first) || last.Less(a) || a.String() == s.GatewayIP {
		return netip.Addr{}, errdefs.Invalidf("IP address %s is not a valid IP for the specified subnet %s (%s).", ip, s.ID, s.CIDR)
	}
	return a, nil
}

// InPools reports whether a is in one of s's allocation pools.
func InPools(s *Subnet, a netip.Addr) bool {
	for _, p := range s.Pools {
		start, _ := netip.ParseAddr(p.Start)
		end, _ := netip.ParseAddr(p.End)
		if !a.Less(start) && !end.Less(a) {
			return true
		}
	}
	return false
}

// Protocols a rule may name, besides numbers 0-255.
var Protocols = []string{"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "sctp", "any"}

// ValidateRule checks a rule and normalizes it (protocol in lower case,
// "any" as "", remote prefix masked).
func ValidateRule(r *Rule) error {
	switch r.Direction {
	case Ingress, Egress:
	default:
		return errdefs.Invalidf("Invalid input for direction. Reason: '%s' is not in ['ingress', 'egress'].", r.Direction)
	}
	switch r.EtherType {
	case "":
		r.EtherType = IPv4
	case IPv4, IPv6:
	default:
		return errdefs.Invalidf("Invalid input for ethertype. Reason: '%s' is not in ['IPv4', 'IPv6'].", r.EtherType)
	}
	r.Protocol = strings.ToLower(r.Protocol)
	if r.Protocol == "any" {
		r.Protocol = ""
	}
	if r.Protocol != "" && !slices.Contains(Protocols, r.Protocol) {
		var n int
		if _, err := fmt.Sscanf(r.Protocol, "%d", &n); err != nil || n < 0 || n > 255 || fmt.Sprint(n) != r.Protocol {
			return errdefs.Invalidf("Security group rule protocol %s not supported. Only protocol values %s and integer representations [0 to 255] are supported.",
				r.Protocol, strings.Join(Protocols, ", "))
		}
	}
	ported := r.Protocol == "tcp" || r.Protocol == "udp" || r.Protocol == "sctp" || r.Protocol == "6" || r.Protocol == "17"
	icmp := r.Protocol == "icmp" || r.Protocol == "icmpv6" || r.Protocol == "ipv6-icmp" || r.Protocol == "1" || r.Protocol == "58"
	if r.PortRangeMin != nil || r.PortRangeMax != nil {
		switch {
		case ported:
			lo, hi := r.PortRangeMin, r.PortRangeMax
			if lo == nil || hi == nil {
				return errdefs.Invalidf("For TCP/UDP protocols, port_range_min and port_range_max go together.")
			}
			if *lo < 1 || *hi > 65535 || *hi < *lo {
				return errdefs.Invalidf("For TCP/UDP protocols, port_range_min must be <= port_range_max, both in 1-65535 (got %d-%d).", *lo, *hi)
			}
		case icmp:
			if r.PortRangeMin == nil {
				return errdefs.Invalidf("ICMP code (port-range-max) %d is provided but ICMP type (port-range-min) is missing.", *r.PortRangeMax)
			}
			if (r.PortRangeMin != nil && (*r.PortRangeMin < 0 || *r.PortRangeMin > 255)) ||
				(r.PortRangeMax != nil && (*r.PortRangeMax < 0 || *r.PortRangeMax > 255)) {
				return errdefs.Invalidf("Invalid value for ICMP type or code: 0 to 255.")
			}
		default:
			return errdefs.Invalidf("Port ranges need protocol tcp, udp, sctp or icmp.")
		}
	}
	if r.RemoteIPPrefix != "" && r.RemoteGroupID != "" {
		return errdefs.Invalidf("Only remote_ip_prefix or remote_group_id may be provided.")
	}
	if r.RemoteIPPrefix != "" {
		p, err := netip.ParsePrefix(r.RemoteIPPrefix)
		if err != nil {
			a, aerr := netip.ParseAddr(r.RemoteIPPrefix)
			if aerr != nil {
				return errdefs.Invalidf("Invalid input for remote_ip_prefix. Reason: '%s' is not a valid IP prefix.", r.RemoteIPPrefix)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if (p.Addr().Is4() && r.EtherType != IPv4) || (p.Addr().Is6() && r.EtherType != IPv6) {
			return errdefs.Invalidf("Conflicting value ethertype %s for CIDR %s.", r.EtherType, r.RemoteIPPrefix)
		}
		r.RemoteIPPrefix = p.Masked().String()
	}
	return nil
}

// SameRule reports whether two rules allow the same traffic (ids aside).
func SameRule(a, b *Rule) bool {
	eq := func(x, y *int) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	// Every address is no remote at all: clients send 0.0.0.0/0 for it.
	remote := func(p string) string {
		if p == "0.0.0.0/0" || p == "::/0" {
			return ""
		}
		return p
	}
	return a.Direction == b.Direction && a.EtherType == b.EtherType && a.Protocol == b.Protocol &&
		eq(a.PortRangeMin, b.PortRangeMin) && eq(a.PortRangeMax, b.PortRangeMax) &&
		remote(a.RemoteIPPrefix) == remote(b.RemoteIPPrefix) && a.RemoteGroupID == b.RemoteGroupID
}
