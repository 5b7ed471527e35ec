package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/driver/docker"
	"github.com/zun-go/zun/identity"
	"github.com/zun-go/zun/identity/keystone"
	"github.com/zun-go/zun/internal/httpserve"
	"github.com/zun-go/zun/policy"
	"github.com/zun-go/zun/scheduler"
)

// Config is zund's whole configuration.
type Config struct {
	// Dev runs every role in this one process with embedded etcd and the
	// embedded identity service, on the local Docker Engine. It is what
	// `make run` starts.
	Dev bool
	// Agent runs only the compute role, for a host of a control plane
	// elsewhere: it talks to ControlPlaneURL's agent API, never to etcd.
	Agent bool
	// ControlPlaneURL is the control plane an --agent serves, such as
	// "http://controller:9517".
	ControlPlaneURL string
	// InternalTokenFile holds the shared secret of the agent API. The
	// control plane (--dev) creates DataDir/internal-token when unset; an
	// --agent needs a copy of it.
	InternalTokenFile string
	// AgentListen is where an --agent answers the control plane's direct
	// calls (logs, exec...); AgentURL is how the control plane reaches it
	// (default: http://AgentListen).
	AgentListen string
	AgentURL    string
	// HostDownAfter is how long a compute host may go without a heartbeat
	// before it counts as down and its containers show Unknown.
	HostDownAfter time.Duration
	// NoCompute keeps the control plane (--dev) from running a compute
	// agent of its own: every host is then an --agent.
	NoCompute bool
	// Listen is the address of the container API (Zun's port is 9517).
	Listen string
	// DataDir holds the embedded etcd member and other local state.
	DataDir string
	// NoNetwork runs the compute agent without the data plane of tenant
	// networks: containers stay on the runtime's default network.
	NoNetwork bool
	// TunnelIP is the host's underlay address, where VXLAN tunnels of
	// tenant networks end; default: the address that reaches the control
	// plane (127.0.0.1 in the all-in-one daemon).
	TunnelIP string
	// ImageDir holds the image store's data (default DataDir/images);
	// control planes that share one etcd must share it too.
	ImageDir string
	// ImageSizeCap bounds one image of the image store, in bytes.
	ImageSizeCap int64
	// EtcdEndpoints, when set, use an external etcd cluster instead of
	// the embedded member.
	EtcdEndpoints []string
	// NameScope is where container names must be unique: "" (nowhere, as
	// Zun's default), "project" or "global".
	NameScope string
	// Host is this compute host's name; default: the machine's hostname.
	Host string
	// DockerHost is the Docker Engine's address; default: DOCKER_HOST or
	// the local socket.
	DockerHost string
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration
	// NoAuth serves the API without authentication: every caller is the
	// admin of one development project. For development and tests only;
	// the identity API is not served.
	NoAuth bool
	// AdminPassword is the password of the admin user created on first
	// start (also from ZUN_ADMIN_PASSWORD); empty: a random one, shown
	// once and written to DataDir/openrc.
	AdminPassword string
	// PolicyFile overrides policy rules (docs/policy.md); empty: the
	// defaults of PolicyDefaults.
	PolicyFile string
	// PolicyDefaults is the container API's built-in policy profile:
	// "zun" (Zun's own: any role on a project may act on it) or
	// "personas" (project readers read, members also change, admins do
	// everything). The embedded network, volume and image services
	// follow the personas either way, as Neutron, Cinder and Glance do.
	PolicyDefaults string

	// KeystoneURL, when set, authenticates the API's callers against this
	// external Keystone instead of the embedded identity service, which is
	// then not served; Keystone holds the service credentials.
	KeystoneURL string

	// HTTP bounds what one client may cost each HTTP listener (the API's,
	// an agent's): timeouts, sizes, connections, minimum rates.
	HTTP httpserve.Config
	// TLS serves the listener over HTTPS with TLS.Cert and TLS.Key (also
	// presented to peers), and checks peers against TLS.CA: agents and
	// the control plane authenticate each other (docs/security.md).
	TLS httpserve.TLS
	// DevTLS (--tls, with --dev) makes a development CA and certificate
	// under DataDir/tls on first start and serves HTTPS with them.
	DevTLS bool

	API       apiserver.Config
	Compute   compute.Config
	Identity  identity.Config
	Keystone  keystone.Config
	Scheduler scheduler.Config
	// ContainerLimits bound every container of a compute host, so that
	// one tenant cannot take a shared host down: processes (a fork bomb
	// stops there; a container may ask for fewer with the label
	// io.zun.pids-limit, or for more up to MaxPidsLimit) and log files
	// (rotated at LogMaxSize, LogMaxFiles kept). docs/api.md, "Container
	// limits".
	ContainerLimits docker.Limits
}

// Default returns the defaults.
func Default() Config {
	host, _ := os.Hostname()
	return Config{
		Listen:          "127.0.0.1:9517",
		DataDir:         "/var/lib/zun",
		NameScope:       "project",
		Host:            host,
		ShutdownTimeout: 15 * time.Second,
		HostDownAfter:   60 * time.Second,
		HTTP:            httpserve.Default(),
		API:             apiserver.DefaultConfig(),
		Compute:         compute.DefaultConfig(),
		Identity:        identity.DefaultConfig(),
		Keystone:        keystone.Default(),
		Scheduler:       scheduler.Default(),
		ContainerLimits: docker.DefaultLimits(),
		AdminPassword:   os.Getenv("ZUN_ADMIN_PASSWORD"),
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	switch c.Compute.VolumeBackend {
	case "", compute.BackendLoop, compute.BackendDir:
	default:
		errs = append(errs, fmt.Errorf("--volume-backend %q: want loop or dir", c.Compute.VolumeBackend))
	}
	if err := c.ContainerLimits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("container limits: %w", err))
	}
	if c.API.ExecTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--exec-timeout %v: want a positive duration", c.API.ExecTimeout))
	}
	if err := c.HTTP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.DevTLS && (c.Agent || c.TLS.Cert != "" || c.TLS.CA != "") {
		errs = append(errs, errors.New("--tls makes the control plane's own CA and certificate: give either --tls (with --dev) or --tls-cert, --tls-key and --tls-ca"))
	}
	if c.Dev == c.Agent {
		errs = append(errs, errors.New("choose --dev (the control plane, with a compute agent unless --no-compute) or --agent (a compute host of a control plane elsewhere)"))
	}
	if c.Agent {
		if c.ControlPlaneURL == "" || c.InternalTokenFile == "" || c.AgentListen == "" {
			errs = append(errs, errors.New("--agent needs --control-plane, --internal-token-file and --agent-listen"))
		}
		if c.Host == "" {
			errs = append(errs, errors.New("--host is empty and the hostname is unknown"))
		}
		return errors.Join(errs...)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: %v", c.Listen, err))
	}
	if c.DataDir == "" && len(c.EtcdEndpoints) == 0 {
		errs = append(errs, errors.New("--data-dir is required for the embedded etcd"))
	}
	if c.DataDir != "" {
		abs, err := filepath.Abs(c.DataDir)
		if err != nil {
			errs = append(errs, fmt.Errorf("--data-dir %q: %v", c.DataDir, err))
		}
		c.DataDir = abs
	}
	if !slices.Contains([]string{"", "project", "global"}, c.NameScope) {
		errs = append(errs, fmt.Errorf("--name-scope %q: want \"\", \"project\" or \"global\"", c.NameScope))
	}
	if _, err := policy.ParseProfile(c.PolicyDefaults); err != nil {
		errs = append(errs, fmt.Errorf("--policy-defaults: %w", err))
	}
	switch {
	case c.NoAuth:
	case c.KeystoneURL != "":
		c.Keystone.AuthURL = c.KeystoneURL
		if err := c.Keystone.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("keystone: %w", err))
		}
	default:
		if err := c.Identity.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("identity: %w", err))
		}
	}
	if err := c.Scheduler.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("scheduler: %w", err))
	}
	if c.Host == "" {
		errs = append(errs, errors.New("--host is empty and the hostname is unknown"))
	}
	return errors.Join(errs...)
}
