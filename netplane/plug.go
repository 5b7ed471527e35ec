package netplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"syscall"

	"github.com/zun-go/zun/errdefs"
)

// Plug gives the network namespace of process pid (a container's) the
// interface ifname (eth0, eth1...) on port portID's network: one end of a
// veth pair whose other end is on the network's bridge, with the port's MAC
// and addresses, up. There is no default route: tenant networks have no
// router here.
//
// The port must be in the Config last applied successfully, so its
// security group chains are in place before its first packet; otherwise
// Plug fails with errdefs.ErrNotFound. Plug is idempotent: it completes a
// plug cut short, and replugs a port whose veth leads elsewhere (the
// container restarted in a new namespace). A namespace that already has
// another interface called ifname is errdefs.ErrConflict.
func (p *Plane) Plug(ctx context.Context, portID string, pid int, ifname string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := -1
	if p.synced {
		i = slices.IndexFunc(p.last.Ports, func(p Port) bool { return p.ID == portID })
	}
	if i < 0 {
		return errdefs.NotFoundf("port %q is not in the network config applied on this host", portID)
	}
	if pid <= 0 || ifname == "" || len(ifname) > 15 {
		return errdefs.Invalidf("port %q: cannot plug into process %d as %q", portID, pid, ifname)
	}
	port := p.last.Ports[i]
	n := p.last.networks()[port.NetworkID]
	if err := p.plug(ctx, port, n, pid, ifname); err != nil {
		return fmt.Errorf("port %q: %w", portID, err)
	}
	if local(p.run()) {
		// Best effort: without it, neighbours learn the new MAC when
		// their entry expires.
		_ = gratuitousARP(bridgeName(n.ID), port)
	}
	return nil
}

// gratuitousARP sends on a network's bridge, in this process's namespace,
// a gratuitous ARP request for each IPv4 address of a port just plugged,
// from its MAC: the network's containers that knew one of these addresses
// at another MAC (a port deleted, its address given to this one) learn
// the new one at once, rather than when their neighbour entry expires, up
// to a minute later. (The container's own arp_notify cannot do it: its
// announcement would leave before its bridge port forwards.) The bridge
// floods it to its ports and the VXLAN device, as the port itself could
// send it. IPv6 neighbours are left to their own reachability checks.
func gratuitousARP(bridge string, port Port) error {
	br, err := net.InterfaceByName(bridge)
	if err != nil {
		return err
	}
	mac, err := net.ParseMAC(port.MAC)
	if err != nil {
		return err
	}
	const ethPArp = 0x0806
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(ethPArp)))
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	broadcast := [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	to := &syscall.SockaddrLinklayer{Protocol: htons(ethPArp), Ifindex: br.Index, Halen: 6, Addr: broadcast}
	for _, a := range port.Addresses {
		if !a.Addr().Is4() {
			continue
		}
		ip := a.Addr().As4()
		frame := make([]byte, 0, 42)
		frame = append(frame, broadcast[:6]...)             // to everyone
		frame = append(frame, mac...)                       // from the port
		frame = append(frame, 0x08, 0x06)                   // ARP
		frame = append(frame, 0, 1, 0x08, 0x00, 6, 4, 0, 1) // Ethernet, IPv4, request
		frame = append(frame, mac...)                       // sender: the port's MAC
		frame = append(frame, ip[:]...)                     // and address
		frame = append(frame, 0, 0, 0, 0, 0, 0)             // target: unknown MAC
		frame = append(frame, ip[:]...)                     // of the same address
		if err := syscall.Sendto(fd, frame, 0, to); err != nil {
			return err
		}
	}
	return nil
}

// htons is a 16-bit number in network order, as AF_PACKET takes protocols.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// plug plugs a port: at once if its veth is not there yet, the usual case,
// else (or should that fail) looking at both namespaces first.
func (p *Plane) plug(ctx context.Context, port Port, n Network, pid int, ifname string) error {
	if has, _, known := hasLink(p.run(), vethName(port.ID)); !has || !known {
		if p.plugNew(ctx, port, n, pid, ifname) == nil {
			return nil
		}
	}
	return p.replug(ctx, port, n, pid, ifname)
}

// plugNew plugs a port whose veth does not exist, in three commands: the
// veth pair made, its container end named, addressed (with its MAC and
// MTU) and in the container's namespace at once; then, side by side, the
// host end on the bridge and up, and the container end's addresses and up,
// in one `ip -batch` there. It fails, having done nothing, if the veth or
// ifname exists; failing later, it leaves what replug completes.
func (p *Plane) plugNew(ctx context.Context, port Port, n Network, pid int, ifname string) error {
	host, veth := p.run(), vethName(port.ID)
	mac, _ := net.ParseMAC(port.MAC)
	mtu := strconv.Itoa(n.mtu())
	if _, err := host.Run(ctx, "ip", "link", "add", veth, "mtu", mtu, "type", "veth",
		"peer", "name", ifname, "mtu", mtu, "address", mac.String(), "netns", strconv.Itoa(pid)); err != nil {
		return err
	}
	var lines []string
	for _, a := range port.Addresses {
		line := "address add " + a.String() + " dev " + ifname
		if a.Addr().Is6() {
			line += " nodad"
		}
		lines = append(lines, line)
	}
	lines = append(lines, "link set dev "+ifname+" mtu "+mtu+" up")
	inside := startBatch(ctx, InNetns(fmt.Sprintf("/proc/%d/ns/net", pid), host), lines)
	err := p.bringUp(ctx, link{Name: veth}, n.mtu(), bridgeName(n.ID))
	return errors.Join(err, inside())
}

// replug plugs a port whatever the state of both namespaces: it completes
// a plug cut short, and replugs a veth that leads into another namespace.
func (p *Plane) replug(ctx context.Context, port Port, n Network, pid int, ifname string) error {
	host, veth := p.run(), vethName(port.ID)
	container := InNetns(fmt.Sprintf("/proc/%d/ns/net", pid), host)
	hostLinks, inside, err := bothSides(ctx, host, container)
	if err != nil {
		return err
	}
	hostEnd, plugged := hostLinks[veth]
	end, taken := inside[ifname]
	// Each end must name the other: indexes are per namespace, and one
	// alone could match an interface of another namespace.
	connected := plugged && taken && hostEnd.PeerNetns != nil && end.Info.Kind == "veth" &&
		hostEnd.PeerIndex == end.Index && end.PeerIndex == hostEnd.Index
	if taken && !connected {
		return errdefs.Conflictf("process %d's network namespace already has an interface %q", pid, ifname)
	}
	mac, _ := net.ParseMAC(port.MAC)
	mtu := strconv.Itoa(n.mtu())
	if !connected {
		if plugged { // into another namespace: the container's old one
			if err := deleteLink(ctx, host, veth); err != nil {
				return err
			}
		}
		// The container end is made in its namespace, named and addressed:
		// it never appears in the host's.
		if _, err := host.Run(ctx, "ip", "link", "add", veth, "mtu", mtu, "type", "veth",
			"peer", "name", ifname, "mtu", mtu, "address", mac.String(), "netns", strconv.Itoa(pid)); err != nil {
			return err
		}
		if hostLinks, inside, err = bothSides(ctx, host, container); err != nil {
			return err
		}
		if hostEnd, plugged = hostLinks[veth]; !plugged {
			return fmt.Errorf("veth %s vanished as it was made", veth)
		}
		if end, taken = inside[ifname]; !taken {
			return fmt.Errorf("interface %s vanished as it was made", ifname)
		}
	}
	if err := p.bringUp(ctx, hostEnd, n.mtu(), bridgeName(n.ID)); err != nil {
		return err
	}
	if end.Address != mac.String() {
		if _, err := container.Run(ctx, "ip", "link", "set", "dev", ifname, "address", mac.String()); err != nil {
			return err
		}
	}
	if err := setAddresses(ctx, container, ifname, port.Addresses); err != nil {
		return err
	}
	return setLink(ctx, container, end, n.mtu(), "")
}

// bothSides lists the interfaces of the host's namespace and the
// container's.
func bothSides(ctx context.Context, host, container Runner) (map[string]link, map[string]link, error) {
	hostLinks, err := links(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	inside, err := links(ctx, container)
	if err != nil {
		return nil, nil, err
	}
	return hostLinks, inside, nil
}

// Unplug removes a port's veth pair from the host and from the container
// that had it; a port not plugged is fine.
func (p *Plane) Unplug(ctx context.Context, portID string) error {
	if _, err := deviceKey(portID); err != nil {
		return errdefs.Invalidf("port %q: %v", portID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := deleteLink(ctx, p.run(), vethName(portID)); err != nil {
		return fmt.Errorf("port %q: %w", portID, err)
	}
	return nil
}

// Plugged reports whether a port's veth is on the host with its other end
// in another namespace (a container's).
func (p *Plane) Plugged(ctx context.Context, portID string) (bool, error) {
	if _, err := deviceKey(portID); err != nil {
		return false, errdefs.Invalidf("port %q: %v", portID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if has, elsewhere, known := hasLink(p.run(), vethName(portID)); known {
		return has && elsewhere, nil
	}
	all, err := links(ctx, p.run())
	if err != nil {
		return false, fmt.Errorf("port %q: %w", portID, err)
	}
	l, ok := all[vethName(portID)]
	return ok && l.PeerNetns != nil, nil
}
