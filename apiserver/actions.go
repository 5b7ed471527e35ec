package apiserver

import "github.com/zun-go/zun/container"

func actionView(a *container.Action, withEvents, showTraceback bool) map[string]any {
	v := map[string]any{
		"action":         a.Action,
		"container_uuid": a.ContainerUUID,
		"request_id":     a.RequestID,
		"user_id":        a.UserID,
		"project_id":     a.ProjectID,
		"start_time":     formatTime(a.StartTime),
		"finish_time":    formatTime(a.FinishTime),
		"message":        orNull(a.Message),
	}
	if withEvents {
		// Newest first, as Zun lists them.
		events := make([]map[string]any, 0, len(a.Events))
		for i := len(a.Events) - 1; i >= 0; i-- {
			e := a.Events[i]
			ev := map[string]any{
				"event":       e.Event,
				"start_time":  formatTime(e.StartTime),
				"finish_time": formatTime(e.FinishTime),
				"result":      orNull(e.Result),
				"traceback":   nil,
			}
			if showTraceback {
				ev["traceback"] = orNull(e.Traceback)
			}
			events = append(events, ev)
		}
		v["events"] = events
	}
	return v
}

// listActions serves GET .../container_actions.
func (s *Server) listActions(c *call) (any, error) {
	ct, err := s.findContainer(c, "container:actions", "")
	if err != nil {
		return nil, err
	}
	actions, err := s.Actions.ListActions(c.ctx, ct.UUID)
	if err != nil {
		return nil, err
	}
	views := make([]map[string]any, 0, len(actions))
	for _, a := range actions {
		views = append(views, actionView(a, false, false))
	}
	return map[string]any{"containerActions": views}, nil
}

// showAction serves GET .../container_actions/{request_id}. Tracebacks of
// failed events are shown to admins only (container:action:events).
func (s *Server) showAction(c *call) (any, error) {
	ct, err := s.findContainer(c, "container:actions", "")
	if err != nil {
		return nil, err
	}
	a, err := s.Actions.GetAction(c.ctx, ct.UUID, c.r.PathValue("rid"))
	if err != nil {
		return nil, err
	}
	return actionView(a, true, s.allowed(c, "container:action:events")), nil
}
