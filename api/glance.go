package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// Glance is a client of the image store: the part of OpenStack Glance's
// image API v2 that the service embeds (and that a real Glance speaks as
// well): create an image, upload its data, list, show, download, delete.
// The store has its own endpoint, the identity catalog's "image" service;
// Client.Glance makes one that shares the client's credentials, HTTP
// client and user agent. It is safe for concurrent use.
type Glance struct {
	endpoint string // without a trailing slash or /v2
	c        *Client
}

// ImageEndpoint returns the image endpoint that the embedded service
// publishes beside a container endpoint: the same URL with its trailing
// /v1 replaced by /image, so http://127.0.0.1:9517/v1 gives
// http://127.0.0.1:9517/image.
func ImageEndpoint(containerEndpoint string) string {
	e := strings.TrimRight(strings.TrimSpace(containerEndpoint), "/")
	return strings.TrimSuffix(e, "/v1") + "/image"
}

// Glance returns a client of the image store at endpoint, the image
// service's URL as the catalog lists it (with or without its /v2).
func (c *Client) Glance(endpoint string) (*Glance, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errdefs.Invalidf("image endpoint %q: want an http(s) URL such as http://127.0.0.1:9517/image", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errdefs.Invalidf("image endpoint %q: must not have a query or fragment", endpoint)
	}
	e := strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/v2")
	return &Glance{endpoint: e, c: c}, nil
}

// Endpoint returns the image endpoint the client talks to.
func (g *Glance) Endpoint() string { return g.endpoint }

// GlanceImage is an image of the store. Status is queued (no data yet),
// saving, active or killed (the upload failed); Checksum is the MD5 of the
// data in hex, set with Size once it is uploaded.
type GlanceImage struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	Visibility      string   `json:"visibility"`
	Protected       bool     `json:"protected"`
	Hidden          bool     `json:"os_hidden"`
	Checksum        string   `json:"checksum"`
	OSHashAlgo      string   `json:"os_hash_algo"`
	OSHashValue     string   `json:"os_hash_value"`
	Size            *int64   `json:"size"`
	VirtualSize     *int64   `json:"virtual_size"`
	MinDisk         int      `json:"min_disk"`
	MinRAM          int      `json:"min_ram"`
	ContainerFormat string   `json:"container_format"`
	DiskFormat      string   `json:"disk_format"`
	Owner           string   `json:"owner"`
	Tags            []string `json:"tags"`
	CreatedAt       string   `json:"created_at"`
	UpdatedAt       string   `json:"updated_at"`
	Self            string   `json:"self"`
	File            string   `json:"file"`
	Schema          string   `json:"schema"`
	// Properties are the image's other properties, which Glance gives as
	// top-level keys with string values.
	Properties map[string]string `json:"-"`
}

// glanceImageKeys are the keys of GlanceImage's own fields.
var glanceImageKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[GlanceImage]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// UnmarshalJSON decodes the known fields and keeps the other string-valued
// keys as Properties.
func (im *GlanceImage) UnmarshalJSON(b []byte) error {
	type plain GlanceImage
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, raw := range all {
		var s string
		if glanceImageKeys[k] || json.Unmarshal(raw, &s) != nil {
			continue
		}
		if p.Properties == nil {
			p.Properties = map[string]string{}
		}
		p.Properties[k] = s
	}
	*im = GlanceImage(p)
	return nil
}

// MarshalJSON encodes the image as Glance does, Properties as top-level
// keys after the known fields, sorted.
func (im GlanceImage) MarshalJSON() ([]byte, error) {
	type plain GlanceImage
	b, err := json.Marshal(plain(im))
	if err != nil || len(im.Properties) == 0 {
		return b, err
	}
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // without the closing brace
	for _, k := range slices.Sorted(maps.Keys(im.Properties)) {
		if glanceImageKeys[k] {
			continue
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(im.Properties[k])
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// NewGlanceImage is the body of POST /v2/images. Glance's defaults apply
// to what is left empty (visibility "shared"; formats are required to
// upload data). The service stores docker-format images: `docker save`
// tarballs, container format "docker", disk format "raw".
type NewGlanceImage struct {
	Name            string   `json:"name,omitempty"`
	ContainerFormat string   `json:"container_format,omitempty"`
	DiskFormat      string   `json:"disk_format,omitempty"`
	Visibility      string   `json:"visibility,omitempty"`
	Tags            []string `json:"tags,omitempty"`
}

// GlanceListOptions select and page the images of a list.
type GlanceListOptions struct {
	// Name lists the images of that exact name.
	Name string
	// Limit is the page size; zero leaves it to the server.
	Limit int
	// Marker is the ID of the last image of the previous page.
	Marker string
}

func (o GlanceListOptions) query() url.Values {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Marker != "" {
		q.Set("marker", o.Marker)
	}
	return q
}

// GlanceImageList is a page of images; Next is the path and query of the
// next page, empty on the last.
type GlanceImageList struct {
	Images []GlanceImage `json:"images"`
	First  string        `json:"first"`
	Schema string        `json:"schema"`
	Next   string        `json:"next,omitempty"`
}

// ImageData is the data of an image being downloaded; the caller closes
// it.
type ImageData struct {
	io.ReadCloser
	// Size is the Content-Length, or -1 when the server did not say.
	Size int64
	// Checksum is the MD5 of the data in lower-case hex, from the
	// Content-MD5 header (hex, as Glance sends it, or base64, as RFC 1864
	// has it); empty when the server sent none.
	Checksum string
}

// CreateImage creates an image record, queued until its data is
// uploaded with UploadImage.
func (g *Glance) CreateImage(ctx context.Context, req NewGlanceImage) (*GlanceImage, error) {
	var out GlanceImage
	if err := g.do(ctx, http.MethodPost, "/v2/images", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UploadImage sends an image's data, read from r until EOF; size is its
// length (sent as Content-Length), or -1 if unknown (the body is then
// chunked). The image is active when it returns without error.
func (g *Glance) UploadImage(ctx context.Context, id string, r io.Reader, size int64) error {
	p, err := glanceImagePath(id, "file")
	if err != nil {
		return err
	}
	body := io.NopCloser(r)
	if size == 0 {
		body = http.NoBody // a zero length with a body would be sent chunked
	}
	resp, err := g.send(ctx, glanceCall{method: http.MethodPut, path: p, body: body, size: size,
		ctype: "application/octet-stream", accept: "application/json"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// ListImages returns one page of images.
func (g *Glance) ListImages(ctx context.Context, opts GlanceListOptions) (*GlanceImageList, error) {
	var out GlanceImageList
	if err := g.do(ctx, http.MethodGet, "/v2/images", opts.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAllImages returns every image opts selects, following the pages'
// next links (opts.Limit is the page size). Only the query of a next link
// is used: the requests stay on the client's endpoint.
func (g *Glance) ListAllImages(ctx context.Context, opts GlanceListOptions) ([]GlanceImage, error) {
	q := opts.query()
	return allPages(q, func(q url.Values) ([]GlanceImage, string, error) {
		var page GlanceImageList
		err := g.do(ctx, http.MethodGet, "/v2/images", q, nil, &page)
		return page.Images, page.Next, err
	})
}

// GetImage returns an image by ID.
func (g *Glance) GetImage(ctx context.Context, id string) (*GlanceImage, error) {
	p, err := glanceImagePath(id)
	if err != nil {
		return nil, err
	}
	var out GlanceImage
	if err := g.do(ctx, http.MethodGet, p, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage deletes an image and its data.
func (g *Glance) DeleteImage(ctx context.Context, id string) error {
	p, err := glanceImagePath(id)
	if err != nil {
		return err
	}
	return g.do(ctx, http.MethodDelete, p, nil, nil, nil)
}

// DownloadImage opens an image's data. An image without data (not yet
// uploaded) is an error that errdefs.IsNotFound matches.
func (g *Glance) DownloadImage(ctx context.Context, id string) (*ImageData, error) {
	p, err := glanceImagePath(id, "file")
	if err != nil {
		return nil, err
	}
	resp, err := g.send(ctx, glanceCall{method: http.MethodGet, path: p, accept: "application/octet-stream"})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNoContent {
		resp.Body.Close()
		return nil, errdefs.NotFoundf("image %s has no data", id)
	}
	return &ImageData{ReadCloser: resp.Body, Size: resp.ContentLength, Checksum: md5Header(resp.Header.Get("Content-MD5"))}, nil
}

// md5Header reads a Content-MD5 value as hex.
func md5Header(v string) string {
	v = strings.TrimSpace(v)
	if b, err := hex.DecodeString(v); err == nil && len(b) == 16 {
		return strings.ToLower(v)
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 16 {
		return hex.EncodeToString(b)
	}
	return strings.ToLower(v)
}

// do sends a JSON request (when in is not nil) and decodes a JSON answer
// into out (when not nil).
func (g *Glance) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	call := glanceCall{method: method, path: path, query: q, accept: "application/json"}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		call.body, call.size, call.ctype = io.NopCloser(bytes.NewReader(b)), int64(len(b)), "application/json"
	}
	resp, err := g.send(ctx, call)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, resp.Request.URL, err)
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s %s: empty response body", method, resp.Request.URL)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, resp.Request.URL, err)
	}
	return nil
}

// glanceCall is one request of the image API, relative to the endpoint.
type glanceCall struct {
	method string
	path   string // escaped, starting with "/v2/"
	query  url.Values
	body   io.ReadCloser // nil: none
	size   int64         // the body's length, -1 if unknown
	ctype  string        // the body's Content-Type
	accept string
}

// send makes a request of the image API and returns a 2xx response, whose
// body the caller closes.
func (g *Glance) send(ctx context.Context, call glanceCall) (*http.Response, error) {
	u := g.endpoint + call.path
	if len(call.query) > 0 {
		u += "?" + call.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, call.method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", call.method, u, err)
	}
	if call.body != nil {
		hr.Body, hr.ContentLength = call.body, call.size
		if call.body == http.NoBody {
			hr.ContentLength = 0
		}
	}
	if call.ctype != "" {
		hr.Header.Set("Content-Type", call.ctype)
	}
	hr.Header.Set("Accept", call.accept)
	return g.c.roundTrip(hr)
}

// glanceImagePath is the escaped path of an image, or of one of its
// sub-resources.
func glanceImagePath(id string, parts ...string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", errdefs.Invalidf("image ID is empty")
	}
	p := "/v2/images/" + escapeSegment(id)
	for _, s := range parts {
		p += "/" + s
	}
	return p, nil
}
