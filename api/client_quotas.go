package api

import (
	"context"
	"net/url"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Quota is the limits of a project or a quota class, one per resource;
// -1 is unlimited. Zun answers quotas without usages in this shape.
type Quota struct {
	Containers int64 `json:"containers"`
	CPU        int64 `json:"cpu"`    // vCPUs
	Memory     int64 `json:"memory"` // MiB
	Disk       int64 `json:"disk"`   // GiB
}

// QuotaUsage is a project's quota with what is in use, the answer of
// GET /v1/quotas/{project_id}?usages=true.
type QuotaUsage struct {
	Containers QuotaUse `json:"containers"`
	CPU        QuotaUse `json:"cpu"`
	Memory     QuotaUse `json:"memory"`
	Disk       QuotaUse `json:"disk"`
}

// QuotaUse is one resource's limit and what the project's containers
// hold of it (fractional for cpu).
type QuotaUse struct {
	Limit int64   `json:"limit"`
	InUse float64 `json:"in_use"`
}

// QuotaUpdate sets some limits of a project or class; nil fields are
// left as they are.
type QuotaUpdate struct {
	Containers *int64 `json:"containers,omitempty"`
	CPU        *int64 `json:"cpu,omitempty"`
	Memory     *int64 `json:"memory,omitempty"`
	Disk       *int64 `json:"disk,omitempty"`
}

// GetQuota returns a project's limits (quota:get: its members and admins).
func (c *Client) GetQuota(ctx context.Context, projectID string) (*Quota, error) {
	p, err := quotaPath(projectID)
	if err != nil {
		return nil, err
	}
	var out Quota
	return &out, c.do(ctx, request{method: "GET", path: p}, &out)
}

// GetQuotaUsage returns a project's limits with what is in use.
func (c *Client) GetQuotaUsage(ctx context.Context, projectID string) (*QuotaUsage, error) {
	p, err := quotaPath(projectID)
	if err != nil {
		return nil, err
	}
	var out QuotaUsage
	return &out, c.do(ctx, request{method: "GET", path: p, query: url.Values{"usages": {"true"}}}, &out)
}

// QuotaDefaults returns the limits a project without its own gets.
func (c *Client) QuotaDefaults(ctx context.Context, projectID string) (*Quota, error) {
	p, err := quotaPath(projectID)
	if err != nil {
		return nil, err
	}
	var out Quota
	return &out, c.do(ctx, request{method: "GET", path: p + "/defaults"}, &out)
}

// UpdateQuota sets some of a project's limits (admins) and returns them all.
func (c *Client) UpdateQuota(ctx context.Context, projectID string, req QuotaUpdate) (*Quota, error) {
	p, err := quotaPath(projectID)
	if err != nil {
		return nil, err
	}
	var out Quota
	return &out, c.do(ctx, request{method: "PUT", path: p, body: req}, &out)
}

// DeleteQuota removes a project's own limits (admins): it gets the
// defaults again.
func (c *Client) DeleteQuota(ctx context.Context, projectID string) error {
	p, err := quotaPath(projectID)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: "DELETE", path: p}, nil)
}

// GetQuotaClass returns a quota class's limits (admins). The class
// "default" holds every project's defaults.
func (c *Client) GetQuotaClass(ctx context.Context, name string) (*Quota, error) {
	p, err := quotaClassPath(name)
	if err != nil {
		return nil, err
	}
	var out Quota
	return &out, c.do(ctx, request{method: "GET", path: p}, &out)
}

// UpdateQuotaClass sets some of a quota class's limits (admins) and
// returns them all.
func (c *Client) UpdateQuotaClass(ctx context.Context, name string, req QuotaUpdate) (*Quota, error) {
	p, err := quotaClassPath(name)
	if err != nil {
		return nil, err
	}
	var out Quota
	return &out, c.do(ctx, request{method: "PUT", path: p, body: req}, &out)
}

func quotaPath(projectID string) (string, error) {
	if strings.TrimSpace(projectID) == "" {
		return "", errdefs.Invalidf("project id is empty")
	}
	return "/quotas/" + escapeSegment(projectID), nil
}

func quotaClassPath(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", errdefs.Invalidf("quota class name is empty")
	}
	return "/quota_classes/" + escapeSegment(name), nil
}
