// Package controlplane assembles Zun's control plane and owns its side of
// the compute agents.
//
// New builds every part from one Config, on one store: the container,
// quota, host, volume, registry, image and network stores, the scheduler,
// the placement service and the agent service (AgentService: what agents
// watch, report and heartbeat to, the scheduler's view of the hosts and
// the directory of their direct calls), the operations runner
// (Operations: the image pulls and commit uploads recorded in the store,
// carried out by the elected process, taken up again after a restart),
// and hands the API server its Deps. zund, the in-process API tests and
// zunbench all build their control plane with it. Handler is the
// process's HTTP surface: the container API and the agent API with the
// embedded identity, volume, image and network services at their
// prefixes.
package controlplane

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/images"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/placement"
	"github.com/zun-go/zun/quota"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/volume"
)

// Config is everything the control plane is made from.
type Config struct {
	// Store is the opened store every part keeps its records in.
	Store *store.DB
	// NameScope is where container names are unique: "", "project" or
	// "global".
	NameScope string
	// Quotas are the default quota limits; nil: quota.DefaultLimits().
	Quotas quota.Limits
	// Scheduler configures the filters, weighers and claims (start from
	// scheduler.Default()).
	Scheduler scheduler.Config
	// Sealer seals the private registries' passwords; nil: no registries
	// (the API answers 501).
	Sealer *registry.Sealer
	// ImageDir is the directory of the image store's data; "": no image
	// store.
	ImageDir string
	// ImageSizeCap bounds one image of the image store; 0: the default.
	ImageSizeCap int64
	// HostDownAfter is how long a host may go without a heartbeat before
	// it counts as down; 0: DefaultDownAfter.
	HostDownAfter time.Duration
	// Dial returns a client of a remote agent's direct calls; nil: only
	// in-process agents are reachable.
	Dial func(address string) apiserver.HostAPI
	// ElectionID names this process in the scheduler role's election
	// among the control plane processes of one store (its API endpoint);
	// "": no election, this process always places.
	ElectionID string
	// Agents are compute agents run in this process (zund --dev, tests).
	Agents []Agent
	// Logger logs; nil: nothing.
	Logger *slog.Logger
}

// Agent is a compute agent run in the control plane's process.
type Agent struct {
	Config compute.Config
	Driver driver.Driver
}

// Plane is an assembled control plane: its parts, for the HTTP handlers
// and tests. Start runs it.
type Plane struct {
	Containers  *store.ContainerStore
	Quotas      *quota.EtcdStore
	HostRecords *host.EtcdStore
	Volumes     *volume.EtcdStore
	// Registries is nil without Config.Sealer.
	Registries *registry.EtcdStore
	Images     *images.EtcdStore
	// ImageStore is nil without Config.ImageDir.
	ImageStore *glance.Service
	Networks   *network.EtcdStore
	Scheduler  *scheduler.Scheduler
	Placement  *placement.Service
	Agents     *AgentService
	// Operations carries out the recorded image pulls and commit uploads.
	Operations *Operations

	log    *slog.Logger
	agents []Agent
	wg     sync.WaitGroup
}

// New assembles the control plane of cfg; Start runs it.
func New(cfg Config) (*Plane, error) {
	if cfg.Store == nil {
		return nil, errors.New("controlplane: no store")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limits := cfg.Quotas
	if limits == nil {
		limits = quota.DefaultLimits()
	}
	db := cfg.Store
	p := &Plane{log: log, agents: cfg.Agents}
	p.Containers = store.Containers(db, store.ContainerOptions{NameScope: cfg.NameScope})
	p.Quotas = quota.NewEtcdStore(db, p.Containers, limits)
	p.Volumes = volume.NewEtcdStore(db)
	p.Networks = network.NewEtcdStore(db, p.Containers)
	p.HostRecords = host.NewEtcdStore(db, p.Containers, cfg.Scheduler.ClaimCheck())
	// Their records change with the containers', in one transaction. The
	// volumes come first: they set the mounts' ids, part of the record.
	p.Containers.Join(p.Volumes, p.Networks, p.Quotas, p.HostRecords)
	if cfg.Sealer != nil {
		p.Registries = registry.NewEtcdStore(db, cfg.Sealer)
	}
	p.Images = images.NewEtcdStore(db)
	deps := AgentDeps{Containers: p.Containers, Watcher: p.Containers, Actions: p.Containers,
		Hosts: p.HostRecords, Networks: p.Networks, DownAfter: cfg.HostDownAfter, Dial: cfg.Dial,
		Logger: log.With("role", "hosts")}
	if p.Registries != nil {
		deps.Registries = p.Registries
	}
	if cfg.ImageDir != "" {
		p.ImageStore = &glance.Service{Store: glance.NewEtcdStore(db), Dir: cfg.ImageDir, SizeCap: cfg.ImageSizeCap}
		deps.ImageStore = p.ImageStore
	}
	p.Agents = NewAgentService(deps)
	p.Scheduler = scheduler.NewWithConfig(cfg.Scheduler, p.Agents)
	var pc placement.Config
	if cfg.ElectionID != "" {
		pc.Elector = election{db: db, role: "scheduler", id: cfg.ElectionID}
	}
	p.Placement = placement.New(pc, p.Scheduler, p.Agents, p.Containers, p.Containers, log.With("role", "scheduler"))
	p.Operations = p.operations(cfg)
	return p, nil
}

// Deps are the API server's dependencies on this control plane; the
// caller adds Auth and Policy.
func (p *Plane) Deps() apiserver.Deps {
	d := apiserver.Deps{
		Containers:  p.Containers,
		Actions:     p.Containers,
		Scheduler:   p.Scheduler,
		Placements:  p.Agents,
		Hosts:       p.Agents,
		Quotas:      p.Quotas,
		HostRecords: p.HostRecords,
		Volumes:     p.Volumes,
		Images:      p.Images,
		Networks:    p.Networks,
		Liveness:    p.Agents,
		Logger:      p.log.With("role", "api"),
	}
	// Typed nils would look configured.
	if p.Registries != nil {
		d.Registries = p.Registries
	}
	if p.ImageStore != nil {
		d.ImageStore = p.ImageStore
	}
	return d
}

// Start runs the host monitor, the placement service, the operations
// (recorded pulls and commit uploads) and the in-process agents of the
// config until ctx ends; Wait waits for them.
func (p *Plane) Start(ctx context.Context) {
	p.wg.Add(3)
	go func() {
		defer p.wg.Done()
		p.Agents.Monitor(ctx)
	}()
	go func() {
		defer p.wg.Done()
		p.Placement.Run(ctx)
	}()
	for _, a := range p.agents {
		p.StartAgent(ctx, a)
	}
	// After the agents are attached: the operations on their hosts reach
	// them from the start.
	go func() {
		defer p.wg.Done()
		p.Operations.Run(ctx)
	}()
}

// StartAgent runs one more in-process compute agent until ctx ends.
func (p *Plane) StartAgent(ctx context.Context, a Agent) *compute.Agent {
	agent := compute.New(a.Config, a.Driver, p.Agents, p.log.With("role", "compute"))
	p.Agents.Attach(a.Config.Host, agent)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = agent.Run(auth.System(ctx))
	}()
	return agent
}

// Wait waits until everything Start and StartAgent started has ended.
func (p *Plane) Wait() { p.wg.Wait() }

// election is a role's election ("scheduler", "operations") among the
// control plane processes on one store; id names this process.
type election struct {
	db       *store.DB
	role, id string
}

func (e election) Campaign(ctx context.Context) (placement.Term, error) {
	t, err := e.db.Campaign(ctx, e.role, e.id, leaseTTL)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// leaseTTL is how long a leader that vanished keeps its role before
// another process takes over.
const leaseTTL = 10 * time.Second

// Interface guards
var (
	_ HostRegistry         = (*host.EtcdStore)(nil)
	_ NetworkSource        = (*network.EtcdStore)(nil)
	_ placement.Source     = (*AgentService)(nil)
	_ apiserver.Placements = (*AgentService)(nil)
	_ apiserver.Liveness   = (*AgentService)(nil)
	_ placement.Elector    = election{}
)
