package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// Creating implements Participant: it adds to txn the ports of c: one made for each of its nets that
// names a network, the port named by the others (bound to c and kept
// when c goes), or one on its project's default network when it names
// none. Ports made for c get its security groups (names or ids of its
// project's groups), or a group of its own allowing its exposed_ports in,
// or the project's default group. c.Addresses says what c got.
func (s *EtcdStore) Creating(ctx context.Context, txn *store.Txn, c *container.Container) error {
	groups, err := s.containerGroups(ctx, txn, c)
	if err != nil {
		return err
	}
	nets := c.Nets
	if len(nets) == 0 {
		n, err := s.DefaultNetwork(ctx, c.ProjectID)
		if err != nil {
			return err
		}
		nets = []container.NetRequest{{Network: n.ID}}
	}
	c.Addresses = map[string][]container.Address{}
	seen := map[string]bool{}
	for _, req := range nets {
		p, preserve, err := s.containerPort(ctx, txn, c, req, groups)
		if err != nil {
			return err
		}
		if seen[p.NetworkID] {
			return errdefs.Invalidf("Container %s is asked to join network %s twice.", c.UUID, p.NetworkID)
		}
		seen[p.NetworkID] = true
		c.Addresses[p.NetworkID] = addressesOf(p, preserve)
	}
	return nil
}

// addressesOf is p as a container shows it.
func addressesOf(p *Port, preserve bool) []container.Address {
	var out []container.Address
	for _, f := range p.FixedIPs {
		v := 4
		if a, err := netip.ParseAddr(f.IPAddress); err == nil && a.Is6() {
			v = 6
		}
		out = append(out, container.Address{Addr: f.IPAddress, Version: v, Port: p.ID, SubnetID: f.SubnetID,
			PreserveOnDelete: preserve})
	}
	if len(out) == 0 { // a port without addresses still shows
		out = append(out, container.Address{Port: p.ID, PreserveOnDelete: preserve})
	}
	return out
}

// containerGroups resolves c's security groups to ids, or makes the group
// of its exposed ports; nil means the default group.
func (s *EtcdStore) containerGroups(ctx context.Context, txn *store.Txn, c *container.Container) ([]string, error) {
	if len(c.ExposedPorts) > 0 {
		g := &SecurityGroup{Schema: SchemaVersion, ID: uuid.NewString(), Name: "zun-" + c.UUID,
			Description: "exposed ports of container " + c.UUID, ProjectID: c.ProjectID, CreatedAt: now(), UpdatedAt: now()}
		g.Rules = allOut()
		for _, ep := range c.ExposedPorts {
			port, proto, _ := strings.Cut(ep, "/")
			n, err := strconv.Atoi(port)
			if err != nil {
				return nil, errdefs.Invalidf("Invalid exposed port %q.", ep)
			}
			g.Rules = append(g.Rules, Rule{ID: uuid.NewString(), Direction: Ingress, EtherType: IPv4,
				Protocol: proto, PortRangeMin: &n, PortRangeMax: &n, CreatedAt: now(), UpdatedAt: now()})
		}
		txn.Create(netGroupsPrefix+g.ID, g)
		c.PortGroup = g.ID
		return []string{g.ID}, nil
	}
	if len(c.SecurityGroups) == 0 {
		return nil, nil
	}
	all, _, err := s.groups().List(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ident := range c.SecurityGroups {
		var found []string
		for _, g := range all {
			if g.ProjectID == c.ProjectID && (g.ID == ident || g.Name == ident) {
				found = append(found, g.ID)
			}
		}
		if ident == "default" && len(found) == 0 {
			g, err := s.DefaultSecurityGroup(ctx, c.ProjectID)
			if err != nil {
				return nil, err
			}
			found = []string{g.ID}
		}
		switch {
		case len(found) == 0:
			return nil, errdefs.Invalidf("Security group %s not found.", ident)
		case len(found) > 1:
			return nil, errdefs.Conflictf("Multiple security groups exist with name %s. Please use the id instead.", ident)
		}
		if !slices.Contains(ids, found[0]) {
			ids = append(ids, found[0])
		}
	}
	return ids, nil
}

// containerPort adds to txn the port of one of c's nets and returns it,
// and whether it outlives c.
func (s *EtcdStore) containerPort(ctx context.Context, txn *store.Txn, c *container.Container, req container.NetRequest, groups []string) (*Port, bool, error) {
	if req.Port != "" {
		p, rev, err := s.findPort(ctx, req.Port)
		if err != nil {
			return nil, false, err
		}
		if p.DeviceID != "" {
			return nil, false, errdefs.Conflictf("Port %s is still in use (by %s %s).", req.Port, p.DeviceOwner, p.DeviceID)
		}
		p.DeviceID, p.DeviceOwner = c.UUID, OwnerZun
		touch(p)
		txn.Swap(netPortsPrefix+p.ID, p, rev)
		return p, true, nil
	}
	n, err := s.findNetwork(ctx, req.Network)
	if err != nil {
		return nil, false, err
	}
	if n.External && !n.Shared {
		if p, ok := auth.FromContext(ctx); !ok || !p.IsAdmin() {
			return nil, false, errdefs.Forbiddenf("It is not allowed to create an interface on external network %s.", n.ID)
		}
	}
	p := &Port{NetworkID: n.ID, ProjectID: c.ProjectID, Name: "zun-" + c.UUID[:8], DeviceID: c.UUID,
		DeviceOwner: OwnerZun, AdminStateUp: true, PortSecurity: n.PortSecurity, SecurityGroups: groups}
	if !n.PortSecurity {
		p.SecurityGroups = []string{}
	}
	for _, ip := range []string{req.V4FixedIP, req.V6FixedIP} {
		if ip != "" {
			p.FixedIPs = append(p.FixedIPs, FixedIP{IPAddress: ip})
		}
	}
	plan, err := s.planPort(ctx, p, c.PortGroup) // the group made in this txn
	if err != nil {
		return nil, false, err
	}
	plan.write(txn)
	return p, false, nil
}

// findNetwork finds a network the caller can see by id, else by its
// unique name.
func (s *EtcdStore) findNetwork(ctx context.Context, ident string) (*Network, error) {
	n, _, err := s.networks().Find(ctx, ident, func(n *Network) string { return n.Name },
		errdefs.Conflictf("Multiple networks exist with name %s. Please use the id instead.", ident))
	return n, err
}

// findPort finds a port of the caller's by id, else by its unique name.
func (s *EtcdStore) findPort(ctx context.Context, ident string) (*Port, int64, error) {
	return s.ports().Find(ctx, ident, func(p *Port) string { return p.Name },
		errdefs.Conflictf("Multiple ports exist with name %s. Please use the id instead.", ident))
}

// Deleting implements Participant: it adds to txn the release of c's
// ports: those made for it are deleted with their addresses, the others
// unbound; and the group of its exposed ports.
func (s *EtcdStore) Deleting(ctx context.Context, txn *store.Txn, c *container.Container) error {
	sys := auth.WithAllProjects(ctx)
	done := map[string]bool{}
	for _, addrs := range c.Addresses {
		for _, a := range addrs {
			if a.Port == "" || done[a.Port] {
				continue
			}
			done[a.Port] = true
			p, rev, err := s.ports().Get(sys, a.Port)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if p.DeviceID != c.UUID {
				continue // rebound meanwhile
			}
			if a.PreserveOnDelete {
				p.DeviceID, p.DeviceOwner, p.HostID, p.Status = "", "", "", PortDown
				touch(p)
				txn.Swap(netPortsPrefix+p.ID, p, rev)
				continue
			}
			releasePort(txn, p, rev)
		}
	}
	if c.PortGroup != "" {
		// The group goes with the container unless other ports use it now.
		guard, err := s.guardRev(ctx, netGuardGroup+c.PortGroup)
		if err != nil {
			return err
		}
		txn.Require(netGuardGroup+c.PortGroup, guard)
		others, err := s.portsWhere(ctx, func(p *Port) bool {
			return p.DeviceID != c.UUID && slices.Contains(p.SecurityGroups, c.PortGroup)
		})
		if err != nil {
			return err
		}
		if len(others) == 0 {
			txn.Delete(netGroupsPrefix + c.PortGroup)
		}
	}
	return nil
}

// ContainerPorts returns the ports of c, whatever the scope.
func (s *EtcdStore) ContainerPorts(ctx context.Context, c *container.Container) ([]*Port, error) {
	var out []*Port
	seen := map[string]bool{}
	for _, addrs := range c.Addresses {
		for _, a := range addrs {
			if a.Port == "" || seen[a.Port] {
				continue
			}
			seen[a.Port] = true
			p, _, err := s.ports().Get(auth.WithAllProjects(ctx), a.Port)
			if errdefs.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("port %s of container %s: %w", a.Port, c.UUID, err)
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Port) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// AttachNetwork gives container uuid one more port, as one of its nets
// would (a network with an optional fixed IP, or a port), in the
// transaction that records it. A network it is on already is refused.
func (s *EtcdStore) AttachNetwork(ctx context.Context, uuid string, req container.NetRequest) (*container.Container, error) {
	if s.cs == nil {
		return nil, errdefs.NotSupportedf("container networks are not enabled")
	}
	return s.cs.UpdateWith(ctx, uuid, func(c *container.Container, txn *store.Txn) error {
		var groups []string
		ports, err := s.ContainerPorts(ctx, c)
		if err != nil {
			return err
		}
		for _, p := range ports {
			if p.PortSecurity && len(p.SecurityGroups) > 0 && !preserved(c, p.ID) {
				groups = p.SecurityGroups
				break
			}
		}
		if groups == nil && c.PortGroup != "" {
			groups = []string{c.PortGroup}
		}
		if groups == nil && len(c.SecurityGroups) > 0 {
			probe := &container.Container{ProjectID: c.ProjectID, SecurityGroups: c.SecurityGroups}
			if groups, err = s.containerGroups(ctx, txn, probe); err != nil {
				return err
			}
		}
		p, preserve, err := s.containerPort(ctx, txn, c, req, groups)
		if err != nil {
			return err
		}
		if _, on := c.Addresses[p.NetworkID]; on {
			return errdefs.Invalidf("Container %s is already connected to network %s.", c.UUID, p.NetworkID)
		}
		if c.Addresses == nil {
			c.Addresses = map[string][]container.Address{}
		}
		c.Addresses[p.NetworkID] = addressesOf(p, preserve)
		return nil
	})
}

// preserved reports whether port id of c outlives it (the user's port).
func preserved(c *container.Container, id string) bool {
	for _, addrs := range c.Addresses {
		for _, a := range addrs {
			if a.Port == id {
				return a.PreserveOnDelete
			}
		}
	}
	return false
}

// DetachNetwork removes container uuid from a network (by id or name) or
// from a port (by id or name): a port made for it is deleted with its
// addresses, the user's is unbound.
func (s *EtcdStore) DetachNetwork(ctx context.Context, uuid, networkIdent, portIdent string) (*container.Container, error) {
	if s.cs == nil {
		return nil, errdefs.NotSupportedf("container networks are not enabled")
	}
	return s.cs.UpdateWith(ctx, uuid, func(c *container.Container, txn *store.Txn) error {
		netID := ""
		switch {
		case portIdent != "":
			for id, addrs := range c.Addresses {
				for _, a := range addrs {
					if a.Port == portIdent {
						netID = id
					}
				}
			}
			if netID == "" {
				if p, _, err := s.findPort(ctx, portIdent); err == nil {
					for id, addrs := range c.Addresses {
						for _, a := range addrs {
							if a.Port == p.ID {
								netID = id
							}
						}
					}
				}
			}
			if netID == "" {
				return errdefs.Invalidf("Port '%s' is not attached to container '%s'.", portIdent, c.UUID)
			}
		default:
			n, err := s.findNetwork(ctx, networkIdent)
			if err != nil {
				return err
			}
			if _, on := c.Addresses[n.ID]; !on {
				return errdefs.Invalidf("Container %s is not connected to network %s.", c.UUID, networkIdent)
			}
			netID = n.ID
		}
		one := &container.Container{UUID: c.UUID, Addresses: map[string][]container.Address{netID: c.Addresses[netID]}}
		if err := s.Deleting(ctx, txn, one); err != nil {
			return err
		}
		delete(c.Addresses, netID)
		return nil
	})
}

// ChangeSecurityGroup adds a security group (name or id of the
// container's project) to the ports made for container uuid, or removes
// it; c.SecurityGroups lists what was asked for.
func (s *EtcdStore) ChangeSecurityGroup(ctx context.Context, uuid, ident string, add bool) (*container.Container, error) {
	if s.cs == nil {
		return nil, errdefs.NotSupportedf("container networks are not enabled")
	}
	return s.cs.UpdateWith(ctx, uuid, func(c *container.Container, txn *store.Txn) error {
		probe := &container.Container{ProjectID: c.ProjectID, SecurityGroups: []string{ident}}
		ids, err := s.containerGroups(ctx, txn, probe)
		if err != nil {
			return err
		}
		gid := ids[0]
		ports, err := s.ContainerPorts(ctx, c)
		if err != nil {
			return err
		}
		changed := false
		for _, p := range ports {
			if preserved(c, p.ID) || !p.PortSecurity {
				continue
			}
			_, rev, err := s.ports().Get(auth.WithAllProjects(ctx), p.ID)
			if err != nil {
				return err
			}
			has := slices.Contains(p.SecurityGroups, gid)
			switch {
			case add && has, !add && !has:
				continue
			case add:
				p.SecurityGroups = append(p.SecurityGroups, gid)
			default:
				p.SecurityGroups = slices.DeleteFunc(p.SecurityGroups, func(g string) bool { return g == gid })
			}
			touch(p)
			txn.Swap(netPortsPrefix+p.ID, p, rev)
			txn.Touch(netGuardGroup + gid)
			changed = true
		}
		inList := slices.Contains(c.SecurityGroups, ident)
		switch {
		case add && (inList || !changed):
			return errdefs.Invalidf("Security group %s is already applied to container %s.", ident, c.UUID)
		case !add && !changed:
			return errdefs.Invalidf("Security group %s is not applied to container %s.", ident, c.UUID)
		case add:
			c.SecurityGroups = append(c.SecurityGroups, ident)
		default:
			c.SecurityGroups = slices.DeleteFunc(c.SecurityGroups, func(g string) bool { return g == ident || g == gid })
		}
		return nil
	})
}

// Updating implements Participant: ports change with a container's
// record only through AttachNetwork, DetachNetwork and ChangeSecurityGroup,
// which write both.
func (s *EtcdStore) Updating(context.Context, *store.Txn, *container.Container, *container.Container) error {
	return nil
}
