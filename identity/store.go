package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// Keys under the store's prefix.
const (
	prefix            = "identity/"
	domainsPrefix     = prefix + "domains/"
	projectsPrefix    = prefix + "projects/"
	usersPrefix       = prefix + "users/"
	rolesPrefix       = prefix + "roles/"
	assignmentsPrefix = prefix + "assignments/"   // <user>/<project:ID|domain:ID>/<role>
	revokedPrefix     = prefix + "revoked/"       // <audit id>
	eventsPrefix      = prefix + "revoke-events/" // see RevocationEvent.key
	namesPrefix       = prefix + "names/"         // <kind>/<domain>/<lower name>: uniqueness
	signingKeyKey     = prefix + "signing-key"
)

func assignmentKey(a Assignment) string {
	target := "project:" + a.ProjectID
	if a.ProjectID == "" {
		target = "domain:" + a.DomainID
	}
	return assignmentsPrefix + a.UserID + "/" + target + "/" + a.RoleID
}

func nameKey(kind, domainID, name string) string {
	return namesPrefix + kind + "/" + domainID + "/" + strings.ToLower(name)
}

// mirror is the in-memory copy of every identity record, fed by a watch.
type mirror struct {
	mu          sync.RWMutex
	rev         int64
	advanced    chan struct{}
	domains     map[string]Domain
	projects    map[string]Project
	users       map[string]User
	roles       map[string]Role
	assignments map[string]Assignment
	// byUser indexes assignments by user id, then key.
	byUser     map[string]map[string]Assignment
	revoked    map[string]time.Time
	events     eventIndex
	signingKey []byte
}

func newMirror() *mirror {
	m := &mirror{advanced: make(chan struct{})}
	m.clear()
	return m
}

func (m *mirror) clear() {
	m.domains = map[string]Domain{}
	m.projects = map[string]Project{}
	m.users = map[string]User{}
	m.roles = map[string]Role{}
	m.assignments = map[string]Assignment{}
	m.byUser = map[string]map[string]Assignment{}
	m.revoked = map[string]time.Time{}
	m.events = newEventIndex()
}

// run keeps the mirror until ctx ends.
func (m *mirror) run(ctx context.Context, db *store.DB, log *slog.Logger) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		items, rev, err := store.List[json.RawMessage](ctx, db, prefix)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("load identity records", "error", err)
			}
			pause(ctx, min(time.Duration(attempt+1)*100*time.Millisecond, 5*time.Second))
			continue
		}
		attempt = 0
		m.mu.Lock()
		m.clear()
		for _, it := range items {
			m.put(it.Key, it.Value, it.Revision, log)
		}
		m.advance(rev)
		m.mu.Unlock()
		for b := range store.Watch[json.RawMessage](ctx, db, prefix, rev+1) {
			if b.Err != nil {
				log.Warn("identity watch ended; reloading", "error", b.Err)
				pause(ctx, 100*time.Millisecond)
				break
			}
			m.mu.Lock()
			for _, ev := range b.Events {
				if ev.Deleted {
					m.remove(ev.Item.Key)
				} else {
					m.put(ev.Item.Key, ev.Item.Value, ev.Item.Revision, log)
				}
			}
			m.advance(b.Revision)
			m.mu.Unlock()
		}
	}
}

func (m *mirror) advance(rev int64) {
	if rev > m.rev {
		m.rev = rev
		close(m.advanced)
		m.advanced = make(chan struct{})
	}
}

func decodeInto[T any](raw json.RawMessage, dst map[string]T, id string, log *slog.Logger, key string) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		log.Error("skip undecodable identity record", "key", key, "error", err)
		return
	}
	dst[id] = v
}

// put applies a stored record, last changed at store revision rev; m.mu
// is held.
func (m *mirror) put(key string, raw json.RawMessage, rev int64, log *slog.Logger) {
	switch {
	case strings.HasPrefix(key, domainsPrefix):
		decodeInto(raw, m.domains, strings.TrimPrefix(key, domainsPrefix), log, key)
	case strings.HasPrefix(key, projectsPrefix):
		decodeInto(raw, m.projects, strings.TrimPrefix(key, projectsPrefix), log, key)
	case strings.HasPrefix(key, usersPrefix):
		decodeInto(raw, m.users, strings.TrimPrefix(key, usersPrefix), log, key)
	case strings.HasPrefix(key, rolesPrefix):
		decodeInto(raw, m.roles, strings.TrimPrefix(key, rolesPrefix), log, key)
	case strings.HasPrefix(key, assignmentsPrefix):
		decodeInto(raw, m.assignments, key, log, key)
		if a, ok := m.assignments[key]; ok {
			if m.byUser[a.UserID] == nil {
				m.byUser[a.UserID] = map[string]Assignment{}
			}
			m.byUser[a.UserID][key] = a
		}
	case strings.HasPrefix(key, revokedPrefix):
		var r Revocation
		if err := json.Unmarshal(raw, &r); err == nil {
			m.revoked[r.AuditID] = r.ExpiresAt
		}
	case strings.HasPrefix(key, eventsPrefix):
		var e RevocationEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			log.Error("skip undecodable identity record", "key", key, "error", err)
			return
		}
		m.events.put(key, e, rev)
	case key == signingKeyKey:
		var k []byte
		if err := json.Unmarshal(raw, &k); err == nil && len(k) >= 32 {
			m.signingKey = k
		}
	}
}

// remove applies a deletion; m.mu is held.
func (m *mirror) remove(key string) {
	switch {
	case strings.HasPrefix(key, domainsPrefix):
		delete(m.domains, strings.TrimPrefix(key, domainsPrefix))
	case strings.HasPrefix(key, projectsPrefix):
		delete(m.projects, strings.TrimPrefix(key, projectsPrefix))
	case strings.HasPrefix(key, usersPrefix):
		delete(m.users, strings.TrimPrefix(key, usersPrefix))
	case strings.HasPrefix(key, rolesPrefix):
		delete(m.roles, strings.TrimPrefix(key, rolesPrefix))
	case strings.HasPrefix(key, assignmentsPrefix):
		if a, ok := m.assignments[key]; ok {
			delete(m.byUser[a.UserID], key)
			if len(m.byUser[a.UserID]) == 0 {
				delete(m.byUser, a.UserID)
			}
		}
		delete(m.assignments, key)
	case strings.HasPrefix(key, revokedPrefix):
		delete(m.revoked, strings.TrimPrefix(key, revokedPrefix))
	case strings.HasPrefix(key, eventsPrefix):
		m.events.remove(key)
	}
}

// waitFor waits until the mirror reflects store revision rev.
func (m *mirror) waitFor(ctx context.Context, rev int64) error {
	for {
		m.mu.RLock()
		ok, advanced := m.rev > 0 && m.rev >= rev, m.advanced
		m.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return errdefs.Unavailablef("identity records have not caught up with revision %d: %w", rev, ctx.Err())
		}
	}
}

// read runs f with the mirror read-locked.
func (m *mirror) read(f func()) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f()
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// commit applies txn, retrying nothing, and waits until the mirror holds
// the write, so the caller reads its own writes.
func (s *Service) commit(ctx context.Context, txn *store.Txn) error {
	rev, err := txn.Commit(ctx)
	if err != nil {
		return err
	}
	return s.m.waitFor(ctx, rev)
}

// ensureSigningKey makes the signing key exist, shared by every process
// on the store.
func (s *Service) ensureSigningKey(ctx context.Context) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	_, err := s.db.Txn().Create(signingKeyKey, key).Commit(ctx)
	var conflict *store.ConflictError
	if err != nil && !errors.As(err, &conflict) {
		return fmt.Errorf("create token signing key: %w", err)
	}
	it, err := store.Get[[]byte](ctx, s.db, signingKeyKey)
	if err != nil {
		return fmt.Errorf("read token signing key: %w", err)
	}
	return s.m.waitFor(ctx, it.Revision)
}
