package capsule

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/container"
)

// BuildOptions are what a capsule's records take from outside its
// template.
type BuildOptions struct {
	// ProjectID and UserID own the capsule and its containers.
	ProjectID, UserID string
	// Limits give a container that requests no cpu or memory the
	// defaults a plain container gets (DefaultCPU, DefaultMemory), and
	// every container the default image driver.
	Limits schema.Limits
	// Now is the creation time of the records.
	Now time.Time
}

// Build makes what the control plane stores for a capsule created from s:
// the capsule record, in status Creating, and one container record per
// member, init containers first, in the template's order, then the
// containers, each in status Creating with Zun's mapping of the template:
//
//   - name: "capsule-<capsule name, or uuid when unnamed>-<template name>";
//     the template's name is kept in the capsule's Member list;
//   - command: command followed by args; env → environment, workDir →
//     workdir, stdin → interactive, tty → tty, imagePullPolicy →
//     image_pull_policy in lower case;
//   - ports → exposed_ports "<containerPort>/<tcp|udp>", sorted, once each;
//   - resources.requests → cpu and memory; a container that requests
//     none gets Limits.DefaultCPU and Limits.DefaultMemory, as a plain
//     container does (Zun leaves them unset; quota.Of counts the same
//     defaults for such a container);
//   - restart policy: the capsule's, {Name, 0}; an init container gets
//     on-failure with 10 retries when the capsule's is always, so that
//     it ends;
//   - volumeMounts → volume mounts of the capsule's volumes: an existing
//     volume by its id (Source and VolumeID), or the new volume of the
//     capsule (Size, AutoRemove and the VolumeID chosen here, the same in
//     every member that mounts it).
//
// The capsule's CPU and Memory are the sum over its containers, then at
// least each init container's, which run alone before them (Zun's rule).
// The caller sets placement, the op and any policy on the records.
func Build(s *Spec, o BuildOptions) (*Capsule, []*container.Container) {
	c := &Capsule{
		Schema:           SchemaVersion,
		UUID:             uuid.NewString(),
		Name:             s.Name,
		ProjectID:        o.ProjectID,
		UserID:           o.UserID,
		CapsuleVersion:   s.CapsuleVersion,
		Labels:           maps.Clone(s.Labels),
		Annotations:      maps.Clone(s.Annotations),
		RestartPolicy:    container.RestartPolicy{Name: s.RestartPolicy},
		AvailabilityZone: s.AvailabilityZone,
		Containers:       []Member{},
		Status:           Creating,
		CreatedAt:        o.Now,
	}
	if c.RestartPolicy.Name == "" {
		c.RestartPolicy.Name = "always"
	}
	for _, v := range s.Volumes {
		vol := Volume{Name: v.Name, VolumeID: v.VolumeID, Size: v.Size, AutoRemove: v.AutoRemove}
		if vol.New() {
			vol.VolumeID = uuid.NewString()
		} else {
			vol.AutoRemove = false // an existing volume outlives the capsule
		}
		c.Volumes = append(c.Volumes, vol)
	}

	prefix := "capsule-" + c.UUID + "-"
	if c.Name != "" {
		prefix = "capsule-" + c.Name + "-"
	}
	members := make([]*container.Container, 0, len(s.InitContainers)+len(s.Containers))
	for _, cs := range s.InitContainers {
		ct := c.member(prefix, cs, o)
		if c.RestartPolicy.Name == "always" {
			ct.RestartPolicy = container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 10}
		}
		c.InitContainers = append(c.InitContainers, Member{UUID: ct.UUID, Name: cs.Name})
		members = append(members, ct)
	}
	for _, cs := range s.Containers {
		ct := c.member(prefix, cs, o)
		c.Containers = append(c.Containers, Member{UUID: ct.UUID, Name: cs.Name})
		members = append(members, ct)
	}
	c.CPU, c.Memory = Resources(members[:len(s.InitContainers)], members[len(s.InitContainers):])
	return c, members
}

// Resources returns what a capsule of these init containers and
// containers asks of its host: the sum of the containers' cpu (vCPUs)
// and memory (MiB), then at least each init container's.
func Resources(inits, containers []*container.Container) (cpu float64, memory int64) {
	for _, ct := range containers {
		cpu += ct.CPU
		memory += ct.Memory
	}
	for _, ct := range inits {
		cpu = max(cpu, ct.CPU)
		memory = max(memory, ct.Memory)
	}
	return math.Round(cpu*1000) / 1000, memory
}

// member makes the container record of one member of c.
func (c *Capsule) member(prefix string, cs ContainerSpec, o BuildOptions) *container.Container {
	ct := &container.Container{
		Schema:          container.SchemaVersion,
		UUID:            uuid.NewString(),
		Name:            prefix + cs.Name,
		ProjectID:       o.ProjectID,
		UserID:          o.UserID,
		Image:           cs.Image,
		ImageDriver:     o.Limits.DefaultImageDriver,
		ImagePullPolicy: strings.ToLower(cs.ImagePullPolicy),
		Command:         append(slices.Clip(slices.Clone(cs.Command)), cs.Args...),
		CPU:             cs.CPU,
		Memory:          cs.Memory,
		Environment:     maps.Clone(cs.Env),
		Workdir:         cs.WorkDir,
		RestartPolicy:   c.RestartPolicy,
		Interactive:     cs.Stdin,
		TTY:             cs.TTY,
		ExposedPorts:    exposedPorts(cs.Ports),
		Status:          container.Creating,
		CreatedAt:       o.Now,
	}
	if len(ct.Command) == 0 {
		ct.Command = nil
	}
	if ct.CPU == 0 {
		ct.CPU = o.Limits.DefaultCPU
	}
	if ct.Memory == 0 {
		ct.Memory = o.Limits.DefaultMemory
	}
	for _, vm := range cs.VolumeMounts {
		i := slices.IndexFunc(c.Volumes, func(v Volume) bool { return v.Name == vm.Name })
		if i < 0 {
			continue // Parse refuses a mount of an undeclared volume
		}
		v := c.Volumes[i]
		m := container.Mount{Type: container.MountVolume, Destination: vm.MountPath, VolumeID: v.VolumeID}
		if v.New() {
			m.Size, m.AutoRemove = strconv.Itoa(v.Size), v.AutoRemove
		} else {
			m.Source = v.VolumeID
		}
		ct.Mounts = append(ct.Mounts, m)
	}
	return ct
}

// exposedPorts maps ports to Zun's exposed_ports keys, "80/tcp", sorted
// by port then protocol, each once.
func exposedPorts(ports []PortSpec) []string {
	type key struct {
		port  int
		proto string
	}
	var keys []key
	for _, p := range ports {
		k := key{p.ContainerPort, strings.ToLower(p.Protocol)}
		if k.proto == "" {
			k.proto = "tcp"
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.port != b.port {
			return a.port - b.port
		}
		return strings.Compare(a.proto, b.proto)
	})
	var out []string
	for _, k := range keys {
		out = append(out, strconv.Itoa(k.port)+"/"+k.proto)
	}
	return out
}
