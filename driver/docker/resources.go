package docker

import (
	"context"
	"encoding/json"
	"math"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// Update changes the container's CPU and memory limits while it runs;
// a zero field is left unchanged. A new memory limit lifts the swap limit
// (the engine refuses a memory limit above the swap limit set at create).
func (d *Driver) Update(ctx context.Context, id string, r driver.Resources) error {
	if r.CPU < 0 || math.IsNaN(r.CPU) || math.IsInf(r.CPU, 0) || r.MemoryMiB < 0 {
		return errdefs.Invalidf("update container %q: invalid resources cpu %v, memory %d MiB", id, r.CPU, r.MemoryMiB)
	}
	var res container.Resources
	if r.CPU > 0 {
		res.NanoCPUs = int64(math.Round(r.CPU * 1e9))
		res.CPUShares = int64(math.Round(r.CPU * 1024))
	}
	if r.MemoryMiB > 0 {
		res.Memory = r.MemoryMiB * mib
		res.MemorySwap = -1
	}
	if _, err := d.cli.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: res}); err != nil {
		return wrap(err, "update container %q: %w", id)
	}
	return nil
}

// Stats samples the container's resource use once. The engine takes two
// readings about a second apart, so CPUPercent is the use over that second,
// computed as `docker stats` does. A container that is not running has
// zero use.
func (d *Driver) Stats(ctx context.Context, id string) (driver.Stats, error) {
	resp, err := d.cli.ContainerStats(ctx, id, false)
	if err != nil {
		return driver.Stats{}, wrap(err, "stats of container %q: %w", id)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return driver.Stats{}, wrap(err, "stats of container %q: decode: %w", id)
	}
	return statsOf(s), nil
}

// statsOf reduces the engine's stats to the driver's.
func statsOf(s container.StatsResponse) driver.Stats {
	out := driver.Stats{
		CPUPercent:    cpuPercent(s.CPUStats, s.PreCPUStats),
		MemUsageBytes: memUsage(s.MemoryStats),
		MemLimitBytes: s.MemoryStats.Limit,
	}
	for _, e := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(e.Op) {
		case "read":
			out.BlockRead += e.Value
		case "write":
			out.BlockWrite += e.Value
		}
	}
	for _, n := range s.Networks {
		out.NetRx += n.RxBytes
		out.NetTx += n.TxBytes
	}
	return out
}

// cpuPercent is the container's share of the host's CPU time between two
// readings, scaled by the number of CPUs: 100 is one CPU fully used.
func cpuPercent(cur, pre container.CPUStats) float64 {
	cpuDelta := float64(cur.CPUUsage.TotalUsage) - float64(pre.CPUUsage.TotalUsage)
	sysDelta := float64(cur.SystemUsage) - float64(pre.SystemUsage)
	cpus := float64(cur.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(len(cur.CPUUsage.PercpuUsage))
	}
	if cpuDelta <= 0 || sysDelta <= 0 {
		return 0
	}
	return cpuDelta / sysDelta * cpus * 100
}

// memUsage is the memory in use less the page cache the kernel can
// reclaim: total_inactive_file on cgroup v1, inactive_file on v2.
func memUsage(m container.MemoryStats) uint64 {
	cache, ok := m.Stats["total_inactive_file"]
	if !ok {
		cache = m.Stats["inactive_file"]
	}
	if cache >= m.Usage {
		return m.Usage // a cache figure that makes no sense is ignored
	}
	return m.Usage - cache
}

// Interface guards
var (
	_ driver.Updater = (*Driver)(nil)
	_ driver.Statter = (*Driver)(nil)
)
