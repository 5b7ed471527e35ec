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
// the capsule's record and one container record per member, init
// containers first, in the template's order, then the containers, all in
// status Creating. They are stored together (container.GroupStore's
// CreateGroup, the capsule's record first).
//
// The capsule's record (Kind container.KindCapsule) holds what the
// capsule has as one unit:
//
//   - Name, Labels, AvailabilityZone and RestartPolicy from the template
//     ({Name, 0}; "always" when it gave none), and in Capsule its
//     version, annotations, members and volumes;
//   - CPU and Memory: the sum over its containers, then at least each
//     init container's, which run alone before them (Zun's rule, see
//     Resources);
//   - ExposedPorts: the union of its members' (the ports are the
//     capsule's: its members share its namespace);
//   - Mounts: one volume mount per capsule volume, with no Destination
//     (the members mount them): a new volume has its VolumeID chosen here,
//     its Size and AutoRemove, and no Source; an existing one has Source
//     and VolumeID set to its id (its Size is the caller's to fill in when
//     it finds the volume).
//
// Each member has Zun's mapping of the template:
//
//   - name: "capsule-<capsule name, or uuid when unnamed>-<template name>";
//     the template's name is kept in the capsule's member list;
//   - command: command followed by args; env → environment, workDir →
//     workdir, stdin → interactive, tty → tty, imagePullPolicy →
//     image_pull_policy in lower case;
//   - ports → exposed_ports "<containerPort>/<tcp|udp>", sorted, once each;
//   - resources.requests → cpu and memory; a container that requests
//     none gets Limits.DefaultCPU and Limits.DefaultMemory, as a plain
//     container does (Zun leaves them unset);
//   - restart policy: the capsule's; an init container gets on-failure
//     with 10 retries when the capsule's is always, so that it ends;
//   - volumeMounts → volume mounts of the capsule's volumes, naming the
//     capsule's VolumeID (the same in every member that mounts it).
//
// The caller sets placement, the op and any policy on the records.
func Build(s *Spec, o BuildOptions) (rec *container.Container, members []*container.Container) {
	k := &container.Capsule{
		Version:     s.CapsuleVersion,
		Annotations: maps.Clone(s.Annotations),
		Containers:  []container.Member{},
	}
	rec = &container.Container{
		Schema:           container.SchemaVersion,
		Kind:             container.KindCapsule,
		Capsule:          k,
		UUID:             uuid.NewString(),
		Name:             s.Name,
		ProjectID:        o.ProjectID,
		UserID:           o.UserID,
		Labels:           maps.Clone(s.Labels),
		RestartPolicy:    container.RestartPolicy{Name: s.RestartPolicy},
		AvailabilityZone: s.AvailabilityZone,
		Status:           Creating,
		CreatedAt:        o.Now,
	}
	if rec.RestartPolicy.Name == "" {
		rec.RestartPolicy.Name = "always"
	}
	for _, v := range s.Volumes {
		vol := container.CapsuleVolume{Name: v.Name, VolumeID: v.VolumeID, Size: v.Size, AutoRemove: v.AutoRemove}
		m := container.Mount{Type: container.MountVolume}
		if vol.New() {
			vol.VolumeID = uuid.NewString()
			m.VolumeID, m.Size, m.AutoRemove = vol.VolumeID, strconv.Itoa(vol.Size), vol.AutoRemove
		} else {
			vol.AutoRemove = false // an existing volume outlives the capsule
			m.Source, m.VolumeID = vol.VolumeID, vol.VolumeID
		}
		k.Volumes = append(k.Volumes, vol)
		rec.Mounts = append(rec.Mounts, m)
	}

	prefix := "capsule-" + rec.UUID + "-"
	if rec.Name != "" {
		prefix = "capsule-" + rec.Name + "-"
	}
	members = make([]*container.Container, 0, len(s.InitContainers)+len(s.Containers))
	var ports []PortSpec
	for _, cs := range s.InitContainers {
		ct := member(rec, prefix, cs, o)
		if rec.RestartPolicy.Name == "always" {
			ct.RestartPolicy = container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 10}
		}
		k.InitContainers = append(k.InitContainers, container.Member{UUID: ct.UUID, Name: cs.Name})
		members = append(members, ct)
		ports = append(ports, cs.Ports...)
	}
	for _, cs := range s.Containers {
		ct := member(rec, prefix, cs, o)
		k.Containers = append(k.Containers, container.Member{UUID: ct.UUID, Name: cs.Name})
		members = append(members, ct)
		ports = append(ports, cs.Ports...)
	}
	rec.ExposedPorts = exposedPorts(ports)
	rec.CPU, rec.Memory = Resources(members[:len(s.InitContainers)], members[len(s.InitContainers):])
	return rec, members
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

// member makes the container record of one member of capsule rec.
func member(rec *container.Container, prefix string, cs ContainerSpec, o BuildOptions) *container.Container {
	ct := &container.Container{
		Schema:           container.SchemaVersion,
		UUID:             uuid.NewString(),
		CapsuleID:        rec.UUID,
		Name:             prefix + cs.Name,
		ProjectID:        o.ProjectID,
		UserID:           o.UserID,
		Image:            cs.Image,
		ImageDriver:      o.Limits.DefaultImageDriver,
		ImagePullPolicy:  strings.ToLower(cs.ImagePullPolicy),
		Command:          append(slices.Clip(slices.Clone(cs.Command)), cs.Args...),
		CPU:              cs.CPU,
		Memory:           cs.Memory,
		Environment:      maps.Clone(cs.Env),
		Workdir:          cs.WorkDir,
		RestartPolicy:    rec.RestartPolicy,
		Interactive:      cs.Stdin,
		TTY:              cs.TTY,
		ExposedPorts:     exposedPorts(cs.Ports),
		AvailabilityZone: rec.AvailabilityZone,
		Status:           container.Creating,
		CreatedAt:        o.Now,
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
	vols := rec.Capsule.Volumes
	for _, vm := range cs.VolumeMounts {
		i := slices.IndexFunc(vols, func(v container.CapsuleVolume) bool { return v.Name == vm.Name })
		if i < 0 {
			continue // Parse refuses a mount of an undeclared volume
		}
		v := vols[i]
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
