package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// records is what the volume, registry and image stores share: JSON
// records under a prefix, keyed by id, each in one project. A caller sees
// only what its scope allows: another project's record is not found.
type records[T any] struct {
	db       *DB
	prefix   string
	kind     string // "volume", in messages
	notFound func(ident string) error
	id       func(*T) string
	project  func(*T) string
	created  func(*T) time.Time
	// loaded, when set, finishes a record read from the store (opens a
	// sealed password); saving prepares one to be written (seals it).
	loaded, saving func(*T) error
	// public, when set, says a record is readable outside its project
	// (a public image); changing it still needs its project in scope.
	public func(*T) bool
}

// readable reports whether scope may read v.
func (r records[T]) readable(scope auth.Scope, v *T) bool {
	return scope.Allows(r.project(v)) || (r.public != nil && r.public(v))
}

// owned reads record id for a change: ErrForbidden when the caller may
// read it but not change it.
func (r records[T]) owned(ctx context.Context, id string) (*T, int64, error) {
	v, rev, err := r.get(ctx, id)
	if err != nil || r.public == nil {
		return v, rev, err
	}
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !scope.Allows(r.project(v)) {
		return nil, 0, errdefs.Forbiddenf("You are not permitted to change %s %s.", r.kind, id)
	}
	return v, rev, nil
}

// create stores v, new, in its project.
func (r records[T]) create(ctx context.Context, v *T) (int64, error) {
	if err := mayCreateIn(ctx, r.project(v), r.kind); err != nil {
		return 0, err
	}
	if r.saving != nil {
		if err := r.saving(v); err != nil {
			return 0, err
		}
	}
	return r.db.Txn().Create(r.prefix+r.id(v), v).Commit(ctx)
}

// get reads record id, with its revision.
func (r records[T]) get(ctx context.Context, id string) (*T, int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if id == "" || strings.Contains(id, "/") {
		return nil, 0, r.notFound(id)
	}
	it, err := Get[T](ctx, r.db, r.prefix+id)
	if errdefs.IsNotFound(err) || (err == nil && !r.readable(scope, &it.Value)) {
		return nil, 0, r.notFound(id)
	}
	if err != nil {
		return nil, 0, err
	}
	if r.loaded != nil {
		if err := r.loaded(&it.Value); err != nil {
			return nil, 0, err
		}
	}
	return &it.Value, it.Revision, nil
}

// list returns the records the scope allows, oldest first, each with its
// revision.
func (r records[T]) list(ctx context.Context) ([]*T, []int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	items, _, err := List[T](ctx, r.db, r.prefix)
	if err != nil {
		return nil, nil, err
	}
	items = slices.DeleteFunc(items, func(it Item[T]) bool { return !r.readable(scope, &it.Value) })
	slices.SortStableFunc(items, func(a, b Item[T]) int { return r.created(&a.Value).Compare(r.created(&b.Value)) })
	out, revs := make([]*T, 0, len(items)), make([]int64, 0, len(items))
	for i := range items {
		if r.loaded != nil {
			if err := r.loaded(&items[i].Value); err != nil {
				return nil, nil, err
			}
		}
		out, revs = append(out, &items[i].Value), append(revs, items[i].Revision)
	}
	return out, revs, nil
}

// find returns record ident, else the one record of that name.
func (r records[T]) find(ctx context.Context, ident string, name func(*T) string, ambiguous error) (*T, int64, error) {
	v, rev, err := r.get(ctx, ident)
	if !errdefs.IsNotFound(err) {
		return v, rev, err
	}
	all, revs, err := r.list(ctx)
	if err != nil {
		return nil, 0, err
	}
	found := -1
	for i, v := range all {
		if name(v) != ident {
			continue
		}
		if found >= 0 {
			return nil, 0, ambiguous
		}
		found = i
	}
	if found < 0 {
		return nil, 0, r.notFound(ident)
	}
	return all[found], revs[found], nil
}

// update applies fn to record id and stores it if it did not change in
// between, else tries again with the newer record. fn must not change the
// id or the project.
func (r records[T]) update(ctx context.Context, id string, fn func(*T) error) (*T, int64, error) {
	for attempt := 0; ; attempt++ {
		v, rev, err := r.owned(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		project := r.project(v)
		if err := fn(v); err != nil {
			return nil, 0, err
		}
		if r.id(v) != id || r.project(v) != project {
			return nil, 0, errdefs.Invalidf("%s %s: the id and project cannot change", r.kind, id)
		}
		if r.saving != nil {
			if err := r.saving(v); err != nil {
				return nil, 0, err
			}
		}
		newRev, err := r.db.Txn().Swap(r.prefix+id, v, rev).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		return v, newRev, nil
	}
}

// delete removes record id if check (when set) allows it, checked against
// the record as deleted.
func (r records[T]) delete(ctx context.Context, id string, check func(*T) error) error {
	for attempt := 0; ; attempt++ {
		v, rev, err := r.owned(ctx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(v); err != nil {
				return err
			}
		}
		_, err = r.db.Txn().Require(r.prefix+id, rev).Delete(r.prefix + id).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// mayCreateIn checks that ctx's scope allows creating a record of kind in
// project.
func mayCreateIn(ctx context.Context, project, kind string) error {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	if project == "" || !scope.Allows(project) {
		return errdefs.Forbiddenf("cannot create a %s in project %q", kind, project)
	}
	return nil
}
