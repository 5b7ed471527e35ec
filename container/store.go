package container

import "context"

// ListOptions select and order a page of containers.
type ListOptions struct {
	// Filters by field: name, image, project_id, user_id, memory, host,
	// task_state, status, auto_remove. Values compare as strings.
	Filters map[string]string
	// Limit is the page size; 0 is no limit.
	Limit int
	// Marker is the uuid of the last container of the previous page.
	Marker string
	// SortKey is a field name ("id" and "created_at" both order by
	// creation); SortDir "asc" or "desc".
	SortKey string
	SortDir string
}

// Store keeps container records. Every method reads the caller's scope from
// ctx (package auth) and sees only what the scope allows: a container of
// another project is ErrNotFound, never an ErrForbidden that would confirm it
// exists.
type Store interface {
	// Create stores a new record, and with it in the same transaction the
	// given actions (usually its create action), so that nobody sees the
	// record without them. ErrConflict if its name is taken in the
	// configured uniqueness scope.
	Create(ctx context.Context, c *Container, actions ...*Action) error
	// Get returns the container with uuid.
	Get(ctx context.Context, uuid string) (*Container, error)
	// Find returns the container whose uuid or name is ident; ErrConflict
	// when several share the name.
	Find(ctx context.Context, ident string) (*Container, error)
	// List returns a page of containers.
	List(ctx context.Context, opts ListOptions) ([]*Container, error)
	// Update applies fn to the newest record and stores the result with
	// compare-and-swap, retrying on concurrent change. fn may be called more
	// than once; an error from fn aborts and is returned.
	Update(ctx context.Context, uuid string, fn func(*Container) error) (*Container, error)
	// Delete removes the record and its actions.
	Delete(ctx context.Context, uuid string) error
}

// ActionStore keeps the actions recorded for containers.
type ActionStore interface {
	// StartAction records a new action.
	StartAction(ctx context.Context, a *Action) error
	// StartEvent adds a started event to an action; an event of that name
	// still unfinished is left as it is (an op tried again).
	StartEvent(ctx context.Context, uuid, requestID, event string) error
	// FinishEvent finishes the newest event of that name; a non-nil cause
	// makes it an Error with cause as traceback. The action finishes with
	// it, and its message is set on error.
	FinishEvent(ctx context.Context, uuid, requestID, event string, cause error) error
	// ListActions returns the container's actions, newest first.
	ListActions(ctx context.Context, uuid string) ([]*Action, error)
	// GetAction returns one action with its events.
	GetAction(ctx context.Context, uuid, requestID string) (*Action, error)
}

// Change is one change to a container record, seen by a watch.
type Change struct {
	// Container is the record as stored; for a delete, the last one stored.
	Container *Container
	Deleted   bool
}

// Watcher streams changes to container records.
type Watcher interface {
	// Watch returns every record the scope allows (the control plane calls
	// it with an all-projects scope), then sends every later change in
	// order, without gaps. The channel closes when ctx ends; if it closes
	// before that (the store lost its history), call Watch again.
	Watch(ctx context.Context) ([]*Container, <-chan Change, error)
}

// GroupStore writes a capsule's records together: the capsule's own
// (Kind capsule) and its members' (CapsuleID set), all or none, so that
// nobody sees a capsule without its members or a member on a host its
// capsule is not on. Stores that keep capsules implement it beside Store.
type GroupStore interface {
	// CreateGroup stores new records in one transaction: a capsule's,
	// then its members'; and with them the given actions of any of them.
	CreateGroup(ctx context.Context, recs []*Container, actions ...*Action) error
	// UpdateGroup applies fn to the newest records of uuids, in that
	// order, and stores those that changed in one transaction, retrying
	// on concurrent change; fn may be called more than once. A record
	// that is gone is ErrNotFound.
	UpdateGroup(ctx context.Context, uuids []string, fn func([]*Container) error) ([]*Container, error)
	// DeleteGroup removes the records of uuids that still exist, with
	// their actions, in one transaction. check, when not nil, sees each
	// record as it is deleted; its error stops the delete (a record that
	// changed since the caller read it: it was placed meanwhile).
	DeleteGroup(ctx context.Context, uuids []string, check func(*Container) error) error
}
