package netplane

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// recorder is a Runner for an empty host that records the commands run,
// and the input of the restore commands.
type recorder struct {
	mu       sync.Mutex
	commands []string
	inputs   map[string]string // restore command → its last input
	fail     map[string]int    // command → how many of its next runs fail
	links    string            // what ip link show lists; "": nothing
}

func (r *recorder) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, strings.Join(append([]string{name}, args...), " "))
	if strings.HasSuffix(name, "-restore") {
		input, err := os.ReadFile(args[len(args)-1])
		if err != nil {
			return nil, err
		}
		if r.inputs == nil {
			r.inputs = map[string]string{}
		}
		r.inputs[name] = string(input)
	}
	if r.fail[name] > 0 {
		r.fail[name]--
		return nil, errors.New(name + ": failed as told")
	}
	switch {
	case name == "ip" && strings.Contains(strings.Join(args, " "), "link show") && r.links != "":
		return []byte(r.links), nil
	case name == "ip" && strings.Contains(strings.Join(args, " "), "link show"),
		name == "bridge":
		return []byte("[]"), nil
	case name == "sysctl":
		return []byte("1\n"), nil
	}
	return nil, nil
}

// input returns, and forgets, the last input of a restore command.
func (r *recorder) input(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	input := r.inputs[name]
	delete(r.inputs, name)
	return input
}

func (r *recorder) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ran := r.commands
	r.commands = nil
	return ran
}

// TestApplyWithoutKernel checks what Apply runs, on a fake host.
func TestApplyWithoutKernel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := &recorder{}
	p := &Plane{TunnelIP: netip.MustParseAddr("192.0.2.1"), Runner: rec}

	bad := example()
	bad.Ports[0].MAC = "nope"
	if err := p.Apply(ctx, bad); !errdefs.IsInvalid(err) {
		t.Fatalf("Apply of an invalid config: got %v, want ErrInvalid", err)
	}
	if ran := rec.ran(); len(ran) != 0 {
		t.Errorf("Apply of an invalid config ran %q", ran)
	}

	cfg := example()
	if err := p.Apply(ctx, cfg); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	ran := rec.ran()
	for _, want := range []string{
		"ip link add zb0a1b2c3d4e5f mtu 1400 arp off type bridge nf_call_iptables 1 nf_call_ip6tables 1",
		"ip link add zx1b2c3d4e5f6a mtu 1450 type vxlan id 65543 local 192.0.2.1 dstport 4789 nolearning",
		"bridge fdb append 00:00:00:00:00:00 dev zx1b2c3d4e5f6a dst 192.0.2.2",
		"sysctl -q -w net.ipv6.conf.zb0a1b2c3d4e5f.disable_ipv6=1",
		"ip link set dev zx0a1b2c3d4e5f mtu 1400 master zb0a1b2c3d4e5f up",
		"iptables-restore --noflush --wait=5 ",
		"ip6tables-restore --noflush --wait=5 ",
	} {
		if !slices.ContainsFunc(ran, func(cmd string) bool { return strings.HasPrefix(cmd, want) }) {
			t.Errorf("Apply did not run %q; it ran:\n%s", want, strings.Join(ran, "\n"))
		}
	}

	cfg = example() // equal, not the same slices
	if err := p.Apply(ctx, cfg); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if ran := rec.ran(); len(ran) != 0 {
		t.Errorf("Apply of the config just applied ran %q", ran)
	}
	cfg.Ports[0].Ingress = append(cfg.Ports[0].Ingress, Rule{Protocol: "udp"})
	if err := p.Apply(ctx, cfg); err != nil {
		t.Fatalf("third Apply: %v", err)
	}
	if ran := rec.ran(); len(ran) == 0 {
		t.Error("Apply of a changed config ran nothing")
	}

	if err := p.Plug(ctx, "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", 1, "eth0"); !errdefs.IsNotFound(err) {
		t.Errorf("Plug of a port not applied: got %v, want ErrNotFound", err)
	}
	if err := p.Plug(ctx, portA, 1, "an-interface-name"); !errdefs.IsInvalid(err) {
		t.Errorf("Plug as a name too long: got %v, want ErrInvalid", err)
	}
	if err := p.Unplug(ctx, "port-1"); !errdefs.IsInvalid(err) {
		t.Errorf("Unplug of a bad id: got %v, want ErrInvalid", err)
	}
	if _, err := p.Plugged(ctx, "port-1"); !errdefs.IsInvalid(err) {
		t.Errorf("Plugged of a bad id: got %v, want ErrInvalid", err)
	}
	if ran := rec.ran(); len(ran) != 0 {
		t.Errorf("refused calls ran %q", ran)
	}
}

// TestApplySkips checks, on a fake host, that Apply does only the parts a
// change of the Config needs once the kernel matched the last one: the
// commands it runs (by name), and the chains it writes.
func TestApplySkips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The host has example()'s devices, up.
	rec := &recorder{links: `[
		{"ifname": "zb0a1b2c3d4e5f", "flags": ["NOARP", "UP"], "mtu": 1400,
		 "linkinfo": {"info_kind": "bridge", "info_data": {"nf_call_iptables": 1, "nf_call_ip6tables": 1}}},
		{"ifname": "zx0a1b2c3d4e5f", "flags": ["UP"], "mtu": 1400, "master": "zb0a1b2c3d4e5f",
		 "linkinfo": {"info_kind": "vxlan", "info_data": {"id": 7, "local": "192.0.2.1", "port": 4789}}},
		{"ifname": "zb1b2c3d4e5f6a", "flags": ["NOARP", "UP"], "mtu": 1450,
		 "linkinfo": {"info_kind": "bridge", "info_data": {"nf_call_iptables": 1, "nf_call_ip6tables": 1}}},
		{"ifname": "zx1b2c3d4e5f6a", "flags": ["UP"], "mtu": 1450, "master": "zb1b2c3d4e5f6a",
		 "linkinfo": {"info_kind": "vxlan", "info_data": {"id": 65543, "local": "192.0.2.1", "port": 4789}}}]`}
	p := &Plane{TunnelIP: netip.MustParseAddr("192.0.2.1"), Runner: rec}
	cfg := example()
	newPort := func(id string, secured bool) Port {
		return Port{ID: id, NetworkID: netA, MAC: "fa:16:3e:00:00:0d", SecurityEnabled: secured,
			Addresses: prefixes("10.0.0.9/24", "2001:db8::9/64"), Egress: anyEgress}
	}
	const portD, portE = "dddddddd-dddd-4ddd-8ddd-dddddddddddd", "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
	all := []string{"sysctl", "ip", "bridge", "iptables-save", "ip6tables-save", "iptables-restore", "ip6tables-restore"}
	restores := []string{"iptables-restore", "ip6tables-restore"}

	for _, step := range []struct {
		name    string
		do      func() error
		ran     []string // the names of the commands run, each once
		writes  []string // chains every restore writes
		full    []string // restores that write every chain
		keeps   []string // chains no restore writes
		removes []string // chains every restore deletes
	}{
		{name: "first Apply reads and writes everything", do: func() error { return p.Apply(ctx, cfg) }, ran: all, full: restores},
		{name: "a secured port added writes its chains and ZUN-FWD", do: func() error {
			cfg.Ports = append(cfg.Ports, newPort(portD, true))
			return p.Apply(ctx, cfg)
		}, ran: restores,
			writes: []string{fwdChain, spoofChain + mustKey(portD), egressChain + mustKey(portD), ingressChain + mustKey(portD)},
			keeps:  []string{spoofChain + mustKey(portA), ingressChain + mustKey(portB), inputChain, preChain}},
		{name: "a port without security added runs nothing", do: func() error {
			cfg.Ports = append(cfg.Ports, newPort(portE, false))
			return p.Apply(ctx, cfg)
		}},
		{name: "a rule added writes that port's chain alone", do: func() error {
			cfg.Ports[0].Ingress = append(cfg.Ports[0].Ingress, Rule{Protocol: "udp"})
			return p.Apply(ctx, cfg)
		}, ran: restores, writes: []string{ingressChain + mustKey(portB)}, keeps: []string{fwdChain, egressChain + mustKey(portB)}},
		{name: "a port removed deletes its veth and chains", do: func() error {
			cfg.Ports = slices.DeleteFunc(cfg.Ports, func(p Port) bool { return p.ID == portD })
			return p.Apply(ctx, cfg)
		}, ran: append([]string{"ip"}, restores...), writes: []string{fwdChain},
			removes: []string{spoofChain + mustKey(portD), egressChain + mustKey(portD), ingressChain + mustKey(portD)}},
		{name: "a remote added sets the flooding lists alone", do: func() error {
			cfg.Networks[0].Remotes = append(cfg.Networks[0].Remotes, netip.MustParseAddr("192.0.2.3"))
			return p.Apply(ctx, cfg)
		}, ran: []string{"bridge"}},
		{name: "an MTU changed sets the devices alone", do: func() error {
			cfg.Networks[1].MTU = 1300
			return p.Apply(ctx, cfg)
		}, ran: []string{"ip"}},
		{name: "a VNI changed makes the VXLAN device and its flooding list again", do: func() error {
			cfg.Networks[1].VNI = 8
			err := p.Apply(ctx, cfg)
			rec.links = strings.Replace(rec.links, `"id": 7,`, `"id": 8,`, 1) // as made
			return err
		}, ran: []string{"ip", "sysctl", "bridge", "iptables-restore", "ip6tables-restore"}, writes: []string{preChain}, keeps: []string{fwdChain}},
		{name: "the same networks and remotes in another order run nothing", do: func() error {
			slices.Reverse(cfg.Networks)
			slices.Reverse(cfg.Networks[1].Remotes)
			return p.Apply(ctx, cfg)
		}},
		{name: "a restore that fails is done again in full", do: func() error {
			rec.fail = map[string]int{"iptables-restore": 1}
			cfg.Ports = append(cfg.Ports, newPort(portD, true))
			return p.Apply(ctx, cfg)
		}, ran: append([]string{"iptables-save"}, restores...),
			writes: []string{fwdChain, spoofChain + mustKey(portD)}, full: []string{"iptables-restore"}},
		{name: "Repair reads and writes everything", do: func() error { return p.Repair(ctx) }, ran: all, full: restores},
		{name: "after Repair a change writes what it changes", do: func() error {
			cfg.Ports = slices.DeleteFunc(cfg.Ports, func(p Port) bool { return p.ID == portE })
			cfg.Ports[0].Ingress = nil
			return p.Apply(ctx, cfg)
		}, ran: append([]string{"ip"}, restores...), writes: []string{ingressChain + mustKey(portB)}, keeps: []string{fwdChain}},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := step.do(); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, cmd := range rec.ran() {
				name, _, _ := strings.Cut(cmd, " ")
				if !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(step.ran))
			if !slices.Equal(names, want) {
				t.Errorf("ran %q, want %q", names, want)
			}
			for _, cmd := range restores {
				input := rec.input(cmd)
				if !slices.Contains(step.ran, cmd) {
					continue
				}
				writes := step.writes
				if slices.Contains(step.full, cmd) {
					writes = []string{preChain, inputChain, fwdChain, spoofChain + mustKey(portA), ingressChain + mustKey(portB)}
				}
				for _, c := range writes {
					if !touches(input, c) {
						t.Errorf("%s does not write %s:\n%s", cmd, c, input)
					}
				}
				for _, c := range step.keeps {
					if touches(input, c) {
						t.Errorf("%s writes %s, unchanged:\n%s", cmd, c, input)
					}
				}
				for _, c := range step.removes {
					if !strings.Contains(input, "-X "+c+"\n") {
						t.Errorf("%s does not delete %s:\n%s", cmd, c, input)
					}
				}
			}
		})
	}
}

// touches reports whether restore input declares chain or changes its
// rules.
func touches(input, chain string) bool {
	for _, prefix := range []string{":", "-A ", "-I ", "-D "} {
		if strings.Contains(input, prefix+chain+" ") {
			return true
		}
	}
	return false
}
