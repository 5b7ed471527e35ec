// Package computetest holds a hand-written, in-memory compute.ControlPlane
// for tests of the compute agent: no store, no etcd. It keeps records as
// the real control plane does (reports applied with compute.Report.Apply,
// a record left unchanged not written and not sent to the watch), and
// records every call the agent makes so that a test can say what was
// reported, how often, and in which order.
package computetest

import (
	"context"
	"io"
	"slices"
	"sync"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Event is a recorded StartEvent (Finished false) or FinishEvent call.
type Event struct {
	UUID      string
	RequestID string
	Name      string
	Finished  bool
	Cause     string // the FinishEvent's error, "" if none
}

// ControlPlane is a fake compute.ControlPlane. It is safe for concurrent
// use; the zero value is not: use New.
type ControlPlane struct {
	mu         sync.Mutex
	records    map[string]*container.Container
	watchers   map[*watcher]struct{}
	reports    []compute.Report
	writes     int // reports that changed a record
	events     []Event
	forgotten  []string
	heartbeats []compute.HostInfo
	watches    int   // Watch calls that succeeded
	watchErr   error // Watch fails with it while set
}

// New returns an empty control plane.
func New() *ControlPlane {
	return &ControlPlane{records: map[string]*container.Container{}, watchers: map[*watcher]struct{}{}}
}

// Put stores c (a copy) as the API would and sends it to the watches of
// its host.
func (cp *ControlPlane) Put(c *container.Container) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	c = c.Clone()
	cp.records[c.UUID] = c
	cp.send(container.Change{Container: c.Clone()})
}

// SetOp makes op the pending op of container uuid, numbering it as the
// API does, and returns its Seq.
func (cp *ControlPlane) SetOp(uuid string, op container.Op) int64 {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	c, ok := cp.records[uuid]
	if !ok {
		panic("computetest: SetOp on unknown container " + uuid)
	}
	c.SetOp(op)
	cp.send(container.Change{Container: c.Clone()})
	return c.Op.Seq
}

// Delete removes container uuid's record, as the API does once a
// container is gone or moved to another host, and sends the deletion to
// the watches of its host.
func (cp *ControlPlane) Delete(uuid string) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	c, ok := cp.records[uuid]
	if !ok {
		return
	}
	delete(cp.records, uuid)
	cp.send(container.Change{Container: c, Deleted: true})
}

// Replay sends c to the watches of its host as a change, without storing
// it: a watch delivering an older version of a record.
func (cp *ControlPlane) Replay(c *container.Container) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.send(container.Change{Container: c.Clone()})
}

// Get returns a copy of container uuid's record, or nil.
func (cp *ControlPlane) Get(uuid string) *container.Container {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if c, ok := cp.records[uuid]; ok {
		return c.Clone()
	}
	return nil
}

// Reports returns the reports made for container uuid, in order.
func (cp *ControlPlane) Reports(uuid string) []compute.Report {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var out []compute.Report
	for _, r := range cp.reports {
		if r.UUID == uuid {
			out = append(out, r)
		}
	}
	return out
}

// Writes is the number of reports that changed a record.
func (cp *ControlPlane) Writes() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.writes
}

// Events returns the action events recorded for container uuid, in order.
func (cp *ControlPlane) Events(uuid string) []Event {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var out []Event
	for _, e := range cp.events {
		if e.UUID == uuid {
			out = append(out, e)
		}
	}
	return out
}

// Forgotten returns the uuids whose records Forget removed, in order.
func (cp *ControlPlane) Forgotten() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return slices.Clone(cp.forgotten)
}

// Heartbeats returns the heartbeats received, in order.
func (cp *ControlPlane) Heartbeats() []compute.HostInfo {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return slices.Clone(cp.heartbeats)
}

// Watch implements compute.ControlPlane.
func (cp *ControlPlane) Watch(ctx context.Context, host string) ([]*container.Container, <-chan container.Change, error) {
	w := &watcher{host: host, wake: make(chan struct{}, 1), broken: make(chan struct{})}
	out := make(chan container.Change)
	cp.mu.Lock()
	if err := cp.watchErr; err != nil {
		cp.mu.Unlock()
		return nil, nil, err
	}
	cp.watches++
	var snapshot []*container.Container
	for _, c := range cp.records {
		if c.Host == host {
			snapshot = append(snapshot, c.Clone())
		}
	}
	cp.watchers[w] = struct{}{}
	cp.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			cp.mu.Lock()
			delete(cp.watchers, w)
			cp.mu.Unlock()
		}()
		for {
			w.mu.Lock()
			batch := w.queue
			w.queue = nil
			w.mu.Unlock()
			for _, ch := range batch {
				select {
				case out <- ch:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-w.wake:
			case <-w.broken:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return snapshot, out, nil
}

// BreakWatches closes every open watch, as a control plane that restarts
// or loses its store would; the changes they had not delivered are lost.
func (cp *ControlPlane) BreakWatches() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for w := range cp.watchers {
		close(w.broken)
		delete(cp.watchers, w)
	}
}

// FailWatch makes Watch fail with err from now on; nil lets it succeed.
func (cp *ControlPlane) FailWatch(err error) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.watchErr = err
}

// Watches is the number of Watch calls that succeeded.
func (cp *ControlPlane) Watches() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.watches
}

// Report implements compute.ControlPlane: r is applied as the real
// control plane applies it, and a record it leaves the same is not
// written.
func (cp *ControlPlane) Report(ctx context.Context, host string, r compute.Report) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.reports = append(cp.reports, r)
	c, ok := cp.records[r.UUID]
	if !ok || c.Host != host {
		return errdefs.NotFoundf("container %s is not on host %s", r.UUID, host)
	}
	n := c.Clone()
	r.Apply(n)
	if n.SameAs(c) {
		return nil
	}
	cp.writes++
	cp.records[r.UUID] = n
	cp.send(container.Change{Container: n.Clone()})
	return nil
}

// StartEvent implements compute.ControlPlane.
func (cp *ControlPlane) StartEvent(ctx context.Context, host, uuid, requestID, event string) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.events = append(cp.events, Event{UUID: uuid, RequestID: requestID, Name: event})
	return nil
}

// FinishEvent implements compute.ControlPlane.
func (cp *ControlPlane) FinishEvent(ctx context.Context, host, uuid, requestID, event string, cause error) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	e := Event{UUID: uuid, RequestID: requestID, Name: event, Finished: true}
	if cause != nil {
		e.Cause = cause.Error()
	}
	cp.events = append(cp.events, e)
	return nil
}

// Forget implements compute.ControlPlane with the real one's rules: only
// a record whose delete op seq is pending, or (seq 0) an auto-removed
// container shown as Deleted, is removed.
func (cp *ControlPlane) Forget(ctx context.Context, host, uuid string, seq int64) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	c, ok := cp.records[uuid]
	if !ok || c.Host != host {
		return errdefs.NotFoundf("container %s is not on host %s", uuid, host)
	}
	deleting := seq > 0 && c.Op != nil && c.Op.Seq == seq && c.Op.Action == container.ActDelete
	autoRemoved := seq == 0 && c.AutoRemove && c.Status == container.Deleted && c.Op == nil
	if !deleting && !autoRemoved {
		return errdefs.Conflictf("container %s is not being deleted", uuid)
	}
	delete(cp.records, uuid)
	cp.forgotten = append(cp.forgotten, uuid)
	cp.send(container.Change{Container: c.Clone(), Deleted: true})
	return nil
}

// Heartbeat implements compute.ControlPlane.
func (cp *ControlPlane) Heartbeat(ctx context.Context, info compute.HostInfo) error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.heartbeats = append(cp.heartbeats, info)
	return nil
}

// RegistryAuth implements compute.ControlPlane: there are no registries.
func (cp *ControlPlane) RegistryAuth(ctx context.Context, host, uuid string) (driver.RegistryAuth, error) {
	return driver.RegistryAuth{}, errdefs.NotFoundf("container %s has no registry", uuid)
}

// StoreImage implements compute.ControlPlane: there is no image store.
func (cp *ControlPlane) StoreImage(ctx context.Context, host, uuid string, data bool) (compute.StoreImage, io.ReadCloser, error) {
	return compute.StoreImage{}, nil, errdefs.NotFoundf("container %s: no image store", uuid)
}

// NetConfig implements compute.ControlPlane: no networks.
func (cp *ControlPlane) NetConfig(ctx context.Context, host string, fresh bool) (compute.NetConfig, error) {
	return compute.NetConfig{}, nil
}

// send queues ch for the watches of its container's host; cp.mu is held.
func (cp *ControlPlane) send(ch container.Change) {
	for w := range cp.watchers {
		if w.host == ch.Container.Host {
			w.push(ch)
		}
	}
}

// watcher is one Watch. Its queue is unbounded, so a report never waits
// for the agent to read the watch (the agent reports from its workers
// while its watch loop kicks them).
type watcher struct {
	host   string
	mu     sync.Mutex
	queue  []container.Change
	wake   chan struct{} // capacity 1
	broken chan struct{} // closed by BreakWatches
}

func (w *watcher) push(ch container.Change) {
	w.mu.Lock()
	w.queue = append(w.queue, ch)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Interface guards
var _ compute.ControlPlane = (*ControlPlane)(nil)
