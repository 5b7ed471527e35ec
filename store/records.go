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

// Records are a collection of JSON records under a prefix, keyed by id,
// each in one project: what the domain stores of volumes, networks,
// registries and images build on. A caller sees only what its scope
// allows: another project's record is not found. Writes compare and swap;
// Update and Delete retry a conflict with the newer record.
type Records[T any] struct {
	DB       *DB
	Prefix   string
	Kind     string // "volume", in messages
	NotFound func(ident string) error
	ID       func(*T) string
	Project  func(*T) string
	Created  func(*T) time.Time
	// Loaded, when set, finishes a record read from the store (opens a
	// sealed password); Saving prepares one to be written (seals it).
	Loaded, Saving func(*T) error
	// Public, when set, says a record is readable outside its project
	// (a public image); changing it still needs its project in scope.
	Public func(*T) bool
}

// Readable reports whether scope may read v.
func (r Records[T]) Readable(scope auth.Scope, v *T) bool {
	return scope.Allows(r.Project(v)) || (r.Public != nil && r.Public(v))
}

// Owned reads record id for a change: ErrForbidden when the caller may
// read it but not change it.
func (r Records[T]) Owned(ctx context.Context, id string) (*T, int64, error) {
	v, rev, err := r.Get(ctx, id)
	if err != nil || r.Public == nil {
		return v, rev, err
	}
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !scope.Allows(r.Project(v)) {
		return nil, 0, errdefs.Forbiddenf("You are not permitted to change %s %s.", r.Kind, id)
	}
	return v, rev, nil
}

// Create stores v, new, in its project.
func (r Records[T]) Create(ctx context.Context, v *T) (int64, error) {
	if err := auth.MayCreateIn(ctx, r.Project(v), r.Kind); err != nil {
		return 0, err
	}
	if r.Saving != nil {
		if err := r.Saving(v); err != nil {
			return 0, err
		}
	}
	return r.DB.Txn().Create(r.Prefix+r.ID(v), v).Commit(ctx)
}

// Get reads record id, with its revision.
func (r Records[T]) Get(ctx context.Context, id string) (*T, int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if id == "" || strings.Contains(id, "/") {
		return nil, 0, r.NotFound(id)
	}
	it, err := Get[T](ctx, r.DB, r.Prefix+id)
	if errdefs.IsNotFound(err) || (err == nil && !r.Readable(scope, &it.Value)) {
		return nil, 0, r.NotFound(id)
	}
	if err != nil {
		return nil, 0, err
	}
	if r.Loaded != nil {
		if err := r.Loaded(&it.Value); err != nil {
			return nil, 0, err
		}
	}
	return &it.Value, it.Revision, nil
}

// List returns the records the scope allows, oldest first, each with its
// revision.
func (r Records[T]) List(ctx context.Context) ([]*T, []int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	items, _, err := List[T](ctx, r.DB, r.Prefix)
	if err != nil {
		return nil, nil, err
	}
	items = slices.DeleteFunc(items, func(it Item[T]) bool { return !r.Readable(scope, &it.Value) })
	slices.SortStableFunc(items, func(a, b Item[T]) int { return r.Created(&a.Value).Compare(r.Created(&b.Value)) })
	out, revs := make([]*T, 0, len(items)), make([]int64, 0, len(items))
	for i := range items {
		if r.Loaded != nil {
			if err := r.Loaded(&items[i].Value); err != nil {
				return nil, nil, err
			}
		}
		out, revs = append(out, &items[i].Value), append(revs, items[i].Revision)
	}
	return out, revs, nil
}

// Find returns record ident, else the one record of that name.
func (r Records[T]) Find(ctx context.Context, ident string, name func(*T) string, ambiguous error) (*T, int64, error) {
	v, rev, err := r.Get(ctx, ident)
	if !errdefs.IsNotFound(err) {
		return v, rev, err
	}
	all, revs, err := r.List(ctx)
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
		return nil, 0, r.NotFound(ident)
	}
	return all[found], revs[found], nil
}

// Update applies fn to record id and stores it if it did not change in
// between, else tries again with the newer record. fn must not change the
// id or the project.
func (r Records[T]) Update(ctx context.Context, id string, fn func(*T) error) (*T, int64, error) {
	for attempt := 0; ; attempt++ {
		v, rev, err := r.Owned(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		project := r.Project(v)
		if err := fn(v); err != nil {
			return nil, 0, err
		}
		if r.ID(v) != id || r.Project(v) != project {
			return nil, 0, errdefs.Invalidf("%s %s: the id and project cannot change", r.Kind, id)
		}
		if r.Saving != nil {
			if err := r.Saving(v); err != nil {
				return nil, 0, err
			}
		}
		newRev, err := r.DB.Txn().Swap(r.Prefix+id, v, rev).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := Backoff(ctx, attempt); err != nil {
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

// Delete removes record id if check (when set) allows it, checked against
// the record as deleted.
func (r Records[T]) Delete(ctx context.Context, id string, check func(*T) error) error {
	for attempt := 0; ; attempt++ {
		v, rev, err := r.Owned(ctx, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(v); err != nil {
				return err
			}
		}
		_, err = r.DB.Txn().Require(r.Prefix+id, rev).Delete(r.Prefix + id).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := Backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return err
	}
}
