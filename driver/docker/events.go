package docker

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"

	"github.com/zun-go/zun/driver"
)

// stateActions are the engine's container events that change what Inspect
// shows. Exec, attach, top, copy and the like do not, and are not passed on.
var stateActions = map[events.Action]bool{
	events.ActionCreate: true, events.ActionStart: true, events.ActionRestart: true,
	events.ActionStop: true, events.ActionKill: true, events.ActionDie: true,
	events.ActionOOM: true, events.ActionPause: true, events.ActionUnPause: true,
	events.ActionUpdate: true, events.ActionRename: true, events.ActionDestroy: true,
}

// stateChanging reports whether a container event changes its state.
// Health events are "health_status: healthy" and the like.
func stateChanging(action events.Action) bool {
	return stateActions[action] || strings.HasPrefix(string(action), "health_status")
}

// Events streams the state changes of this host's managed containers.
// When ctx ends both channels are closed; when the engine's stream breaks
// (the engine restarted, say), the error channel yields why, and then both
// are closed. The caller re-subscribes and catches up with List.
func (d *Driver) Events(ctx context.Context) (<-chan driver.Event, <-chan error) {
	out := make(chan driver.Event, 64)
	errc := make(chan error, 1)
	args := d.managed()
	args.Add("type", string(events.ContainerEventType))
	msgs, errs := d.cli.Events(ctx, events.ListOptions{Filters: args})
	go func() {
		defer close(errc)
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-errs:
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				if ctx.Err() == nil {
					errc <- wrap(err, "docker event stream: %w")
				}
				return
			case m := <-msgs:
				if !stateChanging(m.Action) {
					continue
				}
				select {
				case out <- eventOf(m):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, errc
}

// eventOf is the driver event of an engine message.
func eventOf(m events.Message) driver.Event {
	return driver.Event{
		ID:     m.Actor.ID,
		UUID:   driver.Owner(m.Actor.Attributes),
		Action: string(m.Action),
		Time:   time.Unix(0, m.TimeNano),
	}
}

// Interface guards
var _ driver.EventWatcher = (*Driver)(nil)
