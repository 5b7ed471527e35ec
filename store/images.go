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
	"github.com/zun-go/zun/images"
)

// imagesPrefix holds images/<uuid>: images.Image.
const imagesPrefix = "images/"

// ImageStore implements images.Store.
type ImageStore struct{ db *DB }

// Images returns the image store of db.
func Images(db *DB) *ImageStore { return &ImageStore{db: db} }

func imageNotFound(ident string) error {
	return errdefs.NotFoundf("Image %s could not be found.", ident)
}

// Create implements images.Store.
func (s *ImageStore) Create(ctx context.Context, im *images.Image) error {
	if err := mayCreateIn(ctx, im.ProjectID, "image"); err != nil {
		return err
	}
	im.Schema = images.SchemaVersion
	im.UUID = uuid.NewString()
	im.CreatedAt = time.Now().UTC()
	_, err := s.db.Txn().Create(imagesPrefix+im.UUID, im).Commit(ctx)
	return err
}

func (s *ImageStore) get(ctx context.Context, id string) (*images.Image, int64, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, 0, err
	}
	if id == "" || strings.Contains(id, "/") {
		return nil, 0, imageNotFound(id)
	}
	it, err := Get[images.Image](ctx, s.db, imagesPrefix+id)
	if errdefs.IsNotFound(err) || (err == nil && !scope.Allows(it.Value.ProjectID)) {
		return nil, 0, imageNotFound(id)
	}
	if err != nil {
		return nil, 0, err
	}
	return &it.Value, it.Revision, nil
}

// Get implements images.Store.
func (s *ImageStore) Get(ctx context.Context, id string) (*images.Image, error) {
	im, _, err := s.get(ctx, id)
	return im, err
}

// List implements images.Store: oldest first.
func (s *ImageStore) List(ctx context.Context) ([]*images.Image, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	items, _, err := List[images.Image](ctx, s.db, imagesPrefix)
	if err != nil {
		return nil, err
	}
	var out []*images.Image
	for _, it := range items {
		if scope.Allows(it.Value.ProjectID) {
			im := it.Value
			out = append(out, &im)
		}
	}
	slices.SortStableFunc(out, func(a, b *images.Image) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Update implements images.Store.
func (s *ImageStore) Update(ctx context.Context, id string, fn func(*images.Image) error) (*images.Image, error) {
	for attempt := 0; ; attempt++ {
		im, rev, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(im); err != nil {
			return nil, err
		}
		im.UUID = id
		im.UpdatedAt = time.Now().UTC()
		_, err = s.db.Txn().Swap(imagesPrefix+id, im, rev).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return im, nil
	}
}

// Delete implements images.Store.
func (s *ImageStore) Delete(ctx context.Context, id string) error {
	if _, _, err := s.get(ctx, id); err != nil {
		return err
	}
	_, err := s.db.Txn().Delete(imagesPrefix + id).Commit(ctx)
	return err
}

// Interface guard
var _ images.Store = (*ImageStore)(nil)
