// Command zund is the Zun daemon: the container API, the scheduler and the
// compute agent. `zund --dev` runs them all in one process with embedded
// etcd, on the local Docker Engine.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zun-go/zun/agentapi"
	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver/docker"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/identity"
	"github.com/zun-go/zun/identity/keystone"
	"github.com/zun-go/zun/internal/demoimage"
	"github.com/zun-go/zun/internal/httpserve"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/netplane"
	"github.com/zun-go/zun/policy"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/store"
)

func main() {
	cfg := Default()
	fs := flag.NewFlagSet("zund", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  zund --dev [flags]     the control plane (API, identity, scheduler, store), with a compute agent unless --no-compute\n  zund --agent [flags]   a compute host of a control plane elsewhere (docs/hosts.md)\n\nThe Zun container service daemon.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&cfg.Dev, "dev", false, "run every role in one process with embedded etcd and the embedded identity service")
	fs.BoolVar(&cfg.Agent, "agent", false, "run only a compute agent, for the control plane at --control-plane")
	fs.StringVar(&cfg.ControlPlaneURL, "control-plane", "", "URL of the control plane an --agent serves")
	fs.StringVar(&cfg.InternalTokenFile, "internal-token-file", "", "file with the agent API's shared secret (default for --dev: DATA/internal-token, created)")
	fs.StringVar(&cfg.AgentListen, "agent-listen", "", "address where an --agent answers direct calls (logs, exec...)")
	fs.StringVar(&cfg.AgentURL, "agent-url", "", "URL the control plane uses to reach this --agent (default http://AGENT-LISTEN)")
	fs.DurationVar(&cfg.HostDownAfter, "host-down-after", cfg.HostDownAfter, "how long a compute host may miss heartbeats before its containers show Unknown")
	fs.DurationVar(&cfg.Compute.HeartbeatInterval, "heartbeat-interval", cfg.Compute.HeartbeatInterval, "how often a compute agent heartbeats")
	fs.BoolVar(&cfg.NoCompute, "no-compute", false, "run the control plane (--dev) without a compute agent of its own")
	fs.StringVar(&cfg.KeystoneURL, "keystone-url", "", "authenticate callers against this external Keystone (e.g. http://keystone:5000/v3) instead of the embedded identity")
	fs.StringVar(&cfg.Keystone.Username, "keystone-user", cfg.Keystone.Username, "service user that validates tokens in the external Keystone")
	fs.StringVar(&cfg.Keystone.ProjectName, "keystone-project", cfg.Keystone.ProjectName, "project of the service user")
	fs.StringVar(&cfg.Keystone.UserDomainName, "keystone-user-domain", cfg.Keystone.UserDomainName, "domain of the service user")
	fs.StringVar(&cfg.Keystone.ProjectDomainName, "keystone-project-domain", cfg.Keystone.ProjectDomainName, "domain of the service user's project")
	fs.DurationVar(&cfg.Keystone.CacheTTL, "keystone-cache-ttl", cfg.Keystone.CacheTTL, "how long a validated token is trusted without asking Keystone again (a revoked token may work this long)")
	fs.StringVar(&cfg.Scheduler.Weigher, "scheduler-weigher", cfg.Scheduler.Weigher, `"spread" containers over hosts or "pack" them`)
	fs.Float64Var(&cfg.Scheduler.CPUAllocationRatio, "cpu-allocation-ratio", cfg.Scheduler.CPUAllocationRatio, "vCPUs claimable per host CPU")
	fs.Float64Var(&cfg.Scheduler.RAMAllocationRatio, "ram-allocation-ratio", cfg.Scheduler.RAMAllocationRatio, "memory claimable per MiB of host memory")
	fs.Float64Var(&cfg.Scheduler.DiskAllocationRatio, "disk-allocation-ratio", cfg.Scheduler.DiskAllocationRatio, "disk claimable per GiB of host disk")
	fs.BoolVar(&cfg.NoAuth, "no-auth", false, "serve without authentication, every caller the admin of one project (development and tests only)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", cfg.AdminPassword, "password of the admin created on first start (default: ZUN_ADMIN_PASSWORD, else random)")
	fs.StringVar(&cfg.PolicyFile, "policy-file", "", "YAML or JSON file of policy rules overriding the defaults (docs/policy.md)")
	fs.StringVar(&cfg.PolicyDefaults, "policy-defaults", "zun", "built-in policy defaults of the container API: zun (any role on a project acts on it) or personas (readers read, members change; docs/policy.md)")
	fs.DurationVar(&cfg.Identity.TokenTTL, "token-ttl", cfg.Identity.TokenTTL, "lifetime of the tokens the identity service issues")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address of the container API")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the embedded etcd and local state")
	fs.BoolVar(&cfg.NoNetwork, "no-network", false, "no tenant networks on this compute host: containers stay on the runtime's default network")
	fs.StringVar(&cfg.TunnelIP, "tunnel-ip", "", "this host's underlay address for the VXLAN tunnels of tenant networks (default: the address that reaches the control plane)")
	fs.StringVar(&cfg.ImageDir, "image-dir", "", "directory of the image store's data (default DATA-DIR/images; shared by control planes of one etcd)")
	fs.Int64Var(&cfg.ImageSizeCap, "image-size-cap", glance.DefaultSizeCap, "largest image the image store takes, in bytes")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated external etcd endpoints (default: embedded etcd)")
	fs.StringVar(&cfg.NameScope, "name-scope", cfg.NameScope, `where container names are unique: "", "project" or "global"`)
	fs.StringVar(&cfg.Host, "host", cfg.Host, "this compute host's name")
	fs.StringVar(&cfg.DockerHost, "docker-host", cfg.DockerHost, "Docker Engine address (default: DOCKER_HOST or the local socket)")
	fs.StringVar(&cfg.API.PublicURL, "public-url", "", "base URL of the API in links (default: from each request)")
	fs.StringVar(&cfg.Compute.VolumeBackend, "volume-backend", "", `where volume data lives on a compute host: "loop" (a filesystem of the volume's size; needs root) or "dir" (size not enforced); default loop when possible`)
	fs.DurationVar(&cfg.Compute.SyncInterval, "sync-interval", cfg.Compute.SyncInterval, "how often runtime state is compared with records")
	fs.IntVar(&cfg.Compute.SandboxPool, "sandbox-pool", cfg.Compute.SandboxPool, "started network sandboxes a compute host keeps ready for containers on tenant networks (0: each container waits for its own)")
	fs.Int64Var(&cfg.ContainerLimits.PidsLimit, "default-pids-limit", cfg.ContainerLimits.PidsLimit, "most processes (threads count) of a container that asks for no limit of its own; 0: none")
	fs.Int64Var(&cfg.ContainerLimits.MaxPidsLimit, "max-pids-limit", cfg.ContainerLimits.MaxPidsLimit, "most processes a container may ask for with the label io.zun.pids-limit; 0: --default-pids-limit")
	fs.StringVar(&cfg.ContainerLimits.LogMaxSize, "log-max-size", cfg.ContainerLimits.LogMaxSize, `size at which a container's log file is rotated, such as "10m" (when the engine logs to files); "": the engine's setting`)
	fs.IntVar(&cfg.ContainerLimits.LogMaxFiles, "log-max-files", cfg.ContainerLimits.LogMaxFiles, "log files kept per container; 0: the engine's setting")
	fs.DurationVar(&cfg.API.ExecTimeout, "exec-timeout", cfg.API.ExecTimeout, "how long a non-interactive execute waits for its command; one still running then is ended and answered 409 (Zun's [docker] execute_timeout)")
	httpserve.Flags(fs, &cfg.HTTP)
	fs.BoolVar(&cfg.DevTLS, "tls", false, "--dev: serve HTTPS with a development CA and certificate made under DATA/tls on first start and reused (OS_CACERT in DATA/openrc); or give --tls-cert and --tls-key")
	fs.StringVar(&cfg.TLS.Cert, "tls-cert", "", "PEM certificate (with its chain) this process serves HTTPS with and presents to its peers (the control plane, agents)")
	fs.StringVar(&cfg.TLS.Key, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&cfg.TLS.CA, "tls-ca", "", "PEM CA certificates its peers' certificates must be signed by: the control plane's for an agent, agents' for the control plane (which then refuses agents without one)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", `"text" (key=value) or "json" (one object a line) logs on standard error`)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if *endpoints != "" {
		cfg.EtcdEndpoints = strings.Split(*endpoints, ",")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "zund: --log-level: %v\n", err)
		os.Exit(2)
	}
	log, err := newLogger(os.Stderr, *logFormat, level)
	if err != nil {
		fmt.Fprintf(os.Stderr, "zund: --log-format: %v\n", err)
		os.Exit(2)
	}
	// Libraries that log through the process default reach the same place.
	slog.SetDefault(log)
	if cfg.Keystone.Password == "" {
		cfg.Keystone.Password = os.Getenv("ZUN_KEYSTONE_PASSWORD")
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "zund: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx = logctx.WithLogger(ctx, log) // for what is not given a logger of its own (the store)
	runner := run
	if cfg.Agent {
		runner = runAgent
	}
	if err := runner(ctx, cfg, log); err != nil {
		log.Error("zund failed", "error", err)
		os.Exit(1)
	}
}

// run starts every role and blocks until ctx ends.
func run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	db, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, Endpoints: cfg.EtcdEndpoints})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer db.Close()
	sealer, err := registryKey(cfg)
	if err != nil {
		return err
	}
	token, err := internalToken(cfg)
	if err != nil {
		return err
	}
	var peer *http.Client // calls to agents, with the TLS settings (set below, before any call)
	planeCfg := controlplane.Config{
		Store:         db,
		NameScope:     cfg.NameScope,
		Scheduler:     cfg.Scheduler,
		Sealer:        sealer,
		ImageDir:      cmp.Or(cfg.ImageDir, filepath.Join(cfg.DataDir, "images")),
		ImageSizeCap:  cfg.ImageSizeCap,
		HostDownAfter: cfg.HostDownAfter,
		Dial:          func(addr string) apiserver.HostAPI { return agentapi.NewHostClient(addr, token, peer) },
		Logger:        log,
	}
	if !cfg.NoCompute {
		drv, err := docker.Dial(docker.Options{Host: cfg.DockerHost, HostName: cfg.Host, Limits: cfg.ContainerLimits})
		if err != nil {
			return fmt.Errorf("docker: %w", err)
		}
		cfg.Compute.Host = cfg.Host
		cfg.Compute.StateDir, _ = filepath.Abs(cfg.DataDir)
		cfg.Compute.VolumeBackend = compute.VolumeBackend(cfg.Compute.VolumeBackend)
		if cfg.Compute.Network, err = dataPlane(cfg, "", log); err != nil {
			return err
		}
		planeCfg.Agents = []controlplane.Agent{{Config: cfg.Compute, Driver: drv}}
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.DevTLS {
		if err := devTLS(&cfg, ln.Addr(), log); err != nil {
			return err
		}
	}
	serverTLSConfig, err := serverTLS(cfg, false)
	if err != nil {
		return err
	}
	if peer, err = peerClient(cfg); err != nil {
		return err
	}
	scheme := "http"
	if cfg.tlsOn() {
		scheme = "https"
	}
	endpoint := cfg.API.PublicURL
	if endpoint == "" {
		endpoint = scheme + "://" + advertised(ln.Addr())
	}
	endpoint = strings.TrimRight(endpoint, "/")

	rules, err := policy.LoadProfile(policy.Profile(cfg.PolicyDefaults), cfg.PolicyFile)
	if err != nil {
		return err
	}
	cfg.API.NoAuth = cfg.NoAuth
	planeCfg.ElectionID = endpoint
	plane, err := controlplane.New(planeCfg)
	if err != nil {
		return err
	}
	web := controlplane.HTTPConfig{API: cfg.API, Policy: rules, AgentToken: token,
		AgentCerts: cfg.tlsOn() && cfg.TLS.CA != ""}
	if cfg.KeystoneURL != "" && !cfg.NoAuth {
		v, err := keystone.New(cfg.Keystone)
		if err != nil {
			return fmt.Errorf("keystone: %w", err)
		}
		web.Auth = v
		log.Info("authenticating against an external Keystone", "url", cfg.KeystoneURL, "service_user", cfg.Keystone.Username)
	}
	if !cfg.NoAuth && cfg.KeystoneURL == "" {
		ids, err := startIdentity(ctx, cfg, db, endpoint, log)
		if err != nil {
			return err
		}
		defer ids.Close()
		web.Auth, web.Identity = ids, ids
		ca := ""
		if cfg.tlsOn() {
			ca = cfg.TLS.CA
		}
		if err := updateClientFiles(cfg.DataDir, endpoint+"/identity/v3", ca); err != nil {
			return fmt.Errorf("client files: %w", err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plane.Start(ctx)
	srv, errc := cfg.HTTP.Serve(ln, plane.Handler(web), serverTLSConfig)

	fmt.Fprintf(os.Stderr, "\nzund is serving the container API at %s/v1 (data in %s)\n", endpoint, cfg.DataDir)
	if cfg.NoAuth {
		log.Warn("running with --no-auth: no authentication, every caller is the admin of the dev project")
		fmt.Fprintf(os.Stderr, "Try:  bin/zunctl --endpoint %s/v1 run --name web %s httpd -f -p 8080\n\n", endpoint, demoimage.Ref)
	} else if cfg.KeystoneURL == "" {
		fmt.Fprintf(os.Stderr, "Identity (Keystone v3) at %s/identity/v3; admin credentials in %s\n",
			endpoint, filepath.Join(cfg.DataDir, "openrc"))
		fmt.Fprintf(os.Stderr, "Try:  source %s; bin/zunctl run --name web %s httpd -f -p 8080\n\n",
			filepath.Join(cfg.DataDir, "openrc"), demoimage.Ref)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer scancel()
	_ = srv.Shutdown(sctx)
	cancel()
	plane.Wait()
	return nil
}

// startIdentity opens the embedded identity service and, on first start,
// creates the admin and writes openrc and clouds.yaml for clients.
func startIdentity(ctx context.Context, cfg Config, db *store.DB, endpoint string, log *slog.Logger) (*identity.Service, error) {
	cfg.Identity.Services = []identity.CatalogService{
		{Type: "container", Name: "zun", Path: "/v1"},
		{Type: "volumev3", Name: "cinderv3", Path: "/volume/v3"},
		{Type: "block-storage", Name: "cinder", Path: "/volume/v3"},
		{Type: "image", Name: "glance", Path: "/image"},
		{Type: "network", Name: "neutron", Path: "/network"},
	}
	ids, err := identity.Open(ctx, db, cfg.Identity, log)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	password, err := ids.Bootstrap(ctx, identity.Bootstrap{Password: cfg.AdminPassword})
	if err != nil {
		ids.Close()
		return nil, err
	}
	if password != "" {
		creds := identity.Credentials{AuthURL: endpoint + "/identity/v3", User: "admin", Password: password,
			Project: "admin", Region: cfg.Identity.Region}
		if err := identity.WriteClientFiles(cfg.DataDir, creds); err != nil {
			ids.Close()
			return nil, fmt.Errorf("write client credentials: %w", err)
		}
		if cfg.AdminPassword == "" {
			fmt.Fprintf(os.Stderr, "\nCreated user admin in project admin with password %s (shown once; also in %s)\n",
				password, filepath.Join(cfg.DataDir, "openrc"))
		}
		log.Info("identity bootstrapped", "user", "admin", "project", "admin")
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := ids.PruneRevocations(ctx); err != nil {
					log.Warn("prune token revocations", "error", err)
				}
			}
		}
	}()
	return ids, nil
}

// advertised is the address clients use for a listener: a wildcard
// listener is reached on the loopback address.
func advertised(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// internalToken returns the agent API's shared secret: from
// --internal-token-file, else DATA/internal-token, created on first start.
func internalToken(cfg Config) (string, error) {
	path := cfg.InternalTokenFile
	if path == "" {
		path = filepath.Join(cfg.DataDir, "internal-token")
		if _, err := os.Stat(path); os.IsNotExist(err) {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return "", err
			}
			if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("internal token: %w", err)
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("internal token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if len(token) < 16 {
		return "", fmt.Errorf("internal token in %s: want at least 16 characters", path)
	}
	return token, nil
}

// registryKey returns the sealer of registry passwords, its key from
// DATA/registry-key (created on first start; every control plane process
// on one store needs the same file).
func registryKey(cfg Config) (*registry.Sealer, error) {
	path := filepath.Join(cfg.DataDir, "registry-key")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("registry key: %w", err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("registry key in %s: %w", path, err)
	}
	return registry.NewSealer(key)
}

// runAgent runs a compute agent for the control plane at
// cfg.ControlPlaneURL until ctx ends.
func runAgent(ctx context.Context, cfg Config, log *slog.Logger) error {
	token, err := internalToken(cfg)
	if err != nil {
		return err
	}
	drv, err := docker.Dial(docker.Options{Host: cfg.DockerHost, HostName: cfg.Host, Limits: cfg.ContainerLimits})
	if err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.AgentListen)
	if err != nil {
		return fmt.Errorf("agent listen: %w", err)
	}
	cfg.Compute.Host = cfg.Host
	cfg.Compute.StateDir, _ = filepath.Abs(cfg.DataDir)
	cfg.Compute.VolumeBackend = compute.VolumeBackend(cfg.Compute.VolumeBackend)
	cfg.Compute.Address = cfg.AgentURL
	if cfg.Compute.Address == "" {
		scheme := "http"
		if cfg.tlsOn() {
			scheme = "https"
		}
		cfg.Compute.Address = scheme + "://" + advertised(ln.Addr())
	}
	serverTLSConfig, err := serverTLS(cfg, true)
	if err != nil {
		return err
	}
	peer, err := peerClient(cfg)
	if err != nil {
		return err
	}
	if cfg.Compute.Network, err = dataPlane(cfg, cfg.ControlPlaneURL, log); err != nil {
		return err
	}
	cp := agentapi.NewControlPlaneClient(cfg.ControlPlaneURL, token, peer)
	agent := compute.New(cfg.Compute, drv, cp, log.With("role", "compute"))
	srv, _ := cfg.HTTP.Serve(ln, agentapi.NewHostHandler(agent, token), serverTLSConfig)
	log.Info("compute agent started", "host", cfg.Host, "control_plane", cfg.ControlPlaneURL, "address", cfg.Compute.Address)
	err = agent.Run(auth.System(ctx))
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// dataPlane returns the compute host's data plane of tenant networks, or
// nil when it has none (--no-network, or not root). Its tunnel IP is
// --tunnel-ip, else the address this host reaches the control plane from
// (an agent), else the address of its route out, else the loopback (one
// host, no tunnels to anyone).
func dataPlane(cfg Config, controlPlaneURL string, log *slog.Logger) (*netplane.Plane, error) {
	if cfg.NoNetwork {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		log.Warn("not root: no tenant networks on this host (containers stay on the runtime's default network)")
		return nil, nil
	}
	if _, err := exec.LookPath("ip"); err != nil {
		log.Warn("iproute2 is not installed: no tenant networks on this host")
		return nil, nil
	}
	ip := netip.MustParseAddr("127.0.0.1")
	// The address of the route out (no packet is sent), else the loopback:
	// one host alone, tunnels to nobody.
	if conn, err := net.Dial("udp", "192.0.2.1:4789"); err == nil {
		ip = conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		conn.Close()
	}
	switch {
	case cfg.TunnelIP != "":
		a, err := netip.ParseAddr(cfg.TunnelIP)
		if err != nil {
			return nil, fmt.Errorf("--tunnel-ip: %w", err)
		}
		ip = a
	case controlPlaneURL != "":
		u, err := url.Parse(controlPlaneURL)
		if err != nil {
			return nil, fmt.Errorf("control plane URL: %w", err)
		}
		hostport := u.Host
		if u.Port() == "" {
			hostport = net.JoinHostPort(u.Hostname(), cmp.Or(map[string]string{"https": "443"}[u.Scheme], "80"))
		}
		conn, err := net.Dial("udp", hostport) // no packet is sent
		if err != nil {
			return nil, fmt.Errorf("find the tunnel IP (set --tunnel-ip): %w", err)
		}
		ip = conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
		conn.Close()
	}
	log.Info("tenant networks on", "tunnel_ip", ip)
	return &netplane.Plane{TunnelIP: ip}, nil
}
