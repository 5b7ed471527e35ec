package scheduler

import "slices"

// RuntimeFilter passes the hosts that offer the requested OCI runtime
// (runc, runsc...). A host that reports no runtimes passes.
type RuntimeFilter struct{}

func (RuntimeFilter) Name() string              { return "RuntimeFilter" }
func (RuntimeFilter) Applies(req *Request) bool { return req.Runtime != "" }

func (RuntimeFilter) Check(req *Request, h *HostState) Reason {
	if len(h.Runtimes) > 0 && !slices.Contains(h.Runtimes, req.Runtime) {
		return 1
	}
	return Pass
}

func (RuntimeFilter) Explain(req *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " does", " do") + " not offer runtime " + req.Runtime
}
