package scheduler

import (
	"strconv"
	"testing"
)

// benchHosts returns n hosts of varied load in three zones; one in ten is
// down, one in five lacks the ssd label.
func benchHosts(n int) []HostState {
	hosts := make([]HostState, n)
	for i := range hosts {
		hosts[i] = HostState{
			Name:             "host-" + strconv.Itoa(i),
			AvailabilityZone: "az" + strconv.Itoa(i%3),
			Runtimes:         []string{"runc", "runsc"},
			Labels:           map[string]string{"ssd": strconv.FormatBool(i%5 != 0), "rack": strconv.Itoa(i % 40)},
			Up:               i%10 != 0,
			CPUs:             32,
			MemoryMiB:        131072,
			DiskGiB:          2000,
			DiskQuota:        i%7 != 0,
			UsedCPU:          float64(i % 64),
			UsedMemoryMiB:    int64(i%100) * 1500,
			UsedDiskGiB:      int64(i % 2000),
			Containers:       i % 50,
		}
	}
	return hosts
}

func BenchmarkSelect(b *testing.B) {
	hosts := benchHosts(10000)
	for _, bc := range []struct {
		name string
		req  Request
	}{
		{"plain", Request{}},
		{"resources", Request{CPU: 2, MemoryMiB: 4096, DiskGiB: 20}},
		{"everything", Request{CPU: 2, MemoryMiB: 4096, DiskGiB: 20, Runtime: "runsc", AvailabilityZone: "az1",
			Labels: map[string]string{"ssd": "true"}, DifferentHost: []string{"host-1", "host-2"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(nil)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Select(bc.req, hosts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
