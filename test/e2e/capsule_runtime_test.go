package e2e

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/auth"
	zcontainer "github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
	"github.com/zun-go/zun/store"
)

// runtimeTemplate is a template of Zun's shape: metadata, spec with
// restartPolicy, initContainers, containers and volumes.
func runtimeTemplate(name, policy string, inits, containers []map[string]any, volumes ...map[string]any) map[string]any {
	spec := map[string]any{"restartPolicy": policy, "containers": containers}
	if len(inits) > 0 {
		spec["initContainers"] = inits
	}
	if len(volumes) > 0 {
		spec["volumes"] = volumes
	}
	return map[string]any{"kind": "capsule", "capsuleVersion": "beta", "metadata": map[string]any{"name": name}, "spec": spec}
}

// podShell is a template container of the demo image running script.
func podShell(name, script string, mounts ...map[string]any) map[string]any {
	c := map[string]any{"name": name, "image": demoimage.Ref, "command": []string{"sh", "-c", script},
		"imagePullPolicy": "IfNotPresent"}
	if len(mounts) > 0 {
		c["volumeMounts"] = mounts
	}
	return c
}

// engineLeft lists what compute host host left on the engine at
// dockerHost: its runtime containers and sandboxes, not its pool's.
func engineLeft(t *testing.T, dockerHost, host string) []string {
	t.Helper()
	list, err := requireDocker(t, dockerHost).ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelHost+"="+host))})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list {
		if !strings.HasPrefix(c.Names[0], "/zun-sandbox-pool-") {
			out = append(out, c.Names[0]+" "+c.State)
		}
	}
	return out
}

// TestCapsuleRuntime: capsules on a host with tenant networks, through
// the capsule API. An init container writes into a volume the others
// share; two containers talk over localhost; each finds its address at
// its first instruction (restart policy Never: a miss would stop it). A
// failing init container ends its capsule in Error naming it. A kill -9
// of the agent during a create or a delete loses and leaves nothing.
// Deleted, a capsule leaves nothing on the engine, and gives its
// addresses and quota back.
func TestCapsuleRuntime(t *testing.T) {
	requireDocker(t, "")
	engines := startEngines(t, 1)
	u := newUnderlay(t, engines)
	d := startZund(t, "", "--no-compute", "--host-down-after", "3s")
	cp := "http://" + proxy(t, u.root+":0", d.listen)
	const host = "cr-0"
	agent := startNetAgent(t, d, host, engines[0], cp, u.ips[0])
	c := apiClient(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	admin, err := c.ListCapsules(ctx, api.CapsuleListOptions{})
	if err != nil {
		t.Fatalf("list capsules: %v", err)
	}
	if len(admin.Capsules) != 0 {
		t.Fatalf("capsules before the test: %+v", admin.Capsules)
	}
	waitRunning := func(t *testing.T, uuid string) *api.Capsule {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		k, err := c.WaitCapsule(wctx, uuid, api.WaitOptions{}, "Running")
		if err != nil || k.Status != "Running" {
			t.Fatalf("capsule %s: %+v, %v; want Running", uuid, k, err)
		}
		return k
	}
	var recordsGone func(t *testing.T, uuid string)
	remove := func(t *testing.T, uuid string) {
		t.Helper()
		if err := c.DeleteCapsule(ctx, uuid); err != nil {
			t.Fatalf("delete capsule %s: %v", uuid, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := c.WaitCapsuleGone(wctx, uuid, api.WaitOptions{}); err != nil {
			t.Fatalf("capsule %s not gone: %v", uuid, err)
		}
		recordsGone(t, uuid)
	}
	// create creates a capsule that is deleted when the subtest ends,
	// passed or not, so that the next finds the engine clean.
	create := func(t *testing.T, tmpl map[string]any) *api.Capsule {
		t.Helper()
		k, err := c.CreateCapsule(ctx, tmpl)
		if err != nil {
			t.Fatalf("create capsule: %v", err)
		}
		t.Cleanup(func() {
			if c.DeleteCapsule(ctx, k.UUID) == nil {
				wctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				_ = c.WaitCapsuleGone(wctx, k.UUID, api.WaitOptions{})
			}
		})
		return k
	}
	portGone := func(t *testing.T, id string) bool {
		t.Helper()
		req, _ := http.NewRequest("GET", d.URL+"/network/v2.0/ports/"+id, nil)
		req.Header.Set("X-Auth-Token", d.adminToken(t))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusNotFound
	}
	// recordsGone checks that the store has no record of capsule uuid
	// left: neither its own nor its members' (the API shows neither).
	recordsGone = func(t *testing.T, uuid string) {
		t.Helper()
		all, err := store.Containers(d.db(t), store.ContainerOptions{}).List(auth.System(ctx), zcontainer.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.UUID == uuid || r.CapsuleID == uuid {
				t.Errorf("record %s (%s) of deleted capsule %s left in the store", r.UUID, r.Name, uuid)
			}
		}
	}
	data := map[string]any{"name": "data", "mountPath": "/data"}
	const needsNet = "ip -4 addr show eth0 | grep -q inet || exit 7; "

	t.Run("init, shared volume, localhost, address at first instruction", func(t *testing.T) {
		var with *api.QuotaUsage
		tmpl := runtimeTemplate("web", "Never",
			[]map[string]any{podShell("seed", needsNet+"echo seeded > /data/seed", data)},
			[]map[string]any{
				podShell("server", needsNet+"nc -l -p 8080 < /data/seed; sleep 3600", data),
				podShell("client", needsNet+"until nc 127.0.0.1 8080 < /dev/null > /tmp/got && [ -s /tmp/got ]; do sleep 0.2; done; sleep 3600"),
			},
			map[string]any{"name": "data", "cinder": map[string]any{"size": 1, "autoRemove": true}})
		start := time.Now()
		k := create(t, tmpl)
		k = waitRunning(t, k.UUID)
		t.Logf("create to Running (an init container, two containers, a new volume, a tenant port): %v", time.Since(start).Round(time.Millisecond))
		var err error
		if with, err = c.GetQuotaUsage(ctx, k.ProjectID); err != nil {
			t.Fatal(err)
		}
		if len(k.Containers) != 2 || len(k.InitContainers) != 1 {
			t.Fatalf("capsule members: %+v / %+v", k.InitContainers, k.Containers)
		}
		var ports []string
		for _, addrs := range k.Addresses {
			for _, a := range addrs {
				ports = append(ports, a.Port)
			}
		}
		if len(ports) == 0 {
			t.Fatalf("capsule has no address on a tenant network: %+v", k.Addresses)
		}
		client := k.Containers[1].UUID
		if !poll(30*time.Second, func() bool {
			out, _ := engineExec(t, engines[0].host, client, "cat", "/tmp/got")
			return strings.TrimSpace(out) == "seeded"
		}) {
			out, _ := engineExec(t, engines[0].host, client, "cat", "/tmp/got")
			t.Fatalf("the client read %q over localhost; want the seed the init container wrote", out)
		}
		// One namespace: the members see the capsule's address.
		for _, m := range k.Containers {
			out, _ := engineExec(t, engines[0].host, m.UUID, "ip", "-4", "addr", "show", "eth0")
			if want := k.Addresses[firstKey(k.Addresses)][0].Addr; !strings.Contains(out, want) {
				t.Errorf("member %s's eth0: %q; want the capsule's address %s", m.Name, out, want)
			}
		}
		start = time.Now()
		remove(t, k.UUID)
		t.Logf("delete to gone: %v", time.Since(start).Round(time.Millisecond))
		if left := engineLeft(t, engines[0].host, host); len(left) != 0 {
			t.Errorf("left on the engine after the delete: %v", left)
		}
		for _, p := range ports {
			if !portGone(t, p) {
				t.Errorf("port %s outlives its capsule", p)
			}
		}
		after, err := c.GetQuotaUsage(ctx, k.ProjectID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Containers.InUse != with.Containers.InUse-3 || after.Memory.InUse >= with.Memory.InUse {
			t.Errorf("quota in use after the delete: %+v; want the capsule's 3 containers and its memory back from %+v", after, with)
		}
	})

	t.Run("failing init container", func(t *testing.T) {
		tmpl := runtimeTemplate("bad", "Never",
			[]map[string]any{podShell("seed", "exit 3")},
			[]map[string]any{podShell("app", "sleep 3600")})
		k := create(t, tmpl)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		k, err := c.WaitCapsule(wctx, k.UUID, api.WaitOptions{}, "Running")
		if err != nil || k.Status != "Error" || !strings.Contains(k.StatusReason, "seed") || !strings.Contains(k.StatusReason, "3") {
			t.Fatalf("capsule: %+v, %v; want Error naming the init container seed and its exit code", k, err)
		}
		if app := k.Containers[0]; app.Status == "Running" {
			t.Errorf("container app ran after its init container failed: %+v", app)
		}
		remove(t, k.UUID)
		if left := engineLeft(t, engines[0].host, host); len(left) != 0 {
			t.Errorf("left on the engine after the delete: %v", left)
		}
	})

	t.Run("engine restart", func(t *testing.T) {
		// The engine starts the members by their policy; they cannot run
		// before the capsule's sandbox, which the agent starts, plugged.
		k := create(t, runtimeTemplate("phoenix", "Always", nil,
			[]map[string]any{podShell("one", needsNet+"echo net-ok; sleep 3600"), podShell("two", needsNet+"echo net-ok; sleep 3600")}))
		k = waitRunning(t, k.UUID)
		runs := func(name string) int {
			out, err := c.CapsuleLogs(ctx, k.UUID, name, api.LogOptions{Stdout: true, Stderr: true})
			if err != nil {
				return 0
			}
			return strings.Count(out, "net-ok")
		}
		for _, m := range []string{"one", "two"} {
			if !poll(30*time.Second, func() bool { return runs(m) >= 1 }) {
				t.Fatalf("container %s: no run with its network", m)
			}
		}
		engines[0].restart(t)
		for _, m := range []string{"one", "two"} {
			if !poll(60*time.Second, func() bool { return runs(m) >= 2 }) {
				got, _ := c.GetCapsule(ctx, k.UUID)
				t.Fatalf("container %s: %d runs with its network after the engine restarted; want 2 (capsule %s %s)", m, runs(m), got.Status, got.StatusReason)
			}
		}
		waitRunning(t, k.UUID)
		if n := sandboxes(t, engines[0].host); n != 1 {
			t.Errorf("%d sandboxes for one capsule; want 1", n)
		}
	})

	t.Run("delete mid-create", func(t *testing.T) {
		// Deleted while its container waits for the init container: the
		// wait ends, everything goes, nothing is left.
		tmpl := runtimeTemplate("midway", "Always",
			[]map[string]any{podShell("seed", "trap 'exit 0' TERM; sleep 30 & wait")},
			[]map[string]any{podShell("one", "trap 'exit 0' TERM; while true; do sleep 1; done")})
		k := create(t, tmpl)
		dc := requireDocker(t, engines[0].host)
		if !poll(30*time.Second, func() bool { return onEngine(t, dc, k.Containers[0].UUID) }) {
			t.Fatal("the capsule's container is not made after 30s")
		}
		if err := c.DeleteCapsule(ctx, k.UUID); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := c.WaitCapsuleGone(wctx, k.UUID, api.WaitOptions{}); err != nil {
			t.Fatalf("capsule not gone: %v", err)
		}
		recordsGone(t, k.UUID)
		if left := engineLeft(t, engines[0].host, host); len(left) != 0 {
			t.Errorf("left on the engine after the delete: %v", left)
		}
	})

	t.Run("agent killed during create and delete", func(t *testing.T) {
		// Killed while the containers wait for the init container (5 s);
		// then while the delete waits for container two's stop (its
		// shell ignores SIGTERM: the 10 s grace), one already gone.
		tmpl := runtimeTemplate("crash", "Always",
			[]map[string]any{podShell("seed", needsNet+"sleep 5")},
			[]map[string]any{
				podShell("one", needsNet+"trap 'exit 0' TERM; while true; do sleep 1; done"),
				podShell("two", needsNet+"sleep 3600"),
			})
		k := create(t, tmpl)
		if len(k.Containers) != 2 {
			t.Fatalf("capsule members: %+v", k.Containers)
		}
		one, two := k.Containers[0].UUID, k.Containers[1].UUID
		dc := requireDocker(t, engines[0].host)
		if !poll(30*time.Second, func() bool {
			return onEngine(t, dc, one) && onEngine(t, dc, two)
		}) {
			t.Fatal("the capsule's containers are not made after 30s")
		}
		if got, err := c.GetCapsule(ctx, k.UUID); err != nil || got.Status == "Running" {
			t.Fatalf("capsule %+v, %v; want it still waiting for its init container", got, err)
		}
		agent.stop(syscall.SIGKILL)
		agent.start()
		k = waitRunning(t, k.UUID)
		if n := sandboxes(t, engines[0].host); n != 1 {
			t.Errorf("%d sandboxes for one capsule; want 1", n)
		}
		if err := c.DeleteCapsule(ctx, k.UUID); err != nil {
			t.Fatal(err)
		}
		if !poll(30*time.Second, func() bool { return !onEngine(t, dc, one) }) {
			t.Fatal("container one is not removed after 30s")
		}
		if !onEngine(t, dc, two) || sandboxes(t, engines[0].host) != 1 {
			t.Fatal("container two or the sandbox gone with one: the delete is not in progress")
		}
		agent.stop(syscall.SIGKILL)
		agent.start()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := c.WaitCapsuleGone(wctx, k.UUID, api.WaitOptions{}); err != nil {
			t.Fatalf("capsule not gone: %v", err)
		}
		recordsGone(t, k.UUID)
		if left := engineLeft(t, engines[0].host, host); len(left) != 0 {
			t.Errorf("left on the engine after the delete: %v", left)
		}
	})
}

// onEngine reports whether the engine of cli has a runtime container of
// container uuid.
func onEngine(t *testing.T, cli *client.Client, uuid string) bool {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelUUID+"="+uuid))})
	if err != nil {
		t.Fatal(err)
	}
	return len(list) > 0
}

func firstKey(m map[string][]api.Address) string {
	for k := range m {
		return k
	}
	return ""
}
