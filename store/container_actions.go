package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Actions are kept per container, at container-actions/<uuid>/<request
// id>, each with its events, and deleted with the container. Every method
// first reads the container, so the caller's scope decides what it sees:
// another project's actions are ErrNotFound, like its container.

func actionKey(uuid, requestID string) string { return containerActionsPrefix(uuid) + requestID }

// actionSchema is the version of the stored action's shape.
const actionSchema = 1

// actionRecord is an action as stored.
type actionRecord struct {
	Schema int `json:"schema"`
	container.Action
}

// StartAction implements container.ActionStore. The container must exist;
// one request records one action per container.
func (s *ContainerStore) StartAction(ctx context.Context, a *container.Action) error {
	if a.RequestID == "" || a.Action == "" {
		return errdefs.Invalidf("container action needs an action and a request id")
	}
	if _, err := s.Get(ctx, a.ContainerUUID); err != nil {
		return err
	}
	stored := actionRecord{Schema: actionSchema, Action: *a}
	if stored.StartTime.IsZero() {
		stored.StartTime = time.Now().UTC()
	}
	stored.Events = slices.Clone(a.Events)
	_, err := s.db.Txn().
		Exists(containerKey(a.ContainerUUID)).
		Create(actionKey(a.ContainerUUID, a.RequestID), stored).
		Commit(ctx)
	if conflict := (*ConflictError)(nil); errors.As(err, &conflict) {
		if conflict.Has(containerKey(a.ContainerUUID)) {
			return notFound(a.ContainerUUID)
		}
		return errdefs.Conflictf("Action for request_id %s on container %s already exists", a.RequestID, a.ContainerUUID)
	}
	return err
}

// StartEvent implements container.ActionStore.
func (s *ContainerStore) StartEvent(ctx context.Context, uuid, requestID, event string) error {
	return s.updateAction(ctx, uuid, requestID, func(a *container.Action) error {
		if n := len(a.Events); n > 0 && a.Events[n-1].Event == event && a.Events[n-1].FinishTime.IsZero() {
			return nil // started already: an op tried again after an outage
		}
		a.Events = append(a.Events, container.Event{Event: event, StartTime: time.Now().UTC()})
		return nil
	})
}

// FinishEvent implements container.ActionStore: the newest unfinished
// event of that name finishes, and the action with it. A cause makes the
// event an Error with the cause as traceback, and the action's message
// "Error", as Zun does.
func (s *ContainerStore) FinishEvent(ctx context.Context, uuid, requestID, event string, cause error) error {
	return s.updateAction(ctx, uuid, requestID, func(a *container.Action) error {
		i := len(a.Events) - 1
		for ; i >= 0; i-- {
			if a.Events[i].Event == event && a.Events[i].FinishTime.IsZero() {
				break
			}
		}
		if i < 0 {
			return errdefs.NotFoundf("Event %s not found for action %s of container %s", event, requestID, uuid)
		}
		now := time.Now().UTC()
		e := &a.Events[i]
		e.FinishTime, e.Result = now, container.ResultSuccess
		a.FinishTime = now
		if cause != nil {
			e.Result, e.Traceback = container.ResultError, cause.Error()
			a.Message = container.ResultError
		}
		return nil
	})
}

// updateAction applies fn to an action of a container the scope allows.
func (s *ContainerStore) updateAction(ctx context.Context, uuid, requestID string, fn func(*container.Action) error) error {
	if _, err := s.Get(ctx, uuid); err != nil {
		return err
	}
	found := false
	_, err := Update(ctx, s.db, actionKey(uuid, requestID), func(r *actionRecord) error {
		found = true
		r.Schema = actionSchema
		return fn(&r.Action)
	})
	if !found && errdefs.IsNotFound(err) {
		return actionNotFound(uuid, requestID)
	}
	return err
}

// ListActions implements container.ActionStore: newest first.
func (s *ContainerStore) ListActions(ctx context.Context, uuid string) ([]*container.Action, error) {
	if _, err := s.Get(ctx, uuid); err != nil {
		return nil, err
	}
	items, _, err := List[actionRecord](ctx, s.db, containerActionsPrefix(uuid))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b Item[actionRecord]) int {
		return cmp.Compare(b.CreateRevision, a.CreateRevision)
	})
	actions := make([]*container.Action, 0, len(items))
	for i := range items {
		actions = append(actions, &items[i].Value.Action)
	}
	return actions, nil
}

// GetAction implements container.ActionStore.
func (s *ContainerStore) GetAction(ctx context.Context, uuid, requestID string) (*container.Action, error) {
	if _, err := s.Get(ctx, uuid); err != nil {
		return nil, err
	}
	it, err := Get[actionRecord](ctx, s.db, actionKey(uuid, requestID))
	if errdefs.IsNotFound(err) {
		return nil, actionNotFound(uuid, requestID)
	}
	if err != nil {
		return nil, err
	}
	return &it.Value.Action, nil
}

func actionNotFound(uuid, requestID string) error {
	return errdefs.NotFoundf("Action for request_id %s on container %s not found", requestID, uuid)
}
