package apiserver

import (
	"time"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// startContainer serves POST .../start.
func (s *Server) startContainer(c *call) (any, error) {
	return s.request(c, container.ActStart, container.Op{}, "")
}

// stopContainer serves POST .../stop?timeout=N.
func (s *Server) stopContainer(c *call) (any, error) {
	t, err := s.timeoutParam(c)
	if err != nil {
		return nil, err
	}
	return s.request(c, container.ActStop, container.Op{Timeout: &t}, "")
}

// rebootContainer serves POST .../reboot?timeout=N.
func (s *Server) rebootContainer(c *call) (any, error) {
	t, err := s.timeoutParam(c)
	if err != nil {
		return nil, err
	}
	return s.request(c, container.ActReboot, container.Op{Timeout: &t}, container.Restarting)
}

// pauseContainer serves POST .../pause.
func (s *Server) pauseContainer(c *call) (any, error) {
	return s.request(c, container.ActPause, container.Op{}, "")
}

// unpauseContainer serves POST .../unpause.
func (s *Server) unpauseContainer(c *call) (any, error) {
	return s.request(c, container.ActUnpause, container.Op{}, "")
}

// killContainer serves POST .../kill?signal=SIG.
func (s *Server) killContainer(c *call) (any, error) {
	sig, err := schema.Signal(c.r.URL.Query().Get("signal"))
	if err != nil {
		return nil, err
	}
	return s.request(c, container.ActKill, container.Op{Signal: sig}, "")
}

func (s *Server) timeoutParam(c *call) (int, error) {
	q := c.r.URL.Query()
	if !q.Has("timeout") {
		return 10, nil
	}
	return schema.Timeout(q.Get("timeout"))
}

// request asks the container's host to carry out action: it checks the
// state, records the action and sets the op on the record, where the
// host's agent picks it up. It answers 202 at once; the outcome shows in
// the status and in the action's events. status, if set, is shown at once
// (Zun shows Restarting as soon as a reboot is asked for).
func (s *Server) request(c *call, action string, op container.Op, status container.Status) (any, error) {
	ct, err := s.findContainer(c, "container:"+action, "")
	if err != nil {
		return nil, err
	}
	check := func(x *container.Container) error {
		if err := container.CheckState(x, action); err != nil {
			return err
		}
		if x.Op != nil {
			return errdefs.Conflictf("Cannot %s container %s: %s is still in progress.", action, x.UUID, x.Op.Action)
		}
		if x.Host == "" {
			return errdefs.Conflictf("Cannot %s container %s: it is not placed on any host.", action, x.UUID)
		}
		return nil
	}
	if err := check(ct); err != nil {
		return nil, err
	}
	if err := s.Actions.StartAction(c.ctx, s.newAction(c, ct, action)); err != nil {
		return nil, err
	}
	op.Action = action
	op.RequestID = c.requestID
	_, err = s.Containers.Update(c.ctx, ct.UUID, func(x *container.Container) error {
		if err := check(x); err != nil {
			return err
		}
		x.SetOp(op)
		if status != "" {
			x.Status = status
		}
		return nil
	})
	if err != nil {
		s.failAction(c, ct.UUID, container.EventName(action), err)
		return nil, err
	}
	c.log.Info("container action requested", "action", action)
	c.status = 202
	return nil, nil
}

func (s *Server) newAction(c *call, ct *container.Container, action string) *container.Action {
	p := principal(c)
	return &container.Action{
		Action:        action,
		ContainerUUID: ct.UUID,
		RequestID:     c.requestID,
		UserID:        p.UserID,
		ProjectID:     ct.ProjectID,
		StartTime:     time.Now().UTC(),
	}
}

// failAction records an event of the request that no host carries out
// (cause nil: it succeeded), such as a failure before any host saw it.
func (s *Server) failAction(c *call, uuid, event string, cause error) {
	c.forContainer(uuid)
	if err := s.Actions.StartEvent(c.ctx, uuid, c.requestID, event); err != nil {
		c.log.Error("record event", "error", err)
		return
	}
	if err := s.Actions.FinishEvent(c.ctx, uuid, c.requestID, event, cause); err != nil {
		c.log.Error("record event", "error", err)
	}
}
