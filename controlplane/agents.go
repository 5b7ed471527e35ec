package controlplane

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/scheduler"
)

// AgentService is the control plane's side of the compute agents: it
// serves their watches and applies their reports to the store, refusing
// anything about containers that are not on the reporting host. It also
// keeps track of live hosts for the scheduler (scheduler.HostSource), the
// placement service (placement.Source) and direct calls
// (apiserver.HostDirectory).
type AgentService struct {
	d AgentDeps

	mu    sync.Mutex
	hosts map[string]*hostEntry
	hub   hub
	view  view
	net   netCache
}

// HostRegistry keeps the host records where every control plane process
// finds them, with the hosts' liveness (a lease per host, whichever
// process hears the heartbeats) and a cached view the scheduler reads on
// every placement without copies (host.EtcdStore).
type HostRegistry interface {
	host.Store
	// KeepAlive marks host name alive for ttl.
	KeepAlive(ctx context.Context, name string, ttl time.Duration) error
	// Alive reports whether host name was kept alive by any process.
	Alive(name string) bool
	// HostsRevision changes whenever a host record does.
	HostsRevision() int64
	// Each calls fn with every cached record.
	Each(fn func(*host.Host, host.Usage))
	// EachUsage calls fn with every host's claimed usage.
	EachUsage(fn func(string, host.Usage))
	// Sync waits until the cache holds every record written so far.
	Sync(ctx context.Context) error
}

// NetworkSource is what the agent service reads of the network service to
// tell each host its data plane.
type NetworkSource interface {
	ListNetworks(ctx context.Context) ([]*network.Network, error)
	ListSubnets(ctx context.Context) ([]*network.Subnet, error)
	ListPorts(ctx context.Context) ([]*network.Port, error)
	ListSecurityGroups(ctx context.Context) ([]*network.SecurityGroup, error)
}

// AgentDeps is what the agent service works with.
type AgentDeps struct {
	// Containers, Watcher and Actions are the container records.
	Containers container.Store
	Watcher    container.Watcher
	Actions    container.ActionStore
	// Hosts keeps the host records and their liveness (required).
	Hosts HostRegistry
	// Registries holds the private registries' credentials that agents
	// fetch for their containers' pulls; nil: none.
	Registries registry.Store
	// ImageStore holds the images of the image store that agents load for
	// their containers; nil: none.
	ImageStore *glance.Service
	// Networks tells the hosts their data plane; nil: no tenant networks.
	Networks NetworkSource
	// DownAfter is how long a host may go without a heartbeat before it
	// counts as down; 0: 60s.
	DownAfter time.Duration
	// Dial returns a client of a remote agent's direct calls at the
	// address it heartbeats (agentapi.NewHostClient); nil: only agents
	// attached in process are reachable.
	Dial func(address string) apiserver.HostAPI
	// Logger logs what happens to hosts; nil: nothing.
	Logger *slog.Logger
}

// DefaultDownAfter is AgentDeps.DownAfter's default.
const DefaultDownAfter = 60 * time.Second

type hostEntry struct {
	info compute.HostInfo
	api  apiserver.HostAPI
	// dialed is the address api was dialed at; "" for an attached agent.
	dialed string
	// reported is what was last written to the registry.
	reported *host.Host
}

// NewAgentService returns the agent service over d.
func NewAgentService(d AgentDeps) *AgentService {
	if d.DownAfter <= 0 {
		d.DownAfter = DefaultDownAfter
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &AgentService{d: d, hosts: map[string]*hostEntry{}}
}

// Attach connects an in-process agent for direct calls.
func (h *AgentService) Attach(name string, api apiserver.HostAPI) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entry(name).api = api
}

func (h *AgentService) entry(name string) *hostEntry {
	e, ok := h.hosts[name]
	if !ok {
		e = &hostEntry{info: compute.HostInfo{Name: name}}
		h.hosts[name] = e
	}
	return e
}

// Host implements HostDirectory.
func (h *AgentService) Host(name string) (apiserver.HostAPI, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.hosts[name]
	if ok && e.info.Address != "" && e.info.Address != e.dialed && h.d.Dial != nil {
		e.api, e.dialed = h.d.Dial(e.info.Address), e.info.Address
	}
	if !ok || e.api == nil {
		return nil, errdefs.Unavailablef("compute host %s is not connected", name)
	}
	return e.api, nil
}

// HostStates implements scheduler.HostSource: the registry's hosts with
// their claims, up while their lease lives.
func (h *AgentService) HostStates(context.Context) ([]scheduler.HostState, error) {
	return h.fastStates(h.d.Hosts), nil
}

// view is the part of the scheduler's view that changes only with the
// host records and the set of hosts heard from, rebuilt when they change.
type view struct {
	rev     int64
	entries int
	base    []scheduler.HostState
	forced  []bool
	entry   []*hostEntry
	index   map[string]int
}

// fastStates builds the scheduler's view from the cached records, the
// current usage and the heartbeats.
func (h *AgentService) fastStates(r HostRegistry) []scheduler.HostState {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := &h.view
	if rev := r.HostsRevision(); v.index == nil || rev != v.rev || len(h.hosts) != v.entries {
		v.rev, v.entries = rev, len(h.hosts)
		v.base, v.forced, v.entry = v.base[:0], v.forced[:0], v.entry[:0]
		v.index = map[string]int{}
		r.Each(func(rec *host.Host, _ host.Usage) {
			st := h.state(rec, host.Usage{})
			v.index[rec.Name] = len(v.base)
			v.base = append(v.base, st)
			v.forced = append(v.forced, rec.ForcedDown)
			v.entry = append(v.entry, h.hosts[rec.Name])
		})
	}
	states := slices.Clone(v.base)
	for i := range states {
		states[i].Up = !v.forced[i] && h.up(states[i].Name, v.entry[i])
	}
	r.EachUsage(func(name string, u host.Usage) {
		if i, ok := v.index[name]; ok {
			states[i].UsedCPU, states[i].UsedMemoryMiB, states[i].UsedDiskGiB = u.CPU, u.MemoryMiB, u.DiskGiB
			states[i].Containers = int(u.Containers)
		}
	})
	return states
}

// state is the scheduler's view of a host record; h.mu is held.
func (h *AgentService) state(r *host.Host, u host.Usage) scheduler.HostState {
	st := scheduler.HostState{
		Name: r.Name, AvailabilityZone: r.Zone(), Runtimes: r.Facts.Runtimes, Labels: r.Labels,
		OS: r.Facts.OS, Arch: r.Facts.Architecture,
		Disabled: r.Disabled, DisabledReason: r.DisabledReason, NotReady: r.NotReady,
		CPUs: float64(r.Facts.CPUs), MemoryMiB: r.Facts.MemoryMiB, DiskGiB: r.Facts.DiskGiB, DiskQuota: r.Facts.DiskQuota,
		UsedCPU: u.CPU, UsedMemoryMiB: u.MemoryMiB, UsedDiskGiB: u.DiskGiB, Containers: int(u.Containers),
	}
	st.Up = !r.ForcedDown && h.up(r.Name, h.hosts[r.Name])
	return st
}

// Up reports whether a host is heard from (forced_down is the caller's
// to check).
func (h *AgentService) Up(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up(name, h.hosts[name])
}

// up reports whether host name is heard from within DownAfter, by any
// control plane process; h.mu is held.
func (h *AgentService) up(name string, _ *hostEntry) bool {
	return h.d.Hosts.Alive(name)
}

// Heartbeat implements compute.ControlPlane.
func (h *AgentService) Heartbeat(ctx context.Context, info compute.HostInfo) error {
	h.mu.Lock()
	e := h.entry(info.Name)
	e.info = info
	var changed *host.Host
	rec := host.Host{Name: info.Name, Address: info.Address, Driver: info.Driver,
		AvailabilityZone: info.AvailabilityZone, Labels: info.Labels, Facts: info.Facts, TunnelIP: info.TunnelIP,
		NotReady: info.NotReady}
	if e.reported == nil || !host.SameReport(*e.reported, rec) {
		changed = &rec
	}
	h.mu.Unlock()
	if changed != nil {
		if _, err := h.d.Hosts.Report(ctx, *changed); err != nil {
			return err
		}
		h.mu.Lock()
		e.reported = changed
		h.mu.Unlock()
	}
	return h.d.Hosts.KeepAlive(ctx, info.Name, h.d.DownAfter)
}

// Monitor marks the containers of hosts that stopped heartbeating for
// DownAfter as Unknown: not lost, not moved elsewhere. When the host's
// agent comes back, its next look at the runtime reports their true
// status. It runs until ctx ends. Every control plane process may run
// it: marking is idempotent.
func (h *AgentService) Monitor(ctx context.Context) {
	log := h.d.Logger
	t := time.NewTicker(max(h.d.DownAfter/4, 100*time.Millisecond))
	defer t.Stop()
	// down are the hosts whose containers were marked, until they are up.
	down := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		recs, err := h.d.Hosts.List(ctx)
		if err != nil {
			log.Warn("list hosts", "error", err)
			continue
		}
		h.mu.Lock()
		var newlyDown []string
		for _, r := range recs {
			name := r.Name
			switch up := h.up(name, h.hosts[name]); {
			case up:
				delete(down, name)
			case !down[name]:
				newlyDown = append(newlyDown, name)
			}
		}
		h.mu.Unlock()
		for _, name := range newlyDown {
			n, err := h.markUnknown(ctx, name)
			if err != nil {
				log.Warn("mark containers of a down host", "host", name, "error", err)
				continue
			}
			down[name] = true
			if n > 0 {
				log.Warn("compute host is down", "host", name, "containers", n)
			}
		}
	}
}

// markUnknown sets the status of every container on host to Unknown.
func (h *AgentService) markUnknown(ctx context.Context, host string) (int, error) {
	ctx = auth.System(ctx)
	list, err := h.d.Containers.List(ctx, container.ListOptions{Filters: map[string]string{"host": host}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		if c.Status == container.Unknown || c.Status == container.Deleted {
			continue
		}
		_, err := h.d.Containers.Update(ctx, c.UUID, func(x *container.Container) error {
			if x.Host != host {
				return nil
			}
			x.Status = container.Unknown
			x.StatusReason = "compute host " + host + " is not responding"
			return nil
		})
		if err != nil && !errdefs.IsNotFound(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

// Watch implements compute.ControlPlane: one store watch serves every
// agent (see hub).
func (h *AgentService) Watch(ctx context.Context, host string) ([]*container.Container, <-chan container.Change, error) {
	if host == pendingHost {
		return nil, nil, errdefs.Invalidf("watch of a compute host needs its name")
	}
	return h.hub.watch(ctx, h.d.Watcher, host)
}

// Pending implements placement.Source: the containers waiting for a host,
// then their changes; a record that gets a host or fails leaves the set
// (a deletion).
func (h *AgentService) Pending(ctx context.Context) ([]*container.Container, <-chan container.Change, error) {
	// A new leader must not fail containers because its copy of the
	// hosts is still loading.
	if err := h.d.Hosts.Sync(ctx); err != nil {
		return nil, nil, err
	}
	return h.hub.watch(ctx, h.d.Watcher, pendingHost)
}

// AwaitPlacement implements Placements.
func (h *AgentService) AwaitPlacement(uuid string) (<-chan *container.Container, func(), error) {
	return h.hub.await(h.d.Watcher, uuid)
}

// Report implements compute.ControlPlane; see compute.Report for the rules.
func (h *AgentService) Report(ctx context.Context, host string, r compute.Report) error {
	_, err := h.d.Containers.Update(auth.System(ctx), r.UUID, func(c *container.Container) error {
		if c.Host != host {
			return errdefs.NotFoundf("container %s is not on host %s", r.UUID, host)
		}
		r.Apply(c)
		return nil
	})
	return err
}

// RegistryAuth implements compute.ControlPlane: only for a container on
// the asking host, and only its own registry's credentials.
func (h *AgentService) RegistryAuth(ctx context.Context, host, uuid string) (driver.RegistryAuth, error) {
	ctx = auth.System(ctx)
	c, err := h.d.Containers.Get(ctx, uuid)
	if err != nil {
		return driver.RegistryAuth{}, err
	}
	if c.Host != host {
		return driver.RegistryAuth{}, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	if c.RegistryID == "" || h.d.Registries == nil {
		return driver.RegistryAuth{}, errdefs.NotFoundf("container %s has no registry", uuid)
	}
	r, err := h.d.Registries.Find(ctx, c.RegistryID)
	if err != nil {
		return driver.RegistryAuth{}, err
	}
	if r.ProjectID != c.ProjectID {
		return driver.RegistryAuth{}, errdefs.NotFoundf("Registry %s could not be found.", c.RegistryID)
	}
	return driver.RegistryAuth{ServerAddress: r.Domain, Username: r.Username, Password: r.Password}, nil
}

// StoreImage implements compute.ControlPlane: only for a container on the
// asking host, and only the image it runs, as its project sees it.
func (h *AgentService) StoreImage(ctx context.Context, host, uuid string, data bool) (compute.StoreImage, io.ReadCloser, error) {
	c, err := h.d.Containers.Get(auth.System(ctx), uuid)
	if err != nil {
		return compute.StoreImage{}, nil, err
	}
	switch {
	case c.Host != host:
		return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	case c.ImageStoreID == "" || h.d.ImageStore == nil:
		return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s runs no image of the image store", uuid)
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{ProjectID: c.ProjectID, UserID: c.UserID})
	im, rc, err := h.d.ImageStore.Open(ctx, c.ImageStoreID)
	if err != nil {
		return compute.StoreImage{}, nil, err
	}
	if rc == nil {
		return compute.StoreImage{}, nil, errdefs.Conflictf("Image %s has no data yet (status %s).", im.ID, im.Status)
	}
	info := compute.StoreImage{ID: im.ID, Name: im.Name, Checksum: im.Checksum, Size: im.Size}
	if !data {
		rc.Close()
		return info, nil, nil
	}
	return info, rc, nil
}

// Forget implements compute.ControlPlane.
func (h *AgentService) Forget(ctx context.Context, host, uuid string, seq int64) error {
	ctx = auth.System(ctx)
	c, err := h.d.Containers.Get(ctx, uuid)
	if err != nil {
		return err
	}
	if c.Host != host {
		return errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	deleting := seq > 0 && c.Op != nil && c.Op.Seq == seq && c.Op.Action == container.ActDelete
	autoRemoved := seq == 0 && c.AutoRemove && c.Status == container.Deleted && c.Op == nil
	if !deleting && !autoRemoved {
		return errdefs.Conflictf("container %s is not being deleted", uuid)
	}
	if c.IsCapsule() && c.Capsule != nil {
		// The capsule's record goes with what is left of its members'
		// (each member's delete forgets its own), in one transaction.
		if gs, ok := h.d.Containers.(container.GroupStore); ok {
			return gs.DeleteGroup(ctx, append([]string{uuid}, c.Capsule.MemberUUIDs()...), nil)
		}
	}
	return h.d.Containers.Delete(ctx, uuid)
}

// StartEvent implements compute.ControlPlane.
func (h *AgentService) StartEvent(ctx context.Context, host, uuid, requestID, event string) error {
	if err := h.onHost(ctx, host, uuid); err != nil {
		return err
	}
	return h.d.Actions.StartEvent(auth.System(ctx), uuid, requestID, event)
}

// FinishEvent implements compute.ControlPlane.
func (h *AgentService) FinishEvent(ctx context.Context, host, uuid, requestID, event string, cause error) error {
	if err := h.onHost(ctx, host, uuid); err != nil {
		return err
	}
	return h.d.Actions.FinishEvent(auth.System(ctx), uuid, requestID, event, cause)
}

func (h *AgentService) onHost(ctx context.Context, host, uuid string) error {
	c, err := h.d.Containers.Get(auth.System(ctx), uuid)
	if err != nil {
		return err
	}
	if c.Host != host {
		return errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	return nil
}

// Interface guards
var (
	_ compute.ControlPlane    = (*AgentService)(nil)
	_ apiserver.HostDirectory = (*AgentService)(nil)
	_ scheduler.HostSource    = (*AgentService)(nil)
)

// HostsOf implements scheduler.HostSource: the hosts of the containers a
// same_host or different_host hint names, looked up in the caller's scope
// (ctx), so a hint cannot name, or probe for, another project's container.
func (h *AgentService) HostsOf(ctx context.Context, ids []string) ([]string, error) {
	var hosts []string
	for _, id := range ids {
		c, err := h.d.Containers.Get(ctx, id)
		if errdefs.IsNotFound(err) {
			return nil, errdefs.Invalidf("Invalid scheduler hint: container %s could not be found.", id)
		}
		if err != nil {
			return nil, err
		}
		if c.Host != "" {
			hosts = append(hosts, c.Host)
		}
	}
	return hosts, nil
}
