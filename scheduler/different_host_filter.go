package scheduler

import "slices"

// DifferentHostFilter passes the hosts that run none of the containers named
// in the different_host scheduler hint (Request.DifferentHost holds their
// hosts).
type DifferentHostFilter struct{}

func (DifferentHostFilter) Name() string              { return "DifferentHostFilter" }
func (DifferentHostFilter) Applies(req *Request) bool { return len(req.DifferentHost) > 0 }

func (DifferentHostFilter) Check(req *Request, h *HostState) Reason {
	if slices.Contains(req.DifferentHost, h.Name) {
		return 1
	}
	return Pass
}

func (DifferentHostFilter) Explain(_ *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " runs", " run") + " a different_host container"
}
