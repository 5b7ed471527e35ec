package compute

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/netplane"
)

// ControlPlane is what an agent needs from the control plane. The agent
// never touches the store: it sees only the records of its own host and
// reports what it does and sees. In the all-in-one daemon the control plane
// is in the same process; across hosts the same calls go over the internal
// API.
type ControlPlane interface {
	// Watch returns the records placed on host, then every later change to
	// them (a record moved away is sent as deleted). The channel closes
	// when ctx ends; if it closes before that, call Watch again.
	Watch(ctx context.Context, host string) ([]*container.Container, <-chan container.Change, error)
	// Report records what the host did or saw for one container.
	Report(ctx context.Context, host string, r Report) error
	// StartEvent and FinishEvent record the steps of an action.
	StartEvent(ctx context.Context, host, uuid, requestID, event string) error
	FinishEvent(ctx context.Context, host, uuid, requestID, event string, cause error) error
	// Forget removes the record of a container whose deletion the host has
	// carried out (op seq), or that the runtime removed by itself.
	Forget(ctx context.Context, host, uuid string, seq int64) error
	// Heartbeat says the host is alive and what it offers.
	Heartbeat(ctx context.Context, info HostInfo) error
	// RegistryAuth returns the credentials of the private registry a
	// container on host pulls its image from (its RegistryID).
	RegistryAuth(ctx context.Context, host, uuid string) (driver.RegistryAuth, error)
	// StoreImage describes the image-store image a container on host runs
	// (image driver glance) and, when data is set, opens its tarball.
	StoreImage(ctx context.Context, host, uuid string, data bool) (StoreImage, io.ReadCloser, error)
	// NetConfig returns the desired state of host's data plane: the
	// networks, ports and rules of the containers placed on it. It may
	// serve a view up to a second old, unless fresh: the agent asks so
	// for a container whose ports its last configuration lacks.
	NetConfig(ctx context.Context, host string, fresh bool) (NetConfig, error)
}

// NetConfig is the desired data plane of a host, and which container
// each port belongs to.
type NetConfig struct {
	netplane.Config
	// Containers maps a container's uuid to its ports' ids, in the order
	// of its interfaces (eth0, eth1, ...).
	Containers map[string][]string `json:"containers"`
	// Time is when the control plane read the view this configuration is
	// made of. Configurations fetched concurrently (a periodic one served
	// from a cache, a fresh one for a new container) can arrive out of
	// order: the agent never applies one older than the one it applied,
	// which would remove the newer one's ports. Zero: unknown, applied.
	Time time.Time `json:"time,omitzero"`
}

// StoreImage describes an image of the image store. Its data never
// changes once stored.
type StoreImage struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Checksum string `json:"checksum"` // md5, hex
	Size     int64  `json:"size"`
}

// Report is what a host tells about one container.
//
// A report for an op (Seq > 0) that is still the record's current op sets
// status and task state, and with Done clears the op. A report for an op
// that was superseded, or an observation (Seq 0) while an op is pending,
// only records runtime facts (RuntimeID, exit code, times, ports): the
// status then belongs to the op in progress, as in Zun.
type Report struct {
	UUID string
	Seq  int64
	Done bool

	// Status, when set, is the new status; Reason goes with it.
	Status container.Status
	Reason string
	// Task is the task state to show while the op runs (only with Seq).
	Task container.TaskState

	RuntimeID  string
	ExitCode   *int
	StartedAt  time.Time
	FinishedAt time.Time
	Ports      []int
}

// Apply changes c as the report says (see Report for the rules); the
// control plane applies every report this way, and the agent uses it to
// tell whether a report would change anything.
func (r Report) Apply(c *container.Container) {
	current := (r.Seq > 0 && c.Op != nil && c.Op.Seq == r.Seq) || (r.Seq == 0 && c.Op == nil)
	if r.RuntimeID != "" {
		c.RuntimeID = r.RuntimeID
	}
	if r.ExitCode != nil {
		c.ExitCode = r.ExitCode
	}
	if !r.StartedAt.IsZero() {
		c.StartedAt = r.StartedAt
	}
	if !r.FinishedAt.IsZero() {
		c.FinishedAt = r.FinishedAt
	}
	if r.Ports != nil && !slices.Equal(c.Ports, r.Ports) {
		c.Ports = r.Ports
	}
	if !current {
		return
	}
	if r.Status != "" {
		c.Status = r.Status
		c.StatusReason = r.Reason
		if r.ExitCode == nil && !exited(r.Status) {
			// The exit code is that of the last run: a container running
			// again has none.
			c.ExitCode = nil
		}
	}
	if r.Seq > 0 {
		c.TaskState = r.Task
		if r.Done {
			c.Op = nil
			c.TaskState = container.TaskNone
		}
	}
}

// exited reports whether a container of status s has ended a run: its
// exit code is kept.
func exited(s container.Status) bool {
	switch s {
	case container.Stopped, container.Dead, container.Error, container.Deleted, container.Unknown:
		return true
	}
	return false
}

// HostInfo describes a compute host.
type HostInfo struct {
	Name     string
	Driver   string
	Runtimes []string
	// Address is where the agent answers direct calls; see Config.Address.
	Address          string
	AvailabilityZone string
	Labels           map[string]string
	// TunnelIP is where the host ends the VXLAN tunnels of tenant
	// networks; "" without a data plane.
	TunnelIP string
	// Facts are the runtime's description of the machine.
	Facts driver.HostFacts
	// NotReady, when set, says why the host cannot run containers now
	// (its runtime does not answer); the scheduler places nothing there.
	NotReady string
	Time     time.Time
}
