package api

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestImageCalls checks what each call of the images API puts on the wire
// and what it makes of the answer.
func TestImageCalls(t *testing.T) {
	ctx := context.Background()
	const pulling = `{"uuid":"i1","repo":"busybox","tag":"1.36","image_id":null,"size":null,"host":"h1","project_id":"p1","image_pull_policy":"always","status":"Pulling","status_reason":null,"progress":{"done":10,"total":40},"links":[]}`
	tests := []struct {
		name   string
		call   func(c *Client) (any, error)
		a      answer
		method string
		path   string
		body   string
		want   string // JSON of the result
	}{
		{
			name: "pull",
			call: func(c *Client) (any, error) {
				return c.PullImage(ctx, PullImage{Repo: "busybox", Tag: "1.36", Host: "h1", ImagePullPolicy: "always"})
			},
			a:      answer{status: 202, body: pulling},
			method: "POST", path: "/v1/images", body: `{"repo":"busybox","tag":"1.36","host":"h1","image_pull_policy":"always"}`,
			want: `{"uuid":"i1","repo":"busybox","tag":"1.36","image_id":"","size":null,"host":"h1","project_id":"p1","image_pull_policy":"always","status":"Pulling","status_reason":"","progress":{"done":10,"total":40}}`,
		},
		{
			name:   "pull leaves out what is not given",
			call:   func(c *Client) (any, error) { return c.PullImage(ctx, PullImage{Repo: "busybox", Host: "h1"}) },
			a:      answer{status: 202, body: pulling},
			method: "POST", path: "/v1/images", body: `{"repo":"busybox","host":"h1"}`,
		},
		{
			name:   "list",
			call:   func(c *Client) (any, error) { return c.ListImages(ctx) },
			a:      answer{body: `{"images":[{"uuid":"i2","repo":"nginx","tag":"latest","image_id":"sha256:ab","size":1234,"host":"h1","status":"Pulled"}]}`},
			method: "GET", path: "/v1/images",
			want: `[{"uuid":"i2","repo":"nginx","tag":"latest","image_id":"sha256:ab","size":1234,"host":"h1","project_id":"","image_pull_policy":"","status":"Pulled","status_reason":""}]`,
		},
		{
			name:   "get",
			call:   func(c *Client) (any, error) { return c.GetImage(ctx, "i1") },
			a:      answer{body: pulling},
			method: "GET", path: "/v1/images/i1",
		},
		{
			name:   "delete",
			call:   func(c *Client) (any, error) { return nil, c.DeleteImage(ctx, "a/b") },
			a:      answer{status: 204},
			method: "DELETE", path: "/v1/images/a%2Fb",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, reqs := newTestClient(t, tt.a, Config{})
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := (*reqs)[0]
			if r.method != tt.method || r.path != tt.path {
				t.Fatalf("request = %s %s, want %s %s", r.method, r.path, tt.method, tt.path)
			}
			if canonical(r.body) != canonical(tt.body) {
				t.Fatalf("body = %s, want %s", r.body, tt.body)
			}
			if tt.want == "" {
				return
			}
			if b, _ := json.Marshal(got); canonical(string(b)) != canonical(tt.want) {
				t.Fatalf("result = %s, want %s", b, tt.want)
			}
		})
	}
}

func TestImageCallsRefuseEmptyArguments(t *testing.T) {
	ctx := context.Background()
	c, reqs := newTestClient(t, answer{body: `{}`}, Config{})
	for name, call := range map[string]func() error{
		"pull without repo": func() error { _, err := c.PullImage(ctx, PullImage{Host: "h1"}); return err },
		"pull without host": func() error { _, err := c.PullImage(ctx, PullImage{Repo: "busybox"}); return err },
		"get":               func() error { _, err := c.GetImage(ctx, " "); return err },
		"delete":            func() error { return c.DeleteImage(ctx, "") },
	} {
		if err := call(); !errors.Is(err, errdefs.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", name, err)
		}
	}
	if len(*reqs) != 0 {
		t.Fatalf("%d requests sent, want none", len(*reqs))
	}
}

func TestImageRef(t *testing.T) {
	for _, tc := range []struct {
		im   Image
		want string
	}{
		{Image{Repo: "busybox", Tag: "1.36"}, "busybox:1.36"},
		{Image{Repo: "registry:5000/me/app"}, "registry:5000/me/app"},
	} {
		if got := tc.im.Ref(); got != tc.want {
			t.Errorf("Ref() = %q, want %q", got, tc.want)
		}
	}
}
