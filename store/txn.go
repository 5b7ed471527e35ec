package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/errdefs"
)

// Txn is a multi-key transaction: conditions on keys and writes that are
// all applied, or none when a condition does not hold. Keys are relative
// to the DB's prefix; values are stored as JSON.
//
//	rev, err := db.Txn().Swap("containers/"+id, c, c.Revision).Create("container-names/web", id).Commit(ctx)
type Txn struct {
	db     *DB
	conds  []cond
	ops    []clientv3.Op
	encErr error
	// touched are the guard keys written (see Touch), each once.
	touched map[string]bool
}

// cond is a key and the revision it must be at; 0 means absent, -1 means
// present at any revision.
type cond struct {
	key string
	rev int64
}

// Txn starts a transaction.
func (db *DB) Txn() *Txn { return &Txn{db: db} }

// Require adds the condition that key was last changed at rev (an
// Item's Revision); rev 0 requires the key to be absent.
func (t *Txn) Require(key string, rev int64) *Txn {
	t.conds = append(t.conds, cond{key, rev})
	return t
}

// Exists adds the condition that key is present, at any revision.
func (t *Txn) Exists(key string) *Txn {
	t.conds = append(t.conds, cond{key, -1})
	return t
}

// Put writes v at key.
func (t *Txn) Put(key string, v any) *Txn {
	b, err := json.Marshal(v)
	if err != nil && t.encErr == nil {
		t.encErr = fmt.Errorf("encode %s: %w", key, err)
	}
	t.ops = append(t.ops, clientv3.OpPut(t.db.key(key), string(b)))
	return t
}

// Create writes v at key if the key is absent.
func (t *Txn) Create(key string, v any) *Txn { return t.Require(key, 0).Put(key, v) }

// Swap writes v at key if the key is still at rev.
func (t *Txn) Swap(key string, v any, rev int64) *Txn { return t.Require(key, rev).Put(key, v) }

// Delete removes key, if present.
func (t *Txn) Delete(key string) *Txn {
	t.ops = append(t.ops, clientv3.OpDelete(t.db.key(key)))
	return t
}

// DeletePrefix removes every key under prefix.
func (t *Txn) DeletePrefix(prefix string) *Txn {
	t.ops = append(t.ops, clientv3.OpDelete(t.db.key(prefix), clientv3.WithPrefix()))
	return t
}

// Commit applies the transaction and returns the store revision of its
// writes. When a condition does not hold it writes nothing and returns a
// *ConflictError naming the keys that differed.
func (t *Txn) Commit(ctx context.Context) (int64, error) {
	if t.encErr != nil {
		return 0, t.encErr
	}
	cmps := make([]clientv3.Cmp, 0, len(t.conds))
	reads := make([]clientv3.Op, 0, len(t.conds))
	for _, c := range t.conds {
		k := t.db.key(c.key)
		if c.rev < 0 {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), ">", 0))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", c.rev))
		}
		reads = append(reads, clientv3.OpGet(k, clientv3.WithKeysOnly()))
	}
	resp, err := t.db.client.Txn(ctx).If(cmps...).Then(t.ops...).Else(reads...).Commit()
	if err != nil {
		return 0, unavailable(err)
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	conflict := &ConflictError{}
	for i, c := range t.conds {
		var rev int64
		if kvs := resp.Responses[i].GetResponseRange().GetKvs(); len(kvs) > 0 {
			rev = kvs[0].ModRevision
		}
		if c.rev == rev || (c.rev < 0 && rev > 0) {
			continue
		}
		conflict.Keys = append(conflict.Keys, c.key)
	}
	return 0, conflict
}

// ConflictError is a transaction whose conditions did not hold. It is an
// errdefs.ErrConflict; callers usually turn it into a message about their
// object, or retry.
type ConflictError struct {
	// Keys are the keys that were not at the required revision.
	Keys []string
}

func (e *ConflictError) Error() string {
	return "store: changed concurrently: " + strings.Join(e.Keys, ", ")
}

// Is makes a ConflictError an errdefs.ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == errdefs.ErrConflict }

// Has reports whether key's condition failed.
func (e *ConflictError) Has(key string) bool { return slices.Contains(e.Keys, key) }

// Backoff waits a little before retry attempt (0-based) of a conflicting
// write, more after each attempt, with jitter so contenders spread out.
func Backoff(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return ctx.Err()
	}
	limit := time.Duration(min(attempt, 20)) * time.Millisecond
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Touch marks a guard key as changed in t: it writes the time at key, once
// however often asked. A guard is a key that writers touch so that a
// check-then-write on what it covers fails (a ConflictError) when another
// transaction touched it in between: read its revision (Get; 0 when
// absent), then Require that revision in the writing transaction.
func (t *Txn) Touch(key string) *Txn {
	if t.touched[key] {
		return t
	}
	if t.touched == nil {
		t.touched = map[string]bool{}
	}
	t.touched[key] = true
	return t.Put(key, time.Now().UnixNano())
}
