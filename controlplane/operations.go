package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/images"
	"github.com/zun-go/zun/placement"
)

// Operations carries out the long operations the API records instead of
// running them itself: image pulls (an images.Image Pulling) and commits'
// uploads into the image store (an images.Upload). It is level-triggered:
// on start and after every change to those records it reads them all
// and makes what runs match them, one operation per record. A record
// deleted, or changed so that its operation is another, cancels what
// ran for it. Only the process elected for the "operations" role runs
// them, so a new leader, or zund restarted, takes up every recorded
// operation again from its beginning (a pull again is a no-op for the
// layers already there; an upload starts over).
//
// Each operation keeps the bound it had when it ran in the API process
// (PullTimeout, CommitTimeout), measured from its record's creation: an
// operation older than that ends with "timed out" however many times it
// was taken up. At rest it writes nothing: progress is recorded at most
// every ProgressEvery while a pull runs, the outcome once.
type Operations struct {
	d   OperationDeps
	log *slog.Logger
}

// OperationRecords are the records of the long operations, the image
// records and uploads, and their changes.
type OperationRecords interface {
	images.Store
	ChangeSource
}

// ChangeSource signals changes to a set of records.
type ChangeSource interface {
	// Changes signals once at the start and after every change to the
	// records, until ctx ends.
	Changes(ctx context.Context) <-chan struct{}
}

// OperationHosts reaches the hosts operations run on.
type OperationHosts interface {
	// Reach returns a host's direct calls: ErrNotFound when no such host
	// is registered, ErrUnavailable when it cannot be reached now.
	Reach(ctx context.Context, name string) (apiserver.HostAPI, error)
	// Up reports whether the host is heard from.
	Up(name string) bool
}

// OperationDeps is what the operations work with.
type OperationDeps struct {
	Records OperationRecords
	// ImageStore is the image store commits upload into and Glance its
	// records' changes; nil: no uploads (commits are not recorded).
	ImageStore *glance.Service
	Glance     ChangeSource
	// Actions finishes the commit actions' events.
	Actions container.ActionStore
	Hosts   OperationHosts
	// Elector makes the operations run only while this process leads
	// the "operations" role; nil: always.
	Elector placement.Elector
	// PullTimeout and CommitTimeout bound a pull and a commit's upload
	// from their records' creation; CommitWait bounds how long a commit
	// request may take to commit on its host before its upload is given
	// up (the request died with its process). 0: images.PullTimeout,
	// CommitTimeout, CommitWait.
	PullTimeout, CommitTimeout, CommitWait time.Duration
	// ProgressEvery paces the records of a pull's progress; 0: 1s.
	ProgressEvery time.Duration
	// Retry is the wait before an operation whose host cannot be reached
	// tries again; 0: 2s.
	Retry time.Duration
	// HostGrace is how long an operation waits for a host that is not up
	// to be heard from before it fails; 0: 30s.
	HostGrace time.Duration
	Logger    *slog.Logger
}

// NewOperations returns the operations runner over d.
func NewOperations(d OperationDeps) *Operations {
	if d.PullTimeout <= 0 {
		d.PullTimeout = images.PullTimeout
	}
	if d.CommitTimeout <= 0 {
		d.CommitTimeout = images.CommitTimeout
	}
	if d.CommitWait <= 0 {
		d.CommitWait = images.CommitWait
	}
	if d.ProgressEvery <= 0 {
		d.ProgressEvery = time.Second
	}
	if d.Retry <= 0 {
		d.Retry = 2 * time.Second
	}
	if d.HostGrace <= 0 {
		d.HostGrace = 30 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Operations{d: d, log: d.Logger}
}

// Run campaigns for the operations role and, while leading, carries out
// the recorded operations. It returns when ctx ends, resigning first.
func (o *Operations) Run(ctx context.Context) {
	placement.Elected(auth.System(ctx), o.d.Elector, "operations", o.log, o.lead)
}

// running is an operation under way; cancel stops it, done closes when
// it has stopped.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// lead runs the recorded operations until ctx ends, then waits for them
// to stop.
func (o *Operations) lead(ctx context.Context) {
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	changes := o.d.Records.Changes(wctx)
	var glanceChanges <-chan struct{}
	if o.d.ImageStore != nil && o.d.Glance != nil {
		glanceChanges = o.d.Glance.Changes(wctx)
	}
	// retry signals a pass after an operation ended without recording
	// its outcome, or the records could not be read.
	retry := make(chan struct{}, 1)
	retryLater := func() {
		time.AfterFunc(o.d.Retry, func() {
			select {
			case retry <- struct{}{}:
			default:
			}
		})
	}
	// ops are the operations started, by key: what they do for which
	// record.
	ops := map[string]*running{}
	defer func() {
		for _, r := range ops {
			r.cancel()
		}
		for _, r := range ops {
			<-r.done
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
		case <-glanceChanges:
		case <-retry:
		}
		// The operations that ended wrote their outcome before the
		// records are read below; one ending after this check is kept
		// for this pass, so that a stale read does not start it again.
		for key, r := range ops {
			select {
			case <-r.done:
				delete(ops, key)
			default:
			}
		}
		want, err := o.wanted(ctx)
		if err != nil {
			if ctx.Err() == nil {
				o.log.Warn("read the recorded operations", "error", err)
				retryLater()
			}
			continue
		}
		for key, r := range ops {
			if _, ok := want[key]; !ok {
				r.cancel()
				<-r.done
				delete(ops, key)
				o.log.Info("operation stopped: its record changed", "operation", key)
			}
		}
		for key, run := range want {
			if _, ok := ops[key]; ok {
				continue
			}
			octx, cancel := context.WithCancel(ctx)
			r := &running{cancel: cancel, done: make(chan struct{})}
			ops[key] = r
			go func() {
				defer close(r.done)
				if !run(octx) && octx.Err() == nil {
					retryLater()
				}
			}()
		}
	}
}

// wanted reads the records and returns the operations they call for, by
// key; each returns false when it ended without recording its outcome.
func (o *Operations) wanted(ctx context.Context) (map[string]func(context.Context) bool, error) {
	want := map[string]func(context.Context) bool{}
	all, err := o.d.Records.List(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, err
	}
	for _, im := range all {
		if im.Status == images.Pulling {
			want["pull/"+im.UUID] = func(ctx context.Context) bool { return o.pull(ctx, *im) }
		}
	}
	if o.d.ImageStore == nil {
		return want, nil
	}
	uploads, err := o.d.Records.ListUploads(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, err
	}
	for _, u := range uploads {
		gi, err := o.d.ImageStore.Store.Get(auth.WithAllProjects(ctx), u.ImageID)
		var phase string
		var run func(context.Context, images.Upload) bool
		switch {
		case u.Failed != "":
			phase, run = "failed", o.uploadFailed
		case errdefs.IsNotFound(err):
			phase, run = "deleted", o.uploadDeleted
		case err != nil:
			return nil, err
		case gi.Status == glance.Active:
			phase, run = "done", o.uploadDone
		case !u.Committed:
			phase, run = "committing", o.awaitCommit
		default:
			phase, run = "upload", o.upload
		}
		want["upload/"+u.ImageID+"/"+phase] = func(ctx context.Context) bool { return run(ctx, *u) }
	}
	return want, nil
}

// pull has the image's host pull it and records the outcome. A host that
// cannot be reached while it is up is tried again until the bound.
func (o *Operations) pull(parent context.Context, im images.Image) bool {
	log := o.log.With("image", im.UUID, "ref", im.Ref(), "host", im.Host)
	ctx, cancel := context.WithDeadline(parent, im.CreatedAt.Add(o.d.PullTimeout))
	defer cancel()
	policy := driver.PullPolicy(im.ImagePullPolicy)
	if policy == "" {
		policy = driver.PullAlways
	}
	log.Info("pulling image")
	started := time.Now()
	var (
		info driver.ImageInfo
		err  error
	)
	for {
		var api apiserver.HostAPI
		if api, err = o.d.Hosts.Reach(ctx, im.Host); err == nil {
			var recorded time.Time
			info, err = api.PullImage(ctx, im.Ref(), policy, func(p driver.Progress) {
				if time.Since(recorded) < o.d.ProgressEvery {
					return
				}
				recorded = time.Now()
				o.recordProgress(ctx, log, im.UUID, p)
			})
		}
		if parent.Err() != nil {
			return true // cancelled: another operation, or none, is wanted now
		}
		if err == nil || !o.tryAgain(ctx, log, im.Host, started, err) {
			break
		}
	}
	if ctx.Err() != nil {
		err = errdefs.Unavailablef("The pull of %s on host %s timed out after %s.", im.Ref(), im.Host, o.d.PullTimeout)
	}
	_, uerr := o.d.Records.Update(auth.WithAllProjects(parent), im.UUID, func(x *images.Image) error {
		if x.Status != images.Pulling {
			return errOperationOver
		}
		x.Done, x.Total = 0, 0
		if err != nil {
			x.Status, x.StatusReason = images.Error, err.Error()
			return nil
		}
		x.Status, x.StatusReason, x.ImageID, x.Size = images.Pulled, "", info.ID, info.Size
		return nil
	})
	switch {
	case uerr != nil && !errors.Is(uerr, errOperationOver) && !errdefs.IsNotFound(uerr):
		log.Warn("record an image pull", "error", uerr)
		return false
	case err != nil:
		log.Warn("image pull failed", "error", err)
	default:
		log.Info("image pulled", "image_id", info.ID)
	}
	return true
}

// errOperationOver stops a write once the record says the operation has
// ended.
var errOperationOver = errors.New("the operation is over")

// errUnchanged stops a write that would change nothing.
var errUnchanged = errors.New("unchanged")

// recordProgress records how far a pull has come.
func (o *Operations) recordProgress(ctx context.Context, log *slog.Logger, id string, p driver.Progress) {
	_, err := o.d.Records.Update(auth.WithAllProjects(ctx), id, func(x *images.Image) error {
		if x.Status != images.Pulling {
			return errOperationOver
		}
		x.Done, x.Total = p.Done, p.Total
		return nil
	})
	if err != nil && !errors.Is(err, errOperationOver) && !errdefs.IsNotFound(err) && ctx.Err() == nil {
		log.Warn("record a pull's progress", "error", err)
	}
}

// tryAgain reports whether an operation on host that failed with err
// should be tried again, after waiting: only while the host cannot be
// reached but is up (its agent restarting), or in the first HostGrace
// of the operation's run (the control plane, restarted, has not heard
// from it yet), within ctx.
func (o *Operations) tryAgain(ctx context.Context, log *slog.Logger, host string, started time.Time, err error) bool {
	if !errdefs.IsUnavailable(err) || ctx.Err() != nil ||
		(!o.d.Hosts.Up(host) && time.Since(started) > o.d.HostGrace) {
		return false
	}
	log.Info("host not reachable, trying again", "error", err)
	return wait(ctx, o.d.Retry) == nil
}

// awaitCommit gives up an upload whose request has not committed on its
// host a little after CommitWait (the request's own bound): the request
// died with its process.
func (o *Operations) awaitCommit(ctx context.Context, u images.Upload) bool {
	if wait(ctx, time.Until(u.CreatedAt.Add(o.d.CommitWait+o.d.CommitWait/10))) != nil {
		return true
	}
	return o.failUpload(ctx, u, fmt.Sprintf("The commit of container %s did not complete on host %s: its request was interrupted.", u.Container, u.Host))
}

// upload streams the committed image from its host into the image store.
func (o *Operations) upload(parent context.Context, u images.Upload) bool {
	log := o.log.With("image", u.ImageID, "container_id", u.Container, "ref", u.Ref, "host", u.Host, "request_id", u.RequestID)
	ctx, cancel := context.WithDeadline(parent, u.CreatedAt.Add(o.d.CommitTimeout))
	defer cancel()
	start := time.Now()
	log.Info("uploading a commit")
	var err error
	for {
		err = o.uploadOnce(ctx, u)
		if parent.Err() != nil {
			return true
		}
		if err == nil || !o.tryAgain(ctx, log, u.Host, start, err) {
			break
		}
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("The upload of the commit of container %s timed out after %s.", u.Container, o.d.CommitTimeout)
	}
	if err != nil {
		log.Warn("commit failed", "error", err)
		return o.failUpload(parent, u, err.Error())
	}
	log.Info("container committed", "duration_ms", time.Since(start).Milliseconds())
	return true // the image is active: uploadDone finishes
}

// uploadOnce uploads the image from the start: an image left saving by
// an upload that was interrupted is queued again first.
func (o *Operations) uploadOnce(ctx context.Context, u images.Upload) error {
	api, err := o.d.Hosts.Reach(ctx, u.Host)
	if err != nil {
		return err
	}
	sys := auth.WithAllProjects(ctx)
	if _, err := o.d.ImageStore.Store.Update(sys, u.ImageID, func(im *glance.Image) error {
		if im.Status != glance.Saving {
			return errUnchanged // no write: it is queued already
		}
		im.Status = glance.Queued
		return nil
	}); err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	data, err := api.SaveImage(ctx, u.Ref)
	if err != nil {
		return err
	}
	defer data.Close()
	_, err = o.d.ImageStore.Upload(sys, u.ImageID, hostStream{data, u.Host})
	return err
}

// hostStream is a host's stream whose end before EOF (its agent went
// away) is ErrUnavailable, so that the upload is tried again.
type hostStream struct {
	r    io.Reader
	host string
}

func (s hostStream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && !errdefs.IsUnavailable(err) {
		err = errdefs.Unavailablef("read the image from host %s: %w", s.host, err)
	}
	return n, err
}

// uploadDone finishes the commit's event once its image is active.
func (o *Operations) uploadDone(ctx context.Context, u images.Upload) bool {
	return o.endUpload(ctx, u, nil)
}

// uploadDeleted ends an upload whose image was deleted.
func (o *Operations) uploadDeleted(ctx context.Context, u images.Upload) bool {
	return o.endUpload(ctx, u, errdefs.NotFoundf("The image %s was deleted before its upload finished.", u.ImageID))
}

// failUpload records why an upload failed; uploadFailed then ends it.
func (o *Operations) failUpload(ctx context.Context, u images.Upload, reason string) bool {
	_, err := o.d.Records.UpdateUpload(auth.WithAllProjects(ctx), u.ImageID, func(x *images.Upload) error {
		x.Failed = reason
		return nil
	})
	if err != nil && !errdefs.IsNotFound(err) {
		o.log.Warn("record a failed upload", "image", u.ImageID, "error", err)
		return false
	}
	return true
}

// uploadFailed fails the commit's event with the upload's reason and
// deletes its image, as a failed commit leaves none.
func (o *Operations) uploadFailed(ctx context.Context, u images.Upload) bool {
	cause := errors.New(u.Failed)
	if !o.finishEvent(ctx, u, cause) {
		return false
	}
	if err := o.d.ImageStore.Delete(auth.WithAllProjects(ctx), u.ImageID); err != nil && !errdefs.IsNotFound(err) {
		o.log.Warn("delete the image of a failed commit", "image", u.ImageID, "error", err)
		return false
	}
	return o.dropUpload(ctx, u)
}

// endUpload finishes the commit's event with cause and drops the record.
func (o *Operations) endUpload(ctx context.Context, u images.Upload, cause error) bool {
	return o.finishEvent(ctx, u, cause) && o.dropUpload(ctx, u)
}

// finishEvent finishes the commit action's event with cause.
func (o *Operations) finishEvent(ctx context.Context, u images.Upload, cause error) bool {
	event := container.EventName(container.ActCommit)
	err := o.d.Actions.FinishEvent(auth.WithAllProjects(ctx), u.Container, u.RequestID, event, cause)
	if err != nil && !errdefs.IsNotFound(err) {
		o.log.Warn("finish a commit's event", "container_id", u.Container, "request_id", u.RequestID, "error", err)
		return false
	}
	return true
}

// dropUpload deletes the record of an upload that has ended.
func (o *Operations) dropUpload(ctx context.Context, u images.Upload) bool {
	if err := o.d.Records.DeleteUpload(auth.WithAllProjects(ctx), u.ImageID); err != nil && !errdefs.IsNotFound(err) {
		o.log.Warn("drop a commit's upload", "image", u.ImageID, "error", err)
		return false
	}
	return true
}

// Reach implements OperationHosts: a host connected to this process, else
// one registered with an address this process can dial (its agent
// heartbeats to another control plane process).
func (h *AgentService) Reach(ctx context.Context, name string) (apiserver.HostAPI, error) {
	api, err := h.Host(name)
	if err == nil {
		return api, nil
	}
	if serr := h.d.Hosts.Sync(ctx); serr != nil {
		return nil, serr
	}
	rec, gerr := h.d.Hosts.Get(ctx, name)
	if errdefs.IsNotFound(gerr) {
		return nil, errdefs.NotFoundf("The compute host %s does not exist.", name)
	}
	if gerr != nil || rec.Address == "" || h.d.Dial == nil {
		return nil, err
	}
	return h.d.Dial(rec.Address), nil
}

// wait waits for d or until ctx ends, and returns ctx's error.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// operations assembles the operations runner of a plane being built.
func (p *Plane) operations(cfg Config) *Operations {
	d := OperationDeps{Records: p.Images, Actions: p.Containers, Hosts: p.Agents,
		Logger: p.log.With("role", "operations")}
	if p.ImageStore != nil {
		d.ImageStore, d.Glance = p.ImageStore, glance.NewEtcdStore(cfg.Store)
	}
	if cfg.ElectionID != "" {
		d.Elector = election{db: cfg.Store, role: "operations", id: cfg.ElectionID}
	}
	return NewOperations(d)
}

// Interface guards
var (
	_ OperationHosts   = (*AgentService)(nil)
	_ OperationRecords = (*images.EtcdStore)(nil)
	_ ChangeSource     = (*glance.EtcdStore)(nil)
)
