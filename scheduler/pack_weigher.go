package scheduler

// PackWeigher is SpreadWeigher reversed: it prefers the host with the most
// containers and, among those, the least free memory, so that whole hosts
// stay empty (to drain, power off or hand to big containers).
type PackWeigher struct {
	RAMAllocationRatio float64
}

func (PackWeigher) Name() string { return "PackWeigher" }

func (w PackWeigher) Weigh(h *HostState) (int, float64) {
	return -h.Containers, -available(float64(h.MemoryMiB), w.RAMAllocationRatio, float64(h.UsedMemoryMiB))
}
