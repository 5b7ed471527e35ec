package controlplane

import (
	"context"
	"sync"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
)

// hub fans one watch of every container record out to the agents, each
// seeing only its host's records, so that a thousand agents cost one
// store watch and not a thousand. The placement service watches the
// records waiting for a host the same way, under the name pendingHost,
// and API requests wait there for a new container's placement. It runs
// while anyone watches or waits.
type hub struct {
	mu      sync.Mutex
	gen     int // the current store watch; 0: none
	cancel  context.CancelFunc
	byHost  map[string]map[string]*container.Container
	hostOf  map[string]string // uuid -> host
	subs    map[string]map[*subscriber]struct{}
	waiters map[string]chan *container.Container // uuid -> placement waiter
	nextGen int
}

// pendingHost is the hub's name for the records waiting for a host: those
// Creating with none yet. Agents cannot watch it (agentapi refuses empty
// host names).
const pendingHost = ""

// slot is where a record belongs in the hub: its host, pendingHost, or
// nowhere (a failed create that has no host; a capsule's member, which is
// placed with its capsule).
func slot(c *container.Container) (string, bool) {
	if c.Host != "" {
		return c.Host, true
	}
	return pendingHost, c.Status == container.Creating && !c.IsMember()
}

// placed reports whether a record waited for is decided: on a host,
// failed, or gone.
func placed(c *container.Container, deleted bool) bool {
	return deleted || c.Host != "" || c.Status != container.Creating
}

type subscriber struct {
	ch chan container.Change
}

// subscriberBuffer is how many changes an agent may fall behind before its
// watch is closed; it then watches again from a fresh snapshot.
const subscriberBuffer = 1024

// watch returns host's records and a channel of their later changes.
func (h *hub) watch(ctx context.Context, w container.Watcher, host string) ([]*container.Container, <-chan container.Change, error) {
	h.mu.Lock()
	if h.gen == 0 {
		if err := h.start(w); err != nil {
			h.mu.Unlock()
			return nil, nil, err
		}
	}
	snapshot := make([]*container.Container, 0, len(h.byHost[host]))
	for _, c := range h.byHost[host] {
		snapshot = append(snapshot, c)
	}
	s := &subscriber{ch: make(chan container.Change, subscriberBuffer)}
	if h.subs[host] == nil {
		h.subs[host] = map[*subscriber]struct{}{}
	}
	h.subs[host][s] = struct{}{}
	gen := h.gen
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.drop(gen, host, s) })
	return snapshot, s.ch, nil
}

// start opens the store watch; h.mu is held.
func (h *hub) start(w container.Watcher) error {
	ctx, cancel := context.WithCancel(auth.System(context.Background()))
	all, changes, err := w.Watch(ctx)
	if err != nil {
		cancel()
		return err
	}
	h.nextGen++
	h.gen, h.cancel = h.nextGen, cancel
	h.byHost = map[string]map[string]*container.Container{}
	h.hostOf = map[string]string{}
	h.subs = map[string]map[*subscriber]struct{}{}
	h.waiters = map[string]chan *container.Container{}
	for _, c := range all {
		h.put(c)
	}
	go h.pump(h.gen, changes)
	return nil
}

func (h *hub) put(c *container.Container) {
	key, ok := slot(c)
	if !ok {
		return
	}
	if h.byHost[key] == nil {
		h.byHost[key] = map[string]*container.Container{}
	}
	h.byHost[key][c.UUID] = c
	h.hostOf[c.UUID] = key
}

func (h *hub) remove(uuid string) {
	if old, ok := h.hostOf[uuid]; ok {
		delete(h.byHost[old], uuid)
		if len(h.byHost[old]) == 0 {
			delete(h.byHost, old)
		}
		delete(h.hostOf, uuid)
	}
}

// pump applies the store's changes and hands each to the watchers of the
// hosts it concerns: a record that leaves a host is a deletion there.
func (h *hub) pump(gen int, changes <-chan container.Change) {
	for ch := range changes {
		h.mu.Lock()
		if h.gen != gen {
			h.mu.Unlock()
			return
		}
		c := ch.Container
		old, had := h.hostOf[c.UUID]
		h.remove(c.UUID)
		key, in := slot(c)
		in = in && !ch.Deleted
		if in {
			h.put(c)
		}
		if had && (!in || old != key) {
			h.send(old, container.Change{Container: c, Deleted: true})
		}
		if in {
			h.send(key, ch)
		}
		if w, ok := h.waiters[c.UUID]; ok && placed(c, ch.Deleted) {
			w <- c
			delete(h.waiters, c.UUID)
		}
		h.mu.Unlock()
	}
	// The store watch ended: every watcher starts again from a snapshot.
	h.mu.Lock()
	if h.gen == gen {
		h.stop()
	}
	h.mu.Unlock()
}

// send delivers without blocking; a watcher too far behind is closed.
func (h *hub) send(host string, ch container.Change) {
	for s := range h.subs[host] {
		select {
		case s.ch <- ch:
		default:
			close(s.ch)
			delete(h.subs[host], s)
		}
	}
}

// drop ends one watcher; the store watch ends with the last one.
func (h *hub) drop(gen int, host string, s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen != gen {
		return
	}
	if _, ok := h.subs[host][s]; ok {
		delete(h.subs[host], s)
		close(s.ch)
	}
	if len(h.subs[host]) == 0 {
		delete(h.subs, host)
	}
	h.stopIfIdle()
}

// stopIfIdle ends the store watch when no one watches or waits; h.mu is
// held.
func (h *hub) stopIfIdle() {
	if len(h.subs) == 0 && len(h.waiters) == 0 {
		h.stop()
	}
}

// await returns a channel that gets the record of container uuid once it
// is placed (see placed), or is closed when the hub can no longer tell
// (then read the record). Call it before creating the record. cancel
// stops waiting.
func (h *hub) await(w container.Watcher, uuid string) (<-chan *container.Container, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen == 0 {
		if err := h.start(w); err != nil {
			return nil, nil, err
		}
	}
	ch := make(chan *container.Container, 1)
	h.waiters[uuid] = ch
	gen := h.gen
	cancel := func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.gen != gen || h.waiters[uuid] != ch {
			return
		}
		delete(h.waiters, uuid)
		h.stopIfIdle()
	}
	return ch, cancel, nil
}

// stop ends the store watch and every watcher; h.mu is held.
func (h *hub) stop() {
	for _, set := range h.subs {
		for s := range set {
			close(s.ch)
		}
	}
	for _, w := range h.waiters {
		close(w)
	}
	h.cancel()
	h.gen, h.subs, h.byHost, h.hostOf, h.waiters = 0, nil, nil, nil, nil
}
