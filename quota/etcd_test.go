package quota_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/container/storetest"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

func quotaStores(t *testing.T) (*store.ContainerStore, *quota.EtcdStore, context.Context) {
	t.Helper()
	db := dbtest.Open(t)
	cs := store.Containers(db, store.ContainerOptions{NameScope: store.NameScopeProject})
	qs := quota.NewEtcdStore(db, cs, quota.DefaultLimits())
	cs.Join(qs)
	return cs, qs, auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
}

// TestContainerStoreWithQuotas: counting usage in every write changes
// nothing else of the container store.
func TestContainerStoreWithQuotas(t *testing.T) {
	db := dbtest.Open(t)
	storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Stores {
		sub := dbtest.Attach(t, db)
		s := store.Containers(sub, store.ContainerOptions{NameScope: opts.NameScope})
		s.Join(quota.NewEtcdStore(sub, s, quota.Limits{quota.Containers: -1, quota.CPU: -1, quota.Memory: -1, quota.Disk: -1}))
		return storetest.Stores{Containers: s, Actions: s, Watcher: s}
	})
}

func newRecord(name string, cpu float64, mem int64) *container.Container {
	return &container.Container{Name: name, ProjectID: "p1", UserID: "u1", Image: "img", CPU: cpu, Memory: mem, Status: container.Creating}
}

// TestQuotaParallelCreates: 50 creates at once against a limit of 10 give
// exactly 10 containers and a usage of 10; deletes give the usage back.
func TestQuotaParallelCreates(t *testing.T) {
	cs, qs, ctx := quotaStores(t)
	if err := qs.SetProjectLimits(ctx, "p1", quota.Limits{quota.Containers: 10}); err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, over int
		others   []error
	)
	start := time.Now()
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cs.Create(ctx, newRecord(fmt.Sprintf("c%d", i), 0.1, 16))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errdefs.ErrQuotaExceeded):
				over++
			default:
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	t.Logf("50 parallel creates against a quota of 10 took %s", time.Since(start))
	if ok != 10 || over != 40 || len(others) > 0 {
		t.Fatalf("%d created, %d over quota, other errors %v; want 10, 40, none", ok, over, others)
	}
	list, err := cs.List(ctx, container.ListOptions{Limit: 100})
	if err != nil || len(list) != 10 {
		t.Fatalf("%d records (%v), want 10", len(list), err)
	}
	u, err := qs.Usage(ctx, "p1")
	if err != nil || u.Containers != 10 || u.CPU != 1 || u.Memory != 160 {
		t.Fatalf("usage %+v (%v), want 10 containers, 1 cpu, 160 MiB", u, err)
	}
	for _, c := range list[:4] {
		if err := cs.Delete(ctx, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := qs.Usage(ctx, "p1"); u.Containers != 6 || u.Memory != 96 {
		t.Fatalf("usage after 4 deletes %+v, want 6 containers, 96 MiB", u)
	}
	if err := cs.Create(ctx, newRecord("again", 0.1, 16)); err != nil {
		t.Fatalf("create after deletes: %v", err)
	}
}

func TestQuotaResources(t *testing.T) {
	cs, qs, ctx := quotaStores(t)
	if err := qs.SetProjectLimits(ctx, "p1", quota.Limits{quota.Memory: 1024, quota.CPU: 2}); err != nil {
		t.Fatal(err)
	}
	a := newRecord("a", 1, 512)
	if err := cs.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	// Unset cpu and memory count as Zun's defaults (1 cpu, 512 MiB).
	if err := cs.Create(ctx, newRecord("b", 0, 0)); err != nil {
		t.Fatal(err)
	}
	err := cs.Create(ctx, newRecord("c", 0.5, 1))
	if !errors.Is(err, errdefs.ErrQuotaExceeded) {
		t.Fatalf("over cpu and memory: %v", err)
	}
	for _, want := range []string{"cpu (requested 0.5, in use 2, limit 2)", "memory (requested 1, in use 1024, limit 1024)"} {
		if !containsStr(err.Error(), want) {
			t.Fatalf("error %q lacks %q", err, want)
		}
	}
	// Growing a container is checked too; shrinking always works.
	if _, err := cs.Update(ctx, a.UUID, func(c *container.Container) error { c.Memory = 600; return nil }); !errors.Is(err, errdefs.ErrQuotaExceeded) {
		t.Fatalf("grow beyond quota: %v", err)
	}
	if _, err := cs.Update(ctx, a.UUID, func(c *container.Container) error { c.Memory = 256; return nil }); err != nil {
		t.Fatalf("shrink: %v", err)
	}
	if u, _ := qs.Usage(ctx, "p1"); u.Memory != 768 || u.Containers != 2 {
		t.Fatalf("usage %+v, want 768 MiB in 2 containers", u)
	}
	// Lowering a limit below the usage is allowed; new creates are refused.
	if err := qs.SetProjectLimits(ctx, "p1", quota.Limits{quota.Containers: 1}); err != nil {
		t.Fatal(err)
	}
	if err := cs.Create(ctx, newRecord("d", 0, 1)); !errors.Is(err, errdefs.ErrQuotaExceeded) {
		t.Fatalf("create over a lowered limit: %v", err)
	}
	// Back to the defaults.
	if err := qs.DeleteProjectLimits(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if lim, _ := qs.Effective(ctx, "p1"); lim[quota.Containers] != 40 || lim[quota.Memory] != 51200 {
		t.Fatalf("limits after delete %v, want Zun's defaults", lim)
	}
	// The default class changes every project's defaults.
	if err := qs.SetClassLimits(ctx, quota.DefaultClass, quota.Limits{quota.Containers: 2}); err != nil {
		t.Fatal(err)
	}
	if err := cs.Create(ctx, newRecord("e", 0, 1)); !errors.Is(err, errdefs.ErrQuotaExceeded) {
		t.Fatalf("create over the default class: %v", err)
	}
}

// TestQuotaCountsOlderRecords: records written before quotas were on are
// counted when the project's usage is first needed.
func TestQuotaCountsOlderRecords(t *testing.T) {
	db := dbtest.Open(t)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	before := store.Containers(db, store.ContainerOptions{})
	for i := range 3 {
		if err := before.Create(ctx, newRecord(fmt.Sprint("old", i), 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	cs := store.Containers(db, store.ContainerOptions{})
	qs := quota.NewEtcdStore(db, cs, quota.Limits{quota.Containers: 4})
	cs.Join(qs)
	if u, err := qs.Usage(ctx, "p1"); err != nil || u.Containers != 3 {
		t.Fatalf("usage %+v (%v), want the 3 older records", u, err)
	}
	if err := cs.Create(ctx, newRecord("new", 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := cs.Create(ctx, newRecord("over", 0, 0)); !errors.Is(err, errdefs.ErrQuotaExceeded) {
		t.Fatalf("fifth container: %v", err)
	}
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
