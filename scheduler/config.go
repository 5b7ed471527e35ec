package scheduler

import (
	"math"

	"github.com/zun-go/zun/errdefs"
)

// Weigher names accepted in Config.Weigher.
const (
	WeigherSpread = "spread"
	WeigherPack   = "pack"
)

// maxSubset bounds Config.HostSubsetSize; the top hosts are kept in a fixed
// array so that Select does not allocate per host.
const maxSubset = 16

// Config is the scheduler's configuration.
type Config struct {
	// Weigher orders the hosts that pass every filter: "spread" (the
	// default) puts a container on the host with the fewest containers, then
	// the most free memory; "pack" on the host with the most containers,
	// then the least free memory.
	Weigher string

	// HostSubsetSize is how many of the best hosts (of equal container
	// count) the scheduler chooses from at random, so that schedulers and
	// creates racing on the same view do not all pick the same host.
	// 1 always takes the best host. Default 3, at most 16.
	HostSubsetSize int

	// Allocation ratios: how far the hosts' physical CPU, memory and disk
	// may be overcommitted. Zun's defaults are 16.0, 1.5 and 1.0 (Zun's
	// initial_*_allocation_ratio); 0 means the default.
	CPUAllocationRatio  float64
	RAMAllocationRatio  float64
	DiskAllocationRatio float64

	// DefaultAvailabilityZone is the zone of hosts that report none
	// (Zun: default_availability_zone, "nova").
	DefaultAvailabilityZone string
	// DefaultScheduleZone is the zone of containers that ask for none
	// (Zun: default_schedule_zone, empty: any zone).
	DefaultScheduleZone string
}

// Default returns the default configuration.
func Default() Config {
	return Config{
		Weigher:                 WeigherSpread,
		HostSubsetSize:          3,
		CPUAllocationRatio:      16.0,
		RAMAllocationRatio:      1.5,
		DiskAllocationRatio:     1.0,
		DefaultAvailabilityZone: "nova",
	}
}

// withDefaults fills the zero fields of c from Default.
func (c Config) withDefaults() Config {
	d := Default()
	if c.Weigher == "" {
		c.Weigher = d.Weigher
	}
	if c.HostSubsetSize == 0 {
		c.HostSubsetSize = d.HostSubsetSize
	}
	if c.CPUAllocationRatio == 0 {
		c.CPUAllocationRatio = d.CPUAllocationRatio
	}
	if c.RAMAllocationRatio == 0 {
		c.RAMAllocationRatio = d.RAMAllocationRatio
	}
	if c.DiskAllocationRatio == 0 {
		c.DiskAllocationRatio = d.DiskAllocationRatio
	}
	if c.DefaultAvailabilityZone == "" {
		c.DefaultAvailabilityZone = d.DefaultAvailabilityZone
	}
	return c
}

// Validate reports the first invalid field of c. Zero fields are valid:
// they take their defaults.
func (c Config) Validate() error {
	switch c.Weigher {
	case "", WeigherSpread, WeigherPack:
	default:
		return errdefs.Invalidf("scheduler weigher %q: must be %q or %q", c.Weigher, WeigherSpread, WeigherPack)
	}
	if c.HostSubsetSize < 0 || c.HostSubsetSize > maxSubset {
		return errdefs.Invalidf("scheduler host subset size %d: must be between 1 and %d", c.HostSubsetSize, maxSubset)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"cpu", c.CPUAllocationRatio},
		{"ram", c.RAMAllocationRatio},
		{"disk", c.DiskAllocationRatio},
	} {
		if r.v < 0 || math.IsNaN(r.v) || math.IsInf(r.v, 0) {
			return errdefs.Invalidf("scheduler %s allocation ratio %v: must be a positive number", r.name, r.v)
		}
	}
	return nil
}
