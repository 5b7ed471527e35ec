package compute_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/driver/fake"
)

// A capsule on the agent: its record's runtime is its sandbox, which its
// members join; init containers run in order, each to its end, before
// the others start.

// member describes a member of a test capsule.
type member struct {
	name   string
	image  string            // "": busybox
	labels map[string]string // the fake runtime's script (run time, exit code)
	policy string            // restart policy; "": no
	volume bool              // mounts the capsule's volume at /data
}

// testCapsule is a capsule stored on the rig's control plane.
type testCapsule struct {
	rec     *container.Container
	inits   []string // member uuids, in order
	apps    []string
	volumes string // the capsule volume's id
}

func (c testCapsule) members() []string { return append(slices.Clone(c.inits), c.apps...) }

// capsule stores a capsule's record and its members', placed on the
// rig's host, as the API and placement leave them before their ops.
func (r *rig) capsule(inits, apps []member) testCapsule {
	k := r.record(nil)
	k.Kind, k.Image = container.KindCapsule, ""
	vol := fmt.Sprintf("5f0e0000-0000-4000-8000-%012d", uuids.Add(1))
	k.Capsule = &container.Capsule{Containers: []container.Member{},
		Volumes: []container.CapsuleVolume{{Name: "data", VolumeID: vol, Size: 1, AutoRemove: true}}}
	k.Mounts = []container.Mount{{Type: container.MountVolume, VolumeID: vol, Size: "1", AutoRemove: true}}
	out := testCapsule{rec: k, volumes: vol}
	var recs []*container.Container
	for i, list := range [][]member{inits, apps} {
		for _, m := range list {
			c := r.record(m.labels)
			c.CapsuleID = k.UUID
			if m.image != "" {
				c.Image = m.image
			}
			c.RestartPolicy = container.RestartPolicy{Name: m.policy}
			if m.volume {
				c.Mounts = []container.Mount{{Type: container.MountVolume, VolumeID: vol, Size: "1", AutoRemove: true, Destination: "/data"}}
			}
			if i == 0 {
				k.Capsule.InitContainers = append(k.Capsule.InitContainers, container.Member{UUID: c.UUID, Name: m.name})
				out.inits = append(out.inits, c.UUID)
			} else {
				k.Capsule.Containers = append(k.Capsule.Containers, container.Member{UUID: c.UUID, Name: m.name})
				out.apps = append(out.apps, c.UUID)
			}
			recs = append(recs, c)
		}
	}
	r.cp.Put(k)
	for _, c := range recs {
		r.cp.Put(c)
	}
	return out
}

// runCapsule sets the create ops of capsule c (members first when
// membersFirst) and waits until every op is done.
func (r *rig) runCapsule(c testCapsule, membersFirst bool) {
	r.t.Helper()
	uuids := append([]string{c.rec.UUID}, c.members()...)
	if membersFirst {
		uuids = append(c.members(), c.rec.UUID)
	}
	seqs := map[string]int64{}
	for _, uuid := range uuids {
		seqs[uuid] = r.cp.SetOp(uuid, container.Op{Action: container.ActCreate, Run: true})
	}
	for _, uuid := range uuids {
		eventually(r.t, "create of "+uuid+" done", func() bool {
			rec := r.cp.Get(uuid)
			return rec != nil && (rec.Op == nil || rec.Op.Seq != seqs[uuid])
		})
	}
}

// state is the runtime state of container uuid (a member).
func (r *rig) state(uuid string) driver.State {
	r.t.Helper()
	st, err := r.rt.Driver.Inspect(r.t.Context(), "zun-"+uuid)
	if err != nil {
		r.t.Fatalf("inspect member %s: %v", uuid, err)
	}
	return st
}

func exits(code int) map[string]string {
	return map[string]string{fake.LabelRunFor: "30ms", fake.LabelExitCode: fmt.Sprint(code)}
}

// TestCapsuleRuns: one sandbox per capsule, whichever op comes first;
// every member joins it and mounts the capsule's volume from one place;
// each init container starts after the one before it exited 0, the
// containers after the last one.
func TestCapsuleRuns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		membersFirst bool
	}{
		{name: "capsule's op first"},
		{name: "members' ops first", membersFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.cfg.StateDir = t.TempDir()
			r.start()
			c := r.capsule(
				[]member{{name: "seed", labels: exits(0), volume: true}, {name: "migrate", labels: exits(0)}},
				[]member{{name: "server", policy: "always", volume: true}, {name: "client", policy: "always", volume: true}})
			mark := r.rt.mark()
			r.runCapsule(c, tc.membersFirst)
			for _, uuid := range c.apps {
				r.waitStatus(uuid, container.Running)
			}
			for _, uuid := range c.inits {
				r.waitStatus(uuid, container.Stopped)
				if got := r.cp.Get(uuid).ExitCode; got == nil || *got != 0 {
					t.Errorf("init container %s exit code %v; want 0", uuid, got)
				}
			}

			sandbox := "zun-sandbox-" + c.rec.UUID
			if n := len(slices.DeleteFunc(r.rt.callsOf(mark, "Create"), func(cl call) bool { return cl.ID != sandbox })); n != 1 {
				t.Errorf("%d sandboxes created for the capsule; want 1", n)
			}
			sb, err := r.rt.Driver.Inspect(t.Context(), sandbox)
			if err != nil || sb.Status != driver.StatusRunning {
				t.Fatalf("sandbox %s: %+v, %v; want running", sandbox, sb, err)
			}
			k := r.cp.Get(c.rec.UUID)
			if k.Status != container.Running || k.RuntimeID != sb.ID {
				t.Errorf("capsule record %s, runtime %q; want Running, the sandbox %q", k.Status, k.RuntimeID, sb.ID)
			}
			source := ""
			for _, uuid := range c.members() {
				spec, _ := r.rt.spec("zun-" + uuid)
				if spec.NetworkMode != "container:"+sandbox || spec.Hostname != "" {
					t.Errorf("member %s network mode %q, hostname %q; want the sandbox's namespace, no hostname", uuid, spec.NetworkMode, spec.Hostname)
				}
				if st := r.state(uuid); st.NetworkMode != "container:"+sb.ID {
					t.Errorf("member %s joined %q; want the sandbox %s", uuid, st.NetworkMode, sb.ID)
				}
				for _, m := range spec.Mounts {
					if source == "" {
						source = m.Source
					}
					if m.Source != source || m.Target != "/data" {
						t.Errorf("member %s mounts %s at %s; want %s at /data, as the others", uuid, m.Source, m.Target, source)
					}
				}
			}
			if want := filepath.Join(r.cfg.StateDir, "volumes", c.volumes); source != want {
				t.Errorf("the capsule's volume is bound from %q; want %q", source, want)
			}

			seed, migrate := r.state(c.inits[0]), r.state(c.inits[1])
			if migrate.StartedAt.Before(seed.FinishedAt) {
				t.Errorf("init container migrate started at %v, before seed ended at %v", migrate.StartedAt, seed.FinishedAt)
			}
			for _, uuid := range c.apps {
				if st := r.state(uuid); st.StartedAt.Before(migrate.FinishedAt) {
					t.Errorf("container %s started at %v, before the last init container ended at %v", uuid, st.StartedAt, migrate.FinishedAt)
				}
			}
		})
	}
}

// TestCapsuleInitFails: an init container that exits non-zero and is not
// restarted stops there: the members waiting for it end in Error naming
// it, and never start; it shows Stopped with its exit code.
func TestCapsuleInitFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy string
	}{
		{name: "restart policy no"},
		{name: "on-failure, retries exhausted", policy: "on-failure:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t).start()
			seed := member{name: "seed", labels: exits(3)}
			if tc.policy != "" {
				seed.policy = "on-failure"
			}
			c := r.capsule([]member{seed, {name: "after", labels: exits(0)}}, []member{{name: "app", policy: "always"}})
			if tc.policy != "" {
				rec := r.cp.Get(c.inits[0])
				rec.RestartPolicy = container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}
				r.cp.Put(rec)
			}
			r.runCapsule(c, false)
			const reason = `init container "seed" exited with 3`
			for _, uuid := range []string{c.inits[1], c.apps[0]} {
				r.waitStatus(uuid, container.Error)
				if got := r.cp.Get(uuid).StatusReason; got != reason {
					t.Errorf("member %s reason %q; want %q", uuid, got, reason)
				}
				if st := r.state(uuid); st.Status != driver.StatusCreated || !st.StartedAt.IsZero() {
					t.Errorf("member %s is %s (started %v); want never started", uuid, st.Status, st.StartedAt)
				}
			}
			r.waitStatus(c.inits[0], container.Stopped)
			if got := r.cp.Get(c.inits[0]).ExitCode; got == nil || *got != 3 {
				t.Errorf("init container seed exit code %v; want 3", got)
			}
		})
	}
}

// TestCapsuleDelete: each member's delete removes its runtime container;
// the capsule's waits for them, then removes the sandbox and its volume's
// data; nothing is left. A member still waiting for an init container
// gives up its wait for the delete.
func TestCapsuleDelete(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		inits []member
		slow  bool // one more container, whose image is still pulling
	}{
		{name: "running capsule", inits: []member{{name: "seed", labels: exits(0)}}},
		{name: "init container still running", inits: []member{{name: "seed"}}},
		{name: "image still pulling", slow: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.cfg.StateDir = t.TempDir()
			r.start()
			apps := []member{{name: "app", policy: "always", volume: true}}
			if tc.slow {
				r.rt.Driver.SlowPull("slow:1", time.Second)
				apps = append(apps, member{name: "slow", image: "slow:1"})
			}
			c := r.capsule(tc.inits, apps)
			uuids := append([]string{c.rec.UUID}, c.members()...)
			for _, uuid := range uuids {
				r.cp.SetOp(uuid, container.Op{Action: container.ActCreate, Run: true})
			}
			r.waitStatus(c.rec.UUID, container.Running)
			eventually(t, "container app made", func() bool { return r.cp.Get(c.apps[0]).RuntimeID != "" })
			if _, err := os.Stat(filepath.Join(r.cfg.StateDir, "volumes", c.volumes)); err != nil {
				t.Fatalf("the capsule's volume: %v", err)
			}
			sb, err := r.rt.Driver.Inspect(t.Context(), "zun-sandbox-"+c.rec.UUID)
			r.must(err)
			mark := r.rt.mark()
			for _, uuid := range uuids { // the capsule's first: it waits for its members
				r.cp.SetOp(uuid, container.Op{Action: container.ActDelete, Stop: true})
			}
			for _, uuid := range uuids {
				eventually(t, "record "+uuid+" forgotten", func() bool { return r.cp.Get(uuid) == nil })
			}
			states, err := r.rt.Driver.List(t.Context())
			r.must(err)
			if len(states) != 0 {
				t.Errorf("runtime containers left: %+v", states)
			}
			removes := r.rt.callsOf(mark, "Remove")
			if n := len(removes); n == 0 || removes[n-1].ID != sb.ID {
				t.Errorf("removes %+v; want each member's, then the sandbox %s", removes, sb.ID)
			}
			if creates := r.rt.callsOf(mark, "Create"); len(creates) != 0 {
				t.Errorf("runtime containers made after the delete: %+v", creates)
			}
			if _, err := os.Stat(filepath.Join(r.cfg.StateDir, "volumes", c.volumes)); !os.IsNotExist(err) {
				t.Errorf("the capsule's own volume's data is left: %v", err)
			}
		})
	}
}

// TestCapsuleSandboxRestarted: a member restarted by its policy while its
// capsule's sandbox is stopped (an engine restart) cannot join it; the
// agent starts the sandbox, then the member.
func TestCapsuleSandboxRestarted(t *testing.T) {
	t.Parallel()
	r := newRig(t).start()
	c := r.capsule(nil, []member{{name: "app", policy: "always"}})
	r.runCapsule(c, false)
	r.waitStatus(c.apps[0], container.Running)
	sandbox := "zun-sandbox-" + c.rec.UUID
	r.must(r.rt.Driver.Stop(t.Context(), sandbox, 0))
	app := r.state(c.apps[0])
	r.must(r.rt.Driver.Exit(app.ID, 1))
	eventually(t, "the sandbox and the member running again", func() bool {
		sb, err := r.rt.Driver.Inspect(t.Context(), sandbox)
		st := r.state(c.apps[0])
		return err == nil && sb.Status == driver.StatusRunning && st.Status == driver.StatusRunning && st.StartedAt.After(app.StartedAt)
	})
	r.waitStatus(c.apps[0], container.Running)
}
