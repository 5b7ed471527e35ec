package quota

import (
	"context"
	"errors"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// Keys of quotas, relative to the store's prefix.
const (
	quotasPrefix       = "quotas/"        // quotas/<project>: Limits
	quotaClassesPrefix = "quota-classes/" // quota-classes/<class>: Limits
	quotaUsagePrefix   = "quota-usage/"   // quota-usage/<project>: Usage
)

func usageKey(projectID string) string { return quotaUsagePrefix + projectID }

// EtcdStore keeps project and class limits and the projects' usage in
// etcd. It implements Store; joined to the container store (a
// store.Participant), every container create, delete and resize changes
// its project's usage in the same transaction as the record, and a create
// or resize beyond a limit is refused.
type EtcdStore struct {
	db *store.DB
	// cs counts the usage of a project that has no record of it yet.
	cs       *store.ContainerStore
	defaults Limits
}

// NewEtcdStore returns the quota store of db, counting from cs. defaults
// are the configuration defaults (DefaultLimits).
func NewEtcdStore(db *store.DB, cs *store.ContainerStore, defaults Limits) *EtcdStore {
	return &EtcdStore{db: db, cs: cs, defaults: defaults}
}

func (q *EtcdStore) limits(ctx context.Context, key string) (Limits, int64, error) {
	it, err := store.Get[Limits](ctx, q.db, key)
	if errdefs.IsNotFound(err) {
		return Limits{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if it.Value == nil {
		it.Value = Limits{}
	}
	return it.Value, it.Revision, nil
}

func (q *EtcdStore) merge(ctx context.Context, key string, lim Limits) error {
	for attempt := 0; ; attempt++ {
		cur, rev, err := q.limits(ctx, key)
		if err != nil {
			return err
		}
		_, err = q.db.Txn().Swap(key, cur.Over(lim), rev).Commit(ctx)
		var conflict *store.ConflictError
		if errors.As(err, &conflict) {
			if err := store.Backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// ProjectLimits implements Store.
func (q *EtcdStore) ProjectLimits(ctx context.Context, projectID string) (Limits, error) {
	lim, _, err := q.limits(ctx, quotasPrefix+projectID)
	return lim, err
}

// SetProjectLimits implements Store.
func (q *EtcdStore) SetProjectLimits(ctx context.Context, projectID string, lim Limits) error {
	return q.merge(ctx, quotasPrefix+projectID, lim)
}

// DeleteProjectLimits implements Store.
func (q *EtcdStore) DeleteProjectLimits(ctx context.Context, projectID string) error {
	_, err := q.db.Txn().Delete(quotasPrefix + projectID).Commit(ctx)
	return err
}

// ClassLimits implements Store.
func (q *EtcdStore) ClassLimits(ctx context.Context, class string) (Limits, error) {
	lim, _, err := q.limits(ctx, quotaClassesPrefix+class)
	if err != nil {
		return nil, err
	}
	return q.defaults.Over(lim), nil
}

// SetClassLimits implements Store.
func (q *EtcdStore) SetClassLimits(ctx context.Context, class string, lim Limits) error {
	return q.merge(ctx, quotaClassesPrefix+class, lim)
}

// Defaults implements Store.
func (q *EtcdStore) Defaults(ctx context.Context) (Limits, error) {
	return q.ClassLimits(ctx, DefaultClass)
}

// Effective implements Store.
func (q *EtcdStore) Effective(ctx context.Context, projectID string) (Limits, error) {
	def, err := q.Defaults(ctx)
	if err != nil {
		return nil, err
	}
	own, err := q.ProjectLimits(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return def.Over(own), nil
}

// Usage implements Store.
func (q *EtcdStore) Usage(ctx context.Context, projectID string) (Usage, error) {
	u, _, err := q.usage(ctx, projectID)
	return u, err
}

// Creating implements store.Participant: c's usage is reserved.
func (q *EtcdStore) Creating(ctx context.Context, txn *store.Txn, c *container.Container) error {
	return q.reserve(ctx, txn, c.ProjectID, Of(c))
}

// Updating implements store.Participant: a resize reserves the difference.
func (q *EtcdStore) Updating(ctx context.Context, txn *store.Txn, old, c *container.Container) error {
	grown, shrunk := Of(c), Of(old)
	if grown == shrunk {
		return nil
	}
	delta := grown.Add(Usage{CPU: -shrunk.CPU, Memory: -shrunk.Memory, Disk: -shrunk.Disk, Containers: -shrunk.Containers})
	return q.reserve(ctx, txn, c.ProjectID, delta)
}

// usage returns a project's usage and the revision of its record, 0 when
// there is none yet: then it is counted from the project's containers
// (records written before quotas were enforced).
func (q *EtcdStore) usage(ctx context.Context, projectID string) (Usage, int64, error) {
	it, err := store.Get[Usage](ctx, q.db, usageKey(projectID))
	if err == nil {
		return it.Value, it.Revision, nil
	}
	if !errdefs.IsNotFound(err) {
		return Usage{}, 0, err
	}
	var u Usage
	err = q.cs.Each(ctx, projectID, func(c *container.Container) { u = u.Add(Of(c)) })
	return u, 0, err
}

// reserve adds to txn the change of a project's usage by delta, checked
// against its limits. A conflict on the usage key means another write
// counted first: the container store retries.
func (q *EtcdStore) reserve(ctx context.Context, txn *store.Txn, projectID string, delta Usage) error {
	used, rev, err := q.usage(ctx, projectID)
	if err != nil {
		return err
	}
	lim, err := q.Effective(auth.System(ctx), projectID)
	if err != nil {
		return err
	}
	if err := Check(lim, used, delta); err != nil {
		return err
	}
	txn.Swap(usageKey(projectID), used.Add(delta), rev)
	return nil
}

// Deleting implements store.Participant: c's usage returns. A project without a
// usage record yet needs none: it is counted from the records when first
// needed.
func (q *EtcdStore) Deleting(ctx context.Context, txn *store.Txn, c *container.Container) error {
	it, err := store.Get[Usage](ctx, q.db, usageKey(c.ProjectID))
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	txn.Swap(usageKey(c.ProjectID), it.Value.Sub(Of(c)), it.Revision)
	return nil
}

// Interface guards
var (
	_ Store             = (*EtcdStore)(nil)
	_ store.Participant = (*EtcdStore)(nil)
)
