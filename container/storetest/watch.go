package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/zun-go/zun/container"
)

// testWatch checks the snapshot and the ordered stream of changes after it.
func testWatch(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	ctx := as(t, projectA)
	before := mustCreate(t, s, newContainer(projectA, "before"))
	other := mustCreate(t, s, newContainer(projectB, "other"))

	wctx, cancel := context.WithCancel(admin(t))
	snapshot, changes, err := s.Watcher.Watch(wctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if got := uuids(snapshot); !slices.Contains(got, before.UUID) || !slices.Contains(got, other.UUID) || len(got) != 2 {
		t.Fatalf("snapshot %v, want both projects' containers", got)
	}
	for _, c := range snapshot {
		if c.UUID == before.UUID && c.Revision != before.Revision {
			t.Fatalf("snapshot revision %d, want %d", c.Revision, before.Revision)
		}
	}

	added := mustCreate(t, s, newContainer(projectA, "added"))
	if _, err := s.Containers.Update(ctx, before.UUID, func(c *container.Container) error {
		c.Status = container.Running
		return nil
	}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := s.Containers.Delete(ctx, added.UUID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := s.Containers.Delete(as(t, projectB), other.UUID); err != nil {
		t.Fatalf("delete: %v", err)
	}

	want := []struct {
		uuid    string
		name    string
		status  container.Status
		deleted bool
	}{
		{added.UUID, "added", container.Created, false},
		{before.UUID, "before", container.Running, false},
		{added.UUID, "added", container.Created, true},
		{other.UUID, "other", container.Created, true},
	}
	var last int64
	for i, w := range want {
		ch := receive(t, changes)
		c := ch.Container
		if c == nil || c.UUID != w.uuid || c.Name != w.name || c.Status != w.status || ch.Deleted != w.deleted {
			t.Fatalf("change %d: got %s %v deleted=%v, want %s %s deleted=%v",
				i, describe(c), c.Status, ch.Deleted, w.name, w.status, w.deleted)
		}
		if !ch.Deleted {
			if c.Revision <= last {
				t.Fatalf("change %d: revision %d after %d", i, c.Revision, last)
			}
			last = c.Revision
		}
	}

	cancel()
	eventually(t, func() error {
		select {
		case _, ok := <-changes:
			if !ok {
				return nil
			}
			return errors.New("a change after cancel")
		default:
			return errors.New("channel still open after cancel")
		}
	})
}
