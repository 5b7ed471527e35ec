package docker_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/docker"
	"github.com/zun-go/zun/driver/drivertest"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/demoimage"
)

// TestConformance runs the driver suite on the real engine. Each case gets
// a driver with its own host name, so cases (and other test runs on the
// same engine) never see each other's containers.
func TestConformance(t *testing.T) {
	host := drivertest.RequireDocker(t)
	ref, err := demoimage.Ensure(t.Context(), host)
	if err != nil {
		t.Fatalf("demo image: %v", err)
	}
	cli := engine(t, host)
	t.Cleanup(func() { removeImages(t, cli, drivertest.CommitRepo) })
	drivertest.Run(t, func(t *testing.T) driver.Driver { return newDriver(t, host) }, ref)
}

// TestListManagedOnly checks that List sees neither containers started by
// hand nor those of another compute host on the same engine.
func TestListManagedOnly(t *testing.T) {
	host := drivertest.RequireDocker(t)
	ref, err := demoimage.Ensure(t.Context(), host)
	if err != nil {
		t.Fatalf("demo image: %v", err)
	}
	cli := engine(t, host)
	mine, other := newDriver(t, host), newDriver(t, host)
	ctx := t.Context()

	labels := func() map[string]string {
		return map[string]string{driver.LabelManaged: "true", driver.LabelUUID: uuid.NewString()}
	}
	spec := driver.Spec{Image: ref, Command: []string{"true"}}
	spec.Labels = labels()
	ours, err := mine.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { mine.Remove(context.Background(), ours, true) })
	spec.Labels = labels()
	theirs, err := other.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { other.Remove(context.Background(), theirs, true) })
	// A container made by hand carries no label at all.
	byHand, err := cli.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"true"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatalf("create by hand: %v", err)
	}
	t.Cleanup(func() {
		cli.ContainerRemove(context.Background(), byHand.ID, container.RemoveOptions{Force: true})
	})

	list, err := mine.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var ids []string
	for _, st := range list {
		ids = append(ids, st.ID)
	}
	if !slices.Equal(ids, []string{ours}) {
		t.Fatalf("list: got %q, want only %q (not %q nor %q)", ids, ours, theirs, byHand.ID)
	}
}

// TestNewUnreachable checks that an engine that does not answer is
// ErrUnavailable, with no engine needed.
func TestNewUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := docker.New(ctx, docker.Options{Host: "unix://" + t.TempDir() + "/absent.sock"})
	if !errdefs.IsUnavailable(err) {
		t.Fatalf("new with an absent socket: got %v, want an unavailable error", err)
	}
}

// newDriver is a driver on host with a host name of its own.
func newDriver(t *testing.T, host string) *docker.Driver {
	t.Helper()
	d, err := docker.New(t.Context(), docker.Options{Host: host, HostName: "drivertest-" + uuid.NewString()[:8]})
	if err != nil {
		t.Fatalf("new driver: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// engine is a plain client of the engine, for what the driver cannot do.
func engine(t *testing.T, host string) *client.Client {
	t.Helper()
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// removeImages removes every image of repository.
func removeImages(t *testing.T, cli *client.Client, repository string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	images, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repository))})
	if err != nil {
		t.Errorf("cleanup: list images of %s: %v", repository, err)
		return
	}
	for _, img := range images {
		if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("cleanup: remove image %s: %v", img.ID, err)
		}
	}
}
