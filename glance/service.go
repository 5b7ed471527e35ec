package glance

import (
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// DefaultSizeCap bounds an image's data unless Service.SizeCap says
// otherwise.
const DefaultSizeCap = 16 << 30

// Service is the image store: records and their data. The HTTP handler,
// commit and the compute hosts' downloads go through it.
type Service struct {
	Store Store
	// Dir holds the data, one file per image id.
	Dir string
	// SizeCap bounds one image's data in bytes; 0: DefaultSizeCap.
	SizeCap int64
}

func (s *Service) sizeCap() int64 {
	if s.SizeCap > 0 {
		return s.SizeCap
	}
	return DefaultSizeCap
}

func (s *Service) path(id string) string { return filepath.Join(s.Dir, id) }

// CanCreate is Glance's default policy for new images (add_image): a
// member (or admin) of the project; public ones are the admin's
// (publicize_image).
func CanCreate(p auth.Principal, visibility string) error {
	if err := canDo(p, "add_image"); err != nil {
		return err
	}
	if visibility == Public && !p.IsAdmin() {
		return errdefs.Forbiddenf("You are not authorized to complete publicize_image action.")
	}
	return nil
}

// canDo is Glance's default policy for the actions that need the member
// role (add_image, modify_image, upload_image, delete_image,
// download_image): an admin, or a member of the image's project; a
// reader lists and shows only. Which project is the store's business: it
// answers 404 for an image the caller cannot see and refuses changes to
// another project's (ErrForbidden).
func canDo(p auth.Principal, action string) error {
	if p.IsAdmin() || p.HasRole(auth.RoleMember) {
		return nil
	}
	return errdefs.Forbiddenf("You are not authorized to complete %s action.", action)
}

// Create validates and stores a new image, queued for its data.
func (s *Service) Create(ctx context.Context, im *Image) error {
	if im.Visibility == "" {
		im.Visibility = Shared
	}
	if err := Validate(im); err != nil {
		return err
	}
	im.Status = Queued
	return s.Store.Create(ctx, im)
}

// Validate checks the fields a caller may set.
func Validate(im *Image) error {
	switch {
	case len(im.Name) > 255:
		return errdefs.Invalidf("Provided name is longer than 255 characters.")
	case im.ID != "" && uuid.Validate(im.ID) != nil:
		return errdefs.Invalidf("Provided id %q is not a valid UUID.", im.ID)
	case !slices.Contains([]string{Private, Shared, Community, Public}, im.Visibility):
		return errdefs.Invalidf("Invalid visibility value: %s", im.Visibility)
	case im.ContainerFormat != "" && !slices.Contains(ContainerFormats, im.ContainerFormat):
		return errdefs.Invalidf("Invalid container format '%s' for image. One of %s.", im.ContainerFormat, strings.Join(ContainerFormats, ", "))
	case im.DiskFormat != "" && !slices.Contains(DiskFormats, im.DiskFormat):
		return errdefs.Invalidf("Invalid disk format '%s' for image. One of %s.", im.DiskFormat, strings.Join(DiskFormats, ", "))
	case im.MinDisk < 0 || im.MinRAM < 0:
		return errdefs.Invalidf("min_disk and min_ram cannot be negative.")
	case len(im.Tags) > 128:
		return errdefs.Invalidf("Maximum number of tags (128) exceeded.")
	case len(im.Properties) > 128:
		return errdefs.Invalidf("Maximum number of properties (128) exceeded.")
	}
	for _, t := range im.Tags {
		if t == "" || len(t) > 255 {
			return errdefs.Invalidf("Tag %q must be 1 to 255 characters.", t)
		}
	}
	for k, v := range im.Properties {
		if k == "" || len(k) > 255 || len(v) > 65535 {
			return errdefs.Invalidf("Property %q is too long (keys to 255, values to 65535 characters).", k)
		}
	}
	return nil
}

// Upload stores the data of image id, read from r, and makes it active.
// Only a queued image with both formats set takes data; another upload
// of the same image at the same time is a conflict. On failure the image
// is queued again and no data is kept.
func (s *Service) Upload(ctx context.Context, id string, r io.Reader) (*Image, error) {
	im, err := s.Store.Update(ctx, id, func(im *Image) error {
		switch {
		case im.Status != Queued:
			return errdefs.Conflictf("Image status transition from %s to %s is not allowed", im.Status, Saving)
		case im.ContainerFormat == "" || im.DiskFormat == "":
			return errdefs.Invalidf("Properties disk_format, container_format must be set prior to saving data.")
		}
		im.Status = Saving
		return nil
	})
	if err != nil {
		return nil, err
	}
	size, sum, hash, err := s.write(id, r)
	if err != nil {
		// Back to queued, so the upload can be tried again.
		if _, rerr := s.Store.Update(auth.WithAllProjects(context.WithoutCancel(ctx)), id, func(im *Image) error {
			im.Status = Queued
			return nil
		}); rerr != nil && !errdefs.IsNotFound(rerr) {
			err = errors.Join(err, rerr)
		}
		return nil, err
	}
	im, err = s.Store.Update(auth.WithAllProjects(context.WithoutCancel(ctx)), id, func(im *Image) error {
		im.Status, im.Size, im.Checksum, im.HashValue = Active, size, sum, hash
		return nil
	})
	if err != nil {
		// Deleted while it was uploading: its data goes too.
		_ = os.Remove(s.path(id))
		return nil, err
	}
	return im, nil
}

// write copies r to the image's file through a temporary one, within the
// size cap, and returns the size and checksums.
func (s *Service) write(id string, r io.Reader) (int64, string, string, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return 0, "", "", err
	}
	// What an upload of id killed midway left (one writer at a time: the
	// image is saving).
	if old, err := filepath.Glob(filepath.Join(s.Dir, id+".*.part")); err == nil {
		for _, p := range old {
			_ = os.Remove(p)
		}
	}
	f, err := os.CreateTemp(s.Dir, id+".*.part")
	if err != nil {
		return 0, "", "", err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	m, h := md5.New(), sha512.New()
	limit := s.sizeCap()
	n, err := io.Copy(io.MultiWriter(f, m, h), io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return 0, "", "", fmt.Errorf("store the image data: %w", err)
	case n > limit:
		return 0, "", "", errdefs.TooLargef("Image exceeds the size cap of %d bytes.", limit)
	}
	if err := os.Rename(f.Name(), s.path(id)); err != nil {
		return 0, "", "", err
	}
	return n, hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(h.Sum(nil)), nil
}

// Open returns image id with its data; an image without data yet has a
// nil reader.
func (s *Service) Open(ctx context.Context, id string) (*Image, io.ReadCloser, error) {
	im, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if im.Status != Active {
		return im, nil, nil
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, errdefs.NotFoundf("The data of image %s is not on this image service (%s).", id, s.Dir)
	}
	if err != nil {
		return nil, nil, err
	}
	return im, f, nil
}

// Delete removes image id and its data. A protected image cannot be
// deleted (ErrForbidden).
func (s *Service) Delete(ctx context.Context, id string) error {
	err := s.Store.Delete(ctx, id, func(im *Image) error {
		if im.Protected {
			return errdefs.Forbiddenf("Image %s is protected and cannot be deleted.", id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("image %s deleted, but not its data: %w", id, err)
	}
	return nil
}

// FindDocker finds the docker image a container names: by id, else by
// its unique name among the images the caller can see; a tag, when
// given, must be one of the image's tags if it has any (as Zun's glance
// driver does).
func (s *Service) FindDocker(ctx context.Context, ident, tag string) (*Image, error) {
	notFound := errdefs.NotFoundf("Image %s could not be found in the image store.", ident)
	if uuid.Validate(ident) == nil {
		im, err := s.Store.Get(ctx, ident)
		switch {
		case errdefs.IsNotFound(err):
			return nil, notFound
		case err != nil:
			return nil, err
		case !im.IsDocker():
			return nil, errdefs.Invalidf("Image %s has container format %q, not docker.", ident, im.ContainerFormat)
		}
		return im, nil
	}
	all, err := s.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	var found []*Image
	for _, im := range all {
		if im.IsDocker() && im.Name == ident && (tag == "" || len(im.Tags) == 0 || slices.Contains(im.Tags, tag)) {
			found = append(found, im)
		}
	}
	switch len(found) {
	case 0:
		return nil, notFound
	case 1:
		return found[0], nil
	}
	return nil, errdefs.Conflictf("Multiple images exist with the name %s. Please use the image id instead.", ident)
}
