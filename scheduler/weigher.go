package scheduler

// A Weigher orders the hosts that pass every filter.
//
// The scheduler keeps the hosts of the best (lowest) rank and, among them,
// the Config.HostSubsetSize of highest score, and picks one of those at
// random: ranks are never traded away, scores only within a rank.
type Weigher interface {
	Name() string
	// Weigh returns h's rank (lower is better) and score (higher is
	// better within a rank). It runs once per host and must not allocate.
	Weigh(h *HostState) (rank int, score float64)
}

// newWeigher returns the weigher that cfg names; cfg has its defaults.
func newWeigher(cfg Config) Weigher {
	if cfg.Weigher == WeigherPack {
		return PackWeigher{RAMAllocationRatio: cfg.RAMAllocationRatio}
	}
	return SpreadWeigher{RAMAllocationRatio: cfg.RAMAllocationRatio}
}
