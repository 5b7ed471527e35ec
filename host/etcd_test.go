package host_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// TestHostClaims: 20 creates at once on a host with room for 4 give
// exactly 4 containers there; the host's usage follows creates, resizes
// and deletes.
func TestHostClaims(t *testing.T) {
	db := dbtest.Open(t)
	cs := store.Containers(db, store.ContainerOptions{})
	cfg := scheduler.Default()
	cfg.CPUAllocationRatio = 1
	hs := host.NewEtcdStore(db, cs, cfg.ClaimCheck())
	cs.Join(hs)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	h, err := hs.Report(ctx, host.Host{Name: "h1", Facts: driver.HostFacts{CPUs: 4, MemoryMiB: 1 << 20}})
	if err != nil || h.ID == 0 || h.UUID == "" {
		t.Fatalf("report: %+v %v", h, err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok, out int
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &container.Container{Name: fmt.Sprint("c", i), ProjectID: "p1", Image: "img", CPU: 1, Memory: 64, Host: "h1"}
			err := cs.Create(ctx, c)
			var claim *host.ClaimError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &claim):
				out++
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 4 || out != 16 {
		t.Fatalf("%d placed, %d refused; want 4 and 16", ok, out)
	}
	usage, _ := hs.Usage(ctx)
	if u := usage["h1"]; u.Containers != 4 || u.CPU != 4 || u.MemoryMiB != 256 {
		t.Fatalf("usage %+v", u)
	}
	list, _ := cs.List(ctx, container.ListOptions{})
	if _, err := cs.Update(ctx, list[0].UUID, func(c *container.Container) error { c.CPU = 2; return nil }); !errors.As(err, new(*host.ClaimError)) {
		t.Fatalf("growing beyond the host: %v", err)
	}
	if _, err := cs.Update(ctx, list[0].UUID, func(c *container.Container) error { c.CPU = 0.5; return nil }); err != nil {
		t.Fatalf("shrinking: %v", err)
	}
	if err := cs.Delete(ctx, list[1].UUID); err != nil {
		t.Fatal(err)
	}
	eventuallyUsage := func(want host.Usage) {
		t.Helper()
		eventually(t, fmt.Sprintf("usage %+v", want), func() bool {
			u, _ := hs.Usage(ctx)
			return u["h1"] == want
		})
	}
	eventuallyUsage(host.Usage{Containers: 3, CPU: 2.5, MemoryMiB: 192})
	// A host with containers cannot be deleted; operators' settings stay
	// across reports.
	if err := hs.Delete(ctx, "h1"); err == nil {
		t.Fatal("deleted a host with containers")
	}
	if _, err := hs.Update(ctx, "h1", func(h *host.Host) error { h.Disabled, h.DisabledReason = true, "maintenance"; return nil }); err != nil {
		t.Fatal(err)
	}
	if h2, _ := hs.Report(ctx, host.Host{Name: "h1", Address: "http://new", Facts: driver.HostFacts{CPUs: 8}}); !h2.Disabled || h2.Address != "http://new" || h2.ID != h.ID {
		t.Fatalf("after a new report: %+v", h)
	}
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}
