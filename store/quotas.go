package store

import (
	"context"
	"errors"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/quota"
)

// Keys of quotas, relative to the DB's prefix.
const (
	quotasPrefix       = "quotas/"        // quotas/<project>: quota.Limits
	quotaClassesPrefix = "quota-classes/" // quota-classes/<class>: quota.Limits
	quotaUsagePrefix   = "quota-usage/"   // quota-usage/<project>: quota.Usage
)

func usageKey(projectID string) string { return quotaUsagePrefix + projectID }

// QuotaStore keeps project and class limits and the projects' usage in
// etcd. It implements quota.Store; joined to the container store (a
// Participant), every container create, delete and resize changes its
// project's usage in the same transaction as the record, and a create or
// resize beyond a limit is refused.
type QuotaStore struct {
	db *DB
	// cs counts the usage of a project that has no record of it yet.
	cs       *ContainerStore
	defaults quota.Limits
}

// Quotas returns the quota store of db, counting from cs. defaults are the
// configuration defaults (quota.DefaultLimits).
func Quotas(db *DB, cs *ContainerStore, defaults quota.Limits) *QuotaStore {
	return &QuotaStore{db: db, cs: cs, defaults: defaults}
}

func (q *QuotaStore) limits(ctx context.Context, key string) (Limits quota.Limits, rev int64, err error) {
	it, err := Get[quota.Limits](ctx, q.db, key)
	if errdefs.IsNotFound(err) {
		return quota.Limits{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if it.Value == nil {
		it.Value = quota.Limits{}
	}
	return it.Value, it.Revision, nil
}

func (q *QuotaStore) merge(ctx context.Context, key string, lim quota.Limits) error {
	for attempt := 0; ; attempt++ {
		cur, rev, err := q.limits(ctx, key)
		if err != nil {
			return err
		}
		_, err = q.db.Txn().Swap(key, cur.Over(lim), rev).Commit(ctx)
		var conflict *ConflictError
		if errors.As(err, &conflict) {
			if err := Backoff(ctx, attempt); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// ProjectLimits implements quota.Store.
func (q *QuotaStore) ProjectLimits(ctx context.Context, projectID string) (quota.Limits, error) {
	lim, _, err := q.limits(ctx, quotasPrefix+projectID)
	return lim, err
}

// SetProjectLimits implements quota.Store.
func (q *QuotaStore) SetProjectLimits(ctx context.Context, projectID string, lim quota.Limits) error {
	return q.merge(ctx, quotasPrefix+projectID, lim)
}

// DeleteProjectLimits implements quota.Store.
func (q *QuotaStore) DeleteProjectLimits(ctx context.Context, projectID string) error {
	_, err := q.db.Txn().Delete(quotasPrefix + projectID).Commit(ctx)
	return err
}

// ClassLimits implements quota.Store.
func (q *QuotaStore) ClassLimits(ctx context.Context, class string) (quota.Limits, error) {
	lim, _, err := q.limits(ctx, quotaClassesPrefix+class)
	if err != nil {
		return nil, err
	}
	return q.defaults.Over(lim), nil
}

// SetClassLimits implements quota.Store.
func (q *QuotaStore) SetClassLimits(ctx context.Context, class string, lim quota.Limits) error {
	return q.merge(ctx, quotaClassesPrefix+class, lim)
}

// Defaults implements quota.Store.
func (q *QuotaStore) Defaults(ctx context.Context) (quota.Limits, error) {
	return q.ClassLimits(ctx, quota.DefaultClass)
}

// Effective implements quota.Store.
func (q *QuotaStore) Effective(ctx context.Context, projectID string) (quota.Limits, error) {
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

// Usage implements quota.Store.
func (q *QuotaStore) Usage(ctx context.Context, projectID string) (quota.Usage, error) {
	u, _, err := q.usage(ctx, projectID)
	return u, err
}

// Creating implements Participant: c's usage is reserved.
func (q *QuotaStore) Creating(ctx context.Context, txn *Txn, c *container.Container) error {
	return q.reserve(ctx, txn, c.ProjectID, quota.Of(c))
}

// Updating implements Participant: a resize reserves the difference.
func (q *QuotaStore) Updating(ctx context.Context, txn *Txn, old, c *container.Container) error {
	grown, shrunk := quota.Of(c), quota.Of(old)
	if grown == shrunk {
		return nil
	}
	delta := grown.Add(quota.Usage{CPU: -shrunk.CPU, Memory: -shrunk.Memory, Disk: -shrunk.Disk, Containers: -shrunk.Containers})
	return q.reserve(ctx, txn, c.ProjectID, delta)
}

// usage returns a project's usage and the revision of its record, 0 when
// there is none yet: then it is counted from the project's containers
// (records written before quotas were enforced).
func (q *QuotaStore) usage(ctx context.Context, projectID string) (quota.Usage, int64, error) {
	it, err := Get[quota.Usage](ctx, q.db, usageKey(projectID))
	if err == nil {
		return it.Value, it.Revision, nil
	}
	if !errdefs.IsNotFound(err) {
		return quota.Usage{}, 0, err
	}
	var u quota.Usage
	err = q.cs.Each(ctx, projectID, func(c *container.Container) { u = u.Add(quota.Of(c)) })
	return u, 0, err
}

// reserve adds to txn the change of a project's usage by delta, checked
// against its limits. A conflict on the usage key means another write
// counted first: the container store retries.
func (q *QuotaStore) reserve(ctx context.Context, txn *Txn, projectID string, delta quota.Usage) error {
	used, rev, err := q.usage(ctx, projectID)
	if err != nil {
		return err
	}
	lim, err := q.Effective(auth.System(ctx), projectID)
	if err != nil {
		return err
	}
	if err := quota.Check(lim, used, delta); err != nil {
		return err
	}
	txn.Swap(usageKey(projectID), used.Add(delta), rev)
	return nil
}

// Deleting implements Participant: c's usage returns. A project without a
// usage record yet needs none: it is counted from the records when first
// needed.
func (q *QuotaStore) Deleting(ctx context.Context, txn *Txn, c *container.Container) error {
	it, err := Get[quota.Usage](ctx, q.db, usageKey(c.ProjectID))
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	txn.Swap(usageKey(c.ProjectID), it.Value.Sub(quota.Of(c)), it.Revision)
	return nil
}

// Interface guards
var (
	_ quota.Store = (*QuotaStore)(nil)
	_ Participant = (*QuotaStore)(nil)
)
