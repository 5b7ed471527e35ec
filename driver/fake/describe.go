package fake

import (
	"context"

	"github.com/zun-go/zun/driver"
)

// Describe implements driver.Describer with Options.Facts.
func (d *Driver) Describe(context.Context) (driver.HostFacts, error) {
	f := d.opts.Facts
	if f.CPUs == 0 {
		f.CPUs = 8
	}
	if f.MemoryMiB == 0 {
		f.MemoryMiB = int64(d.opts.HostMemory >> 20)
	}
	if f.DiskGiB == 0 {
		f.DiskGiB = 100
	}
	if f.OSType == "" {
		f.OS, f.OSType, f.Architecture, f.KernelVersion = "Fake OS", "linux", "x86_64", "0.0.0-fake"
	}
	f.DiskQuota = !d.opts.NoDiskQuota
	if f.Runtimes == nil {
		f.Runtimes = []string{"runc"}
	}
	return f, nil
}

// Interface guards
var _ driver.Describer = (*Driver)(nil)
