package registry

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// registriesPrefix holds registries/<uuid>: Registry, relative to the
// store's prefix.
const registriesPrefix = "registries/"

// EtcdStore keeps registry records in etcd. It implements Store;
// passwords are sealed on the way in and opened on the way out.
type EtcdStore struct {
	db     *store.DB
	sealer *Sealer
}

// NewEtcdStore returns the registry store of db.
func NewEtcdStore(db *store.DB, sealer *Sealer) *EtcdStore {
	return &EtcdStore{db: db, sealer: sealer}
}

func registryNotFound(ident string) error {
	return errdefs.NotFoundf("Registry %s could not be found.", ident)
}

// seal sets r.SealedPassword from r.Password.
func (s *EtcdStore) seal(r *Registry) error {
	r.SealedPassword = ""
	if r.Password == "" {
		return nil
	}
	sealed, err := s.sealer.Seal(r.UUID, r.Password)
	r.SealedPassword = sealed
	return err
}

func (s *EtcdStore) open(r *Registry) error {
	p, err := s.sealer.Open(r.UUID, r.SealedPassword)
	if err != nil {
		return errdefs.Unavailablef("registry %s: %v", r.UUID, err)
	}
	r.Password = p
	return nil
}

func (s *EtcdStore) records() store.Records[Registry] {
	return store.Records[Registry]{DB: s.db, Prefix: registriesPrefix, Kind: "registry", NotFound: registryNotFound,
		ID:      func(r *Registry) string { return r.UUID },
		Project: func(r *Registry) string { return r.ProjectID },
		Created: func(r *Registry) time.Time { return r.CreatedAt },
		Loaded:  s.open, Saving: s.seal}
}

// Create implements Store.
func (s *EtcdStore) Create(ctx context.Context, r *Registry) error {
	r.Schema = SchemaVersion
	r.UUID = uuid.NewString()
	r.CreatedAt = time.Now().UTC()
	_, err := s.records().Create(ctx, r)
	return err
}

// Find implements Store.
func (s *EtcdStore) Find(ctx context.Context, ident string) (*Registry, error) {
	r, _, err := s.records().Find(ctx, ident, func(r *Registry) string { return r.Name },
		errdefs.Conflictf("Multiple registries exist with same name. Please use the registry uuid instead."))
	return r, err
}

// List implements Store: the scope's registries, oldest first.
func (s *EtcdStore) List(ctx context.Context) ([]*Registry, error) {
	all, _, err := s.records().List(ctx)
	return all, err
}

// Update implements Store.
func (s *EtcdStore) Update(ctx context.Context, id string, fn func(*Registry) error) (*Registry, error) {
	r, _, err := s.records().Update(ctx, id, func(r *Registry) error {
		if err := fn(r); err != nil {
			return err
		}
		r.Schema, r.UpdatedAt = SchemaVersion, time.Now().UTC()
		return nil
	})
	return r, err
}

// Delete implements Store.
func (s *EtcdStore) Delete(ctx context.Context, id string) error {
	return s.records().Delete(ctx, id, nil)
}

// Interface guard
var _ Store = (*EtcdStore)(nil)
