package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
)

// AuthRequest is a POST /v3/auth/tokens: who (password or an existing
// token) and for what scope.
type AuthRequest struct {
	Methods  []string
	Password *PasswordCredentials
	Token    string
	Scope    Scope
	// Remote is the client's address, for login throttling.
	Remote string
}

// PasswordCredentials name a user by id, or by name and domain.
type PasswordCredentials struct {
	UserID, UserName     string
	DomainID, DomainName string
	Password             string
}

// Scope asks for one of: a project (by id, or name and domain), a
// domain, or an unscoped token. None at all gives the user's default
// project when they have a role on it, else an unscoped token (as
// Keystone).
type Scope struct {
	ProjectID, ProjectName             string
	ProjectDomainID, ProjectDomainName string
	DomainID, DomainName               string
	Unscoped                           bool
}

// check refuses a scope that asks for more than one thing.
func (sc Scope) check() error {
	var kinds []string
	if sc.ProjectID != "" || sc.ProjectName != "" {
		kinds = append(kinds, "project")
	}
	if sc.DomainID != "" || sc.DomainName != "" {
		kinds = append(kinds, "domain")
	}
	if sc.Unscoped {
		kinds = append(kinds, "unscoped")
	}
	if len(kinds) > 1 {
		return errdefs.Invalidf("%s Found %s: a scope names one.", expecting(scopeKindsText, "scope"), strings.Join(kinds, " and "))
	}
	return nil
}

// ErrThrottled is a login refused because of earlier failures.
type ErrThrottled struct{ Wait time.Duration }

// Is makes an ErrThrottled an errdefs.ErrThrottled (429).
func (e *ErrThrottled) Is(target error) bool { return target == errdefs.ErrThrottled }

func (e *ErrThrottled) Error() string {
	return fmt.Sprintf("Too many failed authentication attempts; retry in %d seconds.", int(e.Wait.Seconds()+0.999))
}

// Authenticate issues a token. Every method named must succeed for the
// same user (Keystone's multi-method authentication); a method this
// service does not offer, or a scope naming more than one thing, is
// refused rather than ignored.
func (s *Service) Authenticate(ctx context.Context, req AuthRequest) (*Token, error) {
	if err := req.Scope.check(); err != nil {
		return nil, err
	}
	var (
		userID  string
		methods []string
		parent  string
		expires time.Time
	)
	setUser := func(id string) error {
		if userID != "" && userID != id {
			return unauthorized() // Keystone: the methods' users must agree
		}
		userID = id
		return nil
	}
	for _, m := range req.Methods {
		if slices.Contains(methods, m) {
			continue
		}
		switch m {
		case "password":
			if req.Password == nil {
				return nil, expecting("password", "identity")
			}
			u, err := s.checkPassword(ctx, req.Password, req.Remote)
			if err != nil {
				return nil, err
			}
			if err := setUser(u.ID); err != nil {
				return nil, err
			}
			methods = append(methods, m)
		case "token":
			// Rescoping: the new token keeps the old one's expiry and joins
			// its audit chain, so revoking the old one revokes it too.
			old, err := s.ValidateToken(ctx, req.Token)
			if err != nil {
				return nil, err
			}
			if err := setUser(old.User.ID); err != nil {
				return nil, err
			}
			parent, expires = old.AuditIDs[0], old.ExpiresAt
			methods = append(methods, m)
			for _, om := range old.Methods {
				if !slices.Contains(methods, om) && !slices.Contains(req.Methods, om) {
					methods = append(methods, om)
				}
			}
		default:
			return nil, errMethodNotSupported
		}
	}
	if userID == "" {
		return nil, unauthorized() // Keystone: no method named a user
	}
	now := s.now()
	if ttl := now.Add(s.cfg.TokenTTL); expires.IsZero() || ttl.Before(expires) {
		expires = ttl
	}
	audit := []string{newAuditID()}
	if parent != "" {
		audit = append(audit, parent)
	}

	c := claims{UserID: userID, Methods: methods, IssuedAt: now.UnixNano(), ExpiresAt: expires.Unix(), AuditIDs: audit}
	var (
		scopeErr error
		t        *Token
		key      []byte
	)
	// The scope, the token's view and its revision from one state of the
	// records (see revoke.go).
	s.m.read(func() {
		if c.ProjectID, c.DomainID, scopeErr = s.scopeOf(userID, req.Scope); scopeErr == nil {
			c.Rev, key = s.m.rev, s.m.signingKey
			t = s.resolve(c)
		}
	})
	if scopeErr != nil {
		return nil, scopeErr
	}
	if t == nil {
		return nil, unauthorized()
	}
	id, err := sign(key, c)
	if err != nil {
		return nil, err
	}
	t.ID = id
	return t, nil
}

// checkPassword finds the user and checks the password, throttling
// floods of failures per user name and per client address. Every failure
// is the same 401, and an unknown user costs the same hash as a known one.
func (s *Service) checkPassword(ctx context.Context, pc *PasswordCredentials, remote string) (User, error) {
	userKey := "user:" + strings.ToLower(pc.UserID+"|"+pc.UserName+"|"+pc.DomainID+"|"+pc.DomainName)
	addrKey := "addr:" + remote
	now := s.now()
	if w := max(s.limiter.wait(now, userKey), s.limiter.wait(now, addrKey)); w > 0 {
		return User{}, &ErrThrottled{Wait: w}
	}
	var (
		u     User
		found bool
	)
	s.m.read(func() { u, found = s.findUser(pc) })
	hash := s.dummyPwd
	if found {
		hash = []byte(u.PasswordHash)
	}
	ok := bcrypt.CompareHashAndPassword(hash, prehash(pc.Password)) == nil && found && u.Enabled && u.PasswordHash != ""
	if ok {
		s.m.read(func() {
			d, dok := s.m.domains[u.DomainID]
			ok = dok && d.Enabled
		})
	}
	if !ok {
		s.limiter.failed(now, userKey, s.cfg.MaxFailures)
		s.limiter.failed(now, addrKey, 4*s.cfg.MaxFailures)
		logctx.Or(ctx, s.log).Warn("failed login", "user", pc.UserName+pc.UserID, "remote", remote)
		return User{}, unauthorized()
	}
	s.limiter.succeeded(userKey)
	return u, nil
}

// findUser finds the user of credentials; s.m is read-locked.
func (s *Service) findUser(pc *PasswordCredentials) (User, bool) {
	if pc.UserID != "" {
		u, ok := s.m.users[pc.UserID]
		return u, ok
	}
	domainID, ok := s.domainID(pc.DomainID, pc.DomainName)
	if !ok {
		return User{}, false
	}
	for _, u := range s.m.users {
		if u.DomainID == domainID && strings.EqualFold(u.Name, pc.UserName) {
			return u, true
		}
	}
	return User{}, false
}

// domainID resolves a domain by id or name; s.m is read-locked.
func (s *Service) domainID(id, name string) (string, bool) {
	if id != "" {
		_, ok := s.m.domains[id]
		return id, ok
	}
	for _, d := range s.m.domains {
		if strings.EqualFold(d.Name, name) {
			return d.ID, true
		}
	}
	return "", false
}

// scopeOf resolves the requested scope for userID; s.m is read-locked.
func (s *Service) scopeOf(userID string, sc Scope) (projectID, domainID string, err error) {
	switch {
	case sc.ProjectID != "" || sc.ProjectName != "":
		p, ok := s.findProject(sc)
		if !ok || !p.Enabled || len(s.rolesOn(userID, p.ID, "")) == 0 {
			return "", "", unauthorized()
		}
		return p.ID, "", nil
	case sc.DomainID != "" || sc.DomainName != "":
		id, ok := s.domainID(sc.DomainID, sc.DomainName)
		if !ok || len(s.rolesOn(userID, "", id)) == 0 {
			return "", "", unauthorized()
		}
		return "", id, nil
	case sc.Unscoped:
		return "", "", nil
	}
	// No scope: the default project, if the user may use it, else
	// unscoped (Keystone's _check_and_set_default_scoping).
	u := s.m.users[userID]
	if p, ok := s.m.projects[u.DefaultProjectID]; ok && p.Enabled && s.m.domains[p.DomainID].Enabled &&
		len(s.rolesOn(userID, p.ID, "")) > 0 {
		return p.ID, "", nil
	}
	return "", "", nil
}

// findProject finds the project of a scope; s.m is read-locked.
func (s *Service) findProject(sc Scope) (Project, bool) {
	if sc.ProjectID != "" {
		p, ok := s.m.projects[sc.ProjectID]
		return p, ok
	}
	domainID, ok := s.domainID(sc.ProjectDomainID, sc.ProjectDomainName)
	if !ok {
		return Project{}, false
	}
	for _, p := range s.m.projects {
		if p.DomainID == domainID && strings.EqualFold(p.Name, sc.ProjectName) {
			return p, true
		}
	}
	return Project{}, false
}
