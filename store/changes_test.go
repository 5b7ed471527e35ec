package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// TestChanges: a signal at the start and after each write under the
// prefix; the channel closes when the context ends.
func TestChanges(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, dbtest.Open(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := store.Changes(ctx, db, "a/")
	receive := func(what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no signal %s", what)
		}
	}
	receive("at the start")
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"put", func() error { _, err := db.Txn().Put("a/1", host{Name: "1"}).Commit(ctx); return err }},
		{"update", func() error { _, err := db.Txn().Put("a/1", host{Name: "1", CPUs: 2}).Commit(ctx); return err }},
		{"delete", func() error { _, err := db.Txn().Delete("a/1").Commit(ctx); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.write(); err != nil {
				t.Fatal(err)
			}
			receive("after a " + tc.name)
		})
	}
	cancel()
	for range ch { // what is pending, then the end
	}
}
