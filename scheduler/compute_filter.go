package scheduler

// ComputeFilter passes the hosts that are up and enabled.
type ComputeFilter struct{}

// ComputeFilter's reasons.
const (
	computeDown Reason = iota + 1
	computeDisabled
)

func (ComputeFilter) Name() string              { return "ComputeFilter" }
func (ComputeFilter) Applies(req *Request) bool { return true }

func (ComputeFilter) Check(_ *Request, h *HostState) Reason {
	switch {
	case h.Disabled:
		return computeDisabled
	case !h.Up:
		return computeDown
	}
	return Pass
}

func (ComputeFilter) Explain(_ *Request, r Reason, n int) string {
	if r == computeDisabled {
		return hosts(n) + verb(n, " is", " are") + " disabled"
	}
	return hosts(n) + verb(n, " is", " are") + " down"
}
