package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
)

func apiClient(t *testing.T, d *daemon) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.Config{Endpoint: d.URL + "/v1", Auth: d.login("admin", adminPassword, "admin")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitStatus(t *testing.T, c *api.Client, id, status string) *api.Container {
	t.Helper()
	var last *api.Container
	if !poll(30*time.Second, func() bool {
		got, err := c.GetContainer(context.Background(), id)
		if err != nil {
			return false
		}
		last = got
		return got.Status == status && got.TaskState == ""
	}) {
		t.Fatalf("container %s: %+v, want status %s", id, last, status)
	}
	return last
}

// checkRuntimeMatches fails unless Docker holds exactly one container per
// record, and no container without a record.
func checkRuntimeMatches(t *testing.T, d *daemon, cli *client.Client, c *api.Client) {
	t.Helper()
	list, err := c.ListAllContainers(context.Background(), api.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]bool{}
	for _, ct := range list {
		records[ct.UUID] = true
	}
	ok := poll(20*time.Second, func() bool {
		seen := map[string]int{}
		for _, rc := range d.runtimeContainers(t, cli) {
			seen[rc.Labels[driver.LabelUUID]]++
		}
		for uuid, n := range seen {
			if n != 1 || !records[uuid] {
				return false
			}
		}
		for uuid := range records {
			if seen[uuid] != 1 {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("runtime containers do not match records one to one: records %v, runtime %v", records, d.runtimeContainers(t, cli))
	}
}

// TestCrashRecovery kills zund -9 in the middle of work and starts it
// again: every container, its status and its actions are kept, with no
// duplicate or orphan left in Docker.
func TestCrashRecovery(t *testing.T) {
	cli := requireDocker(t, "")
	d := startZund(t, "")
	c := apiClient(t, d)
	ctx := context.Background()

	running, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "keep-running", Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "keep-stopped", Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, running.UUID, "Running")
	waitStatus(t, c, stopped.UUID, "Running")
	if err := c.Stop(ctx, stopped.UUID, nil); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, stopped.UUID, "Stopped")

	// Work in flight when the daemon dies.
	var inflight []string
	for i := 0; i < 4; i++ {
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: fmt.Sprintf("inflight-%d", i), Command: []string{"sleep", "3600"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		inflight = append(inflight, ct.UUID)
	}
	d.stop(syscall.SIGKILL)

	// While it is down, a container dies behind its back.
	rc := d.runtimeContainers(t, cli)
	for _, x := range rc {
		if x.Labels[driver.LabelUUID] == running.UUID {
			if err := cli.ContainerKill(ctx, x.ID, "KILL"); err != nil {
				t.Fatal(err)
			}
		}
	}

	d.start()
	c = apiClient(t, d)
	for _, id := range inflight {
		waitStatus(t, c, id, "Running")
	}
	waitStatus(t, c, stopped.UUID, "Stopped")
	got := waitStatus(t, c, running.UUID, "Stopped")
	if !strings.HasPrefix(got.StatusDetail, "Exited(137)") {
		t.Fatalf("container killed while zund was down: detail %q, want Exited(137)", got.StatusDetail)
	}
	actions, err := c.ListActions(ctx, stopped.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(actions) != 2 {
		t.Fatalf("actions of %s after restart: %+v, want create and stop", stopped.UUID, actions)
	}
	checkRuntimeMatches(t, d, cli, c)

	// Delete everything; nothing is left behind.
	list, _ := c.ListAllContainers(ctx, api.ListOptions{})
	for _, ct := range list {
		if err := c.DeleteContainer(ctx, ct.UUID, api.DeleteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if !poll(30*time.Second, func() bool { return len(d.runtimeContainers(t, cli)) == 0 }) {
		t.Fatalf("runtime containers left after delete: %v", d.runtimeContainers(t, cli))
	}
}

// TestDockerRestart restarts the Docker Engine under a running zund: the
// agent reconnects and every record's status is true again within seconds.
// It runs its own engine so the machine's one is not disturbed.
func TestDockerRestart(t *testing.T) {
	requireDocker(t, "")
	if os.Getuid() != 0 {
		t.Skip("starting a private Docker Engine needs root")
	}
	eng := startEngine(t)
	cli := requireDocker(t, eng.host)
	d := startZund(t, eng.host)
	c := apiClient(t, d)
	ctx := context.Background()

	always, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "always",
		Command: []string{"sleep", "3600"}, RestartPolicy: &api.RestartPolicy{Name: "always"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "plain", Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, always.UUID, "Running")
	waitStatus(t, c, plain.UUID, "Running")

	eng.restart(t)

	waitStatus(t, c, always.UUID, "Running")
	waitStatus(t, c, plain.UUID, "Stopped")
	checkRuntimeMatches(t, d, cli, c)
	// The agent's event stream works again: a stop shows within seconds.
	if err := c.Stop(ctx, always.UUID, nil); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, always.UUID, "Stopped")
}

// engine is a private dockerd in its own network namespace, so that
// starting and stopping it never touches the host's docker0.
type engine struct {
	dir   string
	host  string
	netns string
	cmd   *exec.Cmd
}

func startEngine(t *testing.T) *engine {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "zun-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	e := &engine{dir: dir, host: "unix://" + filepath.Join(dir, "docker.sock"), netns: filepath.Base(dir)}
	if out, err := exec.Command("ip", "netns", "add", e.netns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	_ = exec.Command("nsenter", "--net=/var/run/netns/"+e.netns, "ip", "link", "set", "lo", "up").Run()
	t.Cleanup(func() {
		e.kill()
		_ = exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
		_ = exec.Command("ip", "netns", "del", e.netns).Run()
		os.RemoveAll(dir)
	})
	e.start(t)
	return e
}

func (e *engine) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(e.dir, "dockerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	e.cmd = exec.Command("nsenter", "--net=/var/run/netns/"+e.netns, "dockerd",
		"--host", e.host,
		"--data-root", filepath.Join(e.dir, "root"),
		"--exec-root", filepath.Join(e.dir, "exec"),
		"--pidfile", filepath.Join(e.dir, "docker.pid"),
		"--bridge", "none", "--iptables=false", "--ip-masq=false")
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !poll(60*time.Second, func() bool {
		hc := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (netConn, error) {
			return dialUnix(ctx, filepath.Join(e.dir, "docker.sock"))
		}}}
		res, err := hc.Get("http://docker/_ping")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}) {
		b, _ := os.ReadFile(filepath.Join(e.dir, "dockerd.log"))
		t.Fatalf("private dockerd did not start:\n%s", b)
	}
}

func (e *engine) kill() {
	if e.cmd != nil && e.cmd.Process != nil {
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = e.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = e.cmd.Process.Kill()
			<-done
		}
	}
}

func (e *engine) restart(t *testing.T) {
	t.Helper()
	e.kill()
	e.start(t)
}
