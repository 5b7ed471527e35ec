package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// Password logs in to a Keystone v3 identity service (the embedded one or
// a real Keystone) with a user's password, the way OpenStack clients do
// with OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ... It is a
// TokenSource: it keeps the token and logs in again shortly before it
// expires. Endpoint finds a service's URL in the catalog.
type Password struct {
	// AuthURL is the identity endpoint, with or without its /v3.
	AuthURL           string
	Username, UserID  string
	Password          string
	UserDomainName    string // default "Default" unless UserDomainID is set
	UserDomainID      string
	ProjectName       string
	ProjectID         string
	ProjectDomainName string // default "Default" unless ProjectDomainID is set
	ProjectDomainID   string
	// Region and Interface select catalog endpoints; defaults: any region,
	// "public".
	Region    string
	Interface string
	// HTTPClient sends the requests; nil: a client with a 30s timeout and
	// the TLS settings below.
	HTTPClient *http.Client
	// TLS, when set and HTTPClient is nil, says which identity servers
	// the login trusts (OS_CACERT) and which certificate it presents.
	TLS *TLS

	mu      sync.Mutex
	hc      *http.Client // HTTPClient, or the one made from TLS
	token   string
	expires time.Time
	catalog []catalogService
}

type catalogService struct {
	Type      string `json:"type"`
	Endpoints []struct {
		Interface string `json:"interface"`
		Region    string `json:"region"`
		RegionID  string `json:"region_id"`
		URL       string `json:"url"`
	} `json:"endpoints"`
}

// Token implements TokenSource.
func (p *Password) Token(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && time.Until(p.expires) > time.Minute {
		return p.token, nil
	}
	if err := p.login(ctx); err != nil {
		return "", err
	}
	return p.token, nil
}

// Endpoint returns the URL of serviceType ("container") from the catalog.
func (p *Password) Endpoint(ctx context.Context, serviceType string) (string, error) {
	if _, err := p.Token(ctx); err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	iface := p.Interface
	if iface == "" {
		iface = "public"
	}
	for _, s := range p.catalog {
		if s.Type != serviceType {
			continue
		}
		for _, e := range s.Endpoints {
			if strings.TrimSuffix(e.Interface, "URL") == iface && (p.Region == "" || e.Region == p.Region || e.RegionID == p.Region) {
				return e.URL, nil
			}
		}
	}
	return "", fmt.Errorf("the catalog has no %s endpoint of service type %q", iface, serviceType)
}

func (p *Password) login(ctx context.Context) error {
	if p.AuthURL == "" || (p.Username == "" && p.UserID == "") {
		return errors.New("identity: an auth URL and a user name are required (OS_AUTH_URL, OS_USERNAME)")
	}
	user := map[string]any{"password": p.Password}
	if p.UserID != "" {
		user["id"] = p.UserID
	} else {
		user["name"] = p.Username
		user["domain"] = domainRef(p.UserDomainID, p.UserDomainName)
	}
	authBody := map[string]any{"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": user}}}
	switch {
	case p.ProjectID != "":
		authBody["scope"] = map[string]any{"project": map[string]any{"id": p.ProjectID}}
	case p.ProjectName != "":
		authBody["scope"] = map[string]any{"project": map[string]any{"name": p.ProjectName,
			"domain": domainRef(p.ProjectDomainID, p.ProjectDomainName)}}
	}
	b, _ := json.Marshal(map[string]any{"auth": authBody})
	url := strings.TrimRight(p.AuthURL, "/")
	if !strings.HasSuffix(url, "/v3") {
		url += "/v3"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/auth/tokens", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if p.hc == nil {
		if p.hc = p.HTTPClient; p.hc == nil {
			if p.hc, err = p.TLS.httpClient(); err != nil {
				return fmt.Errorf("identity: %w", err)
			}
			p.hc.Timeout = 30 * time.Second
		}
	}
	res, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if res.StatusCode != http.StatusCreated {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return errdefs.New(errdefs.FromHTTPStatus(res.StatusCode),
			fmt.Sprintf("identity: log in as %s: %s (HTTP %d)", p.Username+p.UserID, e.Error.Message, res.StatusCode))
	}
	var tok struct {
		Token struct {
			ExpiresAt time.Time        `json:"expires_at"`
			Catalog   []catalogService `json:"catalog"`
		} `json:"token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		return fmt.Errorf("identity: decode token: %w", err)
	}
	p.token = res.Header.Get("X-Subject-Token")
	p.expires = tok.Token.ExpiresAt
	p.catalog = tok.Token.Catalog
	return nil
}

func domainRef(id, name string) map[string]string {
	if id != "" {
		return map[string]string{"id": id}
	}
	if name == "" {
		name = "Default"
	}
	return map[string]string{"name": name}
}

// Interface guards
var _ TokenSource = (*Password)(nil)
