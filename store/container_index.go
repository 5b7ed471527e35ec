package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// index is the in-memory copy of every container record that List and
// Find read, so that they never scan etcd. One goroutine keeps it: it
// lists the records, then applies the etcd watch from the list's revision;
// if the watch fails it lists again.
type index struct {
	mu sync.RWMutex
	// rev is the store revision the index reflects; 0 until loaded.
	rev int64
	// advanced is closed, and replaced, whenever rev grows.
	advanced chan struct{}
	// closed ends waits when the DB closes.
	closed <-chan struct{}

	byUUID   map[string]*entry
	all      []*entry            // every entry, in creation order
	projects map[string][]*entry // each project's entries, in creation order
	names    map[string][]*entry // entries by lower-cased name
}

// entry is one record. c is never changed in place: an update replaces
// it, so a reader holding it keeps a consistent record.
type entry struct {
	c         *container.Container
	createRev int64
}

func newIndex(closed <-chan struct{}) *index {
	return &index{advanced: make(chan struct{}), closed: closed}
}

// run keeps the index until ctx ends.
func (x *index) run(ctx context.Context, db *DB) {
	log := db.log.With("index", "containers")
	for attempt := 0; ctx.Err() == nil; attempt++ {
		items, rev, err := List[container.Container](ctx, db, containersPrefix)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("load container index", "error", err)
			}
			sleep(ctx, min(time.Duration(attempt+1)*100*time.Millisecond, 5*time.Second))
			continue
		}
		attempt = 0
		x.reset(items, rev)
		for b := range Watch[container.Container](ctx, db, containersPrefix, rev+1) {
			if b.Err != nil {
				log.Warn("container index watch ended; reloading", "error", b.Err)
				sleep(ctx, 100*time.Millisecond)
				break
			}
			x.apply(b)
		}
	}
}

// reset replaces the contents with items, read at rev.
func (x *index) reset(items []Item[container.Container], rev int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.byUUID = make(map[string]*entry, len(items))
	x.all = make([]*entry, 0, len(items))
	x.projects = map[string][]*entry{}
	x.names = map[string][]*entry{}
	slices.SortFunc(items, func(a, b Item[container.Container]) int {
		return cmp.Compare(a.CreateRevision, b.CreateRevision)
	})
	for _, it := range items {
		x.put(it)
	}
	x.advance(rev)
}

// apply applies a batch of watched changes.
func (x *index) apply(b Batch[container.Container]) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ev := range b.Events {
		if ev.Deleted {
			x.remove(strings.TrimPrefix(ev.Item.Key, containersPrefix))
		} else {
			x.put(ev.Item)
		}
	}
	x.advance(b.Revision)
}

func (x *index) advance(rev int64) {
	if rev > x.rev {
		x.rev = rev
		close(x.advanced)
		x.advanced = make(chan struct{})
	}
}

// put adds or replaces a record. The caller holds mu.
func (x *index) put(it Item[container.Container]) {
	c := record(it)
	if e := x.byUUID[c.UUID]; e != nil && e.createRev == it.CreateRevision && e.c.ProjectID == c.ProjectID {
		x.dropName(e)
		e.c = c
		x.addName(e)
		return
	}
	x.remove(c.UUID)
	e := &entry{c: c, createRev: it.CreateRevision}
	x.byUUID[c.UUID] = e
	x.all = insertOrdered(x.all, e)
	x.projects[c.ProjectID] = insertOrdered(x.projects[c.ProjectID], e)
	x.addName(e)
}

// remove drops a record, if present. The caller holds mu.
func (x *index) remove(uuid string) {
	e := x.byUUID[uuid]
	if e == nil {
		return
	}
	delete(x.byUUID, uuid)
	x.all = removeOrdered(x.all, e)
	if p := removeOrdered(x.projects[e.c.ProjectID], e); len(p) > 0 {
		x.projects[e.c.ProjectID] = p
	} else {
		delete(x.projects, e.c.ProjectID)
	}
	x.dropName(e)
}

func (x *index) addName(e *entry) {
	name := strings.ToLower(e.c.Name)
	x.names[name] = append(x.names[name], e)
}

func (x *index) dropName(e *entry) {
	name := strings.ToLower(e.c.Name)
	n := slices.DeleteFunc(x.names[name], func(o *entry) bool { return o == e })
	if len(n) > 0 {
		x.names[name] = n
	} else {
		delete(x.names, name)
	}
}

// waitFor waits until the index is loaded and reflects revision rev.
func (x *index) waitFor(ctx context.Context, rev int64) error {
	for {
		x.mu.RLock()
		ok, advanced := x.rev > 0 && x.rev >= rev, x.advanced
		x.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-advanced:
		case <-x.closed:
			return errdefs.Unavailablef("container store is closed")
		case <-ctx.Done():
			return errdefs.Unavailablef("container index has not caught up with revision %d: %w", rev, ctx.Err())
		}
	}
}

// named returns the uuids of the containers the scope allows whose name
// is name, without regard to case.
func (x *index) named(scope auth.Scope, name string) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var uuids []string
	for _, e := range x.names[strings.ToLower(name)] {
		if scope.Allows(e.c.ProjectID) {
			uuids = append(uuids, e.c.UUID)
		}
	}
	return uuids
}

func byCreation(a, b *entry) int { return cmp.Compare(a.createRev, b.createRev) }

func insertOrdered(s []*entry, e *entry) []*entry {
	if n := len(s); n == 0 || s[n-1].createRev < e.createRev {
		return append(s, e) // the usual case: the newest record
	}
	i, _ := slices.BinarySearchFunc(s, e, byCreation)
	return slices.Insert(s, i, e)
}

func removeOrdered(s []*entry, e *entry) []*entry {
	if i, ok := slices.BinarySearchFunc(s, e, byCreation); ok {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
