package store

import (
	"context"
	"errors"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// A capsule is stored as records of the container store: its own (Kind
// capsule), which holds its claim, quota, ports and volumes through the
// participants, and one per member (CapsuleID set), which the
// participants do not see. The group methods write a capsule's records
// together, so that nobody sees a capsule without its members, or members
// on a host their capsule is not on.

// CreateGroup implements container.GroupStore.
func (s *ContainerStore) CreateGroup(ctx context.Context, recs []*container.Container, actions ...*container.Action) error {
	if err := checkGroup(recs); err != nil {
		return err
	}
	return s.create(ctx, recs, actions)
}

// checkGroup refuses records that are not a capsule followed by its
// members.
func checkGroup(recs []*container.Container) error {
	if len(recs) == 0 || !recs[0].IsCapsule() || recs[0].UUID == "" {
		return errdefs.Invalidf("a group is a capsule's record, with its uuid, then its members")
	}
	for _, m := range recs[1:] {
		if m.CapsuleID != recs[0].UUID || m.IsCapsule() {
			return errdefs.Invalidf("container %s is not a member of capsule %s", m.UUID, recs[0].UUID)
		}
	}
	return nil
}

// UpdateGroup implements container.GroupStore.
func (s *ContainerStore) UpdateGroup(ctx context.Context, uuids []string, fn func([]*container.Container) error) ([]*container.Container, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		olds := make([]*container.Container, len(uuids))
		news := make([]*container.Container, len(uuids))
		revs := make([]int64, len(uuids))
		for i, id := range uuids {
			it, err := s.get(ctx, scope, id)
			if err != nil {
				return nil, err
			}
			if it.Value.Schema > container.SchemaVersion {
				return nil, errdefs.Unavailablef("container %s was written by a newer version (schema %d); upgrade this service", id, it.Value.Schema)
			}
			olds[i], news[i], revs[i] = &it.Value, it.Value.Clone(), it.Revision
		}
		if err := fn(news); err != nil {
			return nil, err
		}
		txn := s.db.Txn()
		now := time.Now().UTC()
		for i, c := range news {
			old := olds[i]
			if c.UUID != old.UUID || c.ProjectID != old.ProjectID || c.CapsuleID != old.CapsuleID || c.Kind != old.Kind || c.Name != old.Name {
				return nil, errdefs.Invalidf("container %s: the uuid, project, kind, capsule and name cannot change in a group", old.UUID)
			}
			if old.Schema == container.SchemaVersion && old.SameAs(c) {
				continue
			}
			c.Schema, c.UpdatedAt = container.SchemaVersion, now
			if err := s.updating(ctx, txn, old, c); err != nil {
				return nil, err
			}
			txn.Swap(containerKey(c.UUID), c, revs[i])
		}
		if len(txn.ops) == 0 {
			return olds, nil // nothing changed
		}
		rev, err := txn.Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := Backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for i, c := range news {
			if c.UpdatedAt.Equal(now) {
				c.Revision = rev
			} else {
				c.Revision = revs[i]
			}
		}
		s.wrote(rev)
		return news, nil
	}
}

// DeleteGroup implements container.GroupStore.
func (s *ContainerStore) DeleteGroup(ctx context.Context, uuids []string, check func(*container.Container) error) error {
	return s.delete(ctx, uuids, false, check)
}

// delete removes the records of uuids, with their actions and their
// names' uniqueness keys, in one transaction; a record already gone is
// ErrNotFound when mustExist, else passed over. check, when not nil, may
// refuse a record as read for the transaction.
func (s *ContainerStore) delete(ctx context.Context, uuids []string, mustExist bool, check func(*container.Container) error) error {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		txn := s.db.Txn()
		for _, id := range uuids {
			it, err := s.get(ctx, scope, id)
			if errdefs.IsNotFound(err) && !mustExist {
				continue
			}
			if err != nil {
				return err
			}
			if check != nil {
				if err := check(&it.Value); err != nil {
					return err
				}
			}
			txn.Require(containerKey(id), it.Revision).Delete(containerKey(id)).DeletePrefix(containerActionsPrefix(id))
			if err := s.releaseName(ctx, txn, &it.Value); err != nil {
				return err
			}
			if err := s.deleting(ctx, txn, &it.Value); err != nil {
				return err
			}
		}
		if len(txn.ops) == 0 {
			return nil
		}
		rev, err := txn.Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := Backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		s.wrote(rev)
		return nil
	}
}

var _ container.GroupStore = (*ContainerStore)(nil)
