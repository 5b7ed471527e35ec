package compute_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/compute/computetest"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx/logtest"
)

// TestOpLog checks that what the agent logs while carrying an op out
// names the container and the request that asked for the op, down to the
// image preparation it calls (a failed pull falling back on the host's
// copy).
func TestOpLog(t *testing.T) {
	t.Parallel()
	log, out := logtest.New(slog.LevelInfo)
	drv := fake.New(fake.Options{HostName: host})
	drv.AddImage("busybox:latest")
	drv.FailPull("busybox:latest", errdefs.Unavailablef("registry unreachable"))
	cp := computetest.New()
	agent := compute.New(compute.Config{Host: host, SyncInterval: syncInterval}, drv, cp, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		agent.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })

	c := &container.Container{Schema: container.SchemaVersion, UUID: "00000000-0000-4000-8000-0000000010a1",
		Name: "logged", Image: "busybox:latest", Host: host, Status: container.Creating}
	cp.Put(c)
	seq := cp.SetOp(c.UUID, container.Op{Action: container.ActCreate, RequestID: "req-logged"})
	eventually(t, "the create done", func() bool {
		got := cp.Get(c.UUID)
		return got != nil && (got.Op == nil || got.Op.Seq != seq)
	})
	if got := cp.Get(c.UUID); got.Status != container.Created {
		t.Fatalf("status %q (%q)", got.Status, got.StatusReason)
	}
	want := map[string]string{"container_id": c.UUID, "request_id": "req-logged", "action": container.ActCreate, "host": host}
	for _, msg := range []string{"image pull failed; using the copy on this host", "container action done"} {
		t.Run(msg, func(t *testing.T) {
			logtest.Has(t, out.Find(t, msg), want)
		})
	}
}
