package keystone

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// Config is how zund reaches an external Keystone. The service user it
// names validates the tokens of API callers, so under Keystone's default
// policy it needs the "service" role (or "admin") on its project.
type Config struct {
	// AuthURL is Keystone's identity v3 endpoint, for example
	// "http://keystone.example.com:5000/v3". An URL without a path gets
	// "/v3" appended.
	AuthURL string
	// Username is the service user zund authenticates as, usually "zun".
	Username string
	// Password is the service user's password. It is sent to Keystone
	// only, never logged.
	Password string
	// UserDomainName is the domain of the service user ("Default").
	UserDomainName string
	// ProjectName is the project the service token is scoped to, usually
	// "service".
	ProjectName string
	// ProjectDomainName is the domain of ProjectName ("Default").
	ProjectDomainName string
	// CacheSize is how many validated tokens are remembered; the least
	// recently used is forgotten first. 0 turns the cache off, so every
	// API request asks Keystone.
	CacheSize int
	// CacheTTL is how long a validated token is trusted without asking
	// Keystone again (never past the token's own expiry). It is also how
	// long a revoked token may keep working: a token revoked in Keystone is
	// refused at the latest CacheTTL after its revocation. 0 turns the
	// cache off. Default 30s.
	CacheTTL time.Duration
	// HTTPClient makes the requests to Keystone, for custom TLS roots or
	// proxies. nil: a client with a 10s timeout.
	HTTPClient *http.Client
}

// Default returns the configuration of a typical deployment, without the
// AuthURL and Password, which every deployment sets.
func Default() Config {
	return Config{
		Username:          "zun",
		UserDomainName:    "Default",
		ProjectName:       "service",
		ProjectDomainName: "Default",
		CacheSize:         10000,
		CacheTTL:          30 * time.Second,
	}
}

// Validate checks that the configuration can work.
func (c Config) Validate() error {
	u, err := url.Parse(c.AuthURL)
	switch {
	case c.AuthURL == "":
		return errdefs.Invalidf("keystone: auth URL is required")
	case err != nil:
		return errdefs.Invalidf("keystone: auth URL %q: %v", c.AuthURL, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return errdefs.Invalidf("keystone: auth URL %q: want http(s)://host[:port]/v3", c.AuthURL)
	case c.Username == "":
		return errdefs.Invalidf("keystone: username of the service user is required")
	case c.Password == "":
		return errdefs.Invalidf("keystone: password of service user %q is required", c.Username)
	case c.UserDomainName == "":
		return errdefs.Invalidf("keystone: user domain name of service user %q is required", c.Username)
	case c.ProjectName == "":
		return errdefs.Invalidf("keystone: project of service user %q is required", c.Username)
	case c.ProjectDomainName == "":
		return errdefs.Invalidf("keystone: domain of project %q is required", c.ProjectName)
	case c.CacheSize < 0:
		return errdefs.Invalidf("keystone: cache size %d is negative", c.CacheSize)
	case c.CacheTTL < 0:
		return errdefs.Invalidf("keystone: cache TTL %s is negative", c.CacheTTL)
	}
	return nil
}

// endpoint returns AuthURL without a trailing slash and with "/v3" when
// it had no path.
func (c Config) endpoint() string {
	u := strings.TrimRight(c.AuthURL, "/")
	if p, err := url.Parse(u); err == nil && p.Path == "" {
		u += "/v3"
	}
	return u
}

// String describes the configuration without the password, so that
// logging a Config cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("keystone %s as %s@%s in project %s", c.endpoint(), c.Username, c.UserDomainName, c.ProjectName)
}
