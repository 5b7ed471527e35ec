package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// seen is a request as the test server received it.
type seen struct {
	method, path, query, body string
	header                    http.Header
}

// answer is what the test server replies.
type answer struct {
	status int
	body   string
	header map[string]string
}

// newTestClient starts a server that records each request and replies
// with a; the client's endpoint is the server's /v1.
func newTestClient(t *testing.T, a answer, cfg Config) (*Client, *[]seen) {
	t.Helper()
	var reqs []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs = append(reqs, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, string(b), r.Header.Clone()})
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		status := a.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL + "/v1"
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, &reqs
}

// canonical re-encodes JSON text with sorted keys, or returns it as is.
func canonical(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantErr  bool
		endpoint string
		version  string
	}{
		{"defaults", Config{Endpoint: "http://127.0.0.1:9517/v1/"}, false, "http://127.0.0.1:9517/v1", "1.40"},
		{"older version", Config{Endpoint: "https://zun.example/container/v1", Version: V(20)}, false, "https://zun.example/container/v1", "1.20"},
		{"empty endpoint", Config{}, true, "", ""},
		{"no scheme", Config{Endpoint: "127.0.0.1:9517/v1"}, true, "", ""},
		{"query", Config{Endpoint: "http://h/v1?x=1"}, true, "", ""},
		{"version too new", Config{Endpoint: "http://h/v1", Version: V(41)}, true, "", ""},
		{"version too old", Config{Endpoint: "http://h/v1", Version: Version{0, 9}}, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.cfg)
			if tt.wantErr {
				if !errors.Is(err, errdefs.ErrInvalid) {
					t.Fatalf("NewClient error = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := c.Endpoint(); got != tt.endpoint {
				t.Fatalf("Endpoint() = %q, want %q", got, tt.endpoint)
			}
			if got := c.Version().String(); got != tt.version {
				t.Fatalf("Version() = %q, want %q", got, tt.version)
			}
		})
	}
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

func TestRequestHeaders(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		call        func(c *Client) error
		wantVersion string
		wantToken   string
		wantAgent   string
		wantType    string
		wantLength  string
	}{
		{
			name:        "get without token",
			cfg:         Config{},
			call:        func(c *Client) error { _, err := c.GetContainer(context.Background(), "web"); return err },
			wantVersion: "container 1.40",
			wantAgent:   DefaultUserAgent,
		},
		{
			name:        "patch with token, version and agent",
			cfg:         Config{Token: "tok", Version: V(36), UserAgent: "zunctl/dev"},
			call:        func(c *Client) error { _, err := c.RenameContainer(context.Background(), "web", "db"); return err },
			wantVersion: "container 1.36",
			wantToken:   "tok",
			wantAgent:   "zunctl/dev",
			wantType:    "application/json",
		},
		{
			name:        "action from a token source",
			cfg:         Config{Token: "ignored", Auth: staticToken("fresh")},
			call:        func(c *Client) error { return c.Start(context.Background(), "web") },
			wantVersion: "container 1.40",
			wantToken:   "fresh",
			wantAgent:   DefaultUserAgent,
			wantLength:  "0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, reqs := newTestClient(t, answer{body: `{}`}, tt.cfg)
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			h := (*reqs)[0].header
			for _, hv := range []struct{ name, want string }{
				{VersionHeader, tt.wantVersion},
				{AuthTokenHeader, tt.wantToken},
				{"User-Agent", tt.wantAgent},
				{"Accept", "application/json"},
				{"Content-Type", tt.wantType},
			} {
				if got := h.Get(hv.name); got != hv.want {
					t.Fatalf("header %s = %q, want %q", hv.name, got, hv.want)
				}
			}
			if tt.wantLength != "" && h.Get("Content-Length") != tt.wantLength {
				t.Fatalf("Content-Length = %q, want %q", h.Get("Content-Length"), tt.wantLength)
			}
		})
	}
}

func TestVersions(t *testing.T) {
	root := `{"name":"OpenStack Zun API","description":"d","versions":[{"id":"v1","links":[],"status":"CURRENT","max_version":"1.40","min_version":"1.1"}],"default_version":{"id":"v1","links":[],"status":"CURRENT","max_version":"1.40","min_version":"1.1"}}`
	c, reqs := newTestClient(t, answer{body: root}, Config{})
	got, err := c.Versions(context.Background())
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	if r := (*reqs)[0]; r.method != http.MethodGet || r.path != "/" {
		t.Fatalf("request = %s %s, want GET /", r.method, r.path)
	}
	if got.Versions[0].MaxVersion != "1.40" || got.DefaultVersion.MinVersion != "1.1" {
		t.Fatalf("Versions() = %+v", got)
	}
}
