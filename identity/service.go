package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/store"
)

// Config configures the identity service.
type Config struct {
	// TokenTTL is how long a token lives (Keystone's [token] expiration).
	TokenTTL time.Duration
	// BcryptCost is the work factor of password hashes; each login costs
	// about 2^cost bcrypt rounds (10: some 50 ms on one core).
	BcryptCost int
	// Region names the region of every catalog endpoint.
	Region string
	// MaxFailures is how many failed logins in a row one user name, or
	// four times as many one client address, may make before each further
	// attempt must wait: 1 s, then doubling up to LockoutMax. Attempts
	// during the wait get 429 without their password being checked.
	MaxFailures int
	LockoutMax  time.Duration
	// Services are published in the catalog besides identity itself, each
	// at the public base URL plus its path.
	Services []CatalogService
}

// CatalogService is a service published in the catalog.
type CatalogService struct {
	Type string // "container"
	Name string // "zun"
	Path string // "/v1", appended to the base URL
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		TokenTTL:    time.Hour,
		BcryptCost:  10,
		Region:      "RegionOne",
		MaxFailures: 5,
		LockoutMax:  time.Minute,
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.TokenTTL < time.Minute {
		errs = append(errs, fmt.Errorf("token TTL %s: want at least a minute", c.TokenTTL))
	}
	if c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost {
		errs = append(errs, fmt.Errorf("bcrypt cost %d: want %d to %d", c.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	if c.MaxFailures < 1 || c.LockoutMax < time.Second {
		errs = append(errs, errors.New("login throttling: want MaxFailures ≥ 1 and LockoutMax ≥ 1s"))
	}
	return errors.Join(errs...)
}

// Service is the identity service.
type Service struct {
	cfg      Config
	db       *store.DB
	m        *mirror
	log      *slog.Logger
	limiter  *limiter
	stop     context.CancelFunc
	done     chan struct{}
	now      func() time.Time
	dummyPwd []byte // hash compared when the user does not exist
}

// Open starts the identity service on db: it loads the records, keeps
// them mirrored until Close, and makes sure the token signing key exists.
func Open(ctx context.Context, db *store.DB, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = logctx.FromContext(ctx)
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Service{
		cfg: cfg, db: db, m: newMirror(), log: log.With("component", "identity"),
		limiter: newLimiter(cfg.MaxFailures, cfg.LockoutMax),
		stop:    stop, done: make(chan struct{}), now: time.Now,
	}
	go func() {
		defer close(s.done)
		s.m.run(rctx, db, s.log)
	}()
	s.dummyPwd, _ = bcrypt.GenerateFromPassword([]byte("not a password"), cfg.BcryptCost)
	if err := s.ensureSigningKey(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the mirror.
func (s *Service) Close() {
	s.stop()
	<-s.done
}

// hashPassword hashes a password. bcrypt reads at most 72 bytes, so it is
// given the base64 SHA-256 of the password: long passwords keep all their
// strength.
func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(pw), s.cfg.BcryptCost)
	return string(h), err
}

func prehash(pw string) []byte {
	sum := sha256.Sum256([]byte(pw))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// Token is a validated or newly issued token with what it stands for.
type Token struct {
	ID      string
	Methods []string
	// AuditIDs: the token's own, then its parent's, if any.
	AuditIDs  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	User      User
	UserDom   Domain
	Project   *Project // project scope
	ProjDom   *Domain
	Domain    *Domain // domain scope
	Roles     []Role
}

// Principal returns who the token stands for.
func (t *Token) Principal() auth.Principal {
	p := auth.Principal{UserID: t.User.ID, UserName: t.User.Name, DomainID: t.User.DomainID, Token: t.ID}
	if t.Project != nil {
		p.ProjectID, p.ProjectName = t.Project.ID, t.Project.Name
	}
	for _, r := range t.Roles {
		p.Roles = append(p.Roles, strings.ToLower(r.Name))
	}
	return p
}

// unauthorized is every authentication failure's error: it never says
// which part was wrong.
func unauthorized() error {
	return errdefs.Unauthorizedf("The request you have made requires authentication.")
}

// Validate implements the container API's Authenticator: the token must
// be valid and scoped to a project.
func (s *Service) Validate(ctx context.Context, token string) (auth.Principal, error) {
	t, err := s.ValidateToken(ctx, token)
	if err != nil {
		return auth.Principal{}, err
	}
	if t.Project == nil {
		return auth.Principal{}, errdefs.Unauthorizedf("The token is not scoped to a project.")
	}
	return t.Principal(), nil
}

// ValidateToken checks token and returns what it stands for now: its
// user, scope and roles as they are, not as they were when it was issued.
func (s *Service) ValidateToken(ctx context.Context, token string) (*Token, error) {
	var key []byte
	s.m.read(func() { key = s.m.signingKey })
	c, err := verify(key, token)
	if err != nil {
		return nil, unauthorized()
	}
	now := s.now()
	if !now.Before(c.expires()) {
		return nil, unauthorized()
	}
	var t *Token
	s.m.read(func() {
		if !s.m.isRevoked(c) {
			t = s.resolve(c)
		}
	})
	if t == nil {
		return nil, unauthorized()
	}
	t.ID = token
	return t, nil
}

// resolve builds the Token of valid claims from the records, or nil when
// the user, the scope or the roles are gone; s.m is read-locked.
func (s *Service) resolve(c claims) *Token {
	u, ok := s.m.users[c.UserID]
	if !ok || !u.Enabled || c.issued().Before(u.TokensValidAfter) {
		return nil
	}
	ud, ok := s.m.domains[u.DomainID]
	if !ok || !ud.Enabled {
		return nil
	}
	t := &Token{
		Methods: c.Methods, AuditIDs: c.AuditIDs, IssuedAt: c.issued(), ExpiresAt: c.expires(),
		User: u, UserDom: ud,
	}
	switch {
	case c.ProjectID != "":
		p, ok := s.m.projects[c.ProjectID]
		if !ok || !p.Enabled {
			return nil
		}
		pd, ok := s.m.domains[p.DomainID]
		if !ok || !pd.Enabled {
			return nil
		}
		t.Project, t.ProjDom = &p, &pd
		t.Roles = s.rolesOn(u.ID, p.ID, "")
	case c.DomainID != "":
		d, ok := s.m.domains[c.DomainID]
		if !ok || !d.Enabled {
			return nil
		}
		t.Domain = &d
		t.Roles = s.rolesOn(u.ID, "", d.ID)
	default:
		return t
	}
	if len(t.Roles) == 0 {
		return nil // Keystone: a scoped token without roles is invalid.
	}
	return t
}

// rolesOn returns the roles of a user on a project or domain, implied
// roles included, sorted by name; s.m is read-locked.
func (s *Service) rolesOn(userID, projectID, domainID string) []Role {
	seen := map[string]bool{}
	var roles []Role
	add := func(r Role) {
		if !seen[r.ID] {
			seen[r.ID] = true
			roles = append(roles, r)
		}
	}
	for _, a := range s.m.byUser[userID] {
		if a.ProjectID != projectID || a.DomainID != domainID {
			continue
		}
		r, ok := s.m.roles[a.RoleID]
		if !ok {
			continue
		}
		for _, name := range implied(r.Name) {
			if ir, ok := s.roleByName(name); ok {
				add(ir)
			}
		}
	}
	slices.SortFunc(roles, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	return roles
}

// roleByName finds a role by name, without regard to case; s.m is
// read-locked.
func (s *Service) roleByName(name string) (Role, bool) {
	for _, r := range s.m.roles {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return Role{}, false
}

// limiter slows down floods of failed logins.
type limiter struct {
	mu    sync.Mutex
	max   int
	cap   time.Duration
	state map[string]*failures
}

type failures struct {
	count int
	until time.Time
	last  time.Time
}

func newLimiter(max int, cap time.Duration) *limiter {
	return &limiter{max: max, cap: cap, state: map[string]*failures{}}
}

// wait returns how long the key must still wait before another attempt.
func (l *limiter) wait(now time.Time, key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.state[key]; ok && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// failed records a failed attempt of key, allowed max in a row.
func (l *limiter) failed(now time.Time, key string, max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.state) > 100_000 {
		for k, f := range l.state {
			if now.Sub(f.last) > l.cap {
				delete(l.state, k)
			}
		}
	}
	f, ok := l.state[key]
	if !ok || now.Sub(f.last) > 15*time.Minute {
		f = &failures{}
		l.state[key] = f
	}
	f.count++
	f.last = now
	if over := f.count - max; over >= 0 {
		d := time.Second << min(over, 16)
		f.until = now.Add(min(d, l.cap))
	}
}

// succeeded forgets the failures of key.
func (l *limiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.state, key)
}
