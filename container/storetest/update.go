package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// testUpdate checks compare-and-swap updates.
func testUpdate(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	ctx := as(t, projectA)

	t.Run("stores the change", func(t *testing.T) {
		c := mustCreate(t, s, newContainer(projectA, "u1"))
		if c.Schema != container.SchemaVersion || c.Revision == 0 {
			t.Fatalf("created: schema %d revision %d, want schema %d and a revision", c.Schema, c.Revision, container.SchemaVersion)
		}
		got, err := s.Containers.Update(ctx, c.UUID, func(c *container.Container) error {
			c.Status = container.Running
			return nil
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if got.Status != container.Running || got.Revision <= c.Revision || got.UpdatedAt.IsZero() {
			t.Fatalf("updated: status %s revision %d (was %d) updated_at %v", got.Status, got.Revision, c.Revision, got.UpdatedAt)
		}
		read, err := s.Containers.Get(ctx, c.UUID)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if read.Status != container.Running || read.Revision != got.Revision || !read.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("read back: status %s revision %d, want Running at %d", read.Status, read.Revision, got.Revision)
		}
	})

	t.Run("an error from fn changes nothing", func(t *testing.T) {
		c := mustCreate(t, s, newContainer(projectA, "u2"))
		boom := errors.New("boom")
		_, err := s.Containers.Update(ctx, c.UUID, func(c *container.Container) error {
			c.Status = container.Error
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want fn's error", err)
		}
		read, err := s.Containers.Get(ctx, c.UUID)
		if err != nil || read.Status != container.Created || read.Revision != c.Revision {
			t.Fatalf("read back: %v status %s revision %d, want unchanged", err, read.Status, read.Revision)
		}
	})

	t.Run("uuid and project cannot change", func(t *testing.T) {
		c := mustCreate(t, s, newContainer(projectA, "u3"))
		for _, change := range []func(*container.Container){
			func(c *container.Container) { c.ProjectID = projectB },
			func(c *container.Container) { c.UUID = "other" },
		} {
			_, err := s.Containers.Update(ctx, c.UUID, func(c *container.Container) error { change(c); return nil })
			if !errdefs.IsInvalid(err) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		}
	})

	t.Run("missing", func(t *testing.T) {
		_, err := s.Containers.Update(ctx, "0d0d0d0d-0000-4000-8000-000000000000", func(*container.Container) error { return nil })
		if !errdefs.IsNotFound(err) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent updates lose nothing", func(t *testing.T) {
		c := mustCreate(t, s, newContainer(projectA, "counter"))
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := s.Containers.Update(ctx, c.UUID, func(c *container.Container) error {
					c.SetOp(container.Op{Action: container.ActStart})
					return nil
				})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		read, err := s.Containers.Get(ctx, c.UUID)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if read.OpSeq != n {
			t.Fatalf("op seq %d after %d concurrent updates", read.OpSeq, n)
		}
	})
}

// testDelete checks that a deleted container is gone for every lookup.
func testDelete(t *testing.T, newStore Factory) {
	s := newStore(t, Options{NameScope: "project"})
	ctx := as(t, projectA)
	c := mustCreate(t, s, newContainer(projectA, "doomed"))
	if err := s.Containers.Delete(ctx, c.UUID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	lookups := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Containers.Get(ctx, c.UUID); return err }},
		{"Find by uuid", func() error { _, err := s.Containers.Find(ctx, c.UUID); return err }},
		{"Find by name", func() error { _, err := s.Containers.Find(ctx, c.Name); return err }},
		{"Delete again", func() error { return s.Containers.Delete(ctx, c.UUID) }},
	}
	for _, tt := range lookups {
		if err := tt.call(); !errdefs.IsNotFound(err) {
			t.Fatalf("%s: got %v, want ErrNotFound", tt.name, err)
		}
	}
	list, err := s.Containers.List(ctx, container.ListOptions{})
	if err != nil || len(list) != 0 {
		t.Fatalf("list: %v %v, want none", err, uuids(list))
	}
}
