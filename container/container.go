// Package container is the container domain: the record the control plane
// keeps for each container, Zun's statuses and task states, the actions
// recorded for each request, and the Store interface that keeps them.
//
// The record holds what was asked (the spec and, in Op, the operation the
// container's host must carry out) and what was last seen (status, task
// state, runtime id). Compute agents converge the runtime to the record and
// report back; see package compute.
package container

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// SchemaVersion is the version of the stored record's shape.
const SchemaVersion = 1

// RestartPolicy is Docker's restart policy.
type RestartPolicy struct {
	Name              string `json:"name"` // no, always, on-failure, unless-stopped
	MaximumRetryCount int    `json:"maximum_retry_count"`
}

// Healthcheck is a container health check, durations in seconds.
type Healthcheck struct {
	Test     string `json:"test"`
	Interval int    `json:"interval"`
	Retries  int    `json:"retries"`
	Timeout  int    `json:"timeout"`
}

// Address is an IP address of the container on a network.
type Address struct {
	Addr             string `json:"addr"`
	Version          int    `json:"version"`
	Port             string `json:"port,omitempty"`
	SubnetID         string `json:"subnet_id,omitempty"`
	PreserveOnDelete bool   `json:"preserve_on_delete"`
}

// Mount is a requested mount (volumes issue).
type Mount struct {
	Type        string `json:"type"`
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination"`
	Size        string `json:"size,omitempty"`
	// VolumeID is the volume a "volume" mount uses: the one Source names,
	// or the one made for it when it asked for a Size (AutoRemove: it
	// goes with the container).
	VolumeID   string `json:"volume_id,omitempty"`
	AutoRemove bool   `json:"auto_remove,omitempty"`
}

// Mount types.
const (
	MountVolume = "volume"
	MountBind   = "bind"
)

// NetRequest is a requested network attachment (networks issue).
type NetRequest struct {
	Network   string `json:"network,omitempty"`
	Port      string `json:"port,omitempty"`
	V4FixedIP string `json:"v4_fixed_ip,omitempty"`
	V6FixedIP string `json:"v6_fixed_ip,omitempty"`
}

// Op is an operation asked for through the API that the container's host
// must carry out. Seq grows with every op of a container, so an agent only
// clears the op it carried out and never a newer one.
type Op struct {
	Seq       int64  `json:"seq"`
	Action    string `json:"action"` // ActCreate, ActStart, ...
	RequestID string `json:"request_id"`
	Run       bool   `json:"run,omitempty"` // create: start it too
	// Timeout is a stop's or a reboot's grace in seconds (0: none, kill at
	// once); nil: the host's default.
	Timeout *int   `json:"timeout,omitempty"`
	Signal  string `json:"signal,omitempty"` // kill
	Force   bool   `json:"force,omitempty"`  // delete
	Stop    bool   `json:"stop,omitempty"`   // delete: stop first
}

// Container is the control plane's record of a container.
type Container struct {
	Schema int `json:"schema"`

	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`

	// The spec, as asked for.
	Image            string            `json:"image"`
	ImageDriver      string            `json:"image_driver"`
	ImagePullPolicy  string            `json:"image_pull_policy,omitempty"`
	Command          []string          `json:"command,omitempty"`
	Entrypoint       []string          `json:"entrypoint,omitempty"`
	CPU              float64           `json:"cpu"`
	CPUPolicy        string            `json:"cpu_policy"`
	Memory           int64             `json:"memory"` // MiB
	Disk             int               `json:"disk"`   // GiB
	Environment      map[string]string `json:"environment,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Workdir          string            `json:"workdir,omitempty"`
	Hostname         string            `json:"hostname,omitempty"`
	RestartPolicy    RestartPolicy     `json:"restart_policy"`
	Interactive      bool              `json:"interactive"`
	TTY              bool              `json:"tty"`
	AutoRemove       bool              `json:"auto_remove"`
	AutoHeal         bool              `json:"auto_heal"`
	Privileged       bool              `json:"privileged"`
	Runtime          string            `json:"runtime,omitempty"`
	Healthcheck      *Healthcheck      `json:"healthcheck,omitempty"`
	SecurityGroups   []string          `json:"security_groups,omitempty"`
	ExposedPorts     []string          `json:"exposed_ports,omitempty"`
	Nets             []NetRequest      `json:"nets,omitempty"`
	Mounts           []Mount           `json:"mounts,omitempty"`
	Hints            map[string]string `json:"hints,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
	RequestedHost    string            `json:"requested_host,omitempty"`
	// VolumeHost is the host that holds the data of the container's
	// volumes, where it must run; "" when none does yet.
	VolumeHost string `json:"volume_host,omitempty"`
	RegistryID string `json:"registry_id,omitempty"`
	// PortGroup is the security group made for the container's
	// exposed_ports; it goes with the container.
	PortGroup string `json:"port_group,omitempty"`
	// ImageStoreID is the image-store image a container of image driver
	// glance runs, found by Image when it was created.
	ImageStoreID string `json:"image_store_id,omitempty"`

	// Kind is what the record stands for: a container ("") or a capsule
	// (KindCapsule). A capsule's record is its sandbox on the host (the
	// holder of its namespace) and carries what the capsule holds as one
	// unit: its claim on the host, its quota, its ports and its volumes.
	Kind string `json:"kind,omitempty"`
	// CapsuleID is, on a member of a capsule, the capsule's uuid. A member
	// is placed, counted, claimed and plugged through its capsule's
	// record, never on its own; the container routes do not show it.
	CapsuleID string `json:"capsule_id,omitempty"`
	// Capsule is, on a capsule's record, what a capsule has beyond a
	// container.
	Capsule *Capsule `json:"capsule,omitempty"`

	// Placement and the pending operation.
	Host string `json:"host,omitempty"`
	Op   *Op    `json:"op,omitempty"`
	// OpSeq is the Seq of the newest op ever set.
	OpSeq int64 `json:"op_seq"`

	// What was last seen.
	Status       Status               `json:"status"`
	StatusReason string               `json:"status_reason,omitempty"`
	TaskState    TaskState            `json:"task_state,omitempty"`
	RuntimeID    string               `json:"runtime_id,omitempty"`
	ExitCode     *int                 `json:"exit_code,omitempty"`
	StartedAt    time.Time            `json:"started_at,omitzero"`
	FinishedAt   time.Time            `json:"finished_at,omitzero"`
	Ports        []int                `json:"ports,omitempty"`
	Addresses    map[string][]Address `json:"addresses,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`

	// Revision is the store's revision of this record, for compare-and-swap.
	Revision int64 `json:"-"`
}

// KindCapsule is the Kind of a capsule's record.
const KindCapsule = "capsule"

// IsCapsule reports whether c is a capsule's record.
func (c *Container) IsCapsule() bool { return c.Kind == KindCapsule }

// IsMember reports whether c is a member of a capsule.
func (c *Container) IsMember() bool { return c.CapsuleID != "" }

// Plain reports whether c is a container of the container API: neither a
// capsule nor one of its members.
func (c *Container) Plain() bool { return !c.IsCapsule() && !c.IsMember() }

// Capsule is what a capsule's record holds beyond a container's: the
// template's version and annotations, its members (each an ordinary
// container record whose CapsuleID is the capsule's) and its volumes.
type Capsule struct {
	// Version is the template's capsuleVersion ("beta"), "" when it gave
	// none.
	Version     string            `json:"version,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// InitContainers run one after the other, in this order, each to its
	// end, before Containers start.
	InitContainers []Member        `json:"init_containers,omitempty"`
	Containers     []Member        `json:"containers"`
	Volumes        []CapsuleVolume `json:"volumes,omitempty"`
}

// Member is a container of a capsule.
type Member struct {
	// UUID is the member's container record.
	UUID string `json:"uuid"`
	// Name is the name the template gave the container, unique in the
	// capsule. It is kept here, not in the member's record, because it
	// means something only within its capsule: it is how an orchestrator
	// and the capsule's own routes name the container, while the record's
	// Name is a project-wide container name.
	Name string `json:"name"`
}

// CapsuleVolume is a volume of a capsule, mounted by one or more members.
type CapsuleVolume struct {
	// Name is the volume's name in the template.
	Name string `json:"name"`
	// VolumeID is the volume: an existing one named by the template, or,
	// when Size is set, the id given to the new volume made for the
	// capsule (the same in every member's mount).
	VolumeID string `json:"volume_id"`
	// Size, in GiB, is set when the template asked for a new volume.
	Size int `json:"size,omitempty"`
	// AutoRemove deletes a new volume with the capsule.
	AutoRemove bool `json:"auto_remove,omitempty"`
}

// New reports whether the volume is made for the capsule.
func (v CapsuleVolume) New() bool { return v.Size > 0 }

// MemberUUIDs returns the uuids of the capsule's members, init containers
// first, in order.
func (k *Capsule) MemberUUIDs() []string {
	ids := make([]string, 0, len(k.InitContainers)+len(k.Containers))
	for _, m := range k.InitContainers {
		ids = append(ids, m.UUID)
	}
	for _, m := range k.Containers {
		ids = append(ids, m.UUID)
	}
	return ids
}

// Member returns the member the template named name, init containers
// included, and whether there is one.
func (k *Capsule) Member(name string) (Member, bool) {
	for _, list := range [][]Member{k.InitContainers, k.Containers} {
		for _, m := range list {
			if m.Name == name {
				return m, true
			}
		}
	}
	return Member{}, false
}

// Clone returns a deep copy of k.
func (k *Capsule) Clone() *Capsule {
	if k == nil {
		return nil
	}
	n := *k
	n.Annotations = cloneMap(k.Annotations)
	n.InitContainers = cloneSlice(k.InitContainers)
	n.Containers = cloneSlice(k.Containers)
	n.Volumes = cloneSlice(k.Volumes)
	return &n
}

// SetOp makes op the container's pending operation, numbering it.
func (c *Container) SetOp(op Op) {
	c.OpSeq++
	op.Seq = c.OpSeq
	c.Op = &op
}

// Clone returns a deep copy of c.
func (c *Container) Clone() *Container {
	n := *c
	n.Command = cloneSlice(c.Command)
	n.Entrypoint = cloneSlice(c.Entrypoint)
	n.SecurityGroups = cloneSlice(c.SecurityGroups)
	n.ExposedPorts = cloneSlice(c.ExposedPorts)
	n.Nets = cloneSlice(c.Nets)
	n.Mounts = cloneSlice(c.Mounts)
	n.Ports = cloneSlice(c.Ports)
	n.Environment = cloneMap(c.Environment)
	n.Labels = cloneMap(c.Labels)
	n.Hints = cloneMap(c.Hints)
	n.Capsule = c.Capsule.Clone()
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		n.Healthcheck = &h
	}
	if c.Op != nil {
		op := *c.Op
		n.Op = &op
	}
	if c.ExitCode != nil {
		e := *c.ExitCode
		n.ExitCode = &e
	}
	if c.Addresses != nil {
		n.Addresses = make(map[string][]Address, len(c.Addresses))
		for k, v := range c.Addresses {
			n.Addresses[k] = cloneSlice(v)
		}
	}
	return &n
}

// SameAs reports whether c and o are stored alike: the same record in the
// same state, their update times aside. A change that leaves a record the
// same as it was is not written (at rest the store's revision does not
// move).
func (c *Container) SameAs(o *Container) bool {
	a, b := *c, *o
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	ja, err := json.Marshal(&a)
	if err != nil {
		return false
	}
	jb, err := json.Marshal(&b)
	return err == nil && bytes.Equal(ja, jb)
}

// StatusDetail renders Docker-style detail for the status, such as
// "Up 3 mins" or "Exited(0) 8 mins ago", relative to now.
func (c *Container) StatusDetail(now time.Time) string {
	switch c.Status {
	case Running:
		if c.StartedAt.IsZero() {
			return "Up"
		}
		return "Up " + humanDuration(now.Sub(c.StartedAt))
	case Paused:
		if c.StartedAt.IsZero() {
			return "Up (paused)"
		}
		return "Up " + humanDuration(now.Sub(c.StartedAt)) + " (paused)"
	case Stopped:
		code := 0
		if c.ExitCode != nil {
			code = *c.ExitCode
		}
		d := "Exited(" + strconv.Itoa(code) + ")"
		if !c.FinishedAt.IsZero() {
			d += " " + humanDuration(now.Sub(c.FinishedAt)) + " ago"
		}
		return d
	case Created, Restarting, Dead:
		return string(c.Status)
	}
	return ""
}

func humanDuration(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d < time.Minute:
		return plural(int(d.Seconds()), "second")
	case d < time.Hour:
		return plural(int(d.Minutes()), "min")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	default:
		return plural(int(d.Hours()/24), "day")
	}
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	n := make(map[string]string, len(m))
	for k, v := range m {
		n[k] = v
	}
	return n
}
