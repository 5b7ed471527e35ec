package controlplane_test

import (
	"context"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store/dbtest"
)

const (
	kid = "6d1c4a52-0b0e-4f3a-9d7e-5a1e2c3b4d01"
	m0  = "6d1c4a52-0b0e-4f3a-9d7e-5a1e2c3b4d02"
	m1  = "6d1c4a52-0b0e-4f3a-9d7e-5a1e2c3b4d03"
)

// TestForgetCapsule: when its host has carried out a capsule's delete,
// the capsule's record goes with whatever member records are left, in
// one write; a member's delete forgets only the member.
func TestForgetCapsule(t *testing.T) {
	for _, tc := range []struct {
		name      string
		forgotten []string // members forgotten before the capsule
	}{
		{name: "members forgotten first", forgotten: []string{m0, m1}},
		{name: "one member left", forgotten: []string{m0}},
		{name: "every member left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := dbtest.Open(t)
			p, err := controlplane.New(controlplane.Config{Store: db, Scheduler: scheduler.Default()})
			if err != nil {
				t.Fatal(err)
			}
			ctx := auth.System(context.Background())
			k := &container.Container{UUID: kid, Name: "caps", ProjectID: "p", UserID: "u", Kind: container.KindCapsule,
				Capsule: &container.Capsule{Containers: []container.Member{{UUID: m0, Name: "one"}, {UUID: m1, Name: "two"}}},
				Status:  container.Running}
			recs := []*container.Container{k}
			for _, m := range k.Capsule.Containers {
				recs = append(recs, &container.Container{UUID: m.UUID, ProjectID: "p", UserID: "u", CapsuleID: k.UUID,
					Image: "busybox", Status: container.Running})
			}
			if err := p.Containers.CreateGroup(ctx, recs); err != nil {
				t.Fatal(err)
			}
			seqs := map[string]int64{}
			if _, err := p.Containers.UpdateGroup(ctx, []string{kid, m0, m1}, func(cs []*container.Container) error {
				for _, c := range cs {
					c.Host = "h1"
					c.SetOp(container.Op{Action: container.ActDelete})
					seqs[c.UUID] = c.Op.Seq
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, uuid := range tc.forgotten {
				if err := p.Agents.Forget(ctx, "h1", uuid, seqs[uuid]); err != nil {
					t.Fatalf("forget member %s: %v", uuid, err)
				}
				if _, err := p.Containers.Get(ctx, kid); err != nil {
					t.Fatalf("the capsule's record after its member %s was forgotten: %v", uuid, err)
				}
			}
			if err := p.Agents.Forget(ctx, "h1", kid, seqs[kid]); err != nil {
				t.Fatalf("forget the capsule: %v", err)
			}
			for _, uuid := range []string{kid, m0, m1} {
				if _, err := p.Containers.Get(ctx, uuid); !errdefs.IsNotFound(err) {
					t.Errorf("record %s after the capsule was forgotten: %v; want not found", uuid, err)
				}
			}
		})
	}
}
