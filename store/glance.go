package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
)

// glancePrefix holds glance/images/<id>: glance.Image.
const glancePrefix = "glance/images/"

// GlanceStore implements glance.Store.
type GlanceStore struct{ db *DB }

// Glance returns the image store's records in db.
func Glance(db *DB) *GlanceStore { return &GlanceStore{db: db} }

func glanceNotFound(ident string) error {
	return errdefs.NotFoundf("No image found with ID %s", ident)
}

func (s *GlanceStore) records() Records[glance.Image] {
	return Records[glance.Image]{DB: s.db, Prefix: glancePrefix, Kind: "image", NotFound: glanceNotFound,
		ID:      func(im *glance.Image) string { return im.ID },
		Project: func(im *glance.Image) string { return im.Owner },
		Created: func(im *glance.Image) time.Time { return im.CreatedAt },
		Public: func(im *glance.Image) bool {
			return im.Visibility == glance.Public || im.Visibility == glance.Community
		}}
}

// Create implements glance.Store: an empty ID gets a new one; a given
// one that exists is a conflict.
func (s *GlanceStore) Create(ctx context.Context, im *glance.Image) error {
	im.Schema = glance.SchemaVersion
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

// Get implements glance.Store.
func (s *GlanceStore) Get(ctx context.Context, id string) (*glance.Image, error) {
	im, _, err := s.records().Get(ctx, id)
	return im, err
}

// List implements glance.Store: oldest first.
func (s *GlanceStore) List(ctx context.Context) ([]*glance.Image, error) {
	all, _, err := s.records().List(ctx)
	return all, err
}

// Update implements glance.Store.
func (s *GlanceStore) Update(ctx context.Context, id string, fn func(*glance.Image) error) (*glance.Image, error) {
	im, _, err := s.records().Update(ctx, id, func(im *glance.Image) error {
		if err := fn(im); err != nil {
			return err
		}
		im.Schema, im.UpdatedAt = glance.SchemaVersion, time.Now().UTC().Truncate(time.Second)
		return nil
	})
	return im, err
}

// Delete implements glance.Store.
func (s *GlanceStore) Delete(ctx context.Context, id string, check func(*glance.Image) error) error {
	return s.records().Delete(ctx, id, check)
}

// Changes signals every change to the image store's records (see
// Changes).
func (s *GlanceStore) Changes(ctx context.Context) <-chan struct{} {
	return Changes(ctx, s.db, glancePrefix)
}

// Interface guard
var _ glance.Store = (*GlanceStore)(nil)
