package scheduler

import "strconv"

// DiskFilter passes the hosts that can cap a container's root filesystem
// (Zun's disk_quota_supported) and have enough free disk: physical disk
// times the disk allocation ratio (Zun: 1.0), less what containers claim.
type DiskFilter struct {
	AllocationRatio float64
}

func (f DiskFilter) Name() string              { return "DiskFilter" }
func (f DiskFilter) Applies(req *Request) bool { return req.DiskGiB > 0 }

// Reasons of DiskFilter.
const (
	diskShort   Reason = 1
	diskNoQuota Reason = 2
)

func (f DiskFilter) Check(req *Request, h *HostState) Reason {
	if !h.DiskQuota {
		return diskNoQuota
	}
	if h.DiskGiB > 0 && available(float64(h.DiskGiB), f.AllocationRatio, float64(h.UsedDiskGiB)) < float64(req.DiskGiB) {
		return diskShort
	}
	return Pass
}

func (f DiskFilter) Explain(req *Request, r Reason, n int) string {
	if r == diskNoQuota {
		return hosts(n) + verb(n, " cannot", " cannot") + " cap a container's disk (disk_quota_supported is false)"
	}
	return hosts(n) + verb(n, " lacks ", " lack ") + strconv.FormatInt(req.DiskGiB, 10) + " GiB of free disk"
}
