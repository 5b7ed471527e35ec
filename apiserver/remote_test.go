package apiserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zun-go/zun/agentapi"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/apiserver/apitest"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store/dbtest"
)

// TestAPIRemoteAgent runs the API behaviour suite with the compute agent
// across the network: it watches, reports and heartbeats through the
// control plane's agent API, and answers logs, exec... on its own HTTP
// server, as an agent on another host does.
func TestAPIRemoteAgent(t *testing.T) {
	ts, drv := newRemoteStack(t)
	apitest.Run(t, apitest.Target{
		URL:               ts.URL,
		Image:             testImage,
		Admin:             true,
		RuntimeContainers: runtimeCount(drv),
	})
}

// newRemoteStack starts the API and one agent ("remote-1") that talks to
// it over the agent API, with the host registry and claims on.
func newRemoteStack(t *testing.T) (*httptest.Server, *fake.Driver) {
	const token = "shared-secret"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db := dbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := startPlane(t, controlplane.Config{Store: db, NameScope: "project", Scheduler: scheduler.Default(), Logger: log,
		Dial: func(addr string) apiserver.HostAPI { return agentapi.NewHostClient(addr, token, nil) }})
	cp := httptest.NewServer(agentapi.NewControlPlaneHandler(p.Agents, token))
	t.Cleanup(cp.Close)

	drv := fake.New(fake.Options{Images: []string{testImage}})
	hostSrv := httptest.NewUnstartedServer(nil)
	agent := compute.New(compute.Config{Host: "remote-1", SyncInterval: 200 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, Address: "http://" + hostSrv.Listener.Addr().String()},
		drv, agentapi.NewControlPlaneClient(cp.URL, token, nil), log)
	hostSrv.Config.Handler = agentapi.NewHostHandler(agent, token)
	hostSrv.Start()
	t.Cleanup(hostSrv.Close)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = agent.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })

	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = true
	ts := httptest.NewServer(apiserver.New(cfg, p.Deps()))
	t.Cleanup(ts.Close)
	// The host exists for the scheduler once it has heartbeaten.
	waitUp(t, p, 1)
	return ts, drv
}
