package identity

import (
	"context"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// Revocation. A token is dead when its audit chain was revoked (DELETE
// /v3/auth/tokens), or when a revocation event issued after it matches
// it. Both are records in the store, mirrored in memory by every process
// on the etcd, so they survive restarts and apply everywhere; both are
// kept until every token they may match has expired.
//
// The events are Keystone's: disabling or deleting a user, disabling or
// deleting a project, removing a role assignment (or deleting a role)
// records one, and tokens issued before it stay invalid whatever is
// restored afterwards; tokens issued after it are not affected. There is
// one record per subject (user, project, or user on a project or
// domain), the latest: it covers every token an earlier one covered.
//
// "Before" is in store revisions, not clocks: a token carries the
// revision of the records it was issued on (claims.Rev), an event the
// revision that recorded it, so a token issued by a process that had not
// yet seen the change, or on a clock that runs ahead, is revoked all the
// same; and one issued after the change was undone is not.

// key is where the event is stored: one key per subject.
func (e RevocationEvent) key() string {
	switch {
	case e.ProjectID == "" && e.DomainID == "":
		return eventsPrefix + "user/" + e.UserID
	case e.UserID == "":
		return eventsPrefix + "project/" + e.ProjectID
	case e.ProjectID != "":
		return eventsPrefix + "grant/" + e.UserID + "/project:" + e.ProjectID
	default:
		return eventsPrefix + "grant/" + e.UserID + "/domain:" + e.DomainID
	}
}

// subject is what an event matches.
type subject struct{ user, project, domain string }

func (e RevocationEvent) subject() subject { return subject{e.UserID, e.ProjectID, e.DomainID} }

// eventIndex holds the events by subject, for validation: a few map
// lookups, no allocation.
type eventIndex struct {
	rev   map[subject]int64 // the store revision that recorded the event
	byKey map[string]RevocationEvent
}

func newEventIndex() eventIndex {
	return eventIndex{rev: map[subject]int64{}, byKey: map[string]RevocationEvent{}}
}

func (x eventIndex) put(key string, e RevocationEvent, rev int64) {
	if old, ok := x.byKey[key]; ok {
		delete(x.rev, old.subject())
	}
	x.byKey[key] = e
	x.rev[e.subject()] = rev
}

func (x eventIndex) remove(key string) {
	if e, ok := x.byKey[key]; ok {
		delete(x.rev, e.subject())
		delete(x.byKey, key)
	}
}

// matches reports whether an event recorded after the token of c was
// issued revokes it. (Tokens from before events existed carry no
// revision: every event is after them.)
func (x eventIndex) matches(c claims) bool {
	if len(x.rev) == 0 {
		return false
	}
	hit := func(s subject) bool {
		rev, ok := x.rev[s]
		return ok && c.Rev < rev
	}
	switch {
	case hit(subject{user: c.UserID}):
		return true
	case c.ProjectID != "":
		return hit(subject{project: c.ProjectID}) || hit(subject{user: c.UserID, project: c.ProjectID})
	case c.DomainID != "":
		return hit(subject{user: c.UserID, domain: c.DomainID})
	}
	return false
}

// isRevoked reports whether the token of c was revoked; m.mu is
// read-locked.
func (m *mirror) isRevoked(c claims) bool {
	for _, a := range c.AuditIDs {
		if _, revoked := m.revoked[a]; revoked {
			return true
		}
	}
	return m.events.matches(c)
}

// newEvent returns an event revoking the subject's tokens issued until
// now; it is kept for a token lifetime.
func (s *Service) newEvent(userID, projectID, domainID string) RevocationEvent {
	now := s.now().UTC()
	return RevocationEvent{UserID: userID, ProjectID: projectID, DomainID: domainID,
		IssuedBefore: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
}

// putEvent adds the recording of e to txn.
func putEvent(txn *store.Txn, e RevocationEvent) *store.Txn { return txn.Put(e.key(), e) }

// RevocationEvents lists the events in force, for tests and operators.
func (s *Service) RevocationEvents() []RevocationEvent {
	var out []RevocationEvent
	s.m.read(func() {
		for _, e := range s.m.events.byKey {
			out = append(out, e)
		}
	})
	return out
}

// Revoke invalidates token and every token obtained with it.
func (s *Service) Revoke(ctx context.Context, token string) error {
	t, err := s.ValidateToken(ctx, token)
	if err != nil {
		return errdefs.NotFoundf("Could not find token.")
	}
	r := Revocation{AuditID: t.AuditIDs[0], ExpiresAt: t.ExpiresAt}
	return s.commit(ctx, s.db.Txn().Put(revokedPrefix+r.AuditID, r))
}

// maxTxnWrites bounds the writes of one transaction, under etcd's
// default limit of 128 operations.
const maxTxnWrites = 100

// PruneRevocations forgets revocations and revocation events that can
// match no valid token any more. zund runs it now and then.
func (s *Service) PruneRevocations(ctx context.Context) error {
	now := s.now()
	var old []string
	s.m.read(func() {
		for id, exp := range s.m.revoked {
			if now.After(exp) {
				old = append(old, revokedPrefix+id)
			}
		}
		for key, e := range s.m.events.byKey {
			if now.After(e.ExpiresAt) {
				old = append(old, key)
			}
		}
	})
	for len(old) > 0 {
		n := min(len(old), maxTxnWrites)
		txn := s.db.Txn()
		for _, key := range old[:n] {
			txn.Delete(key)
		}
		if err := s.commit(ctx, txn); err != nil {
			return err
		}
		old = old[n:]
	}
	return nil
}
