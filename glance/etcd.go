package glance

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// glancePrefix holds glance/images/<id>: Image, relative to the store's
// prefix.
const glancePrefix = "glance/images/"

// EtcdStore keeps the image store's records in etcd. It implements
// Store.
type EtcdStore struct{ db *store.DB }

// NewEtcdStore returns the image store's records in db.
func NewEtcdStore(db *store.DB) *EtcdStore { return &EtcdStore{db: db} }

func glanceNotFound(ident string) error {
	return errdefs.NotFoundf("No image found with ID %s", ident)
}

func (s *EtcdStore) records() store.Records[Image] {
	return store.Records[Image]{DB: s.db, Prefix: glancePrefix, Kind: "image", NotFound: glanceNotFound,
		ID:      func(im *Image) string { return im.ID },
		Project: func(im *Image) string { return im.Owner },
		Created: func(im *Image) time.Time { return im.CreatedAt },
		Public: func(im *Image) bool {
			return im.Visibility == Public || im.Visibility == Community
		}}
}

// Create implements Store: an empty ID gets a new one; a given
// one that exists is a conflict.
func (s *EtcdStore) Create(ctx context.Context, im *Image) error {
	im.Schema = SchemaVersion
	if im.ID == "" {
		im.ID = uuid.NewString()
	}
	im.CreatedAt = time.Now().UTC().Truncate(time.Second)
	im.UpdatedAt = im.CreatedAt
	_, err := s.records().Create(ctx, im)
	if errdefs.IsConflict(err) {
		return errdefs.Conflictf("Image with identifier %s already exists!", im.ID)
	}
	return err
}

// Get implements Store.
func (s *EtcdStore) Get(ctx context.Context, id string) (*Image, error) {
	im, _, err := s.records().Get(ctx, id)
	return im, err
}

// List implements Store: oldest first.
func (s *EtcdStore) List(ctx context.Context) ([]*Image, error) {
	all, _, err := s.records().List(ctx)
	return all, err
}

// Update implements Store.
func (s *EtcdStore) Update(ctx context.Context, id string, fn func(*Image) error) (*Image, error) {
	im, _, err := s.records().Update(ctx, id, func(im *Image) error {
		if err := fn(im); err != nil {
			return err
		}
		im.Schema, im.UpdatedAt = SchemaVersion, time.Now().UTC().Truncate(time.Second)
		return nil
	})
	return im, err
}

// Delete implements Store.
func (s *EtcdStore) Delete(ctx context.Context, id string, check func(*Image) error) error {
	return s.records().Delete(ctx, id, check)
}

// Changes signals every change to the image store's records (see
// store.Changes).
func (s *EtcdStore) Changes(ctx context.Context) <-chan struct{} {
	return store.Changes(ctx, s.db, glancePrefix)
}

// Interface guard
var _ Store = (*EtcdStore)(nil)
