// Package dbtest opens throwaway stores for tests: an embedded etcd member
// in a temporary directory, and isolated handles on it under fresh key
// prefixes, so that many tests share one member's start-up cost.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/zun-go/zun/store"
)

// Open starts an embedded etcd member in a new temporary directory and
// returns a DB on it, closed and removed when the test ends. It skips
// fsync: tests do not survive power loss.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: TempDir(t), UnsafeNoFsync: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TempDir returns a new directory for a store's DataDir, removed when the
// test ends. Unlike t.TempDir its path is short enough for the member's
// Unix sockets whatever the test's name.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zunstore")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

var prefixes atomic.Int64

// Attach returns another DB on the etcd of db under a fresh key prefix,
// isolated from every other handle, closed when the test ends.
func Attach(t testing.TB, db *store.DB) *store.DB {
	t.Helper()
	sub, err := store.Open(context.Background(), store.Config{
		Endpoints: db.Endpoints(),
		Prefix:    fmt.Sprintf("/test-%d-%d", os.Getpid(), prefixes.Add(1)),
	})
	if err != nil {
		t.Fatalf("attach to store: %v", err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}
