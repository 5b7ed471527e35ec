package scheduler

// AvailabilityZoneFilter passes the hosts in the requested availability zone
// (or the configured default schedule zone). A host that reports no zone is
// in the default availability zone.
type AvailabilityZoneFilter struct {
	DefaultScheduleZone     string // zone of requests that name none; empty: any
	DefaultAvailabilityZone string // zone of hosts that report none
}

func (f AvailabilityZoneFilter) Name() string { return "AvailabilityZoneFilter" }

func (f AvailabilityZoneFilter) zone(req *Request) string {
	if req.AvailabilityZone != "" {
		return req.AvailabilityZone
	}
	return f.DefaultScheduleZone
}

func (f AvailabilityZoneFilter) Applies(req *Request) bool { return f.zone(req) != "" }

func (f AvailabilityZoneFilter) Check(req *Request, h *HostState) Reason {
	want := f.zone(req)
	if want == "" {
		return Pass
	}
	az := h.AvailabilityZone
	if az == "" {
		az = f.DefaultAvailabilityZone
	}
	if az != want {
		return 1
	}
	return Pass
}

func (f AvailabilityZoneFilter) Explain(req *Request, _ Reason, n int) string {
	return hosts(n) + verb(n, " is", " are") + " not in availability zone " + f.zone(req)
}
