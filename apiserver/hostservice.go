package apiserver

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/scheduler"
)

// HostService is the control plane's side of the compute agents: it
// serves their watches and applies their reports to the store, refusing
// anything about containers that are not on the reporting host. It also
// keeps track of live hosts for the scheduler and for direct calls.
type HostService struct {
	// registry keeps host records; nil: hosts live only in memory.
	registry   host.Store
	registries registry.Store
	imageStore *glance.Service
	networks   NetworkSource
	netCache   netCache
	containers container.Store
	watcher    container.Watcher
	actions    container.ActionStore
	// DownAfter is how long a host may go without a heartbeat before it
	// counts as down.
	DownAfter time.Duration
	// Dial returns a client of a remote agent's direct calls at the
	// address it heartbeats (agentapi.NewHostClient); nil: only agents
	// attached in process are reachable.
	Dial func(address string) HostAPI

	mu    sync.Mutex
	hosts map[string]*hostEntry
	hub   hub
	view  view
}

type hostEntry struct {
	info     compute.HostInfo
	lastSeen time.Time
	api      HostAPI
	// dialed is the address api was dialed at; "" for an attached agent.
	dialed string
	// reported is what was last written to the registry.
	reported *host.Host
}

// NewHostService returns a host service over the container stores.
func NewHostService(cs container.Store, w container.Watcher, as container.ActionStore) *HostService {
	return &HostService{containers: cs, watcher: w, actions: as, DownAfter: 60 * time.Second,
		hosts: map[string]*hostEntry{}}
}

// UseRegistry keeps host records in r, where the hosts API and every
// control plane process find them.
func (h *HostService) UseRegistry(r host.Store) { h.registry = r }

// Attach connects an in-process agent for direct calls.
func (h *HostService) Attach(name string, api HostAPI) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.entry(name)
	e.api = api
	e.lastSeen = time.Now()
}

func (h *HostService) entry(name string) *hostEntry {
	e, ok := h.hosts[name]
	if !ok {
		e = &hostEntry{info: compute.HostInfo{Name: name}}
		h.hosts[name] = e
	}
	return e
}

// Host implements HostDirectory.
func (h *HostService) Host(name string) (HostAPI, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.hosts[name]
	if ok && e.info.Address != "" && e.info.Address != e.dialed && h.Dial != nil {
		e.api, e.dialed = h.Dial(e.info.Address), e.info.Address
	}
	if !ok || e.api == nil {
		return nil, errdefs.Unavailablef("compute host %s is not connected", name)
	}
	return e.api, nil
}

// HostStates implements scheduler.HostSource: the registry's hosts with
// their claims, up when heard from within DownAfter.
func (h *HostService) HostStates(ctx context.Context) ([]scheduler.HostState, error) {
	if h.registry == nil {
		return h.memoryStates(ctx)
	}
	if fast, ok := h.registry.(fastRegistry); ok {
		return h.fastStates(fast), nil
	}
	hosts, err := h.registry.List(ctx)
	if err != nil {
		return nil, err
	}
	usage, err := h.registry.Usage(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	states := make([]scheduler.HostState, 0, len(hosts))
	for i := range hosts {
		states = append(states, h.state(&hosts[i], usage[hosts[i].Name]))
	}
	return states, nil
}

// fastRegistry is a registry that can be read without copies: the
// scheduler asks for every host on every placement.
type fastRegistry interface {
	HostsRevision() int64
	Each(func(*host.Host, host.Usage))
	EachUsage(func(string, host.Usage))
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
func (h *HostService) fastStates(r fastRegistry) []scheduler.HostState {
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
func (h *HostService) state(r *host.Host, u host.Usage) scheduler.HostState {
	st := scheduler.HostState{
		Name: r.Name, AvailabilityZone: r.Zone(), Runtimes: r.Facts.Runtimes, Labels: r.Labels,
		OS: r.Facts.OS, Arch: r.Facts.Architecture,
		Disabled: r.Disabled, DisabledReason: r.DisabledReason, NotReady: r.NotReady,
		CPUs: float64(r.Facts.CPUs), MemoryMiB: r.Facts.MemoryMiB, DiskGiB: r.Facts.DiskGiB,
		UsedCPU: u.CPU, UsedMemoryMiB: u.MemoryMiB, UsedDiskGiB: u.DiskGiB, Containers: int(u.Containers),
	}
	st.Up = !r.ForcedDown && h.up(r.Name, h.hosts[r.Name])
	return st
}

// Up reports whether a host is heard from (forced_down is the caller's
// to check).
func (h *HostService) Up(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up(name, h.hosts[name])
}

// liveRegistry is a registry that keeps the hosts' liveness where every
// control plane process sees it, whichever of them hears the heartbeats
// (store.HostStore: a lease per host).
type liveRegistry interface {
	KeepAlive(ctx context.Context, name string, ttl time.Duration) error
	Alive(name string) bool
}

// up reports whether host name (e: its entry here, or nil) is heard from
// within DownAfter, by any process when the registry knows; h.mu is held.
func (h *HostService) up(name string, e *hostEntry) bool {
	if lr, ok := h.registry.(liveRegistry); ok {
		return lr.Alive(name)
	}
	return e != nil && h.alive(e)
}

func (h *HostService) alive(e *hostEntry) bool {
	return !e.lastSeen.IsZero() && time.Since(e.lastSeen) <= h.DownAfter
}

// memoryStates are the hosts known in memory, for tests without a
// registry.
func (h *HostService) memoryStates(ctx context.Context) ([]scheduler.HostState, error) {
	h.mu.Lock()
	states := make([]scheduler.HostState, 0, len(h.hosts))
	for name, e := range h.hosts {
		states = append(states, scheduler.HostState{Name: name, Up: h.alive(e), Runtimes: e.info.Runtimes,
			NotReady: e.info.NotReady})
	}
	h.mu.Unlock()
	sort.Slice(states, func(i, j int) bool { return states[i].Name < states[j].Name })
	for i := range states {
		list, err := h.containers.List(auth.System(ctx), container.ListOptions{
			Filters: map[string]string{"host": states[i].Name}})
		if err != nil {
			return nil, err
		}
		states[i].Containers = len(list)
	}
	return states, nil
}

// Heartbeat implements compute.ControlPlane.
func (h *HostService) Heartbeat(ctx context.Context, info compute.HostInfo) error {
	h.mu.Lock()
	e := h.entry(info.Name)
	e.info = info
	e.lastSeen = time.Now()
	var changed *host.Host
	if h.registry != nil {
		rec := host.Host{Name: info.Name, Address: info.Address, Driver: info.Driver,
			AvailabilityZone: info.AvailabilityZone, Labels: info.Labels, Facts: info.Facts, TunnelIP: info.TunnelIP,
			NotReady: info.NotReady}
		if e.reported == nil || !host.SameReport(*e.reported, rec) {
			changed = &rec
		}
	}
	h.mu.Unlock()
	if h.registry == nil {
		return nil
	}
	if changed != nil {
		if _, err := h.registry.Report(ctx, *changed); err != nil {
			return err
		}
		h.mu.Lock()
		e.reported = changed
		h.mu.Unlock()
	}
	if lr, ok := h.registry.(liveRegistry); ok {
		return lr.KeepAlive(ctx, info.Name, h.DownAfter)
	}
	return nil
}

// Monitor marks the containers of hosts that stopped heartbeating for
// DownAfter as Unknown: not lost, not moved elsewhere. When the host's
// agent comes back, its next look at the runtime reports their true
// status. It runs until ctx ends. Every control plane process may run
// it: marking is idempotent.
func (h *HostService) Monitor(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(max(h.DownAfter/4, 100*time.Millisecond))
	defer t.Stop()
	// down are the hosts whose containers were marked, until they are up.
	down := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var names []string
		h.mu.Lock()
		if h.registry != nil {
			h.mu.Unlock()
			recs, err := h.registry.List(ctx)
			if err != nil {
				log.Warn("list hosts", "error", err)
				continue
			}
			h.mu.Lock()
			for _, r := range recs {
				names = append(names, r.Name)
			}
		} else {
			for name, e := range h.hosts {
				if !e.lastSeen.IsZero() {
					names = append(names, name)
				}
			}
		}
		var newlyDown []string
		for _, name := range names {
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
func (h *HostService) markUnknown(ctx context.Context, host string) (int, error) {
	ctx = auth.System(ctx)
	list, err := h.containers.List(ctx, container.ListOptions{Filters: map[string]string{"host": host}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range list {
		if c.Status == container.Unknown || c.Status == container.Deleted {
			continue
		}
		_, err := h.containers.Update(ctx, c.UUID, func(x *container.Container) error {
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
func (h *HostService) Watch(ctx context.Context, host string) ([]*container.Container, <-chan container.Change, error) {
	if host == pendingHost {
		return nil, nil, errdefs.Invalidf("watch of a compute host needs its name")
	}
	return h.hub.watch(ctx, h.watcher, host)
}

// Pending implements placement.Source: the containers waiting for a host,
// then their changes; a record that gets a host or fails leaves the set
// (a deletion).
func (h *HostService) Pending(ctx context.Context) ([]*container.Container, <-chan container.Change, error) {
	// A new leader must not fail containers because its copy of the
	// hosts is still loading.
	if sr, ok := h.registry.(interface{ Sync(context.Context) error }); ok {
		if err := sr.Sync(ctx); err != nil {
			return nil, nil, err
		}
	}
	return h.hub.watch(ctx, h.watcher, pendingHost)
}

// AwaitPlacement implements Placements.
func (h *HostService) AwaitPlacement(uuid string) (<-chan *container.Container, func(), error) {
	return h.hub.await(h.watcher, uuid)
}

// Report implements compute.ControlPlane; see compute.Report for the rules.
func (h *HostService) Report(ctx context.Context, host string, r compute.Report) error {
	_, err := h.containers.Update(auth.System(ctx), r.UUID, func(c *container.Container) error {
		if c.Host != host {
			return errdefs.NotFoundf("container %s is not on host %s", r.UUID, host)
		}
		r.Apply(c)
		return nil
	})
	return err
}

// UseRegistries lets agents fetch the credentials of the private
// registries their containers pull from.
func (h *HostService) UseRegistries(r registry.Store) { h.registries = r }

// RegistryAuth implements compute.ControlPlane: only for a container on
// the asking host, and only its own registry's credentials.
func (h *HostService) RegistryAuth(ctx context.Context, host, uuid string) (driver.RegistryAuth, error) {
	ctx = auth.System(ctx)
	c, err := h.containers.Get(ctx, uuid)
	if err != nil {
		return driver.RegistryAuth{}, err
	}
	if c.Host != host {
		return driver.RegistryAuth{}, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	if c.RegistryID == "" || h.registries == nil {
		return driver.RegistryAuth{}, errdefs.NotFoundf("container %s has no registry", uuid)
	}
	r, err := h.registries.Find(ctx, c.RegistryID)
	if err != nil {
		return driver.RegistryAuth{}, err
	}
	if r.ProjectID != c.ProjectID {
		return driver.RegistryAuth{}, errdefs.NotFoundf("Registry %s could not be found.", c.RegistryID)
	}
	return driver.RegistryAuth{ServerAddress: r.Domain, Username: r.Username, Password: r.Password}, nil
}

// UseImageStore lets agents load the images of the image store that
// their containers run.
func (h *HostService) UseImageStore(s *glance.Service) { h.imageStore = s }

// StoreImage implements compute.ControlPlane: only for a container on the
// asking host, and only the image it runs, as its project sees it.
func (h *HostService) StoreImage(ctx context.Context, host, uuid string, data bool) (compute.StoreImage, io.ReadCloser, error) {
	c, err := h.containers.Get(auth.System(ctx), uuid)
	if err != nil {
		return compute.StoreImage{}, nil, err
	}
	switch {
	case c.Host != host:
		return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	case c.ImageStoreID == "" || h.imageStore == nil:
		return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s runs no image of the image store", uuid)
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{ProjectID: c.ProjectID, UserID: c.UserID})
	im, rc, err := h.imageStore.Open(ctx, c.ImageStoreID)
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
func (h *HostService) Forget(ctx context.Context, host, uuid string, seq int64) error {
	ctx = auth.System(ctx)
	c, err := h.containers.Get(ctx, uuid)
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
	return h.containers.Delete(ctx, uuid)
}

// StartEvent implements compute.ControlPlane.
func (h *HostService) StartEvent(ctx context.Context, host, uuid, requestID, event string) error {
	if err := h.onHost(ctx, host, uuid); err != nil {
		return err
	}
	return h.actions.StartEvent(auth.System(ctx), uuid, requestID, event)
}

// FinishEvent implements compute.ControlPlane.
func (h *HostService) FinishEvent(ctx context.Context, host, uuid, requestID, event string, cause error) error {
	if err := h.onHost(ctx, host, uuid); err != nil {
		return err
	}
	return h.actions.FinishEvent(auth.System(ctx), uuid, requestID, event, cause)
}

func (h *HostService) onHost(ctx context.Context, host, uuid string) error {
	c, err := h.containers.Get(auth.System(ctx), uuid)
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
	_ compute.ControlPlane   = (*HostService)(nil)
	_ HostDirectory          = (*HostService)(nil)
	_ scheduler.HostSource   = (*HostService)(nil)
	_ scheduler.HintResolver = (*HostService)(nil)
)

// HostsOf implements scheduler.HintResolver: the hosts of the containers a
// same_host or different_host hint names, looked up in the caller's scope
// (ctx), so a hint cannot name, or probe for, another project's container.
func (h *HostService) HostsOf(ctx context.Context, ids []string) ([]string, error) {
	var hosts []string
	for _, id := range ids {
		c, err := h.containers.Get(ctx, id)
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
