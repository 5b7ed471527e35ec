package store

import (
	"context"
	"time"

	"github.com/google/uuid"

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

func (s *RegistryStore) records() Records[registry.Registry] {
	return Records[registry.Registry]{DB: s.db, Prefix: registriesPrefix, Kind: "registry", NotFound: registryNotFound,
		ID:      func(r *registry.Registry) string { return r.UUID },
		Project: func(r *registry.Registry) string { return r.ProjectID },
		Created: func(r *registry.Registry) time.Time { return r.CreatedAt },
		Loaded:  s.open, Saving: s.seal}
}

// Create implements registry.Store.
func (s *RegistryStore) Create(ctx context.Context, r *registry.Registry) error {
	r.Schema = registry.SchemaVersion
	r.UUID = uuid.NewString()
	r.CreatedAt = time.Now().UTC()
	_, err := s.records().Create(ctx, r)
	return err
}

// Find implements registry.Store.
func (s *RegistryStore) Find(ctx context.Context, ident string) (*registry.Registry, error) {
	r, _, err := s.records().Find(ctx, ident, func(r *registry.Registry) string { return r.Name },
		errdefs.Conflictf("Multiple registries exist with same name. Please use the registry uuid instead."))
	return r, err
}

// List implements registry.Store: the scope's registries, oldest first.
func (s *RegistryStore) List(ctx context.Context) ([]*registry.Registry, error) {
	all, _, err := s.records().List(ctx)
	return all, err
}

// Update implements registry.Store.
func (s *RegistryStore) Update(ctx context.Context, id string, fn func(*registry.Registry) error) (*registry.Registry, error) {
	r, _, err := s.records().Update(ctx, id, func(r *registry.Registry) error {
		if err := fn(r); err != nil {
			return err
		}
		r.Schema, r.UpdatedAt = registry.SchemaVersion, time.Now().UTC()
		return nil
	})
	return r, err
}

// Delete implements registry.Store.
func (s *RegistryStore) Delete(ctx context.Context, id string) error {
	return s.records().Delete(ctx, id, nil)
}

// Interface guard
var _ registry.Store = (*RegistryStore)(nil)
