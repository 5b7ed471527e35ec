package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// seen is a participant that records whom it saw and can refuse a
// record by uuid.
type seen struct {
	mu      sync.Mutex
	calls   []string
	refuse  string
	counter string // a key it bumps in every transaction it joins
}

func (p *seen) note(txn *store.Txn, what string, c *container.Container) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, what+" "+c.UUID)
	if c.UUID == p.refuse {
		return errdefs.Invalidf("refused %s", c.UUID)
	}
	txn.Put(p.counter, what+" "+c.UUID)
	return nil
}

func (p *seen) Creating(_ context.Context, txn *store.Txn, c *container.Container) error {
	return p.note(txn, "create", c)
}

func (p *seen) Updating(_ context.Context, txn *store.Txn, _, c *container.Container) error {
	return p.note(txn, "update", c)
}

func (p *seen) Deleting(_ context.Context, txn *store.Txn, c *container.Container) error {
	return p.note(txn, "delete", c)
}

func (p *seen) took() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// group returns a capsule's record and two members of project p.
func group(p string) []*container.Container {
	capsule := &container.Container{UUID: "caps-" + p, Name: "web", ProjectID: p, Kind: container.KindCapsule,
		Status: container.Creating, Capsule: &container.Capsule{}}
	var recs []*container.Container
	recs = append(recs, capsule)
	for _, name := range []string{"a", "b"} {
		m := &container.Container{UUID: "member-" + name + "-" + p, Name: "capsule-web-" + name, ProjectID: p,
			CapsuleID: capsule.UUID, Status: container.Creating}
		capsule.Capsule.Containers = append(capsule.Capsule.Containers, container.Member{UUID: m.UUID, Name: name})
		recs = append(recs, m)
	}
	return recs
}

func uuidsOf(recs []*container.Container) []string {
	var ids []string
	for _, c := range recs {
		ids = append(ids, c.UUID)
	}
	return ids
}

func TestContainerGroups(t *testing.T) {
	db := dbtest.Open(t)
	ctx := auth.System(context.Background())
	open := func(t *testing.T) (*store.ContainerStore, *seen, *store.DB) {
		sub := dbtest.Attach(t, db)
		s := store.Containers(sub, store.ContainerOptions{NameScope: store.NameScopeProject})
		p := &seen{counter: "tally"}
		s.Join(p)
		return s, p, sub
	}

	t.Run("create stores all, participants see the capsule only", func(t *testing.T) {
		s, p, _ := open(t)
		recs := group("p1")
		act := &container.Action{Action: "create", RequestID: "req-1", ContainerUUID: recs[1].UUID}
		if err := s.CreateGroup(ctx, recs, act); err != nil {
			t.Fatal(err)
		}
		if got, want := p.took(), []string{"create caps-p1"}; !slices.Equal(got, want) {
			t.Errorf("participant saw %q, want %q", got, want)
		}
		for _, c := range recs {
			got, err := s.Get(ctx, c.UUID)
			if err != nil {
				t.Fatalf("get %s: %v", c.UUID, err)
			}
			if got.Revision != recs[0].Revision || got.CapsuleID != c.CapsuleID {
				t.Errorf("%s: revision %d capsule %q, want one write (%d) and capsule %q",
					c.UUID, got.Revision, got.CapsuleID, recs[0].Revision, c.CapsuleID)
			}
		}
		if _, err := s.GetAction(ctx, recs[1].UUID, "req-1"); err != nil {
			t.Errorf("the member's action: %v", err)
		}
	})

	t.Run("a refusal stores nothing", func(t *testing.T) {
		s, p, _ := open(t)
		recs := group("p2")
		p.refuse = recs[0].UUID
		if err := s.CreateGroup(ctx, recs); !errdefs.IsInvalid(err) {
			t.Fatalf("create: %v, want the participant's refusal", err)
		}
		for _, c := range recs {
			if _, err := s.Get(ctx, c.UUID); !errdefs.IsNotFound(err) {
				t.Errorf("%s after a refused create: %v, want not found", c.UUID, err)
			}
		}
	})

	t.Run("a name taken refuses the group", func(t *testing.T) {
		s, _, _ := open(t)
		taken := &container.Container{Name: "capsule-web-b", ProjectID: "p3", Status: container.Created}
		if err := s.Create(ctx, taken); err != nil {
			t.Fatal(err)
		}
		recs := group("p3")
		if err := s.CreateGroup(ctx, recs); !errdefs.IsConflict(err) {
			t.Fatalf("create: %v, want a conflict on the member's name", err)
		}
		if _, err := s.Get(ctx, recs[0].UUID); !errdefs.IsNotFound(err) {
			t.Errorf("the capsule after a refused create: %v", err)
		}
	})

	t.Run("not a group", func(t *testing.T) {
		s, _, _ := open(t)
		recs := group("p4")
		for name, bad := range map[string][]*container.Container{
			"no capsule first":  recs[1:],
			"a stranger member": {recs[0], {UUID: "x", ProjectID: "p4", CapsuleID: "other"}},
			"a plain container": {recs[0], {UUID: "y", ProjectID: "p4"}},
			"nothing":           nil,
			"two capsules":      {recs[0], {UUID: "z", ProjectID: "p4", Kind: container.KindCapsule, CapsuleID: recs[0].UUID}},
		} {
			if err := s.CreateGroup(ctx, bad); !errdefs.IsInvalid(err) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
	})

	t.Run("update all or none, quiet when unchanged", func(t *testing.T) {
		s, p, sub := open(t)
		recs := group("p5")
		if err := s.CreateGroup(ctx, recs); err != nil {
			t.Fatal(err)
		}
		ids := uuidsOf(recs)
		boom := errors.New("boom")
		_, err := s.UpdateGroup(ctx, ids, func(cs []*container.Container) error {
			cs[0].Host = "h1"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update: %v, want fn's error", err)
		}
		got, err := s.UpdateGroup(ctx, ids, func(cs []*container.Container) error {
			for _, c := range cs {
				c.Host = "h1"
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range got {
			stored, err := s.Get(ctx, c.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Host != "h1" || stored.Revision != got[0].Revision {
				t.Errorf("record %d: host %q revision %d, want h1 at %d", i, stored.Host, stored.Revision, got[0].Revision)
			}
		}
		if want := []string{"create caps-p5", "update caps-p5"}; !slices.Equal(p.took(), want) {
			t.Errorf("participant saw %q, want %q", p.took(), want)
		}
		before, err := sub.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateGroup(ctx, ids, func(cs []*container.Container) error {
			for _, c := range cs {
				c.Host = "h1"
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if after, _ := sub.Revision(ctx); after != before {
			t.Errorf("an update that changes nothing moved the revision from %d to %d", before, after)
		}
		if _, err := s.UpdateGroup(ctx, ids, func(cs []*container.Container) error {
			cs[1].CapsuleID = ""
			return nil
		}); !errdefs.IsInvalid(err) {
			t.Errorf("leaving the capsule: %v, want invalid", err)
		}
	})

	t.Run("delete removes what is left, participants see the capsule", func(t *testing.T) {
		s, p, _ := open(t)
		recs := group("p6")
		if err := s.CreateGroup(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, recs[2].UUID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteGroup(ctx, uuidsOf(recs), nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range recs {
			if _, err := s.Get(ctx, c.UUID); !errdefs.IsNotFound(err) {
				t.Errorf("%s after delete: %v", c.UUID, err)
			}
		}
		if want := []string{"create caps-p6", "delete caps-p6"}; !slices.Equal(p.took(), want) {
			t.Errorf("participant saw %q, want %q", p.took(), want)
		}
		if err := s.DeleteGroup(ctx, uuidsOf(recs), nil); err != nil {
			t.Errorf("deleting a group that is gone: %v", err)
		}
	})

	t.Run("a check refuses the delete of a record as it is now", func(t *testing.T) {
		s, _, _ := open(t)
		recs := group("p7")
		if err := s.CreateGroup(ctx, recs); err != nil {
			t.Fatal(err)
		}
		// Placed after the caller read it unplaced.
		if _, err := s.UpdateGroup(ctx, uuidsOf(recs), func(cs []*container.Container) error {
			for _, c := range cs {
				c.Host = "h1"
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		placed := errors.New("placed")
		err := s.DeleteGroup(ctx, uuidsOf(recs), func(c *container.Container) error {
			if c.Host != "" {
				return placed
			}
			return nil
		})
		if !errors.Is(err, placed) {
			t.Fatalf("delete: %v, want the check's refusal", err)
		}
		for _, c := range recs {
			if _, err := s.Get(ctx, c.UUID); err != nil {
				t.Errorf("%s after a refused delete: %v", c.UUID, err)
			}
		}
	})
}
