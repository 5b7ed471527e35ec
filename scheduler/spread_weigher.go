package scheduler

// SpreadWeigher, the default, prefers the host with the fewest containers
// and, among those, the most free memory. It spreads load and failure
// domains, and works on hosts that report no resources at all, since every
// host's container count is known.
type SpreadWeigher struct {
	RAMAllocationRatio float64
}

func (SpreadWeigher) Name() string { return "SpreadWeigher" }

func (w SpreadWeigher) Weigh(h *HostState) (int, float64) {
	return h.Containers, available(float64(h.MemoryMiB), w.RAMAllocationRatio, float64(h.UsedMemoryMiB))
}
