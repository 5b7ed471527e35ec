package scheduler

import "slices"

// SameHostFilter passes the hosts that run one of the containers named in
// the same_host scheduler hint (Request.SameHost holds their hosts).
type SameHostFilter struct{}

func (SameHostFilter) Name() string              { return "SameHostFilter" }
func (SameHostFilter) Applies(req *Request) bool { return len(req.SameHost) > 0 }

func (SameHostFilter) Check(req *Request, h *HostState) Reason {
	if len(req.SameHost) > 0 && !slices.Contains(req.SameHost, h.Name) {
		return 1
	}
	return Pass
}

func (SameHostFilter) Explain(_ *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " does", " do") + " not run the same_host containers"
}
