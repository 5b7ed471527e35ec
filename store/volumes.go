package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/volume"
)

// volumesPrefix holds volumes/<id>: volume.Volume.
const volumesPrefix = "volumes/"

// VolumeStore implements volume.Store.
type VolumeStore struct{ db *DB }

// Volumes returns the volume store of db. With cs, it turns on volume
// mounts in cs: a container's volumes are attached in the transaction
// that creates its record (a volume asked for by size is created there)
// and released in the one that deletes it, so no container holds a volume
// it does not have and no volume stays in use by a container that is gone.
func Volumes(db *DB, cs *ContainerStore) *VolumeStore {
	s := &VolumeStore{db: db}
	if cs != nil {
		cs.volumes = s
	}
	return s
}

// attach adds to txn the attachment of c's volume mounts, creating those
// asked for by size; it sets their VolumeID. An unknown volume is
// ErrNotFound, one in use ErrConflict.
func (s *VolumeStore) attach(ctx context.Context, txn *Txn, c *container.Container) error {
	now := time.Now().UTC()
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.Type != container.MountVolume {
			continue
		}
		att := volume.Attachment{ID: uuid.NewString(), ContainerUUID: c.UUID, Path: m.Destination, AttachedAt: now}
		if m.AutoRemove || (m.VolumeID == "" && m.Size != "") {
			size, err := volume.ParseSize(m.Size)
			if err != nil {
				return err
			}
			v := volume.Volume{Schema: volume.SchemaVersion, ID: m.VolumeID, Size: size, Status: volume.InUse,
				ProjectID: c.ProjectID, UserID: c.UserID, AutoRemove: true, CreatedAt: now,
				Description: "made for container " + c.UUID, Attachments: []volume.Attachment{att}}
			if v.ID == "" {
				v.ID = uuid.NewString()
			}
			m.VolumeID, m.AutoRemove = v.ID, true
			txn.Create(volumesPrefix+v.ID, v)
			continue
		}
		it, err := Get[volume.Volume](ctx, s.db, volumesPrefix+m.VolumeID)
		if errdefs.IsNotFound(err) || (err == nil && it.Value.ProjectID != c.ProjectID) {
			return volumeNotFound(m.VolumeID)
		}
		if err != nil {
			return err
		}
		v := it.Value
		if v.Status != volume.Available || len(v.Attachments) > 0 {
			return errdefs.Conflictf("Volume %s is %s and cannot be mounted.", m.VolumeID, v.Status)
		}
		v.Status, v.Attachments, v.UpdatedAt = volume.InUse, []volume.Attachment{att}, now
		txn.Swap(volumesPrefix+v.ID, v, it.Revision)
	}
	return nil
}

// release adds to txn the release of c's volumes: each is available
// again, on the host that now holds its data, or deleted when it was made
// for c.
func (s *VolumeStore) release(ctx context.Context, txn *Txn, c *container.Container) error {
	for _, m := range c.Mounts {
		if m.Type != container.MountVolume || m.VolumeID == "" {
			continue
		}
		it, err := Get[volume.Volume](ctx, s.db, volumesPrefix+m.VolumeID)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		v := it.Value
		if m.AutoRemove && v.AutoRemove {
			txn.Require(volumesPrefix+v.ID, it.Revision).Delete(volumesPrefix + v.ID)
			continue
		}
		v.Attachments = slices.DeleteFunc(v.Attachments, func(a volume.Attachment) bool { return a.ContainerUUID == c.UUID })
		if len(v.Attachments) == 0 && v.Status == volume.InUse {
			v.Status = volume.Available
		}
		if v.Host == "" {
			v.Host = c.Host
		}
		v.UpdatedAt = time.Now().UTC()
		txn.Swap(volumesPrefix+v.ID, v, it.Revision)
	}
	return nil
}

func volumeNotFound(ident string) error {
	return errdefs.NotFoundf("Volume %s could not be found.", ident)
}

// Create implements volume.Store: it sets the ID, Schema and CreatedAt.
func (s *VolumeStore) Create(ctx context.Context, v *volume.Volume) error {
	if err := mayCreateIn(ctx, v.ProjectID, "volume"); err != nil {
		return err
	}
	v.Schema = volume.SchemaVersion
	v.ID = uuid.NewString()
	v.CreatedAt = time.Now().UTC()
	rev, err := s.db.Txn().Create(volumesPrefix+v.ID, v).Commit(ctx)
	if err != nil {
		return err
	}
	v.Revision = rev
	return nil
}

// get reads a volume the scope allows.
func (s *VolumeStore) get(ctx context.Context, id string) (*volume.Volume, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" || strings.Contains(id, "/") {
		return nil, volumeNotFound(id)
	}
	it, err := Get[volume.Volume](ctx, s.db, volumesPrefix+id)
	if errdefs.IsNotFound(err) || (err == nil && !scope.Allows(it.Value.ProjectID)) {
		return nil, volumeNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	it.Value.Revision = it.Revision
	return &it.Value, nil
}

// Get implements volume.Store.
func (s *VolumeStore) Get(ctx context.Context, id string) (*volume.Volume, error) {
	return s.get(ctx, id)
}

// Find implements volume.Store.
func (s *VolumeStore) Find(ctx context.Context, ident string) (*volume.Volume, error) {
	v, err := s.get(ctx, ident)
	if !errdefs.IsNotFound(err) {
		return v, err
	}
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return findNamed(all, func(v *volume.Volume) string { return v.Name }, ident, volumeNotFound(ident),
		errdefs.Conflictf("Multiple volumes are named %s; use the volume's ID.", ident))
}

// mayCreateIn checks that ctx's scope allows creating a record of kind in
// project.
func mayCreateIn(ctx context.Context, project, kind string) error {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	if project == "" || !scope.Allows(project) {
		return errdefs.Forbiddenf("cannot create a %s in project %q", kind, project)
	}
	return nil
}

// findNamed returns the one item of all called ident: notFound when none
// is, ambiguous when several are.
func findNamed[T any](all []*T, name func(*T) string, ident string, notFound, ambiguous error) (*T, error) {
	var found *T
	for _, it := range all {
		if name(it) != ident {
			continue
		}
		if found != nil {
			return nil, ambiguous
		}
		found = it
	}
	if found == nil {
		return nil, notFound
	}
	return found, nil
}

// List implements volume.Store.
func (s *VolumeStore) List(ctx context.Context) ([]*volume.Volume, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	items, _, err := List[volume.Volume](ctx, s.db, volumesPrefix)
	if err != nil {
		return nil, err
	}
	var out []*volume.Volume
	for _, it := range items {
		if scope.Allows(it.Value.ProjectID) {
			v := it.Value
			v.Revision = it.Revision
			out = append(out, &v)
		}
	}
	slices.SortStableFunc(out, func(a, b *volume.Volume) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Update implements volume.Store.
func (s *VolumeStore) Update(ctx context.Context, id string, fn func(*volume.Volume) error) (*volume.Volume, error) {
	for attempt := 0; ; attempt++ {
		v, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		rev := v.Revision
		project := v.ProjectID
		if err := fn(v); err != nil {
			return nil, err
		}
		if v.ID != id || v.ProjectID != project {
			return nil, errdefs.Invalidf("volume %s: the id and project cannot change", id)
		}
		v.Schema = volume.SchemaVersion
		v.UpdatedAt = time.Now().UTC()
		newRev, err := s.db.Txn().Swap(volumesPrefix+id, v, rev).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		v.Revision = newRev
		return v, nil
	}
}

// Delete implements volume.Store: only a volume no container uses goes,
// checked in the same transaction.
func (s *VolumeStore) Delete(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		v, err := s.get(ctx, id)
		if err != nil {
			return err
		}
		if len(v.Attachments) > 0 {
			return errdefs.Conflictf("Volume %s is in use by container %s and cannot be deleted.", id, v.Attachments[0].ContainerUUID)
		}
		_, err = s.db.Txn().Require(volumesPrefix+id, v.Revision).Delete(volumesPrefix + id).Commit(ctx)
		if errors.Is(err, errdefs.ErrConflict) {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// Interface guard
var _ volume.Store = (*VolumeStore)(nil)
