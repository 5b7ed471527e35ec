package controlplane

import (
	"context"
	"net/http"

	"github.com/zun-go/zun/agentapi"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/identity"
	"github.com/zun-go/zun/internal/httpserve"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/volume"
)

// HTTPConfig configures what a control plane process serves over HTTP.
type HTTPConfig struct {
	// API configures the container API (its NoAuth serves every caller as
	// apiserver.DevPrincipal, on every service).
	API apiserver.Config
	// Policy authorizes the container API's calls; nil: Zun's defaults.
	Policy apiserver.Policy
	// Auth validates the callers' tokens: the embedded identity service
	// or an external Keystone. Unused with API.NoAuth.
	Auth apiserver.Authenticator
	// Identity, when set, is the embedded identity service, served at
	// /identity.
	Identity *identity.Service
	// AgentToken is the agent API's shared secret.
	AgentToken string
	// AgentCerts makes the agent API refuse a caller without a client
	// certificate (mutual TLS, the listener checking it against its CA).
	AgentCerts bool
}

// Handler is the control plane's HTTP surface: the container API at /,
// the agent API, and the embedded identity (/identity), volume (/volume),
// image (/image) and network (/network) services.
func (p *Plane) Handler(cfg HTTPConfig) http.Handler {
	mux := http.NewServeMux()
	var dev *auth.Principal
	if cfg.API.NoAuth {
		dev = &apiserver.DevPrincipal
	}
	mount := func(prefix string, h http.Handler) {
		h = http.StripPrefix(prefix, h)
		mux.Handle(prefix+"/", h)
		mux.Handle(prefix, h)
	}
	public := cfg.API.PublicURL
	if cfg.Identity != nil {
		mount("/identity", identity.NewHandler(cfg.Identity, identity.HandlerOptions{Prefix: "/identity", PublicURL: public}))
	}
	mount("/volume", volume.NewHandler(p.Volumes, cfg.Auth, volume.HandlerOptions{
		Prefix: "/volume", PublicURL: public, NoAuth: dev, Logger: p.log.With("role", "volume"),
		RemoveData: func(ctx context.Context, v *volume.Volume) error {
			h, err := p.Agents.Host(v.Host)
			if err != nil {
				return err
			}
			return h.RemoveVolume(ctx, v.ID)
		}}))
	if p.ImageStore != nil {
		mount("/image", glance.NewHandler(p.ImageStore, cfg.Auth, glance.HandlerOptions{
			Prefix: "/image", PublicURL: public, NoAuth: dev, Logger: p.log.With("role", "image")}))
	}
	mount("/network", network.NewHandler(p.Networks, cfg.Auth, network.HandlerOptions{
		Prefix: "/network", PublicURL: public, NoAuth: dev, Logger: p.log.With("role", "network")}))
	var agents http.Handler = agentapi.NewControlPlaneHandler(p.Agents, cfg.AgentToken)
	if cfg.AgentCerts {
		agents = httpserve.RequireClientCert(agents)
	}
	mux.Handle(agentapi.ControlPlanePrefix, agents)
	deps := p.Deps()
	deps.Auth, deps.Policy = cfg.Auth, cfg.Policy
	mux.Handle("/", apiserver.New(cfg.API, deps))
	return mux
}
