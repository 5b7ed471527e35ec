package docker

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

const mib = 1 << 20

// restartPolicies are the restart policies Docker knows.
var restartPolicies = []string{"no", "always", "on-failure", "unless-stopped"}

// configOf maps a container spec onto the engine's create request. hostName,
// when set, is written as driver.LabelHost. It returns an errdefs.ErrInvalid
// error for a spec no engine would take.
//
// CPU is both a quota (NanoCPUs, what `docker run --cpus` sets) and a
// relative weight (CPUShares, 1024 per vCPU, what Zun sets); memory is a
// hard limit in bytes.
func configOf(spec driver.Spec, hostName string) (*container.Config, *container.HostConfig, error) {
	if err := validate(spec); err != nil {
		return nil, nil, err
	}
	labels := maps.Clone(spec.Labels)
	if hostName != "" {
		labels[driver.LabelHost] = hostName
	}
	cfg := &container.Config{
		Image:      spec.Image,
		Cmd:        spec.Command,
		Entrypoint: spec.Entrypoint,
		Env:        envOf(spec.Env),
		Labels:     labels,
		WorkingDir: spec.Workdir,
		Hostname:   spec.Hostname,
		Tty:        spec.TTY,
		OpenStdin:  spec.Interactive,
	}
	if hc := spec.Healthcheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test:     hc.Test,
			Interval: hc.Interval,
			Timeout:  hc.Timeout,
			Retries:  hc.Retries,
		}
	}
	policy := spec.RestartPolicy.Name
	if policy == "" {
		policy = "no"
	}
	host := &container.HostConfig{
		RestartPolicy: container.RestartPolicy{
			Name:              container.RestartPolicyMode(policy),
			MaximumRetryCount: spec.RestartPolicy.MaxRetryCount,
		},
		AutoRemove:  spec.AutoRemove,
		Privileged:  spec.Privileged,
		Runtime:     spec.Runtime,
		NetworkMode: container.NetworkMode(spec.NetworkMode),
	}
	if spec.CPU > 0 {
		host.NanoCPUs = int64(math.Round(spec.CPU * 1e9))
		host.CPUShares = int64(math.Round(spec.CPU * 1024))
	}
	if spec.MemoryMiB > 0 {
		host.Memory = spec.MemoryMiB * mib
	}
	for _, m := range spec.Mounts {
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeBind, Source: m.Source, Target: m.Target})
	}
	return cfg, host, nil
}

// validate checks what the engine would otherwise refuse with a less clear
// message, or not at all.
func validate(spec driver.Spec) error {
	switch {
	case spec.Image == "":
		return errdefs.Invalidf("container %q: no image", spec.Name)
	case spec.Labels[driver.LabelManaged] != "true":
		return errdefs.Invalidf("container %q: label %s must be \"true\"", spec.Name, driver.LabelManaged)
	case driver.Owner(spec.Labels) == "":
		return errdefs.Invalidf("container %q: label %s (or %s) is missing", spec.Name, driver.LabelUUID, driver.LabelSandbox)
	case strings.HasPrefix(spec.NetworkMode, "container:") && spec.Hostname != "":
		return errdefs.Invalidf("container %q: a container in another's network namespace has its hostname", spec.Name)
	case spec.CPU < 0 || math.IsNaN(spec.CPU) || math.IsInf(spec.CPU, 0):
		return errdefs.Invalidf("container %q: invalid cpu %v", spec.Name, spec.CPU)
	case spec.MemoryMiB < 0:
		return errdefs.Invalidf("container %q: invalid memory %d MiB", spec.Name, spec.MemoryMiB)
	case spec.RestartPolicy.Name != "" && !slices.Contains(restartPolicies, spec.RestartPolicy.Name):
		return errdefs.Invalidf("container %q: invalid restart policy %q", spec.Name, spec.RestartPolicy.Name)
	case spec.RestartPolicy.MaxRetryCount < 0:
		return errdefs.Invalidf("container %q: invalid maximum retry count %d", spec.Name, spec.RestartPolicy.MaxRetryCount)
	}
	return nil
}

// envOf is env as the engine takes it, "KEY=value" sorted by key.
func envOf(env map[string]string) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
