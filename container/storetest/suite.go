// Package storetest is the behavioural suite every container store must
// pass: tenant scoping, name uniqueness, lookups, lists, compare-and-swap
// updates, watches and actions. A backend's tests call Run with a factory
// of fresh, empty stores:
//
//	func TestContainerStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Stores {
//			s := mybackend.New(opts.NameScope)
//			return storetest.Stores{Containers: s, Actions: s, Watcher: s}
//		})
//	}
package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
)

// Stores is one backend's implementation of the container interfaces, all
// on the same data.
type Stores struct {
	Containers container.Store
	Actions    container.ActionStore
	Watcher    container.Watcher
}

// Options configure a store under test.
type Options struct {
	// NameScope is where names must be unique: "", "project" or "global".
	NameScope string
}

// Factory returns a new, empty store configured by opts, cleaned up when
// t ends.
type Factory func(t *testing.T, opts Options) Stores

// Run runs the whole suite, in parallel subtests.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"Scoping", testScoping},
		{"Names", testNames},
		{"Find", testFind},
		{"List", testList},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"Watch", testWatch},
		{"Actions", testActions},
		{"CreateWithAction", testCreateWithAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore)
		})
	}
}

// Projects of the suite's callers.
const (
	projectA = "project-a"
	projectB = "project-b"
)

// as returns a context scoped to project, as a member of it calls.
func as(t *testing.T, project string) context.Context {
	return auth.WithPrincipal(t.Context(), auth.Principal{ProjectID: project, UserID: "user-" + project})
}

// admin returns a context that sees all projects.
func admin(t *testing.T) context.Context { return auth.WithAllProjects(t.Context()) }

var seq atomic.Int64

// newContainer returns a record as the API would create it.
func newContainer(project, name string) *container.Container {
	return &container.Container{
		UUID:      uuid.NewString(),
		Name:      name,
		ProjectID: project,
		UserID:    "user-" + project,
		Image:     "busybox",
		Memory:    512,
		CPU:       1,
		Status:    container.Created,
		CreatedAt: time.Now().UTC().Add(time.Duration(seq.Add(1))),
	}
}

// mustCreate stores c in its project, failing the test on error.
func mustCreate(t *testing.T, s Stores, c *container.Container) *container.Container {
	t.Helper()
	if err := s.Containers.Create(as(t, c.ProjectID), c); err != nil {
		t.Fatalf("create %s: %v", c.Name, err)
	}
	return c
}

// uuids returns the uuids of cs, in order.
func uuids(cs []*container.Container) []string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.UUID)
	}
	return ids
}

// eventually polls check until it returns nil, failing the test with its
// last error after a while.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not true after 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receive returns the next change of ch, failing the test if none comes.
func receive(t *testing.T, ch <-chan container.Change) container.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatalf("watch channel closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("no change within 10s")
	}
	return container.Change{}
}

func describe(c *container.Container) string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s(%s)", c.Name, c.UUID)
}
