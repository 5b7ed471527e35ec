package store

import (
	"context"
	"strings"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Watch implements container.Watcher for an all-projects scope: the
// records as of one store revision, then every change after it, in order.
// The channel closes when ctx ends, when the DB closes, or when etcd can
// no longer follow from where the caller is (history compacted, cluster
// lost); the caller then watches again.
func (s *ContainerStore) Watch(ctx context.Context) ([]*container.Container, <-chan container.Change, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	if !scope.AllProjects {
		return nil, nil, errdefs.Forbiddenf("watching containers needs an all-projects scope")
	}
	items, rev, err := List[container.Container](ctx, s.db, containersPrefix)
	if err != nil {
		return nil, nil, err
	}
	snapshot := make([]*container.Container, 0, len(items))
	for _, it := range items {
		snapshot = append(snapshot, record(it))
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.db.ctx, cancel)
	out := make(chan container.Change, 16)
	batches := Watch[container.Container](ctx, s.db, containersPrefix, rev+1)
	go func() {
		defer close(out)
		defer stop()
		defer cancel()
		for b := range batches {
			if b.Err != nil {
				return
			}
			for _, ev := range b.Events {
				select {
				case out <- container.Change{Container: record(ev.Item), Deleted: ev.Deleted}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return snapshot, out, nil
}

// record is the container of an item, with its Revision set.
func record(it Item[container.Container]) *container.Container {
	c := &it.Value
	c.Revision = it.Revision
	if c.UUID == "" {
		c.UUID = strings.TrimPrefix(it.Key, containersPrefix)
	}
	return c
}
