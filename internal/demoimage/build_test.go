package demoimage

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/zun-go/zun/driver/drivertest"
)

// TestBuild builds the image under a throwaway reference, so that the
// shared zun/busybox:local is never removed under other tests' feet, and
// checks its configuration.
func TestBuild(t *testing.T) {
	host := drivertest.RequireDocker(t)
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	ref := "zun-demoimage-test/busybox:" + uuid.NewString()[:8]
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	if err := ensure(ctx, cli, ref); err != nil {
		t.Fatalf("ensure %s: %v", ref, err)
	}
	info, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	if got := info.Config.Cmd; !slices.Equal(got, []string{"sh"}) {
		t.Errorf("cmd: got %q, want [sh]", got)
	}
	if got := info.Config.Env; !slices.Equal(got, []string{"PATH=/bin"}) {
		t.Errorf("env: got %q, want [PATH=/bin]", got)
	}
	if err := ensure(ctx, cli, ref); err != nil {
		t.Fatalf("ensure %s again: %v", ref, err)
	}
}
