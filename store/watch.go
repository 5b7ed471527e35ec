package store

import (
	"context"
	"errors"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/errdefs"
)

// ErrCompacted ends a watch whose start revision is older than the history
// etcd keeps. List again and watch from the revision after the list.
var ErrCompacted = errors.New("store: watch history compacted")

// Event is one change to a key.
type Event[T any] struct {
	// Item is the value after the change; for a delete, the last value
	// stored, with its own revisions.
	Item    Item[T]
	Deleted bool
	// Revision is the store revision of the change.
	Revision int64
}

// Batch is the changes of one watch response, in store order.
type Batch[T any] struct {
	Events []Event[T]
	// Revision is the newest revision of the batch: every change under
	// the prefix up to it has been delivered. Resume from Revision+1.
	Revision int64
	// Err, in the last batch, says why the watch ended before its ctx did:
	// ErrCompacted, or an errdefs.ErrUnavailable when etcd failed (lost
	// its leader, went away). Watch again from Revision+1 of the last
	// batch that had no Err, or List again after ErrCompacted.
	Err error
}

// Watch sends every change under prefix from store revision from on, in
// order, one Batch per etcd response. The channel closes when ctx ends or
// after a Batch with Err; to stop reading earlier, cancel ctx. Values that
// do not decode are logged and skipped.
func Watch[T any](ctx context.Context, db *DB, prefix string, from int64) <-chan Batch[T] {
	out := make(chan Batch[T])
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch := db.client.Watch(ctx, db.key(prefix), clientv3.WithPrefix(), clientv3.WithRev(from), clientv3.WithPrevKV())
	go func() {
		defer close(out)
		defer cancel()
		send := func(b Batch[T]) bool {
			select {
			case out <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for resp := range wch {
			err := resp.Err()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if resp.CompactRevision != 0 {
					err = ErrCompacted
				} else {
					err = errdefs.Unavailablef("etcd watch: %w", err)
				}
				send(Batch[T]{Err: err})
				return
			}
			if len(resp.Events) == 0 && !resp.IsProgressNotify() {
				continue // the watch's created notice
			}
			b := Batch[T]{Revision: resp.Header.Revision}
			if n := len(resp.Events); n > 0 {
				b.Revision = resp.Events[n-1].Kv.ModRevision
			}
			for _, ev := range resp.Events {
				e := Event[T]{Deleted: ev.Type == clientv3.EventTypeDelete, Revision: ev.Kv.ModRevision}
				kv := ev.Kv
				if e.Deleted {
					kv = ev.PrevKv
				}
				if kv != nil {
					e.Item, err = decode[T](db, kv.Key, kv.Value, kv.ModRevision, kv.CreateRevision)
				}
				if kv == nil || err != nil {
					if err != nil {
						db.log.Error("undecodable change", "key", string(ev.Kv.Key), "error", err)
					}
					if !e.Deleted {
						continue
					}
					e.Item = Item[T]{Key: db.rel(ev.Kv.Key)} // a delete: the key is enough
				}
				b.Events = append(b.Events, e)
			}
			if !send(b) {
				return
			}
		}
		if ctx.Err() == nil {
			send(Batch[T]{Err: errdefs.Unavailablef("etcd watch closed")})
		}
	}()
	return out
}
