package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zun-go/zun/errdefs"
)

func TestFollowLogsStreams(t *testing.T) {
	release := make(chan struct{})
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select { // the second line only once the first was read
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "second\n")
	}))
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := c.FollowLogs(ctx, "web", LogOptions{Tail: "10"})
	if err != nil {
		t.Fatalf("FollowLogs: %v", err)
	}
	defer rc.Close()
	if want := "follow=true&stderr=true&stdout=true&tail=10&timestamps=false"; query != want {
		t.Fatalf("query = %q, want %q", query, want)
	}
	br := bufio.NewReader(rc)
	for i, want := range []string{"first\n", "second\n"} {
		line, err := br.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("line %d = %q, %v; want %q", i, line, err, want)
		}
		if i == 0 {
			close(release)
		}
	}
	if _, err := br.ReadString('\n'); err != io.EOF {
		t.Fatalf("after the last line: %v, want EOF", err)
	}
}

func TestLogsBodies(t *testing.T) {
	tests := []struct {
		name   string
		follow bool
		a      answer
		want   string
	}{
		{"json string", false, answer{body: `"a\nb\n"`}, "a\nb\n"},
		{"json null", false, answer{body: `null`}, ""},
		{"plain text", false, answer{body: "raw\n", header: map[string]string{"Content-Type": "text/plain"}}, "raw\n"},
		{"follow answered by a server without the extension", true, answer{body: `"all so far\n"`}, "all so far\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newTestClient(t, tt.a, Config{})
			var got string
			if tt.follow {
				rc, err := c.FollowLogs(context.Background(), "web", LogOptions{})
				if err != nil {
					t.Fatalf("FollowLogs: %v", err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				got = string(b)
			} else {
				var err error
				if got, err = c.Logs(context.Background(), "web", LogOptions{}); err != nil {
					t.Fatalf("Logs: %v", err)
				}
			}
			if got != tt.want {
				t.Fatalf("logs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFollowLogsError(t *testing.T) {
	body := `{"errors":[{"status":409,"title":"Cannot logs container web in Creating state.","detail":"Cannot logs container web in Creating state."}]}`
	c, _ := newTestClient(t, answer{status: 409, body: body}, Config{})
	_, err := c.FollowLogs(context.Background(), "web", LogOptions{})
	if !errors.Is(err, errdefs.ErrConflict) {
		t.Fatalf("error = %v, want ErrConflict", err)
	}
}

func TestClientSideChecks(t *testing.T) {
	ctx := context.Background()
	minus := -1
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"empty exec command", func(c *Client) error { _, err := c.Execute(ctx, "web", " "); return err }},
		{"empty commit repository", func(c *Client) error { _, err := c.Commit(ctx, "web", "", "x"); return err }},
		{"empty new name", func(c *Client) error { _, err := c.RenameContainer(ctx, "web", ""); return err }},
		{"empty request id", func(c *Client) error { _, err := c.GetAction(ctx, "web", ""); return err }},
		{"negative timeout", func(c *Client) error { return c.Stop(ctx, "web", &minus) }},
		{"empty ident", func(c *Client) error { return c.Start(ctx, "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, reqs := newTestClient(t, answer{body: `{}`}, Config{})
			if err := tt.call(c); !errors.Is(err, errdefs.ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if len(*reqs) != 0 {
				t.Fatalf("%d requests sent, want none", len(*reqs))
			}
		})
	}
}

func TestQuoteCommand(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{"plain words", []string{"ls", "-l", "/tmp"}, "ls -l /tmp"},
		{"spaces", []string{"sh", "-c", "echo hi"}, "sh -c 'echo hi'"},
		{"single quote", []string{"echo", "it's"}, `echo 'it'"'"'s'`},
		{"empty word", []string{"printf", ""}, "printf ''"},
		{"shell characters", []string{"echo", "$HOME", "a;b", "*"}, `echo '$HOME' 'a;b' '*'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := QuoteCommand(tt.words...); got != tt.want {
				t.Fatalf("QuoteCommand(%q) = %q, want %q", tt.words, got, tt.want)
			}
		})
	}
}
