package scheduler

import (
	"testing"
)

// up is a host that is up, with 4 CPUs, 8 GiB of memory and 100 GiB of
// disk, none of it used.
func up(name string) HostState {
	return HostState{Name: name, Up: true, CPUs: 4, MemoryMiB: 8192, DiskGiB: 100, DiskQuota: true}
}

func with(h HostState, f func(*HostState)) HostState { f(&h); return h }

func TestFilters(t *testing.T) {
	t.Parallel()
	d := Default()
	for _, tc := range []struct {
		name    string
		filter  Filter
		req     Request
		host    HostState
		applies bool
		pass    bool
		explain string // for 2 rejected hosts
	}{
		{"compute up", ComputeFilter{}, Request{}, up("h"), true, true, ""},
		{"compute down", ComputeFilter{}, Request{}, with(up("h"), func(h *HostState) { h.Up = false }), true, false, "2 hosts are down"},
		{"compute disabled", ComputeFilter{}, Request{}, with(up("h"), func(h *HostState) { h.Disabled = true }), true, false, "2 hosts are disabled"},
		{"compute not ready", ComputeFilter{}, Request{}, with(up("h"), func(h *HostState) { h.NotReady = "docker engine is unreachable" }), true, false, "2 hosts are not ready (the container runtime does not answer)"},

		{"az none asked", AvailabilityZoneFilter{DefaultAvailabilityZone: "nova"}, Request{}, up("h"), false, true, ""},
		{"az match", AvailabilityZoneFilter{DefaultAvailabilityZone: "nova"}, Request{AvailabilityZone: "az1"}, with(up("h"), func(h *HostState) { h.AvailabilityZone = "az1" }), true, true, ""},
		{"az mismatch", AvailabilityZoneFilter{DefaultAvailabilityZone: "nova"}, Request{AvailabilityZone: "az1"}, with(up("h"), func(h *HostState) { h.AvailabilityZone = "az2" }), true, false, "2 hosts are not in availability zone az1"},
		{"az host default zone", AvailabilityZoneFilter{DefaultAvailabilityZone: "nova"}, Request{AvailabilityZone: "nova"}, up("h"), true, true, ""},
		{"az default schedule zone", AvailabilityZoneFilter{DefaultScheduleZone: "az1", DefaultAvailabilityZone: "nova"}, Request{}, up("h"), true, false, "2 hosts are not in availability zone az1"},

		{"cpu none asked", CPUFilter{AllocationRatio: 1}, Request{}, up("h"), false, true, ""},
		{"cpu fits", CPUFilter{AllocationRatio: 1}, Request{CPU: 4}, up("h"), true, true, ""},
		{"cpu too much", CPUFilter{AllocationRatio: 1}, Request{CPU: 4.5}, up("h"), true, false, "2 hosts lack 4.5 free vCPUs"},
		{"cpu overcommit", CPUFilter{AllocationRatio: d.CPUAllocationRatio}, Request{CPU: 60}, with(up("h"), func(h *HostState) { h.UsedCPU = 4 }), true, true, ""},
		{"cpu overcommit full", CPUFilter{AllocationRatio: d.CPUAllocationRatio}, Request{CPU: 61}, with(up("h"), func(h *HostState) { h.UsedCPU = 4 }), true, false, "2 hosts lack 61 free vCPUs"},
		{"cpu unreported", CPUFilter{AllocationRatio: 1}, Request{CPU: 64}, HostState{Name: "h", Up: true}, true, true, ""},

		{"ram fits", RamFilter{AllocationRatio: 1}, Request{MemoryMiB: 8192}, up("h"), true, true, ""},
		{"ram too much", RamFilter{AllocationRatio: 1}, Request{MemoryMiB: 2048}, with(up("h"), func(h *HostState) { h.UsedMemoryMiB = 7000 }), true, false, "2 hosts lack 2048 MiB of free memory"},
		{"ram overcommit 1.5", RamFilter{AllocationRatio: d.RAMAllocationRatio}, Request{MemoryMiB: 4096}, with(up("h"), func(h *HostState) { h.UsedMemoryMiB = 8192 }), true, true, ""},
		{"ram overcommit full", RamFilter{AllocationRatio: d.RAMAllocationRatio}, Request{MemoryMiB: 4097}, with(up("h"), func(h *HostState) { h.UsedMemoryMiB = 8192 }), true, false, "2 hosts lack 4097 MiB of free memory"},
		{"ram unreported", RamFilter{AllocationRatio: 1}, Request{MemoryMiB: 1 << 20}, HostState{Name: "h", Up: true}, true, true, ""},

		{"disk fits", DiskFilter{AllocationRatio: d.DiskAllocationRatio}, Request{DiskGiB: 100}, up("h"), true, true, ""},
		{"disk too much", DiskFilter{AllocationRatio: d.DiskAllocationRatio}, Request{DiskGiB: 101}, up("h"), true, false, "2 hosts lack 101 GiB of free disk"},
		{"disk without quota", DiskFilter{AllocationRatio: d.DiskAllocationRatio}, Request{DiskGiB: 1}, with(up("h"), func(h *HostState) { h.DiskQuota = false }), true, false, "2 hosts cannot cap a container's disk (disk_quota_supported is false)"},
		{"disk reserve below 1", DiskFilter{AllocationRatio: 0.9}, Request{DiskGiB: 91}, up("h"), true, false, "2 hosts lack 91 GiB of free disk"},

		{"runtime none asked", RuntimeFilter{}, Request{}, up("h"), false, true, ""},
		{"runtime offered", RuntimeFilter{}, Request{Runtime: "runsc"}, with(up("h"), func(h *HostState) { h.Runtimes = []string{"runc", "runsc"} }), true, true, ""},
		{"runtime missing", RuntimeFilter{}, Request{Runtime: "runsc"}, with(up("h"), func(h *HostState) { h.Runtimes = []string{"runc"} }), true, false, "2 hosts do not offer runtime runsc"},
		{"runtime unreported", RuntimeFilter{}, Request{Runtime: "runsc"}, up("h"), true, true, ""},

		{"label none asked", LabelFilter{}, Request{}, up("h"), false, true, ""},
		{"label match", LabelFilter{}, Request{Labels: map[string]string{"ssd": "true"}}, with(up("h"), func(h *HostState) { h.Labels = map[string]string{"ssd": "true", "gpu": "no"} }), true, true, ""},
		{"label other value", LabelFilter{}, Request{Labels: map[string]string{"ssd": "true"}}, with(up("h"), func(h *HostState) { h.Labels = map[string]string{"ssd": "false"} }), true, false, "2 hosts do not have labels ssd=true"},
		{"label one of two missing", LabelFilter{}, Request{Labels: map[string]string{"ssd": "true", "rack": "a"}}, with(up("h"), func(h *HostState) { h.Labels = map[string]string{"ssd": "true"} }), true, false, "2 hosts do not have labels rack=a, ssd=true"},
		{"label host has none", LabelFilter{}, Request{Labels: map[string]string{"ssd": ""}}, up("h"), true, false, "2 hosts do not have labels ssd="},

		{"same host none hinted", SameHostFilter{}, Request{}, up("h"), false, true, ""},
		{"same host", SameHostFilter{}, Request{SameHost: []string{"g", "h"}}, up("h"), true, true, ""},
		{"same host other", SameHostFilter{}, Request{SameHost: []string{"g"}}, up("h"), true, false, "2 hosts do not run the same_host containers"},
		{"different host none hinted", DifferentHostFilter{}, Request{}, up("h"), false, true, ""},
		{"different host", DifferentHostFilter{}, Request{DifferentHost: []string{"g"}}, up("h"), true, true, ""},
		{"different host same", DifferentHostFilter{}, Request{DifferentHost: []string{"g", "h"}}, up("h"), true, false, "2 hosts run a different_host container"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.filter.Applies(&tc.req); got != tc.applies {
				t.Fatalf("%s applies %v, want %v", tc.filter.Name(), got, tc.applies)
			}
			r := tc.filter.Check(&tc.req, &tc.host)
			if (r == Pass) != tc.pass {
				t.Fatalf("%s check %d, want pass %v", tc.filter.Name(), r, tc.pass)
			}
			if r >= maxReason {
				t.Fatalf("%s reason %d out of range", tc.filter.Name(), r)
			}
			if !tc.pass {
				if got := tc.filter.Explain(&tc.req, r, 2); got != tc.explain {
					t.Fatalf("explain %q, want %q", got, tc.explain)
				}
			}
		})
	}
}

func TestExplainSingular(t *testing.T) {
	t.Parallel()
	req := Request{CPU: 1, MemoryMiB: 1, DiskGiB: 1, Runtime: "runc", Labels: map[string]string{"a": "b"}}
	for _, tc := range []struct {
		name   string
		filter Filter
		r      Reason
		want   string
	}{
		{"down", ComputeFilter{}, computeDown, "1 host is down"},
		{"cpu", CPUFilter{}, 1, "1 host lacks 1 free vCPUs"},
		{"runtime", RuntimeFilter{}, 1, "1 host does not offer runtime runc"},
		{"different", DifferentHostFilter{}, 1, "1 host runs a different_host container"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.filter.Explain(&req, tc.r, 1); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLabelsFromHints(t *testing.T) {
	t.Parallel()
	got := LabelsFromHints(map[string]string{"label:ssd": "true", "label:": "x", "same_host": "u", "labelx": "y"})
	if len(got) != 2 || got["ssd"] != "true" || got[""] != "x" {
		t.Fatalf("got %v", got)
	}
	if got := LabelsFromHints(map[string]string{"same_host": "u"}); got != nil {
		t.Fatalf("got %v, want nil", got)
	}
}
