package apiserver

import (
	"context"
	"sync"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
)

// hub fans one watch of every container record out to the agents, each
// seeing only its host's records, so that a thousand agents cost one
// store watch and not a thousand. It runs while anyone watches.
type hub struct {
	mu      sync.Mutex
	gen     int // the current store watch; 0: none
	cancel  context.CancelFunc
	byHost  map[string]map[string]*container.Container
	hostOf  map[string]string // uuid -> host
	subs    map[string]map[*subscriber]struct{}
	nextGen int
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
	for _, c := range all {
		h.put(c)
	}
	go h.pump(h.gen, changes)
	return nil
}

func (h *hub) put(c *container.Container) {
	if c.Host == "" {
		return
	}
	if h.byHost[c.Host] == nil {
		h.byHost[c.Host] = map[string]*container.Container{}
	}
	h.byHost[c.Host][c.UUID] = c
	h.hostOf[c.UUID] = c.Host
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
		old := h.hostOf[c.UUID]
		h.remove(c.UUID)
		if !ch.Deleted {
			h.put(c)
		}
		if old != "" && (ch.Deleted || old != c.Host) {
			h.send(old, container.Change{Container: c, Deleted: true})
		}
		if !ch.Deleted && c.Host != "" {
			h.send(c.Host, ch)
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
	if len(h.subs) == 0 {
		h.stop()
	}
}

// stop ends the store watch and every watcher; h.mu is held.
func (h *hub) stop() {
	for _, set := range h.subs {
		for s := range set {
			close(s.ch)
		}
	}
	h.cancel()
	h.gen, h.subs, h.byHost, h.hostOf = 0, nil, nil, nil
}
