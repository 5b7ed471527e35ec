package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/zun-go/zun/errdefs"
)

// ListOptions selects and pages the containers of a list.
type ListOptions struct {
	// AllProjects lists every project's containers (admin only).
	AllProjects bool
	// Limit is the page size; zero leaves it to the server (max_limit).
	Limit int
	// Marker is the UUID of the last container of the previous page.
	Marker string
	// SortKey is a container field, such as "created_at"; SortDir is
	// "asc" or "desc".
	SortKey, SortDir string
	// Filters are exact-match fields: name, image, project_id, user_id,
	// memory, host, task_state, status, auto_remove.
	Filters map[string]string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	for k, v := range o.Filters {
		q.Set(k, v)
	}
	if o.AllProjects {
		q.Set("all_projects", "true")
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Marker != "" {
		q.Set("marker", o.Marker)
	}
	if o.SortKey != "" {
		q.Set("sort_key", o.SortKey)
	}
	if o.SortDir != "" {
		q.Set("sort_dir", o.SortDir)
	}
	return q
}

// DeleteOptions are the switches of a delete.
type DeleteOptions struct {
	Force       bool // delete whatever the state (admin, 1.7+)
	Stop        bool // stop a running container first (1.12+)
	AllProjects bool // find the container in any project (admin)
}

// CreateContainer creates a container (POST /containers?run=...) and
// starts it once created when run is true. The answer is the new
// container, still Creating: poll GetContainer to follow it.
func (c *Client) CreateContainer(ctx context.Context, req CreateContainer, run bool) (*Container, error) {
	var body any = req
	if c.version.Less(V(20)) && len(req.Command) > 0 {
		// Before 1.20 the command is one shell-quoted string.
		b, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("encode create request: %w", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("encode create request: %w", err)
		}
		m["command"] = QuoteCommand(req.Command...)
		body = m
	}
	var out Container
	q := url.Values{"run": {strconv.FormatBool(run)}}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/containers", query: q, body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListContainers returns one page of containers.
func (c *Client) ListContainers(ctx context.Context, opts ListOptions) (*ContainerList, error) {
	var out ContainerList
	if err := c.do(ctx, request{method: http.MethodGet, path: "/containers", query: opts.query()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAllContainers returns every container opts selects, following the
// pages' next links. Only the query of a next link is used: the requests
// stay on the client's endpoint, whatever host the server names.
func (c *Client) ListAllContainers(ctx context.Context, opts ListOptions) ([]Container, error) {
	q := opts.query()
	return allPages(q, func(q url.Values) ([]Container, string, error) {
		var page ContainerList
		err := c.do(ctx, request{method: http.MethodGet, path: "/containers", query: q}, &page)
		return page.Containers, page.Next, err
	})
}

// GetContainer returns a container by UUID or name.
func (c *Client) GetContainer(ctx context.Context, ident string) (*Container, error) {
	p, err := containerPath(ident)
	if err != nil {
		return nil, err
	}
	var out Container
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteContainer asks for a container's deletion, which the service
// carries out in the background (the container shows Deleting).
func (c *Client) DeleteContainer(ctx context.Context, ident string, opts DeleteOptions) error {
	p, err := containerPath(ident)
	if err != nil {
		return err
	}
	q := url.Values{}
	for name, on := range map[string]bool{"force": opts.Force, "stop": opts.Stop, "all_projects": opts.AllProjects} {
		if on {
			q.Set(name, "true")
		}
	}
	return c.do(ctx, request{method: http.MethodDelete, path: p, query: q}, nil)
}

// UpdateContainer changes a container's name, CPU, memory or auto_heal
// (PATCH) and returns it.
func (c *Client) UpdateContainer(ctx context.Context, ident string, req UpdateContainer) (*Container, error) {
	p, err := containerPath(ident)
	if err != nil {
		return nil, err
	}
	var out Container
	if err := c.do(ctx, request{method: http.MethodPatch, path: p, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RenameContainer gives a container a new name. It is UpdateContainer with
// a name (the rename action was removed in 1.14).
func (c *Client) RenameContainer(ctx context.Context, ident, name string) (*Container, error) {
	if name == "" {
		return nil, errdefs.Invalidf("rename container %q: new name is empty", ident)
	}
	return c.UpdateContainer(ctx, ident, UpdateContainer{Name: name})
}
