package images

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// imagesPrefix holds images/<uuid>: Image; uploadsPrefix holds
// image-uploads/<image store id>: Upload; relative to the store's prefix.
const (
	imagesPrefix  = "images/"
	uploadsPrefix = "image-uploads/"
)

// EtcdStore keeps image records and commit uploads in etcd. It
// implements Store.
type EtcdStore struct{ db *store.DB }

// NewEtcdStore returns the image store of db.
func NewEtcdStore(db *store.DB) *EtcdStore { return &EtcdStore{db: db} }

func imageNotFound(ident string) error {
	return errdefs.NotFoundf("Image %s could not be found.", ident)
}

func (s *EtcdStore) records() store.Records[Image] {
	return store.Records[Image]{DB: s.db, Prefix: imagesPrefix, Kind: "image", NotFound: imageNotFound,
		ID:      func(im *Image) string { return im.UUID },
		Project: func(im *Image) string { return im.ProjectID },
		Created: func(im *Image) time.Time { return im.CreatedAt }}
}

// Create implements Store.
func (s *EtcdStore) Create(ctx context.Context, im *Image) error {
	im.Schema = SchemaVersion
	im.UUID = uuid.NewString()
	im.CreatedAt = time.Now().UTC()
	_, err := s.records().Create(ctx, im)
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
		im.Schema, im.UpdatedAt = SchemaVersion, time.Now().UTC()
		return nil
	})
	return im, err
}

// Delete implements Store.
func (s *EtcdStore) Delete(ctx context.Context, id string) error {
	return s.records().Delete(ctx, id, nil)
}

func (s *EtcdStore) uploads() store.Records[Upload] {
	return store.Records[Upload]{DB: s.db, Prefix: uploadsPrefix, Kind: "upload",
		NotFound: func(id string) error { return errdefs.NotFoundf("No upload of image %s is under way.", id) },
		ID:       func(u *Upload) string { return u.ImageID },
		Project:  func(u *Upload) string { return u.ProjectID },
		Created:  func(u *Upload) time.Time { return u.CreatedAt }}
}

// CreateUpload implements Store.
func (s *EtcdStore) CreateUpload(ctx context.Context, u *Upload) error {
	u.Schema = SchemaVersion
	u.CreatedAt = time.Now().UTC()
	_, err := s.uploads().Create(ctx, u)
	return err
}

// ListUploads implements Store: oldest first.
func (s *EtcdStore) ListUploads(ctx context.Context) ([]*Upload, error) {
	all, _, err := s.uploads().List(ctx)
	return all, err
}

// UpdateUpload implements Store.
func (s *EtcdStore) UpdateUpload(ctx context.Context, id string, fn func(*Upload) error) (*Upload, error) {
	u, _, err := s.uploads().Update(ctx, id, fn)
	return u, err
}

// DeleteUpload implements Store.
func (s *EtcdStore) DeleteUpload(ctx context.Context, id string) error {
	return s.uploads().Delete(ctx, id, nil)
}

// Changes signals every change to the image records and uploads (see
// store.Changes).
func (s *EtcdStore) Changes(ctx context.Context) <-chan struct{} {
	return store.Changes(ctx, s.db, imagesPrefix, uploadsPrefix)
}

// Interface guard
var _ Store = (*EtcdStore)(nil)
