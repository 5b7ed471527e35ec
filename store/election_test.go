package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// TestCampaign: one of two processes on the same etcd leads; the other
// takes over when the leader resigns and, with the lease's TTL, when the
// leader's process goes away without resigning.
func TestCampaign(t *testing.T) {
	db := dbtest.Open(t)
	a := db
	b, err := store.Open(context.Background(), store.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := store.Open(context.Background(), store.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	ta, err := a.Campaign(ctx, "scheduler", "a", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := b.Leader(ctx, "scheduler"); err != nil || id != "a" {
		t.Fatalf("leader = %q, %v; want a", id, err)
	}

	// b waits while a leads.
	won := make(chan *store.Term, 1)
	go func() {
		tb, err := b.Campaign(ctx, "scheduler", "b", time.Second)
		if err != nil {
			t.Error(err)
			close(won)
			return
		}
		won <- tb
	}()
	select {
	case <-won:
		t.Fatal("b leads while a does")
	case <-time.After(300 * time.Millisecond):
	}
	if err := ta.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	<-ta.Done()
	var tb *store.Term
	select {
	case tb = <-won:
	case <-time.After(5 * time.Second):
		t.Fatal("b did not take over after a resigned")
	}
	if tb == nil {
		t.FailNow()
	}
	if id, _ := a.Leader(ctx, "scheduler"); id != "b" {
		t.Fatalf("leader = %q, want b", id)
	}

	// b's process ends without resigning: its term ends, and c leads once
	// the lease expires.
	start := time.Now()
	won2 := make(chan error, 1)
	go func() {
		_, err := c.Campaign(ctx, "scheduler", "c", time.Second)
		won2 <- err
	}()
	b.Close()
	select {
	case <-tb.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("b's term did not end with its DB")
	}
	select {
	case err := <-won2:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("c did not take over from a vanished leader")
	}
	t.Logf("took over %v after the leader vanished", time.Since(start).Round(time.Millisecond))
	if id, _ := a.Leader(ctx, "scheduler"); id != "c" {
		t.Fatalf("leader = %q, want c", id)
	}
}

// TestCampaignAfterCrash: a process of an embedded member that crashed
// while leading is its own candidate when it starts again: it leads at
// once instead of waiting out its earlier run's lease. Another id's
// candidacy is left alone.
func TestCampaignAfterCrash(t *testing.T) {
	db := dbtest.Open(t)
	earlier, err := store.Open(context.Background(), store.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	// The earlier run leads with a long lease and never resigns.
	if _, err := earlier.Campaign(t.Context(), "scheduler", "http://127.0.0.1:9517", time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	term, err := db.Campaign(ctx, "scheduler", "http://127.0.0.1:9517", time.Minute)
	if err != nil {
		t.Fatalf("the restarted process did not take over its own candidacy: %v", err)
	}
	defer term.Resign(context.Background())

	// Someone else's candidacy is not this process's to drop.
	other, err := store.Open(context.Background(), store.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := term.Resign(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Campaign(t.Context(), "scheduler", "other", time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := db.Campaign(ctx, "scheduler", "http://127.0.0.1:9517", time.Minute); err == nil {
		t.Fatal("took the role from another process's candidacy")
	}
}
