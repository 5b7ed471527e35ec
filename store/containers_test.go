package store_test

import (
	"testing"

	"github.com/zun-go/zun/container/storetest"
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
