package keystone

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// Interface guards
var _ apiserver.Authenticator = (*Validator)(nil)

// setup returns a fake Keystone with a user "demo" (member of project
// "demo") and a validator talking to it, both on clk.
func setup(t *testing.T, edit func(*Config)) (*fakeKeystone, *Validator, *clock) {
	t.Helper()
	clk := newClock()
	f := newFakeKeystone(t, clk.now)
	cfg := f.config()
	if edit != nil {
		edit(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	v.now = clk.now
	return f, v, clk
}

func TestValidate(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, nil)
	token := f.issue("demo", "demo", []string{"Member", "reader"}, time.Hour)

	p, err := v.Validate(context.Background(), token)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := auth.Principal{
		UserID: "u-demo", UserName: "demo",
		ProjectID: "p-demo", ProjectName: "demo",
		DomainID: "default",
		Roles:    []string{"member", "reader"},
		Token:    token,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("principal:\n got %+v\nwant %+v", p, want)
	}
}

func TestValidateRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token func(f *fakeKeystone, clk *clock) string
		// inMessage is a part of the error's text.
		inMessage string
	}{
		{
			name:      "empty",
			token:     func(*fakeKeystone, *clock) string { return "" },
			inMessage: "no token",
		},
		{
			name:      "unknown",
			token:     func(*fakeKeystone, *clock) string { return "not-a-token" },
			inMessage: "not valid",
		},
		{
			name: "expired",
			token: func(f *fakeKeystone, clk *clock) string {
				token := f.issue("demo", "demo", []string{"member"}, time.Minute)
				clk.advance(2 * time.Minute)
				return token
			},
			inMessage: "not valid",
		},
		{
			name: "revoked",
			token: func(f *fakeKeystone, _ *clock) string {
				token := f.issue("demo", "demo", []string{"member"}, time.Hour)
				f.revoke(token)
				return token
			},
			inMessage: "not valid",
		},
		{
			name: "not scoped to a project",
			token: func(f *fakeKeystone, _ *clock) string {
				return f.issue("demo", "", []string{"member"}, time.Hour)
			},
			inMessage: "not scoped to a project",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, v, clk := setup(t, nil)
			_, err := v.Validate(context.Background(), tt.token(f, clk))
			if !errors.Is(err, errdefs.ErrUnauthorized) {
				t.Fatalf("Validate: got %v, want ErrUnauthorized", err)
			}
			if !strings.Contains(err.Error(), tt.inMessage) {
				t.Errorf("error %q does not say %q", err, tt.inMessage)
			}
		})
	}
}

func TestServiceTokenReauthentication(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, nil)
	token := f.issue("demo", "demo", []string{"member"}, time.Hour)
	ctx := context.Background()
	if _, err := v.Validate(ctx, token); err != nil {
		t.Fatalf("first Validate: %v", err)
	}
	if got := f.authCalls.Load(); got != 1 {
		t.Fatalf("service authentications: got %d, want 1", got)
	}

	// The service token is reused for other tokens.
	other := f.issue("demo", "demo", []string{"member"}, time.Hour)
	if _, err := v.Validate(ctx, other); err != nil {
		t.Fatalf("second Validate: %v", err)
	}
	if got := f.authCalls.Load(); got != 1 {
		t.Fatalf("service authentications after a second token: got %d, want 1", got)
	}

	// Keystone forgets the service token: the next validation gets a 401,
	// authenticates again and succeeds.
	f.revokeUser(svcUser)
	third := f.issue("demo", "demo", []string{"member"}, time.Hour)
	if _, err := v.Validate(ctx, third); err != nil {
		t.Fatalf("Validate after the service token was revoked: %v", err)
	}
	if got := f.authCalls.Load(); got != 2 {
		t.Errorf("service authentications: got %d, want 2", got)
	}
}

func TestServiceTokenRenewedBeforeExpiry(t *testing.T) {
	t.Parallel()
	f, v, clk := setup(t, func(c *Config) { c.CacheSize = 0 })
	token := f.issue("demo", "demo", []string{"member"}, 24*time.Hour)
	ctx := context.Background()
	if _, err := v.Validate(ctx, token); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The fake's service tokens live an hour; 59.5 minutes on, less than the
	// margin is left.
	clk.advance(59*time.Minute + 30*time.Second)
	if _, err := v.Validate(ctx, token); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := f.authCalls.Load(); got != 2 {
		t.Errorf("service authentications: got %d, want 2", got)
	}
}

func TestBadServiceCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		fake func(*fakeKeystone)
	}{
		{name: "wrong password", edit: func(c *Config) { c.Password = "wrong" }},
		{name: "no service role", fake: func(f *fakeKeystone) {
			u := f.users[svcUser]
			u.roles = []string{"member"}
			f.users[svcUser] = u
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, v, _ := setup(t, tt.edit)
			if tt.fake != nil {
				tt.fake(f)
			}
			token := f.issue("demo", "demo", []string{"member"}, time.Hour)
			// The caller's token is fine: the deployment is not.
			_, err := v.Validate(context.Background(), token)
			if !errors.Is(err, errdefs.ErrUnavailable) || errors.Is(err, errdefs.ErrUnauthorized) {
				t.Fatalf("Validate: got %v, want ErrUnavailable", err)
			}
			if !strings.Contains(err.Error(), svcUser) {
				t.Errorf("error %q does not name the service user", err)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close()
	cfg := Default()
	cfg.AuthURL, cfg.Password = url+"/v3", "x"
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = v.Validate(context.Background(), "some-token")
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("Validate: got %v, want ErrUnavailable", err)
	}
	// Not cached: the next request asks again.
	if n := v.cache.len(); n != 0 {
		t.Errorf("cache holds %d entries after a failure, want 0", n)
	}
}

func TestCacheHit(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, nil)
	token := f.issue("demo", "demo", []string{"member"}, time.Hour)
	for range 5 {
		p, err := v.Validate(context.Background(), token)
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if p.Token != token {
			t.Fatalf("principal token: got %q, want the caller's", p.Token)
		}
		p.Roles[0] = "admin" // must not reach the cache
	}
	if got := f.checkCalls.Load(); got != 1 {
		t.Errorf("validations sent to keystone: got %d, want 1", got)
	}
	p, _ := v.Validate(context.Background(), token)
	if p.IsAdmin() {
		t.Errorf("a caller's change to the roles reached the cache: %v", p.Roles)
	}
}

func TestCacheBound(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, func(c *Config) { c.CacheSize = 2 })
	ctx := context.Background()
	a := f.issue("demo", "demo", nil, time.Hour)
	b := f.issue("demo", "demo", nil, time.Hour)
	c := f.issue("demo", "demo", nil, time.Hour)
	for _, token := range []string{a, b, a, c} { // c evicts b, the least recently used
		if _, err := v.Validate(ctx, token); err != nil {
			t.Fatalf("Validate: %v", err)
		}
	}
	if n := v.cache.len(); n != 2 {
		t.Errorf("cache entries: got %d, want 2", n)
	}
	before := f.checkCalls.Load()
	v.Validate(ctx, a)
	v.Validate(ctx, c)
	if got := f.checkCalls.Load() - before; got != 0 {
		t.Errorf("a and c: got %d requests to keystone, want 0", got)
	}
	v.Validate(ctx, b)
	if got := f.checkCalls.Load() - before; got != 1 {
		t.Errorf("evicted b: got %d requests to keystone, want 1", got)
	}
}

func TestCacheKeyIsNotTheToken(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, nil)
	token := f.issue("demo", "demo", nil, time.Hour)
	v.Validate(context.Background(), token)
	for el := v.cache.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		if strings.Contains(string(e.key[:]), token) || e.res.p.Token != "" {
			t.Errorf("cache entry holds the token: %+v", e)
		}
	}
}

func TestCacheExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ttl      time.Duration // of the token
		cacheTTL time.Duration
		// trusted is how long the answer is reused.
		trusted time.Duration
	}{
		{name: "cache TTL first", ttl: time.Hour, cacheTTL: 30 * time.Second, trusted: 30 * time.Second},
		{name: "token expiry first", ttl: 10 * time.Second, cacheTTL: 30 * time.Second, trusted: 10 * time.Second},
		{name: "cache off", ttl: time.Hour, cacheTTL: 0, trusted: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, v, clk := setup(t, func(c *Config) { c.CacheTTL = tt.cacheTTL })
			token := f.issue("demo", "demo", nil, tt.ttl)
			ctx := context.Background()
			v.Validate(ctx, token)
			if tt.trusted > 0 {
				clk.advance(tt.trusted - time.Millisecond)
				v.Validate(ctx, token)
				if got := f.checkCalls.Load(); got != 1 {
					t.Fatalf("just before %s: got %d requests to keystone, want 1", tt.trusted, got)
				}
			}
			clk.advance(time.Millisecond)
			v.Validate(ctx, token)
			if got := f.checkCalls.Load(); got != 2 {
				t.Fatalf("at %s: got %d requests to keystone, want 2", tt.trusted, got)
			}
		})
	}
}

func TestRevocationWithinCacheTTL(t *testing.T) {
	t.Parallel()
	f, v, clk := setup(t, nil) // CacheTTL 30s
	token := f.issue("demo", "demo", nil, time.Hour)
	ctx := context.Background()
	if _, err := v.Validate(ctx, token); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	f.revoke(token)
	clk.advance(29 * time.Second)
	if _, err := v.Validate(ctx, token); err != nil {
		t.Errorf("revoked token within the cache TTL: got %v, want it trusted (documented)", err)
	}
	clk.advance(time.Second)
	if _, err := v.Validate(ctx, token); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Errorf("revoked token after the cache TTL: got %v, want ErrUnauthorized", err)
	}
}

func TestNegativeCacheIsShort(t *testing.T) {
	t.Parallel()
	f, v, clk := setup(t, nil)
	ctx := context.Background()
	for range 3 {
		v.Validate(ctx, "bogus")
	}
	if got := f.checkCalls.Load(); got != 1 {
		t.Fatalf("bogus token thrice: got %d requests to keystone, want 1", got)
	}
	clk.advance(negativeTTL)
	if _, err := v.Validate(ctx, "bogus"); !errors.Is(err, errdefs.ErrUnauthorized) {
		t.Fatalf("Validate: got %v, want ErrUnauthorized", err)
	}
	if got := f.checkCalls.Load(); got != 2 {
		t.Errorf("after %s: got %d requests to keystone, want 2", negativeTTL, got)
	}
}

func TestConcurrentValidationsShareOneRequest(t *testing.T) {
	t.Parallel()
	f, v, _ := setup(t, nil)
	f.hold = make(chan struct{})
	token := f.issue("demo", "demo", []string{"member"}, time.Hour)
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := v.Validate(context.Background(), token)
			errs <- err
		})
	}
	// A caller whose context ends stops waiting without failing the rest.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := v.Validate(ctx, token)
		gaveUp <- err
	}()
	eventually(t, "every caller waits for one flight", func() bool { return v.flights.waiting(keyOf(token)) == callers })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled caller: got %v, want context.Canceled", err)
	}
	close(f.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
	if got := f.checkCalls.Load(); got != 1 {
		t.Errorf("validations sent to keystone: got %d, want 1", got)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := Default()
	good.AuthURL, good.Password = "http://keystone:5000/v3", "secret"
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string // "" for none
	}{
		{name: "default with URL and password", edit: func(*Config) {}},
		{name: "no URL", edit: func(c *Config) { c.AuthURL = "" }, wantErr: "auth URL is required"},
		{name: "not http", edit: func(c *Config) { c.AuthURL = "keystone:5000" }, wantErr: "want http(s)"},
		{name: "no password", edit: func(c *Config) { c.Password = "" }, wantErr: "password"},
		{name: "no user", edit: func(c *Config) { c.Username = "" }, wantErr: "username"},
		{name: "no project", edit: func(c *Config) { c.ProjectName = "" }, wantErr: "project"},
		{name: "negative cache size", edit: func(c *Config) { c.CacheSize = -1 }, wantErr: "cache size"},
		{name: "negative TTL", edit: func(c *Config) { c.CacheTTL = -time.Second }, wantErr: "cache TTL"},
		{name: "cache off", edit: func(c *Config) { c.CacheSize, c.CacheTTL = 0, 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.wantErr != "" && (!errdefs.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate: got %v, want ErrInvalid saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://k:5000/v3", "http://k:5000/v3"},
		{"http://k:5000/v3/", "http://k:5000/v3"},
		{"http://k:5000", "http://k:5000/v3"},
		{"https://k/identity/v3", "https://k/identity/v3"},
	}
	for _, tt := range tests {
		if got := (Config{AuthURL: tt.in}).endpoint(); got != tt.want {
			t.Errorf("endpoint of %q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	t.Parallel()
	cfg := Default()
	cfg.Password = "hunter2"
	if s := fmt.Sprint(cfg); strings.Contains(s, "hunter2") {
		t.Errorf("%q shows the password", s)
	}
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}
