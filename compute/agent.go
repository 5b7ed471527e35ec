// Package compute is the compute role: one agent per host that converges
// the host's container runtime to the control plane's records.
//
//	control plane ──watch(host)──▶ agent ──driver──▶ runtime (Docker)
//	      ▲                          │  ▲                 │
//	      └──── report / events ─────┘  └──── events ─────┘
//
// The agent is level-triggered. Every record change, runtime event and
// periodic sync "kicks" the container's worker, which looks at the newest
// record: a pending op (create, start, stop, delete, ...) is carried out
// and reported; otherwise the runtime's state is observed and reported if
// it differs. Workers run one at a time per container, so a container's
// runtime calls never race. Ops are idempotent, so an agent that restarts
// (or a Docker engine that restarts) carries on where it stopped: on start
// it lists the runtime, adopts what is its own, removes containers whose
// records are gone, and re-runs the ops still pending.
package compute

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/netplane"
)

// Config configures an agent.
type Config struct {
	// Host is this compute host's name, unique in the deployment.
	Host string
	// SyncInterval is how often every container's runtime state is
	// compared with its record, as a safety net behind runtime events.
	SyncInterval time.Duration
	// HeartbeatInterval is how often the host reports that it is alive.
	HeartbeatInterval time.Duration
	// DefaultStopTimeout is the grace period of a stop asked for without one.
	DefaultStopTimeout time.Duration
	// AvailabilityZone and Labels describe the host to the scheduler.
	AvailabilityZone string
	Labels           map[string]string
	// Address is the URL where this agent answers the control plane's
	// direct calls (logs, exec...; agentapi.NewHostHandler); empty when the
	// agent runs inside the control plane's process.
	Address string
	// StateDir holds the data of the volumes used on this host and the
	// files injected into containers (see mounts.go); "": containers with
	// mounts fail here.
	StateDir string
	// VolumeBackend keeps volume data in directories ("dir") or in
	// loop-mounted filesystems of the volumes' sizes ("loop"); see
	// VolumeBackend for the default.
	VolumeBackend string
	// Network is the host's data plane of tenant networks; nil: containers
	// stay on the runtime's default network and get no tenant addresses.
	Network *netplane.Plane
	// NetworkInterval is how often the data plane is made to match the
	// control plane's view (security group changes take effect within it).
	NetworkInterval time.Duration
	// SandboxPool is how many started sandboxes the host keeps ready for
	// containers on tenant networks (sandbox.go); 0: none, each container
	// waits for its own.
	SandboxPool int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		SyncInterval:       10 * time.Second,
		HeartbeatInterval:  10 * time.Second,
		DefaultStopTimeout: 10 * time.Second,
		SandboxPool:        2,
	}
}

// Agent is a compute host's agent.
type Agent struct {
	cfg Config
	drv driver.Driver
	cp  ControlPlane
	log *slog.Logger

	mu      sync.Mutex
	records map[string]*container.Container // this host's records, by uuid
	synced  bool                            // records holds a full snapshot
	workers map[string]*worker
	done    map[string]int64 // newest op seq carried out and reported, by uuid
	// postponed is the op seq, by uuid, whose runtime did not answer: it
	// is tried again at the next sync pass or runtime event, not at the
	// echoes of its own progress reports.
	postponed map[string]int64

	net     netState
	sbImage sandboxImage
	// capsules serialize the making and removing of capsules' sandboxes.
	capsules capsuleLocks
	// events wakes the capsule members waiting for their init containers
	// at every runtime event.
	events wakeup
	// volumes serializes the making, mounting and removing of volumes'
	// data: a capsule's members mount one volume at once.
	volumes sync.Mutex
	// refill asks poolLoop to top the sandbox pool up.
	refill chan struct{}
	// pool is the names of the pool's started sandboxes as last seen or
	// made, taken from without listing the engine.
	pool pooled
}

type worker struct {
	again bool
}

// New returns an agent for drv that reports to cp.
func New(cfg Config, drv driver.Driver, cp ControlPlane, log *slog.Logger) *Agent {
	def := DefaultConfig()
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = def.SyncInterval
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = def.HeartbeatInterval
	}
	if cfg.DefaultStopTimeout <= 0 {
		cfg.DefaultStopTimeout = def.DefaultStopTimeout
	}
	if cfg.NetworkInterval <= 0 {
		cfg.NetworkInterval = 2 * time.Second
	}
	if log == nil {
		log = logctx.Discard()
	}
	return &Agent{
		cfg:     cfg,
		drv:     drv,
		cp:      cp,
		log:     log.With("host", cfg.Host),
		records: map[string]*container.Container{},
		workers: map[string]*worker{},
		refill:  make(chan struct{}, 1),
		done:    map[string]int64{},

		postponed: map[string]int64{},
	}
}

// Run runs the agent until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	ctx = auth.System(ctx)
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){a.watchLoop, a.eventLoop, a.syncLoop, a.heartbeatLoop, a.networkLoop, a.poolLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// watchLoop keeps records equal to the control plane's view of this host.
func (a *Agent) watchLoop(ctx context.Context) {
	backoff := newBackoff()
	for ctx.Err() == nil {
		snapshot, changes, err := a.cp.Watch(ctx, a.cfg.Host)
		if err != nil {
			a.log.Warn("watch assignments", "error", err)
			backoff.wait(ctx)
			continue
		}
		backoff.reset()
		a.mu.Lock()
		a.records = make(map[string]*container.Container, len(snapshot))
		for _, rec := range snapshot {
			a.records[rec.UUID] = rec
		}
		a.synced = true
		a.mu.Unlock()
		a.log.Info("assignments loaded", "containers", len(snapshot))
		a.sync(ctx)
		for ch := range changes {
			a.mu.Lock()
			if ch.Deleted {
				delete(a.records, ch.Container.UUID)
				delete(a.done, ch.Container.UUID)
				delete(a.postponed, ch.Container.UUID)
			} else {
				a.records[ch.Container.UUID] = ch.Container
			}
			op := ch.Container.Op
			echo := !ch.Deleted && op != nil && a.postponed[ch.Container.UUID] == op.Seq
			a.mu.Unlock()
			if !ch.Deleted && !echo {
				a.kick(ctx, ch.Container.UUID)
			}
		}
	}
}

// eventLoop turns runtime events into kicks.
func (a *Agent) eventLoop(ctx context.Context) {
	ew, ok := a.drv.(driver.EventWatcher)
	if !ok {
		return
	}
	backoff := newBackoff()
	for ctx.Err() == nil {
		events, errs := ew.Events(ctx)
		for ev := range events {
			backoff.reset()
			if ev.UUID != "" {
				a.kick(ctx, ev.UUID)
			}
			a.events.fire()
		}
		if err := <-errs; err != nil && ctx.Err() == nil {
			a.log.Warn("runtime event stream broke", "error", err)
		}
		backoff.wait(ctx)
		// Whatever happened while the stream was down is caught up here.
		a.sync(ctx)
	}
}

// syncLoop periodically compares everything.
func (a *Agent) syncLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sync(ctx)
		}
	}
}

func (a *Agent) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.HeartbeatInterval)
	defer t.Stop()
	var facts driver.HostFacts
	var described time.Time
	notReady := ""
	for {
		if p, ok := a.drv.(driver.Pinger); ok {
			why := ""
			if err := p.Ping(ctx); err != nil && ctx.Err() == nil {
				why = err.Error()
			}
			switch {
			case why != "" && notReady == "":
				a.log.Warn("runtime does not answer: host not ready", "error", why)
			case why == "" && notReady != "":
				a.log.Info("runtime answers again: host ready")
			}
			notReady = why
		}
		if d, ok := a.drv.(driver.Describer); ok && time.Since(described) > time.Minute {
			f, err := d.Describe(ctx)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("describe host", "error", err)
			} else {
				facts, described = f, time.Now()
			}
		}
		info := HostInfo{Name: a.cfg.Host, Driver: a.drv.Name(), Address: a.cfg.Address, Time: time.Now(),
			TunnelIP:         a.tunnelIP(),
			AvailabilityZone: a.cfg.AvailabilityZone, Labels: a.cfg.Labels, Facts: facts, Runtimes: facts.Runtimes,
			NotReady: notReady}
		if err := a.cp.Heartbeat(ctx, info); err != nil && ctx.Err() == nil {
			a.log.Warn("heartbeat", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sync kicks every record and removes runtime containers whose records are
// gone.
func (a *Agent) sync(ctx context.Context) {
	states, err := a.drv.List(ctx)
	if err != nil {
		a.log.Warn("list runtime containers", "error", err)
		return
	}
	a.mu.Lock()
	if !a.synced {
		a.mu.Unlock()
		return
	}
	var orphans []driver.State
	for _, st := range states {
		uuid := ownerOf(st)
		if uuid == "" {
			continue // a sandbox of the pool
		}
		if _, ok := a.records[uuid]; !ok {
			orphans = append(orphans, st)
		}
	}
	uuids := make([]string, 0, len(a.records))
	for uuid := range a.records {
		uuids = append(uuids, uuid)
	}
	a.mu.Unlock()
	for _, st := range orphans {
		a.log.Info("removing orphan runtime container", "runtime_id", st.ID, "container_id", ownerOf(st))
		if err := a.drv.Remove(ctx, st.ID, true); err != nil {
			a.log.Warn("remove orphan", "runtime_id", st.ID, "error", err)
		}
	}
	for _, uuid := range uuids {
		a.kick(ctx, uuid)
	}
}

// kick makes the container's worker look at it again soon. Kicks coalesce:
// one worker at a time per container, and at most one more pass queued.
func (a *Agent) kick(ctx context.Context, uuid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[uuid]; ok {
		w.again = true
		return
	}
	w := &worker{}
	a.workers[uuid] = w
	go func() {
		for {
			a.step(ctx, uuid)
			a.mu.Lock()
			if !w.again || ctx.Err() != nil {
				delete(a.workers, uuid)
				a.mu.Unlock()
				return
			}
			w.again = false
			a.mu.Unlock()
		}
	}()
}

// record returns a copy of the newest record and whether its op is new.
func (a *Agent) record(uuid string) (*container.Container, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rec, ok := a.records[uuid]
	if !ok {
		return nil, false
	}
	rec = rec.Clone()
	return rec, rec.Op != nil && rec.Op.Seq > a.done[uuid]
}

// step carries out the pending op, or observes.
func (a *Agent) step(ctx context.Context, uuid string) {
	rec, newOp := a.record(uuid)
	if rec == nil {
		return
	}
	if newOp {
		if a.execute(ctx, rec) {
			a.mu.Lock()
			delete(a.postponed, uuid)
			if a.done[uuid] < rec.Op.Seq {
				a.done[uuid] = rec.Op.Seq
			}
			a.mu.Unlock()
		}
		return
	}
	a.observe(ctx, rec)
}

// backoff is a capped exponential wait.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 100 * time.Millisecond} }

func (b *backoff) reset() { b.d = 100 * time.Millisecond }

func (b *backoff) wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(b.d):
	}
	b.d = min(b.d*2, 5*time.Second)
}

var errGone = errors.New("runtime container is gone")
