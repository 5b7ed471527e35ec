package compute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
)

// taskOf is the task state shown while an op runs.
var taskOf = map[string]container.TaskState{
	container.ActCreate:  container.TaskCreating,
	container.ActStart:   container.TaskStarting,
	container.ActStop:    container.TaskStopping,
	container.ActReboot:  container.TaskRebooting,
	container.ActPause:   container.TaskPausing,
	container.ActUnpause: container.TaskUnpausing,
	container.ActKill:    container.TaskKilling,
	container.ActDelete:  container.TaskDeleting,
}

// eventOnly are the actions whose failure Zun keeps in the action's
// event only (zun action-show), leaving the container's status and
// status_reason as they were. Zun fails the container (Error, with the
// failure as its reason) when a create, start or delete fails; here a
// failed create or start does that, and a failed delete shows the
// runtime's status with the failure as its reason.
var eventOnly = map[string]bool{
	container.ActStop:    true,
	container.ActReboot:  true,
	container.ActPause:   true,
	container.ActUnpause: true,
	container.ActKill:    true,
}

// execute carries out rec's op and reports the outcome. It returns whether
// the outcome reached the control plane; if not, the op is tried again.
func (a *Agent) execute(ctx context.Context, rec *container.Container) bool {
	op := rec.Op
	log := a.log.With("container_id", rec.UUID, "action", op.Action, "request_id", op.RequestID)
	ctx = logctx.WithLogger(ctx, log) // what carrying the op out logs names it too
	event := container.EventName(op.Action)
	// The event's start (and a create's first task state, image_pulling,
	// as Zun shows it) is recorded beside the op, not before it: the
	// op's first runtime call does not wait for a store write. Every
	// later report waits for it (shown).
	started := make(chan struct{})
	first := Report{UUID: rec.UUID, Seq: op.Seq, Task: container.ImagePulling, RuntimeID: rec.RuntimeID}
	go func(ctx context.Context) {
		defer close(started)
		if err := a.cp.StartEvent(ctx, a.cfg.Host, first.UUID, op.RequestID, event); err != nil {
			log.Warn("record event start", "error", err)
		}
		if op.Action == container.ActCreate {
			if err := a.cp.Report(ctx, a.cfg.Host, first); err != nil {
				log.Warn("report progress", "error", err)
			}
		}
	}(ctx)
	defer func() { <-started }()
	ctx = context.WithValue(ctx, startedKey{}, (<-chan struct{})(started))
	if op.Action != container.ActCreate {
		a.progress(ctx, rec, taskOf[op.Action])
	}
	start := time.Now()
	ctx, steps := withSteps(ctx, start)
	err := a.carryOut(ctx, rec)
	if err != nil && (ctx.Err() != nil || errdefs.IsUnavailable(err)) {
		// The runtime (or the control plane) did not answer: the op stays
		// pending and is carried out when it does (the next sync, or the
		// runtime's event stream coming back), never dropped.
		log.Warn("action postponed until the runtime answers", "error", err)
		a.mu.Lock()
		a.postponed[rec.UUID] = op.Seq
		a.mu.Unlock()
		return false
	}
	finish := func() {
		<-started
		if ferr := a.cp.FinishEvent(ctx, a.cfg.Host, rec.UUID, op.RequestID, event, err); ferr != nil {
			log.Warn("record event finish", "error", ferr)
		}
	}
	if op.Action == container.ActDelete && err == nil {
		finish()
		if err := a.cp.Forget(ctx, a.cfg.Host, rec.UUID, op.Seq); err != nil && !errdefs.IsNotFound(err) {
			log.Warn("forget deleted container", "error", err)
			return false
		}
		log.Info("container deleted", "duration_ms", time.Since(start).Milliseconds())
		return true
	}
	r := Report{UUID: rec.UUID, Seq: op.Seq, Done: true}
	if st, ierr := a.inspect(ctx, rec); ierr == nil {
		r = observation(rec, st)
		r.Seq, r.Done = op.Seq, true
	} else {
		r.Status = rec.Status
	}
	if err != nil {
		log.Warn("container action failed", "error", err)
		switch {
		case op.Action == container.ActCreate || op.Action == container.ActStart || r.Status == "" ||
			r.Status == container.Creating || r.Status == container.Deleting || r.Status == container.Restarting:
			r.Status, r.Reason = container.Error, err.Error()
		case eventOnly[op.Action]:
			// Zun records the failure in the action's event only (its
			// compute manager's wrap_exception, no _fail_container): the
			// status and its reason stay as they were, unless the runtime
			// shows another status, which comes with the runtime's reason
			// as the next sync would bring it. A container whose create or
			// start failed (the runtime's "created") stays in Error.
			if r.Status == rec.Status || (r.Status == container.Created && rec.Status == container.Error) {
				r.Status, r.Reason = rec.Status, rec.StatusReason
			}
		default:
			r.Reason = err.Error()
		}
	} else {
		attrs := []any{"status", r.Status, "duration_ms", time.Since(start).Milliseconds()}
		if op.Action == container.ActCreate {
			// Where a create's time went, for the latency benchmark:
			// from the record's creation to the op's start, then each
			// step of the op.
			attrs = append(attrs, "waited_ms", start.Sub(rec.CreatedAt).Milliseconds(), "steps", steps.String())
		}
		log.Info("container action done", attrs...)
	}
	// The event finishes before the outcome shows: whoever sees the
	// status sees the action done.
	finish()
	if err := a.cp.Report(ctx, a.cfg.Host, r); err != nil {
		log.Warn("report outcome", "error", err)
		return errdefs.IsNotFound(err)
	}
	return true
}

type startedKey struct{}

// shown waits until what execute records at the op's start (its event's
// start, a create's first task state) is recorded, so that a later report
// comes after it.
func shown(ctx context.Context) {
	if ch, ok := ctx.Value(startedKey{}).(<-chan struct{}); ok {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
}

// logOf is the logger of an op being carried out (with the container and
// the request that asked for it), else the agent's.
func (a *Agent) logOf(ctx context.Context) *slog.Logger { return logctx.Or(ctx, a.log) }

// progress shows the task state of a running op.
func (a *Agent) progress(ctx context.Context, rec *container.Container, task container.TaskState) {
	r := Report{UUID: rec.UUID, Seq: rec.Op.Seq, Task: task, RuntimeID: rec.RuntimeID}
	if err := a.cp.Report(ctx, a.cfg.Host, r); err != nil {
		a.log.Warn("report progress", "container_id", rec.UUID, "error", err)
	}
}

// carryOut does the op's runtime calls. Every op is idempotent: running it
// again after a crash converges to the same place.
func (a *Agent) carryOut(ctx context.Context, rec *container.Container) error {
	op := rec.Op
	timeout := a.cfg.DefaultStopTimeout
	if op.Timeout != nil {
		timeout = time.Duration(*op.Timeout) * time.Second
	}
	if rec.IsCapsule() {
		return a.capsuleOp(ctx, rec)
	}
	if op.Action == container.ActCreate {
		return a.create(ctx, rec)
	}
	id := rec.RuntimeID
	if id == "" {
		st, err := a.findRuntime(ctx, rec.UUID)
		if err != nil {
			if op.Action == container.ActDelete && errdefs.IsNotFound(err) {
				// Never reached the runtime: nothing more to remove than
				// a sandbox made for it.
				if err := a.removeSandbox(ctx, rec.UUID); err != nil {
					return err
				}
				a.dropMounts(rec)
				return nil
			}
			return err
		}
		id = st.ID
	}
	switch op.Action {
	case container.ActStart:
		return a.start(ctx, rec, id, func() error { return a.drv.Start(ctx, id) })
	case container.ActStop:
		return a.drv.Stop(ctx, id, timeout)
	case container.ActReboot:
		return a.start(ctx, rec, id, func() error { return a.drv.Restart(ctx, id, timeout) })
	case container.ActKill:
		return a.drv.Kill(ctx, id, op.Signal)
	case container.ActPause, container.ActUnpause:
		p, ok := a.drv.(driver.Pauser)
		if !ok {
			return errdefs.NotSupportedf("the %s runtime cannot pause containers", a.drv.Name())
		}
		if op.Action == container.ActPause {
			return p.Pause(ctx, id)
		}
		return p.Unpause(ctx, id)
	case container.ActDelete:
		if op.Stop {
			if err := a.drv.Stop(ctx, id, timeout); err != nil && !errdefs.IsNotFound(err) {
				return err
			}
		}
		if err := a.drv.Remove(ctx, id, true); err != nil {
			return err
		}
		if err := a.removeSandbox(ctx, rec.UUID); err != nil {
			return err
		}
		a.dropMounts(rec)
		return nil
	}
	return errdefs.NotSupportedf("unknown action %q", op.Action)
}

// create pulls the image and creates (and with run, starts) the runtime
// container, adopting one left by an earlier attempt.
func (a *Agent) create(ctx context.Context, rec *container.Container) error {
	// The task is image_pulling from the op's start (execute); a pull
	// is followed by container_creating. An image already here costs no
	// other report, nor a second look.
	ref := rec.Image
	if a.mustFetch(ctx, rec) {
		var err error
		if ref, err = a.prepareImage(ctx, rec); err != nil {
			return err
		}
		shown(ctx)
		a.progress(ctx, rec, container.TaskCreating)
	}
	stepDone(ctx, "image")
	id := ""
	var adopted driver.State
	if st, err := a.findRuntime(ctx, rec.UUID); err == nil {
		id, adopted = st.ID, st
		a.logOf(ctx).Info("adopting runtime container from an earlier attempt", "runtime_id", id)
	} else {
		spec := specOf(rec, a.cfg.Host)
		spec.Image = ref
		if rec.IsMember() {
			// It joins its capsule's sandbox: one namespace (localhost,
			// the capsule's ports) for all its members.
			k, err := a.capsuleOf(ctx, rec)
			if err != nil {
				return err
			}
			if _, err := a.memberSandbox(ctx, rec); err != nil {
				return err
			}
			memberMounts(rec, k)
			spec.NetworkMode, spec.Hostname = "container:"+sandboxName(rec.CapsuleID), ""
		} else if a.networked(rec) {
			// It joins its sandbox's namespace, which has its ports
			// before it can start (and its hostname).
			if _, err := a.sandbox(ctx, rec); err != nil {
				return fmt.Errorf("failed to configure network: %w", err)
			}
			spec.NetworkMode, spec.Hostname = "container:"+sandboxName(rec.UUID), ""
		}
		if spec.Mounts, err = a.mountsOf(rec); err != nil {
			return fmt.Errorf("prepare mounts: %w", err)
		}
		id, err = a.drv.Create(ctx, spec)
		if err != nil {
			return fmt.Errorf("create container: %w", err)
		}
		stepDone(ctx, "create")
	}
	rec.RuntimeID = id
	if !rec.Op.Run {
		return nil // the op's outcome reports it Created
	}
	if rec.IsMember() {
		// It may wait for its capsule's init containers: Created
		// meanwhile. (Any other container is reported once, Running or
		// not, when the op ends: one write fewer on the create path.)
		shown(ctx)
		if err := a.cp.Report(ctx, a.cfg.Host, Report{UUID: rec.UUID, Seq: rec.Op.Seq, Status: container.Created,
			RuntimeID: id, Task: container.TaskStarting}); err != nil {
			a.logOf(ctx).Warn("report created", "error", err)
		}
		if err := a.awaitTurn(ctx, rec); err != nil {
			return err
		}
		if adopted.Status == driver.StatusExited && adopted.ExitCode == 0 {
			if k, err := a.capsuleOf(ctx, rec); err == nil && isInit(k, rec.UUID) {
				return nil // an init container ran to its end before a restart of the agent
			}
		}
	}
	run := func() error {
		defer stepDone(ctx, "start")
		if err := a.drv.Start(ctx, id); err != nil {
			return fmt.Errorf("start container: %w", err)
		}
		return nil
	}
	if adopted.ID == "" && !rec.IsMember() {
		// Made just now, in its sandbox plugged just now: nothing to
		// check again before the start.
		return run()
	}
	return a.start(ctx, rec, id, run)
}

// start starts rec's runtime container id with do (a start or a restart).
// On tenant networks, its sandbox runs with its ports plugged first; a
// container made before sandboxes is plugged once it runs.
func (a *Agent) start(ctx context.Context, rec *container.Container, id string, do func() error) error {
	if rec.IsMember() {
		return a.startMember(ctx, rec, id, do)
	}
	if !a.networked(rec) {
		return do()
	}
	st, err := a.drv.Inspect(ctx, id)
	if err != nil {
		return err
	}
	if !sandboxed(st) {
		if err := do(); err != nil {
			return err
		}
		return a.plugStarted(ctx, rec, id)
	}
	sb, err := a.sandbox(ctx, rec)
	if err != nil {
		return fmt.Errorf("failed to configure network: %w", err)
	}
	if st.NetworkMode != "container:"+sb.ID {
		// The engine resolved the sandbox at create: this one is another.
		return errdefs.Conflictf("the network sandbox of container %s was removed; delete and re-create the container", rec.UUID)
	}
	return do()
}

// plugStarted plugs the ports of rec, just started as runtime container
// id (made before sandboxes); a container that cannot join its networks
// is stopped, as Zun does.
func (a *Agent) plugStarted(ctx context.Context, rec *container.Container, id string) error {
	rec = rec.Clone()
	rec.RuntimeID = id
	if err := a.plug(ctx, rec); err != nil {
		_ = a.drv.Stop(ctx, id, time.Second)
		return fmt.Errorf("failed to configure network: %w", err)
	}
	return nil
}

// prepareImage applies the pull policy and returns the reference to run.
// Without an explicit policy Zun pulls images tagged latest (or untagged)
// always and others if not present; when such a default pull fails but
// the image is on the host, the local copy is used, so hosts without a
// registry still work. Images of the image store (image driver glance)
// are loaded from there.
func (a *Agent) prepareImage(ctx context.Context, rec *container.Container) (string, error) {
	policy, explicit := pullPolicy(rec)
	if rec.ImageDriver == ImageDriverGlance {
		return a.prepareStoreImage(ctx, rec, policy)
	}
	pull := a.drv.PrepareImage
	if rec.RegistryID != "" {
		ap, ok := a.drv.(driver.AuthPreparer)
		if !ok {
			return "", errdefs.NotSupportedf("the %s runtime cannot pull from private registries", a.drv.Name())
		}
		auth, err := a.cp.RegistryAuth(ctx, a.cfg.Host, rec.UUID)
		if err != nil {
			return "", fmt.Errorf("registry of image %s: %w", rec.Image, err)
		}
		pull = func(ctx context.Context, ref string, policy driver.PullPolicy) error {
			return ap.PrepareImageAuth(ctx, ref, policy, auth)
		}
	}
	err := pull(ctx, rec.Image, policy)
	if err != nil && !explicit && policy == driver.PullAlways {
		if lerr := a.drv.PrepareImage(ctx, rec.Image, driver.PullNever); lerr == nil {
			a.logOf(ctx).Warn("image pull failed; using the copy on this host", "image", rec.Image, "error", err)
			return rec.Image, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("image %s: %w", rec.Image, err)
	}
	return rec.Image, nil
}

// pullPolicy is rec's pull policy, and whether rec set it (else it is
// Zun's default for the image's tag).
func pullPolicy(rec *container.Container) (policy driver.PullPolicy, explicit bool) {
	policy = driver.PullPolicy(strings.ToLower(rec.ImagePullPolicy))
	if policy != "" {
		return policy, true
	}
	if tag := imageTag(rec.Image); tag == "" || tag == "latest" {
		return driver.PullAlways, false
	}
	return driver.PullIfNotPresent, false
}

// mustFetch reports whether rec's image must be prepared (prepareImage:
// pulled, loaded from the image store, or, with pull policy never,
// checked for); false when the policy lets the copy on this host do and
// the host has it.
func (a *Agent) mustFetch(ctx context.Context, rec *container.Container) bool {
	policy, _ := pullPolicy(rec)
	if policy == driver.PullAlways || policy == driver.PullNever || rec.ImageDriver == ImageDriverGlance {
		return true
	}
	im, ok := a.drv.(driver.ImageManager)
	if !ok {
		return true
	}
	_, err := im.InspectImage(ctx, rec.Image)
	return err != nil
}

// imageTag returns the tag of an image reference ("" if none).
func imageTag(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[i+1:]
	}
	return ""
}

// observe reports the runtime's view of rec when it differs.
func (a *Agent) observe(ctx context.Context, rec *container.Container) {
	if rec.Op != nil {
		return // an op in flight owns the status
	}
	st, err := a.inspect(ctx, rec)
	switch {
	case errors.Is(err, errGone):
		a.vanished(ctx, rec)
		return
	case err != nil:
		a.log.Warn("inspect", "container_id", rec.UUID, "error", err)
		return
	}
	if (a.networked(rec) || rec.IsMember()) && st.Status == driver.StatusExited && sandboxed(st) && strings.Contains(st.Error, joinStopped) {
		// The engine, restarted, started it by its restart policy but not
		// its sandbox, which has none: the agent starts the sandbox,
		// plugged, then the container.
		if err := a.start(ctx, rec, st.ID, func() error { return a.drv.Start(ctx, st.ID) }); err != nil {
			a.log.Warn("restart container after its sandbox", "container_id", rec.UUID, "error", err)
		} else if again, err := a.inspect(ctx, rec); err == nil {
			a.log.Info("container restarted after its sandbox", "container_id", rec.UUID)
			st = again
		}
	}
	if st.Status == driver.StatusRunning && hasPorts(rec) {
		// Restarted by its policy (made before sandboxes): a new
		// namespace to plug.
		if err := a.plug(ctx, rec); err != nil {
			a.log.Warn("plug ports", "container_id", rec.UUID, "error", err)
		}
	}
	r := observation(rec, st)
	if r.Status == container.Created && rec.Status == container.Error {
		// A create or start that failed leaves the runtime container
		// "created"; the record's Error and its reason stay true.
		r.Status, r.Reason = rec.Status, rec.StatusReason
	}
	if !changed(rec, r) {
		return
	}
	if err := a.cp.Report(ctx, a.cfg.Host, r); err != nil {
		a.log.Warn("report state", "container_id", rec.UUID, "error", err)
	}
}

// vanished handles a record whose runtime container is gone.
func (a *Agent) vanished(ctx context.Context, rec *container.Container) {
	switch {
	case rec.RuntimeID == "":
		return // never created (failed create): nothing to see
	case rec.AutoRemove && rec.Status == container.Deleted:
		// Shown as Deleted for one sync; now purge it, as Zun does.
		if err := a.cp.Forget(ctx, a.cfg.Host, rec.UUID, 0); err != nil && !errdefs.IsNotFound(err) {
			a.log.Warn("forget auto-removed container", "container_id", rec.UUID, "error", err)
		}
	case rec.AutoRemove:
		a.report(ctx, Report{UUID: rec.UUID, Status: container.Deleted, RuntimeID: rec.RuntimeID,
			ExitCode: rec.ExitCode, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt})
	case rec.Status != container.Error:
		a.report(ctx, Report{UUID: rec.UUID, Status: container.Error, RuntimeID: rec.RuntimeID,
			Reason: fmt.Sprintf("No such container: %s in %s", rec.RuntimeID, a.drv.Name())})
	}
}

func (a *Agent) report(ctx context.Context, r Report) {
	if err := a.cp.Report(ctx, a.cfg.Host, r); err != nil {
		a.log.Warn("report state", "container_id", r.UUID, "error", err)
	}
}

// inspect returns the runtime state of rec's container; errGone if the
// runtime has none.
func (a *Agent) inspect(ctx context.Context, rec *container.Container) (driver.State, error) {
	if rec.RuntimeID != "" {
		st, err := a.drv.Inspect(ctx, rec.RuntimeID)
		if !errdefs.IsNotFound(err) {
			return st, err
		}
	}
	if rec.IsCapsule() {
		// A capsule's runtime is its sandbox.
		st, err := a.findSandbox(ctx, rec.UUID)
		if errdefs.IsNotFound(err) {
			return st, errGone
		}
		return st, err
	}
	st, err := a.findRuntime(ctx, rec.UUID)
	if errdefs.IsNotFound(err) {
		return st, errGone
	}
	return st, err
}

// findRuntime finds the runtime container labelled with uuid.
func (a *Agent) findRuntime(ctx context.Context, uuid string) (driver.State, error) {
	states, err := a.drv.List(ctx)
	if err != nil {
		return driver.State{}, err
	}
	for _, st := range states {
		if st.Labels[driver.LabelUUID] == uuid {
			return st, nil
		}
	}
	return driver.State{}, errdefs.NotFoundf("no runtime container for %s", uuid)
}
