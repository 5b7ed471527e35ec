package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/internal/demoimage"
)

// agentProc is a `zund --agent` process: one compute host.
type agentProc struct {
	t       *testing.T
	name    string
	docker  string
	args    []string
	logf    string
	dataDir string
	cmd     *exec.Cmd
	bin     string // what runs args; "": zund
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startAgent(t *testing.T, d *daemon, name, dockerHost string) *agentProc {
	t.Helper()
	zund, _ := binaries(t)
	a := &agentProc{t: t, name: name, docker: dockerHost, logf: filepath.Join(t.TempDir(), name+".log"), dataDir: dataDir(t)}
	a.args = []string{"--agent", "--host", name, "--control-plane", d.URL,
		"--internal-token-file", filepath.Join(d.DataDir, "internal-token"),
		"--agent-listen", freeAddr(t), "--docker-host", dockerHost, "--data-dir", a.dataDir,
		"--heartbeat-interval", "300ms", "--sync-interval", "1s",
		"--no-network"} // the agents share one network namespace here
	a.cmd = exec.Command(zund, a.args...)
	a.start()
	t.Cleanup(func() { a.stop(syscall.SIGTERM) })
	return a
}

func (a *agentProc) start() {
	a.t.Helper()
	f, err := os.OpenFile(a.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		a.t.Fatal(err)
	}
	bin := a.bin
	if bin == "" {
		bin, _ = binaries(a.t)
	}
	a.cmd = exec.Command(bin, a.args...)
	a.cmd.Stdout, a.cmd.Stderr = f, f
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	if !poll(30*time.Second, func() bool {
		b, _ := os.ReadFile(a.logf)
		return strings.Count(string(b), "assignments loaded") >= 1 && strings.Contains(string(b[strings.LastIndex(string(b), "compute agent started"):]), "assignments loaded")
	}) {
		b, _ := os.ReadFile(a.logf)
		a.t.Fatalf("agent %s did not start:\n%s", a.name, b)
	}
}

func (a *agentProc) stop(sig syscall.Signal) {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	_ = a.cmd.Process.Signal(sig)
	_ = a.cmd.Wait()
	a.cmd = nil
	if a.t.Failed() {
		b, _ := os.ReadFile(a.logf)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		a.t.Logf("agent %s log:\n%s", a.name, b)
	}
}

// startEngines starts n private engines at once, each with the demo
// image.
func startEngines(t *testing.T, n int) []*engine {
	t.Helper()
	engines := make([]*engine, n)
	var wg sync.WaitGroup
	for i := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			engines[i] = startEngine(t)
		}()
	}
	wg.Wait()
	for _, e := range engines {
		if e == nil {
			t.FailNow()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if _, err := demoimage.Ensure(ctx, e.host); err != nil {
			cancel()
			t.Fatalf("demo image on %s: %v", e.host, err)
		}
		cancel()
	}
	return engines
}

// TestMultiHost: one control plane and three compute hosts, each an agent
// with its own Docker Engine in its own network namespace. Containers
// spread over the hosts; an agent killed with -9 makes its host's
// containers Unknown, new containers go elsewhere, and when it comes back
// its containers are true again, with no duplicates in its engine.
func TestMultiHost(t *testing.T) {
	dc := requireDocker(t, "")
	engines := startEngines(t, 3)
	d := startZund(t, "", "--no-compute", "--host-down-after", "2s")
	agents := make([]*agentProc, len(engines))
	for i, e := range engines {
		agents[i] = startAgent(t, d, fmt.Sprintf("mh-%d", i), e.host)
	}
	c := apiClient(t, d)
	ctx := context.Background()
	run := func(name string) *api.Container {
		t.Helper()
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Name: name, Image: demoimage.Ref,
			Command: []string{"sleep", "3600"}}, true)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return waitStatus(t, c, ct.UUID, "Running")
	}
	perHost := func(cs []*api.Container) map[string]int {
		m := map[string]int{}
		for _, ct := range cs {
			m[hostOf(t, c, ct.UUID)]++
		}
		return m
	}

	var first []*api.Container
	for i := range 6 {
		first = append(first, run(fmt.Sprintf("spread-%d", i)))
	}
	if m := perHost(first); len(m) != 3 || m["mh-0"] != 2 || m["mh-1"] != 2 || m["mh-2"] != 2 {
		t.Fatalf("placement %v, want 2 on each host", m)
	}
	for i, e := range engines {
		if n := len(runtimeContainersOf(t, e.host, fmt.Sprintf("mh-%d", i))); n != 2 {
			t.Fatalf("engine of mh-%d runs %d containers, want 2", i, n)
		}
	}
	// Logs and exec reach the container through its host's agent.
	out, err := c.Execute(ctx, first[0].UUID, "echo through-the-agent")
	if err != nil || !strings.Contains(out.Output, "through-the-agent") {
		t.Fatalf("exec through a remote agent: %+v %v", out, err)
	}

	// kill -9 the agent of mh-1: its containers become Unknown.
	agents[1].stop(syscall.SIGKILL)
	onDown := []string{}
	for _, ct := range first {
		if hostOf(t, c, ct.UUID) == "mh-1" {
			onDown = append(onDown, ct.UUID)
		}
	}
	for _, id := range onDown {
		waitStatus(t, c, id, "Unknown")
	}
	// New containers avoid the down host.
	var second []*api.Container
	for i := range 2 {
		second = append(second, run(fmt.Sprintf("while-down-%d", i)))
	}
	if m := perHost(second); m["mh-1"] != 0 {
		t.Fatalf("placement while mh-1 is down: %v", m)
	}
	// The agent comes back: its containers are Running again, not
	// recreated.
	agents[1].start()
	for _, id := range onDown {
		waitStatus(t, c, id, "Running")
	}
	if n := len(runtimeContainersOf(t, engines[1].host, "mh-1")); n != 2 {
		t.Fatalf("engine of mh-1 runs %d containers after the agent's restart, want 2", n)
	}

	// The hosts and services APIs through the real client: every host is
	// listed with its engine's facts; a disabled host gets nothing new.
	zunBin, err := exec.LookPath("zun")
	if err != nil {
		if os.Getenv("ZUN_TEST_CLIENTS") != "" {
			t.Fatal("ZUN_TEST_CLIENTS is set but zun is not installed")
		}
		t.Skip("python3-zunclient is not installed")
	}
	zun := cli{t, zunBin, d.osEnv("admin", adminPassword, "admin")}
	if out := zun.must("host-list"); strings.Count(out, "mh-") != 3 {
		t.Fatalf("host-list:\n%s", out)
	}
	// Pages, as python-zunclient asks for them.
	firstPage := zun.must("host-list", "--limit", "1", "--sort-key", "hostname")
	if strings.Count(firstPage, "mh-") != 1 || !strings.Contains(firstPage, "mh-0") {
		t.Fatalf("host-list --limit 1:\n%s", firstPage)
	}
	var mh0 string
	for _, line := range strings.Split(firstPage, "\n") {
		if f := strings.Split(line, "|"); len(f) > 2 && strings.Contains(line, "mh-0") {
			mh0 = strings.TrimSpace(f[1])
		}
	}
	if rest := zun.must("host-list", "--marker", mh0, "--sort-key", "hostname"); strings.Count(rest, "mh-") != 2 || strings.Contains(rest, "mh-0") {
		t.Fatalf("host-list after mh-0 (%s):\n%s", mh0, rest)
	}
	if out := zun.must("service-list"); strings.Count(out, "| up ") != 3 || !strings.Contains(out, "zun-compute") {
		t.Fatalf("service-list:\n%s", out)
	}
	zun.must("service-disable", "--reason", "maintenance", "mh-0", "zun-compute")
	if out := zun.must("service-list"); !strings.Contains(out, "maintenance") {
		t.Fatalf("service-list after disable:\n%s", out)
	}
	var third []*api.Container
	for i := range 3 {
		third = append(third, run(fmt.Sprintf("while-disabled-%d", i)))
	}
	if m := perHost(third); m["mh-0"] != 0 {
		t.Fatalf("placement while mh-0 is disabled: %v", m)
	}
	zun.must("service-enable", "mh-0", "zun-compute")
	if out := zun.must("availability-zone-list"); !strings.Contains(out, "nova") {
		t.Fatalf("availability-zone-list:\n%s", out)
	}

	// A volume's data stays on the host of the container that wrote it;
	// the next container using the volume is placed there and reads it,
	// whatever the spread weigher would prefer.
	osBin := lookClient(t, "openstack")
	admin := cli{t, osBin, zun.env}
	admin.must("volume", "create", "--size", "1", "mh-vol")
	zun.must("run", "--name", "vol-writer", "--mount", "source=mh-vol,destination=/data", demoimage.Ref,
		"sh", "-c", "echo from-the-writer > /data/written-on")
	zun.waitStatus("Stopped", "show", "vol-writer")
	writtenOn := fmt.Sprint(zun.showJSON("show", "vol-writer")["host"])
	zun.must("delete", "vol-writer")
	if !poll(30*time.Second, func() bool { _, err := zun.run("show", "vol-writer"); return err != nil }) {
		t.Fatal("vol-writer was not deleted")
	}
	if h := admin.showJSON("volume", "show", "mh-vol")["os-vol-host-attr:host"]; h != writtenOn {
		t.Fatalf("volume's host %v, written on %s", h, writtenOn)
	}
	// Load the volume's host so that spreading alone would go elsewhere.
	for i := range 3 {
		zun.must("run", "--name", fmt.Sprintf("ballast-%d", i), "--host", writtenOn, demoimage.Ref, "sleep", "3600")
	}
	for i := range 3 {
		name := fmt.Sprintf("vol-reader-%d", i)
		zun.must("run", "--name", name, "--mount", "source=mh-vol,destination=/data", demoimage.Ref, "cat", "/data/written-on")
		zun.waitStatus("Stopped", "show", name)
		if h := fmt.Sprint(zun.showJSON("show", name)["host"]); h != writtenOn {
			t.Fatalf("%s ran on %s, its volume is on %s", name, h, writtenOn)
		}
		if out := zun.must("logs", name); !strings.Contains(out, "from-the-writer") {
			t.Fatalf("%s read %q from the volume", name, out)
		}
		zun.must("delete", name)
		if !poll(30*time.Second, func() bool { _, err := zun.run("show", name); return err != nil }) {
			t.Fatalf("%s was not deleted", name)
		}
	}
	// Deleting the volume deletes its data on its host.
	vol := fmt.Sprint(admin.showJSON("volume", "show", "mh-vol")["id"])
	admin.must("volume", "delete", "mh-vol")
	for i, a := range agents {
		if fmt.Sprintf("mh-%d", i) != writtenOn {
			continue
		}
		dir := filepath.Join(a.dataDir, "volumes", vol)
		if !poll(10*time.Second, func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) }) {
			t.Fatalf("the deleted volume's data is still in %s", dir)
		}
	}

	// An image of the image store runs on a host of its own engine: the
	// agent downloads the tarball from the control plane and loads it.
	tarball := filepath.Join(t.TempDir(), "mh.tar")
	saveAs(t, dc, "zun-e2e/mh-store:v1", tarball)
	admin.must("image", "create", "--container-format", "docker", "--disk-format", "raw", "--file", tarball, "mh-store")
	zun.must("run", "--image-driver", "glance", "--name", "mh-glance", "--host", "mh-2", "mh-store", "sleep", "3600")
	zun.waitStatus("Running", "show", "mh-glance")
	remote, err := client.NewClientWithOpts(client.WithHost(engines[2].host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	if _, _, err := remote.ImageInspectWithRaw(ctx, "zun-e2e/mh-store:v1"); err != nil {
		t.Fatalf("mh-2's engine did not load the stored image: %v", err)
	}
}

func hostOf(t *testing.T, c *api.Client, id string) string {
	t.Helper()
	ct, err := c.GetContainer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Host == "" {
		t.Fatalf("container %s has no host in the admin view", id)
	}
	return ct.Host
}

// runtimeContainersOf lists the containers an engine runs for a host.
func runtimeContainersOf(t *testing.T, dockerHost, host string) []container.Summary {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.WithHost(dockerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	d := &daemon{Host: host}
	return d.runtimeContainers(t, cli)
}
