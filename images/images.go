// Package images is Zun's images API's records: an image pulled, or being
// pulled, onto one compute host by an admin (POST /v1/images).
package images

import (
	"context"
	"time"
)

// SchemaVersion is the version of the stored record.
const SchemaVersion = 1

// Statuses of an image record (an extension of Zun's view, which has
// none: image_id stays null while pulling and after a failure).
const (
	Pulling = "Pulling"
	Pulled  = "Pulled"
	Error   = "Error"
)

// Image is an image on a compute host.
type Image struct {
	Schema          int    `json:"schema"`
	UUID            string `json:"uuid"`
	Repo            string `json:"repo"`
	Tag             string `json:"tag"`
	ImageID         string `json:"image_id,omitempty"`
	Size            int64  `json:"size,omitempty"`
	Host            string `json:"host"`
	ImagePullPolicy string `json:"image_pull_policy,omitempty"`
	ProjectID       string `json:"project_id"`
	UserID          string `json:"user_id"`
	Status          string `json:"status"`
	StatusReason    string `json:"status_reason,omitempty"`
	// Done and Total are how far a pull has come, in bytes, while Pulling
	// (Total 0: not known yet).
	Done      int64     `json:"done,omitempty"`
	Total     int64     `json:"total,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Ref is the image's reference, repo:tag.
func (i *Image) Ref() string { return i.Repo + ":" + i.Tag }

// Store keeps image records, scoped by the context's principal.
type Store interface {
	Create(ctx context.Context, im *Image) error
	Get(ctx context.Context, uuid string) (*Image, error)
	List(ctx context.Context) ([]*Image, error)
	Update(ctx context.Context, uuid string, fn func(*Image) error) (*Image, error)
	Delete(ctx context.Context, uuid string) error
}
