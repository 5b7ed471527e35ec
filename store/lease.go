package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/errdefs"
)

// A Lease is a time to live that keys are attached to: etcd deletes them
// when it expires without a renewal, whichever process granted it.
type Lease int64

// Grant makes a lease of ttl, rounded up to whole seconds (and to etcd's
// minimum, about 2s).
func (db *DB) Grant(ctx context.Context, ttl time.Duration) (Lease, error) {
	secs := int64((ttl + time.Second - 1) / time.Second)
	grant, err := db.client.Grant(ctx, max(secs, 1))
	if err != nil {
		return 0, unavailable(err)
	}
	return Lease(grant.ID), nil
}

// Renew starts lease l's time to live again; ErrNotFound when it has
// expired (its keys are gone).
func (db *DB) Renew(ctx context.Context, l Lease) error {
	_, err := db.client.KeepAliveOnce(ctx, clientv3.LeaseID(l))
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return errdefs.NotFoundf("lease %x has expired", int64(l))
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// PutLeased writes v at key, deleted when lease l expires.
func (db *DB) PutLeased(ctx context.Context, key string, v any, l Lease) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := db.client.Put(ctx, db.key(key), string(b), clientv3.WithLease(clientv3.LeaseID(l))); err != nil {
		return unavailable(err)
	}
	return nil
}

// NewestRevision is the store revision of the newest change to a key
// under prefix that still exists; 0 when there is none.
func (db *DB) NewestRevision(ctx context.Context, prefix string) (int64, error) {
	resp, err := db.client.Get(ctx, db.key(prefix), clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend), clientv3.WithLimit(1))
	if err != nil {
		return 0, unavailable(err)
	}
	if len(resp.Kvs) == 0 {
		return 0, nil
	}
	return resp.Kvs[0].ModRevision, nil
}
