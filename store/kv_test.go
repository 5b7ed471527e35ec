package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

type host struct {
	Name string `json:"name"`
	CPUs int    `json:"cpus"`
}

func TestTxn(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx := context.Background()
	rev, err := db.Txn().Create("hosts/a", host{"a", 4}).Create("hosts/b", host{"b", 8}).Commit(ctx)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	a, err := store.Get[host](ctx, db, "hosts/a")
	if err != nil || a.Value != (host{"a", 4}) || a.Revision != rev || a.CreateRevision != rev {
		t.Fatalf("get: %+v %v, want a at revision %d", a, err, rev)
	}
	tests := []struct {
		name     string
		txn      *store.Txn
		conflict []string // nil: commits
	}{
		{"create over a present key", db.Txn().Create("hosts/a", host{}).Create("hosts/c", host{}), []string{"hosts/a"}},
		{"swap at an old revision", db.Txn().Swap("hosts/a", host{"a", 5}, rev-1).Put("hosts/c", host{}), []string{"hosts/a"}},
		{"two failed conditions", db.Txn().Require("hosts/a", 0).Require("hosts/b", 1), []string{"hosts/a", "hosts/b"}},
		{"exists on an absent key", db.Txn().Exists("hosts/zz").Put("hosts/c", host{}), []string{"hosts/zz"}},
		{"swap at the current revision", db.Txn().Exists("hosts/b").Swap("hosts/a", host{"a", 5}, rev), nil},
	}
	for _, tt := range tests {
		_, err := tt.txn.Commit(ctx)
		var conflict *store.ConflictError
		switch {
		case tt.conflict == nil && err != nil:
			t.Fatalf("%s: %v", tt.name, err)
		case tt.conflict != nil && (!errors.As(err, &conflict) || !slices.Equal(conflict.Keys, tt.conflict) || !errdefs.IsConflict(err)):
			t.Fatalf("%s: got %v, want a conflict on %v", tt.name, err, tt.conflict)
		}
	}
	if _, err := store.Get[host](ctx, db, "hosts/c"); !errdefs.IsNotFound(err) {
		t.Fatalf("a failed txn wrote: got %v, want ErrNotFound", err)
	}
	if _, err := db.Txn().DeletePrefix("hosts/").Commit(ctx); err != nil {
		t.Fatalf("delete prefix: %v", err)
	}
	if items, _, err := store.List[host](ctx, db, "hosts/"); err != nil || len(items) != 0 {
		t.Fatalf("list after delete: %v %v", items, err)
	}
}

func TestListPages(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx := context.Background()
	const n = 1234 // more than one page
	for i := 0; i < n; i += 100 {
		txn := db.Txn()
		for j := i; j < min(i+100, n); j++ {
			txn.Put(fmt.Sprintf("hosts/%05d", j), host{CPUs: j})
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatalf("put: %v", err)
		}
	}
	items, rev, err := store.List[host](ctx, db, "hosts/")
	if err != nil || len(items) != n || rev == 0 {
		t.Fatalf("list: %d items at %d, %v; want %d", len(items), rev, err, n)
	}
	for i, it := range items {
		if it.Value.CPUs != i {
			t.Fatalf("item %d is %s, want key order", i, it.Key)
		}
	}
}

func TestUpdateRetries(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx := context.Background()
	if _, err := db.Txn().Create("hosts/a", host{"a", 0}).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	calls := 0
	it, err := store.Update(ctx, db, "hosts/a", func(h *host) error {
		calls++
		if calls == 1 { // someone else writes in between
			if _, err := db.Txn().Put("hosts/a", host{"a", 10}).Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		h.CPUs++
		return nil
	})
	if err != nil || calls != 2 || it.Value.CPUs != 11 {
		t.Fatalf("update: %+v %v after %d calls, want 11 after 2", it.Value, err, calls)
	}
	if _, err := store.Update(ctx, db, "hosts/none", func(*host) error { return nil }); !errdefs.IsNotFound(err) {
		t.Fatalf("update of a missing key: got %v, want ErrNotFound", err)
	}
}

func TestWatchResume(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var revs []int64
	for _, name := range []string{"a", "b", "c"} {
		rev, err := db.Txn().Put("hosts/"+name, host{Name: name}).Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, rev)
	}
	if _, err := db.Txn().Delete("hosts/a").Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Resume after the first write: b, c, then the delete of a.
	var got []string
	for b := range store.Watch[host](ctx, db, "hosts/", revs[0]+1) {
		if b.Err != nil {
			t.Fatalf("watch: %v", b.Err)
		}
		for _, ev := range b.Events {
			got = append(got, ev.Item.Value.Name+map[bool]string{true: "-", false: "+"}[ev.Deleted])
		}
		if len(got) >= 3 {
			break
		}
	}
	if want := []string{"b+", "c+", "a-"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestWatchCompacted(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx := context.Background()
	first, err := db.Txn().Put("hosts/a", host{}).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last, err := db.Txn().Put("hosts/a", host{CPUs: 1}).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Compact(ctx, last); err != nil {
		t.Fatalf("compact: %v", err)
	}
	var batches []store.Batch[host]
	for b := range store.Watch[host](ctx, db, "hosts/", first) {
		batches = append(batches, b)
	}
	if len(batches) != 1 || !errors.Is(batches[0].Err, store.ErrCompacted) {
		t.Fatalf("got %+v, want one batch with ErrCompacted", batches)
	}
}
