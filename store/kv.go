package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/errdefs"
)

// This file and txn.go, watch.go are the typed layer every domain store
// builds on: JSON values under keys relative to the DB's prefix, read with
// Get and List, written with a Txn, followed with Watch.

// listPage is how many keys List reads per request.
const listPage = 500

// Item is a stored value with its etcd revisions.
type Item[T any] struct {
	// Key is relative to the DB's prefix.
	Key   string
	Value T
	// Revision is the store revision of the value's last change (etcd's
	// ModRevision); pass it to Txn.Require or Txn.Swap to compare-and-swap.
	Revision int64
	// CreateRevision is the store revision that created the key; it
	// orders keys by creation.
	CreateRevision int64
}

// Get returns the value at key; ErrNotFound when there is none.
func Get[T any](ctx context.Context, db *DB, key string) (Item[T], error) {
	resp, err := db.client.Get(ctx, db.key(key))
	if err != nil {
		return Item[T]{}, unavailable(err)
	}
	if len(resp.Kvs) == 0 {
		return Item[T]{}, errdefs.NotFoundf("key %s not found", key)
	}
	return decode[T](db, resp.Kvs[0].Key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision, resp.Kvs[0].CreateRevision)
}

// List returns every value under prefix, in key order, as of one store
// revision, which it returns too: Watch from the revision after it to
// follow every later change. Values that do not decode are logged and
// skipped, so one bad record cannot hide the others.
func List[T any](ctx context.Context, db *DB, prefix string) ([]Item[T], int64, error) {
	return ListAt[T](ctx, db, prefix, 0)
}

// ListAt is List as of store revision rev; 0 is the newest.
func ListAt[T any](ctx context.Context, db *DB, prefix string, rev int64) ([]Item[T], int64, error) {
	var (
		items []Item[T]
		from  = db.key(prefix)
		end   = clientv3.GetPrefixRangeEnd(from)
	)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(listPage)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := db.client.Get(ctx, from, opts...)
		if err != nil {
			return nil, 0, unavailable(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			it, err := decode[T](db, kv.Key, kv.Value, kv.ModRevision, kv.CreateRevision)
			if err != nil {
				db.logFor(ctx).Error("skip undecodable record", "key", string(kv.Key), "error", err)
				continue
			}
			items = append(items, it)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return items, rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// Update applies fn to the value at key and stores the result if the key
// did not change in between, else retries with the newer value. fn may run
// more than once; an error from it aborts the update and is returned.
func Update[T any](ctx context.Context, db *DB, key string, fn func(*T) error) (Item[T], error) {
	for attempt := 0; ; attempt++ {
		it, err := Get[T](ctx, db, key)
		if err != nil {
			return Item[T]{}, err
		}
		before, err := json.Marshal(&it.Value)
		if err != nil {
			return Item[T]{}, err
		}
		if err := fn(&it.Value); err != nil {
			return Item[T]{}, err
		}
		if after, err := json.Marshal(&it.Value); err == nil && bytes.Equal(before, after) {
			return it, nil // unchanged: nothing to write
		}
		rev, err := db.Txn().Swap(key, it.Value, it.Revision).Commit(ctx)
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			if err := Backoff(ctx, attempt); err != nil {
				return Item[T]{}, err
			}
			continue
		}
		if err != nil {
			return Item[T]{}, err
		}
		it.Revision = rev
		return it, nil
	}
}

func decode[T any](db *DB, key, value []byte, rev, createRev int64) (Item[T], error) {
	it := Item[T]{Key: db.rel(key), Revision: rev, CreateRevision: createRev}
	if err := json.Unmarshal(value, &it.Value); err != nil {
		return Item[T]{}, fmt.Errorf("decode %s: %w", it.Key, err)
	}
	return it, nil
}

// unavailable wraps an etcd error: the store could not be reached or did
// not answer in time. The cause stays in the chain, so a cancelled
// context is still context.Canceled.
func unavailable(err error) error {
	return errdefs.Unavailablef("etcd: %w", err)
}
