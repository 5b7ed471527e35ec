package store_test

import (
	"testing"

	"github.com/zun-go/zun/container/storetest"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// TestContainerStore runs the container store conformance suite on one
// embedded etcd member, each store under its own key prefix.
func TestContainerStore(t *testing.T) {
	db := dbtest.Open(t)
	storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Stores {
		s := store.Containers(dbtest.Attach(t, db), store.ContainerOptions{NameScope: opts.NameScope})
		return storetest.Stores{Containers: s, Actions: s, Watcher: s}
	})
}

// TestContainerStoreWithQuotas: counting usage in every write changes
// nothing else.
func TestContainerStoreWithQuotas(t *testing.T) {
	db := dbtest.Open(t)
	storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Stores {
		sub := dbtest.Attach(t, db)
		s := store.Containers(sub, store.ContainerOptions{NameScope: opts.NameScope})
		s.Join(store.Quotas(sub, s, quota.Limits{quota.Containers: -1, quota.CPU: -1, quota.Memory: -1, quota.Disk: -1}))
		return storetest.Stores{Containers: s, Actions: s, Watcher: s}
	})
}
