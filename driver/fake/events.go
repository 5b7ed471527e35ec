package fake

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/zun-go/zun/driver"
)

// subscriber is one Events stream. Its queue is unbounded, so a slow
// reader never blocks the driver; its goroutine feeds the channel.
type subscriber struct {
	mu     sync.Mutex
	queue  []driver.Event
	broken error         // set by BreakEvents
	wake   chan struct{} // capacity 1
}

// Events streams every state change of the fake's containers (create,
// start, kill, die, stop, restart, pause, unpause, destroy) and whatever
// Emit injects, until ctx ends or BreakEvents breaks the stream.
func (d *Driver) Events(ctx context.Context) (<-chan driver.Event, <-chan error) {
	s := &subscriber{wake: make(chan struct{}, 1)}
	d.mu.Lock()
	d.subs[s] = struct{}{}
	d.mu.Unlock()

	out := make(chan driver.Event)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(out)
		defer func() {
			d.mu.Lock()
			delete(d.subs, s)
			d.mu.Unlock()
		}()
		for {
			s.mu.Lock()
			batch, broken := s.queue, s.broken
			s.queue = nil
			s.mu.Unlock()
			for _, ev := range batch {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			if broken != nil {
				errc <- broken
				return
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errc
}

// push queues ev for s.
func (s *subscriber) push(ev driver.Event) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// publish sends action on c to every stream and wakes c's log followers;
// d.mu is held.
func (d *Driver) publish(c *ctr, action string) {
	c.notify()
	if len(d.subs) == 0 {
		return
	}
	ev := driver.Event{ID: c.state.ID, UUID: driver.Owner(c.state.Labels), Action: action, Time: time.Now()}
	for s := range d.subs {
		s.push(ev)
	}
}

// Emit sends ev to every Events stream, as if the runtime had reported it.
func (d *Driver) Emit(ev driver.Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for s := range d.subs {
		s.push(ev)
	}
}

// BreakEvents ends every open Events stream with err, as an engine restart
// would; the streams deliver what they queued before it.
func (d *Driver) BreakEvents(err error) {
	if err == nil {
		err = errors.New("event stream broken")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for s := range d.subs {
		s.mu.Lock()
		s.broken = err
		s.mu.Unlock()
		s.signal()
		delete(d.subs, s)
	}
}

// Interface guards
var _ driver.EventWatcher = (*Driver)(nil)
