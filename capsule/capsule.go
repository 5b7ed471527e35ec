// Package capsule is the capsule domain: Zun's group of containers that
// share one network namespace and the capsule's volumes, started together
// on one host (a Kubernetes pod). It holds the capsule template as Zun
// accepts it (Parse), the record the control plane keeps for a capsule
// (Capsule), and the mapping from a template to that record and to one
// container.Container per member (Build).
//
// The members are ordinary container records; the capsule knows them by
// uuid and by the name the template gave them (Member), in the template's
// order, init containers apart. The runtime (a sandbox owning the
// namespace) and the routes are built on top of this package elsewhere.
package capsule

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/zun-go/zun/container"
)

// SchemaVersion is the version of the stored record's shape.
const SchemaVersion = 1

// Statuses of a capsule. Zun gives capsules the statuses of containers
// (its CAPSULE_STATUSES are defined but never used): a capsule is Creating
// from the request until its host has made it, then takes the status of
// its sandbox (Created, Running, Stopped...), Error with a reason when
// placing, making or an init container fails, and Deleting while it goes.
const (
	Creating = container.Creating
	Created  = container.Created
	Running  = container.Running
	Stopped  = container.Stopped
	Paused   = container.Paused
	Error    = container.Error
	Unknown  = container.Unknown
	Deleting = container.Deleting
)

// Statuses lists the statuses a capsule may be in.
var Statuses = []container.Status{Creating, Created, Running, Stopped, Paused, Error, Unknown, Deleting}

// Member is a container of a capsule.
type Member struct {
	// UUID is the member's container record.
	UUID string `json:"uuid"`
	// Name is the name the template gave the container (or the one given
	// to it when the template gave none, see Parse), unique in the
	// capsule. It is kept here, not in the container record, because it
	// means something only within its capsule: it is how an orchestrator
	// and the capsule's own routes name the container, while the record's
	// Name is a project-wide container name.
	Name string `json:"name"`
}

// Volume is a volume of the capsule, mounted by one or more members.
type Volume struct {
	// Name is the volume's name in the template.
	Name string `json:"name"`
	// VolumeID is the volume: an existing one named by the template, or,
	// when Size is set, the id given to the new volume made for the
	// capsule (chosen by Build, so that every member's mount names the
	// same volume).
	VolumeID string `json:"volume_id"`
	// Size, in GiB, is set when the template asked for a new volume.
	Size int `json:"size,omitempty"`
	// AutoRemove deletes a new volume with the capsule. (Zun ignores it
	// for an existing volume, which is never deleted.)
	AutoRemove bool `json:"auto_remove,omitempty"`
}

// New reports whether the volume is made for the capsule.
func (v Volume) New() bool { return v.Size > 0 }

// Capsule is the control plane's record of a capsule.
type Capsule struct {
	Schema int `json:"schema"`

	UUID      string `json:"uuid"`
	Name      string `json:"name,omitempty"`
	ProjectID string `json:"project_id"`
	UserID    string `json:"user_id"`

	// The spec, as asked for.
	// CapsuleVersion is the template's capsuleVersion ("beta"), "" when
	// it gave none.
	CapsuleVersion   string                  `json:"capsule_version,omitempty"`
	Labels           map[string]string       `json:"labels,omitempty"`
	Annotations      map[string]string       `json:"annotations,omitempty"`
	RestartPolicy    container.RestartPolicy `json:"restart_policy"`
	AvailabilityZone string                  `json:"availability_zone,omitempty"`
	// CPU (vCPUs) and Memory (MiB) are what the capsule asks of its host:
	// the sum over its containers, at least the largest init container's.
	CPU    float64 `json:"cpu"`
	Memory int64   `json:"memory"`
	// InitContainers run one after the other, in this order, each to its
	// end, before Containers start.
	InitContainers []Member `json:"init_containers,omitempty"`
	Containers     []Member `json:"containers"`
	Volumes        []Volume `json:"volumes,omitempty"`
	Host           string   `json:"host,omitempty"`
	// What was last seen.
	Status       container.Status               `json:"status"`
	StatusReason string                         `json:"status_reason,omitempty"`
	TaskState    container.TaskState            `json:"task_state,omitempty"`
	Addresses    map[string][]container.Address `json:"addresses,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`

	// Revision is the store's revision of this record, for compare-and-swap.
	Revision int64 `json:"-"`
}

// MemberUUIDs returns the uuids of the capsule's containers, init
// containers first, in order.
func (c *Capsule) MemberUUIDs() []string {
	ids := make([]string, 0, len(c.InitContainers)+len(c.Containers))
	for _, m := range c.InitContainers {
		ids = append(ids, m.UUID)
	}
	for _, m := range c.Containers {
		ids = append(ids, m.UUID)
	}
	return ids
}

// Member returns the member the template named name, init containers
// included, and whether there is one.
func (c *Capsule) Member(name string) (Member, bool) {
	for _, list := range [][]Member{c.InitContainers, c.Containers} {
		for _, m := range list {
			if m.Name == name {
				return m, true
			}
		}
	}
	return Member{}, false
}

// Clone returns a deep copy of c.
func (c *Capsule) Clone() *Capsule {
	n := *c
	n.Labels = maps.Clone(c.Labels)
	n.Annotations = maps.Clone(c.Annotations)
	n.InitContainers = slices.Clone(c.InitContainers)
	n.Containers = slices.Clone(c.Containers)
	n.Volumes = slices.Clone(c.Volumes)
	if c.Addresses != nil {
		n.Addresses = make(map[string][]container.Address, len(c.Addresses))
		for k, v := range c.Addresses {
			n.Addresses[k] = slices.Clone(v)
		}
	}
	return &n
}

// SameAs reports whether c and o are stored alike, their update times
// aside.
func (c *Capsule) SameAs(o *Capsule) bool {
	a, b := *c, *o
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	ja, err := json.Marshal(&a)
	if err != nil {
		return false
	}
	jb, err := json.Marshal(&b)
	return err == nil && bytes.Equal(ja, jb)
}
