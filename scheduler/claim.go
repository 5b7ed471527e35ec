package scheduler

import (
	"fmt"

	"github.com/zun-go/zun/host"
)

// ClaimCheck returns the check the store applies to every claim on a host
// (host.NewEtcdStore): the same capacity rules as the CPU, RAM and Disk
// filters, with the same ratios, so that what the scheduler chose from a
// slightly old view is refused if the room has gone in the meantime.
func (c Config) ClaimCheck() func(h host.Host, used, delta host.Usage) error {
	c = c.withDefaults()
	return func(h host.Host, used, delta host.Usage) error {
		f := h.Facts
		if f.CPUs > 0 && delta.CPU > 0 && used.CPU+delta.CPU > float64(f.CPUs)*c.CPUAllocationRatio {
			return &host.ClaimError{Host: h.Name, Reason: fmt.Sprintf("%g of %g vCPUs are claimed", used.CPU, float64(f.CPUs)*c.CPUAllocationRatio)}
		}
		if f.MemoryMiB > 0 && delta.MemoryMiB > 0 && float64(used.MemoryMiB+delta.MemoryMiB) > float64(f.MemoryMiB)*c.RAMAllocationRatio {
			return &host.ClaimError{Host: h.Name, Reason: fmt.Sprintf("%d of %.0f MiB are claimed", used.MemoryMiB, float64(f.MemoryMiB)*c.RAMAllocationRatio)}
		}
		if f.DiskGiB > 0 && delta.DiskGiB > 0 && float64(used.DiskGiB+delta.DiskGiB) > float64(f.DiskGiB)*c.DiskAllocationRatio {
			return &host.ClaimError{Host: h.Name, Reason: fmt.Sprintf("%d of %.0f GiB are claimed", used.DiskGiB, float64(f.DiskGiB)*c.DiskAllocationRatio)}
		}
		return nil
	}
}
