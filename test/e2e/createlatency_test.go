package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestCreateLatency measures what a new user sees: create→Running through
// the API (POST with run=true, then GET every 10 ms until Running, which
// on a tenant network means its network is ready), against `docker run
// -d` of the same image on the same engine (create and start), alternated
// in one run, on a host with tenant networks and on one without. It prints
// a table; run by scripts/bench.sh (ZUN_BENCH_CREATE=1).
func TestCreateLatency(t *testing.T) {
	if os.Getenv("ZUN_BENCH_CREATE") == "" {
		t.Skip("a benchmark: set ZUN_BENCH_CREATE=1 (make bench)")
	}
	requireDocker(t, "")
	const pairs = 15
	engines := startEngines(t, 2)
	u := newUnderlay(t, engines)
	d := startZund(t, "", "--no-compute", "--host-down-after", "3s")
	cp := "http://" + proxy(t, u.root+":0", d.listen)
	netAgent := startNetAgent(t, d, "lat-net", engines[0], cp, u.ips[0])
	plain := startNetAgent(t, d, "lat-plain", engines[1], cp, u.ips[1])
	plain.stop(syscall.SIGTERM)
	plain.args = append(plain.args, "--no-network")
	plain.start()
	c := apiClient(t, d)
	ctx := context.Background()
	unlimited := int64(-1)
	if _, err := c.UpdateQuota(ctx, adminProject(t, c, ctx), api.QuotaUpdate{
		Containers: &unlimited, CPU: &unlimited, Memory: &unlimited, Disk: &unlimited}); err != nil {
		t.Fatal(err)
	}
	posts := map[string]time.Duration{} // uuid: how long its POST took
	zun := func(host string, i int) time.Duration {
		start := time.Now()
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Name: fmt.Sprintf("%s-%d", host, i), Image: demoimage.Ref,
			Command: []string{"sleep", "3600"}, Host: host}, true)
		if err != nil {
			t.Fatal(err)
		}
		posts[ct.UUID] = time.Since(start)
		for {
			got, err := c.GetContainer(ctx, ct.UUID)
			if err == nil && got.Status == "Running" {
				return time.Since(start)
			}
			if err == nil && got.Status == "Error" {
				t.Fatalf("%s: Error: %s", got.Name, got.StatusReason)
			}
			if time.Since(start) > time.Minute {
				t.Fatalf("%s not Running after a minute", ct.UUID)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	docker := func(cli *client.Client) time.Duration {
		start := time.Now()
		made, err := cli.ContainerCreate(ctx, &container.Config{Image: demoimage.Ref, Cmd: []string{"sleep", "3600"}},
			&container.HostConfig{}, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := cli.ContainerStart(ctx, made.ID, container.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		t.Cleanup(func() { _ = cli.ContainerRemove(context.Background(), made.ID, container.RemoveOptions{Force: true}) })
		return took
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	// One container on each host first, once both are up: the first
	// sandbox loads the sandbox image.
	for _, host := range []string{"lat-net", "lat-plain"} {
		if !poll(60*time.Second, func() bool {
			ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Command: []string{"sleep", "3600"},
				Host: host}, true)
			if err != nil {
				return false
			}
			return poll(20*time.Second, func() bool {
				got, err := c.GetContainer(ctx, ct.UUID)
				return err == nil && got.Status == "Running"
			})
		}) {
			t.Fatalf("no container runs on %s", host)
		}
	}
	var rows, stepRows []string
	for _, tc := range []struct {
		name, host string
		engine     *engine
		agent      *agentProc
	}{{"tenant network", "lat-net", engines[0], netAgent}, {"no network (--no-network)", "lat-plain", engines[1], plain}} {
		cli := requireDocker(t, tc.engine.host)
		var z, r []time.Duration
		for i := range pairs {
			z = append(z, zun(tc.host, i))
			r = append(r, docker(cli))
		}
		zm, rm := median(z), median(r)
		rows = append(rows, fmt.Sprintf("| %s | %d | %d ms | %d ms | %.2f× | %d ms |", tc.name, pairs,
			zm.Milliseconds(), rm.Milliseconds(), float64(zm)/float64(rm), (zm-rm).Milliseconds()))
		stepRows = append(stepRows, createSteps(t, tc.name, tc.agent.logf, posts))
	}
	fmt.Printf("\n| host | pairs | create→Running (API) p50 | docker run -d p50 | ratio | control plane adds |\n")
	fmt.Printf("| --- | ---: | ---: | ---: | ---: | ---: |\n%s\n", strings.Join(rows, "\n"))
	fmt.Printf("\n| host | POST | record → op starts on the host | image | sandbox (network configuration fetched meanwhile) | plug | engine create | engine start | agent's op in all |\n")
	fmt.Printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n%s\n", strings.Join(stepRows, "\n"))
}

// createSteps reads the agent's log at logf for the creates timed (posts:
// how long each one's POST took) and renders a row of the medians of
// their steps: the POST, the time from the record's creation to the op's
// start on the host (placement and hand-off), the op's steps (the
// agent's "steps" attribute) and the whole op.
func createSteps(t *testing.T, name, logf string, posts map[string]time.Duration) string {
	t.Helper()
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"post", "waited_ms", "image", "sandbox", "plug", "create", "start", "duration_ms"}
	got := map[string][]time.Duration{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, `msg="container action done"`) || !strings.Contains(line, "action=create") {
			continue
		}
		fields := map[string]string{}
		for _, f := range strings.Fields(strings.NewReplacer(`steps="`, "", `"`, "").Replace(line)) {
			if k, v, ok := strings.Cut(f, "="); ok {
				fields[k] = strings.TrimSuffix(v, "ms")
			}
		}
		post, ok := posts[fields["container_id"]]
		if !ok {
			continue
		}
		got["post"] = append(got["post"], post)
		for _, k := range cols[1:] {
			if ms, err := strconv.Atoi(fields[k]); err == nil {
				got[k] = append(got[k], time.Duration(ms)*time.Millisecond)
			}
		}
	}
	row := "| " + name
	for _, k := range cols {
		ds := got[k]
		if len(ds) == 0 {
			row += " | –"
			continue
		}
		slices.Sort(ds)
		row += fmt.Sprintf(" | %d ms", ds[len(ds)/2].Milliseconds())
	}
	return row + " |"
}
