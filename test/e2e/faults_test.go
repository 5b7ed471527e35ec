package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// faultLedger is what the load was told: the creates and deletes the API
// accepted, and those whose answer was lost in a crash (either way is
// right for those).
type faultLedger struct {
	mu              sync.Mutex
	created         map[string]string // name → uuid, answered 202
	deleted         map[string]bool   // uuid, answered 204
	maybeDeleted    map[string]bool   // uuid, delete sent, no answer
	unsure          map[string]bool   // names whose create got no answer
	calls, refusals int
	errs            map[string]int // what the refused or unanswered calls said, in short
}

// TestFaults runs a mixed load (create with run, stop, start, delete;
// four workers) while zund is killed with SIGKILL 20 times and its
// Docker Engine once, zund restarting while the engine is still down.
// Afterwards nothing accepted is lost, duplicated or orphaned: every
// accepted create exists exactly once, every accepted delete is carried
// out, runtime containers and records match, none is stuck in a
// transition, and the quota's usage is what exists. ZUN_FAULT_SEED
// replays a run.
func TestFaults(t *testing.T) {
	requireDocker(t, "")
	if os.Getuid() != 0 {
		t.Skip("starting a private Docker Engine needs root")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ZUN_FAULT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("ZUN_FAULT_SEED: %v", err)
		}
	}
	t.Logf("seed %d (ZUN_FAULT_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	eng := startEngine(t)
	cli := requireDocker(t, eng.host)
	d := startZund(t, eng.host, "--heartbeat-interval", "1s")
	auth := d.login("admin", adminPassword, "admin")
	ctx := context.Background()
	newClient := func() *api.Client {
		c, err := api.NewClient(api.Config{Endpoint: d.URL + "/v1", Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// No quota in the way: creates whose answer a crash lost are not
	// the workers' to delete, and would fill it.
	unlimited := int64(-1)
	if _, err := newClient().UpdateQuota(ctx, adminProject(t, newClient(), ctx), api.QuotaUpdate{
		Containers: &unlimited, CPU: &unlimited, Memory: &unlimited, Disk: &unlimited}); err != nil {
		t.Fatal(err)
	}
	led := &faultLedger{created: map[string]string{}, deleted: map[string]bool{}, maybeDeleted: map[string]bool{}, unsure: map[string]bool{}, errs: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wrng := rand.New(rand.NewPCG(seed, uint64(w)+2))
		wg.Add(1)
		go func() {
			defer wg.Done()
			faultWorker(ctx, newClient(), w, wrng, led, stop)
		}()
	}

	const kills = 20
	for i := range kills {
		time.Sleep(time.Duration(1500+rng.IntN(2500)) * time.Millisecond)
		d.stop(syscall.SIGKILL)
		if i == kills/2 {
			// The engine goes down too, and zund starts while it is.
			eng.kill()
			d.start()
			time.Sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
			eng.start(t)
			continue
		}
		d.start()
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	// Within 60 s of the last fault every record has settled.
	c := newClient()
	var list []api.Container
	settled := poll(60*time.Second, func() bool {
		l, err := c.ListAllContainers(ctx, api.ListOptions{})
		if err != nil {
			return false
		}
		list = l
		for _, ct := range l {
			if ct.TaskState != "" || ct.Status == "Creating" || ct.Status == "Deleting" {
				return false
			}
		}
		return true
	})
	if !settled {
		for _, ct := range list {
			if ct.TaskState != "" || ct.Status == "Creating" || ct.Status == "Deleting" {
				t.Errorf("container %s (%s) stuck: status %s, task %s", ct.Name, ct.UUID, ct.Status, ct.TaskState)
			}
		}
		t.FailNow()
	}
	byName := map[string]int{}
	records := map[string]api.Container{}
	for _, ct := range list {
		byName[ct.Name]++
		records[ct.UUID] = ct
	}
	reasons := map[string]int{}
	for _, ct := range list {
		if ct.Status == "Error" {
			reasons[ct.StatusReason]++
		}
	}
	for name, uuid := range led.created {
		switch {
		case led.deleted[uuid]:
			if _, ok := records[uuid]; ok {
				t.Errorf("container %s: delete accepted, still there", name)
			}
		case led.maybeDeleted[uuid]:
			if byName[name] > 1 {
				t.Errorf("container %s exists %d times", name, byName[name])
			}
		case byName[name] != 1:
			t.Errorf("container %s: accepted, exists %d times", name, byName[name])
		}
	}
	for name, n := range byName {
		if n > 1 {
			t.Errorf("container %s exists %d times", name, n)
		}
		if _, ok := led.created[name]; !ok && !led.unsure[name] {
			t.Errorf("container %s exists but was never accepted", name)
		}
	}
	// Runtime containers and records, one to one (a record in Error
	// whose create never reached the engine has none).
	if !poll(30*time.Second, func() bool {
		seen := map[string]int{}
		for _, rc := range d.runtimeContainers(t, cli) {
			seen[rc.Labels[driver.LabelUUID]]++
		}
		for uuid, n := range seen {
			if _, ok := records[uuid]; !ok || n != 1 {
				return false
			}
		}
		for uuid, ct := range records {
			if seen[uuid] == 0 && ct.Status != "Error" {
				return false
			}
		}
		return true
	}) {
		t.Errorf("runtime containers do not match records: %v", d.runtimeContainers(t, cli))
	}
	for _, ct := range list {
		if ct.Status == "Error" && ct.StatusReason == "" {
			t.Errorf("container %s in Error without a reason", ct.Name)
		}
	}
	u, err := c.GetQuotaUsage(ctx, adminProject(t, c, ctx))
	if err != nil {
		t.Fatal(err)
	}
	if int(u.Containers.InUse) != len(list) {
		t.Errorf("quota: %v containers in use, %d exist", u.Containers.InUse, len(list))
	}
	t.Logf("refused or unanswered calls: %v", led.errs)
	t.Logf("faults: %d kills of zund, 1 of dockerd; %d calls, %d refused or unanswered; %d creates accepted, %d unsure, %d deletes accepted; %d containers left, quota in use %v; in Error: %v",
		kills, led.calls, led.refusals, len(led.created), len(led.unsure), len(led.deleted), len(list), u.Containers.InUse, reasons)
}

// adminProject is the admin's project id, read from a probe container.
func adminProject(t *testing.T, c *api.Client, ctx context.Context) string {
	t.Helper()
	ct, err := c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Command: []string{"true"}, CPU: 0.1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteContainer(ctx, ct.UUID, api.DeleteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if !poll(30*time.Second, func() bool { _, err := c.GetContainer(ctx, ct.UUID); return errdefs.IsNotFound(err) }) {
		t.Fatal("probe container not deleted")
	}
	return ct.ProjectID
}

// faultWorker keeps up to five containers of its own busy until stop.
func faultWorker(ctx context.Context, c *api.Client, w int, rng *rand.Rand, led *faultLedger, stop <-chan struct{}) {
	var mine []string // uuids
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		led.mu.Lock()
		led.calls++
		led.mu.Unlock()
		var err error
		switch op := rng.IntN(4); {
		case len(mine) < 2 || (op == 0 && len(mine) < 5):
			name := fmt.Sprintf("fault-%d-%d", w, n)
			var ct *api.Container
			ct, err = c.CreateContainer(ctx, api.CreateContainer{Image: demoimage.Ref, Name: name, Command: []string{"sleep", "3600"}, CPU: 0.1, Memory: "32"}, true)
			led.mu.Lock()
			switch {
			case err == nil:
				led.created[name] = ct.UUID
				mine = append(mine, ct.UUID)
			case errdefs.IsInvalid(err) || errdefs.IsConflict(err) || errdefs.IsForbidden(err) || errors.Is(err, syscall.ECONNREFUSED):
				// refused, or never sent (zund down): nothing was made
			default:
				led.unsure[name] = true // no answer: made or not
			}
			led.mu.Unlock()
		case op == 1:
			err = c.Stop(ctx, mine[rng.IntN(len(mine))], nil)
		case op == 2:
			err = c.Start(ctx, mine[rng.IntN(len(mine))])
		default:
			i := rng.IntN(len(mine))
			err = c.DeleteContainer(ctx, mine[i], api.DeleteOptions{Force: true})
			led.mu.Lock()
			switch {
			case err == nil:
				led.deleted[mine[i]] = true
				mine = append(mine[:i], mine[i+1:]...)
			case errdefs.IsInvalid(err) || errdefs.IsConflict(err) || errdefs.IsForbidden(err) || errdefs.IsNotFound(err),
				errors.Is(err, syscall.ECONNREFUSED):
			default:
				led.maybeDeleted[mine[i]] = true
			}
			led.mu.Unlock()
		}
		cancel()
		if err != nil {
			led.mu.Lock()
			msg := err.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			if f := strings.Fields(msg); len(f) > 3 && f[0] == "Cannot" {
				msg = f[0] + " " + f[1] + " in " + f[len(f)-2] + " state" // one row per action and state
			}
			led.errs[msg]++
			led.refusals++
			led.mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}
}
