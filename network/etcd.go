package network

import (
	"cmp"
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// The network service's keys. Addresses and MACs have a key each, made in
// the transaction that makes the port, so no two ports ever get the same
// one; guards are keys that writers touch so that a check-then-write on
// what they cover (ports of a network, subnets of a project, ports of a
// group) fails when something changed in between.
const (
	netNetworksPrefix = "net/networks/"
	netSubnetsPrefix  = "net/subnets/"
	netPortsPrefix    = "net/ports/"
	netGroupsPrefix   = "net/groups/"
	netIPsPrefix      = "net/ips/"  // <subnet>/<address>: port id
	netMACsPrefix     = "net/macs/" // <network>/<mac>: port id
	netVNIsPrefix     = "net/vnis/" // <vni>: network id
	netDefaultGroup   = "net/default-group/"
	netDefaultNetwork = "net/default-network/"
	netGuardProject   = "net/guard/project/"
	netGuardNetwork   = "net/guard/network/"
	netGuardGroup     = "net/guard/group/"
)

// EtcdStore implements Store in etcd (a store.DB), under the keys
// named above.
type EtcdStore struct {
	db *store.DB
	cs *store.ContainerStore
}

// NewEtcdStore returns the network service's store in db; with cs, ports
// can be attached to and detached from its containers. Joined to cs (a
// store.Participant), a container's ports are made in the transaction that
// creates its record and released in the one that deletes it.
func NewEtcdStore(db *store.DB, cs *store.ContainerStore) *EtcdStore {
	return &EtcdStore{db: db, cs: cs}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

func (s *EtcdStore) networks() store.Records[Network] {
	return store.Records[Network]{DB: s.db, Prefix: netNetworksPrefix, Kind: "network",
		NotFound: func(id string) error { return errdefs.NotFoundf("Network %s could not be found.", id) },
		ID:       func(n *Network) string { return n.ID },
		Project:  func(n *Network) string { return n.ProjectID },
		Created:  func(n *Network) time.Time { return n.CreatedAt },
		Public:   func(n *Network) bool { return n.Shared }}
}

func (s *EtcdStore) subnets() store.Records[Subnet] {
	return store.Records[Subnet]{DB: s.db, Prefix: netSubnetsPrefix, Kind: "subnet",
		NotFound: func(id string) error { return errdefs.NotFoundf("Subnet %s could not be found.", id) },
		ID:       func(n *Subnet) string { return n.ID },
		Project:  func(n *Subnet) string { return n.ProjectID },
		Created:  func(n *Subnet) time.Time { return n.CreatedAt },
		Public:   func(n *Subnet) bool { return n.Shared }}
}

func (s *EtcdStore) ports() store.Records[Port] {
	return store.Records[Port]{DB: s.db, Prefix: netPortsPrefix, Kind: "port",
		NotFound: func(id string) error { return errdefs.NotFoundf("Port %s could not be found.", id) },
		ID:       func(p *Port) string { return p.ID },
		Project:  func(p *Port) string { return p.ProjectID },
		Created:  func(p *Port) time.Time { return p.CreatedAt }}
}

func (s *EtcdStore) groups() store.Records[SecurityGroup] {
	return store.Records[SecurityGroup]{DB: s.db, Prefix: netGroupsPrefix, Kind: "security group",
		NotFound: func(id string) error { return errdefs.NotFoundf("Security group %s does not exist", id) },
		ID:       func(g *SecurityGroup) string { return g.ID },
		Project:  func(g *SecurityGroup) string { return g.ProjectID },
		Created:  func(g *SecurityGroup) time.Time { return g.CreatedAt }}
}

// guardRev reads the revision of a guard key (0 when absent).
func (s *EtcdStore) guardRev(ctx context.Context, key string) (int64, error) {
	it, err := store.Get[int64](ctx, s.db, key)
	if errdefs.IsNotFound(err) {
		return 0, nil
	}
	return it.Revision, err
}

// retry runs fn until it does not conflict.
func retry(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if !errors.Is(err, errdefs.ErrConflict) || attempt >= 20 {
			return err
		}
		var ce *store.ConflictError
		if !errors.As(err, &ce) {
			return err // a conflict of the request itself, not of a race
		}
		if err := store.Backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// ---- networks

// CreateNetwork implements Store: the network gets a VXLAN id of
// its own.
func (s *EtcdStore) CreateNetwork(ctx context.Context, n *Network) error {
	if err := ValidateNetwork(n); err != nil {
		return err
	}
	if err := auth.MayCreateIn(ctx, n.ProjectID, "network"); err != nil {
		return err
	}
	n.Schema = SchemaVersion
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	n.MTU = cmp.Or(n.MTU, DefaultMTU)
	n.CreatedAt = now()
	n.UpdatedAt = n.CreatedAt
	return retry(ctx, func() error {
		n.VNI = 4096 + rand.IntN(1<<24-4096)
		_, err := s.db.Txn().Create(netNetworksPrefix+n.ID, n).Create(fmt.Sprintf("%s%d", netVNIsPrefix, n.VNI), n.ID).Commit(ctx)
		return err
	})
}

// GetNetwork implements Store.
func (s *EtcdStore) GetNetwork(ctx context.Context, id string) (*Network, error) {
	n, _, err := s.networks().Get(ctx, id)
	return n, err
}

// ListNetworks implements Store: oldest first.
func (s *EtcdStore) ListNetworks(ctx context.Context) ([]*Network, error) {
	all, _, err := s.networks().List(ctx)
	return all, err
}

// UpdateNetwork implements Store; a network's subnets follow its
// sharing.
func (s *EtcdStore) UpdateNetwork(ctx context.Context, id string, fn func(*Network) error) (*Network, error) {
	var out *Network
	err := retry(ctx, func() error {
		n, rev, err := s.networks().Owned(ctx, id)
		if err != nil {
			return err
		}
		before, snap := *n, snapshot(n)
		if err := fn(n); err != nil {
			return err
		}
		if n.ID != before.ID || n.ProjectID != before.ProjectID || n.VNI != before.VNI {
			return errdefs.Invalidf("The id, project and segment of network %s cannot change.", id)
		}
		if err := ValidateNetwork(n); err != nil {
			return err
		}
		revise(n, snap)
		txn := s.db.Txn().Swap(netNetworksPrefix+id, n, rev)
		if before.Shared && !n.Shared {
			// Not while other projects have ports on it.
			guard, err := s.guardRev(ctx, netGuardNetwork+id)
			if err != nil {
				return err
			}
			others, err := s.portsWhere(ctx, func(p *Port) bool { return p.NetworkID == id && p.ProjectID != n.ProjectID })
			if err != nil {
				return err
			}
			if len(others) > 0 {
				return errdefs.Conflictf("Unable to reconfigure sharing settings for network %s. Multiple tenants are using it.", id)
			}
			txn.Require(netGuardNetwork+id, guard)
		}
		if n.Shared != before.Shared {
			subs, revs, err := s.subnetsOf(ctx, id)
			if err != nil {
				return err
			}
			for i, sub := range subs {
				sub.Shared = n.Shared
				txn.Swap(netSubnetsPrefix+sub.ID, sub, revs[i])
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			return err
		}
		out = n
		return nil
	})
	return out, err
}

// subnetsOf lists the subnets of network id, whatever the scope.
func (s *EtcdStore) subnetsOf(ctx context.Context, id string) ([]*Subnet, []int64, error) {
	all, revs, err := s.subnets().List(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, nil, err
	}
	var out []*Subnet
	var outRevs []int64
	for i, sub := range all {
		if sub.NetworkID == id {
			out, outRevs = append(out, sub), append(outRevs, revs[i])
		}
	}
	return out, outRevs, nil
}

// portsWhere lists the ports, whatever the scope, that keep says.
func (s *EtcdStore) portsWhere(ctx context.Context, keep func(*Port) bool) ([]*Port, error) {
	all, _, err := s.ports().List(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(p *Port) bool { return !keep(p) }), nil
}

// DeleteNetwork implements Store.
func (s *EtcdStore) DeleteNetwork(ctx context.Context, id string) error {
	return retry(ctx, func() error {
		n, rev, err := s.networks().Owned(ctx, id)
		if err != nil {
			return err
		}
		guard, err := s.guardRev(ctx, netGuardNetwork+id)
		if err != nil {
			return err
		}
		ports, err := s.portsWhere(ctx, func(p *Port) bool { return p.NetworkID == id })
		if err != nil {
			return err
		}
		if len(ports) > 0 {
			return errdefs.Conflictf("Unable to complete operation on network %s. There are one or more ports still in use on the network.", id)
		}
		subs, revs, err := s.subnetsOf(ctx, id)
		if err != nil {
			return err
		}
		txn := s.db.Txn().Require(netNetworksPrefix+id, rev).Require(netGuardNetwork+id, guard).
			Delete(netNetworksPrefix + id).Delete(fmt.Sprintf("%s%d", netVNIsPrefix, n.VNI)).Delete(netGuardNetwork + id)
		for i, sub := range subs {
			txn.Require(netSubnetsPrefix+sub.ID, revs[i]).Delete(netSubnetsPrefix + sub.ID).DeletePrefix(netIPsPrefix + sub.ID + "/")
			txn.Touch(netGuardProject + sub.ProjectID)
		}
		if n.Default {
			txn.Delete(netDefaultNetwork + n.ProjectID)
		}
		_, err = txn.Commit(ctx)
		return err
	})
}

// DefaultNetwork implements Store.
func (s *EtcdStore) DefaultNetwork(ctx context.Context, project string) (*Network, error) {
	all, err := s.ListNetworks(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := s.ListSubnets(ctx)
	if err != nil {
		return nil, err
	}
	addressed := map[string]bool{}
	for _, sub := range subs {
		addressed[sub.NetworkID] = true
	}
	var own, shared *Network
	for _, n := range all { // oldest first
		switch {
		case n.External || !addressed[n.ID]:
		case n.ProjectID == project && own == nil:
			own = n
		case n.ProjectID != project && n.Shared && shared == nil:
			shared = n
		}
	}
	if own = cmp.Or(own, shared); own != nil {
		return own, nil
	}
	// None: make the project's own, once, with its subnet (the first /24
	// of 10.16.0.0/12 the project does not use) in the same transaction,
	// so that nobody ever sees it without addresses.
	n := &Network{Name: "zun-default", ProjectID: project, AdminStateUp: true, PortSecurity: true, Default: true,
		Description: "made for the project's containers"}
	n.Schema, n.ID, n.MTU = SchemaVersion, uuid.NewString(), DefaultMTU
	n.CreatedAt, n.UpdatedAt = now(), now()
	err = retry(ctx, func() error {
		guard, err := s.guardRev(ctx, netGuardProject+project)
		if err != nil {
			return err
		}
		all, _, err := s.subnets().List(auth.WithAllProjects(ctx))
		if err != nil {
			return err
		}
		var sub *Subnet
		for i := 0; i < 4096 && sub == nil; i++ {
			cidr := fmt.Sprintf("10.%d.%d.0/24", 16+i/256, i%256)
			if !slices.ContainsFunc(all, func(o *Subnet) bool { return o.ProjectID == project && Overlaps(o.CIDR, cidr) }) {
				sub = &Subnet{Schema: SchemaVersion, ID: uuid.NewString(), NetworkID: n.ID, ProjectID: project,
					Name: "zun-default-subnet", CIDR: cidr, EnableDHCP: true, CreatedAt: now(), UpdatedAt: now()}
			}
		}
		if sub == nil {
			return errdefs.Conflictf("Project %s uses all of 10.16.0.0/12: name a network for its containers.", project)
		}
		if err := ValidateSubnet(sub, true); err != nil {
			return err
		}
		n.VNI = 4096 + rand.IntN(1<<24-4096)
		txn := s.db.Txn().Create(netDefaultNetwork+project, n.ID).Create(netNetworksPrefix+n.ID, n).
			Create(fmt.Sprintf("%s%d", netVNIsPrefix, n.VNI), n.ID).
			Require(netGuardProject+project, guard).Create(netSubnetsPrefix+sub.ID, sub)
		txn.Touch(netGuardProject + project)
		_, err = txn.Commit(ctx)
		var ce *store.ConflictError
		if errors.As(err, &ce) && ce.Has(netDefaultNetwork+project) {
			return errMadeMeanwhile
		}
		return err
	})
	if errors.Is(err, errMadeMeanwhile) {
		it, err := store.Get[string](ctx, s.db, netDefaultNetwork+project)
		if err != nil {
			return nil, err
		}
		return s.GetNetwork(ctx, it.Value)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

var errMadeMeanwhile = errors.New("made meanwhile")

// ---- subnets

// CreateSubnet implements Store.
func (s *EtcdStore) CreateSubnet(ctx context.Context, sub *Subnet) error {
	if err := ValidateSubnet(sub, true); err != nil {
		return err
	}
	sub.Schema = SchemaVersion
	if sub.ID == "" {
		sub.ID = uuid.NewString()
	}
	sub.CreatedAt, sub.UpdatedAt = now(), now()
	return retry(ctx, func() error {
		n, nrev, err := s.networks().Get(ctx, sub.NetworkID)
		if err != nil {
			return err
		}
		scope, _ := auth.ScopeFrom(ctx)
		if !scope.Allows(n.ProjectID) {
			return errdefs.Forbiddenf("Only the owner of network %s can add subnets to it.", n.ID)
		}
		if err := auth.MayCreateIn(ctx, sub.ProjectID, "subnet"); err != nil {
			return err
		}
		sub.Shared = n.Shared
		guard, err := s.guardRev(ctx, netGuardProject+sub.ProjectID)
		if err != nil {
			return err
		}
		all, _, err := s.subnets().List(auth.WithAllProjects(ctx))
		if err != nil {
			return err
		}
		for _, other := range all {
			if (other.ProjectID == sub.ProjectID || other.NetworkID == sub.NetworkID) && Overlaps(other.CIDR, sub.CIDR) {
				return errdefs.Invalidf("Invalid input for operation: Requested subnet with cidr: %s for network: %s overlaps with another subnet (%s, %s) of the project.",
					sub.CIDR, sub.NetworkID, other.ID, other.CIDR)
			}
		}
		txn := s.db.Txn().Require(netNetworksPrefix+n.ID, nrev).Require(netGuardProject+sub.ProjectID, guard).
			Create(netSubnetsPrefix+sub.ID, sub)
		txn.Touch(netGuardProject + sub.ProjectID)
		txn.Touch(netGuardNetwork + n.ID)
		_, err = txn.Commit(ctx)
		return err
	})
}

// GetSubnet implements Store.
func (s *EtcdStore) GetSubnet(ctx context.Context, id string) (*Subnet, error) {
	sub, _, err := s.subnets().Get(ctx, id)
	return sub, err
}

// ListSubnets implements Store.
func (s *EtcdStore) ListSubnets(ctx context.Context) ([]*Subnet, error) {
	all, _, err := s.subnets().List(ctx)
	return all, err
}

// UpdateSubnet implements Store: the network, CIDR and version
// stay; a new gateway or pools are checked as on create.
func (s *EtcdStore) UpdateSubnet(ctx context.Context, id string, fn func(*Subnet) error) (*Subnet, error) {
	sub, _, err := s.subnets().Update(ctx, id, func(sub *Subnet) error {
		before, snap := *sub, snapshot(sub)
		if err := fn(sub); err != nil {
			return err
		}
		if sub.NetworkID != before.NetworkID || sub.CIDR != before.CIDR || sub.IPVersion != before.IPVersion {
			return errdefs.Invalidf("The network, cidr and ip_version of subnet %s cannot change.", id)
		}
		if err := ValidateSubnet(sub, false); err != nil {
			return err
		}
		revise(sub, snap)
		return nil
	})
	return sub, err
}

// DeleteSubnet implements Store.
func (s *EtcdStore) DeleteSubnet(ctx context.Context, id string) error {
	return retry(ctx, func() error {
		sub, rev, err := s.subnets().Owned(ctx, id)
		if err != nil {
			return err
		}
		guard, err := s.guardRev(ctx, netGuardNetwork+sub.NetworkID)
		if err != nil {
			return err
		}
		used, _, err := store.List[string](ctx, s.db, netIPsPrefix+id+"/")
		if err != nil {
			return err
		}
		if len(used) > 0 {
			return errdefs.Conflictf("Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", id)
		}
		txn := s.db.Txn().Require(netSubnetsPrefix+id, rev).Require(netGuardNetwork+sub.NetworkID, guard).
			Delete(netSubnetsPrefix + id)
		txn.Touch(netGuardProject + sub.ProjectID)
		_, err = txn.Commit(ctx)
		return err
	})
}

// ---- ports

// newMAC is a random MAC of Neutron's base fa:16:3e.
func newMAC() string {
	b := make([]byte, 3)
	_, _ = crand.Read(b)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", b[0], b[1], b[2])
}

// portPlan is what creating a port writes, worked out before the
// transaction that writes it.
type portPlan struct {
	port      *Port
	netRev    int64
	groups    map[string]int64 // group id: revision
	subnets   map[string]int64 // subnet id: revision, of those it takes addresses in
	requested map[string]bool  // address keys the caller asked for
}

// planPort resolves p's network, groups, MAC and addresses. ctx's scope
// must see the network; the groups must be p's project's, or pending (made
// in the same transaction).
func (s *EtcdStore) planPort(ctx context.Context, p *Port, pending ...string) (*portPlan, error) {
	n, nrev, err := s.networks().Get(ctx, p.NetworkID)
	if err != nil {
		return nil, err
	}
	if p.ProjectID == "" {
		return nil, errdefs.Invalidf("port has no project")
	}
	if err := auth.MayCreateIn(ctx, p.ProjectID, "port"); err != nil {
		return nil, err
	}
	if n.ProjectID != p.ProjectID && !n.Shared {
		scope, _ := auth.ScopeFrom(ctx)
		if !scope.AllProjects {
			return nil, errdefs.NotFoundf("Network %s could not be found.", p.NetworkID)
		}
	}
	plan := &portPlan{port: p, netRev: nrev, groups: map[string]int64{}, subnets: map[string]int64{}, requested: map[string]bool{}}
	p.Schema = SchemaVersion
	if p.ID == "" {
		p.ID = uuid.NewString()
	}
	p.CreatedAt = time.Now().UTC() // to the nanosecond: it orders a container's interfaces
	p.UpdatedAt = p.CreatedAt
	p.Status = PortDown
	if p.MACAddress == "" {
		p.MACAddress = newMAC()
	} else {
		mac := strings.ToLower(p.MACAddress)
		var b [6]byte
		if _, err := fmt.Sscanf(mac, "%02x:%02x:%02x:%02x:%02x:%02x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]); err != nil ||
			len(mac) != 17 || b[0]&1 == 1 || b == [6]byte{} {
			return nil, errdefs.Invalidf("Invalid input for mac_address. Reason: '%s' is not a valid unicast MAC address.", p.MACAddress)
		}
		if _, err := store.Get[string](ctx, s.db, netMACsPrefix+n.ID+"/"+mac); err == nil {
			return nil, errdefs.Conflictf("Unable to complete operation for network %s. The mac address %s is in use.", n.ID, mac)
		}
		p.MACAddress = mac
	}
	if !p.PortSecurity && len(p.SecurityGroups) > 0 {
		return nil, errdefs.Invalidf("Port security must be enabled and port must have an IP address in order to use security groups.")
	}
	if p.PortSecurity && p.SecurityGroups == nil {
		g, err := s.DefaultSecurityGroup(ctx, p.ProjectID)
		if err != nil {
			return nil, err
		}
		p.SecurityGroups = []string{g.ID}
	}
	for _, id := range p.SecurityGroups {
		if slices.Contains(pending, id) {
			continue
		}
		g, rev, err := s.groups().Get(auth.WithAllProjects(ctx), id)
		if err != nil || g.ProjectID != p.ProjectID {
			return nil, errdefs.NotFoundf("Security group %s does not exist", id)
		}
		plan.groups[id] = rev
	}
	subs, revs, err := s.subnetsOf(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	subRev := map[string]int64{}
	for i, sub := range subs {
		subRev[sub.ID] = revs[i]
	}
	slices.SortFunc(subs, func(a, b *Subnet) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if err := s.planAddresses(ctx, plan, n, subs); err != nil {
		return nil, err
	}
	for _, f := range p.FixedIPs {
		plan.subnets[f.SubnetID] = subRev[f.SubnetID]
	}
	return plan, nil
}

// planAddresses fills in p's FixedIPs: what was asked for, checked; or
// one address of the first IPv4 and of the first IPv6 subnet.
func (s *EtcdStore) planAddresses(ctx context.Context, plan *portPlan, n *Network, subs []*Subnet) error {
	p := plan.port
	byID := map[string]*Subnet{}
	for _, sub := range subs {
		byID[sub.ID] = sub
	}
	asked := p.FixedIPs
	if len(asked) == 0 {
		for _, v := range []int{4, 6} {
			for _, sub := range subs {
				if sub.IPVersion == v {
					asked = append(asked, FixedIP{SubnetID: sub.ID})
					break
				}
			}
		}
	}
	taken := map[string]bool{}
	var out []FixedIP
	for _, f := range asked {
		sub := byID[f.SubnetID]
		switch {
		case f.SubnetID != "" && sub == nil:
			return errdefs.Invalidf("Invalid input for operation: Failed to create port on network %s, because fixed_ips included invalid subnet %s.", n.ID, f.SubnetID)
		case f.SubnetID == "" && f.IPAddress == "":
			return errdefs.Invalidf("Invalid input for fixed_ips: an entry needs a subnet_id or an ip_address.")
		case f.SubnetID == "":
			a, err := netip.ParseAddr(f.IPAddress)
			if err != nil {
				return errdefs.Invalidf("Invalid input for fixed_ips. Reason: '%s' is not a valid IP address.", f.IPAddress)
			}
			for _, cand := range subs {
				if pre, _ := netip.ParsePrefix(cand.CIDR); pre.Contains(a) {
					sub = cand
				}
			}
			if sub == nil {
				return errdefs.Invalidf("IP address %s is not a valid IP for any subnet on network %s.", f.IPAddress, n.ID)
			}
		}
		if f.IPAddress != "" {
			a, err := CheckFixedIP(sub, f.IPAddress)
			if err != nil {
				return err
			}
			key := netIPsPrefix + sub.ID + "/" + a.String()
			if _, err := store.Get[string](ctx, s.db, key); err == nil || taken[key] {
				return errdefs.Conflictf("IP address %s already allocated in subnet %s", a, sub.ID)
			}
			taken[key], plan.requested[key] = true, true
			out = append(out, FixedIP{SubnetID: sub.ID, IPAddress: a.String()})
			continue
		}
		a, err := s.freeAddress(ctx, sub, taken)
		if err != nil {
			return err
		}
		taken[netIPsPrefix+sub.ID+"/"+a.String()] = true
		out = append(out, FixedIP{SubnetID: sub.ID, IPAddress: a.String()})
	}
	p.FixedIPs = out
	return nil
}

// freeAddress finds the lowest address of sub's pools that no port has.
func (s *EtcdStore) freeAddress(ctx context.Context, sub *Subnet, taken map[string]bool) (netip.Addr, error) {
	used, _, err := store.List[string](ctx, s.db, netIPsPrefix+sub.ID+"/")
	if err != nil {
		return netip.Addr{}, err
	}
	inUse := map[string]bool{}
	for _, it := range used {
		inUse[it.Key[strings.LastIndex(it.Key, "/")+1:]] = true
	}
	for _, pool := range sub.Pools {
		start, _ := netip.ParseAddr(pool.Start)
		end, _ := netip.ParseAddr(pool.End)
		for a := start; a.IsValid() && !end.Less(a); a = a.Next() {
			if !inUse[a.String()] && !taken[netIPsPrefix+sub.ID+"/"+a.String()] {
				return a, nil
			}
		}
	}
	return netip.Addr{}, errdefs.Conflictf("No more IP addresses available on network %s (subnet %s).", sub.NetworkID, sub.ID)
}

// write adds the plan's writes to txn.
func (plan *portPlan) write(txn *store.Txn) {
	p := plan.port
	txn.Create(netPortsPrefix+p.ID, p).Require(netNetworksPrefix+p.NetworkID, plan.netRev).
		Create(netMACsPrefix+p.NetworkID+"/"+p.MACAddress, p.ID)
	txn.Touch(netGuardNetwork + p.NetworkID)
	for _, f := range p.FixedIPs {
		txn.Create(netIPsPrefix+f.SubnetID+"/"+f.IPAddress, p.ID)
	}
	for id, rev := range plan.subnets {
		txn.Require(netSubnetsPrefix+id, rev) // not deleted meanwhile
	}
	for id, rev := range plan.groups {
		txn.Require(netGroupsPrefix+id, rev)
		txn.Touch(netGuardGroup + id)
	}
}

// askedTaken reports whether a conflict is on an address the caller asked
// for (a 409), rather than a race to retry.
func (plan *portPlan) askedTaken(err error) error {
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	for _, k := range ce.Keys {
		if plan.requested[k] {
			ip := k[strings.LastIndex(k, "/")+1:]
			return errdefs.Conflictf("IP address %s already allocated in subnet %s", ip, strings.Split(k, "/")[2])
		}
	}
	return err
}

// CreatePort implements Store.
func (s *EtcdStore) CreatePort(ctx context.Context, p *Port) error {
	asked := slices.Clone(p.FixedIPs)
	return retry(ctx, func() error {
		p.FixedIPs = slices.Clone(asked)
		plan, err := s.planPort(ctx, p)
		if err != nil {
			return err
		}
		txn := s.db.Txn()
		plan.write(txn)
		_, err = txn.Commit(ctx)
		return plan.askedTaken(err)
	})
}

// GetPort implements Store.
func (s *EtcdStore) GetPort(ctx context.Context, id string) (*Port, error) {
	p, _, err := s.ports().Get(ctx, id)
	return p, err
}

// ListPorts implements Store.
func (s *EtcdStore) ListPorts(ctx context.Context) ([]*Port, error) {
	all, _, err := s.ports().List(ctx)
	return all, err
}

// UpdatePort implements Store.
func (s *EtcdStore) UpdatePort(ctx context.Context, id string, fn func(*Port) error) (*Port, error) {
	var out *Port
	err := retry(ctx, func() error {
		p, rev, err := s.ports().Owned(ctx, id)
		if err != nil {
			return err
		}
		before, snap := *p, snapshot(p)
		before.FixedIPs = slices.Clone(p.FixedIPs)
		if err := fn(p); err != nil {
			return err
		}
		if p.ID != before.ID || p.ProjectID != before.ProjectID || p.NetworkID != before.NetworkID ||
			p.MACAddress != before.MACAddress || !slices.Equal(p.FixedIPs, before.FixedIPs) {
			return errdefs.Invalidf("The network, MAC address and fixed IPs of port %s cannot change here.", id)
		}
		if !p.PortSecurity && len(p.SecurityGroups) > 0 {
			return errdefs.Invalidf("Port has security group associated. Cannot disable port security or ip address until security group is removed.")
		}
		revise(p, snap)
		txn := s.db.Txn().Swap(netPortsPrefix+id, p, rev)
		for _, g := range p.SecurityGroups {
			gr, grev, err := s.groups().Get(auth.WithAllProjects(ctx), g)
			if err != nil || gr.ProjectID != p.ProjectID {
				return errdefs.NotFoundf("Security group %s does not exist", g)
			}
			txn.Require(netGroupsPrefix+g, grev)
			txn.Touch(netGuardGroup + g)
		}
		if _, err := txn.Commit(ctx); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// releasePort adds to txn the deletion of port p (at rev) and its
// addresses.
func releasePort(txn *store.Txn, p *Port, rev int64) {
	txn.Require(netPortsPrefix+p.ID, rev).Delete(netPortsPrefix + p.ID).
		Delete(netMACsPrefix + p.NetworkID + "/" + p.MACAddress)
	for _, f := range p.FixedIPs {
		txn.Delete(netIPsPrefix + f.SubnetID + "/" + f.IPAddress)
	}
	txn.Touch(netGuardNetwork + p.NetworkID)
	for _, g := range p.SecurityGroups {
		txn.Touch(netGuardGroup + g)
	}
}

// DeletePort implements Store.
func (s *EtcdStore) DeletePort(ctx context.Context, id string) error {
	return retry(ctx, func() error {
		p, rev, err := s.ports().Owned(ctx, id)
		if err != nil {
			return err
		}
		if p.DeviceOwner == OwnerZun && p.DeviceID != "" {
			return errdefs.Conflictf("Port %s is in use by container %s: detach it from the container first.", id, p.DeviceID)
		}
		txn := s.db.Txn()
		releasePort(txn, p, rev)
		_, err = txn.Commit(ctx)
		return err
	})
}

// ---- security groups

// allTraffic are the rules of a new group: everything out.
func allOut() []Rule {
	return []Rule{
		{ID: uuid.NewString(), Direction: Egress, EtherType: IPv4, CreatedAt: now(), UpdatedAt: now()},
		{ID: uuid.NewString(), Direction: Egress, EtherType: IPv6, CreatedAt: now(), UpdatedAt: now()},
	}
}

// CreateSecurityGroup implements Store: a new group lets
// everything out and nothing in.
func (s *EtcdStore) CreateSecurityGroup(ctx context.Context, g *SecurityGroup) error {
	if len(g.Name) > 255 || len(g.Description) > 255 {
		return errdefs.Invalidf("Invalid input: name and description are at most 255 characters.")
	}
	if g.Name == "default" && !g.Default {
		return errdefs.Conflictf("Default security group already exists (the name default is the project's own group's).")
	}
	if err := auth.MayCreateIn(ctx, g.ProjectID, "security group"); err != nil {
		return err
	}
	g.Schema = SchemaVersion
	if g.ID == "" {
		g.ID = uuid.NewString()
	}
	g.CreatedAt, g.UpdatedAt = now(), now()
	if g.Rules == nil {
		g.Rules = allOut()
	}
	_, err := s.db.Txn().Create(netGroupsPrefix+g.ID, g).Commit(ctx)
	return err
}

// GetSecurityGroup implements Store.
func (s *EtcdStore) GetSecurityGroup(ctx context.Context, id string) (*SecurityGroup, error) {
	g, _, err := s.groups().Get(ctx, id)
	return g, err
}

// ListSecurityGroups implements Store.
func (s *EtcdStore) ListSecurityGroups(ctx context.Context) ([]*SecurityGroup, error) {
	all, _, err := s.groups().List(ctx)
	return all, err
}

// UpdateSecurityGroup implements Store.
func (s *EtcdStore) UpdateSecurityGroup(ctx context.Context, id string, fn func(*SecurityGroup) error) (*SecurityGroup, error) {
	g, _, err := s.groups().Update(ctx, id, func(g *SecurityGroup) error {
		def, snap := g.Default, snapshot(g)
		if err := fn(g); err != nil {
			return err
		}
		if def && g.Name != "default" {
			return errdefs.Conflictf("The default security group keeps its name.")
		}
		if !def && g.Name == "default" {
			return errdefs.Conflictf("Default security group already exists (the name default is the project's own group's).")
		}
		g.Default = def
		revise(g, snap)
		return nil
	})
	return g, err
}

// DeleteSecurityGroup implements Store: rules of the project's
// other groups naming it as their remote group go with it, as in Neutron.
func (s *EtcdStore) DeleteSecurityGroup(ctx context.Context, id string) error {
	return retry(ctx, func() error {
		g, rev, err := s.groups().Owned(ctx, id)
		if err != nil {
			return err
		}
		if g.Default {
			return errdefs.Conflictf("Insufficient rights for removing default security group %s.", id)
		}
		guard, err := s.guardRev(ctx, netGuardGroup+id)
		if err != nil {
			return err
		}
		users, err := s.portsWhere(ctx, func(p *Port) bool { return slices.Contains(p.SecurityGroups, id) })
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return errdefs.Conflictf("Security Group %s in use (by port %s).", id, users[0].ID)
		}
		txn := s.db.Txn().Require(netGroupsPrefix+id, rev).Require(netGuardGroup+id, guard).
			Delete(netGroupsPrefix + id).Delete(netGuardGroup + id)
		others, revs, err := s.groups().List(auth.WithAllProjects(ctx))
		if err != nil {
			return err
		}
		for i, o := range others {
			n := len(o.Rules)
			o.Rules = slices.DeleteFunc(o.Rules, func(r Rule) bool { return r.RemoteGroupID == id })
			if o.ID != id && len(o.Rules) != n {
				touch(o)
				txn.Swap(netGroupsPrefix+o.ID, o, revs[i])
			}
		}
		_, err = txn.Commit(ctx)
		return err
	})
}

// DefaultSecurityGroup implements Store.
func (s *EtcdStore) DefaultSecurityGroup(ctx context.Context, project string) (*SecurityGroup, error) {
	sys := auth.WithAllProjects(ctx)
	for attempt := 0; ; attempt++ {
		if it, err := store.Get[string](ctx, s.db, netDefaultGroup+project); err == nil {
			g, _, err := s.groups().Get(sys, it.Value)
			return g, err
		} else if !errdefs.IsNotFound(err) {
			return nil, err
		}
		g := &SecurityGroup{Schema: SchemaVersion, ID: uuid.NewString(), Name: "default",
			Description: "Default security group", ProjectID: project, Default: true, CreatedAt: now(), UpdatedAt: now()}
		g.Rules = append(allOut(),
			Rule{ID: uuid.NewString(), Direction: Ingress, EtherType: IPv4, RemoteGroupID: g.ID, CreatedAt: now(), UpdatedAt: now()},
			Rule{ID: uuid.NewString(), Direction: Ingress, EtherType: IPv6, RemoteGroupID: g.ID, CreatedAt: now(), UpdatedAt: now()})
		_, err := s.db.Txn().Create(netDefaultGroup+project, g.ID).Create(netGroupsPrefix+g.ID, g).Commit(ctx)
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, errdefs.ErrConflict) || attempt > 5 {
			return nil, err
		}
	}
}

// AddRule implements Store.
func (s *EtcdStore) AddRule(ctx context.Context, group string, r *Rule) error {
	if err := ValidateRule(r); err != nil {
		return err
	}
	r.ID = uuid.NewString()
	r.CreatedAt, r.UpdatedAt = now(), now()
	_, _, err := s.groups().Update(ctx, group, func(g *SecurityGroup) error {
		if r.RemoteGroupID != "" && r.RemoteGroupID != g.ID {
			if rg, _, err := s.groups().Get(auth.WithAllProjects(ctx), r.RemoteGroupID); err != nil || rg.ProjectID != g.ProjectID {
				return errdefs.NotFoundf("Security group %s does not exist", r.RemoteGroupID)
			}
		}
		for _, old := range g.Rules {
			if SameRule(&old, r) {
				return errdefs.Conflictf("Security group rule already exists. Rule id is %s.", old.ID)
			}
		}
		g.Rules = append(g.Rules, *r)
		touch(g)
		return nil
	})
	return err
}

// FindRule implements Store.
func (s *EtcdStore) FindRule(ctx context.Context, id string) (*Rule, *SecurityGroup, error) {
	all, err := s.ListSecurityGroups(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range all {
		for i := range g.Rules {
			if g.Rules[i].ID == id {
				return &g.Rules[i], g, nil
			}
		}
	}
	return nil, nil, errdefs.NotFoundf("Security group rule %s does not exist", id)
}

// DeleteRule implements Store.
func (s *EtcdStore) DeleteRule(ctx context.Context, id string) error {
	_, g, err := s.FindRule(ctx, id)
	if err != nil {
		return err
	}
	_, _, err = s.groups().Update(ctx, g.ID, func(g *SecurityGroup) error {
		n := len(g.Rules)
		g.Rules = slices.DeleteFunc(g.Rules, func(r Rule) bool { return r.ID == id })
		if len(g.Rules) == n {
			return errdefs.NotFoundf("Security group rule %s does not exist", id)
		}
		touch(g)
		return nil
	})
	return err
}

// Interface guards
var (
	_ Store             = (*EtcdStore)(nil)
	_ store.Participant = (*EtcdStore)(nil)
)
