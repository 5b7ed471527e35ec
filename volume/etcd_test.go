package volume_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
	"github.com/zun-go/zun/volume"
)

// TestVolumeMounts: a container's volumes are attached with its record
// and released with it, atomically: ten creates racing for one volume give
// one container; a refused create leaves no record and no volume; a
// volume asked for by size goes with its container; a released volume
// remembers the host that holds its data.
func TestVolumeMounts(t *testing.T) {
	db := dbtest.Open(t)
	cs := store.Containers(db, store.ContainerOptions{})
	vs := volume.NewEtcdStore(db)
	cs.Join(vs)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	sys := auth.System(context.Background())

	v := &volume.Volume{Size: 1, Status: volume.Available, ProjectID: "p1", UserID: "u1", Name: "data"}
	if err := vs.Create(ctx, v); err != nil {
		t.Fatal(err)
	}
	newContainer := func(mounts ...container.Mount) *container.Container {
		return &container.Container{ProjectID: "p1", UserID: "u1", Image: "img", Status: container.Creating,
			Host: "h1", Mounts: mounts}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []*container.Container
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newContainer(container.Mount{Type: container.MountVolume, VolumeID: v.ID, Destination: "/d"})
			err := cs.Create(ctx, c)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, c)
				mu.Unlock()
			case !errdefs.IsConflict(err):
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d containers mounted the one volume", len(winners))
	}
	if all, _ := cs.List(sys, container.ListOptions{}); len(all) != 1 {
		t.Fatalf("refused creates left %d records", len(all))
	}
	got, _ := vs.Get(ctx, v.ID)
	if got.Status != volume.InUse || len(got.Attachments) != 1 || got.Attachments[0].ContainerUUID != winners[0].UUID {
		t.Fatalf("attached volume: %+v", got)
	}
	if err := vs.Delete(ctx, v.ID); !errdefs.IsConflict(err) {
		t.Fatalf("delete in use: %v", err)
	}

	// Another project's volume is not there; nothing is recorded.
	other := &container.Container{ProjectID: "p2", UserID: "u2", Image: "img", Status: container.Creating,
		Mounts: []container.Mount{{Type: container.MountVolume, VolumeID: v.ID, Destination: "/d"}}}
	if err := cs.Create(auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p2"}), other); !errdefs.IsNotFound(err) {
		t.Fatalf("foreign volume: %v", err)
	}

	// By size: made with the container, gone with it.
	sized := newContainer(container.Mount{Type: container.MountVolume, Size: "2", Destination: "/s"})
	if err := cs.Create(ctx, sized); err != nil {
		t.Fatal(err)
	}
	own := sized.Mounts[0].VolumeID
	if ov, err := vs.Get(ctx, own); err != nil || ov.Size != 2 || ov.Status != volume.InUse || !ov.AutoRemove {
		t.Fatalf("volume made for the container: %+v %v", ov, err)
	}
	if err := cs.Delete(ctx, sized.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Get(ctx, own); !errdefs.IsNotFound(err) {
		t.Fatalf("the container's own volume outlived it: %v", err)
	}

	// Released with its container, on the host that has the data.
	if err := cs.Delete(ctx, winners[0].UUID); err != nil {
		t.Fatal(err)
	}
	got, _ = vs.Get(ctx, v.ID)
	if got.Status != volume.Available || len(got.Attachments) != 0 || got.Host != "h1" {
		t.Fatalf("released volume: %+v", got)
	}
	if err := vs.Delete(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := cs.Create(ctx, newContainer(container.Mount{Type: container.MountVolume, VolumeID: v.ID, Destination: "/d"})); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("mount a deleted volume: %v", err)
	}
}
