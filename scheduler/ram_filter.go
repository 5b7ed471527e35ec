package scheduler

import "strconv"

// RamFilter passes the hosts with enough free memory: physical memory times
// the RAM allocation ratio (Zun: 1.5), less what containers claim.
type RamFilter struct {
	AllocationRatio float64
}

func (f RamFilter) Name() string              { return "RamFilter" }
func (f RamFilter) Applies(req *Request) bool { return req.MemoryMiB > 0 }

func (f RamFilter) Check(req *Request, h *HostState) Reason {
	if h.MemoryMiB > 0 && available(float64(h.MemoryMiB), f.AllocationRatio, float64(h.UsedMemoryMiB)) < float64(req.MemoryMiB) {
		return 1
	}
	return Pass
}

func (f RamFilter) Explain(req *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " lacks ", " lack ") + strconv.FormatInt(req.MemoryMiB, 10) + " MiB of free memory"
}
