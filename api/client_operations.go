package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// LogOptions select a container's log lines. With neither Stdout nor
// Stderr set, both streams are returned.
type LogOptions struct {
	Stdout, Stderr bool
	// Timestamps prefixes each line with its RFC 3339 time.
	Timestamps bool
	// Tail is a number of lines from the end, or "all"; empty is all.
	Tail string
	// Since is a Unix time in seconds, or "YYYY-MM-DD HH:MM:SS,mmm".
	Since string
}

func (o LogOptions) query() url.Values {
	out, errs := o.Stdout, o.Stderr
	if !out && !errs {
		out, errs = true, true
	}
	q := url.Values{
		"stdout":     {strconv.FormatBool(out)},
		"stderr":     {strconv.FormatBool(errs)},
		"timestamps": {strconv.FormatBool(o.Timestamps)},
	}
	if o.Tail != "" {
		q.Set("tail", o.Tail)
	}
	if o.Since != "" {
		q.Set("since", o.Since)
	}
	return q
}

// Logs returns a container's logs so far. Zun answers them as one JSON
// string.
func (c *Client) Logs(ctx context.Context, ident string, opts LogOptions) (string, error) {
	p, err := containerPath(ident, "logs")
	if err != nil {
		return "", err
	}
	return c.readLogs(ctx, p, opts.query(), "container "+strconv.Quote(ident))
}

// readLogs reads the whole body of the logs at path p, of what.
func (c *Client) readLogs(ctx context.Context, p string, q url.Values, what string) (string, error) {
	rc, err := c.logsAt(ctx, p, q)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return "", fmt.Errorf("read logs of %s: %w", what, err)
	}
	return string(b), nil
}

// FollowLogs streams a container's logs until it stops or ctx ends; the
// caller closes the stream. It uses the project's extension
// GET .../logs?follow=true, answered as text/plain written as lines come.
// A server without the extension that answers a JSON string gives that
// string and an end of stream.
func (c *Client) FollowLogs(ctx context.Context, ident string, opts LogOptions) (io.ReadCloser, error) {
	q := opts.query()
	q.Set("follow", "true")
	p, err := containerPath(ident, "logs")
	if err != nil {
		return nil, err
	}
	return c.logsAt(ctx, p, q)
}

// logsAt returns the body of GET p (a .../logs path): a JSON string is
// decoded, any other content is passed through as it arrives.
func (c *Client) logsAt(ctx context.Context, p string, q url.Values) (io.ReadCloser, error) {
	u := c.endpoint + p + "?" + q.Encode()
	resp, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	var s *string
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("GET %s: decode logs: %w", u, err)
	}
	if s == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	return io.NopCloser(strings.NewReader(*s)), nil
}

// Execute runs a command in a running container and waits for it (the
// server gives up after its exec timeout, a 409). command is one string
// that the server splits as a POSIX shell would, without running a shell:
// build it from words with QuoteCommand.
func (c *Client) Execute(ctx context.Context, ident, command string) (*ExecResult, error) {
	if strings.TrimSpace(command) == "" {
		return nil, errdefs.Invalidf("execute in container %q: command is empty", ident)
	}
	p, err := containerPath(ident, "execute")
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

// Stats returns a container's resource usage, keyed by Zun's column
// titles (StatsCPUPct, ...).
func (c *Client) Stats(ctx context.Context, ident string) (Stats, error) {
	p, err := containerPath(ident, "stats")
	if err != nil {
		return nil, err
	}
	var out Stats
	if err := c.do(ctx, request{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Top lists a container's processes; psArgs are ps options such as
// "aux" (empty is the runtime's default, -ef).
func (c *Client) Top(ctx context.Context, ident, psArgs string) (*Top, error) {
	p, err := containerPath(ident, "top")
	if err != nil {
		return nil, err
	}
	return c.top(ctx, p, psArgs)
}

// top lists the processes of the container at path p.
func (c *Client) top(ctx context.Context, p, psArgs string) (*Top, error) {
	var q url.Values
	if psArgs != "" {
		q = url.Values{"ps_args": {psArgs}}
	}
	var out Top
	if err := c.do(ctx, request{method: http.MethodGet, path: p, query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Commit makes an image of a container as repository:tag (empty tag is
// "latest") and returns the new image's id; the upload finishes in the
// background.
func (c *Client) Commit(ctx context.Context, ident, repository, tag string) (*CommitResult, error) {
	if repository == "" {
		return nil, errdefs.Invalidf("commit container %q: repository is empty", ident)
	}
	p, err := containerPath(ident, "commit")
	if err != nil {
		return nil, err
	}
	q := url.Values{"repository": {repository}}
	if tag != "" {
		q.Set("tag", tag)
	}
	var out CommitResult
	if err := c.do(ctx, request{method: http.MethodPost, path: p, query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// QuoteCommand joins words into one command string that a POSIX shell
// (and Python's shlex, as Zun uses) splits back into the same words.
func QuoteCommand(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = quoteWord(w)
	}
	return strings.Join(out, " ")
}

func quoteWord(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'"'"'`) + "'"
}
