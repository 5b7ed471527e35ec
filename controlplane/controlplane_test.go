package controlplane_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zun-go/zun/agentapi"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store/dbtest"
)

func TestNewNeedsAStore(t *testing.T) {
	if _, err := controlplane.New(controlplane.Config{Scheduler: scheduler.Default()}); err == nil {
		t.Fatal("New without a store: no error")
	}
}

// TestAssembly: one config gives the API every part, and an in-process
// agent on the fake runtime is up for the scheduler, reachable for direct
// calls, and shown in the host records.
func TestAssembly(t *testing.T) {
	db := dbtest.Open(t)
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default(), Sealer: nil,
		ImageDir: t.TempDir(), Agents: []controlplane.Agent{{
			Config: compute.Config{Host: "host-1", SyncInterval: 200 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond},
			Driver: fake.New(fake.Options{})}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	t.Cleanup(func() { cancel(); p.Wait() })

	d := p.Deps()
	for name, set := range map[string]bool{
		"Containers": d.Containers != nil, "Actions": d.Actions != nil, "Scheduler": d.Scheduler != nil,
		"Placements": d.Placements != nil, "Hosts": d.Hosts != nil, "Quotas": d.Quotas != nil,
		"HostRecords": d.HostRecords != nil, "Volumes": d.Volumes != nil, "Images": d.Images != nil,
		"ImageStore": d.ImageStore != nil, "Networks": d.Networks != nil, "Liveness": d.Liveness != nil,
		"Logger": d.Logger != nil,
	} {
		if !set {
			t.Errorf("Deps.%s not set", name)
		}
	}
	if d.Registries != nil {
		t.Error("Deps.Registries set without a sealer")
	}

	waitUp(t, p, "host-1")
	if _, err := p.Agents.Host("host-1"); err != nil {
		t.Errorf("Host(host-1): %v", err)
	}
	if _, err := p.Agents.Host("nowhere"); !errdefs.IsUnavailable(err) {
		t.Errorf("Host(nowhere): %v, want unavailable", err)
	}
	rec, err := p.HostRecords.Get(auth.System(ctx), "host-1")
	if err != nil || rec.Driver != "fake" {
		t.Errorf("host record: %+v, %v", rec, err)
	}
	if !d.Liveness.Up("host-1") || d.Liveness.Up("nowhere") {
		t.Error("Liveness: host-1 down or an unknown host up")
	}
}

func waitUp(t *testing.T, p *controlplane.Plane, name string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		states, err := p.Agents.HostStates(t.Context())
		if err == nil && len(states) == 1 && states[0].Name == name && states[0].Up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %s never up: %+v, %v", name, states, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHeartbeat: a heartbeat writes the host record only when the report
// changes (at rest, heartbeats only renew the lease), and a host is up
// while its lease lives.
func TestHeartbeat(t *testing.T) {
	db := dbtest.Open(t)
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.System(context.Background())
	info := compute.HostInfo{Name: "h1", Driver: "fake", Facts: driver.HostFacts{CPUs: 4, MemoryMiB: 1024, DiskGiB: 10}}
	beat := func(info compute.HostInfo) int64 {
		t.Helper()
		if err := p.Agents.Heartbeat(ctx, info); err != nil {
			t.Fatal(err)
		}
		rev, err := db.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	first := beat(info)
	if again := beat(info); again != first {
		t.Errorf("an unchanged heartbeat moved the revision %d -> %d", first, again)
	}
	info.NotReady = "engine down"
	if changed := beat(info); changed == first {
		t.Error("a changed heartbeat wrote nothing")
	}
	if err := p.HostRecords.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	states, err := p.Agents.HostStates(ctx)
	if err != nil || len(states) != 1 || !states[0].Up || states[0].NotReady != "engine down" || states[0].CPUs != 4 {
		t.Fatalf("states: %+v, %v", states, err)
	}
}

// TestAgentsOnlyOwnContainers: an agent cannot watch without a host name,
// and its reports and event records about containers of other hosts are
// refused as not found.
const uuid1 = "0b7ae7c4-8f5a-4d3e-9a51-2f4a6c1d9e01"

func TestAgentsOnlyOwnContainers(t *testing.T) {
	db := dbtest.Open(t)
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := auth.System(context.Background())
	c := &container.Container{UUID: uuid1, Name: "c1", ProjectID: "p", UserID: "u", Image: "busybox",
		Status: container.Creating, Host: "h1"}
	if err := p.Containers.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Agents.Watch(ctx, ""); !errdefs.IsInvalid(err) {
		t.Errorf("watch of no host: %v, want invalid", err)
	}
	for name, call := range map[string]func(host string) error{
		"report": func(host string) error {
			return p.Agents.Report(ctx, host, compute.Report{UUID: uuid1, Status: container.Running})
		},
		"start event": func(host string) error { return p.Agents.StartEvent(ctx, host, uuid1, "req-1", "compute__do_create") },
		"forget":      func(host string) error { return p.Agents.Forget(ctx, host, uuid1, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := call("h2"); !errdefs.IsNotFound(err) {
				t.Errorf("from another host: %v, want not found", err)
			}
		})
	}
	if err := p.Agents.Forget(ctx, "h1", uuid1, 0); !errdefs.IsConflict(err) {
		t.Errorf("forget of a container not being deleted, from its host: %v, want conflict", err)
	}
	if err := p.Agents.Report(ctx, "h1", compute.Report{UUID: uuid1, Status: container.Running}); err != nil {
		t.Errorf("report from its host: %v", err)
	}
	got, err := p.Containers.Get(ctx, uuid1)
	if err != nil || got.Status != container.Running {
		t.Errorf("after its host's report: %+v, %v", got, err)
	}
}

// TestHandler: the process's HTTP surface serves every service at its
// prefix, and the agent API refuses a caller without the shared secret.
func TestHandler(t *testing.T) {
	db := dbtest.Open(t)
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default(), ImageDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	api := apiserver.DefaultConfig()
	api.NoAuth = true
	srv := httptest.NewServer(p.Handler(controlplane.HTTPConfig{API: api, AgentToken: "0123456789abcdef0123"}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/v1/containers", http.StatusOK},
		{"/volume/v3/" + apiserver.DevPrincipal.ProjectID + "/volumes", http.StatusOK},
		{"/network/v2.0/networks", http.StatusOK},
		{"/image/v2/images", http.StatusOK},
		{"/identity/v3", http.StatusNotFound}, // no embedded identity configured
		{agentapi.ControlPlanePrefix + "hosts", http.StatusUnauthorized},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
			}
		})
	}
}
