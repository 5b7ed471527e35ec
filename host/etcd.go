package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/store"
)

// Keys of compute hosts, relative to the DB's prefix.
const (
	hostsPrefix     = "hosts/"      // hosts/<name>: Host
	hostUsagePrefix = "host-usage/" // host-usage/<name>: Usage
	// host-alive/<name> exists while a control plane process hears the
	// host's heartbeats: it is attached to a lease that each heartbeat
	// renews and that etcd expires when they stop.
	hostAlivePrefix = "host-alive/"
)

func hostUsageKey(name string) string { return hostUsagePrefix + name }

// EtcdStore keeps compute host records and the claims of the containers
// placed on them. Reads come from a watch-fed copy in memory, so the
// scheduler can look at every host for every placement.
type EtcdStore struct {
	db *store.DB
	cs *store.ContainerStore
	// check refuses a claim beyond a host's capacity; nil: no check.
	check func(h Host, used, delta Usage) error

	mu       sync.RWMutex
	rev      int64
	advanced chan struct{}
	hosts    map[string]Host
	usage    map[string]Usage
	// hostsRev changes whenever a host record does (not its usage).
	hostsRev int64
	// alive are the hosts with a live heartbeat lease, whoever holds it.
	// It has its own lock, taken after mu when both are: Alive is called
	// from Each's callbacks.
	aliveMu sync.RWMutex
	alive   map[string]bool

	leaseMu sync.Mutex
	leases  map[string]store.Lease // the leases this process holds
}

// NewEtcdStore returns the host store of db, counting from cs the usage of
// a host that has no record of it yet. Joined to cs (a store.Participant),
// a container's record and its host's usage change in one transaction,
// and check (when not nil) refuses a claim beyond what the host can give,
// so concurrent creates never overcommit a host.
func NewEtcdStore(db *store.DB, cs *store.ContainerStore, check func(h Host, used, delta Usage) error) *EtcdStore {
	s := &EtcdStore{db: db, cs: cs, check: check, advanced: make(chan struct{}),
		hosts: map[string]Host{}, usage: map[string]Usage{}, alive: map[string]bool{},
		leases: map[string]store.Lease{}}
	db.Go(s.run)
	return s
}

func (s *EtcdStore) run(ctx context.Context) {
	log := s.db.Logger().With("index", "hosts")
	for attempt := 0; ctx.Err() == nil; attempt++ {
		hs, rev, err := store.List[Host](ctx, s.db, hostsPrefix)
		var us []store.Item[Usage]
		var alive []store.Item[json.RawMessage]
		if err == nil {
			us, _, err = store.ListAt[Usage](ctx, s.db, hostUsagePrefix, rev)
		}
		if err == nil {
			alive, _, err = store.ListAt[json.RawMessage](ctx, s.db, hostAlivePrefix, rev)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("load hosts", "error", err)
			}
			sleep(ctx, min(time.Duration(attempt+1)*100*time.Millisecond, 5*time.Second))
			continue
		}
		attempt = 0
		s.mu.Lock()
		s.hosts, s.usage = map[string]Host{}, map[string]Usage{}
		for _, it := range hs {
			it.Value.ID = it.CreateRevision
			s.hosts[it.Value.Name] = it.Value
		}
		s.hostsRev++
		for _, it := range us {
			s.usage[strings.TrimPrefix(it.Key, hostUsagePrefix)] = it.Value
		}
		s.aliveMu.Lock()
		s.alive = map[string]bool{}
		for _, it := range alive {
			s.alive[strings.TrimPrefix(it.Key, hostAlivePrefix)] = true
		}
		s.aliveMu.Unlock()
		s.advance(rev)
		s.mu.Unlock()
		hw := store.Watch[json.RawMessage](ctx, s.db, "host", rev+1) // hosts/ and host-usage/
		for b := range hw {
			if b.Err != nil {
				log.Warn("host watch ended; reloading", "error", b.Err)
				sleep(ctx, 100*time.Millisecond)
				break
			}
			s.mu.Lock()
			for _, ev := range b.Events {
				s.apply(ev)
			}
			s.advance(b.Revision)
			s.mu.Unlock()
		}
	}
}

func (s *EtcdStore) apply(ev store.Event[json.RawMessage]) {
	k := ev.Item.Key
	switch {
	case strings.HasPrefix(k, hostsPrefix):
		name := strings.TrimPrefix(k, hostsPrefix)
		var h Host
		if ev.Deleted || json.Unmarshal(ev.Item.Value, &h) != nil {
			delete(s.hosts, name)
			s.hostsRev++
			return
		}
		h.ID = ev.Item.CreateRevision // stable, unique, and needs no counter
		s.hosts[name] = h
		s.hostsRev++
	case strings.HasPrefix(k, hostAlivePrefix):
		name := strings.TrimPrefix(k, hostAlivePrefix)
		s.aliveMu.Lock()
		if ev.Deleted {
			delete(s.alive, name)
		} else {
			s.alive[name] = true
		}
		s.aliveMu.Unlock()
	case strings.HasPrefix(k, hostUsagePrefix):
		name := strings.TrimPrefix(k, hostUsagePrefix)
		var u Usage
		if ev.Deleted || json.Unmarshal(ev.Item.Value, &u) != nil {
			delete(s.usage, name)
			return
		}
		s.usage[name] = u
	}
}

func (s *EtcdStore) advance(rev int64) {
	if rev > s.rev {
		s.rev = rev
		close(s.advanced)
		s.advanced = make(chan struct{})
	}
}

// waitFor waits until the copy reflects rev.
func (s *EtcdStore) waitFor(ctx context.Context, rev int64) error {
	for {
		s.mu.RLock()
		ok, advanced := s.rev > 0 && s.rev >= rev, s.advanced
		s.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return errdefs.Unavailablef("host index has not caught up with revision %d: %w", rev, ctx.Err())
		}
	}
}

func (s *EtcdStore) commit(ctx context.Context, txn *store.Txn) error {
	rev, err := txn.Commit(ctx)
	if err != nil {
		return err
	}
	return s.waitFor(ctx, rev)
}

// Report implements Store.
func (s *EtcdStore) Report(ctx context.Context, h Host) (Host, error) {
	if h.Name == "" || strings.Contains(h.Name, "/") {
		return Host{}, errdefs.Invalidf("invalid host name %q", h.Name)
	}
	for attempt := 0; ; attempt++ {
		it, err := store.Get[Host](ctx, s.db, hostsPrefix+h.Name)
		now := time.Now().UTC()
		var txn *store.Txn
		switch {
		case errdefs.IsNotFound(err):
			h.ID = 0 // the key's create revision, set when read
			h.UUID = uuid.NewString()
			h.CreatedAt, h.UpdatedAt = now, now
			h.Disabled, h.DisabledReason, h.ForcedDown = false, "", false
			txn = s.db.Txn().Create(hostsPrefix+h.Name, h)
		case err != nil:
			return Host{}, err
		default:
			old := it.Value
			old.ID = it.CreateRevision
			h.UUID, h.CreatedAt = old.UUID, old.CreatedAt
			h.Disabled, h.DisabledReason, h.ForcedDown = old.Disabled, old.DisabledReason, old.ForcedDown
			h.UpdatedAt = old.UpdatedAt
			if SameReport(old, h) {
				return old, nil
			}
			h.UpdatedAt = now
			txn = s.db.Txn().Swap(hostsPrefix+h.Name, h, it.Revision)
		}
		err = s.commit(ctx, txn)
		var conflict *store.ConflictError
		if errors.As(err, &conflict) {
			if err := store.Backoff(ctx, attempt); err != nil {
				return Host{}, err
			}
			continue
		}
		if err != nil {
			return Host{}, err
		}
		return s.Get(ctx, h.Name)
	}
}

// KeepAlive records that host name is heard from, for ttl: every control
// plane process sees it Alive until ttl passes without another KeepAlive
// (from this process or another). etcd rounds ttl up to whole seconds and
// to its minimum lease (about 2s).
func (s *EtcdStore) KeepAlive(ctx context.Context, name string, ttl time.Duration) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if l, ok := s.leases[name]; ok {
		err := s.db.Renew(ctx, l)
		if err == nil {
			return nil
		}
		if !errdefs.IsNotFound(err) {
			return fmt.Errorf("renew the heartbeat lease of host %s: %w", name, err)
		}
		delete(s.leases, name) // expired: the host was down meanwhile
	}
	l, err := s.db.Grant(ctx, ttl)
	if err != nil {
		return fmt.Errorf("heartbeat lease of host %s: %w", name, err)
	}
	if err := s.db.PutLeased(ctx, hostAlivePrefix+name, struct{}{}, l); err != nil {
		return fmt.Errorf("heartbeat of host %s: %w", name, err)
	}
	s.leases[name] = l
	return nil
}

// Sync waits until the copy in memory holds every host record, usage and
// heartbeat lease written before the call, whoever wrote it. (Its watch
// sees only these keys, so it waits for the newest of them, not for the
// store's revision.)
func (s *EtcdStore) Sync(ctx context.Context) error {
	rev, err := s.db.NewestRevision(ctx, "host")
	if err != nil {
		return fmt.Errorf("read the hosts' revision: %w", err)
	}
	return s.waitFor(ctx, max(rev, 1)) // 1: loaded, whatever it holds
}

// Alive reports whether host name has a live heartbeat lease.
func (s *EtcdStore) Alive(name string) bool {
	s.aliveMu.RLock()
	defer s.aliveMu.RUnlock()
	return s.alive[name]
}

// Get implements Store.
func (s *EtcdStore) Get(ctx context.Context, ident string) (Host, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if h, ok := s.hosts[ident]; ok {
		return h, nil
	}
	for _, h := range s.hosts {
		if h.UUID == ident {
			return h, nil
		}
	}
	return Host{}, errdefs.NotFoundf("Host %s could not be found.", ident)
}

// List implements Store.
func (s *EtcdStore) List(ctx context.Context) ([]Host, error) {
	s.mu.RLock()
	out := make([]Host, 0, len(s.hosts))
	for _, h := range s.hosts {
		out = append(out, h)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Host) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Each calls fn for every host with its usage, in no order, under the
// index's read lock: the scheduler's view without copying or sorting ten
// thousand records per placement. fn must not keep h.
func (s *EtcdStore) Each(fn func(h *Host, u Usage)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for name := range s.hosts {
		h := s.hosts[name]
		fn(&h, s.usage[name])
	}
}

// HostsRevision changes whenever a host record does, not when its usage
// does: views built from the records stay good while it stays the same.
func (s *EtcdStore) HostsRevision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hostsRev
}

// EachUsage calls fn for every host's usage, under the read lock.
func (s *EtcdStore) EachUsage(fn func(name string, u Usage)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for name, u := range s.usage {
		fn(name, u)
	}
}

// Update implements Store.
func (s *EtcdStore) Update(ctx context.Context, name string, fn func(*Host) error) (Host, error) {
	for attempt := 0; ; attempt++ {
		it, err := store.Get[Host](ctx, s.db, hostsPrefix+name)
		if errdefs.IsNotFound(err) {
			return Host{}, errdefs.NotFoundf("Host %s could not be found.", name)
		}
		if err != nil {
			return Host{}, err
		}
		h := it.Value
		if err := fn(&h); err != nil {
			return Host{}, err
		}
		h.Name, h.ID, h.UUID = it.Value.Name, 0, it.Value.UUID
		h.UpdatedAt = time.Now().UTC()
		err = s.commit(ctx, s.db.Txn().Swap(hostsPrefix+name, h, it.Revision))
		var conflict *store.ConflictError
		if errors.As(err, &conflict) {
			if err := store.Backoff(ctx, attempt); err != nil {
				return Host{}, err
			}
			continue
		}
		if err != nil {
			return Host{}, err
		}
		return s.Get(ctx, name)
	}
}

// Delete implements Store. A host that still has containers cannot
// be deleted.
func (s *EtcdStore) Delete(ctx context.Context, name string) error {
	if _, err := s.Get(ctx, name); err != nil {
		return err
	}
	if u, _, err := s.hostUsage(ctx, name); err != nil {
		return err
	} else if u.Containers > 0 {
		return errdefs.Conflictf("Host %s still has %d containers.", name, u.Containers)
	}
	return s.commit(ctx, s.db.Txn().Delete(hostsPrefix+name).Delete(hostUsageKey(name)).Delete(hostAlivePrefix+name))
}

// Usage implements Store.
func (s *EtcdStore) Usage(ctx context.Context) (map[string]Usage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]Usage, len(s.usage))
	for k, v := range s.usage {
		out[k] = v
	}
	return out, nil
}

func claimOf(c *container.Container) Usage {
	q := quota.Of(c)
	return Usage{Containers: q.Containers, CPU: q.CPU, MemoryMiB: q.Memory, DiskGiB: q.Disk}
}

func addUsage(a, b Usage, sign int64) Usage {
	return Usage{
		Containers: max(a.Containers+sign*b.Containers, 0),
		CPU:        max(float64(int64((a.CPU+float64(sign)*b.CPU)*1000+0.5))/1000, 0),
		MemoryMiB:  max(a.MemoryMiB+sign*b.MemoryMiB, 0),
		DiskGiB:    max(a.DiskGiB+sign*b.DiskGiB, 0),
	}
}

// hostUsage returns a host's usage and its revision, 0 when it has no
// record yet: then it is counted from the containers on the host.
func (s *EtcdStore) hostUsage(ctx context.Context, name string) (Usage, int64, error) {
	it, err := store.Get[Usage](ctx, s.db, hostUsageKey(name))
	if err == nil {
		return it.Value, it.Revision, nil
	}
	if !errdefs.IsNotFound(err) {
		return Usage{}, 0, err
	}
	var u Usage
	err = s.cs.Each(ctx, "", func(c *container.Container) {
		if c.Host == name {
			u = addUsage(u, claimOf(c), 1)
		}
	})
	return u, 0, err
}

// Creating implements store.Participant: a container placed at once claims its
// host's resources.
func (s *EtcdStore) Creating(ctx context.Context, txn *store.Txn, c *container.Container) error {
	return s.claim(ctx, txn, c.Host, claimOf(c), 1)
}

// Deleting implements store.Participant: the container's claim returns.
func (s *EtcdStore) Deleting(ctx context.Context, txn *store.Txn, c *container.Container) error {
	return s.claim(ctx, txn, c.Host, claimOf(c), -1)
}

// claim adds to txn a change of a host's usage by delta (sign 1 to claim,
// -1 to release), checked against the host's capacity when claiming.
func (s *EtcdStore) claim(ctx context.Context, txn *store.Txn, name string, delta Usage, sign int64) error {
	if name == "" {
		return nil
	}
	used, rev, err := s.hostUsage(ctx, name)
	if err != nil {
		return err
	}
	if sign > 0 && s.check != nil {
		h, err := s.Get(ctx, name)
		if err == nil {
			if err := s.check(h, used, delta); err != nil {
				return err
			}
		}
	}
	txn.Swap(hostUsageKey(name), addUsage(used, delta, sign), rev)
	return nil
}

// Updating implements store.Participant: the claims change when a container
// moves to another host or changes its resources.
func (s *EtcdStore) Updating(ctx context.Context, txn *store.Txn, old, c *container.Container) error {
	if c.Host == old.Host && claimOf(c) == claimOf(old) {
		return nil
	}
	if old.Host != c.Host {
		if err := s.claim(ctx, txn, old.Host, claimOf(old), -1); err != nil {
			return err
		}
		return s.claim(ctx, txn, c.Host, claimOf(c), 1)
	}
	if c.Host == "" {
		return nil
	}
	used, rev, err := s.hostUsage(ctx, c.Host)
	if err != nil {
		return err
	}
	rest := addUsage(used, claimOf(old), -1)
	grows := claimOf(c).CPU > claimOf(old).CPU || claimOf(c).MemoryMiB > claimOf(old).MemoryMiB || claimOf(c).DiskGiB > claimOf(old).DiskGiB
	if grows && s.check != nil {
		if h, err := s.Get(ctx, c.Host); err == nil {
			if err := s.check(h, rest, claimOf(c)); err != nil {
				return err
			}
		}
	}
	txn.Swap(hostUsageKey(c.Host), addUsage(rest, claimOf(c), 1), rev)
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Interface guards
var (
	_ Store             = (*EtcdStore)(nil)
	_ store.Participant = (*EtcdStore)(nil)
)
