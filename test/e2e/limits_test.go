package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestContainerLimits checks on the real engine that one container cannot
// take the host down: a fork bomb stops at its process limit, a log flood
// at the log cap, and a container's disk is either its root filesystem's
// size or, where the storage driver cannot cap it, refused with the
// reason; meanwhile the host and another container work.
func TestContainerLimits(t *testing.T) {
	cli := requireDocker(t, "")
	const logSize, logFiles = 1 << 20, 2
	d := startZund(t, "", "--log-max-size", "1m", "--log-max-files", fmt.Sprint(logFiles))
	c := apiClient(t, d)
	ctx := context.Background()
	run := func(req api.CreateContainer) *api.Container {
		t.Helper()
		req.Image = demoimage.Ref
		ct, err := c.CreateContainer(ctx, req, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.DeleteContainer(context.Background(), ct.UUID, api.DeleteOptions{Force: true}) })
		return ct
	}
	neighbour := run(api.CreateContainer{Command: []string{"sleep", "3600"}})
	waitStatus(t, c, neighbour.UUID, "Running")
	// alive checks that the host and the neighbour still work.
	alive := func(t *testing.T) {
		t.Helper()
		if res, err := c.Execute(ctx, neighbour.UUID, "echo alive"); err != nil || res.Output != "alive\n" {
			t.Fatalf("the neighbour container: %+v, %v", res, err)
		}
		if out, err := exec.Command("sh", "-c", "echo host-alive").CombinedOutput(); err != nil {
			t.Fatalf("the host cannot start a process: %v %s", err, out)
		}
	}

	t.Run("default pids limit", func(t *testing.T) {
		if got := runtimeInspect(t, cli, neighbour.UUID).HostConfig.PidsLimit; got == nil || *got != 2048 {
			t.Fatalf("a container without a limit of its own: pids limit %v, want the default 2048", got)
		}
	})
	t.Run("fork bomb", func(t *testing.T) {
		const limit = 200
		bomb := run(api.CreateContainer{CPU: 0.5, Labels: map[string]string{driver.LabelPidsLimit: fmt.Sprint(limit)},
			Command: []string{"sh", "-c", "b() { b | b & }; b; sleep 3600"}})
		waitStatus(t, c, bomb.UUID, "Running")
		id := runtimeInspect(t, cli, bomb.UUID).ID
		// The bomb presses on its limit (its processes die and fork again,
		// so the count moves below it) and never gets past.
		var pids, most uint64
		pressing := func() bool {
			pids = currentPids(t, cli, id)
			if pids > limit {
				t.Fatalf("the fork bomb has %d processes, above its limit %d", pids, limit)
			}
			most = max(most, pids)
			return false
		}
		if !poll(20*time.Second, func() bool { pressing(); return most >= limit*3/4 }) {
			t.Fatalf("the fork bomb reached %d processes, want it to press on its limit %d", most, limit)
		}
		poll(time.Second, pressing)
		t.Logf("the fork bomb: at most %d processes seen, limit %d", most, limit)
		alive(t)
		if err := c.DeleteContainer(ctx, bomb.UUID, api.DeleteOptions{Force: true}); err != nil {
			t.Fatalf("delete the fork bomb: %v", err)
		}
		waitDeleted(t, c, bomb.UUID)
	})
	t.Run("pids limit above the maximum", func(t *testing.T) {
		ct := run(api.CreateContainer{Labels: map[string]string{driver.LabelPidsLimit: "100000"}, Command: []string{"true"}})
		got := waitStatus(t, c, ct.UUID, "Error")
		if !strings.Contains(got.StatusReason, "above this host's maximum 2048") {
			t.Fatalf("status reason %q, want the maximum named", got.StatusReason)
		}
	})
	t.Run("log flood", func(t *testing.T) {
		flood := run(api.CreateContainer{CPU: 0.5, Command: []string{"sh", "-c",
			"yes 0123456789012345678901234567890123456789 | head -c 8000000; echo; echo flood-done; sleep 3600"}})
		waitStatus(t, c, flood.UUID, "Running")
		if !poll(60*time.Second, func() bool {
			out, err := c.Logs(ctx, flood.UUID, api.LogOptions{Tail: "1"})
			return err == nil && strings.Contains(out, "flood-done")
		}) {
			t.Fatal("the log flood did not end")
		}
		ins := runtimeInspect(t, cli, flood.UUID)
		if ins.HostConfig.LogConfig.Config["max-size"] != "1m" {
			t.Fatalf("log config %+v, want the operator's", ins.HostConfig.LogConfig)
		}
		files, _ := filepath.Glob(ins.LogPath + "*")
		var total int64
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				total += st.Size()
			}
		}
		t.Logf("8 MB written to stdout: %d log files of %d bytes in all", len(files), total)
		if len(files) < 2 || total > logFiles*logSize+64<<10 {
			t.Fatalf("the container's logs take %d bytes in %d files, want at most %d files of %d bytes", total, len(files), logFiles, logSize)
		}
		alive(t)
	})
	t.Run("disk", func(t *testing.T) {
		ct := run(api.CreateContainer{Disk: 1, Command: []string{"sleep", "3600"}})
		var got *api.Container
		if !poll(30*time.Second, func() bool {
			var err error
			got, err = c.GetContainer(ctx, ct.UUID)
			return err == nil && (got.Status == "Running" || got.Status == "Error") && got.TaskState == ""
		}) {
			t.Fatalf("a container with disk: %+v, want Running or Error", got)
		}
		if quota := diskQuotaSupported(t, d); quota != (got.Status == "Running") {
			t.Fatalf("the hosts API says disk_quota_supported %v, but the container is %s", quota, got.Status)
		}
		if got.Status == "Error" {
			// The scheduler keeps it off a host that cannot cap it (Zun's
			// DiskFilter): no host is left.
			if !strings.Contains(got.StatusReason, "DiskFilter: 1 host cannot cap a container's disk (disk_quota_supported is false)") {
				t.Fatalf("refused with %q, want the reason", got.StatusReason)
			}
			// The engine indeed cannot: it refuses a size itself.
			made, err := cli.ContainerCreate(ctx, &container.Config{Image: demoimage.Ref, Cmd: []string{"true"}},
				&container.HostConfig{StorageOpt: map[string]string{"size": "1G"}}, nil, nil, "")
			if err == nil {
				_ = cli.ContainerRemove(ctx, made.ID, container.RemoveOptions{Force: true})
				t.Fatalf("zund refused disk (%s) but the engine takes a size", got.StatusReason)
			}
			t.Logf("refused: %s (the engine: %v)", got.StatusReason, err)
			return
		}
		out, err := c.Execute(ctx, ct.UUID, "dd if=/dev/zero of=/big bs=1048576 count=1100")
		if err != nil || !strings.Contains(out.Output, "No space left") {
			t.Fatalf("wrote 1100 MiB into a root filesystem of 1 GiB: %+v %v", out, err)
		}
		alive(t)
	})
}

// diskQuotaSupported is what the hosts API says of d's compute host.
func diskQuotaSupported(t *testing.T, d *daemon) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.URL+"/v1/hosts", nil)
	req.Header.Set("X-Auth-Token", d.adminToken(t))
	req.Header.Set("OpenStack-API-Version", "container 1.40")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Hosts []struct {
			Hostname  string `json:"hostname"`
			DiskQuota *bool  `json:"disk_quota_supported"`
		} `json:"hosts"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		t.Fatalf("hosts: %v", err)
	}
	for _, h := range list.Hosts {
		if h.Hostname == d.Host && h.DiskQuota != nil {
			return *h.DiskQuota
		}
	}
	t.Fatalf("hosts: no %s with disk_quota_supported in %+v", d.Host, list.Hosts)
	return false
}

// runtimeInspect inspects the runtime container of a Zun container.
func runtimeInspect(t *testing.T, cli *client.Client, uuid string) container.InspectResponse {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelUUID+"="+uuid))})
	if err != nil || len(list) != 1 {
		t.Fatalf("runtime container of %s: %d found, %v", uuid, len(list), err)
	}
	ins, err := cli.ContainerInspect(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

// currentPids is the number of processes in a runtime container.
func currentPids(t *testing.T, cli *client.Client, id string) uint64 {
	t.Helper()
	res, err := cli.ContainerStatsOneShot(context.Background(), id)
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	defer res.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatalf("stats: %v", err)
	}
	return s.PidsStats.Current
}

// waitDeleted waits until a container is deleted.
func waitDeleted(t *testing.T, c *api.Client, uuid string) {
	t.Helper()
	if !poll(30*time.Second, func() bool {
		_, err := c.GetContainer(context.Background(), uuid)
		return errors.Is(err, errdefs.ErrNotFound)
	}) {
		t.Fatalf("container %s was not deleted", uuid)
	}
}
