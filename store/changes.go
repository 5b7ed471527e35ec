package store

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Changes signals on the channel it returns once at the start and after
// every change under the prefixes: what a level-triggered reader needs,
// which reads everything again on each signal. Signals coalesce (the
// channel holds one). A watch that fails starts again a second later
// from the newest revision, with one more signal, since changes may have
// been missed. The channel closes when ctx ends.
func Changes(ctx context.Context, db *DB, prefixes ...string) <-chan struct{} {
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	for _, prefix := range prefixes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if rev, err := db.Revision(ctx); err == nil {
					signal() // a read after it sees everything up to rev
					for b := range Watch[json.RawMessage](ctx, db, prefix, rev+1) {
						if b.Err != nil {
							db.logFor(ctx).Warn("watch for changes", "prefix", prefix, "error", b.Err)
							break
						}
						if len(b.Events) > 0 {
							signal()
						}
					}
				}
				sleep(ctx, time.Second)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
