package netplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// link is an interface as `ip -j -d link show` describes it.
type link struct {
	Index     int      `json:"ifindex"`
	Name      string   `json:"ifname"`
	Flags     []string `json:"flags"`
	MTU       int      `json:"mtu"`
	Master    string   `json:"master"`
	Address   string   `json:"address"`
	PeerIndex int      `json:"link_index"`   // a veth's peer, when in another namespace
	PeerNetns *int     `json:"link_netnsid"` // set when the peer is in another namespace
	Info      struct {
		Kind string          `json:"info_kind"`
		Data json.RawMessage `json:"info_data"`
	} `json:"linkinfo"`
}

func (l link) up() bool { return slices.Contains(l.Flags, "UP") }

// vxlanInfo is the part of a VXLAN device's details netplane sets.
type vxlanInfo struct {
	VNI      int    `json:"id"`
	Local    string `json:"local"`
	Port     int    `json:"port"`
	Learning bool   `json:"learning"`
}

// bridgeInfo is the part of a bridge's details netplane sets.
type bridgeInfo struct {
	CallIPTables  int `json:"nf_call_iptables"`
	CallIP6Tables int `json:"nf_call_ip6tables"`
}

// links lists the interfaces of run's network namespace by name.
func links(ctx context.Context, run Runner) (map[string]link, error) {
	out, err := run.Run(ctx, "ip", "-j", "-d", "link", "show")
	if err != nil {
		return nil, err
	}
	var list []link
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("reading ip link: %w", err)
	}
	byName := make(map[string]link, len(list))
	for _, l := range list {
		byName[l.Name] = l
	}
	return byName, nil
}

// hasLink reports whether run's namespace has an interface name, whether
// its peer (a veth's other end) is in another namespace, and whether it
// could tell without running a command: it can in this process's own
// namespace (Exec), asking the kernel itself.
func hasLink(run Runner, name string) (has, elsewhere, known bool) {
	if !local(run) {
		return false, false, false
	}
	all, err := ownLinks()
	if err != nil {
		return false, false, false
	}
	elsewhere, has = all[name]
	return has, elsewhere, true
}

// iflaLinkNetnsID is the attribute of a link whose peer is in another
// network namespace (its id there), as `ip` shows link_netnsid.
const iflaLinkNetnsID = 37

// ownLinks lists the interfaces of this process's network namespace over
// rtnetlink, each with whether its peer is in another namespace.
func ownLinks() (map[string]bool, error) {
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, err
	}
	all := map[string]bool{}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWLINK {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return nil, err
		}
		name, elsewhere := "", false
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFLA_IFNAME:
				name = string(bytes.TrimRight(a.Value, "\x00"))
			case iflaLinkNetnsID:
				elsewhere = true
			}
		}
		all[name] = elsewhere
	}
	return all, nil
}

// startBatch starts the ip commands of lines (without the leading "ip")
// in one process, which stops at the first that fails, and returns what
// waits for its end. With a Runner that can start commands it runs
// meanwhile; otherwise it has run already.
func startBatch(ctx context.Context, run Runner, lines []string) (wait func() error) {
	// Runner has no standard input; the commands go through a file.
	file, err := os.CreateTemp("", "netplane-*.ip")
	if err != nil {
		return func() error { return err }
	}
	_, err = file.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	end := func(err error) error {
		os.Remove(file.Name())
		return err
	}
	if err != nil {
		return func() error { return end(err) }
	}
	if s, ok := run.(starter); ok {
		done, err := s.start(ctx, "ip", "-batch", file.Name())
		if err != nil {
			return func() error { return end(err) }
		}
		return func() error { _, err := done(); return end(err) }
	}
	_, err = run.Run(ctx, "ip", "-batch", file.Name())
	return func() error { return end(err) }
}

// deleteLink deletes an interface; one that is already gone is fine (a
// veth goes with its peer's namespace, asynchronously).
func deleteLink(ctx context.Context, run Runner, name string) error {
	_, err := run.Run(ctx, "ip", "link", "del", "dev", name)
	if err == nil {
		return nil
	}
	if all, lerr := links(ctx, run); lerr == nil {
		if _, ok := all[name]; !ok {
			return nil
		}
	}
	return err
}

// disableIPv6 keeps the host off a tenant network: without it the kernel
// gives a bridge or port a link-local address that the network's
// containers could reach. A host without IPv6 has nothing to disable.
func disableIPv6(ctx context.Context, run Runner, dev string) error {
	if local(run) {
		// In this process's namespace: written without a command.
		err := os.WriteFile("/proc/sys/net/ipv6/conf/"+dev+"/disable_ipv6", []byte("1\n"), 0)
		if err == nil {
			return nil
		}
		if _, serr := os.Stat("/proc/sys/net/ipv6/conf/all"); errors.Is(serr, fs.ErrNotExist) {
			return nil // no IPv6 on this host
		}
	}
	_, err := run.Run(ctx, "sysctl", "-q", "-w", "net.ipv6.conf."+dev+".disable_ipv6=1")
	if err != nil {
		if _, serr := run.Run(ctx, "sysctl", "-n", "net.ipv6.conf.all.disable_ipv6"); serr != nil {
			return nil
		}
	}
	return err
}

// address is an address of an interface, as `ip -j addr show` lists it.
type address struct {
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixlen"`
	Scope     string `json:"scope"`
}

// addresses lists the global addresses of an interface.
func addresses(ctx context.Context, run Runner, dev string) ([]netip.Prefix, error) {
	out, err := run.Run(ctx, "ip", "-j", "addr", "show", "dev", dev)
	if err != nil {
		return nil, err
	}
	var list []struct {
		Addrs []address `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("reading ip addr: %w", err)
	}
	var prefixes []netip.Prefix
	for _, l := range list {
		for _, a := range l.Addrs {
			addr, err := netip.ParseAddr(a.Local)
			if err != nil || a.Scope != "global" {
				continue
			}
			prefixes = append(prefixes, netip.PrefixFrom(addr, a.PrefixLen))
		}
	}
	return prefixes, nil
}

// setAddresses makes an interface's global addresses exactly want. IPv6
// ones skip duplicate address detection: IPAM made them unique, and they
// are usable at once.
func setAddresses(ctx context.Context, run Runner, dev string, want []netip.Prefix) error {
	have, err := addresses(ctx, run, dev)
	if err != nil {
		return err
	}
	for _, a := range have {
		if !slices.Contains(want, a) {
			if _, err := run.Run(ctx, "ip", "addr", "del", a.String(), "dev", dev); err != nil {
				return err
			}
		}
	}
	for _, a := range want {
		if slices.Contains(have, a) {
			continue
		}
		args := []string{"addr", "add", a.String(), "dev", dev}
		if a.Addr().Is6() {
			args = append(args, "nodad")
		}
		if _, err := run.Run(ctx, "ip", args...); err != nil {
			return err
		}
	}
	return nil
}

// setLink brings an interface to the given MTU, master (if not "") and up,
// in one command, doing nothing if it is there already.
func setLink(ctx context.Context, run Runner, l link, mtu int, master string) error {
	if l.MTU == mtu && l.Master == master && l.up() {
		return nil
	}
	args := []string{"link", "set", "dev", l.Name, "mtu", strconv.Itoa(mtu)}
	if master != "" {
		args = append(args, "master", master)
	}
	_, err := run.Run(ctx, "ip", append(args, "up")...)
	return err
}

// zeroMAC is the FDB address of a VXLAN device's flooding list: frames with
// no better entry go to each of its destinations.
const zeroMAC = "00:00:00:00:00:00"

// floodLists returns the destinations of each VXLAN device's flooding list.
func floodLists(ctx context.Context, run Runner) (map[string][]netip.Addr, error) {
	out, err := run.Run(ctx, "bridge", "-j", "fdb", "show")
	if err != nil {
		return nil, err
	}
	var entries []struct {
		MAC string `json:"mac"`
		Dev string `json:"ifname"`
		Dst string `json:"dst"`
	}
	if err := json.Unmarshal(out, &entries); err != nil {
		return nil, fmt.Errorf("reading bridge fdb: %w", err)
	}
	lists := map[string][]netip.Addr{}
	for _, e := range entries {
		if dst, err := netip.ParseAddr(e.Dst); err == nil && e.MAC == zeroMAC && ours(e.Dev, vxlanPrefix) {
			lists[e.Dev] = append(lists[e.Dev], dst)
		}
	}
	return lists, nil
}
