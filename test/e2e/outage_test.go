package e2e

import (
	"context"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestEngineOutage: zund starts and serves while its Docker Engine is
// down, its host is not ready (nothing is placed there, and the reason
// says why), and a delete accepted before the outage is carried out when
// the engine is back, even across a restart of zund meanwhile.
func TestEngineOutage(t *testing.T) {
	requireDocker(t, "")
	if os.Getuid() != 0 {
		t.Skip("starting a private Docker Engine needs root")
	}
	eng := startEngine(t)
	cli := requireDocker(t, eng.host)
	d := startZund(t, eng.host, "--heartbeat-interval", "1s")
	c := apiClient(t, d)
	ctx := context.Background()

	doomed, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: "doomed", Command: []string{"sleep", "3600"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, doomed.UUID, "Running")

	eng.kill()
	if err := c.DeleteContainer(ctx, doomed.UUID, api.DeleteOptions{Stop: true}); err != nil {
		t.Fatal(err)
	}
	// zund dies and comes back while the engine is still down: the whole
	// control plane serves (identity, the container API).
	d.stop(syscall.SIGKILL)
	d.start()
	c = apiClient(t, d)
	if _, err := c.ListContainers(ctx, api.ListOptions{}); err != nil {
		t.Fatalf("list while the engine is down: %v", err)
	}
	res, err := http.Get(d.URL + "/identity/v3")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("identity while the engine is down: %v %v", res, err)
	}
	res.Body.Close()
	// A new container finds no ready host, and says so.
	var refused *api.Container
	if !poll(30*time.Second, func() bool {
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Command: []string{"sleep", "3600"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		refused = waitStatus(t, c, ct.UUID, "Error")
		return strings.Contains(refused.StatusReason, "not ready")
	}) {
		t.Fatalf("a container created while the engine is down: %q, want a host not ready", refused.StatusReason)
	}
	if got, err := c.GetContainer(ctx, doomed.UUID); err != nil || got.Status == "Error" {
		t.Fatalf("the accepted delete during the outage: %+v %v; want it pending", got, err)
	}

	eng.start(t)
	if !poll(60*time.Second, func() bool {
		_, err := c.GetContainer(ctx, doomed.UUID)
		return errdefs.IsNotFound(err)
	}) {
		t.Fatal("the delete accepted during the outage was not carried out when the engine came back")
	}
	for _, rc := range d.runtimeContainers(t, cli) {
		if strings.Contains(strings.Join(rc.Names, ","), "doomed") {
			t.Fatalf("runtime container %v left after its delete", rc.Names)
		}
	}
	// The host is ready again: new containers run.
	if !poll(30*time.Second, func() bool {
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Command: []string{"sleep", "3600"}}, true)
		if err != nil {
			t.Fatal(err)
		}
		for {
			got, err := c.GetContainer(ctx, ct.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if got.TaskState == "" && got.Status != "Creating" {
				return got.Status == "Running"
			}
			time.Sleep(100 * time.Millisecond)
		}
	}) {
		t.Fatal("no container runs after the engine came back")
	}
}
