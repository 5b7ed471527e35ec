package placement_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/placement"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// plane is a control plane process on a shared store: its container and
// host stores and its agent service, which the placement service watches.
// The tests run placement services of their own over its parts.
type plane struct {
	db     *store.DB
	quotas *quota.EtcdStore
	cs     *store.ContainerStore
	hosts  *controlplane.AgentService
	recs   *host.EtcdStore
	sched  *scheduler.Scheduler
}

func newPlane(t *testing.T, db *store.DB) *plane {
	cfg := scheduler.Default()
	cfg.CPUAllocationRatio = 1
	p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return &plane{db: db, quotas: p.Quotas, cs: p.Containers, hosts: p.Agents, recs: p.HostRecords, sched: p.Scheduler}
}

// heartbeat makes the host known and up to this process.
func (p *plane) heartbeat(t *testing.T, name string, cpus int) {
	t.Helper()
	err := p.hosts.Heartbeat(context.Background(), compute.HostInfo{Name: name,
		Facts: driver.HostFacts{CPUs: cpus, MemoryMiB: 1 << 20, DiskGiB: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
}

// run starts a placement service until the test ends or stop is called.
func (p *plane) run(t *testing.T, cfg placement.Config) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		placement.New(cfg, p.sched, p.hosts, p.cs, p.cs, slog.New(slog.DiscardHandler)).Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waiting records n containers waiting for a host, as the API does.
func waiting(t *testing.T, cs *store.ContainerStore, prefix string, n int, cpu float64) []string {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	var ids []string
	for i := range n {
		c := &container.Container{Name: fmt.Sprintf("%s-%d", prefix, i), ProjectID: "p1", UserID: "u1",
			Image: "img", CPU: cpu, Memory: 64, Status: container.Creating}
		c.SetOp(container.Op{Action: container.ActCreate, RequestID: fmt.Sprintf("req-%s-%d", prefix, i)})
		if err := cs.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.UUID)
	}
	return ids
}

// outcome counts the containers by host ("" for none) and by status.
func outcome(t *testing.T, cs *store.ContainerStore, ids []string) (hosts map[string]int, statuses map[container.Status]int, reasons []string) {
	t.Helper()
	hosts, statuses = map[string]int{}, map[container.Status]int{}
	for _, id := range ids {
		c, err := cs.Get(auth.System(context.Background()), id)
		if err != nil {
			t.Fatal(err)
		}
		hosts[c.Host]++
		statuses[c.Status]++
		if c.StatusReason != "" {
			reasons = append(reasons, c.StatusReason)
		}
	}
	return hosts, statuses, reasons
}

func eventually(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
	}
}

// open returns another connection to db's etcd, as another process has.
func open(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	other, err := store.Open(context.Background(), store.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// decided reports whether every container is placed or failed.
func decided(t *testing.T, cs *store.ContainerStore, ids []string) bool {
	hosts, st, _ := outcome(t, cs, ids)
	return hosts[""] == st[container.Error]
}

// TestReplicasNeverOvercommit: two scheduler replicas that both think they
// lead (as for a moment around a failover) place 20 containers of 1 CPU on
// a host of 4 CPUs: exactly 4 go there, the other 16 end Error saying why.
func TestReplicasNeverOvercommit(t *testing.T) {
	db := dbtest.Open(t)
	a, b := newPlane(t, db), newPlane(t, open(t, db))
	for _, p := range []*plane{a, b} {
		p.heartbeat(t, "h1", 4)
	}
	ids := waiting(t, a.cs, "c", 20, 1)
	a.run(t, placement.Config{Workers: 8})
	b.run(t, placement.Config{Workers: 8})

	eventually(t, "every container placed or failed", 20*time.Second, func() bool { return decided(t, a.cs, ids) })
	hosts, st, reasons := outcome(t, a.cs, ids)
	if hosts["h1"] != 4 || st[container.Error] != 16 {
		t.Fatalf("placed %v, statuses %v; want 4 on h1 and 16 Error", hosts, st)
	}
	if len(reasons) != 16 {
		t.Fatalf("%d reasons for 16 failures: %q", len(reasons), reasons)
	}
	for _, r := range reasons {
		if !strings.Contains(r, "h1") && !strings.Contains(r, "CPUFilter") {
			t.Fatalf("reason %q says neither which filter nor which host refused", r)
		}
	}
}

// TestFailover: with the store's election only the leader places; when
// its process dies (its etcd session ends without resigning), the other
// process takes over once the lease expires and places what waits.
func TestFailover(t *testing.T) {
	db := dbtest.Open(t)
	doomed := open(t, db)
	a, b := newPlane(t, doomed), newPlane(t, db)
	for _, p := range []*plane{a, b} {
		p.heartbeat(t, "h1", 64)
		p.heartbeat(t, "h2", 64)
	}
	leader := func() string {
		id, _ := db.Leader(context.Background(), "scheduler")
		return id
	}
	a.run(t, placement.Config{Elector: elector{a.db, "a"}})
	eventually(t, "a leads", 5*time.Second, func() bool { return leader() == "a" })
	b.run(t, placement.Config{Elector: elector{b.db, "b"}})

	first := waiting(t, b.cs, "first", 5, 0.5)
	eventually(t, "the leader places", 10*time.Second, func() bool { return decided(t, b.cs, first) })

	// a's process dies: its connection goes without resigning.
	doomed.Close()
	second := waiting(t, b.cs, "second", 5, 0.5)
	eventually(t, "b leads", 15*time.Second, func() bool { return leader() == "b" })
	eventually(t, "the new leader places", 10*time.Second, func() bool { return decided(t, b.cs, second) })

	all := append(first, second...)
	hosts, st, _ := outcome(t, b.cs, all)
	if hosts["h1"]+hosts["h2"] != 10 || st[container.Creating] != 10 {
		t.Fatalf("hosts %v statuses %v; want all 10 placed, Creating", hosts, st)
	}
	// The claims match the placements: nothing was placed twice.
	usage, err := b.recs.Usage(auth.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if n := usage["h1"].Containers + usage["h2"].Containers; n != 10 {
		t.Fatalf("claimed %d containers, want 10: %+v", n, usage)
	}
}

type elector struct {
	db *store.DB
	id string
}

func (e elector) Campaign(ctx context.Context) (placement.Term, error) {
	t, err := e.db.Campaign(ctx, "scheduler", e.id, time.Second)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// waitingCapsule records a capsule of members of cpu each waiting for a
// host, as the API does.
func waitingCapsule(t *testing.T, cs *store.ContainerStore, name string, cpu ...float64) []string {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	k := &container.Container{UUID: "capsule-" + name, Name: name, ProjectID: "p1", UserID: "u1",
		Kind: container.KindCapsule, Capsule: &container.Capsule{}, Memory: 64, Status: container.Creating}
	recs := []*container.Container{k}
	for i, c := range cpu {
		m := &container.Container{UUID: fmt.Sprintf("%s-m%d", k.UUID, i), ProjectID: "p1", UserID: "u1",
			CapsuleID: k.UUID, Image: "img", CPU: c, Memory: 32, Status: container.Creating}
		k.CPU += c
		k.Capsule.Containers = append(k.Capsule.Containers, container.Member{UUID: m.UUID, Name: fmt.Sprint(i)})
		recs = append(recs, m)
	}
	var acts []*container.Action
	for _, c := range recs {
		c.SetOp(container.Op{Action: container.ActCreate, RequestID: "req-" + name, Run: true})
		acts = append(acts, &container.Action{Action: container.ActCreate, RequestID: "req-" + name, ContainerUUID: c.UUID})
	}
	if err := cs.CreateGroup(ctx, recs, acts...); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range recs {
		ids = append(ids, c.UUID)
	}
	return ids
}

// TestCapsulePlacedAsOneUnit: a capsule asks for the sum of its members
// and lands on one host with them, in one claim; one that fits nowhere
// fails with its members, none of which is placed on its own; quota
// counts a capsule's members as containers once, on its record.
func TestCapsulePlacedAsOneUnit(t *testing.T) {
	db := dbtest.Open(t)
	p := newPlane(t, db)
	p.heartbeat(t, "h1", 4)
	p.heartbeat(t, "h2", 2)
	p.run(t, placement.Config{})

	fits := waitingCapsule(t, p.cs, "fits", 1.5, 1.5) // 3 CPUs: only h1
	eventually(t, "the capsule placed", 10*time.Second, func() bool { return decided(t, p.cs, fits) })
	hosts, statuses, reasons := outcome(t, p.cs, fits)
	if hosts["h1"] != 3 || statuses[container.Creating] != 3 {
		t.Fatalf("capsule and members: hosts %v statuses %v (%q), want all three Creating on h1", hosts, statuses, reasons)
	}
	usage, err := p.recs.Usage(auth.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if u := usage["h1"]; u.CPU != 3 || u.Containers != 2 {
		t.Errorf("h1 claims %+v, want the capsule's 3 CPUs and its 2 containers", u)
	}

	tooBig := waitingCapsule(t, p.cs, "toobig", 2, 1.5) // 3.5 CPUs: h1 has 1 left
	eventually(t, "the capsule failed", 10*time.Second, func() bool { return decided(t, p.cs, tooBig) })
	hosts, statuses, reasons = outcome(t, p.cs, tooBig)
	if hosts[""] != 3 || statuses[container.Error] != 3 || len(reasons) != 3 {
		t.Fatalf("capsule and members: hosts %v statuses %v, want all three Error with no host", hosts, statuses)
	}
	if !strings.Contains(reasons[0], "host") {
		t.Errorf("reason %q does not say why no host was found", reasons[0])
	}
	for _, id := range tooBig {
		a, err := p.cs.GetAction(auth.System(context.Background()), id, "req-toobig")
		if err != nil || len(a.Events) != 1 || a.Events[0].Event != "compute__schedule" || a.Events[0].Result != container.ResultError {
			t.Errorf("record %s's create action %+v (%v), want its schedule event failed", id, a, err)
		}
	}
	used, err := p.quotas.Usage(context.Background(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if used.Containers != 4 || used.CPU != 6.5 {
		t.Errorf("quota usage %+v, want 4 containers (2 per capsule) and 6.5 CPUs", used)
	}
}
