package scheduler

// ComputeFilter passes the hosts that are up, enabled and ready (their
// runtime answers).
type ComputeFilter struct{}

// ComputeFilter's reasons.
const (
	computeDown Reason = iota + 1
	computeDisabled
	computeNotReady
)

func (ComputeFilter) Name() string              { return "ComputeFilter" }
func (ComputeFilter) Applies(req *Request) bool { return true }

func (ComputeFilter) Check(_ *Request, h *HostState) Reason {
	switch {
	case h.Disabled:
		return computeDisabled
	case !h.Up:
		return computeDown
	case h.NotReady != "":
		return computeNotReady
	}
	return Pass
}

func (ComputeFilter) Explain(_ *Request, r Reason, n int) string {
	switch r {
	case computeDisabled:
		return hosts(n) + verb(n, " is", " are") + " disabled"
	case computeNotReady:
		return hosts(n) + verb(n, " is", " are") + " not ready (the container runtime does not answer)"
	}
	return hosts(n) + verb(n, " is", " are") + " down"
}
