package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
)

// sandboxes counts the sandboxes of containers on the engine at
// dockerHost (not those of the agent's pool, ready for the next ones).
func sandboxes(t *testing.T, dockerHost string) int {
	t.Helper()
	list, err := requireDocker(t, dockerHost).ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelSandbox))})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list {
		if !strings.HasPrefix(c.Names[0], "/zun-sandbox-pool-") {
			n++
		}
	}
	return n
}

// needsNet is a program that fails with 7 at its first instruction unless
// its interface has its address, then says so and runs on.
func needsNet(then string) []string {
	return []string{"sh", "-c", "ip -4 addr show eth0 | grep -q inet || exit 7; echo net-ok; " + then}
}

// TestNetworkBeforeProcess: a container on a tenant network has its
// address before its first instruction, at every start: the first (20
// containers), reboots, stops and starts, restarts by its restart policy,
// a restart of its host's agent and of its host's engine.
func TestNetworkBeforeProcess(t *testing.T) {
	requireDocker(t, "")
	engines := startEngines(t, 1)
	u := newUnderlay(t, engines)
	d := startZund(t, "", "--no-compute", "--host-down-after", "3s")
	cp := "http://" + proxy(t, u.root+":0", d.listen)
	agent := startNetAgent(t, d, "nb-0", engines[0], cp, u.ips[0])
	c := apiClient(t, d)
	ctx := context.Background()

	run := func(name string, cmd []string, policy *api.RestartPolicy) *api.Container {
		t.Helper()
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Name: name, Image: demoimage.Ref, Command: cmd,
			RestartPolicy: policy}, true)
		if err != nil {
			t.Fatalf("run %s: %v", name, err)
		}
		return ct
	}
	// netOK counts the runs of a container that found its address (one
	// that did not ended the container, with 7, before saying so).
	netOK := func(uuid string) int {
		t.Helper()
		ct, err := c.GetContainer(ctx, uuid)
		if err != nil {
			t.Fatal(err)
		}
		if ct.Status == "Error" {
			t.Fatalf("%s: Error: %s", ct.Name, ct.StatusReason)
		}
		out, err := c.Logs(ctx, uuid, api.LogOptions{Stdout: true, Stderr: true})
		if err != nil {
			return 0 // not in this state (Restarting): asked again
		}
		return strings.Count(out, "net-ok")
	}
	waitRuns := func(uuid string, n int) {
		t.Helper()
		if !poll(60*time.Second, func() bool { return netOK(uuid) >= n }) {
			ct, _ := c.GetContainer(ctx, uuid)
			t.Fatalf("container %s: %d runs with the network, want %d (now %s %s)", uuid, netOK(uuid), n, ct.Status, ct.StatusReason)
		}
	}

	t.Run("first start", func(t *testing.T) {
		var uuids []string
		for i := range 20 {
			uuids = append(uuids, run(fmt.Sprintf("first-%d", i), needsNet("sleep 3600"), nil).UUID)
		}
		for _, uuid := range uuids {
			waitStatus(t, c, uuid, "Running")
			waitRuns(uuid, 1)
		}
		// Deleted, they leave no sandbox behind (and make room in the
		// project's quota).
		for _, uuid := range uuids {
			if err := c.DeleteContainer(ctx, uuid, api.DeleteOptions{Force: true}); err != nil {
				t.Fatal(err)
			}
		}
		if !poll(60*time.Second, func() bool {
			for _, uuid := range uuids {
				if _, err := c.GetContainer(ctx, uuid); err == nil {
					return false
				}
			}
			return true
		}) {
			t.Fatal("the containers are not deleted after 60s")
		}
		if n := sandboxes(t, engines[0].host); n != 0 {
			t.Fatalf("%d sandboxes left after deleting their containers", n)
		}
	})

	long := run("long", needsNet("sleep 3600"), nil)
	waitStatus(t, c, long.UUID, "Running")
	runs := 1
	waitRuns(long.UUID, runs)
	t.Run("reboot", func(t *testing.T) {
		for range 5 {
			if err := c.Reboot(ctx, long.UUID, new(int)); err != nil {
				t.Fatal(err)
			}
			runs++
			waitRuns(long.UUID, runs)
			waitStatus(t, c, long.UUID, "Running")
		}
	})
	t.Run("stop and start", func(t *testing.T) {
		for range 5 {
			if err := c.Stop(ctx, long.UUID, new(int)); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c, long.UUID, "Stopped")
			if err := c.Start(ctx, long.UUID); err != nil {
				t.Fatal(err)
			}
			runs++
			waitRuns(long.UUID, runs)
			waitStatus(t, c, long.UUID, "Running")
		}
	})
	t.Run("restart policy", func(t *testing.T) {
		// Exits 3 after each run: the engine starts it again, 5 times.
		ct := run("flaky", needsNet("sleep 1; exit 3"), &api.RestartPolicy{Name: "on-failure", MaximumRetryCount: "5"})
		waitRuns(ct.UUID, 6)
	})
	t.Run("agent restart", func(t *testing.T) {
		agent.stop(syscall.SIGKILL)
		agent.start()
		if err := c.Reboot(ctx, long.UUID, new(int)); err != nil {
			t.Fatal(err)
		}
		runs++
		waitRuns(long.UUID, runs)
		waitStatus(t, c, long.UUID, "Running")
	})
	t.Run("engine restart", func(t *testing.T) {
		always := run("always", needsNet("sleep 3600"), &api.RestartPolicy{Name: "always"})
		waitRuns(always.UUID, 1)
		engines[0].restart(t)
		// The engine starts it by its policy; it cannot run before its
		// sandbox, which the agent starts, plugged.
		waitRuns(always.UUID, 2)
		waitStatus(t, c, always.UUID, "Running")
	})
}
