package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/errdefs"
)

// A capsule is Zun's group of containers that share one network
// namespace, its volumes and one host, like a Kubernetes pod
// (docs/capsules.md). It is created from a template and is asynchronous
// like a container: Creating, then Running once all its containers run,
// or Error with a reason.

// Capsule is the capsule view. From microversion 1.32 the service sends
// it as it is here; older microversions send the legacy view (meta_name,
// meta_labels, restart_policy as a string), which Capsule reads into the
// same fields.
type Capsule struct {
	UUID           string               `json:"uuid"`
	Links          []Link               `json:"links,omitempty"`
	UserID         string               `json:"user_id"`
	ProjectID      string               `json:"project_id"`
	Name           string               `json:"name"`
	Status         string               `json:"status"`
	StatusReason   string               `json:"status_reason"`
	CPU            float64              `json:"cpu"`
	Memory         string               `json:"memory"` // MiB, as a string
	Addresses      map[string][]Address `json:"addresses"`
	RestartPolicy  RestartPolicy        `json:"restart_policy"`
	Labels         map[string]string    `json:"labels"`
	Annotations    map[string]string    `json:"annotations"`
	InitContainers []Container          `json:"init_containers"`
	Containers     []Container          `json:"containers"`
	Host           string               `json:"host,omitempty"` // admins only
	CreatedAt      string               `json:"created_at"`
	UpdatedAt      string               `json:"updated_at"`
}

// UnmarshalJSON reads the view of any microversion.
func (c *Capsule) UnmarshalJSON(b []byte) error {
	type plain Capsule
	var v struct {
		plain
		RestartPolicy json.RawMessage   `json:"restart_policy"`
		MetaName      *string           `json:"meta_name"`
		MetaLabels    map[string]string `json:"meta_labels"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Capsule(v.plain)
	if v.MetaName != nil {
		c.Name = *v.MetaName
	}
	if v.MetaLabels != nil {
		c.Labels = v.MetaLabels
	}
	switch raw := bytes.TrimSpace(v.RestartPolicy); {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '"':
		return json.Unmarshal(raw, &c.RestartPolicy.Name)
	default:
		return json.Unmarshal(raw, &c.RestartPolicy)
	}
	return nil
}

// CapsuleList is a page of capsules; Next is the URL of the next page.
type CapsuleList struct {
	Capsules []Capsule `json:"capsules"`
	Next     string    `json:"next"`
}

// CapsuleListOptions select and page the capsules of a list.
type CapsuleListOptions struct {
	// AllProjects lists every project's capsules (admin only).
	AllProjects bool
	// Limit is the page size; zero leaves it to the server.
	Limit int
	// Marker is the UUID of the last capsule of the previous page.
	Marker string
	// SortKey is a field, such as "created_at"; SortDir is "asc" or
	// "desc".
	SortKey, SortDir string
}

func (o CapsuleListOptions) query() url.Values {
	return ListOptions{AllProjects: o.AllProjects, Limit: o.Limit, Marker: o.Marker, SortKey: o.SortKey, SortDir: o.SortDir}.query()
}

// ReadTemplate reads a capsule template written in YAML or JSON, as `zun
// capsule-create -f` does, into the JSON object that CreateCapsule sends.
// Only the document's syntax is checked here; the service checks its
// content.
func ReadTemplate(data []byte) (json.RawMessage, error) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, errdefs.Invalidf("capsule template: %v", err)
	}
	if j = bytes.TrimSpace(j); len(j) == 0 || j[0] != '{' {
		return nil, errdefs.Invalidf("capsule template: want an object (kind, metadata, spec...), not %s", firstWord(j))
	}
	return json.RawMessage(j), nil
}

func firstWord(j []byte) string {
	if len(j) == 0 || string(j) == "null" {
		return "an empty document"
	}
	if len(j) > 20 {
		j = append(j[:20:20], "..."...)
	}
	return string(j)
}

// CreateCapsule creates a capsule from template (POST /capsules, body
// {"template": template}): anything that encodes to the template's JSON
// object (a map, a struct, a json.RawMessage such as ReadTemplate gives),
// or a string holding that object in JSON, which the service also
// accepts. The answer is the new capsule, still Creating: WaitCapsule
// follows it.
func (c *Client) CreateCapsule(ctx context.Context, template any) (*Capsule, error) {
	if template == nil {
		return nil, errdefs.Invalidf("create capsule: template is empty")
	}
	var out Capsule
	body := map[string]any{"template": template}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/capsules", body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCapsules returns one page of capsules.
func (c *Client) ListCapsules(ctx context.Context, opts CapsuleListOptions) (*CapsuleList, error) {
	var out CapsuleList
	if err := c.do(ctx, request{method: http.MethodGet, path: "/capsules", query: opts.query()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAllCapsules returns every capsule opts selects, following the
// pages' next links (their query only, as ListAllContainers).
func (c *Client) ListAllCapsules(ctx context.Context, opts CapsuleListOptions) ([]Capsule, error) {
	return allPages(opts.query(), func(q url.Values) ([]Capsule, string, error) {
		var page CapsuleList
		err := c.do(ctx, request{method: http.MethodGet, path: "/capsules", query: q}, &page)
		return page.Capsules, page.Next, err
	})
}

// GetCapsule returns a capsule by UUID or name.
func (c *Client) GetCapsule(ctx context.Context, ident string) (*Capsule, error) {
	p, err := capsulePath(ident)
	if err != nil {
		return nil, err
	}
	var out Capsule
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCapsule asks for a capsule's deletion (204), which the service
// carries out in the background: the capsule shows Deleting, then is
// gone with its containers, volumes it made, addresses and claims.
// WaitCapsuleGone follows it.
func (c *Client) DeleteCapsule(ctx context.Context, ident string) error {
	p, err := capsulePath(ident)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, path: p}, nil)
}

// PollInterval is how often the Wait calls ask: they return within
// twice that of the change they wait for (50 ms, plus the request's own
// time).
const PollInterval = 50 * time.Millisecond

// WaitOptions pace and report a wait.
type WaitOptions struct {
	// Interval between two requests; zero is PollInterval.
	Interval time.Duration
	// Progress, when set, is called with the capsule each time its
	// status changes (and with the first answer).
	Progress func(*Capsule)
}

func (o WaitOptions) interval() time.Duration {
	if o.Interval > 0 {
		return o.Interval
	}
	return PollInterval
}

// WaitCapsule asks for a capsule every opts.Interval until its status is
// one of until (none given: Running) or Error, and returns it as it was
// then. Error always ends the wait (the capsule does not leave it by
// itself): the caller tells it from success by Status and StatusReason.
// A capsule that is gone ends the wait with a not-found error.
func (c *Client) WaitCapsule(ctx context.Context, ident string, opts WaitOptions, until ...string) (*Capsule, error) {
	if len(until) == 0 {
		until = []string{"Running"}
	}
	last := ""
	for {
		cp, err := c.GetCapsule(ctx, ident)
		if err != nil {
			return nil, err
		}
		if cp.Status != last && opts.Progress != nil {
			opts.Progress(cp)
		}
		last = cp.Status
		if cp.Status == "Error" || slices.Contains(until, cp.Status) {
			return cp, nil
		}
		if err := pause(ctx, opts.interval()); err != nil {
			return nil, err
		}
	}
}

// WaitCapsuleGone asks for a capsule every opts.Interval until the
// service no longer knows it (its deletion has ended), or until it is in
// Error with a reason (its deletion failed), which is returned as an
// error.
func (c *Client) WaitCapsuleGone(ctx context.Context, ident string, opts WaitOptions) error {
	last := ""
	for {
		cp, err := c.GetCapsule(ctx, ident)
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cp.Status != last && opts.Progress != nil {
			opts.Progress(cp)
		}
		last = cp.Status
		if cp.Status == "Error" && cp.StatusReason != "" {
			return fmt.Errorf("delete capsule %s: %s", ident, cp.StatusReason)
		}
		if err := pause(ctx, opts.interval()); err != nil {
			return err
		}
	}
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// CapsuleLogs returns the logs so far of one of a capsule's containers
// (init containers included), named by its name in the template, through
// the project's extension GET /capsules/{id}/containers/{name}/logs.
func (c *Client) CapsuleLogs(ctx context.Context, ident, name string, opts LogOptions) (string, error) {
	p, err := capsulePath(ident, "containers", name, "logs")
	if err != nil {
		return "", err
	}
	return c.readLogs(ctx, p, opts.query(), "container "+strconv.Quote(name)+" of capsule "+strconv.Quote(ident))
}

// FollowCapsuleLogs streams the logs of one of a capsule's containers
// until it stops or ctx ends, as FollowLogs does for a container.
func (c *Client) FollowCapsuleLogs(ctx context.Context, ident, name string, opts LogOptions) (io.ReadCloser, error) {
	p, err := capsulePath(ident, "containers", name, "logs")
	if err != nil {
		return nil, err
	}
	q := opts.query()
	q.Set("follow", "true")
	return c.logsAt(ctx, p, q)
}

// capsulePath is the escaped path of a capsule, or of one of its
// sub-resources when parts are given (none may be empty).
func capsulePath(ident string, parts ...string) (string, error) {
	if strings.TrimSpace(ident) == "" {
		return "", errdefs.Invalidf("capsule name or UUID is empty")
	}
	p := "/capsules/" + escapeSegment(ident)
	for _, s := range parts {
		if strings.TrimSpace(s) == "" {
			return "", errdefs.Invalidf("capsule %q: container name is empty", ident)
		}
		p += "/" + escapeSegment(s)
	}
	return p, nil
}

// CapsuleExecute runs a command in one of a capsule's running
// containers, named as in the template, and waits for it, as Execute
// does for a container (POST /capsules/{id}/containers/{name}/execute).
func (c *Client) CapsuleExecute(ctx context.Context, ident, name, command string) (*ExecResult, error) {
	if strings.TrimSpace(command) == "" {
		return nil, errdefs.Invalidf("execute in container %q of capsule %q: command is empty", name, ident)
	}
	p, err := capsulePath(ident, "containers", name, "execute")
	if err != nil {
		return nil, err
	}
	q := url.Values{"command": {command}, "run": {"true"}}
	var out ExecResult
	if err := c.do(ctx, request{method: http.MethodPost, path: p, query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CapsuleTop lists the processes of one of a capsule's containers, as
// Top does for a container.
func (c *Client) CapsuleTop(ctx context.Context, ident, name, psArgs string) (*Top, error) {
	p, err := capsulePath(ident, "containers", name, "top")
	if err != nil {
		return nil, err
	}
	return c.top(ctx, p, psArgs)
}

// CapsuleStats returns the resource usage of one of a capsule's
// containers, as Stats does for a container.
func (c *Client) CapsuleStats(ctx context.Context, ident, name string) (Stats, error) {
	p, err := capsulePath(ident, "containers", name, "stats")
	if err != nil {
		return nil, err
	}
	var out Stats
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return out, nil
}
