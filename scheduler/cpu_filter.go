package scheduler

import "strconv"

// CPUFilter passes the hosts with enough free vCPUs: physical CPUs times
// the CPU allocation ratio (Zun: 16.0), less what containers claim.
type CPUFilter struct {
	AllocationRatio float64
}

func (f CPUFilter) Name() string              { return "CPUFilter" }
func (f CPUFilter) Applies(req *Request) bool { return req.CPU > 0 }

func (f CPUFilter) Check(req *Request, h *HostState) Reason {
	if h.CPUs > 0 && available(h.CPUs, f.AllocationRatio, h.UsedCPU) < req.CPU {
		return 1
	}
	return Pass
}

func (f CPUFilter) Explain(req *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " lacks ", " lack ") + strconv.FormatFloat(req.CPU, 'g', -1, 64) + " free vCPUs"
}
