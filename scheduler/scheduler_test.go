package scheduler

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// newTest returns a scheduler whose random choices are always the first.
func newTest(cfg Config) *Scheduler {
	s := NewWithConfig(cfg, nil)
	s.intn = func(int) int { return 0 }
	return s
}

func TestChainOrder(t *testing.T) {
	t.Parallel()
	want := []string{"ComputeFilter", "AvailabilityZoneFilter", "CPUFilter", "RamFilter", "DiskFilter",
		"SameHostFilter", "DifferentHostFilter", "RuntimeFilter", "LabelFilter"}
	if got := New(nil).Filters(); !slices.Equal(got, want) {
		t.Fatalf("chain %v, want %v", got, want)
	}
}

func TestSelectNoValidHost(t *testing.T) {
	t.Parallel()
	down := with(up("down"), func(h *HostState) { h.Up = false })
	full := func(name string) HostState {
		return with(up(name), func(h *HostState) { h.UsedMemoryMiB = 12288 })
	}
	for _, tc := range []struct {
		name  string
		req   Request
		hosts []HostState
		want  string
	}{
		{"no hosts", Request{}, nil,
			"No valid host was found. There are not enough hosts available."},
		{"most rejections first", Request{MemoryMiB: 2048}, []HostState{down, full("a"), full("b"), full("c")},
			"No valid host was found. RamFilter: 3 hosts lack 2048 MiB of free memory; ComputeFilter: 1 host is down"},
		{"first rejecting filter counts", Request{MemoryMiB: 2048, Runtime: "runsc"},
			[]HostState{with(full("a"), func(h *HostState) { h.Runtimes = []string{"runc"} }), with(up("b"), func(h *HostState) { h.Runtimes = []string{"runc"} })},
			"No valid host was found. RamFilter: 1 host lacks 2048 MiB of free memory; RuntimeFilter: 1 host does not offer runtime runsc"},
		{"two reasons of one filter", Request{},
			[]HostState{down, with(up("off"), func(h *HostState) { h.Disabled = true }), with(up("off2"), func(h *HostState) { h.Disabled = true })},
			"No valid host was found. ComputeFilter: 2 hosts are disabled; ComputeFilter: 1 host is down"},
		{"requested host down", Request{RequestedHost: "down"}, []HostState{up("a"), down},
			"No valid host was found. ComputeFilter: 1 host is down"},
		{"requested host full", Request{RequestedHost: "a", MemoryMiB: 2048}, []HostState{full("a"), up("b")},
			"No valid host was found. RamFilter: 1 host lacks 2048 MiB of free memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := newTest(Default()).Select(tc.req, tc.hosts)
			var nv *NoValidHostError
			if !errors.As(err, &nv) || !errdefs.IsUnavailable(err) {
				t.Fatalf("got %q, %v; want unavailable no valid host", h.Name, err)
			}
			if err.Error() != tc.want {
				t.Fatalf("message\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	busy := func(name string, containers int, freeMiB int64) HostState {
		return with(up(name), func(h *HostState) {
			h.Containers = containers
			h.MemoryMiB = 10000
			h.UsedMemoryMiB = 10000 - freeMiB
		})
	}
	one := Config{HostSubsetSize: 1, RAMAllocationRatio: 1}
	pack := Config{Weigher: WeigherPack, HostSubsetSize: 1, RAMAllocationRatio: 1}
	for _, tc := range []struct {
		name  string
		cfg   Config
		req   Request
		hosts []HostState
		want  string
	}{
		{"spread: fewest containers", one, Request{},
			[]HostState{busy("a", 3, 9000), busy("b", 1, 100), busy("c", 2, 9000)}, "b"},
		{"spread: then most free memory", one, Request{},
			[]HostState{busy("a", 1, 1000), busy("b", 1, 5000), busy("c", 2, 9000)}, "b"},
		{"pack: most containers", pack, Request{},
			[]HostState{busy("a", 3, 9000), busy("b", 1, 100), busy("c", 2, 9000)}, "a"},
		{"pack: then least free memory", pack, Request{},
			[]HostState{busy("a", 3, 9000), busy("b", 3, 1000), busy("c", 1, 10)}, "b"},
		{"pack: only hosts that fit", pack, Request{MemoryMiB: 2000},
			[]HostState{busy("a", 3, 9000), busy("b", 3, 1000), busy("c", 1, 10)}, "a"},
		{"spread: skips down host", one, Request{},
			[]HostState{with(busy("a", 0, 9000), func(h *HostState) { h.Up = false }), busy("b", 5, 100)}, "b"},
		{"ram ratio lets overcommit", Config{HostSubsetSize: 1, RAMAllocationRatio: 2}, Request{MemoryMiB: 12000},
			[]HostState{busy("a", 0, 1000), busy("b", 9, 9000)}, "b"},
		{"cpu ratio default 16", one, Request{CPU: 64},
			[]HostState{with(up("a"), func(h *HostState) { h.CPUs = 3 }), up("b")}, "b"},
		{"requested host wins over weights", one, Request{RequestedHost: "a"},
			[]HostState{busy("a", 9, 10), busy("b", 0, 9000)}, "a"},
		{"same host", one, Request{SameHost: []string{"a"}},
			[]HostState{busy("a", 9, 10), busy("b", 0, 9000)}, "a"},
		{"different host", one, Request{DifferentHost: []string{"b"}},
			[]HostState{busy("a", 9, 10), busy("b", 0, 9000)}, "a"},
		{"availability zone", one, Request{AvailabilityZone: "nova"},
			[]HostState{with(busy("a", 0, 10), func(h *HostState) { h.AvailabilityZone = "az1" }), busy("b", 9, 10)}, "b"},
		{"labels", one, Request{Labels: map[string]string{"ssd": "true"}},
			[]HostState{busy("a", 0, 10), with(busy("b", 9, 10), func(h *HostState) { h.Labels = map[string]string{"ssd": "true"} })}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := newTest(tc.cfg).Select(tc.req, tc.hosts)
			if err != nil || h.Name != tc.want {
				t.Fatalf("got %q, %v; want %q", h.Name, err, tc.want)
			}
		})
	}
}

func TestSelectRequestedHostNotFound(t *testing.T) {
	t.Parallel()
	_, err := New(nil).Select(Request{RequestedHost: "nope"}, []HostState{up("a")})
	if !errdefs.IsNotFound(err) || err.Error() != "Requested host nope could not be found." {
		t.Fatalf("got %v, want not found", err)
	}
}

// TestSelectSubset checks that the random choice is among the best few of
// the best rank, and that every one of them can be chosen.
func TestSelectSubset(t *testing.T) {
	t.Parallel()
	hosts := []HostState{
		with(up("a"), func(h *HostState) { h.UsedMemoryMiB = 100 }),
		with(up("b"), func(h *HostState) { h.UsedMemoryMiB = 300 }),
		with(up("c"), func(h *HostState) { h.UsedMemoryMiB = 200 }),
		with(up("d"), func(h *HostState) { h.UsedMemoryMiB = 400 }),
		with(up("e"), func(h *HostState) { h.UsedMemoryMiB = 0; h.Containers = 1 }), // worse rank
	}
	s := NewWithConfig(Config{HostSubsetSize: 3}, nil)
	seen := map[string]int{}
	for range 2000 {
		h, err := s.Select(Request{}, hosts)
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Name]++
	}
	if len(seen) != 3 || seen["a"] == 0 || seen["b"] == 0 || seen["c"] == 0 {
		t.Fatalf("chose %v, want a, b and c only", seen)
	}
}

// TestSelectTiesRandom checks that equal hosts are all chosen, not the first.
func TestSelectTiesRandom(t *testing.T) {
	t.Parallel()
	hosts := []HostState{up("a"), up("b"), up("c"), up("d"), up("e"), up("f")}
	s := NewWithConfig(Config{HostSubsetSize: 1}, nil)
	seen := map[string]int{}
	for range 3000 {
		h, _ := s.Select(Request{}, hosts)
		seen[h.Name]++
	}
	if len(seen) != len(hosts) {
		t.Fatalf("chose %v, want every host", seen)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		bad  string
	}{
		{"default", Default(), ""},
		{"zero takes defaults", Config{}, ""},
		{"pack", Config{Weigher: WeigherPack}, ""},
		{"unknown weigher", Config{Weigher: "random"}, "weigher"},
		{"negative ratio", Config{RAMAllocationRatio: -1}, "ram allocation ratio"},
		{"subset too big", Config{HostSubsetSize: 17}, "subset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errdefs.IsInvalid(err) || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("got %v, want invalid naming %q", err, tc.bad)
			}
		})
	}
	d := Default()
	if d.CPUAllocationRatio != 16 || d.RAMAllocationRatio != 1.5 || d.DiskAllocationRatio != 1 || d.Weigher != WeigherSpread {
		t.Fatalf("defaults %+v are not Zun's", d)
	}
	if got := (Config{}).withDefaults(); got != d {
		t.Fatalf("zero config %+v, want %+v", got, d)
	}
}

// source is a HostSource.
type source struct {
	hosts []HostState
	of    map[string]string // container UUID → host
}

func (s source) HostStates(context.Context) ([]HostState, error) { return s.hosts, nil }

func (s source) HostsOf(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		out = append(out, s.of[id])
	}
	return out, nil
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	hosts := []HostState{
		with(up("a"), func(h *HostState) { h.Runtimes = []string{"runc"} }),
		with(up("b"), func(h *HostState) {
			h.Runtimes = []string{"runc", "runsc"}
			h.Labels = map[string]string{"ssd": "true"}
			h.AvailabilityZone = "az1"
			h.Containers = 4
		}),
		with(up("c"), func(h *HostState) { h.Up = false }),
	}
	hinted := source{hosts: hosts, of: map[string]string{"u1": "b", "u2": "", "u3": "a"}}
	for _, tc := range []struct {
		name    string
		src     HostSource
		c       container.Container
		want    string
		wantErr error
	}{
		{"spread", hinted, container.Container{}, "a", nil},
		{"runtime", hinted, container.Container{Runtime: "runsc"}, "b", nil},
		{"label hint", hinted, container.Container{Hints: map[string]string{"label:ssd": "true"}}, "b", nil},
		{"availability zone", hinted, container.Container{AvailabilityZone: "az1"}, "b", nil},
		{"memory", hinted, container.Container{Memory: 12289}, "", errdefs.ErrUnavailable},
		{"memory fits with ratio", hinted, container.Container{Memory: 12288}, "a", nil},
		{"same host", hinted, container.Container{Hints: map[string]string{"same_host": "u1, u2"}}, "b", nil},
		{"same host unplaced", hinted, container.Container{Hints: map[string]string{"same_host": "u2"}}, "a", nil},
		{"different host", hinted, container.Container{Hints: map[string]string{"different_host": "u3"}}, "b", nil},
		{"requested host", hinted, container.Container{RequestedHost: "b"}, "b", nil},
		{"requested host down", hinted, container.Container{RequestedHost: "c"}, "", errdefs.ErrUnavailable},
		{"requested host unknown", hinted, container.Container{RequestedHost: "x"}, "", errdefs.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(tc.src)
			s.intn = func(int) int { return 0 }
			got, err := s.Schedule(context.Background(), &tc.c)
			if got != tc.want || !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestSelectDoesNotAllocatePerHost(t *testing.T) {
	hosts := benchHosts(1000)
	s := New(nil)
	req := Request{CPU: 1, MemoryMiB: 512, DiskGiB: 5, Runtime: "runc", Labels: map[string]string{"ssd": "true"}}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Select(req, hosts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Fatalf("%v allocations per Select of 1000 hosts", allocs)
	}
}
