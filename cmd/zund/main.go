// Command zund is the Zun daemon: the container API, the scheduler and the
// compute agent. `zund --dev` runs them all in one process with embedded
// etcd, on the local Docker Engine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/driver/docker"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
)

func main() {
	cfg := Default()
	fs := flag.NewFlagSet("zund", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: zund --dev [flags]\n\nThe Zun container service daemon.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&cfg.Dev, "dev", false, "run every role in one process with embedded etcd and no authentication")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address of the container API")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the embedded etcd and local state")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated external etcd endpoints (default: embedded etcd)")
	fs.StringVar(&cfg.NameScope, "name-scope", cfg.NameScope, `where container names are unique: "", "project" or "global"`)
	fs.StringVar(&cfg.Host, "host", cfg.Host, "this compute host's name")
	fs.StringVar(&cfg.DockerHost, "docker-host", cfg.DockerHost, "Docker Engine address (default: DOCKER_HOST or the local socket)")
	fs.StringVar(&cfg.API.PublicURL, "public-url", "", "base URL of the API in links (default: from each request)")
	fs.DurationVar(&cfg.Compute.SyncInterval, "sync-interval", cfg.Compute.SyncInterval, "how often runtime state is compared with records")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
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
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "zund: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
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
	cs := store.Containers(db, store.ContainerOptions{NameScope: cfg.NameScope})

	drv, err := docker.New(ctx, docker.Options{Host: cfg.DockerHost, HostName: cfg.Host})
	if err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	hosts := apiserver.NewHostService(cs, cs, cs)
	cfg.Compute.Host = cfg.Host
	agent := compute.New(cfg.Compute, drv, hosts, log.With("role", "compute"))
	hosts.Attach(cfg.Host, agent)

	cfg.API.NoAuth = true
	api := apiserver.New(cfg.API, apiserver.Deps{
		Containers: cs,
		Actions:    cs,
		Scheduler:  scheduler.New(hosts),
		Hosts:      hosts,
		Logger:     log.With("role", "api"),
	})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: api}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = agent.Run(auth.System(ctx))
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	endpoint := "http://" + ln.Addr().String()
	log.Warn("running in --dev mode: no authentication, every caller is the admin of the dev project")
	fmt.Fprintf(os.Stderr, "\nzund is serving the container API at %s/v1 (data in %s)\n", endpoint, cfg.DataDir)
	fmt.Fprintf(os.Stderr, "Try:  bin/zunctl --endpoint %s/v1 run --name web zun/busybox:local httpd -f -p 8080\n\n", endpoint)

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
	wg.Wait()
	return nil
}
