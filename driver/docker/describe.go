package docker

import (
	"context"
	"slices"
	"syscall"

	"github.com/zun-go/zun/driver"
)

// Describe implements driver.Describer from the engine's info; the disk
// is the filesystem of the engine's data root when it is on this machine.
func (d *Driver) Describe(ctx context.Context) (driver.HostFacts, error) {
	info, err := d.cli.Info(ctx)
	if err != nil {
		return driver.HostFacts{}, wrap(err, "engine info: %w")
	}
	f := driver.HostFacts{
		CPUs:          info.NCPU,
		MemoryMiB:     info.MemTotal >> 20,
		OS:            info.OperatingSystem,
		OSType:        info.OSType,
		Architecture:  info.Architecture,
		KernelVersion: info.KernelVersion,
	}
	for name := range info.Runtimes {
		f.Runtimes = append(f.Runtimes, name)
	}
	slices.Sort(f.Runtimes)
	if e, err := d.engine(ctx); err == nil {
		f.DiskQuota = e.diskQuota
	}
	var st syscall.Statfs_t
	if info.DockerRootDir != "" && syscall.Statfs(info.DockerRootDir, &st) == nil {
		f.DiskGiB = int64(st.Blocks) * int64(st.Bsize) >> 30
	}
	return f, nil
}

// Interface guards
var _ driver.Describer = (*Driver)(nil)
