package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "zun-go-client"

// AuthTokenHeader carries the caller's token, as Keystone issues it.
const AuthTokenHeader = "X-Auth-Token"

// RequestIDHeader is the response header that names the request, as
// oslo's request_id middleware sets it.
const RequestIDHeader = "X-Openstack-Request-Id"

// TokenSource supplies the token of each request. A Keystone login (the
// OS_AUTH_URL, OS_USERNAME, ... settings of OpenStack clients) implements
// it, fetching and renewing a token as needed.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Config says where and how a Client talks to the container service.
type Config struct {
	// Endpoint is the container endpoint as the service catalog lists it,
	// with its version segment: http://127.0.0.1:9517/v1.
	Endpoint string
	// Token is sent as X-Auth-Token. Empty sends none, which a service in
	// no-auth development mode accepts.
	Token string
	// Auth, when set, supplies the token of each request instead of Token.
	Auth TokenSource
	// Version is the microversion of every request; zero means MaxVersion.
	Version Version
	// HTTPClient sends the requests; nil means a client without a global
	// timeout (log streams are long-lived; use contexts for deadlines),
	// with the TLS settings below.
	HTTPClient *http.Client
	// TLS, when set and HTTPClient is nil, says which servers the client
	// trusts (OS_CACERT) and which certificate it presents; nil: the
	// system's roots.
	TLS *TLS
	// UserAgent names the program; empty means DefaultUserAgent.
	UserAgent string
}

// Client is a client of Zun's container API v1. It is safe for concurrent
// use.
type Client struct {
	endpoint  string // no trailing slash
	token     string
	auth      TokenSource
	version   Version
	hc        *http.Client
	userAgent string
}

// NewClient checks cfg and returns a client.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.Endpoint))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errdefs.Invalidf("endpoint %q: want an http(s) URL such as http://127.0.0.1:9517/v1", cfg.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errdefs.Invalidf("endpoint %q: must not have a query or fragment", cfg.Endpoint)
	}
	v := cfg.Version
	if v == (Version{}) {
		v = MaxVersion
	}
	if v.Less(MinVersion) || MaxVersion.Less(v) {
		return nil, errdefs.Invalidf("API version %s: this client speaks %s to %s", v, MinVersion, MaxVersion)
	}
	c := &Client{
		endpoint:  strings.TrimRight(u.String(), "/"),
		token:     cfg.Token,
		auth:      cfg.Auth,
		version:   v,
		hc:        cfg.HTTPClient,
		userAgent: cfg.UserAgent,
	}
	if c.hc == nil {
		if c.hc, err = cfg.TLS.httpClient(); err != nil {
			return nil, errdefs.Invalidf("%v", err)
		}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	return c, nil
}

// Endpoint returns the container endpoint the client talks to.
func (c *Client) Endpoint() string { return c.endpoint }

// Version returns the microversion the client sends.
func (c *Client) Version() Version { return c.version }

// Versions reads the version document at the root of the service (the
// endpoint without its /v1 segment), which needs no token.
func (c *Client) Versions(ctx context.Context) (*Root, error) {
	root := strings.TrimSuffix(c.endpoint, "/v1") + "/"
	var out Root
	if err := c.doURL(ctx, http.MethodGet, root, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// request is one call of the API, relative to the endpoint.
type request struct {
	method string
	path   string // escaped, starting with "/"
	query  url.Values
	body   any // encoded as JSON when not nil
}

// do sends req and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, req request, out any) error {
	u := c.endpoint + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	return c.doURL(ctx, req.method, u, req.body, out)
}

func (c *Client) doURL(ctx context.Context, method, u string, body, out any) error {
	resp, err := c.send(ctx, method, u, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, u, err)
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s %s: empty response body", method, u)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, u, err)
	}
	return nil
}

// send makes the HTTP request and returns a 2xx response, whose body the
// caller closes; other statuses become an *Error.
func (c *Client) send(ctx context.Context, method, u string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, u, err)
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set(VersionHeader, ServiceType+" "+c.version.String())
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	return c.roundTrip(hr)
}

// roundTrip sends hr with the client's user agent and token, for the
// container service or another service of the same cloud (the image
// store), and returns a 2xx response; other statuses become an *Error.
func (c *Client) roundTrip(hr *http.Request) (*http.Response, error) {
	hr.Header.Set("User-Agent", c.userAgent)
	token := c.token
	if c.auth != nil {
		var err error
		if token, err = c.auth.Token(hr.Context()); err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
	}
	if token != "" {
		hr.Header.Set(AuthTokenHeader, token)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// containerPath is the escaped path of a container, or of one of its
// sub-resources when parts are given.
func containerPath(ident string, parts ...string) (string, error) {
	if strings.TrimSpace(ident) == "" {
		return "", errdefs.Invalidf("container name or UUID is empty")
	}
	p := "/containers/" + escapeSegment(ident)
	for _, s := range parts {
		p += "/" + escapeSegment(s)
	}
	return p, nil
}

// escapeSegment escapes one path segment; "." and ".." are escaped too, so
// that no proxy or router folds them away.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.ReplaceAll(s, ".", "%2E")
	}
	return url.PathEscape(s)
}
