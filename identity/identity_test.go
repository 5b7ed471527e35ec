package identity

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.BcryptCost = bcrypt.MinCost
	cfg.Services = []CatalogService{{Type: "container", Name: "zun", Path: "/v1"}}
	return cfg
}

// fixture is a bootstrapped service with a member "demo" in project "demo".
type fixture struct {
	s        *Service
	admin    string // admin password
	demo     User
	demoProj Project
	member   Role
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := dbtest.Attach(t, sharedDB(t))
	s, err := Open(context.Background(), db, testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return bootstrapFixture(t, s)
}

func bootstrapFixture(t *testing.T, s *Service) *fixture {
	t.Helper()
	ctx := context.Background()
	pw, err := s.Bootstrap(ctx, Bootstrap{})
	if err != nil || pw == "" {
		t.Fatalf("bootstrap: %q %v", pw, err)
	}
	f := &fixture{s: s, admin: pw}
	if f.demoProj, err = s.CreateProject(ctx, Project{Name: "demo", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if f.demo, err = s.CreateUser(ctx, User{Name: "demo", Enabled: true}, "demo-secret"); err != nil {
		t.Fatal(err)
	}
	f.member = s.Roles("member")[0]
	if err := s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.demoProj.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

// shared is one etcd member for the package's tests; each test attaches
// under its own prefix.
var shared *store.DB

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zunid")
	if err != nil {
		panic(err)
	}
	shared, err = store.Open(context.Background(), store.Config{DataDir: dir, UnsafeNoFsync: true})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	shared.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func sharedDB(testing.TB) *store.DB { return shared }

func (f *fixture) login(t *testing.T, user, password, project string) (*Token, error) {
	t.Helper()
	return f.s.Authenticate(context.Background(), AuthRequest{
		Methods:  []string{"password"},
		Password: &PasswordCredentials{UserName: user, DomainName: "Default", Password: password},
		Scope:    Scope{ProjectName: project, ProjectDomainName: "Default"},
		Remote:   "192.0.2.1",
	})
}

func (f *fixture) mustLogin(t *testing.T, user, password, project string) *Token {
	t.Helper()
	tok, err := f.login(t, user, password, project)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return tok
}

func wantUnauthorized(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("%s: %v, want unauthorized", what, err)
	}
}

func TestLoginAndValidate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tok := f.mustLogin(t, "demo", "demo-secret", "demo")
	p, err := f.s.Validate(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.ProjectID != f.demoProj.ID || p.UserID != f.demo.ID || !p.HasRole("member") || !p.HasRole("reader") || p.IsAdmin() {
		t.Fatalf("principal %+v", p)
	}
	admin := f.mustLogin(t, "admin", f.admin, "admin")
	ap, _ := f.s.Validate(ctx, admin.ID)
	if !ap.IsAdmin() || !ap.HasRole("member") {
		t.Fatalf("admin principal %+v: admin implies member", ap)
	}

	// Every failure is the same 401, whatever was wrong.
	var msgs []string
	for _, c := range []struct{ name, user, pw, project string }{
		{"wrong password", "demo", "nope", "demo"},
		{"unknown user", "ghost", "demo-secret", "demo"},
		{"project without a role", "demo", "demo-secret", "admin"},
		{"unknown project", "demo", "demo-secret", "nowhere"},
	} {
		_, err := f.login(t, c.user, c.pw, c.project)
		wantUnauthorized(t, c.name, err)
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Fatalf("failures differ: %q vs %q", m, msgs[0])
		}
	}
}

func TestTokensCannotBeForged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tok := f.mustLogin(t, "demo", "demo-secret", "demo")
	body, sig, _ := strings.Cut(strings.TrimPrefix(tok.ID, tokenPrefix), ".")
	// Claims rewritten to the admin project, with the old signature.
	c, _ := verify(f.s.m.signingKey, tok.ID)
	c.ProjectID = f.s.Projects("admin", "")[0].ID
	forged, _ := sign([]byte("another key of thirty-two bytes!"), c)
	for name, token := range map[string]string{
		"empty":          "",
		"garbage":        "not-a-token",
		"other key":      forged,
		"swapped claims": tokenPrefix + strings.Split(strings.TrimPrefix(forged, tokenPrefix), ".")[0] + "." + sig,
		"truncated sig":  tokenPrefix + body + "." + sig[:10],
	} {
		_, err := f.s.Validate(ctx, token)
		wantUnauthorized(t, name, err)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.mustLogin(t, "demo", "demo-secret", "demo")
	f.s.now = func() time.Time { return time.Now().Add(f.s.cfg.TokenTTL + time.Second) }
	_, err := f.s.Validate(context.Background(), tok.ID)
	wantUnauthorized(t, "expired", err)
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tok := f.mustLogin(t, "demo", "demo-secret", "demo")
	// A token obtained with it is revoked with it.
	child, err := f.s.Authenticate(ctx, AuthRequest{Methods: []string{"token"}, Token: tok.ID,
		Scope: Scope{ProjectID: f.demoProj.ID}})
	if err != nil {
		t.Fatal(err)
	}
	other := f.mustLogin(t, "demo", "demo-secret", "demo")
	if err := f.s.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Validate(ctx, tok.ID)
	wantUnauthorized(t, "revoked", err)
	_, err = f.s.Validate(ctx, child.ID)
	wantUnauthorized(t, "child of revoked", err)
	if _, err := f.s.Validate(ctx, other.ID); err != nil {
		t.Fatalf("an unrelated token was revoked too: %v", err)
	}
	if err := f.s.Revoke(ctx, tok.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("revoke twice: %v, want not found", err)
	}
}

// TestSharedStore: two services on one etcd, as two zund processes: a
// token one issues is valid on the other, and revoked everywhere.
func TestSharedStore(t *testing.T) {
	t.Parallel()
	db := dbtest.Attach(t, sharedDB(t))
	ctx := context.Background()
	a, err := Open(ctx, db, testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	f := bootstrapFixture(t, a)
	b, err := Open(ctx, db, testConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tok := f.mustLogin(t, "demo", "demo-secret", "demo")
	if _, err := b.Validate(ctx, tok.ID); err != nil {
		t.Fatalf("the other process rejects a good token: %v", err)
	}
	if err := b.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := a.Validate(ctx, tok.ID)
		if errors.Is(err, errdefs.ErrUnauthorized) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revocation on b not seen by a: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestChangesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(f *fixture) error
	}{
		{"role removed", func(f *fixture) error {
			return f.s.Ungrant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.demoProj.ID})
		}},
		{"user disabled", func(f *fixture) error {
			_, err := f.s.UpdateUser(ctx, f.demo.ID, nil, func(u *User) error { u.Enabled = false; return nil })
			return err
		}},
		{"password changed", func(f *fixture) error {
			pw := "new-secret"
			_, err := f.s.UpdateUser(ctx, f.demo.ID, &pw, nil)
			return err
		}},
		{"user deleted", func(f *fixture) error { return f.s.DeleteUser(ctx, f.demo.ID) }},
		{"project deleted", func(f *fixture) error { return f.s.DeleteProject(ctx, f.demoProj.ID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tok := f.mustLogin(t, "demo", "demo-secret", "demo")
			if err := tc.change(f); err != nil {
				t.Fatal(err)
			}
			_, err := f.s.Validate(ctx, tok.ID)
			wantUnauthorized(t, tc.name, err)
		})
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := 0; i < f.s.cfg.MaxFailures; i++ {
		_, err := f.login(t, "demo", "wrong", "demo")
		wantUnauthorized(t, "wrong password", err)
	}
	// Now even the right password waits: the attacker learns nothing.
	_, err := f.login(t, "demo", "demo-secret", "demo")
	var throttled *ErrThrottled
	if !errors.As(err, &throttled) || throttled.Wait <= 0 {
		t.Fatalf("after %d failures: %v, want throttled", f.s.cfg.MaxFailures, err)
	}
	// Another user is not affected.
	if _, err := f.login(t, "admin", f.admin, "admin"); err != nil {
		t.Fatalf("admin throttled by demo's failures: %v", err)
	}
	f.s.now = func() time.Time { return time.Now().Add(2 * time.Second) }
	if _, err := f.login(t, "demo", "demo-secret", "demo"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestRecordErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"duplicate project", second(f.s.CreateProject(ctx, Project{Name: "DEMO", Enabled: true})), errdefs.ErrConflict},
		{"duplicate user", second(f.s.CreateUser(ctx, User{Name: "demo"}, "x")), errdefs.ErrConflict},
		{"duplicate role", second(f.s.CreateRole(ctx, Role{Name: "Member"})), errdefs.ErrConflict},
		{"empty name", second(f.s.CreateProject(ctx, Project{Name: " "})), errdefs.ErrInvalid},
		{"unknown domain", second(f.s.CreateProject(ctx, Project{Name: "x", DomainID: "nope"})), errdefs.ErrNotFound},
		{"grant unknown role", f.s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: "nope", ProjectID: f.demoProj.ID}), errdefs.ErrNotFound},
		{"grant on unknown project", f.s.Grant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: "nope"}), errdefs.ErrNotFound},
		{"ungrant missing", f.s.Ungrant(ctx, Assignment{UserID: f.demo.ID, RoleID: f.member.ID, ProjectID: f.s.Projects("admin", "")[0].ID}), errdefs.ErrNotFound},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func TestBootstrapIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pw, err := f.s.Bootstrap(context.Background(), Bootstrap{})
	if err != nil || pw != "" {
		t.Fatalf("second bootstrap: %q %v, want nothing created", pw, err)
	}
	if n := len(f.s.Users("admin", "")); n != 1 {
		t.Fatalf("%d admins", n)
	}
	f.mustLogin(t, "admin", f.admin, "admin")
}

func second[T any](_ T, err error) error { return err }
