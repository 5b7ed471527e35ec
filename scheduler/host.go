package scheduler

// HostState is what the scheduler knows of a compute host: where it is, what
// it offers and how much of it is in use.
//
// A capacity of zero (CPUs, MemoryMiB, DiskGiB) or an empty Runtimes list
// means the host did not report it; the matching filter then lets the host
// pass, because an unknown is not a no. Hosts that report them are held to
// them.
type HostState struct {
	Name             string
	AvailabilityZone string            // empty: Config.DefaultAvailabilityZone
	Runtimes         []string          // OCI runtimes the host offers: runc, runsc...
	Labels           map[string]string // operator labels, matched by LabelFilter
	OS, Arch         string            // informational for now

	Up             bool   // heard from recently
	Disabled       bool   // taken out of scheduling by an operator
	DisabledReason string // why, as the operator said
	NotReady       string // why the host cannot run containers now, as its agent said

	// Physical capacity; the allocation ratios in Config scale it.
	CPUs      float64
	MemoryMiB int64
	DiskGiB   int64
	// DiskQuota says the host can cap a container's root filesystem
	// (Zun's disk_quota_supported): only such hosts take a container
	// that asks for disk.
	DiskQuota bool

	// What the containers placed on the host claim.
	UsedCPU       float64
	UsedMemoryMiB int64
	UsedDiskGiB   int64
	Containers    int
}

// Request is what one container asks of its host.
type Request struct {
	CPU       float64 // vCPUs; 0 asks for none
	MemoryMiB int64
	DiskGiB   int64

	Runtime          string // empty: any host
	AvailabilityZone string // empty: Config.DefaultScheduleZone, then any
	RequestedHost    string // admin only: this host and no other

	// Labels the host must carry with exactly these values. Zun takes them
	// from the scheduler hints named "label:<key>".
	Labels map[string]string

	// Host names of the containers named in the same_host and
	// different_host hints, resolved by the caller.
	SameHost      []string
	DifferentHost []string

	ProjectID string
}
