package compute

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/sandboximage"
	"github.com/zun-go/zun/netplane"
)

// A container on tenant networks runs in the network namespace of its
// sandbox: a runtime container of its own that runs nothing (/pause, see
// package sandboximage) and exists to hold the namespace. The agent makes
// the sandbox, starts it and plugs the container's ports into it before
// it creates or starts the container itself, which joins the namespace
// (NetworkMode "container:zun-sandbox-<uuid>", which the engine resolves
// to the sandbox's id at create). So the container's addresses, routes
// and security group rules are there before its first instruction, at
// every start: the first, a start after a stop, a reboot, a restart by
// its restart policy (the namespace outlives the process).
//
// Making and starting a sandbox costs an engine start, as long as the
// container's own; so the agent keeps a few started ones ready (the pool,
// Config.SandboxPool) and gives one to a container by renaming it, then
// makes another in the background. A container with a hostname of its own
// gets a sandbox of its own (the hostname is the sandbox's, fixed when it
// is made). A sandbox belongs to the container its name says: the pool's
// are named zun-sandbox-pool-<random>.
//
// The sandbox has no restart policy: only the agent starts it, and plugs
// it as it does. When the engine restarts, a container that the engine
// starts again by its policy cannot join a sandbox that is not running
// and fails; the agent then starts the sandbox, plugs it and starts the
// container (observe).
//
// A capsule has one sandbox for all its members, named for the capsule
// (zun-sandbox-<capsule uuid>): it is the runtime of the capsule's record,
// plugged with the capsule's ports, and every member joins it, so they
// share its addresses and localhost. A capsule off tenant networks still
// has one (on the engine's default network): its members share a
// namespace wherever they run. The capsule's op and its members' make it,
// in any order, one at a time (capsule.go), and the capsule's delete
// removes it once its members are gone. The same observe path starts it
// again for a member the engine restarted.
//
// A sandbox's ports are looked for in the network configuration and
// plugged under one hold of the agent's network state (plugSandbox), and
// a configuration read before the one applied is never applied (it would
// remove the newer ports' veths; see NetConfig.Time).

// Runtime names of sandboxes.
const (
	sandboxPrefix = "zun-sandbox-"
	poolPrefix    = sandboxPrefix + "pool-"
)

// sandboxName is the runtime name of the sandbox of container uuid.
func sandboxName(uuid string) string { return sandboxPrefix + uuid }

// ownerOf is the uuid of the container a managed runtime container
// belongs to; "" for a sandbox of the pool.
func ownerOf(st driver.State) string {
	if st.Labels[driver.LabelSandbox] == "" {
		return driver.Owner(st.Labels)
	}
	if strings.HasPrefix(st.Name, poolPrefix) {
		return ""
	}
	return strings.TrimPrefix(st.Name, sandboxPrefix)
}

// sandboxed reports whether runtime container st joins a sandbox (those
// made before sandboxes have their own namespace, plugged after start).
func sandboxed(st driver.State) bool { return strings.HasPrefix(st.NetworkMode, "container:") }

// joinStopped is the engine's reason for a container that could not start
// because the holder of its network namespace was not running.
const joinStopped = "cannot join network of a non running container"

// sandboxImage loads the sandbox image into the engine once.
type sandboxImage struct {
	mu    sync.Mutex
	ready bool
}

func (a *Agent) ensureSandboxImage(ctx context.Context) error {
	a.sbImage.mu.Lock()
	defer a.sbImage.mu.Unlock()
	if a.sbImage.ready {
		return nil
	}
	im, ok1 := a.drv.(driver.ImageManager)
	ar, ok2 := a.drv.(driver.ImageArchiver)
	if !ok1 || !ok2 {
		return errdefs.NotSupportedf("the %s runtime cannot load images: no sandboxes for tenant networks", a.drv.Name())
	}
	if _, err := im.InspectImage(ctx, sandboximage.Ref); err == nil {
		a.sbImage.ready = true
		return nil
	} else if !errdefs.IsNotFound(err) {
		return err
	}
	tarball, err := sandboximage.Tarball(runtime.GOARCH)
	if err != nil {
		return err
	}
	if _, err := ar.LoadImage(ctx, bytes.NewReader(tarball)); err != nil {
		return fmt.Errorf("load the sandbox image: %w", err)
	}
	a.log.Info("sandbox image loaded", "image", sandboximage.Ref)
	a.sbImage.ready = true
	return nil
}

// findSandbox returns the runtime state of container uuid's sandbox;
// errdefs.ErrNotFound when it has none.
func (a *Agent) findSandbox(ctx context.Context, uuid string) (driver.State, error) {
	st, err := a.drv.Inspect(ctx, sandboxName(uuid))
	if errdefs.IsNotFound(err) {
		return st, errdefs.NotFoundf("no sandbox for %s", uuid)
	}
	return st, err
}

// sandboxSpec is the runtime spec of a sandbox called name, for container
// owner ("pool" for the pool's).
func (a *Agent) sandboxSpec(name, owner, hostname string) driver.Spec {
	return driver.Spec{
		Name:     name,
		Image:    sandboximage.Ref,
		Command:  sandboximage.Command,
		Labels:   map[string]string{driver.LabelManaged: "true", driver.LabelSandbox: owner, driver.LabelHost: a.cfg.Host},
		Hostname: hostname,
		// It holds the namespace and runs nothing: a few processes and
		// little memory are plenty.
		PidsLimit:     8,
		MemoryMiB:     16,
		RestartPolicy: driver.RestartPolicy{Name: "no"},
		NetworkMode:   "none",
	}
}

// takeFromPool gives container uuid a started sandbox of the pool, if
// there is one, and asks for another.
func (a *Agent) takeFromPool(ctx context.Context, uuid string) (driver.State, bool) {
	r, ok := a.drv.(driver.Renamer)
	if !ok || a.cfg.SandboxPool <= 0 {
		return driver.State{}, false
	}
	defer a.kickPool()
	take := func(name string) (driver.State, bool) {
		// By its pool name: of two workers renaming one, the second
		// finds no such container.
		if err := r.Rename(ctx, name, sandboxName(uuid)); err != nil {
			return driver.State{}, false // taken meanwhile, or uuid has one: the caller looks again
		}
		got, err := a.drv.Inspect(ctx, sandboxName(uuid))
		if err != nil {
			return driver.State{}, false
		}
		if got.Status != driver.StatusRunning {
			// A pool sandbox the engine stopped (it restarted) since the
			// agent saw it: it goes, and the pool is filled again.
			if err := a.drv.Remove(ctx, got.ID, true); err != nil && !errdefs.IsNotFound(err) {
				a.logOf(ctx).Warn("remove a stopped sandbox of the pool", "error", err)
			}
			return driver.State{}, false
		}
		return got, true
	}
	// Those the agent knows of first, without a list of the engine's
	// containers; then whatever the engine has.
	for name := a.pool.pop(); name != ""; name = a.pool.pop() {
		if st, ok := take(name); ok {
			return st, true
		}
	}
	states, err := a.drv.List(ctx)
	if err != nil {
		return driver.State{}, false
	}
	for _, st := range states {
		if !strings.HasPrefix(st.Name, poolPrefix) || st.Status != driver.StatusRunning {
			continue
		}
		if got, ok := take(st.Name); ok {
			return got, true
		}
	}
	return driver.State{}, false
}

// pooled is the names of the pool's started sandboxes the agent knows of.
type pooled struct {
	mu    sync.Mutex
	names []string
}

func (p *pooled) pop() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.names) == 0 {
		return ""
	}
	n := p.names[len(p.names)-1]
	p.names = p.names[:len(p.names)-1]
	return n
}

func (p *pooled) set(names []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.names = names
}

func (a *Agent) kickPool() {
	select {
	case a.refill <- struct{}{}:
	default:
	}
}

// poolLoop keeps Config.SandboxPool started sandboxes ready, topping the
// pool up when one is taken and at every sync.
func (a *Agent) poolLoop(ctx context.Context) {
	if a.cfg.Network == nil || a.cfg.SandboxPool <= 0 {
		return
	}
	if _, ok := a.drv.(driver.Renamer); !ok {
		return
	}
	t := time.NewTicker(a.cfg.SyncInterval)
	defer t.Stop()
	for {
		if err := a.fillPool(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("fill the sandbox pool", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.refill:
		case <-t.C:
		}
	}
}

// fillPool makes and starts sandboxes until the pool has its size; one
// not running (the engine restarted) is replaced.
func (a *Agent) fillPool(ctx context.Context) error {
	states, err := a.drv.List(ctx)
	if err != nil {
		return err
	}
	ready := 0
	var names []string
	defer func() { a.pool.set(names) }()
	for _, st := range states {
		if !strings.HasPrefix(st.Name, poolPrefix) {
			continue
		}
		if st.Status == driver.StatusRunning && ready < a.cfg.SandboxPool {
			ready++
			names = append(names, st.Name)
			continue
		}
		if err := a.drv.Remove(ctx, st.ID, true); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
	}
	if ready < a.cfg.SandboxPool {
		if err := a.ensureSandboxImage(ctx); err != nil {
			return err
		}
	}
	for ; ready < a.cfg.SandboxPool; ready++ {
		name := poolPrefix + uuid.NewString()[:13]
		id, err := a.drv.Create(ctx, a.sandboxSpec(name, "pool", ""))
		if err != nil {
			return err
		}
		if err := a.drv.Start(ctx, id); err != nil {
			_ = a.drv.Remove(ctx, id, true)
			return err
		}
		names = append(names, name)
	}
	return nil
}

// sandbox makes sure rec's sandbox runs with rec's ports plugged into its
// namespace, making or starting it as needed, and returns its state.
func (a *Agent) sandbox(ctx context.Context, rec *container.Container) (driver.State, error) {
	// A container just placed has ports newer than the configuration
	// applied: it is fetched while the sandbox is taken or made, not
	// after.
	var fetched chan error
	if !a.knowsPorts(rec) {
		fetched = make(chan error, 1)
		go func() { fetched <- a.fetchAndApply(ctx, true) }()
	}
	st, err := a.runSandbox(ctx, rec.UUID, rec.Hostname, true)
	if fetched != nil {
		if ferr := <-fetched; err == nil && ferr != nil && !errdefs.IsUnavailable(ferr) {
			err = ferr
		}
	}
	if err != nil {
		return driver.State{}, err
	}
	stepDone(ctx, "sandbox")
	return st, a.plugSandbox(ctx, rec, st)
}

// runSandbox makes sure the sandbox of container (or capsule) uuid runs,
// taking one from the pool (tenant networks: a pool sandbox has no
// network, and is plugged by the caller) or making it, and returns its
// state. A sandbox made off tenant networks is on the engine's default
// network, as a plain container there is.
func (a *Agent) runSandbox(ctx context.Context, uuid, hostname string, tenant bool) (driver.State, error) {
	st, err := a.findSandbox(ctx, uuid)
	if errdefs.IsNotFound(err) && hostname == "" && tenant {
		if got, ok := a.takeFromPool(ctx, uuid); ok {
			st, err = got, nil
		} else {
			st, err = a.findSandbox(ctx, uuid) // made meanwhile
		}
	}
	if errdefs.IsNotFound(err) {
		if err := a.ensureSandboxImage(ctx); err != nil {
			return driver.State{}, err
		}
		spec := a.sandboxSpec(sandboxName(uuid), uuid, hostname)
		if !tenant {
			spec.NetworkMode = ""
		}
		id, cerr := a.drv.Create(ctx, spec)
		if errdefs.IsConflict(cerr) { // made meanwhile, by an earlier attempt
			st, err = a.findSandbox(ctx, uuid)
		} else if cerr != nil {
			return driver.State{}, fmt.Errorf("create the sandbox: %w", cerr)
		} else {
			st, err = a.drv.Inspect(ctx, id)
		}
	}
	if err != nil {
		return driver.State{}, err
	}
	if st.Status != driver.StatusRunning {
		if err := a.drv.Start(ctx, st.ID); err != nil {
			return driver.State{}, fmt.Errorf("start the sandbox: %w", err)
		}
		if st, err = a.drv.Inspect(ctx, st.ID); err != nil {
			return driver.State{}, err
		}
	}
	return st, nil
}

// plugSandbox plugs rec's ports into its sandbox st, which runs. The
// ports are looked for and plugged under one hold of the network state,
// so no configuration applied in between can take them away (plugInto
// would skip them silently); when the configuration lacks them it is
// fetched as of now, once.
func (a *Agent) plugSandbox(ctx context.Context, rec *container.Container, st driver.State) error {
	for fetched := false; ; fetched = true {
		a.net.mu.Lock()
		if a.knowsPortsLocked(rec) {
			err := a.plugInto(ctx, rec, st)
			a.net.mu.Unlock()
			stepDone(ctx, "plug")
			return err
		}
		a.net.mu.Unlock()
		if fetched {
			return errdefs.Unavailablef("the ports of container %s are not in this host's network configuration yet", rec.UUID)
		}
		if err := a.fetchAndApply(ctx, true); err != nil {
			return err
		}
		stepDone(ctx, "netconfig")
	}
}

// learnPorts makes sure the network configuration applied has rec's
// ports: a container just placed has ports newer than the last one, which
// is fetched again as of now.
func (a *Agent) learnPorts(ctx context.Context, rec *container.Container) error {
	if a.knowsPorts(rec) {
		return nil
	}
	if err := a.fetchAndApply(ctx, true); err != nil {
		return err
	}
	if !a.knowsPorts(rec) {
		return errdefs.Unavailablef("the ports of container %s are not in this host's network configuration yet", rec.UUID)
	}
	return nil
}

// knowsPorts reports whether the network configuration last applied has
// every port of rec.
func (a *Agent) knowsPorts(rec *container.Container) bool {
	a.net.mu.Lock()
	defer a.net.mu.Unlock()
	return a.knowsPortsLocked(rec)
}

// knowsPortsLocked is knowsPorts with a.net.mu held.
func (a *Agent) knowsPortsLocked(rec *container.Container) bool {
	ids := a.net.cfg.Containers[rec.UUID]
	for _, addrs := range rec.Addresses {
		for _, addr := range addrs {
			if addr.Port == "" {
				continue
			}
			if !slices.Contains(ids, addr.Port) ||
				!slices.ContainsFunc(a.net.cfg.Ports, func(p netplane.Port) bool { return p.ID == addr.Port }) {
				return false
			}
		}
	}
	return len(ids) > 0
}

// removeSandbox removes container uuid's sandbox, if it has one; its
// namespace goes with it, and the ports' veths in it.
func (a *Agent) removeSandbox(ctx context.Context, uuid string) error {
	st, err := a.findSandbox(ctx, uuid)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.drv.Remove(ctx, st.ID, true); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove the sandbox: %w", err)
	}
	return nil
}

// networked reports whether rec's container runs on tenant networks here.
func (a *Agent) networked(rec *container.Container) bool {
	return a.cfg.Network != nil && hasPorts(rec)
}
