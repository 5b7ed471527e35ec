package schema

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zun-go/zun/container"
)

// The create body's networking fields: security groups, exposed ports and
// requested networks.

// parseSecurityGroups: array|null of names or ids, 1 to 255 characters
// each, de-duplicated (first occurrence kept; Zun's set() loses the order).
func parseSecurityGroups(c *creator, v any) error {
	if v == nil {
		return nil
	}
	groups, err := asStrings("security_groups", v)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(groups))
	var out []string
	for i, g := range groups {
		if n := utf8.RuneCountInString(g); n < 1 || n > 255 {
			return fieldError(fmt.Sprintf("security_groups[%d]", i), g, "A security group is named by its name or id, 1 to 255 characters long.")
		}
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	c.c.SecurityGroups = out
	return nil
}

// parseExposedPorts: object|null whose keys are "<port>" or
// "<port>/<protocol>", protocol tcp (the default) or udp; the values are
// ignored, as in Zun. The port is digits from 1 to 65535 (Zun takes what
// Python's int() takes, " -5" included). Ports are kept as
// "<port>/<protocol>", sorted.
func parseExposedPorts(c *creator, v any) error {
	if v == nil {
		return nil
	}
	m, err := asObject("exposed_ports", v)
	if err != nil {
		return err
	}
	type portProto struct {
		port  int
		proto string
	}
	set := map[portProto]bool{}
	for _, k := range sortedKeys(m) {
		port, proto, found := strings.Cut(k, "/")
		if !found {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return fieldError("exposed_ports", k, "The protocol of an exposed port is 'tcp' or 'udp', as in '80/tcp'.")
		}
		n, err := strconv.Atoi(port)
		if err != nil || !isDigits(port) || n < 1 || n > 65535 {
			return fieldError("exposed_ports", k, "An exposed port is a port number from 1 to 65535 with an optional protocol, as in '80' or '53/udp'.")
		}
		set[portProto{n, proto}] = true
	}
	ports := make([]portProto, 0, len(set))
	for p := range set {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool {
		if ports[i].port != ports[j].port {
			return ports[i].port < ports[j].port
		}
		return ports[i].proto < ports[j].proto
	})
	for _, p := range ports {
		c.c.ExposedPorts = append(c.c.ExposedPorts, strconv.Itoa(p.port)+"/"+p.proto)
	}
	return nil
}

// parseNets: array|null of objects with exactly one of network (a name or
// id) or port (an id), 1 to 255 characters, and optionally v4-fixed-ip (an
// IPv4 address) and v6-fixed-ip (an IPv6 address); nothing else.
func parseNets(c *creator, v any) error {
	if v == nil {
		return nil
	}
	items, err := asArray("nets", v)
	if err != nil {
		return err
	}
	var nets []container.NetRequest
	for i, item := range items {
		path := fmt.Sprintf("nets[%d]", i)
		m, err := asObject(path, item)
		if err != nil {
			return err
		}
		var n container.NetRequest
		for _, k := range sortedKeys(m) {
			val := m[k]
			kp := path + "." + k
			switch k {
			case "network", "port":
				s, err := asString(kp, val)
				if err != nil {
					return err
				}
				if l := utf8.RuneCountInString(s); l < 1 || l > 255 {
					return fieldError(kp, val, "A %s is named by its name or id, 1 to 255 characters long.", k)
				}
				if k == "network" {
					n.Network = s
				} else {
					n.Port = s
				}
			case "v4-fixed-ip", "v6-fixed-ip":
				s, err := asString(kp, val)
				if err != nil {
					return err
				}
				a, perr := netip.ParseAddr(s)
				if k == "v4-fixed-ip" {
					if perr != nil || !a.Is4() {
						return fieldError(kp, val, "Expected an IPv4 address, such as 192.0.2.10.")
					}
					n.V4FixedIP = s
				} else {
					if perr != nil || !a.Is6() || a.Zone() != "" {
						return fieldError(kp, val, "Expected an IPv6 address, such as 2001:db8::10.")
					}
					n.V6FixedIP = s
				}
			default:
				return fieldError(path, item, "Unexpected key '%s': a requested network has network or port, v4-fixed-ip and v6-fixed-ip.", k)
			}
		}
		_, hasNet := m["network"]
		_, hasPort := m["port"]
		if hasNet == hasPort {
			return fieldError(path, item, "A requested network names exactly one of network or port.")
		}
		nets = append(nets, n)
	}
	c.c.Nets = nets
	return nil
}
