package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// testActions checks the life of actions and their events.
func testActions(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	ctx := as(t, projectA)
	c := mustCreate(t, s, newContainer(projectA, "acted"))
	start := func(t *testing.T, action, requestID string) {
		t.Helper()
		err := s.Actions.StartAction(ctx, &container.Action{
			Action: action, ContainerUUID: c.UUID, RequestID: requestID, ProjectID: projectA, UserID: "user-a",
		})
		if err != nil {
			t.Fatalf("start action %s: %v", action, err)
		}
	}
	step := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v", err)
		}
	}
	get := func(t *testing.T, requestID string) *container.Action {
		t.Helper()
		a, err := s.Actions.GetAction(ctx, c.UUID, requestID)
		if err != nil {
			t.Fatalf("get action %s: %v", requestID, err)
		}
		return a
	}

	t.Run("success", func(t *testing.T) {
		start(t, container.ActCreate, "req-1")
		a := get(t, "req-1")
		if a.Action != container.ActCreate || a.StartTime.IsZero() || !a.FinishTime.IsZero() || len(a.Events) != 0 {
			t.Fatalf("started action: %+v", a)
		}
		step(t, s.Actions.StartEvent(ctx, c.UUID, "req-1", "compute__do_container_create"))
		step(t, s.Actions.FinishEvent(ctx, c.UUID, "req-1", "compute__do_container_create", nil))
		a = get(t, "req-1")
		if len(a.Events) != 1 {
			t.Fatalf("events: %+v", a.Events)
		}
		e := a.Events[0]
		if e.Result != container.ResultSuccess || e.FinishTime.IsZero() || e.Traceback != "" || a.FinishTime.IsZero() || a.Message != "" {
			t.Fatalf("finished: action %+v", a)
		}
	})

	t.Run("failure", func(t *testing.T) {
		start(t, container.ActStop, "req-2")
		step(t, s.Actions.StartEvent(ctx, c.UUID, "req-2", "compute__do_container_stop"))
		step(t, s.Actions.FinishEvent(ctx, c.UUID, "req-2", "compute__do_container_stop", errors.New("docker said no")))
		a := get(t, "req-2")
		e := a.Events[0]
		if e.Result != container.ResultError || e.Traceback != "docker said no" || a.Message != "Error" || a.FinishTime.IsZero() {
			t.Fatalf("failed: action %+v", a)
		}
	})

	t.Run("an event started again is the same event", func(t *testing.T) {
		// An op tried again (after an engine outage or an agent restart)
		// starts its event again: one event, finished once.
		start(t, container.ActReboot, "req-3")
		step(t, s.Actions.StartEvent(ctx, c.UUID, "req-3", "ev"))
		step(t, s.Actions.StartEvent(ctx, c.UUID, "req-3", "ev"))
		if ev := get(t, "req-3").Events; len(ev) != 1 {
			t.Fatalf("events after two starts: %+v", ev)
		}
		step(t, s.Actions.FinishEvent(ctx, c.UUID, "req-3", "ev", nil))
		if ev := get(t, "req-3").Events; ev[0].Result != container.ResultSuccess {
			t.Fatalf("events after a finish: %+v", ev)
		}
		if err := s.Actions.FinishEvent(ctx, c.UUID, "req-3", "ev", nil); !errdefs.IsNotFound(err) {
			t.Fatalf("finish with none left: got %v, want ErrNotFound", err)
		}
		step(t, s.Actions.StartEvent(ctx, c.UUID, "req-3", "ev"))
		if ev := get(t, "req-3").Events; len(ev) != 2 || !ev[1].FinishTime.IsZero() {
			t.Fatalf("a finished event started again: %+v", ev)
		}
	})

	t.Run("newest first", func(t *testing.T) {
		list, err := s.Actions.ListActions(ctx, c.UUID)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.RequestID)
		}
		if want := []string{"req-3", "req-2", "req-1"}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"same request twice", s.Actions.StartAction(ctx, &container.Action{
				Action: container.ActStart, ContainerUUID: c.UUID, RequestID: "req-1"}), errdefs.ErrConflict},
			{"action of a missing container", s.Actions.StartAction(ctx, &container.Action{
				Action: container.ActStart, ContainerUUID: "0d0d0d0d-0000-4000-8000-000000000000", RequestID: "req-9"}), errdefs.ErrNotFound},
			{"event of an unknown request", s.Actions.StartEvent(ctx, c.UUID, "req-9", "ev"), errdefs.ErrNotFound},
			{"finish of an unknown event", s.Actions.FinishEvent(ctx, c.UUID, "req-1", "nope", nil), errdefs.ErrNotFound},
		}
		for _, tt := range tests {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
			}
		}
		if _, err := s.Actions.GetAction(ctx, c.UUID, "req-9"); !errdefs.IsNotFound(err) {
			t.Errorf("get unknown action: got %v, want ErrNotFound", err)
		}
	})

	t.Run("deleted with the container", func(t *testing.T) {
		step(t, s.Containers.Delete(ctx, c.UUID))
		if _, err := s.Actions.ListActions(ctx, c.UUID); !errdefs.IsNotFound(err) {
			t.Fatalf("list actions of a deleted container: got %v, want ErrNotFound", err)
		}
		again := newContainer(projectA, "acted")
		again.UUID = c.UUID
		mustCreate(t, s, again)
		list, err := s.Actions.ListActions(ctx, c.UUID)
		if err != nil || len(list) != 0 {
			t.Fatalf("actions of a new container with the same uuid: %v %d, want none", err, len(list))
		}
	})
}

// testCreateWithAction checks that a record created with its first action
// has that action from the first moment on, and that a failed create
// stores neither.
func testCreateWithAction(t *testing.T, newStore Factory) {
	s := newStore(t, Options{NameScope: "project"})
	ctx := as(t, projectA)
	c := newContainer(projectA, "born-with-action")
	c.UUID = "0e3c6c8a-6f1e-4a43-9d4f-6f3f1b0a1c01"
	first := &container.Action{Action: container.ActCreate, ContainerUUID: c.UUID, RequestID: "req-create", ProjectID: projectA}
	if err := s.Containers.Create(ctx, c, first); err != nil {
		t.Fatalf("create: %v", err)
	}
	a, err := s.Actions.GetAction(ctx, c.UUID, "req-create")
	if err != nil || a.Action != container.ActCreate {
		t.Fatalf("action after create: %+v, %v", a, err)
	}
	dup := newContainer(projectA, "born-with-action")
	dup.UUID = "0e3c6c8a-6f1e-4a43-9d4f-6f3f1b0a1c02"
	err = s.Containers.Create(ctx, dup, &container.Action{Action: container.ActCreate, ContainerUUID: dup.UUID, RequestID: "req-dup"})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("create with a taken name: %v, want conflict", err)
	}
	if _, err := s.Actions.GetAction(as(t, projectA), dup.UUID, "req-dup"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("action of a refused create: %v, want not found", err)
	}
}
