// Package quota is the model of Zun's quotas: per-project limits on the
// number of containers and the cpu, memory and disk they may ask for,
// quota classes (the class "default" supplies every project's defaults),
// and the usage counted against them.
//
// Enforcement is the store's: a container's record and its project's usage
// change in one etcd transaction (store.ContainerStore), so concurrent
// creates can never together exceed a limit.
package quota

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Resources, as Zun names them.
const (
	Containers = "containers"
	CPU        = "cpu"
	Memory     = "memory" // MiB
	Disk       = "disk"   // GiB
)

// Resources lists every resource, in Zun's order.
var Resources = []string{Containers, CPU, Memory, Disk}

// Unlimited is the limit that never binds.
const Unlimited = -1

// DefaultClass is the quota class whose limits are every project's
// defaults.
const DefaultClass = "default"

// Limits maps resources to limits; a missing resource falls back to the
// next level (project, then the default class, then configuration).
type Limits map[string]int64

// DefaultLimits are Zun's configuration defaults.
func DefaultLimits() Limits {
	return Limits{Containers: 40, CPU: 20, Memory: 50 * 1024, Disk: 100}
}

// Over returns lim with the limits of override laid over it.
func (lim Limits) Over(override Limits) Limits {
	out := Limits{}
	for k, v := range lim {
		out[k] = v
	}
	for k, v := range override {
		out[k] = v
	}
	return out
}

// Usage is what a project's containers count against its limits.
type Usage struct {
	Containers int64   `json:"containers"`
	CPU        float64 `json:"cpu"`
	Memory     int64   `json:"memory"`
	Disk       int64   `json:"disk"`
}

// Accounted defaults: a container that sets no cpu or memory counts as
// Zun's default_cpu and default_memory, so leaving them out is no way
// around a quota.
const (
	DefaultCPU       = 1.0
	DefaultMemoryMiB = 512
)

// Of returns what one container record counts. A capsule counts as one
// unit, on its own record: its summed cpu and memory and one container
// per member; its members count nothing of their own. (Zun checks no
// quota for capsules; here a capsule cannot bypass the project's.)
func Of(c *container.Container) Usage {
	if c.IsMember() {
		return Usage{}
	}
	u := Usage{Containers: 1, CPU: c.CPU, Memory: c.Memory, Disk: int64(c.Disk)}
	if c.IsCapsule() && c.Capsule != nil {
		u.Containers = int64(len(c.Capsule.InitContainers) + len(c.Capsule.Containers))
	}
	if u.CPU <= 0 {
		u.CPU = DefaultCPU
	}
	if u.Memory <= 0 {
		u.Memory = DefaultMemoryMiB
	}
	return u
}

// Add returns u plus d.
func (u Usage) Add(d Usage) Usage {
	return Usage{
		Containers: u.Containers + d.Containers,
		CPU:        math.Round((u.CPU+d.CPU)*1000) / 1000,
		Memory:     u.Memory + d.Memory,
		Disk:       u.Disk + d.Disk,
	}
}

// Sub returns u minus d, never below zero.
func (u Usage) Sub(d Usage) Usage {
	r := u.Add(Usage{Containers: -d.Containers, CPU: -d.CPU, Memory: -d.Memory, Disk: -d.Disk})
	r.Containers, r.Memory, r.Disk = max(r.Containers, 0), max(r.Memory, 0), max(r.Disk, 0)
	r.CPU = max(r.CPU, 0)
	return r
}

// Get returns the usage of a resource.
func (u Usage) Get(resource string) float64 {
	switch resource {
	case Containers:
		return float64(u.Containers)
	case CPU:
		return u.CPU
	case Memory:
		return float64(u.Memory)
	case Disk:
		return float64(u.Disk)
	}
	return 0
}

// Check refuses a change from used by delta that takes a resource the
// delta increases beyond its limit: errdefs.ErrQuotaExceeded naming every
// such resource, in Zun's words.
func Check(lim Limits, used, delta Usage) error {
	next := used.Add(delta)
	var overs []string
	for _, r := range Resources {
		l, ok := lim[r]
		if !ok || l < 0 || delta.Get(r) <= 0 {
			continue
		}
		if next.Get(r) > float64(l) {
			overs = append(overs, fmt.Sprintf("%s (requested %s, in use %s, limit %d)",
				r, num(delta.Get(r)), num(used.Get(r)), l))
		}
	}
	if len(overs) == 0 {
		return nil
	}
	return errdefs.QuotaExceededf("Quota exceeded for resources: %s", strings.Join(overs, ", "))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Parse validates a request's limits: known resources, integers (or
// integer strings, as Zun accepts), -1 or more.
func Parse(raw map[string]any) (Limits, error) {
	lim := Limits{}
	for k, v := range raw {
		if !slices.Contains(Resources, k) {
			return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Additional properties are not allowed.", k)
		}
		var n int64
		switch x := v.(type) {
		case float64:
			if x != math.Trunc(x) || x > math.MaxInt32 {
				return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Value: %v. Not an integer of at least -1.", k, v)
			}
			n = int64(x)
		case string:
			p, err := strconv.ParseInt(x, 10, 32)
			if err != nil {
				return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Value: %q. Not an integer of at least -1.", k, x)
			}
			n = p
		default:
			return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Value: %v. Not an integer of at least -1.", k, v)
		}
		if n < Unlimited {
			return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Value: %d. %d is less than the minimum of -1.", k, n, n)
		}
		lim[k] = n
	}
	return lim, nil
}

// Store keeps project limits, quota classes and usage. Usage changes only
// with the containers, in the container store's transactions.
type Store interface {
	// ProjectLimits returns the limits set for a project, without
	// defaults; empty when none are set.
	ProjectLimits(ctx context.Context, projectID string) (Limits, error)
	// SetProjectLimits merges limits into the project's.
	SetProjectLimits(ctx context.Context, projectID string, limits Limits) error
	// DeleteProjectLimits drops the project's limits: it is back on the
	// defaults.
	DeleteProjectLimits(ctx context.Context, projectID string) error
	// ClassLimits returns a class's limits, the configuration defaults
	// for the resources it does not set.
	ClassLimits(ctx context.Context, class string) (Limits, error)
	// SetClassLimits merges limits into the class's.
	SetClassLimits(ctx context.Context, class string, limits Limits) error
	// Defaults returns the limits of the default class: every project's
	// defaults.
	Defaults(ctx context.Context) (Limits, error)
	// Effective returns a project's limits: its own over Defaults.
	Effective(ctx context.Context, projectID string) (Limits, error)
	// Usage returns what the project's containers count.
	Usage(ctx context.Context, projectID string) (Usage, error)
}
