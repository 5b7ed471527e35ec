package identity

import (
	"context"
	"fmt"
	"testing"

	"github.com/zun-go/zun/store/dbtest"
)

// BenchmarkValidate measures what every API request pays to check its
// token, with 1,000 users and 1,000 projects in the store, and 1,000
// revocation events in force (of other users and projects).
func BenchmarkValidate(b *testing.B) {
	db := dbtest.Attach(b, sharedDB(b))
	ctx := context.Background()
	s, err := Open(ctx, db, testConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Bootstrap(ctx, Bootstrap{Password: "pw", Project: fmt.Sprintf("bench-%d", b.N)}); err != nil {
		b.Fatal(err)
	}
	member := s.Roles("member")[0]
	var user User
	var project Project
	for i := range 1000 {
		project, err = s.CreateProject(ctx, Project{Name: fmt.Sprintf("p%d-%d", b.N, i), Enabled: true})
		if err != nil {
			b.Fatal(err)
		}
		user, err = s.CreateUser(ctx, User{Name: fmt.Sprintf("u%d-%d", b.N, i), Enabled: true}, "")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Grant(ctx, Assignment{UserID: user.ID, RoleID: member.ID, ProjectID: project.ID}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 1000; i += maxTxnWrites {
		txn := s.db.Txn()
		for j := i; j < i+maxTxnWrites; j++ {
			switch j % 3 {
			case 0:
				putEvent(txn, s.newEvent(fmt.Sprintf("user-%d", j), "", ""))
			case 1:
				putEvent(txn, s.newEvent("", fmt.Sprintf("project-%d", j), ""))
			default:
				putEvent(txn, s.newEvent(user.ID, fmt.Sprintf("project-%d", j), ""))
			}
		}
		if err := s.commit(ctx, txn); err != nil {
			b.Fatal(err)
		}
	}
	c := claims{UserID: user.ID, ProjectID: project.ID, Methods: []string{"password"},
		IssuedAt: s.now().UnixNano(), ExpiresAt: s.now().Add(s.cfg.TokenTTL).Unix(), AuditIDs: []string{newAuditID()},
		Rev: s.m.rev}
	tok, err := sign(s.m.signingKey, c)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Validate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
