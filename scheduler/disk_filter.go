package scheduler

import "strconv"

// DiskFilter passes the hosts with enough free disk: physical disk times the
// disk allocation ratio (Zun: 1.0), less what containers claim.
type DiskFilter struct {
	AllocationRatio float64
}

func (f DiskFilter) Name() string              { return "DiskFilter" }
func (f DiskFilter) Applies(req *Request) bool { return req.DiskGiB > 0 }

func (f DiskFilter) Check(req *Request, h *HostState) Reason {
	if h.DiskGiB > 0 && available(float64(h.DiskGiB), f.AllocationRatio, float64(h.UsedDiskGiB)) < float64(req.DiskGiB) {
		return 1
	}
	return Pass
}

func (f DiskFilter) Explain(req *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " lacks ", " lack ") + strconv.FormatInt(req.DiskGiB, 10) + " GiB of free disk"
}
