// Package host is the record of a compute host as the control plane keeps
// it: what the host's agent reports (address, zone, labels, the runtime's
// facts), what operators set (disabled with a reason, forced down), and
// what the containers placed on it claim. Whether a host is up is the
// heartbeat's business (controlplane.AgentService), not the record's.
//
// EtcdStore keeps them in etcd, relative to the store's prefix:
// hosts/NAME (a Host), host-usage/NAME (its Usage, the sum of its
// containers' claims) and host-alive/NAME (present while a heartbeat
// lease lives). Joined to the container store as a store.Participant, a
// claim changes in the container's own transaction, checked against the
// host's capacity; reads come from a copy in memory fed by a watch.
package host

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Binary is the only service a host runs, named as Zun names it.
const Binary = "zun-compute"

// DefaultAvailabilityZone is Zun's default zone.
const DefaultAvailabilityZone = "nova"

// Host is a compute host's record.
type Host struct {
	// Name is the host's unique name; ID is a stable integer for Zun's
	// services API (the store's revision that created the record) and UUID
	// a stable id for its hosts API.
	Name string `json:"name"`
	ID   int64  `json:"id"`
	UUID string `json:"uuid"`
	// Reported by the agent.
	Address          string            `json:"address,omitempty"`
	Driver           string            `json:"driver,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Facts            driver.HostFacts  `json:"facts"`
	TunnelIP         string            `json:"tunnel_ip,omitempty"`
	// NotReady, when set, says why the host cannot run containers now
	// (its runtime does not answer): the scheduler skips it.
	NotReady string `json:"not_ready,omitempty"`
	// Set by operators.
	Disabled       bool   `json:"disabled"`
	DisabledReason string `json:"disabled_reason,omitempty"`
	ForcedDown     bool   `json:"forced_down"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Zone is the host's availability zone, the default one when unset.
func (h *Host) Zone() string {
	if h.AvailabilityZone == "" {
		return DefaultAvailabilityZone
	}
	return h.AvailabilityZone
}

// SameReport reports whether a and b say the same of the agent-reported
// part of a record, so that a heartbeat repeating it writes nothing.
func SameReport(a, b Host) bool {
	return a.Address == b.Address && a.NotReady == b.NotReady && a.TunnelIP == b.TunnelIP && a.Driver == b.Driver && a.AvailabilityZone == b.AvailabilityZone &&
		maps.Equal(a.Labels, b.Labels) && a.Facts.CPUs == b.Facts.CPUs && a.Facts.MemoryMiB == b.Facts.MemoryMiB &&
		a.Facts.DiskGiB == b.Facts.DiskGiB && a.Facts.OS == b.Facts.OS && a.Facts.OSType == b.Facts.OSType &&
		a.Facts.Architecture == b.Facts.Architecture && a.Facts.KernelVersion == b.Facts.KernelVersion &&
		slices.Equal(a.Facts.Runtimes, b.Facts.Runtimes)
}

// Usage is what the containers placed on a host claim of it.
type Usage struct {
	Containers int64   `json:"containers"`
	CPU        float64 `json:"cpu"`
	MemoryMiB  int64   `json:"memory"`
	DiskGiB    int64   `json:"disk"`
}

// ClaimError is a claim the host cannot give: another placement took the
// room since the scheduler looked. The caller schedules again.
type ClaimError struct {
	Host   string
	Reason string
}

func (e *ClaimError) Error() string {
	return "host " + e.Host + " cannot take the container: " + e.Reason
}

// Is makes a ClaimError an errdefs.ErrUnavailable.
func (e *ClaimError) Is(target error) bool { return target == errdefs.ErrUnavailable }

// Store keeps host records.
type Store interface {
	// Report creates or updates the agent-reported part of a host's
	// record; the operator's settings stay.
	Report(ctx context.Context, h Host) (Host, error)
	// Get returns a host by name or UUID.
	Get(ctx context.Context, ident string) (Host, error)
	// List returns every host, sorted by name.
	List(ctx context.Context) ([]Host, error)
	// Update applies an operator's change (disable, force down).
	Update(ctx context.Context, name string, fn func(*Host) error) (Host, error)
	// Delete removes a host's record.
	Delete(ctx context.Context, name string) error
	// Usage returns what the containers placed on each host claim.
	Usage(ctx context.Context) (map[string]Usage, error)
}
