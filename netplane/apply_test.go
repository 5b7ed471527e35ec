package netplane

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// recorder is a Runner for an empty host that records the commands run.
type recorder struct {
	mu       sync.Mutex
	commands []string
}

func (r *recorder) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, strings.Join(append([]string{name}, args...), " "))
	switch {
	case name == "ip" && strings.Contains(strings.Join(args, " "), "link show"),
		name == "bridge":
		return []byte("[]"), nil
	case name == "sysctl":
		return []byte("1\n"), nil
	}
	return nil, nil
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
