// Package images is the records of the long image operations: an image
// pulled, or being pulled, onto one compute host by an admin (Zun's
// POST /v1/images), and a container's commit being uploaded into the
// image store (POST /v1/containers/{id}/commit). The API writes them; the
// elected control plane carries them out (controlplane.Operations), so
// that they survive a restart of the process that took the request.
package images

import (
	"context"
	"time"
)

// SchemaVersion is the version of the stored record.
const SchemaVersion = 1

// Bounds of the operations, from their records' creation.
const (
	// PullTimeout bounds a pull.
	PullTimeout = 30 * time.Minute
	// CommitTimeout bounds a commit's upload.
	CommitTimeout = 30 * time.Minute
	// CommitWait bounds the host's commit within the commit request: an
	// upload not committed by then is given up (its request died).
	CommitWait = 10 * time.Minute
)

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

// Upload is a commit's upload into the image store, recorded from the
// commit request until the image is active or the upload has failed.
// It is keyed by the image store's image.
type Upload struct {
	Schema int `json:"schema"`
	// ImageID is the image store's (glance) image the data goes to.
	ImageID string `json:"image_id"`
	// Container is the committed container's uuid, whose action's event
	// finishes with the upload.
	Container string `json:"container"`
	// Host has the committed image, Ref (repo:tag) names it there.
	Host string `json:"host"`
	Ref  string `json:"ref"`
	// ProjectID is the container's project; RequestID the commit
	// action's request.
	ProjectID string `json:"project_id"`
	RequestID string `json:"request_id"`
	// Committed says the host has committed the container: the upload
	// may begin. Until then the request is still committing.
	Committed bool `json:"committed,omitempty"`
	// Failed, once set, says why the upload failed: the commit's event
	// fails with it and the image is deleted.
	Failed    string    `json:"failed,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Store keeps image records and commit uploads, scoped by the context's
// principal.
type Store interface {
	Create(ctx context.Context, im *Image) error
	Get(ctx context.Context, uuid string) (*Image, error)
	List(ctx context.Context) ([]*Image, error)
	Update(ctx context.Context, uuid string, fn func(*Image) error) (*Image, error)
	Delete(ctx context.Context, uuid string) error

	// CreateUpload records u (its ImageID set), created now.
	CreateUpload(ctx context.Context, u *Upload) error
	ListUploads(ctx context.Context) ([]*Upload, error)
	UpdateUpload(ctx context.Context, imageID string, fn func(*Upload) error) (*Upload, error)
	DeleteUpload(ctx context.Context, imageID string) error
}
