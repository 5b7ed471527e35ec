package compute

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

// steps times the steps of an op (the image, the network, the engine's
// create and start), logged with the op's outcome: where a create's time
// goes, read by the latency benchmark (make bench).
type steps struct {
	mu    sync.Mutex
	last  time.Time
	names []string
	took  []time.Duration
}

type stepsKey struct{}

// withSteps returns ctx carrying a new timer of steps starting at start.
func withSteps(ctx context.Context, start time.Time) (context.Context, *steps) {
	s := &steps{last: start}
	return context.WithValue(ctx, stepsKey{}, s), s
}

// stepDone ends the step called name of ctx's op: the time since the
// previous step ended. Without a timer it does nothing.
func stepDone(ctx context.Context, name string) {
	s, _ := ctx.Value(stepsKey{}).(*steps)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.names = append(s.names, name)
	s.took = append(s.took, now.Sub(s.last))
	s.last = now
}

// String renders the steps as "image=2ms network=31ms ...".
func (s *steps) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for i, n := range s.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n + "=" + strconv.FormatInt(s.took[i].Milliseconds(), 10) + "ms")
	}
	return b.String()
}
