package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/registry"
)

// registriesPrefix holds registries/<uuid>: registry.Registry.
const registriesPrefix = "registries/"

// RegistryStore implements registry.Store; passwords are sealed on the
// way in and opened on the way out.
type RegistryStore struct {
	db     *DB
	sealer *registry.Sealer
}

// Registries returns the registry store of db.
func Registries(db *DB, sealer *registry.Sealer) *RegistryStore {
	return &RegistryStore{db: db, sealer: sealer}
}

func registryNotFound(ident string) error {
	return errdefs.NotFoundf("Registry %s could not be found.", ident)
}

// seal sets r.SealedPassword from r.Password.
func (s *RegistryStore) seal(r *registry.Registry) error {
	r.SealedPassword = ""
	if r.Password == "" {
		return nil
	}
	sealed, err := s.sealer.Seal(r.UUID, r.Password)
	r.SealedPassword = sealed
	return err
}

func (s *RegistryStore) open(r *registry.Registry) error {
	p, err := s.sealer.Open(r.UUID, r.SealedPassword)
	if err != nil {
		return errdefs.Unavailablef("registry %s: %v", r.UUID, err)
	}
	r.Password = p
	return nil
}

// Create implements registry.Store.
func (s *RegistryStore) Create(ctx context.Context, r *registry.Registry) error {
	if err := mayCreateIn(ctx, r.ProjectID, "registry"); err != nil {
		return err
	}
	r.Schema = registry.SchemaVersion
	r.UUID = uuid.NewString()
	r.CreatedAt = time.Now().UTC()
	if err := s.seal(r); err != nil {
		return err
	}
	_, err := s.db.Txn().Create(registriesPrefix+r.UUID, r).Commit(ctx)
	return err
}

func (s *RegistryStore) get(ctx context.Context, id string) (*registry.Registry, int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if id == "" || strings.Contains(id, "/") {
		return nil, 0, registryNotFound(id)
	}
	it, err := Get[registry.Registry](ctx, s.db, registriesPrefix+id)
	if errdefs.IsNotFound(err) || (err == nil && !scope.Allows(it.Value.ProjectID)) {
		return nil, 0, registryNotFound(id)
	}
	if err != nil {
		return nil, 0, err
	}
	r := it.Value
	if err := s.open(&r); err != nil {
		return nil, 0, err
	}
	return &r, it.Revision, nil
}

// Find implements registry.Store.
func (s *RegistryStore) Find(ctx context.Context, ident string) (*registry.Registry, error) {
	r, _, err := s.get(ctx, ident)
	if !errdefs.IsNotFound(err) {
		return r, err
	}
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return findNamed(all, func(r *registry.Registry) string { return r.Name }, ident, registryNotFound(ident),
		errdefs.Conflictf("Multiple registries exist with same name. Please use the registry uuid instead."))
}

// List implements registry.Store: the scope's registries, oldest first.
func (s *RegistryStore) List(ctx context.Context) ([]*registry.Registry, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	items, _, err := List[registry.Registry](ctx, s.db, registriesPrefix)
	if err != nil {
		return nil, err
	}
	var out []*registry.Registry
	for _, it := range items {
		if !scope.Allows(it.Value.ProjectID) {
			continue
		}
		r := it.Value
		if err := s.open(&r); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	slices.SortStableFunc(out, func(a, b *registry.Registry) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Update implements registry.Store.
func (s *RegistryStore) Update(ctx context.Context, id string, fn func(*registry.Registry) error) (*registry.Registry, error) {
	for attempt := 0; ; attempt++ {
		r, rev, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		project := r.ProjectID
		if err := fn(r); err != nil {
			return nil, err
		}
		if r.UUID != id || r.ProjectID != project {
			return nil, errdefs.Invalidf("registry %s: the uuid and project cannot change", id)
		}
		r.UpdatedAt = time.Now().UTC()
		if err := s.seal(r); err != nil {
			return nil, err
		}
		_, err = s.db.Txn().Swap(registriesPrefix+id, r, rev).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

// Delete implements registry.Store.
func (s *RegistryStore) Delete(ctx context.Context, id string) error {
	if _, _, err := s.get(ctx, id); err != nil {
		return err
	}
	_, err := s.db.Txn().Delete(registriesPrefix + id).Commit(ctx)
	return err
}

// Interface guard
var _ registry.Store = (*RegistryStore)(nil)
