package docker

import (
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/zun-go/zun/driver"
)

func TestCPUPercent(t *testing.T) {
	t.Parallel()
	cpu := func(total, system uint64, online uint32, percpu int) container.CPUStats {
		return container.CPUStats{
			CPUUsage:    container.CPUUsage{TotalUsage: total, PercpuUsage: make([]uint64, percpu)},
			SystemUsage: system, OnlineCPUs: online,
		}
	}
	for _, tc := range []struct {
		name     string
		cur, pre container.CPUStats
		want     float64
	}{
		{"one of two cpus busy", cpu(1500, 12000, 2, 0), cpu(1000, 11000, 2, 0), 100},
		{"a quarter of one cpu", cpu(1250, 14000, 4, 0), cpu(1000, 10000, 4, 0), 25},
		{"cpus from per-cpu usage (cgroup v1, old engines)", cpu(1500, 12000, 0, 2), cpu(1000, 11000, 0, 2), 100},
		{"first reading (no previous)", cpu(1500, 12000, 2, 0), cpu(0, 0, 0, 0), 25},
		{"idle", cpu(1000, 12000, 2, 0), cpu(1000, 11000, 2, 0), 0},
		{"stopped (all zero)", cpu(0, 0, 0, 0), cpu(0, 0, 0, 0), 0},
		{"counter went back", cpu(900, 12000, 2, 0), cpu(1000, 11000, 2, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cpuPercent(tc.cur, tc.pre); got != tc.want {
				t.Fatalf("cpuPercent: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMemUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mem  container.MemoryStats
		want uint64
	}{
		{"cgroup v1", container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"total_inactive_file": 300, "inactive_file": 100}}, 700},
		{"cgroup v2", container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"inactive_file": 100}}, 900},
		{"no cache figures", container.MemoryStats{Usage: 1000}, 1000},
		{"cache above usage", container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"inactive_file": 2000}}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := memUsage(tc.mem); got != tc.want {
				t.Fatalf("memUsage: got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestStatsOf(t *testing.T) {
	t.Parallel()
	var s container.StatsResponse
	s.CPUStats = container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1500}, SystemUsage: 12000, OnlineCPUs: 2}
	s.PreCPUStats = container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1000}, SystemUsage: 11000}
	s.MemoryStats = container.MemoryStats{Usage: 1 << 20, Limit: 64 << 20, Stats: map[string]uint64{"total_inactive_file": 1 << 10}}
	s.BlkioStats.IoServiceBytesRecursive = []container.BlkioStatEntry{
		{Op: "Read", Value: 10}, {Op: "Write", Value: 20}, {Op: "read", Value: 1}, {Op: "write", Value: 2}, {Op: "Total", Value: 33},
	}
	s.Networks = map[string]container.NetworkStats{"eth0": {RxBytes: 100, TxBytes: 200}, "eth1": {RxBytes: 1, TxBytes: 2}}

	want := driver.Stats{CPUPercent: 100, MemUsageBytes: 1<<20 - 1<<10, MemLimitBytes: 64 << 20,
		BlockRead: 11, BlockWrite: 22, NetRx: 101, NetTx: 202}
	if got := statsOf(s); got != want {
		t.Fatalf("statsOf: got %+v, want %+v", got, want)
	}
}
