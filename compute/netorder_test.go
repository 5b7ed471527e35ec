package compute

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/netplane"
)

// The order in which network configurations are applied, on a data plane
// whose commands go to a recording runner (no kernel, no root).

// kernel answers netplane's commands as a host that has one port's veth
// plugged into a container, and records the rest.
type kernel struct {
	veth string // the host end of the plugged port

	mu   sync.Mutex
	cmds []string
}

func (k *kernel) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	k.mu.Lock()
	k.cmds = append(k.cmds, cmd)
	k.mu.Unlock()
	switch {
	case cmd == "ip -j -d link show":
		return []byte(`[{"ifindex":7,"ifname":"` + k.veth + `","flags":["UP"],"mtu":1450,"link_index":2,"link_netnsid":0,"linkinfo":{"info_kind":"veth"}}]`), nil
	case slices.Contains(args, "-j"):
		return []byte("[]"), nil
	}
	return nil, nil
}

// deleted reports whether a command deleted device dev.
func (k *kernel) deleted(dev string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Contains(k.cmds, "ip link del dev "+dev)
}

// netCP serves network configurations in the order a test gives them.
type netCP struct {
	ControlPlane // nil: only NetConfig is called
	cfgs         chan NetConfig
}

func (cp netCP) NetConfig(ctx context.Context, host string, fresh bool) (NetConfig, error) {
	return <-cp.cfgs, nil
}

// TestNetConfigOrder: a configuration read before the one applied (the
// control plane's cached view, served to a periodic fetch that lost the
// race with a fresh fetch for a new container) is not applied: it lacks
// the new container's port, whose veth it would remove.
func TestNetConfigOrder(t *testing.T) {
	t.Parallel()
	const (
		netID  = "5e1f0c2a-0b1d-4c53-9d3e-000000000001"
		portID = "9a8b7c6d5e4f-4a3b-8c2d-000000000002"
	)
	cached := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withPort := NetConfig{
		Config: netplane.Config{
			Networks: []netplane.Network{{ID: netID, VNI: 100}},
			Ports: []netplane.Port{{ID: portID, NetworkID: netID, MAC: "fa:16:3e:00:00:01",
				Addresses: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/24")}}},
		},
		Containers: map[string][]string{"c1": {portID}},
	}
	withoutPort := NetConfig{Containers: map[string][]string{}}
	rec := &container.Container{UUID: "c1", Addresses: map[string][]container.Address{netID: {{Addr: "10.0.0.5", Port: portID}}}}
	for _, tc := range []struct {
		name    string
		first   NetConfig // applied first (a fresh fetch)
		second  NetConfig // arrives after it
		removed bool      // the port's veth is removed
	}{
		{name: "an older view arriving late is not applied",
			first: at(withPort, cached.Add(300*time.Millisecond)), second: at(withoutPort, cached)},
		{name: "a newer view without the port is applied",
			first: at(withPort, cached), second: at(withoutPort, cached.Add(time.Second)), removed: true},
		{name: "a view without a time is applied",
			first: at(withPort, cached), second: withoutPort, removed: true},
		{name: "a view far older than the applied one is applied (the clock moved)",
			first: at(withPort, cached.Add(time.Hour)), second: at(withoutPort, cached), removed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := &kernel{veth: "zv9a8b7c6d5e4f"}
			cp := netCP{cfgs: make(chan NetConfig, 2)}
			a := New(Config{Host: "h", Network: &netplane.Plane{TunnelIP: netip.MustParseAddr("192.0.2.1"), Runner: k}}, nil, cp, nil)
			ctx := context.Background()
			cp.cfgs <- tc.first
			if err := a.fetchAndApply(ctx, true); err != nil {
				t.Fatalf("apply the first configuration: %v", err)
			}
			if k.deleted(k.veth) {
				t.Fatalf("the first configuration removed its own port's veth")
			}
			cp.cfgs <- tc.second
			if err := a.fetchAndApply(ctx, false); err != nil {
				t.Fatalf("apply the second configuration: %v", err)
			}
			if got := k.deleted(k.veth); got != tc.removed {
				t.Fatalf("port veth removed = %v; want %v", got, tc.removed)
			}
			if got, want := a.knowsPorts(rec), !tc.removed; got != want {
				t.Fatalf("the applied configuration has the port = %v; want %v", got, want)
			}
		})
	}
}

func at(cfg NetConfig, t time.Time) NetConfig {
	cfg.Time = t
	return cfg
}
