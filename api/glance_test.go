package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestImageEndpoint(t *testing.T) {
	for _, tc := range []struct{ container, want string }{
		{"http://127.0.0.1:9517/v1", "http://127.0.0.1:9517/image"},
		{"http://127.0.0.1:9517/v1/", "http://127.0.0.1:9517/image"},
		{"https://cloud.example/container/v1", "https://cloud.example/container/image"},
		{"http://h:9517", "http://h:9517/image"},
	} {
		if got := ImageEndpoint(tc.container); got != tc.want {
			t.Errorf("ImageEndpoint(%q) = %q, want %q", tc.container, got, tc.want)
		}
	}
}

func TestGlanceEndpoint(t *testing.T) {
	c, err := NewClient(Config{Endpoint: "http://h/v1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, endpoint, want string
	}{
		{"as published", "http://h:9517/image", "http://h:9517/image"},
		{"version segment dropped", "http://glance.example:9292/v2/", "http://glance.example:9292"},
		{"no scheme", "h:9292", ""},
		{"query", "http://h/image?x=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := c.Glance(tc.endpoint)
			if tc.want == "" {
				if !errors.Is(err, errdefs.ErrInvalid) {
					t.Fatalf("error = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || g.Endpoint() != tc.want {
				t.Fatalf("Glance(%q) = %v, %v; want endpoint %q", tc.endpoint, g, err, tc.want)
			}
		})
	}
}

// newTestGlance is newTestClient's image store: the store's endpoint is
// the server's /image.
func newTestGlance(t *testing.T, a answer, cfg Config) (*Glance, *[]seen) {
	t.Helper()
	c, reqs := newTestClient(t, a, cfg)
	g, err := c.Glance(ImageEndpoint(c.Endpoint()))
	if err != nil {
		t.Fatalf("Glance: %v", err)
	}
	return g, reqs
}

// TestGlanceCalls checks what each call of the image store puts on the
// wire and what it makes of the answer.
func TestGlanceCalls(t *testing.T) {
	ctx := context.Background()
	const queued = `{"id":"1f2e","name":"demo","status":"queued","visibility":"private","protected":false,"checksum":null,"os_hash_algo":null,"os_hash_value":null,"size":null,"virtual_size":null,"min_disk":0,"min_ram":0,"container_format":"docker","disk_format":"raw","owner":"p1","tags":["v1"],"created_at":"2026-11-28T15:00:00Z","updated_at":"2026-11-28T15:00:00Z","self":"/v2/images/1f2e","file":"/v2/images/1f2e/file","schema":"/v2/schemas/image"}`
	tests := []struct {
		name   string
		call   func(g *Glance) (any, error)
		a      answer
		method string
		path   string
		query  string
		ctype  string
		length string // the Content-Length header; "" for none (chunked)
		body   string
		want   string // JSON of the result
	}{
		{
			name: "create",
			call: func(g *Glance) (any, error) {
				return g.CreateImage(ctx, NewGlanceImage{Name: "demo", ContainerFormat: "docker", DiskFormat: "raw", Visibility: "private", Tags: []string{"v1"}})
			},
			a:      answer{status: 201, body: queued},
			method: "POST", path: "/image/v2/images", ctype: "application/json", length: "100",
			body: `{"name":"demo","container_format":"docker","disk_format":"raw","visibility":"private","tags":["v1"]}`,
			want: queued,
		},
		{
			name:   "upload",
			call:   func(g *Glance) (any, error) { return nil, g.UploadImage(ctx, "1f2e", strings.NewReader("tarball"), 7) },
			a:      answer{status: 204},
			method: "PUT", path: "/image/v2/images/1f2e/file", ctype: "application/octet-stream", length: "7", body: "tarball",
		},
		{
			name:   "upload of unknown size is chunked",
			call:   func(g *Glance) (any, error) { return nil, g.UploadImage(ctx, "1f2e", strings.NewReader("tarball"), -1) },
			a:      answer{status: 204},
			method: "PUT", path: "/image/v2/images/1f2e/file", ctype: "application/octet-stream", body: "tarball",
		},
		{
			name:   "upload of nothing",
			call:   func(g *Glance) (any, error) { return nil, g.UploadImage(ctx, "1f2e", strings.NewReader(""), 0) },
			a:      answer{status: 204},
			method: "PUT", path: "/image/v2/images/1f2e/file", ctype: "application/octet-stream", length: "0",
		},
		{
			name: "list by name",
			call: func(g *Glance) (any, error) {
				return g.ListImages(ctx, GlanceListOptions{Name: "demo", Limit: 2, Marker: "0a"})
			},
			a:      answer{body: `{"images":[` + queued + `],"first":"/v2/images","schema":"/v2/schemas/images"}`},
			method: "GET", path: "/image/v2/images", query: "limit=2&marker=0a&name=demo",
			want: `{"images":[` + queued + `],"first":"/v2/images","schema":"/v2/schemas/images"}`,
		},
		{
			name:   "get",
			call:   func(g *Glance) (any, error) { return g.GetImage(ctx, "1f2e") },
			a:      answer{body: queued},
			method: "GET", path: "/image/v2/images/1f2e",
			want: queued,
		},
		{
			name:   "delete",
			call:   func(g *Glance) (any, error) { return nil, g.DeleteImage(ctx, "..") },
			a:      answer{status: 204},
			method: "DELETE", path: "/image/v2/images/%2E%2E",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, reqs := newTestGlance(t, tt.a, Config{Token: "tok"})
			got, err := tt.call(g)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := (*reqs)[0]
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Fatalf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if canonical(r.body) != canonical(tt.body) {
				t.Fatalf("body = %q, want %q", r.body, tt.body)
			}
			for _, hv := range []struct{ name, want string }{
				{"Content-Type", tt.ctype},
				{"Content-Length", tt.length},
				{AuthTokenHeader, "tok"},
				{VersionHeader, ""}, // the container microversion is not the store's
				{"User-Agent", DefaultUserAgent},
			} {
				if got := r.header.Get(hv.name); got != hv.want {
					t.Fatalf("header %s = %q, want %q", hv.name, got, hv.want)
				}
			}
			if tt.want == "" {
				return
			}
			// Decode want into the result's type, so that both sides
			// carry the same zero values.
			want := reflect.New(reflect.TypeOf(got))
			if err := json.Unmarshal([]byte(tt.want), want.Interface()); err != nil {
				t.Fatalf("decode want: %v", err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want.Elem().Interface())
			if string(gotJSON) != string(wantJSON) {
				t.Fatalf("result = %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestGlanceErrors(t *testing.T) {
	g, _ := newTestGlance(t, answer{status: 404, body: `{"code":404,"title":"Not Found","message":"No image found with ID nope."}`}, Config{})
	_, err := g.GetImage(context.Background(), "nope")
	if !errdefs.IsNotFound(err) || err.Error() != "No image found with ID nope." {
		t.Fatalf("error = %v, want the store's not found message", err)
	}
	if _, err := g.GetImage(context.Background(), ""); !errdefs.IsInvalid(err) {
		t.Fatalf("empty ID: error = %v, want ErrInvalid", err)
	}
}

func TestGlanceListAllFollowsNext(t *testing.T) {
	pages := map[string]string{
		"":  `{"images":[{"id":"a"},{"id":"b"}],"first":"/v2/images","next":"/v2/images?marker=b&limit=2&name=demo"}`,
		"b": `{"images":[{"id":"c"}],"first":"/v2/images"}`,
	}
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/image/v2/images" {
			t.Errorf("path %s", r.URL.Path)
		}
		queries = append(queries, r.URL.RawQuery)
		io.WriteString(w, pages[r.URL.Query().Get("marker")])
	}))
	defer srv.Close()
	c, _ := NewClient(Config{Endpoint: srv.URL + "/v1"})
	g, _ := c.Glance(srv.URL + "/image")
	got, err := g.ListAllImages(context.Background(), GlanceListOptions{Name: "demo", Limit: 2})
	if err != nil {
		t.Fatalf("ListAllImages: %v", err)
	}
	var ids string
	for _, im := range got {
		ids += im.ID
	}
	if ids != "abc" {
		t.Fatalf("images = %q, want abc", ids)
	}
	if want := "limit=2&name=demo limit=2&marker=b&name=demo"; strings.Join(queries, " ") != want {
		t.Fatalf("queries = %q, want %q", queries, want)
	}
}

func TestGlanceDownload(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		a        answer
		wantData string
		wantSize int64
		wantSum  string
		wantErr  error
	}{
		{
			name:     "hex checksum",
			a:        answer{body: "tarball", header: map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": "E02E2D527CCF596DF7CAD06113BE3369"}},
			wantData: "tarball", wantSize: 7, wantSum: "e02e2d527ccf596df7cad06113be3369",
		},
		{
			name:     "base64 checksum",
			a:        answer{body: "tarball", header: map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": "4C4tUnzPWW33ytBhE74zaQ=="}},
			wantData: "tarball", wantSize: 7, wantSum: "e02e2d527ccf596df7cad06113be3369",
		},
		{
			name:     "no checksum",
			a:        answer{body: "tarball", header: map[string]string{"Content-Type": "application/octet-stream"}},
			wantData: "tarball", wantSize: 7,
		},
		{name: "no data", a: answer{status: 204}, wantErr: errdefs.ErrNotFound},
		{name: "not found", a: answer{status: 404, body: `{"code":404,"title":"Not Found"}`}, wantErr: errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, reqs := newTestGlance(t, tt.a, Config{})
			d, err := g.DownloadImage(ctx, "1f2e")
			if r := (*reqs)[0]; r.method != "GET" || r.path != "/image/v2/images/1f2e/file" || r.header.Get("Accept") != "application/octet-stream" {
				t.Fatalf("request = %s %s (Accept %s)", r.method, r.path, r.header.Get("Accept"))
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DownloadImage: %v", err)
			}
			defer d.Close()
			b, _ := io.ReadAll(d)
			if string(b) != tt.wantData || d.Size != tt.wantSize || d.Checksum != tt.wantSum {
				t.Fatalf("got %q, size %d, checksum %q; want %q, %d, %q", b, d.Size, d.Checksum, tt.wantData, tt.wantSize, tt.wantSum)
			}
		})
	}
}

// TestGlanceImageProperties checks that the image's other properties are
// kept, and given back as top-level keys.
func TestGlanceImageProperties(t *testing.T) {
	const in = `{"id":"1f2e","name":"demo","tags":[],"size":7,"checksum":null,"architecture":"x86_64","hw_disk_bus":"scsi","locations":[]}`
	var im GlanceImage
	if err := json.Unmarshal([]byte(in), &im); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(im.Properties) != 2 || im.Properties["architecture"] != "x86_64" || im.Properties["hw_disk_bus"] != "scsi" {
		t.Fatalf("Properties = %v, want architecture and hw_disk_bus (a list is no string property)", im.Properties)
	}
	if im.ID != "1f2e" || im.Size == nil || *im.Size != 7 {
		t.Fatalf("image = %+v", im)
	}
	b, err := json.Marshal(im)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !strings.HasSuffix(string(b), `"schema":"","architecture":"x86_64","hw_disk_bus":"scsi"}`) {
		t.Fatalf("encoded = %s, want the properties last, sorted", b)
	}
}
