package compute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// The runtime of capsules. A capsule's record (Kind capsule) is, on the
// host, its sandbox zun-sandbox-<capsule uuid>: the holder of the
// namespace its members share (localhost, and its ports on tenant
// networks, plugged into the sandbox). Each member is an ordinary runtime
// container that joins it (NetworkMode container:zun-sandbox-<capsule
// uuid>). The capsule's op and each member's op run in their own workers
// and in any order: whichever comes first makes the sandbox, under the
// capsule's lock, so a capsule has one.
//
// Init containers run in the template's order, each to its end: a
// member's create op makes its runtime container, reports it Created,
// then waits until the init containers before it (all of them, for an
// app container) exited 0, looking at the engine at each of its events
// and every turnPoll; one that exited otherwise
// ends the waiting members in Error, naming it. The capsule's delete op
// waits until its members' delete ops removed their runtime containers,
// then removes the sandbox and the data of its own volumes.

// Waits of the capsule runtime.
const (
	// turnPoll is how often a waiting member looks at its init containers.
	turnPoll = 100 * time.Millisecond
	// capsuleWait bounds how long a member's op waits for its capsule's
	// record to reach the agent (they are placed together, but each is
	// its own change of the watch).
	capsuleWait = 5 * time.Second
	// membersGoneWait bounds how long a capsule's delete waits for its
	// members' deletes (a member's stop has a grace period, 10 s by
	// default); what is left then is removed with the sandbox.
	membersGoneWait = 30 * time.Second
)

// wakeup tells waiters that something happened: wait returns a channel
// that fire closes.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

func (w *wakeup) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *wakeup) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}

// errSuperseded ends a member's wait when a newer op (a delete) came.
var errSuperseded = errors.New("superseded by a newer action")

// runtimeName is the runtime name of container uuid (specOf's).
func runtimeName(uuid string) string { return "zun-" + uuid }

// capsuleLocks serialize the making and removing of each capsule's
// sandbox, by capsule uuid.
type capsuleLocks struct{ m sync.Map }

func (l *capsuleLocks) lock(uuid string) func() {
	v, _ := l.m.LoadOrStore(uuid, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// capsuleOf returns the record of member rec's capsule, waiting a little
// for it to reach the agent (not past a newer op of rec's).
func (a *Agent) capsuleOf(ctx context.Context, rec *container.Container) (*container.Container, error) {
	deadline := time.Now().Add(capsuleWait)
	for {
		a.mu.Lock()
		k, cur := a.records[rec.CapsuleID], a.records[rec.UUID]
		a.mu.Unlock()
		if k != nil && k.IsCapsule() && k.Capsule != nil {
			return k.Clone(), nil
		}
		if rec.Op != nil && (cur == nil || cur.Op == nil || cur.Op.Seq != rec.Op.Seq) {
			return nil, errSuperseded
		}
		if time.Now().After(deadline) {
			return nil, errdefs.Unavailablef("capsule %s of container %s is not on this host", rec.CapsuleID, rec.UUID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(turnPoll):
		}
	}
}

// capsuleSandbox makes sure capsule k's sandbox runs, plugged with k's
// ports on tenant networks, and returns its state. The capsule's op and
// its members' call it, in any order.
func (a *Agent) capsuleSandbox(ctx context.Context, k *container.Container) (driver.State, error) {
	defer a.capsules.lock(k.UUID)()
	// Under the lock, as of now: a capsule whose delete took the lock
	// first has no sandbox to make again (it would be left behind, with
	// ports already given back).
	a.mu.Lock()
	cur := a.records[k.UUID]
	a.mu.Unlock()
	if cur == nil || (cur.Op != nil && cur.Op.Action == container.ActDelete) {
		return driver.State{}, errSuperseded
	}
	if a.networked(k) {
		return a.sandbox(ctx, k)
	}
	return a.runSandbox(ctx, k.UUID, "", false)
}

// capsuleOp carries out the op of capsule record rec: create makes its
// sandbox; delete waits for its members to be gone, then removes it.
func (a *Agent) capsuleOp(ctx context.Context, rec *container.Container) error {
	switch rec.Op.Action {
	case container.ActCreate:
		st, err := a.capsuleSandbox(ctx, rec)
		if err != nil {
			return fmt.Errorf("failed to configure network: %w", err)
		}
		rec.RuntimeID = st.ID
		return nil
	case container.ActDelete:
		if err := a.awaitMembersGone(ctx, rec); err != nil {
			return err
		}
		unlock := a.capsules.lock(rec.UUID)
		err := a.removeSandbox(ctx, rec.UUID)
		unlock()
		if err != nil {
			return err
		}
		// The capsule's lock stays: a member's op may still wait on it,
		// and must find the one the delete held.
		a.dropMounts(rec)
		return nil
	}
	return errdefs.NotSupportedf("a capsule has no action %q", rec.Op.Action)
}

// awaitMembersGone waits until the runtime containers of capsule rec's
// members are gone (their own delete ops remove them), at most
// membersGoneWait; those left then are removed.
func (a *Agent) awaitMembersGone(ctx context.Context, rec *container.Container) error {
	if rec.Capsule == nil {
		return nil
	}
	deadline := time.Now().Add(membersGoneWait)
	for {
		var left []string
		for _, uuid := range rec.Capsule.MemberUUIDs() {
			st, err := a.drv.Inspect(ctx, runtimeName(uuid))
			switch {
			case errdefs.IsNotFound(err):
			case err != nil:
				return err
			default:
				left = append(left, st.ID)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, id := range left {
				a.logOf(ctx).Warn("removing a capsule member left after its capsule's delete", "runtime_id", id)
				if err := a.drv.Remove(ctx, id, true); err != nil && !errdefs.IsNotFound(err) {
					return err
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(turnPoll):
		}
	}
}

// memberSandbox makes sure the sandbox of member rec's capsule runs and
// returns the network mode that joins it.
func (a *Agent) memberSandbox(ctx context.Context, rec *container.Container) (driver.State, error) {
	k, err := a.capsuleOf(ctx, rec)
	if err != nil {
		return driver.State{}, err
	}
	if k.Op != nil && k.Op.Action == container.ActDelete {
		// Its sandbox is going, or gone: making it again would leave it
		// behind.
		return driver.State{}, errSuperseded
	}
	st, err := a.capsuleSandbox(ctx, k)
	if err != nil {
		return driver.State{}, fmt.Errorf("failed to configure network: %w", err)
	}
	return st, nil
}

// startMember starts member rec's runtime container id with do, its
// capsule's sandbox running (and plugged) first.
func (a *Agent) startMember(ctx context.Context, rec *container.Container, id string, do func() error) error {
	sb, err := a.memberSandbox(ctx, rec)
	if err != nil {
		return err
	}
	st, err := a.drv.Inspect(ctx, id)
	if err != nil {
		return err
	}
	if st.NetworkMode != "" && st.NetworkMode != "container:"+sb.ID && st.NetworkMode != "container:"+sandboxName(rec.CapsuleID) {
		return errdefs.Conflictf("the sandbox of capsule %s was removed; delete and re-create the capsule", rec.CapsuleID)
	}
	return do()
}

// memberMounts fills in what member rec's volume mounts leave to the
// capsule's record (a volume's size, which the loop backend needs).
func memberMounts(rec, k *container.Container) {
	for i, m := range rec.Mounts {
		if m.Type != container.MountVolume || m.Size != "" {
			continue
		}
		if j := slices.IndexFunc(k.Mounts, func(c container.Mount) bool { return c.VolumeID == m.VolumeID }); j >= 0 {
			rec.Mounts[i].Size = k.Mounts[j].Size
		}
	}
}

// initsBefore returns the init containers of capsule k that must have
// exited 0 before member uuid starts: those before it, for an init
// container; all of them, for a container.
func initsBefore(k *container.Container, uuid string) []container.Member {
	inits := k.Capsule.InitContainers
	if i := slices.IndexFunc(inits, func(m container.Member) bool { return m.UUID == uuid }); i >= 0 {
		return inits[:i]
	}
	return inits
}

// isInit reports whether member uuid is one of capsule k's init
// containers.
func isInit(k *container.Container, uuid string) bool {
	return slices.ContainsFunc(k.Capsule.InitContainers, func(m container.Member) bool { return m.UUID == uuid })
}

// awaitTurn waits until member rec may start: the init containers before
// it exited 0. One that ended otherwise is an error naming it; a newer
// op of rec (or its capsule's delete) ends the wait.
func (a *Agent) awaitTurn(ctx context.Context, rec *container.Container) error {
	k, err := a.capsuleOf(ctx, rec)
	if err != nil {
		return err
	}
	before := initsBefore(k, rec.UUID)
	if len(before) == 0 {
		return nil
	}
	for {
		// Taken before looking: an event in between is not missed.
		woken := a.events.wait()
		done, err := a.initsDone(ctx, before)
		if err != nil || done {
			return err
		}
		if a.superseded(rec) {
			return errSuperseded
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-woken: // a runtime event: an init container may have ended
		case <-time.After(turnPoll):
		}
	}
}

// initsDone reports whether init containers inits all exited 0; an error
// names the first that failed. An init container's restart policy is the
// engine's: one that exited and will be restarted shows "restarting",
// and "exited" is final.
func (a *Agent) initsDone(ctx context.Context, inits []container.Member) (bool, error) {
	for _, m := range inits {
		a.mu.Lock()
		r := a.records[m.UUID]
		a.mu.Unlock()
		if r != nil && r.Status == container.Error && r.Op == nil {
			return false, fmt.Errorf("init container %q failed: %s", m.Name, r.StatusReason)
		}
		st, err := a.drv.Inspect(ctx, runtimeName(m.UUID))
		if errdefs.IsNotFound(err) {
			return false, nil // not made yet
		}
		if err != nil {
			return false, err
		}
		switch st.Status {
		case driver.StatusExited, driver.StatusDead:
			if st.Status == driver.StatusExited && st.ExitCode == 0 {
				continue
			}
			return false, fmt.Errorf("init container %q exited with %d", m.Name, st.ExitCode)
		default:
			return false, nil
		}
	}
	return true, nil
}

// superseded reports whether rec's op is no longer its newest, or its
// capsule is being deleted.
func (a *Agent) superseded(rec *container.Container) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.records[rec.UUID]
	if cur == nil || cur.Op == nil || cur.Op.Seq != rec.Op.Seq {
		return true
	}
	k := a.records[rec.CapsuleID]
	return k == nil || (k.Op != nil && k.Op.Action == container.ActDelete)
}
