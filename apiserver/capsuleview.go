package apiserver

import (
	"strconv"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/capsule"
	"github.com/zun-go/zun/container"
)

// capsuleTimeFormat is how Zun renders the timestamps of a capsule and of
// its containers: Python's str() of an aware datetime, "2019-05-18
// 21:02:12+00:00", which gophercloud's capsules package reads (it refuses
// RFC 3339's "T").
const capsuleTimeFormat = "2006-01-02 15:04:05-07:00"

func capsuleTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(capsuleTimeFormat)
}

// capsuleNewView is the microversion of Zun's capsule view with its
// containers as container views and name, labels and restart_policy under
// their own names; older versions get the legacy view.
var capsuleNewView = api.V(32)

// capsuleView renders the capsule whose record is c for the caller at
// version v, as Zun's capsules_view does:
//
//   - from 1.32: uuid, links, user_id, project_id, created_at,
//     updated_at, addresses, status, status_reason, restart_policy
//     ({Name, MaximumRetryCount}), name, labels, annotations, memory (a
//     string of MiB), cpu, init_containers and containers (container
//     views without links, init containers in order), host;
//   - before 1.32 the same, with meta_name and meta_labels for name and
//     labels, restart_policy as its Name, and the legacy keys
//     volumes_info ({}), containers_uuids, init_containers_uuids and
//     capsule_version. (Zun sends the legacy keys empty; here they hold
//     the members' uuids and the template's capsuleVersion.)
//
// status and status_reason are the capsule's, from its record and its
// members' (capsule.Status). Times, the members' too, are in Zun's
// capsuleTimeFormat.
//
// members holds the records of c's containers by uuid; one missing (being
// deleted) is left out. hidden holds the container fields the caller may
// not see (Server.hiddenFields); showHost is the capsule:get:host policy.
// base is the URL prefix of the links.
func capsuleView(c *container.Container, members map[string]*container.Container, v api.Version,
	hidden map[string]bool, showHost bool, base string, now time.Time) map[string]any {
	k := c.Capsule
	if k == nil {
		k = &container.Capsule{}
	}
	views := func(list []container.Member) []map[string]any {
		out := []map[string]any{}
		for _, m := range list {
			if ct := members[m.UUID]; ct != nil {
				cv := containerView(ct, v, hidden, "", now)
				cv["created_at"], cv["updated_at"] = capsuleTime(ct.CreatedAt), capsuleTime(ct.UpdatedAt)
				out = append(out, cv)
			}
		}
		return out
	}
	var addresses any
	if len(c.Addresses) > 0 {
		addresses = c.Addresses
	}
	status, reason := capsule.Status(c, members)
	restart := c.RestartPolicy
	if restart.Name == "" {
		restart.Name = "always"
	}
	fields := map[string]any{
		"uuid":          c.UUID,
		"user_id":       c.UserID,
		"project_id":    c.ProjectID,
		"created_at":    capsuleTime(c.CreatedAt),
		"updated_at":    capsuleTime(c.UpdatedAt),
		"addresses":     addresses,
		"status":        string(status),
		"status_reason": orNull(reason),
		"restart_policy": map[string]string{
			"Name":              restart.Name,
			"MaximumRetryCount": strconv.Itoa(restart.MaximumRetryCount),
		},
		"name":            orNull(c.Name),
		"labels":          nonNilMap(c.Labels),
		"annotations":     nonNilMap(k.Annotations),
		"memory":          strconv.FormatInt(c.Memory, 10),
		"cpu":             c.CPU,
		"init_containers": views(k.InitContainers),
		"containers":      views(k.Containers),
		"links": []api.Link{
			{Href: base + "/v1/capsules/" + c.UUID, Rel: "self"},
			{Href: base + "/capsules/" + c.UUID, Rel: "bookmark"},
		},
	}
	if showHost {
		fields["host"] = orNull(c.Host)
	}
	if v.Less(capsuleNewView) {
		fields["meta_name"], fields["meta_labels"] = fields["name"], fields["labels"]
		delete(fields, "name")
		delete(fields, "labels")
		fields["restart_policy"] = restart.Name
		fields["volumes_info"] = map[string]any{}
		fields["containers_uuids"] = memberUUIDs(k.Containers)
		fields["init_containers_uuids"] = memberUUIDs(k.InitContainers)
		fields["capsule_version"] = k.Version
	}
	return fields
}

func memberUUIDs(list []container.Member) []string {
	ids := make([]string, 0, len(list))
	for _, m := range list {
		ids = append(ids, m.UUID)
	}
	return ids
}
