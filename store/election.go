package store

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/zun-go/zun/errdefs"
)

// A Term is one process's leadership of a role, held while its etcd lease
// is kept alive. The leadership is lost when the lease expires (the process
// stalled or lost etcd for longer than the TTL), on Resign, or when the DB
// closes; Done says so.
type Term struct {
	session  *concurrency.Session
	election *concurrency.Election
	ctx      context.Context
	cancel   context.CancelFunc
}

// Campaign blocks until this process leads role, then returns its term;
// id names the process in Leader's answer. ttl is how long a leader that
// stopped renewing (crashed, partitioned) keeps the role before another
// takes over; the etcd minimum is 1s, default 10s.
func (db *DB) Campaign(ctx context.Context, role, id string, ttl time.Duration) (*Term, error) {
	if db.ctx.Err() != nil {
		return nil, errdefs.Unavailablef("leader election for %s: the store is closed", role)
	}
	secs := int(ttl / time.Second)
	if secs <= 0 {
		secs = 10
	}
	// The session lives with the DB, not with the campaign's ctx.
	session, err := concurrency.NewSession(db.client, concurrency.WithTTL(secs), concurrency.WithContext(db.ctx))
	if err != nil {
		return nil, errdefs.Unavailablef("leader election for %s: %w", role, err)
	}
	if db.etcd != nil {
		// An embedded member is this process's own: a candidate of the
		// same id already there is an earlier run of this process that
		// crashed, whose lease would hold the role for up to ttl. Take
		// over at once.
		if err := db.dropCandidates(ctx, role, id); err != nil {
			session.Close()
			return nil, err
		}
	}
	election := concurrency.NewElection(session, db.key("leaders/"+role))
	if err := election.Campaign(ctx, id); err != nil {
		session.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errdefs.Unavailablef("leader election for %s: %w", role, err)
	}
	t := &Term{session: session, election: election}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	go func() {
		select {
		case <-session.Done():
		case <-t.ctx.Done():
		}
		t.cancel()
	}()
	return t, nil
}

// dropCandidates revokes the leases of role's candidates named id: only
// for an embedded member, where such a candidate is an earlier run of
// this process (two live processes cannot serve one endpoint).
func (db *DB) dropCandidates(ctx context.Context, role, id string) error {
	resp, err := db.client.Get(ctx, db.key("leaders/"+role)+"/", clientv3.WithPrefix())
	if err != nil {
		return errdefs.Unavailablef("leader election for %s: %w", role, err)
	}
	for _, kv := range resp.Kvs {
		if kv.Lease == 0 || string(kv.Value) != id {
			continue
		}
		if _, err := db.client.Revoke(ctx, clientv3.LeaseID(kv.Lease)); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			return errdefs.Unavailablef("leader election for %s: revoke a stale candidate: %w", role, err)
		}
	}
	return nil
}

// Context returns a context that ends with the term.
func (t *Term) Context() context.Context { return t.ctx }

// Done is closed when the term ends.
func (t *Term) Done() <-chan struct{} { return t.ctx.Done() }

// Resign ends the term at once, so that another process can lead without
// waiting for the lease to expire.
func (t *Term) Resign(ctx context.Context) error {
	defer t.cancel()
	err := t.election.Resign(ctx)
	if cerr := t.session.Close(); err == nil && !errors.Is(cerr, context.Canceled) {
		err = cerr
	}
	return err
}

// Leader returns the id of the process leading role, or "" when none does.
func (db *DB) Leader(ctx context.Context, role string) (string, error) {
	resp, err := db.client.Get(ctx, db.key("leaders/"+role)+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", errdefs.Unavailablef("leader of %s: %w", role, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}
