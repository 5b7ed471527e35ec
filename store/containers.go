package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Keys of the container domain, relative to the DB's prefix.
const (
	containersPrefix = "containers/"        // containers/<uuid>: the record
	actionsPrefix    = "container-actions/" // container-actions/<uuid>/<request id>
	namesPrefix      = "container-names/"   // see nameKey
)

func containerKey(uuid string) string { return containersPrefix + uuid }

func containerActionsPrefix(uuid string) string { return actionsPrefix + uuid + "/" }

// ContainerOptions configure the container store.
type ContainerOptions struct {
	// NameScope is where container names must be unique, compared without
	// regard to case: "" (nowhere, Zun's default), "project" or "global".
	// Every process sharing the etcd must use the same value. Names stored
	// before the scope was set or changed are not re-checked.
	NameScope string
}

// Name scopes.
const (
	NameScopeNone    = ""
	NameScopeProject = "project"
	NameScopeGlobal  = "global"
)

// ContainerStore keeps container records and their actions in etcd. It
// implements container.Store, container.ActionStore and container.Watcher.
// Lists and name lookups are served from an in-memory index fed by an etcd
// watch, which sees the writes of every process sharing the etcd; a read
// waits until the index holds this store's own earlier writes.
type ContainerStore struct {
	db    *DB
	scope string
	idx   *index
	// written is the store revision of this store's newest write to a
	// container record; reads of the index wait until it gets there.
	written atomic.Int64
	// parts join the transactions that write the records (see Join).
	parts []Participant
}

// A Participant keeps records that change with containers: a project's
// quota usage, a host's claims, a volume's attachment, a port. Joined to
// the container store (Join), it adds its own writes to the transaction
// of every container create, update and delete, so they commit with the
// record or not at all; an error refuses the write. A conflict on one of
// its keys retries the whole write with fresh reads.
type Participant interface {
	// Creating may set fields of c, the record about to be created (the
	// ids of the volumes and ports made for it).
	Creating(ctx context.Context, txn *Txn, c *container.Container) error
	// Updating sees the stored record old and what it becomes, c.
	Updating(ctx context.Context, txn *Txn, old, c *container.Container) error
	// Deleting sees the record about to be deleted.
	Deleting(ctx context.Context, txn *Txn, c *container.Container) error
}

// Join adds participants to every later write, called in the order
// joined: one that sets fields of a record (volumes) comes before one that
// reads them. Join before the store's first write.
func (s *ContainerStore) Join(parts ...Participant) {
	s.parts = append(s.parts, parts...)
}

// Containers returns the container store of db. Its index is loaded in the
// background and kept until db closes. It panics on an unknown NameScope;
// configurations are validated before.
func Containers(db *DB, opts ContainerOptions) *ContainerStore {
	switch opts.NameScope {
	case NameScopeNone, NameScopeProject, NameScopeGlobal:
	default:
		panic(fmt.Sprintf("store: unknown container name scope %q", opts.NameScope))
	}
	s := &ContainerStore{db: db, scope: opts.NameScope, idx: newIndex(db.ctx.Done())}
	db.Go(func(ctx context.Context) { s.idx.run(ctx, db) })
	return s
}

// Create implements container.Store. It sets the record's Schema,
// Revision and, when unset, UUID and CreatedAt.
func (s *ContainerStore) Create(ctx context.Context, c *container.Container, actions ...*container.Action) error {
	return s.create(ctx, []*container.Container{c}, actions)
}

// create stores recs, and actions of them, in one transaction; see
// CreateGroup.
func (s *ContainerStore) create(ctx context.Context, recs []*container.Container, actions []*container.Action) error {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	uuids := map[string]bool{}
	for _, c := range recs {
		if c.ProjectID == "" {
			return errdefs.Invalidf("container %q has no project", c.Name)
		}
		if !scope.Allows(c.ProjectID) {
			return errdefs.Forbiddenf("cannot create a container in project %s", c.ProjectID)
		}
		if c.UUID == "" {
			c.UUID = uuid.NewString()
		}
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		c.Schema = container.SchemaVersion
		uuids[c.UUID] = true
	}
	for _, a := range actions {
		if a.RequestID == "" || a.Action == "" || !uuids[a.ContainerUUID] {
			return errdefs.Invalidf("container action needs an action, a request id and one of the containers created")
		}
	}
	for attempt := 0; ; attempt++ {
		txn := s.db.Txn()
		for _, c := range recs {
			if err := s.creating(ctx, txn, c); err != nil {
				return err
			}
			txn.Create(containerKey(c.UUID), c)
			if nk := s.nameKey(c); nk != "" {
				txn.Create(nk, c.UUID)
			}
		}
		for _, a := range actions {
			stored := actionRecord{Schema: actionSchema, Action: *a}
			if stored.StartTime.IsZero() {
				stored.StartTime = time.Now().UTC()
			}
			txn.Create(actionKey(a.ContainerUUID, a.RequestID), stored)
		}
		rev, err := txn.Commit(ctx)
		if conflict := (*ConflictError)(nil); errors.As(err, &conflict) {
			if taken := s.takenIn(conflict, recs); taken != nil {
				return taken
			}
			if err := Backoff(ctx, attempt); err != nil {
				return err
			}
			continue // another write counted first
		}
		if err != nil {
			return err
		}
		for _, c := range recs {
			c.Revision = rev
		}
		s.wrote(rev)
		return nil
	}
}

// takenIn is the error of a create whose conflict is on a record's own
// keys (its uuid or its name), nil when it was on another's.
func (s *ContainerStore) takenIn(conflict *ConflictError, recs []*container.Container) error {
	for _, c := range recs {
		if conflict.Has(containerKey(c.UUID)) {
			return errdefs.Conflictf("A container with UUID %s already exists.", c.UUID)
		}
		if nk := s.nameKey(c); nk != "" && conflict.Has(nk) {
			return nameTaken(c.Name)
		}
	}
	return nil
}

// creating, updating and deleting call the participants, for every record
// but a capsule's member: a member is counted, claimed, plugged and
// attached through its capsule's record.
func (s *ContainerStore) creating(ctx context.Context, txn *Txn, c *container.Container) error {
	if c.IsMember() {
		return nil
	}
	for _, p := range s.parts {
		if err := p.Creating(ctx, txn, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *ContainerStore) updating(ctx context.Context, txn *Txn, old, c *container.Container) error {
	if c.IsMember() {
		return nil
	}
	for _, p := range s.parts {
		if err := p.Updating(ctx, txn, old, c); err != nil {
			return err
		}
	}
	return nil
}

func (s *ContainerStore) deleting(ctx context.Context, txn *Txn, c *container.Container) error {
	if c.IsMember() {
		return nil
	}
	for _, p := range s.parts {
		if err := p.Deleting(ctx, txn, c); err != nil {
			return err
		}
	}
	return nil
}

// Get implements container.Store. It reads etcd, not the index, so it
// sees every acknowledged write.
func (s *ContainerStore) Get(ctx context.Context, uuid string) (*container.Container, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	it, err := s.get(ctx, scope, uuid)
	if err != nil {
		return nil, err
	}
	return &it.Value, nil
}

// get reads a record the scope allows, with its Revision set.
func (s *ContainerStore) get(ctx context.Context, scope auth.Scope, uuid string) (Item[container.Container], error) {
	if uuid == "" || strings.Contains(uuid, "/") {
		return Item[container.Container]{}, notFound(uuid)
	}
	it, err := Get[container.Container](ctx, s.db, containerKey(uuid))
	if errdefs.IsNotFound(err) || (err == nil && !scope.Allows(it.Value.ProjectID)) {
		return Item[container.Container]{}, notFound(uuid)
	}
	if err != nil {
		return Item[container.Container]{}, err
	}
	it.Value.Revision = it.Revision
	return it, nil
}

// Find implements container.Store: ident is a uuid, else a name, compared
// without regard to case, among the containers the scope allows.
func (s *ContainerStore) Find(ctx context.Context, ident string) (*container.Container, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	it, err := s.get(ctx, scope, ident)
	switch {
	case err == nil:
		return &it.Value, nil
	case !errdefs.IsNotFound(err):
		return nil, err
	case ident == "":
		return nil, notFound(ident)
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	uuids := s.idx.named(scope, ident)
	switch {
	case len(uuids) > 1:
		return nil, errdefs.Conflictf("Multiple containers exist with same name. Please use the container uuid instead.")
	case len(uuids) == 0:
		return nil, notFound(ident)
	}
	it, err = s.get(ctx, scope, uuids[0])
	if errdefs.IsNotFound(err) {
		return nil, notFound(ident) // deleted since the index saw it
	}
	if err != nil {
		return nil, err
	}
	return &it.Value, nil
}

// Update implements container.Store. It sets UpdatedAt and Revision, and
// moves the name's uniqueness key when the name changes. fn must not
// change the UUID or the project.
func (s *ContainerStore) Update(ctx context.Context, uuid string, fn func(*container.Container) error) (*container.Container, error) {
	return s.UpdateWith(ctx, uuid, func(c *container.Container, _ *Txn) error { return fn(c) })
}

// UpdateWith is Update whose fn may add writes of its own to the
// transaction that stores the record (the ports of a network attach).
func (s *ContainerStore) UpdateWith(ctx context.Context, uuid string, fn func(*container.Container, *Txn) error) (*container.Container, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		it, err := s.get(ctx, scope, uuid)
		if err != nil {
			return nil, err
		}
		old := &it.Value
		if old.Schema > container.SchemaVersion {
			return nil, errdefs.Unavailablef("container %s was written by a newer version (schema %d); upgrade this service", uuid, old.Schema)
		}
		c := old.Clone()
		txn := s.db.Txn()
		if err := fn(c, txn); err != nil {
			return nil, err
		}
		if c.UUID != old.UUID || c.ProjectID != old.ProjectID || c.CapsuleID != old.CapsuleID || c.Kind != old.Kind {
			return nil, errdefs.Invalidf("container %s: the uuid, project, kind and capsule cannot change", uuid)
		}
		if len(txn.ops) == 0 && old.Schema == container.SchemaVersion && old.SameAs(c) {
			// Nothing to write: at rest the store's revision does not move.
			return old, nil
		}
		c.Schema = container.SchemaVersion
		c.UpdatedAt = time.Now().UTC()
		if err := s.updating(ctx, txn, old, c); err != nil {
			return nil, err
		}
		txn.Swap(containerKey(uuid), c, it.Revision)
		newKey := s.nameKey(c)
		if newKey != s.nameKey(old) {
			if err := s.releaseName(ctx, txn, old); err != nil {
				return nil, err
			}
			if newKey != "" {
				txn.Create(newKey, uuid)
			}
		}
		rev, err := txn.Commit(ctx)
		if conflict := (*ConflictError)(nil); errors.As(err, &conflict) {
			if conflict.Has(newKey) {
				return nil, nameTaken(c.Name)
			}
			if err := Backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		c.Revision = rev
		s.wrote(rev)
		return c, nil
	}
}

// Delete implements container.Store: the record, its actions and its
// name's uniqueness key go in one transaction.
func (s *ContainerStore) Delete(ctx context.Context, uuid string) error {
	return s.delete(ctx, []string{uuid}, true, nil)
}

// wrote records a write to a container record at rev.
func (s *ContainerStore) wrote(rev int64) {
	for {
		cur := s.written.Load()
		if rev <= cur || s.written.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// Each calls fn with every container of project ("": of every project)
// that the index holds once it has this store's own writes. Participants
// count from it the records written before they kept a tally of their
// own. fn must not keep c or call the store.
func (s *ContainerStore) Each(ctx context.Context, project string, fn func(c *container.Container)) error {
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.idx.mu.RLock()
	defer s.idx.mu.RUnlock()
	if project != "" {
		for _, e := range s.idx.projects[project] {
			fn(e.c)
		}
		return nil
	}
	for _, e := range s.idx.all {
		fn(e.c)
	}
	return nil
}

// catchUp waits until the index holds this store's own writes.
func (s *ContainerStore) catchUp(ctx context.Context) error {
	return s.idx.waitFor(ctx, s.written.Load())
}

func notFound(ident string) error {
	return errdefs.NotFoundf("Container %s could not be found.", ident)
}

// Interface guards
var (
	_ container.Store       = (*ContainerStore)(nil)
	_ container.ActionStore = (*ContainerStore)(nil)
	_ container.Watcher     = (*ContainerStore)(nil)
)
