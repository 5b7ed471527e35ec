// Command zunbench measures the control plane alone at scale: the API,
// the scheduler with its claims, the store (embedded etcd) and the agents'
// side of the conversation, with every host simulated by an in-process
// agent on the fake runtime. It prints one table row per run.
//
//	zunbench -hosts 1000 -containers 100000
//	zunbench -hosts 10000 -containers 1000000 -limit 10m
//	zunbench -list 10000          # list latency, 10,000 containers in one project
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
)

const image = "zun/busybox:local"

func main() {
	hosts := flag.Int("hosts", 1000, "simulated compute hosts")
	containers := flag.Int("containers", 100000, "containers to create and run")
	projects := flag.Int("projects", 100, "projects the containers belong to")
	workers := flag.Int("concurrency", 64, "concurrent API clients")
	limit := flag.Duration("limit", 10*time.Minute, "stop creating after this long")
	list := flag.Int("list", 0, "instead: measure list latency with this many containers in one project")
	header := flag.Bool("header", true, "print the table header")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if *header {
		fmt.Printf("%-10s %-12s %-12s %-14s %-12s %-12s %-10s %s\n", "hosts", "containers", "created", "placements/s", "p50 run", "p99 run", "wall", "note")
	}
	var err error
	if *list > 0 {
		err = benchList(*list)
	} else {
		err = benchPlace(*hosts, *containers, *projects, *workers, *limit)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "zunbench:", err)
		os.Exit(1)
	}
}

// tokens authenticates "p<N>" as a member of project p<N>, "admin" as admin.
type tokens struct{}

func (tokens) Validate(_ context.Context, token string) (auth.Principal, error) {
	if token == "" {
		return auth.Principal{}, errdefs.ErrUnauthorized
	}
	roles := []string{auth.RoleMember}
	if token == "admin" {
		roles = []string{auth.RoleAdmin}
	}
	return auth.Principal{UserID: "u-" + token, ProjectID: token, Roles: roles}, nil
}

// plane is a control plane with simulated hosts.
type plane struct {
	db     *store.DB
	cs     *store.ContainerStore
	url    string
	cancel context.CancelFunc
	plane  *controlplane.Plane
}

func newPlane(nHosts int) (*plane, error) {
	dir, err := os.MkdirTemp("", "zunbench")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, store.Config{DataDir: dir, UnsafeNoFsync: true})
	if err != nil {
		cancel()
		return nil, err
	}
	p := &plane{db: db, cancel: cancel}
	unlimited := quota.Limits{quota.Containers: -1, quota.CPU: -1, quota.Memory: -1, quota.Disk: -1}
	cp, err := controlplane.New(controlplane.Config{Store: db, Quotas: unlimited, Scheduler: scheduler.Default(),
		Logger: slog.Default()})
	if err != nil {
		cancel()
		db.Close()
		return nil, err
	}
	p.cs, p.plane = cp.Containers, cp
	facts := driver.HostFacts{CPUs: 64, MemoryMiB: 256 << 10, DiskGiB: 2000, Runtimes: []string{"runc"}}
	// Hosts join in waves of 500, as a fleet does, not all in one instant.
	for first := 0; first < nHosts; first += 500 {
		last := min(first+500, nHosts)
		for i := first; i < last; i++ {
			name := fmt.Sprintf("sim-%05d", i)
			drv := fake.New(fake.Options{Images: []string{image}, HostName: name, Facts: facts})
			cp.StartAgent(ctx, controlplane.Agent{Driver: drv, Config: compute.Config{Host: name, SyncInterval: time.Hour,
				HeartbeatInterval: 20 * time.Second, DefaultStopTimeout: time.Second}})
		}
		for deadline := time.Now().Add(2 * time.Minute); ; {
			states, err := cp.Agents.HostStates(ctx)
			up := 0
			for _, s := range states {
				if s.Up {
					up++
				}
			}
			if err == nil && up == last {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("only %d of %d hosts came up", up, last)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cp.Start(ctx)
	srv := httptest.NewServer(cp.Handler(controlplane.HTTPConfig{API: apiserver.DefaultConfig(), Auth: tokens{}}))
	p.url = srv.URL
	return p, nil
}

func (p *plane) client(token string) *api.Client {
	c, _ := api.NewClient(api.Config{Endpoint: p.url + "/v1", Token: token})
	return c
}

func (p *plane) close() {
	p.cancel()
	if p.plane != nil {
		p.plane.Wait()
	}
	p.db.Close()
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*q))]
}

func benchPlace(nHosts, nContainers, nProjects, workers int, limit time.Duration) error {
	began := time.Now()
	p, err := newPlane(nHosts)
	if err != nil {
		return err
	}
	defer p.close()
	setup := time.Since(began)

	// create→Running, from the store's watch.
	ctx, cancel := context.WithCancel(auth.System(context.Background()))
	defer cancel()
	_, changes, err := p.cs.Watch(ctx)
	if err != nil {
		return err
	}
	// A container may be Running before its create's answer is back (the
	// API answers once it is placed), so both times are kept as they come.
	var (
		mu        sync.Mutex
		started   = map[string]time.Time{}
		runningAt = map[string]time.Time{}
	)
	go func() {
		for ch := range changes {
			if ch.Container.Status != container.Running {
				continue
			}
			now := time.Now()
			mu.Lock()
			if _, done := runningAt[ch.Container.UUID]; !done {
				runningAt[ch.Container.UUID] = now
			}
			mu.Unlock()
		}
	}()
	// running are the create→Running latencies of the containers seen
	// Running so far; mu is held.
	running := func() map[string]time.Duration {
		out := make(map[string]time.Duration, len(started))
		for uuid, t := range started {
			if r, ok := runningAt[uuid]; ok {
				out[uuid] = r.Sub(t)
			}
		}
		return out
	}

	var (
		next    atomic.Int64
		created atomic.Int64
		failed  atomic.Int64
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(limit)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients := map[int]*api.Client{}
			for {
				i := int(next.Add(1)) - 1
				if i >= nContainers || time.Now().After(deadline) {
					return
				}
				proj := (i + w) % nProjects
				c, ok := clients[proj]
				if !ok {
					c = p.client(fmt.Sprintf("p%d", proj))
					clients[proj] = c
				}
				t := time.Now()
				ct, err := c.CreateContainer(context.Background(), api.CreateContainer{
					Image: image, Name: fmt.Sprintf("c%d", i), Command: []string{"sleep", "1d"}, CPU: 0.1, Memory: "64"}, true)
				if err != nil || ct.Status == "Error" {
					failed.Add(1)
					continue
				}
				mu.Lock()
				started[ct.UUID] = t
				mu.Unlock()
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	placing := time.Since(start)
	// Let the last containers reach Running (at most a minute).
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		done := len(running()) >= int(created.Load())
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	latencies := running()
	lat := make([]time.Duration, 0, len(latencies))
	for _, d := range latencies {
		lat = append(lat, d)
	}
	mu.Unlock()
	note := fmt.Sprintf("setup %s, %d failed, %d running, %d cores", setup.Round(time.Second), failed.Load(), len(lat), runtime.NumCPU())
	if len(lat) < int(created.Load()) {
		mu.Lock()
		note += "; not running: " + notRunning(ctx, p, started, latencies)
		mu.Unlock()
	}
	if int(created.Load()) < nContainers {
		note += fmt.Sprintf("; stopped at the %s limit", limit)
	}
	fmt.Printf("%-10d %-12d %-12d %-14.0f %-12s %-12s %-10s %s\n", nHosts, nContainers, created.Load(),
		float64(created.Load())/placing.Seconds(), percentile(lat, 0.5).Round(time.Millisecond),
		percentile(lat, 0.99).Round(time.Millisecond), placing.Round(time.Second), note)
	return nil
}

// notRunning says what became of the created containers that did not
// reach Running: how many in each status, with or without a host.
func notRunning(ctx context.Context, p *plane, started map[string]time.Time, running map[string]time.Duration) string {
	counts := map[string]int{}
	for uuid := range started {
		if _, ok := running[uuid]; ok {
			continue
		}
		c, err := p.cs.Get(ctx, uuid)
		switch {
		case err != nil:
			counts["unreadable: "+err.Error()]++
		case c.Host == "":
			counts[string(c.Status)+" without a host"]++
		default:
			counts[string(c.Status)+" on a host"]++
		}
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// benchList measures GET /v1/containers in one project holding n
// containers (records only, written straight to the store).
func benchList(n int) error {
	p, err := newPlane(1)
	if err != nil {
		return err
	}
	defer p.close()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "big", UserID: "u"})
	for i := range n {
		c := &container.Container{Name: fmt.Sprintf("c%d", i), ProjectID: "big", UserID: "u", Image: image, Status: container.Stopped}
		if err := p.cs.Create(ctx, c); err != nil {
			return err
		}
	}
	c := p.client("big")
	measure := func(opts api.ListOptions) (time.Duration, time.Duration) {
		var lat []time.Duration
		for range 200 {
			t := time.Now()
			if _, err := c.ListContainers(context.Background(), opts); err != nil {
				panic(err)
			}
			lat = append(lat, time.Since(t))
		}
		return percentile(lat, 0.5), percentile(lat, 0.99)
	}
	for _, tc := range []struct {
		name string
		opts api.ListOptions
	}{
		{"page of 50", api.ListOptions{Limit: 50}},
		{"page of 1000 (max)", api.ListOptions{Limit: 1000}},
	} {
		p50, p99 := measure(tc.opts)
		fmt.Printf("%-10s %-12d %-12s %-14s %-12s %-12s %-10s %s\n", "list", n, "-", "-",
			p50.Round(time.Microsecond), p99.Round(time.Microsecond), "-", "GET /v1/containers, "+tc.name+", one project, over HTTP")
	}
	return nil
}
