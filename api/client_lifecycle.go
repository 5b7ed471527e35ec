package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// The lifecycle actions are accepted (202) and carried out in the
// background; the container's status and task_state, and its action
// records (ListActions, GetAction), show how they went.

// Start starts a stopped or created container.
func (c *Client) Start(ctx context.Context, ident string) error {
	return c.action(ctx, ident, "start", nil)
}

// Stop stops a container, killing it after timeout seconds (nil
// leaves the grace period to the server).
func (c *Client) Stop(ctx context.Context, ident string, timeout *int) error {
	q, err := timeoutQuery(timeout)
	if err != nil {
		return err
	}
	return c.action(ctx, ident, "stop", q)
}

// Reboot restarts a container, stopping it first within timeout
// seconds (nil leaves the grace period to the server).
func (c *Client) Reboot(ctx context.Context, ident string, timeout *int) error {
	q, err := timeoutQuery(timeout)
	if err != nil {
		return err
	}
	return c.action(ctx, ident, "reboot", q)
}

// Pause freezes a running container's processes.
func (c *Client) Pause(ctx context.Context, ident string) error {
	return c.action(ctx, ident, "pause", nil)
}

// Unpause thaws a paused container.
func (c *Client) Unpause(ctx context.Context, ident string) error {
	return c.action(ctx, ident, "unpause", nil)
}

// Kill sends a signal (a name such as "SIGTERM" or "term", or a
// number) to a container; empty means the runtime's default, SIGKILL.
func (c *Client) Kill(ctx context.Context, ident, signal string) error {
	var q url.Values
	if signal != "" {
		q = url.Values{"signal": {signal}}
	}
	return c.action(ctx, ident, "kill", q)
}

func timeoutQuery(timeout *int) (url.Values, error) {
	if timeout == nil {
		return nil, nil
	}
	if *timeout < 0 {
		return nil, errdefs.Invalidf("timeout %d: must not be negative", *timeout)
	}
	return url.Values{"timeout": {strconv.Itoa(*timeout)}}, nil
}

// action posts a container action whose answer carries nothing.
func (c *Client) action(ctx context.Context, ident, name string, q url.Values) error {
	p, err := containerPath(ident, name)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPost, path: p, query: q}, nil)
}

// ListActions returns the requests made on a container (create, stop,
// ...), newest first as Zun orders them, without their events.
func (c *Client) ListActions(ctx context.Context, ident string) ([]ContainerAction, error) {
	p, err := containerPath(ident, "container_actions")
	if err != nil {
		return nil, err
	}
	var out ContainerActionList
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return out.ContainerActions, nil
}

// GetAction returns one action of a container, by the request id that
// made it, with its events.
func (c *Client) GetAction(ctx context.Context, ident, requestID string) (*ContainerAction, error) {
	if strings.TrimSpace(requestID) == "" {
		return nil, errdefs.Invalidf("action of container %q: request id is empty", ident)
	}
	p, err := containerPath(ident, "container_actions", requestID)
	if err != nil {
		return nil, err
	}
	var out ContainerAction
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
