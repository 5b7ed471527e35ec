package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/images"
)

// imagesPrefix holds images/<uuid>: images.Image; uploadsPrefix holds
// image-uploads/<image store id>: images.Upload.
const (
	imagesPrefix  = "images/"
	uploadsPrefix = "image-uploads/"
)

// ImageStore implements images.Store.
type ImageStore struct{ db *DB }

// Images returns the image store of db.
func Images(db *DB) *ImageStore { return &ImageStore{db: db} }

func imageNotFound(ident string) error {
	return errdefs.NotFoundf("Image %s could not be found.", ident)
}

func (s *ImageStore) records() Records[images.Image] {
	return Records[images.Image]{DB: s.db, Prefix: imagesPrefix, Kind: "image", NotFound: imageNotFound,
		ID:      func(im *images.Image) string { return im.UUID },
		Project: func(im *images.Image) string { return im.ProjectID },
		Created: func(im *images.Image) time.Time { return im.CreatedAt }}
}

// Create implements images.Store.
func (s *ImageStore) Create(ctx context.Context, im *images.Image) error {
	im.Schema = images.SchemaVersion
	im.UUID = uuid.NewString()
	im.CreatedAt = time.Now().UTC()
	_, err := s.records().Create(ctx, im)
	return err
}

// Get implements images.Store.
func (s *ImageStore) Get(ctx context.Context, id string) (*images.Image, error) {
	im, _, err := s.records().Get(ctx, id)
	return im, err
}

// List implements images.Store: oldest first.
func (s *ImageStore) List(ctx context.Context) ([]*images.Image, error) {
	all, _, err := s.records().List(ctx)
	return all, err
}

// Update implements images.Store.
func (s *ImageStore) Update(ctx context.Context, id string, fn func(*images.Image) error) (*images.Image, error) {
	im, _, err := s.records().Update(ctx, id, func(im *images.Image) error {
		if err := fn(im); err != nil {
			return err
		}
		im.Schema, im.UpdatedAt = images.SchemaVersion, time.Now().UTC()
		return nil
	})
	return im, err
}

// Delete implements images.Store.
func (s *ImageStore) Delete(ctx context.Context, id string) error {
	return s.records().Delete(ctx, id, nil)
}

func (s *ImageStore) uploads() Records[images.Upload] {
	return Records[images.Upload]{DB: s.db, Prefix: uploadsPrefix, Kind: "upload",
		NotFound: func(id string) error { return errdefs.NotFoundf("No upload of image %s is under way.", id) },
		ID:       func(u *images.Upload) string { return u.ImageID },
		Project:  func(u *images.Upload) string { return u.ProjectID },
		Created:  func(u *images.Upload) time.Time { return u.CreatedAt }}
}

// CreateUpload implements images.Store.
func (s *ImageStore) CreateUpload(ctx context.Context, u *images.Upload) error {
	u.Schema = images.SchemaVersion
	u.CreatedAt = time.Now().UTC()
	_, err := s.uploads().Create(ctx, u)
	return err
}

// ListUploads implements images.Store: oldest first.
func (s *ImageStore) ListUploads(ctx context.Context) ([]*images.Upload, error) {
	all, _, err := s.uploads().List(ctx)
	return all, err
}

// UpdateUpload implements images.Store.
func (s *ImageStore) UpdateUpload(ctx context.Context, id string, fn func(*images.Upload) error) (*images.Upload, error) {
	u, _, err := s.uploads().Update(ctx, id, fn)
	return u, err
}

// DeleteUpload implements images.Store.
func (s *ImageStore) DeleteUpload(ctx context.Context, id string) error {
	return s.uploads().Delete(ctx, id, nil)
}

// Changes signals every change to the image records and uploads (see
// Changes).
func (s *ImageStore) Changes(ctx context.Context) <-chan struct{} {
	return Changes(ctx, s.db, imagesPrefix, uploadsPrefix)
}

// Interface guard
var _ images.Store = (*ImageStore)(nil)
