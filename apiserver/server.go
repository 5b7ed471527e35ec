// Package apiserver serves Zun's container API v1 over HTTP.
//
// One route table (routes below), one file per resource, and one wrapper
// (wrap.go) that does request ids, microversion negotiation, body limits,
// JSON and the mapping of errors to Zun's error body. Handlers decode,
// authorize, call the stores and compute hosts, and return a value.
package apiserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/images"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/policy"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/volume"
)

// Config configures the API server.
type Config struct {
	// PublicURL is the base URL used in links and "next" pages, such as
	// "http://controller:9517". Empty: derived from each request's Host.
	PublicURL string
	// MaxBodyBytes caps request bodies; larger ones get 413.
	MaxBodyBytes int64
	// MaxLimit caps the page size of lists, as Zun's [api] max_limit.
	MaxLimit int
	// NoAuth serves every request as the admin of DevProject, without
	// tokens. For development and tests only.
	NoAuth bool
	// Limits bound container resources (cpu, memory, disk).
	Limits schema.Limits
	// ExecTimeout bounds a non-interactive exec ([docker] execute_timeout):
	// a command still running then is ended and the answer is a 409.
	ExecTimeout time.Duration
	// PlacementWait bounds how long a create waits for its container to
	// be placed before answering with it still Creating (the placement
	// goes on). Default 5s.
	PlacementWait time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:  1 << 20,
		MaxLimit:      1000,
		ExecTimeout:   5 * time.Second,
		PlacementWait: 5 * time.Second,
		Limits:        schema.DefaultLimits(),
	}
}

// The identity used by NoAuth mode.
var DevPrincipal = auth.Principal{
	UserID:      "00000000000000000000000000000001",
	UserName:    "dev",
	ProjectID:   "00000000000000000000000000000002",
	ProjectName: "dev",
	DomainID:    "default",
	Roles:       []string{auth.RoleAdmin, auth.RoleMember, auth.RoleReader},
}

// Scheduler checks where a new container may go before it is recorded;
// placing it is the placement service's business (package placement).
type Scheduler interface {
	Validate(ctx context.Context, c *container.Container) error
}

// Placements lets a create wait for the placement of its container, so
// that the answer says where it went or why it could not go anywhere.
type Placements interface {
	// AwaitPlacement must be called before the record is created. The
	// channel gets the record once it is placed or failed, or is closed
	// when that can no longer be told; cancel stops waiting.
	AwaitPlacement(uuid string) (placed <-chan *container.Container, cancel func(), err error)
}

// Authenticator turns the token of a request into the caller's principal;
// anything wrong with the token is errdefs.ErrUnauthorized.
type Authenticator interface {
	Validate(ctx context.Context, token string) (auth.Principal, error)
}

// Deps are the services the API server calls.
type Deps struct {
	// Auth validates tokens; unused with Config.NoAuth.
	Auth       Authenticator
	Containers container.Store
	Actions    container.ActionStore
	Scheduler  Scheduler
	// Placements, when set, makes a create wait up to
	// Config.PlacementWait for its container to be placed.
	Placements Placements
	Hosts      HostDirectory
	// Volumes resolves the volumes of containers' mounts; nil: volume
	// mounts are refused.
	Volumes volume.Store
	// Registries serves the registries API and containers' `registry`;
	// nil: 501.
	Registries registry.Store
	// Images serves the images API; nil: 501.
	Images images.Store
	// ImageStore is the embedded image store: containers of image driver
	// glance run its images, and commit writes into it. nil: neither.
	ImageStore *glance.Service
	// Networks attaches and detaches containers' networks and security
	// groups; nil: those actions are not served.
	Networks ContainerNetworks
	// Policy authorizes calls; nil: Zun's default rules.
	Policy Policy
	// Quotas serves the quotas API; nil: quotas are not enabled (501).
	Quotas quota.Store
	// HostRecords and Liveness serve the hosts, services and availability
	// zones APIs; nil: 501.
	HostRecords host.Store
	Liveness    Liveness
	Logger      *slog.Logger
}

// Server is the API server.
type Server struct {
	cfg Config
	Deps
	log    *slog.Logger
	mux    *http.ServeMux
	policy Policy
	// patterns are the routes' patterns (routes.go).
	patterns []string
}

// New returns a server; call Handler to serve it.
func New(cfg Config, deps Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultConfig().MaxBodyBytes
	}
	if cfg.ExecTimeout <= 0 {
		cfg.ExecTimeout = DefaultConfig().ExecTimeout
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = DefaultConfig().MaxLimit
	}
	if cfg.PlacementWait <= 0 {
		cfg.PlacementWait = DefaultConfig().PlacementWait
	}
	s := &Server{cfg: cfg, Deps: deps, log: deps.Logger, mux: http.NewServeMux(), policy: deps.Policy}
	if s.policy == nil {
		defaults, err := policy.New(nil)
		if err != nil {
			panic(fmt.Sprintf("apiserver: the default policy does not load: %v", err))
		}
		s.policy = defaults
	}
	if s.log == nil {
		s.log = logctx.Discard()
	}
	s.routes()
	return s
}

// routes is the route table of the whole API.
func (s *Server) routes() {
	v := func(h handler) http.HandlerFunc { return s.wrap(routeVersioned, h) }
	m := routeTable{s}
	// The version documents are public, as in Zun.
	m.HandleFunc("GET /{$}", s.wrap(routePublic, s.root))
	m.HandleFunc("GET /v1", s.wrap(routeVersioned|routePublic, s.v1))

	m.HandleFunc("POST /v1/containers", v(s.createContainer))
	m.HandleFunc("GET /v1/containers", v(s.listContainers))
	m.HandleFunc("GET /v1/containers/{id}", v(s.showContainer))
	m.HandleFunc("PATCH /v1/containers/{id}", v(s.updateContainer))
	m.HandleFunc("DELETE /v1/containers/{id}", v(s.deleteContainer))

	m.HandleFunc("POST /v1/containers/{id}/start", v(s.startContainer))
	m.HandleFunc("POST /v1/containers/{id}/stop", v(s.stopContainer))
	m.HandleFunc("POST /v1/containers/{id}/reboot", v(s.rebootContainer))
	m.HandleFunc("POST /v1/containers/{id}/pause", v(s.pauseContainer))
	m.HandleFunc("POST /v1/containers/{id}/unpause", v(s.unpauseContainer))
	m.HandleFunc("POST /v1/containers/{id}/kill", v(s.killContainer))
	m.HandleFunc("POST /v1/containers/{id}/rename", v(s.renameContainer))

	m.HandleFunc("GET /v1/containers/{id}/logs", v(s.containerLogs))
	m.HandleFunc("POST /v1/containers/{id}/execute", v(s.execContainer))
	m.HandleFunc("GET /v1/containers/{id}/stats", v(s.containerStats))
	m.HandleFunc("GET /v1/containers/{id}/top", v(s.containerTop))
	m.HandleFunc("POST /v1/containers/{id}/commit", v(s.commitContainer))
	m.HandleFunc("GET /v1/containers/{id}/network_list", v(s.networkList))
	m.HandleFunc("POST /v1/containers/{id}/network_attach", v(s.networkAttach))
	m.HandleFunc("POST /v1/containers/{id}/network_detach", v(s.networkDetach))
	m.HandleFunc("POST /v1/containers/{id}/add_security_group", v(s.addSecurityGroup))
	m.HandleFunc("POST /v1/containers/{id}/remove_security_group", v(s.removeSecurityGroup))

	m.HandleFunc("POST /v1/capsules", v(s.createCapsule))
	m.HandleFunc("GET /v1/capsules", v(s.listCapsules))
	m.HandleFunc("GET /v1/capsules/{id}", v(s.showCapsule))
	m.HandleFunc("DELETE /v1/capsules/{id}", v(s.deleteCapsule))
	// This project's extension: a capsule's containers by template name.
	m.HandleFunc("GET /v1/capsules/{id}/containers/{name}/logs", v(s.capsuleMember("GET /v1/containers/{id}/logs", s.containerLogs)))
	m.HandleFunc("POST /v1/capsules/{id}/containers/{name}/execute", v(s.capsuleMember("POST /v1/containers/{id}/execute", s.execContainer)))
	m.HandleFunc("GET /v1/capsules/{id}/containers/{name}/top", v(s.capsuleMember("GET /v1/containers/{id}/top", s.containerTop)))
	m.HandleFunc("GET /v1/capsules/{id}/containers/{name}/stats", v(s.capsuleMember("GET /v1/containers/{id}/stats", s.containerStats)))

	m.HandleFunc("GET /v1/hosts", v(s.listHosts))
	m.HandleFunc("GET /v1/hosts/{id}", v(s.showHost))
	m.HandleFunc("GET /v1/services", v(s.listServices))
	m.HandleFunc("PUT /v1/services/{action}", v(s.updateService))
	m.HandleFunc("DELETE /v1/services", v(s.deleteService))
	m.HandleFunc("GET /v1/availability_zones", v(s.listZones))

	m.HandleFunc("POST /v1/images", v(s.pullImage))
	m.HandleFunc("GET /v1/images", v(s.listImages))
	// {image}/search, where python-zunclient does not escape the
	// slashes of a repository's name, or {id}.
	m.HandleFunc("GET /v1/images/{rest...}", v(s.showOrSearchImage))
	m.HandleFunc("DELETE /v1/images/{id}", v(s.deleteImage))
	m.HandleFunc("POST /v1/registries", v(s.createRegistry))
	m.HandleFunc("GET /v1/registries", v(s.listRegistries))
	m.HandleFunc("GET /v1/registries/{id}", v(s.showRegistry))
	m.HandleFunc("PATCH /v1/registries/{id}", v(s.updateRegistry))
	m.HandleFunc("DELETE /v1/registries/{id}", v(s.deleteRegistry))
	m.HandleFunc("GET /v1/quotas/{project}", v(s.showQuota))
	m.HandleFunc("PUT /v1/quotas/{project}", v(s.updateQuota))
	m.HandleFunc("DELETE /v1/quotas/{project}", v(s.deleteQuota))
	m.HandleFunc("GET /v1/quotas/{project}/defaults", v(s.quotaDefaults))
	m.HandleFunc("GET /v1/quota_classes/{class}", v(s.showQuotaClass))
	m.HandleFunc("PUT /v1/quota_classes/{class}", v(s.updateQuotaClass))

	m.HandleFunc("GET /v1/containers/{id}/container_actions", v(s.listActions))
	m.HandleFunc("GET /v1/containers/{id}/container_actions/{rid}", v(s.showAction))
}

// ServeHTTP normalizes the path (Zun serves /containers as /v1/containers,
// and clients send trailing slashes) and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p != "/" && p != "/v1" && !strings.HasPrefix(p, "/v1/") {
		p = "/v1" + p
	}
	if p != "/" {
		p = strings.TrimRight(p, "/")
	}
	r.URL.Path = p
	r.URL.RawPath = ""
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.wrap(routePublic, func(c *call) (any, error) {
			return nil, notFoundRoute(r)
		}).ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func notFoundRoute(r *http.Request) error {
	return errdefs.NotFoundf("the resource could not be found: %s %s", r.Method, r.URL.Path)
}

// authenticate puts the caller's principal into ctx.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (context.Context, error) {
	if s.cfg.NoAuth {
		return auth.WithPrincipal(ctx, DevPrincipal), nil
	}
	token := r.Header.Get("X-Auth-Token")
	if token == "" || s.Auth == nil {
		return nil, errdefs.Unauthorizedf("The request you have made requires authentication.")
	}
	p, err := s.Auth.Validate(ctx, token)
	if err != nil {
		return nil, err
	}
	return auth.WithPrincipal(ctx, p), nil
}

// baseURL is the URL prefix of links in responses.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
