// Package volume is the embedded volume service: Cinder-like volumes
// (name, size, status, attachments) kept in the store, and the subset of
// Cinder's v3 API that `openstack volume create|list|show|delete` uses,
// served at /volume/v3 and published in the identity catalog as
// "volumev3" and "block-storage".
//
// A volume is a record until a container mounts it; its data then lives
// on the compute host that runs the container (the local backend), which
// is where later containers using it are placed. See docs/volumes.md.
package volume

import (
	"context"
	"time"
)

// Statuses of a volume, Cinder's words.
const (
	Available = "available"
	InUse     = "in-use"
	Deleting  = "deleting"
	Error     = "error"
)

// SchemaVersion is the version of the stored record.
const SchemaVersion = 1

// Volume is a persistent volume of a project.
type Volume struct {
	Schema      int    `json:"schema"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Size in GiB, at least 1.
	Size      int    `json:"size"`
	Status    string `json:"status"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`
	// Host is the compute host that holds the data, "" until a container
	// has used the volume.
	Host        string            `json:"host,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	// AutoRemove marks a volume made for one container (a mount with a
	// size): it goes with that container.
	AutoRemove bool      `json:"auto_remove,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	// Revision is the store revision the record was read at.
	Revision int64 `json:"-"`
}

// Attachment is a container's use of a volume.
type Attachment struct {
	ID            string    `json:"id"`
	ContainerUUID string    `json:"container_uuid"`
	Host          string    `json:"host,omitempty"`
	Path          string    `json:"path"`
	AttachedAt    time.Time `json:"attached_at"`
}

// Store keeps volumes. Every call is scoped by the context's principal
// (auth.ScopeFrom): another project's volume is not found.
type Store interface {
	Create(ctx context.Context, v *Volume) error
	// Get returns a volume by id.
	Get(ctx context.Context, id string) (*Volume, error)
	// Find returns a volume by id, else by name (ErrConflict when the
	// name is ambiguous).
	Find(ctx context.Context, ident string) (*Volume, error)
	// List returns the volumes of the scope, oldest first.
	List(ctx context.Context) ([]*Volume, error)
	// Update applies fn to the volume and stores it, retrying on races.
	Update(ctx context.Context, id string, fn func(*Volume) error) (*Volume, error)
	// Delete removes an unattached volume; ErrConflict while in use.
	Delete(ctx context.Context, id string) error
}

// MaxSize is the largest volume, in GiB.
const MaxSize = 1024
