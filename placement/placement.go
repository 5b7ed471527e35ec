// Package placement runs the scheduler as a service: the one leader among
// the control plane's processes watches the containers waiting for a host
// (recorded Creating, with none), picks one for each with the filter
// scheduler and claims it in the store, in the same transaction that gives
// the record its host.
//
// API processes only record a new container; whichever process leads
// places it. A leader that dies leaves nothing behind: the next one finds
// the records still waiting and places them. Two leaders for a moment
// (one whose lease just expired, one just elected) cannot overcommit a
// host, because every claim is checked against the host's capacity in the
// store; the loser of a race picks again.
package placement

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/host"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/scheduler"
)

// Source streams the containers waiting for a host: the current ones, then
// every change to the set. A record leaving the set (placed, failed,
// deleted) comes as a deletion. The channel closes when ctx ends or when
// the source lost track; then call Pending again.
type Source interface {
	Pending(ctx context.Context) ([]*container.Container, <-chan container.Change, error)
}

// Scheduler picks a host for a container.
type Scheduler interface {
	Schedule(ctx context.Context, c *container.Container) (string, error)
}

// Elector grants a role (the scheduler's) to one process at a time.
type Elector interface {
	// Campaign blocks until this process leads or ctx ends.
	Campaign(ctx context.Context) (Term, error)
}

// Term is a leadership: its context ends when the leadership is lost.
type Term interface {
	Context() context.Context
	Resign(ctx context.Context) error
}

// Config configures the service. Zero fields take their defaults.
type Config struct {
	// Workers is how many containers are placed at once. Default 16.
	Workers int
	// Elector makes the service lead only when elected; nil: it always
	// leads (a single control plane process, tests).
	Elector Elector
	// ClaimAttempts is how many times a container is scheduled again when
	// its claim is refused (another placement took the room first) before
	// it is failed. Default 10.
	ClaimAttempts int
}

// Service places the containers waiting for a host.
type Service struct {
	cfg        Config
	sched      Scheduler
	src        Source
	containers container.Store
	actions    container.ActionStore
	log        *slog.Logger
}

// New returns a placement service. actions may be nil: then a failed
// placement is not recorded as an action event.
func New(cfg Config, sched Scheduler, src Source, cs container.Store, actions container.ActionStore, log *slog.Logger) *Service {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.ClaimAttempts <= 0 {
		cfg.ClaimAttempts = 10
	}
	if log == nil {
		log = logctx.Discard()
	}
	return &Service{cfg: cfg, sched: sched, src: src, containers: cs, actions: actions, log: log}
}

// Run campaigns for the scheduler role and, while leading, places
// containers. It returns when ctx ends, resigning first.
func (s *Service) Run(ctx context.Context) {
	Elected(ctx, s.cfg.Elector, "scheduler", s.log, s.lead)
}

// Elected runs lead while this process holds role, campaigning again
// whenever it loses it, until ctx ends; then it resigns. Without an
// elector it always leads (one control plane process, tests). lead must
// return when its ctx ends.
func Elected(ctx context.Context, e Elector, role string, log *slog.Logger, lead func(context.Context)) {
	for ctx.Err() == nil {
		if e == nil {
			lead(ctx)
			continue
		}
		term, err := e.Campaign(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn(role+" leader election", "error", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		log.Info("leading the " + role)
		lctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(term.Context(), cancel)
		lead(lctx)
		stop()
		cancel()
		if ctx.Err() != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = term.Resign(rctx)
			rcancel()
			return
		}
		log.Warn("lost the " + role + " leadership")
	}
}

// lead places containers until ctx ends.
func (s *Service) lead(ctx context.Context) {
	work := make(chan *container.Container)
	retry := make(chan string, s.cfg.Workers)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if !s.place(ctx, c) && ctx.Err() == nil {
					retry <- c.UUID
				}
			}
		}()
	}
	defer wg.Wait()
	defer close(work)
	for ctx.Err() == nil {
		snapshot, changes, err := s.src.Pending(ctx)
		if err != nil {
			s.log.Warn("watch containers waiting for a host", "error", err)
			sleep(ctx, time.Second)
			continue
		}
		s.dispatch(ctx, snapshot, changes, work, retry)
	}
}

// dispatch hands the waiting containers to the workers, each once, in the
// order they arrived; a container whose placement failed for a passing
// reason is handed out again a moment later. It returns when the source's
// channel closes or ctx ends.
func (s *Service) dispatch(ctx context.Context, snapshot []*container.Container, changes <-chan container.Change,
	work chan<- *container.Container, retry chan string) {
	waiting := map[string]*container.Container{}
	var todo []string
	for _, c := range snapshot {
		waiting[c.UUID] = c
		todo = append(todo, c.UUID)
	}
	again := make(chan string)
	done := make(chan struct{})
	defer close(done)
	for {
		// Skip what left the set since it was queued.
		for len(todo) > 0 && waiting[todo[0]] == nil {
			todo = todo[1:]
		}
		var out chan<- *container.Container
		var next *container.Container
		if len(todo) > 0 {
			out, next = work, waiting[todo[0]]
		}
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-changes:
			if !ok {
				return
			}
			c := ch.Container
			switch _, known := waiting[c.UUID]; {
			case ch.Deleted:
				delete(waiting, c.UUID)
			case !known:
				todo = append(todo, c.UUID)
				fallthrough
			default:
				waiting[c.UUID] = c
			}
		case out <- next:
			// It stays in waiting until it leaves the set, so that its
			// changes meanwhile do not queue it twice.
			todo = todo[1:]
		case uuid := <-retry:
			time.AfterFunc(time.Second, func() {
				select {
				case again <- uuid:
				case <-done:
				}
			})
		case uuid := <-again:
			if waiting[uuid] != nil {
				todo = append(todo, uuid)
			}
		}
	}
}

// errDecided stops an update of a record that no longer waits for a host.
var errDecided = errors.New("placement: already decided")

// place schedules c and claims the host. It reports false when c should
// be tried again later (the store or the host view failed for a moment).
func (s *Service) place(ctx context.Context, c *container.Container) bool {
	// Hints resolve within the container's own project.
	pctx := auth.WithPrincipal(ctx, auth.Principal{ProjectID: c.ProjectID, UserID: c.UserID})
	sys := auth.System(ctx)
	var lastClaim error
	for attempt := 0; attempt < s.cfg.ClaimAttempts; attempt++ {
		name, err := s.sched.Schedule(pctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return true
			}
			if final(err) {
				s.fail(ctx, c, err)
				return true
			}
			s.log.Warn("schedule", "container", c.UUID, "error", err)
			return false
		}
		err = s.decide(sys, c, func(x *container.Container) error {
			if x.Host != "" || x.Status != container.Creating {
				return errDecided
			}
			x.Host = name
			return nil
		})
		var claim *host.ClaimError
		switch {
		case err == nil:
			s.log.Debug("placed", "container", c.UUID, "host", name)
			return true
		case errors.Is(err, errDecided), errdefs.IsNotFound(err):
			return true
		case errors.As(err, &claim):
			// The view was a moment old; the store had the truth.
			lastClaim = err
			sleep(ctx, time.Duration(attempt)*5*time.Millisecond)
			continue
		case ctx.Err() != nil:
			return true
		default:
			s.log.Warn("claim a host", "container", c.UUID, "host", name, "error", err)
			return false
		}
	}
	s.fail(ctx, c, lastClaim)
	return true
}

// decide applies fn to c's record: a container's alone, a capsule's and
// each of its members' together, in one write (a capsule is placed, or
// fails, as one unit; its record holds the claim).
func (s *Service) decide(ctx context.Context, c *container.Container, fn func(*container.Container) error) error {
	gs, ok := s.containers.(container.GroupStore)
	if !c.IsCapsule() || c.Capsule == nil {
		_, err := s.containers.Update(ctx, c.UUID, fn)
		return err
	}
	if !ok {
		return errdefs.NotSupportedf("the container store keeps no capsules")
	}
	_, err := gs.UpdateGroup(ctx, append([]string{c.UUID}, c.Capsule.MemberUUIDs()...), func(recs []*container.Container) error {
		for _, x := range recs {
			if err := fn(x); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// final reports whether a scheduling error is the container's fate rather
// than a passing failure: no host can take it, the requested host is
// gone, a hint is wrong.
func final(err error) bool {
	var nvh *scheduler.NoValidHostError
	return errors.As(err, &nvh) || errdefs.IsNotFound(err) || errdefs.IsInvalid(err)
}

// fail records that c cannot be placed: status Error with the reason, and
// a failed compute__schedule event in its create action.
func (s *Service) fail(ctx context.Context, c *container.Container, cause error) {
	sys := auth.System(ctx)
	err := s.decide(sys, c, func(x *container.Container) error {
		if x.Host != "" || x.Status != container.Creating {
			return errDecided
		}
		x.Status = container.Error
		x.StatusReason = cause.Error()
		x.Op = nil
		return nil
	})
	if err != nil {
		if !errors.Is(err, errDecided) && !errdefs.IsNotFound(err) {
			s.log.Warn("record a failed placement", "container", c.UUID, "error", err)
		}
		return
	}
	s.log.Info("no host for container", "container", c.UUID, "reason", cause)
	if s.actions == nil || c.Op == nil || c.Op.RequestID == "" {
		return
	}
	const event = "compute__schedule"
	uuids := []string{c.UUID}
	if c.IsCapsule() && c.Capsule != nil {
		// A capsule's members fail with it: each one's create action
		// ends with the reason too.
		uuids = append(uuids, c.Capsule.MemberUUIDs()...)
	}
	for _, id := range uuids {
		if err := s.actions.StartEvent(sys, id, c.Op.RequestID, event); err != nil {
			s.log.Warn("record event", "container", id, "error", err)
			continue
		}
		if err := s.actions.FinishEvent(sys, id, c.Op.RequestID, event, cause); err != nil {
			s.log.Warn("record event", "container", id, "error", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
