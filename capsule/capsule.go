// Package capsule is the capsule domain: Zun's group of containers that
// share one network namespace and the capsule's volumes, started together
// on one host (a Kubernetes pod). It holds the capsule template as Zun
// accepts it (Parse), the mapping from a template to the records the
// control plane stores (Build), and the rule that gives a capsule its
// status from those records (Status).
//
// A capsule is stored as records of the container store, as Zun keeps
// capsules in its containers table: the capsule's own record (a
// container.Container of Kind container.KindCapsule, with Capsule set),
// which holds what the capsule has as one unit (its cpu and memory, its
// claim and quota, its ports, its volumes), and one ordinary container
// record per member, whose CapsuleID is the capsule's uuid. The capsule
// record knows its members by uuid and by the name the template gave
// them (container.Member), in the template's order, init containers
// apart.
package capsule

import (
	"strconv"

	"github.com/zun-go/zun/container"
)

// Statuses of a capsule. Zun gives capsules the statuses of containers
// (its CAPSULE_STATUSES are defined but never used); see Status for how
// a capsule gets one.
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

// Status is the status of capsule rec, and its reason, from its own
// record and its members' (members by uuid; one missing, being deleted,
// is left out). The API shows it; it is not stored. In order:
//
//   - the capsule record's own Error (placement or its sandbox failed),
//     Deleting or Unknown (its host is not responding) wins, with the
//     record's reason;
//   - Error when a member is in Error ("container web: <its reason>"), or
//     when an init container stopped with a non-zero exit code ("init
//     container seed exited with code 3"): a stopped init container is
//     not restarted any more;
//   - Running when every container (init containers aside) runs; Stopped
//     when every one is stopped; Paused when every one is paused;
//   - else Creating while the capsule record or a member is still
//     Creating, Created otherwise.
func Status(rec *container.Container, members map[string]*container.Container) (container.Status, string) {
	if rec.Status == Error || rec.Status == Deleting || rec.Status == Unknown {
		return rec.Status, rec.StatusReason
	}
	k := rec.Capsule
	if k == nil {
		return rec.Status, rec.StatusReason
	}
	for _, m := range k.InitContainers {
		ct := members[m.UUID]
		switch {
		case ct == nil:
		case ct.Status == Error:
			return Error, memberReason("init container", m.Name, ct)
		case ct.Status == Stopped && ct.ExitCode != nil && *ct.ExitCode != 0:
			return Error, "init container " + m.Name + " exited with code " + strconv.Itoa(*ct.ExitCode)
		}
	}
	all := map[container.Status]int{}
	n := 0
	creating := rec.Status == Creating
	for _, m := range k.Containers {
		ct := members[m.UUID]
		if ct == nil {
			continue
		}
		if ct.Status == Error {
			return Error, memberReason("container", m.Name, ct)
		}
		all[ct.Status]++
		n++
	}
	for _, ct := range members {
		if ct.Status == Creating {
			creating = true
		}
	}
	for _, st := range []container.Status{Running, Stopped, Paused} {
		if n > 0 && all[st] == n && !creating {
			return st, ""
		}
	}
	if creating {
		return Creating, ""
	}
	return Created, ""
}

func memberReason(what, name string, ct *container.Container) string {
	if ct.StatusReason == "" {
		return what + " " + name + " failed"
	}
	return what + " " + name + ": " + ct.StatusReason
}
