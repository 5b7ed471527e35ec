package network_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

func projectCtx(project string) context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: project, UserID: "u-" + project,
		Roles: []string{auth.RoleMember}})
}

func mustNetwork(t *testing.T, ns *network.EtcdStore, ctx context.Context, project, name, cidr string) (*network.Network, *network.Subnet) {
	t.Helper()
	n := &network.Network{Name: name, ProjectID: project, AdminStateUp: true, PortSecurity: true}
	if err := ns.CreateNetwork(ctx, n); err != nil {
		t.Fatal(err)
	}
	sub := &network.Subnet{NetworkID: n.ID, ProjectID: project, CIDR: cidr}
	if err := ns.CreateSubnet(ctx, sub); err != nil {
		t.Fatal(err)
	}
	return n, sub
}

// TestAddressAllocation: concurrent ports get distinct addresses from the
// pools; an exhausted subnet refuses more with nothing half-made; asked
// for addresses are checked.
func TestAddressAllocation(t *testing.T) {
	ns := network.NewEtcdStore(dbtest.Open(t), nil)
	ctx := projectCtx("p1")
	n, sub := mustNetwork(t, ns, ctx, "p1", "net", "10.1.0.0/27") // 29 addresses after the gateway
	if sub.GatewayIP != "10.1.0.1" || len(sub.Pools) != 1 || sub.Pools[0] != (network.Pool{Start: "10.1.0.2", End: "10.1.0.30"}) {
		t.Fatalf("defaults: gateway %q pools %v", sub.GatewayIP, sub.Pools)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[string]string{}
		errs []error
	)
	for i := range 35 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &network.Port{NetworkID: n.ID, ProjectID: "p1", Name: fmt.Sprint(i), PortSecurity: true}
			err := ns.CreatePort(ctx, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if len(p.FixedIPs) != 1 {
				t.Errorf("port %d: %v", i, p.FixedIPs)
				return
			}
			if other, dup := seen[p.FixedIPs[0].IPAddress]; dup {
				t.Errorf("address %s given to ports %s and %s", p.FixedIPs[0].IPAddress, other, p.ID)
			}
			seen[p.FixedIPs[0].IPAddress] = p.ID
		}()
	}
	wg.Wait()
	if len(seen) != 29 || len(errs) != 6 {
		t.Fatalf("%d ports made, %d refused; want 29 and 6 (%v)", len(seen), len(errs), errs)
	}
	for _, err := range errs {
		if !errdefs.IsConflict(err) {
			t.Fatalf("exhausted subnet: %v", err)
		}
	}
	if ports, _ := ns.ListPorts(ctx); len(ports) != 29 {
		t.Fatalf("%d ports stored", len(ports))
	}
	if _, ok := seen["10.1.0.1"]; ok {
		t.Fatal("the gateway was given to a port")
	}

	// Asked-for addresses.
	n2, sub2 := mustNetwork(t, ns, ctx, "p1", "net2", "10.2.0.0/24")
	for _, tc := range []struct {
		ip   string
		kind func(error) bool
	}{
		{"10.3.0.5", errdefs.IsInvalid},   // outside
		{"10.2.0.1", errdefs.IsInvalid},   // the gateway
		{"10.2.0.255", errdefs.IsInvalid}, // broadcast
		{"nonsense", errdefs.IsInvalid},
	} {
		p := &network.Port{NetworkID: n2.ID, ProjectID: "p1", PortSecurity: true,
			FixedIPs: []network.FixedIP{{SubnetID: sub2.ID, IPAddress: tc.ip}}}
		if err := ns.CreatePort(ctx, p); !tc.kind(err) {
			t.Errorf("fixed IP %s: %v", tc.ip, err)
		}
	}
	p := &network.Port{NetworkID: n2.ID, ProjectID: "p1", PortSecurity: true, FixedIPs: []network.FixedIP{{IPAddress: "10.2.0.200"}}}
	if err := ns.CreatePort(ctx, p); err != nil || p.FixedIPs[0].SubnetID != sub2.ID {
		t.Fatalf("fixed IP by address alone: %v %v", err, p.FixedIPs)
	}
	again := &network.Port{NetworkID: n2.ID, ProjectID: "p1", PortSecurity: true, FixedIPs: []network.FixedIP{{IPAddress: "10.2.0.200"}}}
	if err := ns.CreatePort(ctx, again); !errdefs.IsConflict(err) {
		t.Fatalf("a used address: %v", err)
	}
	if ports, _ := ns.ListPorts(ctx); len(ports) != 30 {
		t.Fatalf("refused ports were stored: %d", len(ports))
	}
	// Released addresses are given again.
	if err := ns.DeletePort(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := ns.CreatePort(ctx, again); err != nil {
		t.Fatalf("a released address: %v", err)
	}
}

// TestNetworkConflicts: overlapping CIDRs in a project, deleting what is
// in use, and another project's records.
func TestNetworkConflicts(t *testing.T) {
	ns := network.NewEtcdStore(dbtest.Open(t), nil)
	ctx, other := projectCtx("p1"), projectCtx("p2")
	n, sub := mustNetwork(t, ns, ctx, "p1", "a", "10.0.0.0/24")
	n2 := &network.Network{Name: "b", ProjectID: "p1", PortSecurity: true}
	if err := ns.CreateNetwork(ctx, n2); err != nil {
		t.Fatal(err)
	}
	for _, cidr := range []string{"10.0.0.0/24", "10.0.0.128/25", "10.0.0.0/16"} {
		if err := ns.CreateSubnet(ctx, &network.Subnet{NetworkID: n2.ID, ProjectID: "p1", CIDR: cidr}); !errdefs.IsInvalid(err) {
			t.Errorf("overlapping %s: %v", cidr, err)
		}
	}
	// Another project may use the same range on its own network.
	mustNetwork(t, ns, other, "p2", "a", "10.0.0.0/24")
	for _, bad := range []network.Subnet{
		{NetworkID: n2.ID, ProjectID: "p1", CIDR: "10.9.0.1/24"},
		{NetworkID: n2.ID, ProjectID: "p1", CIDR: "10.9.0.0/24", GatewayIP: "10.8.0.1"},
		{NetworkID: n2.ID, ProjectID: "p1", CIDR: "10.9.0.0/24", Pools: []network.Pool{{Start: "10.9.0.1", End: "10.9.0.9"}}},
		{NetworkID: n2.ID, ProjectID: "p1", CIDR: "10.9.0.0/31"},
		{NetworkID: n.ID, ProjectID: "p2", CIDR: "10.10.0.0/24"},
	} {
		c := ctx
		if bad.ProjectID == "p2" {
			c = other
		}
		if err := ns.CreateSubnet(c, &bad); err == nil {
			t.Errorf("subnet %+v was made", bad)
		}
	}
	if subs, _ := ns.ListSubnets(ctx); len(subs) != 1 {
		t.Fatalf("refused subnets were stored: %d", len(subs))
	}

	p := &network.Port{NetworkID: n.ID, ProjectID: "p1", PortSecurity: true}
	if err := ns.CreatePort(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := ns.DeleteNetwork(ctx, n.ID); !errdefs.IsConflict(err) {
		t.Fatalf("delete a network with a port: %v", err)
	}
	if err := ns.DeleteSubnet(ctx, sub.ID); !errdefs.IsConflict(err) {
		t.Fatalf("delete a subnet with an address: %v", err)
	}
	if _, err := ns.GetNetwork(other, n.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("another project's network: %v", err)
	}
	if err := ns.CreatePort(other, &network.Port{NetworkID: n.ID, ProjectID: "p2"}); !errdefs.IsNotFound(err) {
		t.Fatalf("a port on another project's network: %v", err)
	}
	if err := ns.DeletePort(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := ns.DeleteNetwork(ctx, n.ID); err != nil {
		t.Fatalf("delete a network without ports: %v", err)
	}
	if _, err := ns.GetSubnet(ctx, sub.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("the deleted network's subnet: %v", err)
	}
	// Its range is free again.
	mustNetwork(t, ns, ctx, "p1", "c", "10.0.0.0/24")
}

// TestSecurityGroups: the default group is made once and cannot go; a
// group in use cannot go; duplicate rules are refused.
func TestSecurityGroups(t *testing.T) {
	ns := network.NewEtcdStore(dbtest.Open(t), nil)
	ctx := projectCtx("p1")
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := ns.DefaultSecurityGroup(ctx, "p1")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = g.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("several default groups: %v", ids)
		}
	}
	groups, _ := ns.ListSecurityGroups(ctx)
	if len(groups) != 1 || len(groups[0].Rules) != 4 {
		t.Fatalf("groups: %+v", groups)
	}
	if err := ns.DeleteSecurityGroup(ctx, ids[0]); !errdefs.IsConflict(err) {
		t.Fatalf("delete the default group: %v", err)
	}
	if err := ns.CreateSecurityGroup(ctx, &network.SecurityGroup{Name: "default", ProjectID: "p1"}); !errdefs.IsConflict(err) {
		t.Fatalf("a second default: %v", err)
	}
	web := &network.SecurityGroup{Name: "web", ProjectID: "p1"}
	if err := ns.CreateSecurityGroup(ctx, web); err != nil {
		t.Fatal(err)
	}
	port80 := 80
	r := &network.Rule{Direction: network.Ingress, Protocol: "TCP", PortRangeMin: &port80, PortRangeMax: &port80, RemoteIPPrefix: "10.0.0.7/8"}
	if err := ns.AddRule(ctx, web.ID, r); err != nil || r.Protocol != "tcp" || r.RemoteIPPrefix != "10.0.0.0/8" || r.EtherType != "IPv4" {
		t.Fatalf("add rule: %v %+v", err, r)
	}
	dup := *r
	if err := ns.AddRule(ctx, web.ID, &dup); !errdefs.IsConflict(err) {
		t.Fatalf("duplicate rule: %v", err)
	}
	for _, bad := range []network.Rule{
		{Direction: "sideways"},
		{Direction: network.Ingress, Protocol: "carrier-pigeon"},
		{Direction: network.Ingress, Protocol: "tcp", PortRangeMin: &port80},
		{Direction: network.Ingress, RemoteIPPrefix: "::/0"},
		{Direction: network.Ingress, RemoteGroupID: "no-such-group"},
	} {
		if err := ns.AddRule(ctx, web.ID, &bad); err == nil {
			t.Errorf("rule %+v was added", bad)
		}
	}
	if g, _ := ns.GetSecurityGroup(ctx, web.ID); len(g.Rules) != 3 {
		t.Fatalf("rules after refusals: %+v", g.Rules)
	}
	n, _ := mustNetwork(t, ns, ctx, "p1", "n", "10.5.0.0/24")
	p := &network.Port{NetworkID: n.ID, ProjectID: "p1", PortSecurity: true, SecurityGroups: []string{web.ID}}
	if err := ns.CreatePort(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := ns.DeleteSecurityGroup(ctx, web.ID); !errdefs.IsConflict(err) {
		t.Fatalf("delete a group in use: %v", err)
	}
	if err := ns.DeleteRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ns.FindRule(ctx, r.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("deleted rule: %v", err)
	}
	if _, err := ns.GetSecurityGroup(projectCtx("p2"), web.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("another project's group: %v", err)
	}
}

// TestContainerPorts: a container's ports come and go with its record;
// without nets it joins its project's default network, made once; a
// refused create leaves no port.
func TestContainerPorts(t *testing.T) {
	db := dbtest.Open(t)
	cs := store.Containers(db, store.ContainerOptions{})
	ns := network.NewEtcdStore(db, cs)
	cs.Join(ns)
	ctx := projectCtx("p1")
	newContainer := func(nets ...container.NetRequest) *container.Container {
		return &container.Container{ProjectID: "p1", UserID: "u1", Image: "img", Status: container.Creating, Nets: nets}
	}
	// Ten at once without nets: one default network, ten addresses.
	var wg sync.WaitGroup
	made := make([]*container.Container, 10)
	for i := range made {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newContainer()
			if err := cs.Create(ctx, c); err != nil {
				t.Error(err)
				return
			}
			made[i] = c
		}()
	}
	wg.Wait()
	nets, _ := ns.ListNetworks(ctx)
	if len(nets) != 1 || nets[0].Name != "zun-default" {
		t.Fatalf("default networks: %+v", nets)
	}
	addrs := map[string]bool{}
	for _, c := range made {
		if c == nil {
			t.FailNow()
		}
		a := c.Addresses[nets[0].ID]
		if len(a) != 1 || a[0].Port == "" || addrs[a[0].Addr] {
			t.Fatalf("container %s addresses %+v", c.UUID, c.Addresses)
		}
		addrs[a[0].Addr] = true
	}
	if ports, _ := ns.ListPorts(ctx); len(ports) != 10 {
		t.Fatalf("%d ports for 10 containers", len(ports))
	}

	// A fixed address and a port of the user's.
	n, sub := mustNetwork(t, ns, ctx, "p1", "app", "10.7.0.0/24")
	mine := &network.Port{NetworkID: n.ID, ProjectID: "p1", Name: "mine", PortSecurity: true}
	if err := ns.CreatePort(ctx, mine); err != nil {
		t.Fatal(err)
	}
	c := newContainer(container.NetRequest{Network: "app", V4FixedIP: "10.7.0.50"}, container.NetRequest{Port: "mine"})
	if err := cs.Create(ctx, c); !errdefs.IsInvalid(err) {
		t.Fatalf("twice on one network: %v", err)
	}
	c = newContainer(container.NetRequest{Network: "app", V4FixedIP: "10.7.0.50"})
	if err := cs.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if a := c.Addresses[n.ID]; len(a) != 1 || a[0].Addr != "10.7.0.50" || a[0].SubnetID != sub.ID {
		t.Fatalf("fixed address: %+v", c.Addresses)
	}
	dup := newContainer(container.NetRequest{Network: n.ID, V4FixedIP: "10.7.0.50"})
	if err := cs.Create(ctx, dup); !errdefs.IsConflict(err) {
		t.Fatalf("the same fixed address again: %v", err)
	}
	for _, bad := range []container.NetRequest{{Network: "nowhere"}, {Port: "nothing"}, {Network: "app", V4FixedIP: "10.8.0.1"}} {
		if err := cs.Create(ctx, newContainer(bad)); err == nil {
			t.Errorf("nets %+v accepted", bad)
		}
	}
	if ports, _ := ns.ListPorts(ctx); len(ports) != 12 {
		t.Fatalf("refused creates left ports: %d, want 12", len(ports))
	}
	withPort := newContainer(container.NetRequest{Port: mine.ID})
	if err := cs.Create(ctx, withPort); err != nil {
		t.Fatal(err)
	}
	if p, _ := ns.GetPort(ctx, mine.ID); p.DeviceID != withPort.UUID {
		t.Fatalf("the user's port is not bound: %+v", p)
	}
	if err := cs.Create(ctx, newContainer(container.NetRequest{Port: mine.ID})); !errdefs.IsConflict(err) {
		t.Fatalf("a bound port again: %v", err)
	}
	if err := ns.DeletePort(ctx, mine.ID); !errdefs.IsConflict(err) {
		t.Fatalf("delete a bound port: %v", err)
	}
	// Exposed ports make a group of the container's own.
	exp := newContainer()
	exp.ExposedPorts = []string{"80/tcp"}
	if err := cs.Create(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if g, err := ns.GetSecurityGroup(ctx, exp.PortGroup); err != nil || len(g.Rules) != 3 {
		t.Fatalf("exposed ports' group: %+v %v", g, err)
	}

	// Deleting releases: ports made for a container go, the user's stays.
	sys := auth.System(context.Background())
	for _, c := range append(made, c, withPort, exp) {
		if err := cs.Delete(sys, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	ports, _ := ns.ListPorts(ctx)
	if len(ports) != 1 || ports[0].ID != mine.ID || ports[0].DeviceID != "" {
		t.Fatalf("ports after the containers went: %+v", ports)
	}
	if _, err := ns.GetSecurityGroup(ctx, exp.PortGroup); !errdefs.IsNotFound(err) {
		t.Fatalf("the exposed ports' group stayed: %v", err)
	}
	c2 := newContainer(container.NetRequest{Network: "app", V4FixedIP: "10.7.0.50"})
	if err := cs.Create(ctx, c2); err != nil {
		t.Fatalf("the released address: %v", err)
	}
}
