// Package scheduler places new containers on compute hosts.
//
// This first scheduler knows only whether hosts are up and how many
// containers they hold: it honours a requested host and otherwise spreads
// containers over the live hosts. Filters (availability zone, CPU, RAM,
// disk, labels, runtime), weighers and transactional resource claims come
// with the multi-host work.
package scheduler

import (
	"context"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// HostState is what the scheduler knows of a compute host.
type HostState struct {
	Name       string
	Up         bool
	Containers int
}

// HostSource lists the compute hosts.
type HostSource interface {
	HostStates(ctx context.Context) ([]HostState, error)
}

// Scheduler picks hosts.
type Scheduler struct {
	hosts HostSource
}

// New returns a scheduler over hosts.
func New(hosts HostSource) *Scheduler { return &Scheduler{hosts: hosts} }

// Schedule returns the host for c. A requested host that does not exist is
// ErrNotFound; when no host can take c now, ErrUnavailable.
func (s *Scheduler) Schedule(ctx context.Context, c *container.Container) (string, error) {
	states, err := s.hosts.HostStates(ctx)
	if err != nil {
		return "", err
	}
	if c.RequestedHost != "" {
		for _, h := range states {
			if h.Name == c.RequestedHost {
				if !h.Up {
					return "", errdefs.Unavailablef("requested host %s is down", h.Name)
				}
				return h.Name, nil
			}
		}
		return "", errdefs.NotFoundf("Requested host %s could not be found.", c.RequestedHost)
	}
	best := -1
	for i, h := range states {
		if h.Up && (best < 0 || h.Containers < states[best].Containers) {
			best = i
		}
	}
	if best < 0 {
		return "", errdefs.Unavailablef("There are not enough hosts available.")
	}
	return states[best].Name, nil
}
