package schema

import (
	"fmt"
	"slices"
)

// Limits bound what a container may ask for, and fill in what it did not.
// They are the [DEFAULT] options of Zun's zun.conf of the same meaning; a
// deployment that changed them in Zun should change them here too.
type Limits struct {
	// MinCPU and MaxCPU bound the cpu of a container, in vCPUs (Zun's
	// minimum_cpus, maximum_cpus).
	MinCPU, MaxCPU float64
	// DefaultCPU is the cpu of a container created without one
	// (default_cpu). Docker gets cpu_shares = 1024 × cpu.
	DefaultCPU float64

	// MinMemory and MaxMemory bound the memory of a container, in MiB
	// (minimum_memory, maximum_memory). Docker refuses less than 4 MiB.
	MinMemory, MaxMemory int64
	// DefaultMemory is the memory of a container created without one, in
	// MiB (default_memory).
	DefaultMemory int64

	// MinDisk and MaxDisk bound the disk of a container, in GiB
	// (minimum_disk, maximum_disk).
	MinDisk, MaxDisk int
	// DefaultDisk is the disk given by the compute host to a container
	// created without one, in GiB, when the host's storage driver supports
	// disk quotas (default_disk). The API leaves an unset disk at 0.
	DefaultDisk int

	// ImageDrivers are the image drivers a container may name
	// (image_driver_list); DefaultImageDriver is used when it names none
	// (default_image_driver).
	ImageDrivers       []string
	DefaultImageDriver string
}

// DefaultLimits returns Zun's defaults.
func DefaultLimits() Limits {
	return Limits{
		MinCPU:             0.1,
		MaxCPU:             16.0,
		DefaultCPU:         1.0,
		MinMemory:          4,
		MaxMemory:          8192,
		DefaultMemory:      512,
		MinDisk:            1,
		MaxDisk:            160,
		DefaultDisk:        10,
		ImageDrivers:       []string{"glance", "docker"},
		DefaultImageDriver: "docker",
	}
}

// Validate reports limits that no request could satisfy or defaults that
// break the limits.
func (l Limits) Validate() error {
	switch {
	case l.MinCPU <= 0 || l.MinCPU > l.MaxCPU:
		return fmt.Errorf("limits: cpu range [%g, %g] is empty or not positive", l.MinCPU, l.MaxCPU)
	case l.DefaultCPU < l.MinCPU || l.DefaultCPU > l.MaxCPU:
		return fmt.Errorf("limits: default cpu %g is outside [%g, %g]", l.DefaultCPU, l.MinCPU, l.MaxCPU)
	case l.MinMemory <= 0 || l.MinMemory > l.MaxMemory:
		return fmt.Errorf("limits: memory range [%d, %d] MiB is empty or not positive", l.MinMemory, l.MaxMemory)
	case l.DefaultMemory < l.MinMemory || l.DefaultMemory > l.MaxMemory:
		return fmt.Errorf("limits: default memory %d MiB is outside [%d, %d]", l.DefaultMemory, l.MinMemory, l.MaxMemory)
	case l.MinDisk <= 0 || l.MinDisk > l.MaxDisk:
		return fmt.Errorf("limits: disk range [%d, %d] GiB is empty or not positive", l.MinDisk, l.MaxDisk)
	case l.DefaultDisk < l.MinDisk || l.DefaultDisk > l.MaxDisk:
		return fmt.Errorf("limits: default disk %d GiB is outside [%d, %d]", l.DefaultDisk, l.MinDisk, l.MaxDisk)
	case len(l.ImageDrivers) == 0:
		return fmt.Errorf("limits: no image drivers")
	case !slices.Contains(l.ImageDrivers, l.DefaultImageDriver):
		return fmt.Errorf("limits: default image driver %q is not one of %q", l.DefaultImageDriver, l.ImageDrivers)
	}
	return nil
}
