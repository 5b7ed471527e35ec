package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// testScoping checks tenant isolation: another project's container is
// ErrNotFound for every operation and absent from lists; an all-projects
// scope sees everything; an unscoped call is refused.
func testScoping(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	mine := mustCreate(t, s, newContainer(projectA, "web"))
	theirs := mustCreate(t, s, newContainer(projectB, "db"))
	if err := s.Actions.StartAction(as(t, projectA), &container.Action{
		Action: container.ActCreate, ContainerUUID: mine.UUID, RequestID: "req-a", ProjectID: projectA,
	}); err != nil {
		t.Fatalf("start action: %v", err)
	}
	id := mine.UUID
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, err := s.Containers.Get(ctx, id); return err }},
		{"Find by uuid", func(ctx context.Context) error { _, err := s.Containers.Find(ctx, id); return err }},
		{"Find by name", func(ctx context.Context) error { _, err := s.Containers.Find(ctx, "web"); return err }},
		{"Update", func(ctx context.Context) error {
			_, err := s.Containers.Update(ctx, id, func(c *container.Container) error { c.Status = container.Stopped; return nil })
			return err
		}},
		{"Delete", func(ctx context.Context) error { return s.Containers.Delete(ctx, id) }},
		{"StartAction", func(ctx context.Context) error {
			return s.Actions.StartAction(ctx, &container.Action{Action: container.ActStop, ContainerUUID: id, RequestID: "req-b"})
		}},
		{"StartEvent", func(ctx context.Context) error { return s.Actions.StartEvent(ctx, id, "req-a", "ev") }},
		{"FinishEvent", func(ctx context.Context) error { return s.Actions.FinishEvent(ctx, id, "req-a", "ev", nil) }},
		{"ListActions", func(ctx context.Context) error { _, err := s.Actions.ListActions(ctx, id); return err }},
		{"GetAction", func(ctx context.Context) error { _, err := s.Actions.GetAction(ctx, id, "req-a"); return err }},
	}
	for _, tt := range calls {
		t.Run("foreign "+tt.name+" is not found", func(t *testing.T) {
			if err := tt.call(as(t, projectB)); !errdefs.IsNotFound(err) {
				t.Fatalf("%s by another project: got %v, want ErrNotFound", tt.name, err)
			}
		})
	}
	t.Run("foreign calls changed nothing", func(t *testing.T) {
		c, err := s.Containers.Get(as(t, projectA), id)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if c.Status != container.Created || c.Revision != mine.Revision {
			t.Fatalf("status %s revision %d, want Created at %d", c.Status, c.Revision, mine.Revision)
		}
		actions, err := s.Actions.ListActions(as(t, projectA), id)
		if err != nil || len(actions) != 1 || len(actions[0].Events) != 0 {
			t.Fatalf("actions: %v %+v, want the one action without events", err, actions)
		}
	})

	t.Run("lists", func(t *testing.T) {
		tests := []struct {
			name    string
			ctx     context.Context
			filters map[string]string
			want    []string
		}{
			{"own project", as(t, projectA), nil, []string{mine.UUID}},
			{"other project", as(t, projectB), nil, []string{theirs.UUID}},
			{"filter on another project", as(t, projectB), map[string]string{"project_id": projectA}, []string{}},
			{"all projects", admin(t), nil, []string{mine.UUID, theirs.UUID}},
			{"all projects, one project", admin(t), map[string]string{"project_id": projectB}, []string{theirs.UUID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Containers.List(tt.ctx, container.ListOptions{Filters: tt.filters})
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				if !slices.Equal(uuids(got), tt.want) {
					t.Fatalf("list: got %v, want %v", uuids(got), tt.want)
				}
			})
		}
	})

	t.Run("all projects sees every container", func(t *testing.T) {
		for _, c := range []*container.Container{mine, theirs} {
			if got, err := s.Containers.Get(admin(t), c.UUID); err != nil || got.UUID != c.UUID {
				t.Fatalf("get %s: %v", c.UUID, err)
			}
			if got, err := s.Containers.Find(admin(t), c.Name); err != nil || got.UUID != c.UUID {
				t.Fatalf("find %s: %v", c.Name, err)
			}
		}
	})

	t.Run("create in another project is refused", func(t *testing.T) {
		err := s.Containers.Create(as(t, projectB), newContainer(projectA, "intruder"))
		if !errdefs.IsForbidden(err) {
			t.Fatalf("got %v, want ErrForbidden", err)
		}
	})

	t.Run("watch needs all projects", func(t *testing.T) {
		if _, _, err := s.Watcher.Watch(as(t, projectA)); !errdefs.IsForbidden(err) {
			t.Fatalf("got %v, want ErrForbidden", err)
		}
	})

	t.Run("unscoped calls are refused", func(t *testing.T) {
		ctx := t.Context()
		all := slices.Concat(calls, []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"Create", func(ctx context.Context) error { return s.Containers.Create(ctx, newContainer(projectA, "x")) }},
			{"List", func(ctx context.Context) error {
				_, err := s.Containers.List(ctx, container.ListOptions{})
				return err
			}},
			{"Watch", func(ctx context.Context) error { _, _, err := s.Watcher.Watch(ctx); return err }},
		})
		for _, tt := range all {
			if err := tt.call(ctx); !errors.Is(err, errdefs.ErrForbidden) {
				t.Errorf("unscoped %s: got %v, want ErrForbidden", tt.name, err)
			}
		}
	})
}
