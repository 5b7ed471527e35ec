package apiserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/apiserver/apitest"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/placement"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
)

const testImage = "zun/busybox:local"

// TestAPI runs the API behaviour suite in-process: real HTTP, real
// embedded etcd, the real agent, on the fake runtime.
func TestAPI(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = true
	ts, drv, db := newStackDB(t, cfg, nil)
	apitest.Run(t, apitest.Target{
		URL:               ts.URL,
		Image:             testImage,
		Admin:             true,
		RuntimeContainers: runtimeCount(drv),
		Revision:          revision(db),
		ChangedSince:      changedSince(db),
	})
}

// revision and changedSince show the store's writes to the quiescence
// test.
func revision(db *store.DB) func(t *testing.T) int64 {
	return func(t *testing.T) int64 {
		rev, err := db.Revision(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
}

func changedSince(db *store.DB) func(t *testing.T, rev int64) []string {
	return func(t *testing.T, rev int64) []string {
		keys, err := db.ChangedSince(t.Context(), rev)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
}

// runtimeCount counts the containers of the fake runtime.
func runtimeCount(drv *fake.Driver) func(t *testing.T) int {
	return func(t *testing.T) int {
		list, err := drv.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
}

// newStack starts the API, the store and one agent on the fake runtime.
func newStack(t *testing.T, cfg apiserver.Config, authn apiserver.Authenticator, opts ...func(*apiserver.Deps)) (*httptest.Server, *fake.Driver) {
	t.Helper()
	ts, drv, _ := newStackDB(t, cfg, authn, opts...)
	return ts, drv
}

// newStackDB is newStack that also returns the store.
func newStackDB(t *testing.T, cfg apiserver.Config, authn apiserver.Authenticator, opts ...func(*apiserver.Deps)) (*httptest.Server, *fake.Driver, *store.DB) {
	t.Helper()
	drv := fake.New(fake.Options{Images: []string{testImage}})
	ts, db := newStackOn(t, cfg, authn, drv, opts...)
	return ts, drv, db
}

// newStackOn is newStack on the runtime drv.
func newStackOn(t *testing.T, cfg apiserver.Config, authn apiserver.Authenticator, drv driver.Driver, opts ...func(*apiserver.Deps)) (*httptest.Server, *store.DB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cs := store.Containers(db, store.ContainerOptions{NameScope: "project"})
	quotas := store.Quotas(db, cs, quota.DefaultLimits())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hosts := apiserver.NewHostService(cs, cs, cs)
	agent := compute.New(compute.Config{Host: "host-1", SyncInterval: 200 * time.Millisecond}, drv, hosts, log)
	hosts.Attach("host-1", agent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = agent.Run(ctx)
	}()
	sched := scheduler.New(hosts)
	placed := make(chan struct{})
	go func() {
		defer close(placed)
		placement.New(placement.Config{}, sched, hosts, cs, cs, log).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done; <-placed })
	deps := apiserver.Deps{
		Auth:       authn,
		Containers: cs,
		Actions:    cs,
		Scheduler:  sched,
		Placements: hosts,
		Hosts:      hosts,
		Quotas:     quotas,
		Logger:     log,
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := apiserver.New(cfg, deps)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, db
}
