package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Image statuses of Zun's images API (an extension: Zun's view has none).
const (
	ImagePulling = "Pulling"
	ImagePulled  = "Pulled"
	ImageError   = "Error"
)

// Image is an image pulled, or being pulled, onto one compute host through
// Zun's images API (admin-only by default). ImageID and Size are set once
// the host has it.
type Image struct {
	UUID            string `json:"uuid"`
	Links           []Link `json:"links,omitempty"`
	Repo            string `json:"repo"`
	Tag             string `json:"tag"`
	ImageID         string `json:"image_id"`
	Size            *int64 `json:"size"` // bytes
	Host            string `json:"host"`
	ProjectID       string `json:"project_id"`
	ImagePullPolicy string `json:"image_pull_policy"`
	Status          string `json:"status"`
	StatusReason    string `json:"status_reason"`
	// Progress is set while Pulling, once the host reports bytes.
	Progress *PullProgress `json:"progress,omitempty"`
}

// Ref is the image's reference, repo:tag.
func (im *Image) Ref() string {
	if im.Tag == "" {
		return im.Repo
	}
	return im.Repo + ":" + im.Tag
}

// PullProgress is how many bytes of a pull the host has; Total is zero
// while the host does not know it yet.
type PullProgress struct {
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// PullImage is the body of POST /v1/images. Repo is a Docker reference,
// whose tag may be given in Tag instead (default latest); Host is a
// compute host's name or UUID; ImagePullPolicy is always (the default),
// ifnotpresent or never.
type PullImage struct {
	Repo            string `json:"repo"`
	Tag             string `json:"tag,omitempty"`
	Host            string `json:"host"`
	ImagePullPolicy string `json:"image_pull_policy,omitempty"`
}

// ImageList is the answer of GET /v1/images.
type ImageList struct {
	Images []Image `json:"images"`
}

// PullImage asks for an image to be pulled onto a host. The answer is the
// record, still Pulling: poll GetImage to follow it.
func (c *Client) PullImage(ctx context.Context, req PullImage) (*Image, error) {
	if strings.TrimSpace(req.Repo) == "" {
		return nil, errdefs.Invalidf("pull image: repo is empty")
	}
	if strings.TrimSpace(req.Host) == "" {
		return nil, errdefs.Invalidf("pull image %s: host is empty", req.Repo)
	}
	var out Image
	if err := c.do(ctx, request{method: http.MethodPost, path: "/images", body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListImages returns the images pulled through the images API.
func (c *Client) ListImages(ctx context.Context) ([]Image, error) {
	var out ImageList
	if err := c.do(ctx, request{method: http.MethodGet, path: "/images"}, &out); err != nil {
		return nil, err
	}
	return out.Images, nil
}

// GetImage returns an image record by UUID.
func (c *Client) GetImage(ctx context.Context, uuid string) (*Image, error) {
	p, err := imagePath(uuid)
	if err != nil {
		return nil, err
	}
	var out Image
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage removes an image from its host's engine, then its record
// (a conflict while a container uses it).
func (c *Client) DeleteImage(ctx context.Context, uuid string) error {
	p, err := imagePath(uuid)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: p}, nil)
}

func imagePath(uuid string) (string, error) {
	if strings.TrimSpace(uuid) == "" {
		return "", errdefs.Invalidf("image UUID is empty")
	}
	return "/images/" + escapeSegment(uuid), nil
}
