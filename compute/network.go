package compute

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/netplane"
)

// The agent's side of tenant networks. Containers with addresses run in
// the namespace of their sandbox, whose ports the agent plugs before the
// container starts (sandbox.go); containers made before sandboxes have
// their own namespace, plugged once they run (and again after every
// restart, which gives them a new one). Every NetworkInterval, the agent
// makes the host's bridges, tunnels and security group rules match the
// control plane's view and plugs what lacks its ports.

// netState is the last data plane configuration applied.
type netState struct {
	mu  sync.Mutex
	cfg NetConfig
	// pids are the processes whose namespaces ports were plugged into:
	// a port moved to another container, or a sandbox (or a container
	// without one) restarted, has a new one.
	pids map[string]int
}

func (a *Agent) tunnelIP() string {
	if a.cfg.Network == nil || !a.cfg.Network.TunnelIP.IsValid() {
		return ""
	}
	return a.cfg.Network.TunnelIP.String()
}

// hasPorts reports whether rec runs on tenant networks.
func hasPorts(rec *container.Container) bool { return len(rec.Addresses) > 0 }

// networkLoop keeps the data plane equal to the control plane's view.
func (a *Agent) networkLoop(ctx context.Context) {
	if a.cfg.Network == nil {
		return
	}
	t := time.NewTicker(a.cfg.NetworkInterval)
	defer t.Stop()
	var repaired time.Time
	for {
		if time.Since(repaired) > 30*time.Second {
			// Put back what something else removed from the kernel.
			a.net.mu.Lock()
			if err := a.cfg.Network.Repair(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("repair the data plane", "error", err)
			}
			a.net.mu.Unlock()
			repaired = time.Now()
		}
		if err := a.applyNetwork(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("apply the network configuration", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// applyNetwork fetches the host's network configuration, applies it, and
// plugs the ports of running containers that lack them.
func (a *Agent) applyNetwork(ctx context.Context) error {
	if err := a.fetchAndApply(ctx, false); err != nil {
		return err
	}
	a.net.mu.Lock()
	defer a.net.mu.Unlock()
	for uuid := range a.net.cfg.Containers {
		a.mu.Lock()
		rec := a.records[uuid]
		a.mu.Unlock()
		if rec == nil || rec.RuntimeID == "" {
			continue
		}
		if err := a.plugLocked(ctx, rec); err != nil {
			a.log.Warn("plug ports", "container_id", uuid, "error", err)
		}
	}
	return nil
}

// fetchAndApply fetches the host's network configuration (fresh: as of
// now, for a container whose ports the last one lacks) and applies it;
// plugging is the caller's.
func (a *Agent) fetchAndApply(ctx context.Context, fresh bool) error {
	cfg, err := a.cp.NetConfig(ctx, a.cfg.Host, fresh)
	if err != nil {
		return err
	}
	a.net.mu.Lock()
	defer a.net.mu.Unlock()
	if stale(cfg, a.net.cfg) {
		// Fetched before the one applied (a cached view that lost the
		// race with a fresh one): it lacks the newest ports, and applying
		// it would remove their veths.
		return nil
	}
	if err := a.cfg.Network.Apply(ctx, cfg.Config); err != nil {
		return err
	}
	a.net.cfg = cfg
	return nil
}

// stale reports whether network configuration cfg is older than applied,
// the one applied last. One older by more than staleWindow is taken as
// news (the control plane's clock or the control plane changed): a cached
// view is never that old.
func stale(cfg, applied NetConfig) bool {
	if cfg.Time.IsZero() || applied.Time.IsZero() {
		return false
	}
	age := applied.Time.Sub(cfg.Time)
	return age > 0 && age < staleWindow
}

// staleWindow bounds how much older than the applied configuration a
// fetched one may be and still be refused as stale.
const staleWindow = time.Minute

// plug plugs the ports of rec's container, if its namespace's holder
// runs, fetching the network configuration when rec's ports are not in
// the last one.
func (a *Agent) plug(ctx context.Context, rec *container.Container) error {
	if a.cfg.Network == nil || !hasPorts(rec) {
		return nil
	}
	if err := a.learnPorts(ctx, rec); err != nil {
		return err
	}
	a.net.mu.Lock()
	defer a.net.mu.Unlock()
	return a.plugLocked(ctx, rec)
}

// plugLocked plugs rec's ports that are not plugged, if the holder of its
// container's namespace runs; a.net.mu is held.
func (a *Agent) plugLocked(ctx context.Context, rec *container.Container) error {
	if len(a.net.cfg.Containers[rec.UUID]) == 0 {
		return nil
	}
	st, err := a.drv.Inspect(ctx, rec.RuntimeID)
	if err == nil && sandboxed(st) {
		st, err = a.findSandbox(ctx, rec.UUID)
	}
	if err != nil {
		return nil // plugged when it runs
	}
	return a.plugInto(ctx, rec, st)
}

// plugInto plugs rec's ports that are not plugged into the namespace of
// runtime container st (its sandbox, or itself), if it runs; a.net.mu is
// held.
func (a *Agent) plugInto(ctx context.Context, rec *container.Container, st driver.State) error {
	ids := a.net.cfg.Containers[rec.UUID]
	if len(ids) == 0 || st.Status != driver.StatusRunning || st.Pid <= 0 {
		return nil // plugged when it runs
	}
	if a.net.pids == nil {
		a.net.pids = map[string]int{}
	}
	used := map[string]bool{}
	for n, id := range ids {
		if !slices.ContainsFunc(a.net.cfg.Ports, func(p netplane.Port) bool { return p.ID == id }) {
			continue
		}
		ok, err := a.cfg.Network.Plugged(ctx, id)
		if err != nil {
			return err
		}
		if ok && a.net.pids[id] == st.Pid {
			continue
		}
		// eth<n> in the order of the ports; a name still held by another
		// port (after a detach and an attach) moves to the next free one.
		var perr error
		for k := n; k < n+16; k++ {
			ifname := fmt.Sprintf("eth%d", k)
			if used[ifname] {
				continue
			}
			if perr = a.cfg.Network.Plug(ctx, id, st.Pid, ifname); !errdefs.IsConflict(perr) {
				used[ifname] = perr == nil
				if perr == nil {
					a.log.Info("port plugged", "container_id", rec.UUID, "port", id, "interface", ifname)
				}
				break
			}
		}
		if perr != nil {
			return fmt.Errorf("port %s: %w", id, perr)
		}
		a.net.pids[id] = st.Pid
	}
	return nil
}
