package identity

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/store"
)

// openStore opens a client of the package's etcd under a prefix of the
// test's own, as another zund process on the same etcd would.
func openStore(t *testing.T, prefix string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Endpoints: shared.Endpoints(), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testPrefix(t *testing.T) string {
	return fmt.Sprintf("/test-%d-%s", os.Getpid(), strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()))
}

func openService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	s, err := Open(context.Background(), db, testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// serve returns a server of s's HTTP API.
func serve(t *testing.T, s *Service) *httpFixture {
	return &httpFixture{fixture: &fixture{s: s}, srv: serveIdentity(t, s)}
}

// TestRevocationIsPermanent: a token invalidated by a change stays
// invalid once the change is undone, on every process sharing the etcd
// and after a restart; tokens issued after the change work.
func TestRevocationIsPermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setEnabled := func(f *fixture, on bool) error {
		_, err := f.s.UpdateUser(ctx, f.demo.ID, nil, func(u *User) error { u.Enabled = on; return nil })
		return err
	}
	setProject := func(f *fixture, on bool) error {
		_, err := f.s.UpdateProject(ctx, f.demoProj.ID, func(p *Project) error { p.Enabled = on; return nil })
		return err
	}
	setPassword := func(f *fixture, pw string) error {
		_, err := f.s.UpdateUser(ctx, f.demo.ID, &pw, nil)
		return err
	}
	grant := func(f *fixture, role string) error {
		return f.s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: role, ProjectID: f.demoProj.ID})
	}
	for _, tc := range []struct {
		name            string
		change, restore func(f *fixture) error
	}{
		{"user disabled, enabled again",
			func(f *fixture) error { return setEnabled(f, false) },
			func(f *fixture) error { return setEnabled(f, true) }},
		{"project disabled, enabled again",
			func(f *fixture) error { return setProject(f, false) },
			func(f *fixture) error { return setProject(f, true) }},
		{"role removed, given back",
			func(f *fixture) error {
				return f.s.Ungrant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.demoProj.ID})
			},
			func(f *fixture) error { return grant(f, f.member.ID) }},
		{"role deleted, another given",
			func(f *fixture) error { return f.s.DeleteRole(ctx, f.member.ID) },
			func(f *fixture) error { return grant(f, f.s.Roles("reader")[0].ID) }},
		{"user deleted, made again with its id",
			func(f *fixture) error { return f.s.DeleteUser(ctx, f.demo.ID) },
			func(f *fixture) error {
				if _, err := f.s.CreateUser(ctx, User{ID: f.demo.ID, Name: "demo", Enabled: true}, "demo-secret"); err != nil {
					return err
				}
				return grant(f, f.member.ID)
			}},
		{"project deleted, made again with its id",
			func(f *fixture) error { return f.s.DeleteProject(ctx, f.demoProj.ID) },
			func(f *fixture) error {
				if _, err := f.s.CreateProject(ctx, Project{ID: f.demoProj.ID, Name: "demo", Enabled: true}); err != nil {
					return err
				}
				return grant(f, f.member.ID)
			}},
		{"password changed, changed back",
			func(f *fixture) error { return setPassword(f, "another-secret") },
			func(f *fixture) error { return setPassword(f, "demo-secret") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prefix := testPrefix(t)
			a := openService(t, openStore(t, prefix))
			f := bootstrapFixture(t, a)
			// b is another control plane on the same etcd.
			b := serve(t, openService(t, openStore(t, prefix)))
			old := f.mustLogin(t, "demo", "demo-secret", "demo")
			if err := tc.change(f); err != nil {
				t.Fatal(err)
			}
			_, err := a.Validate(ctx, old.ID)
			wantUnauthorized(t, "after the change", err)
			if err := tc.restore(f); err != nil {
				t.Fatal(err)
			}
			fresh := f.mustLogin(t, "demo", "demo-secret", "demo")
			if _, err := a.Validate(ctx, fresh.ID); err != nil {
				t.Fatalf("a token issued after the restore: %v", err)
			}
			_, err = a.Validate(ctx, old.ID)
			wantUnauthorized(t, "after the restore", err)

			// Another process sees the same, over HTTP, once it has caught up.
			if err := b.s.m.waitFor(ctx, a.m.rev); err != nil {
				t.Fatal(err)
			}
			checkOverHTTP(t, b, old.ID, fresh.ID)

			// After a restart on the same etcd.
			a.Close()
			c := serve(t, openService(t, openStore(t, prefix)))
			checkOverHTTP(t, c, old.ID, fresh.ID)
		})
	}
}

// checkOverHTTP: the old token is refused (401 as a caller's token, 404
// as a subject), the fresh one accepted.
func checkOverHTTP(t *testing.T, f *httpFixture, old, fresh string) {
	t.Helper()
	for _, tc := range []struct {
		name, token, subject string
		want                 int
	}{
		{"fresh token validates itself", fresh, fresh, 200},
		{"old token as the caller's", old, old, 401},
		{"old token as the subject", fresh, old, 404},
	} {
		if res, body := f.do(t, "GET", "/v3/auth/tokens", tc.token, tc.subject, ""); res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d: %v", tc.name, res.StatusCode, tc.want, body)
		}
	}
}

// TestRevocationEventsScope: an event revokes what it names and nothing
// else: another user's tokens, the user's tokens on another project and
// tokens issued after it live on.
func TestRevocationEventsScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	other, err := f.s.CreateProject(ctx, Project{Name: "other", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: other.ID}); err != nil {
		t.Fatal(err)
	}
	onDemo := f.mustLogin(t, "demo", "demo-secret", "demo")
	onOther := f.mustLogin(t, "demo", "demo-secret", "other")
	admin := f.mustLogin(t, "admin", f.admin, "admin")
	// Removing demo's role on demo revokes demo's tokens there only.
	if err := f.s.Ungrant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.demoProj.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.demoProj.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Validate(ctx, onDemo.ID)
	wantUnauthorized(t, "demo on demo", err)
	for name, tok := range map[string]string{"demo on other": onOther.ID, "admin": admin.ID} {
		if _, err := f.s.Validate(ctx, tok); err != nil {
			t.Errorf("%s: %v, want valid", name, err)
		}
	}
	// Disabling the project other revokes every token scoped to it.
	adminOnOther := f.mustLogin(t, "admin", f.admin, "admin")
	for _, on := range []bool{false, true} {
		if _, err := f.s.UpdateProject(ctx, other.ID, func(p *Project) error { p.Enabled = on; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.s.Validate(ctx, onOther.ID)
	wantUnauthorized(t, "demo on other", err)
	if _, err := f.s.Validate(ctx, adminOnOther.ID); err != nil {
		t.Errorf("a token on another project: %v, want valid", err)
	}
	// An update that does not disable records nothing.
	n := len(f.s.RevocationEvents())
	if _, err := f.s.UpdateUser(ctx, f.demo.ID, nil, func(u *User) error { u.Email = "demo@example.com"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := len(f.s.RevocationEvents()); got != n {
		t.Fatalf("%d events after an email change, want %d", got, n)
	}
}

// TestPruneRevocationEvents: events are kept a token lifetime, then
// pruned from the store.
func TestPruneRevocationEvents(t *testing.T) {
	t.Parallel()
	prefix := testPrefix(t)
	a := openService(t, openStore(t, prefix))
	f := bootstrapFixture(t, a)
	ctx := context.Background()
	if _, err := a.UpdateUser(ctx, f.demo.ID, nil, func(u *User) error { u.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := a.PruneRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(a.RevocationEvents()); n != 1 {
		t.Fatalf("%d events within the token lifetime, want 1", n)
	}
	a.now = func() time.Time { return time.Now().Add(a.cfg.TokenTTL + time.Second) }
	if err := a.PruneRevocations(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(a.RevocationEvents()); n != 0 {
		t.Fatalf("%d events after the token lifetime, want 0", n)
	}
	if n := len(openService(t, openStore(t, prefix)).RevocationEvents()); n != 0 {
		t.Fatalf("%d events in the store after pruning, want 0", n)
	}
}

// TestRevocationFollowsRevisionsNotClocks: whether a token is older than
// an event is decided by the store revision it was issued on, so a token
// from a process that had not yet seen the change (or whose clock runs
// ahead) is revoked, and one issued after the restore by a process whose
// clock runs behind is not.
func TestRevocationFollowsRevisionsNotClocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	token := func(issued time.Time) string {
		t.Helper()
		var c claims
		f.s.m.read(func() {
			c = claims{UserID: f.demo.ID, ProjectID: f.demoProj.ID, Methods: []string{"password"},
				IssuedAt: issued.UnixNano(), ExpiresAt: now.Add(time.Hour).Unix(), AuditIDs: []string{newAuditID()}, Rev: f.s.m.rev}
		})
		tok, err := sign(f.s.m.signingKey, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	unaware := token(now.Add(10 * time.Minute)) // issued on the records before the change
	for _, on := range []bool{false, true} {
		if _, err := f.s.UpdateUser(ctx, f.demo.ID, nil, func(u *User) error { u.Enabled = on; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	behind := token(now.Add(-10 * time.Minute)) // issued on the records after the restore
	_, err := f.s.Validate(ctx, unaware)
	wantUnauthorized(t, "a token issued on the records before the change, with a clock ahead", err)
	if _, err := f.s.Validate(ctx, behind); err != nil {
		t.Fatalf("a token issued on the records after the restore, with a clock behind: %v", err)
	}
}
