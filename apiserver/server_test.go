package apiserver_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/apiserver/apitest"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
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

// newStackOn is newStack on the runtime drv: the control plane as zund
// assembles it, with one in-process agent ("host-1").
func newStackOn(t *testing.T, cfg apiserver.Config, authn apiserver.Authenticator, drv driver.Driver, opts ...func(*apiserver.Deps)) (*httptest.Server, *store.DB) {
	t.Helper()
	db := dbtest.Open(t)
	p := startPlane(t, controlplane.Config{Store: db, NameScope: "project", Scheduler: scheduler.Default(),
		Agents: []controlplane.Agent{{Config: compute.Config{Host: "host-1", SyncInterval: 200 * time.Millisecond}, Driver: drv}}})
	deps := p.Deps()
	deps.Auth = authn
	for _, o := range opts {
		o(&deps)
	}
	srv := apiserver.New(cfg, deps)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, db
}

// startPlane assembles and starts a control plane until the test ends,
// and waits until its in-process agents are up for the scheduler.
func startPlane(t *testing.T, cfg controlplane.Config) *controlplane.Plane {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p, err := controlplane.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	t.Cleanup(func() { cancel(); p.Wait() })
	waitUp(t, p, len(cfg.Agents))
	return p
}

// waitUp waits until n hosts are up for the scheduler.
func waitUp(t *testing.T, p *controlplane.Plane, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		states, _ := p.Agents.HostStates(t.Context())
		up := 0
		for _, s := range states {
			if s.Up {
				up++
			}
		}
		if up == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d hosts up", up, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
