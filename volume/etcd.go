package volume

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// volumesPrefix holds volumes/<id>: Volume, relative to the store's prefix.
const volumesPrefix = "volumes/"

// EtcdStore keeps volume records in etcd. It implements Store.
type EtcdStore struct{ db *store.DB }

// NewEtcdStore returns the volume store of db. Joined to the container
// store (a store.Participant), a container's volumes are attached in the
// transaction that creates its record (a volume asked for by size is
// created there) and released in the one that deletes it, so no container
// holds a volume it does not have and no volume stays in use by a
// container that is gone.
func NewEtcdStore(db *store.DB) *EtcdStore {
	return &EtcdStore{db: db}
}

// Creating implements store.Participant: it adds to txn the attachment of
// c's volume mounts, creating those asked for by size, and sets their
// VolumeID. An unknown volume is ErrNotFound, one in use ErrConflict.
func (s *EtcdStore) Creating(ctx context.Context, txn *store.Txn, c *container.Container) error {
	now := time.Now().UTC()
	for i := range c.Mounts {
		m := &c.Mounts[i]
		if m.Type != container.MountVolume {
			continue
		}
		att := Attachment{ID: uuid.NewString(), ContainerUUID: c.UUID, Path: m.Destination, AttachedAt: now}
		if m.Source == "" && m.Size != "" { // a new volume
			size, err := ParseSize(m.Size)
			if err != nil {
				return err
			}
			// One asked for by a container's size goes with it; a
			// capsule's (its id chosen beforehand) when it says so.
			autoRemove := m.AutoRemove || !c.IsCapsule()
			v := Volume{Schema: SchemaVersion, ID: m.VolumeID, Size: size, Status: InUse,
				ProjectID: c.ProjectID, UserID: c.UserID, AutoRemove: autoRemove, CreatedAt: now,
				Description: "made for container " + c.UUID, Attachments: []Attachment{att}}
			if c.IsCapsule() {
				v.Description = "made for capsule " + c.UUID
			}
			if v.ID == "" {
				v.ID = uuid.NewString()
			}
			m.VolumeID, m.AutoRemove = v.ID, autoRemove
			txn.Create(volumesPrefix+v.ID, v)
			continue
		}
		it, err := store.Get[Volume](ctx, s.db, volumesPrefix+m.VolumeID)
		if errdefs.IsNotFound(err) || (err == nil && it.Value.ProjectID != c.ProjectID) {
			return volumeNotFound(m.VolumeID)
		}
		if err != nil {
			return err
		}
		v := it.Value
		if v.Status != Available || len(v.Attachments) > 0 {
			return errdefs.Conflictf("Volume %s is %s and cannot be mounted.", m.VolumeID, v.Status)
		}
		v.Status, v.Attachments, v.UpdatedAt = InUse, []Attachment{att}, now
		txn.Swap(volumesPrefix+v.ID, v, it.Revision)
	}
	return nil
}

// Updating implements store.Participant: a container's volumes change
// only with its creation and deletion.
func (s *EtcdStore) Updating(context.Context, *store.Txn, *container.Container, *container.Container) error {
	return nil
}

// Deleting implements store.Participant: it adds to txn the release of c's
// volumes: each is available again, on the host that now holds its data,
// or deleted when it was made for c.
func (s *EtcdStore) Deleting(ctx context.Context, txn *store.Txn, c *container.Container) error {
	for _, m := range c.Mounts {
		if m.Type != container.MountVolume || m.VolumeID == "" {
			continue
		}
		it, err := store.Get[Volume](ctx, s.db, volumesPrefix+m.VolumeID)
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
		v.Attachments = slices.DeleteFunc(v.Attachments, func(a Attachment) bool { return a.ContainerUUID == c.UUID })
		if len(v.Attachments) == 0 && v.Status == InUse {
			v.Status = Available
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

func (s *EtcdStore) records() store.Records[Volume] {
	return store.Records[Volume]{DB: s.db, Prefix: volumesPrefix, Kind: "volume", NotFound: volumeNotFound,
		ID:      func(v *Volume) string { return v.ID },
		Project: func(v *Volume) string { return v.ProjectID },
		Created: func(v *Volume) time.Time { return v.CreatedAt }}
}

// withRevision sets v's Revision.
func withRevision(v *Volume, rev int64, err error) (*Volume, error) {
	if err != nil {
		return nil, err
	}
	v.Revision = rev
	return v, nil
}

// Create implements Store: it sets the ID, Schema and CreatedAt.
func (s *EtcdStore) Create(ctx context.Context, v *Volume) error {
	v.Schema = SchemaVersion
	v.ID = uuid.NewString()
	v.CreatedAt = time.Now().UTC()
	rev, err := s.records().Create(ctx, v)
	v.Revision = rev
	return err
}

// Get implements Store.
func (s *EtcdStore) Get(ctx context.Context, id string) (*Volume, error) {
	return withRevision(s.records().Get(ctx, id))
}

// Find implements Store.
func (s *EtcdStore) Find(ctx context.Context, ident string) (*Volume, error) {
	return withRevision(s.records().Find(ctx, ident, func(v *Volume) string { return v.Name },
		errdefs.Conflictf("Multiple volumes are named %s; use the volume's ID.", ident)))
}

// List implements Store.
func (s *EtcdStore) List(ctx context.Context) ([]*Volume, error) {
	all, revs, err := s.records().List(ctx)
	for i := range all {
		all[i].Revision = revs[i]
	}
	return all, err
}

// Update implements Store.
func (s *EtcdStore) Update(ctx context.Context, id string, fn func(*Volume) error) (*Volume, error) {
	return withRevision(s.records().Update(ctx, id, func(v *Volume) error {
		if err := fn(v); err != nil {
			return err
		}
		v.Schema, v.UpdatedAt = SchemaVersion, time.Now().UTC()
		return nil
	}))
}

// Delete implements Store: only a volume no container uses goes,
// checked in the same transaction.
func (s *EtcdStore) Delete(ctx context.Context, id string) error {
	return s.records().Delete(ctx, id, func(v *Volume) error {
		if len(v.Attachments) > 0 {
			return errdefs.Conflictf("Volume %s is in use by container %s and cannot be deleted.", id, v.Attachments[0].ContainerUUID)
		}
		return nil
	})
}

// Interface guard
var (
	_ Store             = (*EtcdStore)(nil)
	_ store.Participant = (*EtcdStore)(nil)
)
