// Package scheduler places new containers on compute hosts, the way Zun's
// filter scheduler does.
//
// A chain of filters (ComputeFilter, AvailabilityZoneFilter, CPUFilter,
// RamFilter, DiskFilter, SameHostFilter, DifferentHostFilter,
// RuntimeFilter, LabelFilter) rejects the hosts that cannot take a request,
// each rejection with a reason; a weigher (spread or pack) orders the rest
// and the scheduler picks at random among the best few. When no host is
// left, the NoValidHostError says which filter rejected how many hosts and
// why.
//
// Select is pure: it reads a request and a slice of host states and
// touches nothing else, so it can be tested and benchmarked alone. Schedule
// adapts it to containers and a HostSource. Claiming the chosen host's
// resources is the caller's business (a store transaction).
//
// See README.md for the chain and how to add a filter.
package scheduler

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// HostSource lists the compute hosts and resolves the same_host and
// different_host scheduler hints.
type HostSource interface {
	HostStates(ctx context.Context) ([]HostState, error)
	// HostsOf returns the hosts of the named containers (those not placed
	// yet have none).
	HostsOf(ctx context.Context, containerIDs []string) ([]string, error)
}

// Scheduler picks hosts for containers.
type Scheduler struct {
	cfg     Config
	filters []Filter
	weigher Weigher
	hosts   HostSource
	intn    func(n int) int // random in [0, n); replaced in tests
}

// New returns a scheduler with the default configuration over hosts.
func New(hosts HostSource) *Scheduler { return NewWithConfig(Default(), hosts) }

// NewWithConfig returns a scheduler configured by cfg, which should have
// passed Validate; its zero fields take their defaults. hosts may be nil if
// only Select is used.
func NewWithConfig(cfg Config, hosts HostSource) *Scheduler {
	cfg = cfg.withDefaults()
	return &Scheduler{
		cfg:     cfg,
		filters: newFilters(cfg),
		weigher: newWeigher(cfg),
		hosts:   hosts,
		intn:    rand.IntN,
	}
}

// newFilters returns the filter chain, in the order the filters run. The
// first filter to reject a host is the one its rejection is counted
// against, so the order is both a cost and a message decision.
func newFilters(cfg Config) []Filter {
	return []Filter{
		// Two booleans. First, so a host that is down is reported as
		// down and not as lacking anything.
		ComputeFilter{},
		// One string comparison; zones are the coarsest cut.
		AvailabilityZoneFilter{
			DefaultScheduleZone:     cfg.DefaultScheduleZone,
			DefaultAvailabilityZone: cfg.DefaultAvailabilityZone,
		},
		// Arithmetic on the host's resources, with overcommit.
		CPUFilter{AllocationRatio: cfg.CPUAllocationRatio},
		RamFilter{AllocationRatio: cfg.RAMAllocationRatio},
		DiskFilter{AllocationRatio: cfg.DiskAllocationRatio},
		// Scans of short lists: hinted hosts, the host's runtimes.
		SameHostFilter{},
		DifferentHostFilter{},
		RuntimeFilter{},
		// Map lookups, one per requested label.
		LabelFilter{},
	}
}

// Filters returns the names of the filters, in the order they run.
func (s *Scheduler) Filters() []string {
	names := make([]string, len(s.filters))
	for i, f := range s.filters {
		names[i] = f.Name()
	}
	return names
}

// maxFilters is the chain length Select handles without allocating.
const maxFilters = 16

// Select returns the host among hosts that should take req. A requested
// host that is not among hosts is ErrNotFound; when no host passes every
// filter, a *NoValidHostError (ErrUnavailable).
//
// Select does not modify hosts and allocates nothing per host.
func (s *Scheduler) Select(req Request, hosts []HostState) (HostState, error) {
	cands := hosts
	if req.RequestedHost != "" {
		i := indexHost(hosts, req.RequestedHost)
		if i < 0 {
			return HostState{}, unknownHost(req.RequestedHost)
		}
		cands = hosts[i : i+1]
	}

	// Run only the filters that have something to check for req.
	var activeBuf [maxFilters]Filter
	active := activeBuf[:0]
	for _, f := range s.filters {
		if f.Applies(&req) {
			active = append(active, f)
		}
	}
	var countBuf [maxFilters * maxReason]int
	counts := countBuf[:]
	if len(active) > maxFilters {
		counts = make([]int, len(active)*maxReason)
	}

	// The best hosts seen: those of the best rank, highest scores first.
	var (
		top      [maxSubset]int
		topScore [maxSubset]float64
		n        int
		bestRank int
		k        = s.cfg.HostSubsetSize
	)
	// Starting at a random host breaks ties between equal hosts at random.
	start := 0
	if len(cands) > 1 {
		start = s.intn(len(cands))
	}
hostLoop:
	for j := range cands {
		i := start + j
		if i >= len(cands) {
			i -= len(cands)
		}
		h := &cands[i]
		for fi, f := range active {
			if r := f.Check(&req, h); r != Pass {
				counts[fi*maxReason+int(r)]++
				continue hostLoop
			}
		}
		rank, score := s.weigher.Weigh(h)
		switch {
		case n == 0 || rank < bestRank:
			bestRank, n = rank, 0
		case rank > bestRank:
			continue hostLoop
		case n == k && score <= topScore[n-1]:
			continue hostLoop
		}
		// Insert, keeping scores in descending order; ties keep the host
		// seen first.
		p := min(n, k-1)
		for p > 0 && topScore[p-1] < score {
			top[p], topScore[p] = top[p-1], topScore[p-1]
			p--
		}
		top[p], topScore[p] = i, score
		if n < k {
			n++
		}
	}
	if n == 0 {
		return HostState{}, noValidHost(&req, active, counts)
	}
	pick := 0
	if n > 1 {
		pick = s.intn(n)
	}
	return cands[top[pick]], nil
}

func unknownHost(name string) error {
	return errdefs.NotFoundf("Requested host %s could not be found.", name)
}

func indexHost(hosts []HostState, name string) int {
	for i := range hosts {
		if hosts[i].Name == name {
			return i
		}
	}
	return -1
}

// Schedule returns the host for c. A requested host that does not exist is
// ErrNotFound; when no host can take c now, a *NoValidHostError
// (ErrUnavailable) whose message says why.
func (s *Scheduler) Schedule(ctx context.Context, c *container.Container) (string, error) {
	states, err := s.hosts.HostStates(ctx)
	if err != nil {
		return "", err
	}
	req, err := s.request(ctx, c)
	if err != nil {
		return "", err
	}
	h, err := s.Select(req, states)
	if err != nil {
		return "", err
	}
	return h.Name, nil
}

// Validate checks what a request says about where c may go before c is
// recorded: the requested host exists (ErrNotFound if not) and the hints
// name containers the caller can see (ErrInvalid if not). Whether a host
// has room is the placement's business.
func (s *Scheduler) Validate(ctx context.Context, c *container.Container) error {
	req, err := s.request(ctx, c)
	if err != nil || req.RequestedHost == "" {
		return err
	}
	states, err := s.hosts.HostStates(ctx)
	if err != nil {
		return err
	}
	if indexHost(states, req.RequestedHost) < 0 {
		return unknownHost(req.RequestedHost)
	}
	return nil
}

// Scheduler hints that name other containers, by UUID, comma-separated.
const (
	HintSameHost      = "same_host"
	HintDifferentHost = "different_host"
)

// request builds c's Request, resolving its hints through the host
// source.
func (s *Scheduler) request(ctx context.Context, c *container.Container) (Request, error) {
	req := Request{
		CPU:              c.CPU,
		MemoryMiB:        c.Memory,
		DiskGiB:          int64(c.Disk),
		Runtime:          c.Runtime,
		AvailabilityZone: c.AvailabilityZone,
		RequestedHost:    cmp.Or(c.RequestedHost, c.VolumeHost),
		Labels:           LabelsFromHints(c.Hints),
		ProjectID:        c.ProjectID,
	}
	var err error
	if req.SameHost, err = s.resolveHint(ctx, c.Hints[HintSameHost]); err != nil {
		return req, err
	}
	if req.DifferentHost, err = s.resolveHint(ctx, c.Hints[HintDifferentHost]); err != nil {
		return req, err
	}
	return req, nil
}

func (s *Scheduler) resolveHint(ctx context.Context, hint string) ([]string, error) {
	var ids []string
	for id := range strings.SplitSeq(hint, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	hosts, err := s.hosts.HostsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Containers not placed yet have no host and constrain nothing.
	return slices.DeleteFunc(hosts, func(h string) bool { return h == "" }), nil
}
