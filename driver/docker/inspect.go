package docker

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/zun-go/zun/driver"
)

// Inspect returns the container's current state.
func (d *Driver) Inspect(ctx context.Context, id string) (driver.State, error) {
	resp, err := d.cli.ContainerInspect(ctx, id)
	if err != nil {
		return driver.State{}, wrap(err, "inspect container %q: %w", id)
	}
	return stateOf(resp), nil
}

// List returns the managed containers of this host, in every state, from
// one call to the engine. The engine's list is a summary: the states carry
// id, name, image, status, labels and ports, but no exit code, pid, error
// or times. Inspect a container for those.
func (d *Driver) List(ctx context.Context) ([]driver.State, error) {
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: d.managed()})
	if err != nil {
		return nil, wrap(err, "list containers: %w")
	}
	states := make([]driver.State, 0, len(list))
	for _, c := range list {
		states = append(states, summaryState(c))
	}
	return states, nil
}

// managed is the filter that selects this driver's containers.
func (d *Driver) managed() filters.Args {
	args := filters.NewArgs(filters.Arg("label", driver.LabelManaged+"=true"))
	if d.hostName != "" {
		args.Add("label", driver.LabelHost+"="+d.hostName)
	}
	return args
}

// stateOf is the state an inspect answer shows.
func stateOf(resp container.InspectResponse) driver.State {
	st := driver.State{}
	if base := resp.ContainerJSONBase; base != nil {
		st.ID = base.ID
		st.Name = strings.TrimPrefix(base.Name, "/")
		if s := base.State; s != nil {
			st.Status = s.Status
			st.ExitCode = s.ExitCode
			st.Error = s.Error
			if st.Error == "" && s.OOMKilled {
				st.Error = "out of memory"
			}
			st.Pid = s.Pid
			st.StartedAt = parseTime(s.StartedAt)
			st.FinishedAt = parseTime(s.FinishedAt)
		}
		if hc := base.HostConfig; hc != nil {
			st.NetworkMode = string(hc.NetworkMode)
		}
	}
	if cfg := resp.Config; cfg != nil {
		st.Image = cfg.Image
		st.Labels = cfg.Labels
		st.Hostname = cfg.Hostname
		for p := range cfg.ExposedPorts {
			if n, err := strconv.Atoi(p.Port()); err == nil {
				st.Ports = append(st.Ports, n)
			}
		}
	}
	return finishPorts(st)
}

// summaryState is the state a list entry shows.
func summaryState(c container.Summary) driver.State {
	st := driver.State{ID: c.ID, Image: c.Image, Status: c.State, Labels: c.Labels}
	if len(c.Names) > 0 {
		st.Name = strings.TrimPrefix(c.Names[0], "/")
	}
	for _, p := range c.Ports {
		st.Ports = append(st.Ports, int(p.PrivatePort))
	}
	return finishPorts(st)
}

// finishPorts sorts the ports and drops duplicates (80/tcp and 80/udp).
func finishPorts(st driver.State) driver.State {
	slices.Sort(st.Ports)
	st.Ports = slices.Compact(st.Ports)
	return st
}

// parseTime reads the engine's RFC 3339 times; its "0001-01-01T00:00:00Z"
// (never) and anything unreadable are the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return time.Time{}
	}
	return t
}
