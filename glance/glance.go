// Package glance is the embedded image store: the subset of Glance's v2
// API that openstackclient's "image create|list|show|set|delete|save"
// use, holding `docker save` tarballs that compute hosts load into their
// engines on demand (the glance image driver) and that commit writes.
//
// Records live in the store (etcd); the bytes live in a directory of the
// control plane (Blobs). Several API replicas need that directory shared.
package glance

import (
	"context"
	"time"
)

// SchemaVersion is the version of the stored record.
const SchemaVersion = 1

// Statuses of an image, as Glance names them.
const (
	Queued = "queued" // created, no data yet
	Saving = "saving" // data being uploaded
	Active = "active" // data stored
)

// Visibilities of an image.
const (
	Private   = "private"   // its project only
	Shared    = "shared"    // its project and its members (no members API here)
	Community = "community" // anyone who asks for it; not listed by default
	Public    = "public"    // everyone; made by admins only
)

// ContainerFormats and DiskFormats are the formats Glance accepts.
var (
	ContainerFormats = []string{"ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"}
	DiskFormats      = []string{"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"}
)

// Image is an image of the store.
type Image struct {
	Schema          int               `json:"schema"`
	ID              string            `json:"id"`
	Name            string            `json:"name,omitempty"`
	Status          string            `json:"status"`
	Visibility      string            `json:"visibility"`
	Protected       bool              `json:"protected,omitempty"`
	Hidden          bool              `json:"os_hidden,omitempty"`
	ContainerFormat string            `json:"container_format,omitempty"`
	DiskFormat      string            `json:"disk_format,omitempty"`
	Owner           string            `json:"owner"` // the project
	Size            int64             `json:"size,omitempty"`
	Checksum        string            `json:"checksum,omitempty"`      // md5, hex
	HashValue       string            `json:"os_hash_value,omitempty"` // sha512, hex
	MinDisk         int               `json:"min_disk,omitempty"`
	MinRAM          int               `json:"min_ram,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
}

// HashAlgo is the algorithm of Image.HashValue.
const HashAlgo = "sha512"

// IsDocker reports whether the image holds a `docker save` tarball.
func (im *Image) IsDocker() bool { return im.ContainerFormat == "docker" }

// Store keeps image records. Reads see what the context's scope allows
// plus public and community images; changes need the image's project in
// scope (ErrForbidden otherwise).
type Store interface {
	Create(ctx context.Context, im *Image) error
	Get(ctx context.Context, id string) (*Image, error)
	List(ctx context.Context) ([]*Image, error)
	Update(ctx context.Context, id string, fn func(*Image) error) (*Image, error)
	// Delete removes image id if check (when set) allows it.
	Delete(ctx context.Context, id string, check func(*Image) error) error
}
