// Package apitest is the behavioural suite of the container API, written
// once and run against any target: in-process (the apiserver's own tests,
// with the fake driver) and the built zund binary on a real Docker Engine
// (the end-to-end tier), as etcd does with tests/common.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Target is a running API to test.
type Target struct {
	// URL is the service root, without /v1.
	URL string
	// Image is an image the target's hosts have.
	Image string
	// Real says the runtime really runs the commands, so outputs (logs,
	// exec) can be checked to the byte.
	Real bool
	// Admin says the caller is an admin (sees host, runtime, ...).
	Admin bool
	// Token, if set, supplies the X-Auth-Token of every request.
	Token func(t *testing.T) string
	// RuntimeContainers, if set, counts the runtime containers the
	// service manages, to check that bad input created nothing.
	RuntimeContainers func(t *testing.T) int
	// Revision, if set, returns the revision of the target's store, and
	// ChangedSince the keys written after a revision: the quiescence
	// test checks that nothing is written while every container rests.
	Revision     func(t *testing.T) int64
	ChangedSince func(t *testing.T, rev int64) []string
	// QuietWindow is how long the store must stay still; longer than the
	// agents' sync interval (default 3s).
	QuietWindow time.Duration
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   any
}

func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.body.(map[string]any)
	if !ok {
		t.Fatalf("response body is not an object: %s", r.raw)
	}
	return m
}

// errorTitle returns the title of Zun's error body.
func (r resp) errorTitle(t *testing.T) string {
	t.Helper()
	errs, ok := r.obj(t)["errors"].([]any)
	if !ok || len(errs) != 1 {
		t.Fatalf("not a Zun error body: %s", r.raw)
	}
	e := errs[0].(map[string]any)
	if int(e["status"].(float64)) != r.status {
		t.Fatalf("error body status %v, response status %d", e["status"], r.status)
	}
	return e["title"].(string)
}

type client struct {
	t       *testing.T
	base    string
	version string
	token   string
}

func (tg Target) client(t *testing.T) *client {
	c := &client{t: t, base: strings.TrimRight(tg.URL, "/"), version: "1.40"}
	if tg.Token != nil {
		c.token = tg.Token(t)
	}
	return c
}

// at returns a client speaking another microversion ("" sends no header).
func (c *client) at(version string) *client {
	n := *c
	n.version = version
	return &n
}

func (c *client) do(method, path string, body any) resp {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.version != "" {
		req.Header.Set("OpenStack-API-Version", "container "+c.version)
	}
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	if res.Header.Get("X-Openstack-Request-Id") == "" {
		c.t.Fatalf("%s %s: no X-Openstack-Request-Id", method, path)
	}
	return r
}

// must does a request and fails unless it answers status.
func (c *client) must(status int, method, path string, body any) resp {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r
}

// create runs a container and returns its uuid.
func (c *client) create(body map[string]any, run bool) string {
	c.t.Helper()
	r := c.must(202, "POST", fmt.Sprintf("/v1/containers?run=%t", run), body)
	return r.obj(c.t)["uuid"].(string)
}

func (c *client) show(ident string) map[string]any {
	c.t.Helper()
	return c.must(200, "GET", "/v1/containers/"+ident, nil).obj(c.t)
}

// waitStatus polls until the container shows status with no task in
// progress, failing on Error unless that is what is awaited.
func (c *client) waitStatus(ident, status string) map[string]any {
	c.t.Helper()
	var last map[string]any
	ok := poll(30*time.Second, func() bool {
		last = c.show(ident)
		if last["status"] == "Error" && status != "Error" {
			c.t.Fatalf("container %s went to Error: %v", ident, last["status_reason"])
		}
		return last["status"] == status && last["task_state"] == nil
	})
	if !ok {
		c.t.Fatalf("container %s: status %v task %v, want %s", ident, last["status"], last["task_state"], status)
	}
	return last
}

// waitGone polls until the container is 404.
func (c *client) waitGone(ident string) {
	c.t.Helper()
	if !poll(30*time.Second, func() bool { return c.do("GET", "/v1/containers/"+ident, nil).status == 404 }) {
		c.t.Fatalf("container %s was not removed", ident)
	}
}

// poll calls cond until it holds or timeout passes.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *client) doWithHeader(method, path, versionHeader string) resp {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	req.Header.Set("OpenStack-API-Version", versionHeader)
	return c.send(req)
}

func (c *client) doWithContentType(method, path, body, contentType string) resp {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("OpenStack-API-Version", "container "+c.version)
	return c.send(req)
}

func (c *client) send(req *http.Request) resp {
	c.t.Helper()
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}
