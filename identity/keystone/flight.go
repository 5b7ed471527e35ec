package keystone

import (
	"context"
	"sync"
	"time"
)

// flightTimeout bounds one validation round trip (service authentication,
// validation and a retry), whoever waits for it.
const flightTimeout = 30 * time.Second

// flights makes concurrent validations of one token share one request to
// Keystone. The request runs detached from the first caller's context, so
// a caller that gives up does not fail the others; each caller stops
// waiting when its own context ends.
type flights struct {
	mu    sync.Mutex
	calls map[tokenKey]*call
}

type call struct {
	done    chan struct{}
	res     result
	waiters int // callers beyond the first, for tests
}

// do returns fn's result for key, running fn at most once at a time per
// key.
func (f *flights) do(ctx context.Context, key tokenKey, fn func(context.Context) result) (result, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = make(map[tokenKey]*call)
	}
	c, ok := f.calls[key]
	if ok {
		c.waiters++
	} else {
		c = &call{done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
			defer cancel()
			c.res = fn(fctx)
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.res, nil
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
}

// waiting returns how many callers share the flight of key beyond the
// first, or -1 when none is in flight.
func (f *flights) waiting(key tokenKey) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		return c.waiters
	}
	return -1
}
