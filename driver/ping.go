package driver

import "context"

// Pinger is a Driver that can tell whether its runtime answers at all:
// the agent reports a host whose runtime does not as not ready, and the
// scheduler places nothing there until it answers again.
type Pinger interface {
	Ping(ctx context.Context) error
}
