package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
)

// The record management of the identity API. Every write is one etcd
// transaction that also claims or frees the name's uniqueness key, so two
// concurrent creates of the same name cannot both succeed.

const maxNameLen = 255

func checkName(kind, name string) error {
	if strings.TrimSpace(name) == "" {
		return errdefs.Invalidf("Invalid input for field 'name': the %s name must not be empty.", kind)
	}
	if utf8.RuneCountInString(name) > maxNameLen || strings.ContainsAny(name, "/\x00") {
		return errdefs.Invalidf("Invalid input for field 'name': %q is longer than %d characters or contains '/'.", name, maxNameLen)
	}
	return nil
}

func notFoundf(kind, id string) error {
	return errdefs.NotFoundf("Could not find %s: %s.", kind, id)
}

func duplicate(kind, name string) error {
	return errdefs.Conflictf("Conflict occurred attempting to store %s - Duplicate entry found with name %s.", kind, name)
}

// commitNamed commits txn, turning a lost race for a name key into 409.
func (s *Service) commitNamed(ctx context.Context, txn *store.Txn, kind, name string) error {
	err := s.commit(ctx, txn)
	var conflict *store.ConflictError
	if errors.As(err, &conflict) {
		return duplicate(kind, name)
	}
	return err
}

// Domains.

// CreateDomain adds a domain; an empty ID gets a new one.
func (s *Service) CreateDomain(ctx context.Context, d Domain) (Domain, error) {
	if err := checkName("domain", d.Name); err != nil {
		return Domain{}, err
	}
	if d.ID == "" {
		d.ID = newID()
	}
	txn := s.db.Txn().Create(domainsPrefix+d.ID, d).Create(nameKey("domain", "", d.Name), d.ID)
	return d, s.commitNamed(ctx, txn, "domain", d.Name)
}

// Domain returns a domain by id, or by name when no id matches.
func (s *Service) Domain(id string) (Domain, error) {
	var (
		d  Domain
		ok bool
	)
	s.m.read(func() {
		if d, ok = s.m.domains[id]; !ok {
			if did, found := s.domainID("", id); found {
				d, ok = s.m.domains[did]
			}
		}
	})
	if !ok {
		return Domain{}, notFoundf("domain", id)
	}
	return d, nil
}

// Domains lists domains, filtered by name when name is set.
func (s *Service) Domains(name string) []Domain {
	var out []Domain
	s.m.read(func() {
		for _, d := range s.m.domains {
			if name == "" || d.Name == name {
				out = append(out, d)
			}
		}
	})
	slices.SortFunc(out, func(a, b Domain) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Projects.

// CreateProject adds a project to an existing domain.
func (s *Service) CreateProject(ctx context.Context, p Project) (Project, error) {
	if err := checkName("project", p.Name); err != nil {
		return Project{}, err
	}
	if p.DomainID == "" {
		p.DomainID = DefaultDomainID
	}
	if _, err := s.Domain(p.DomainID); err != nil {
		return Project{}, err
	}
	if p.ID == "" {
		p.ID = newID()
	}
	txn := s.db.Txn().Create(projectsPrefix+p.ID, p).Create(nameKey("project", p.DomainID, p.Name), p.ID)
	return p, s.commitNamed(ctx, txn, "project", p.Name)
}

// Project returns a project by id.
func (s *Service) Project(id string) (Project, error) {
	var (
		p  Project
		ok bool
	)
	s.m.read(func() { p, ok = s.m.projects[id] })
	if !ok {
		return Project{}, notFoundf("project", id)
	}
	return p, nil
}

// Projects lists projects, filtered by the non-empty arguments.
func (s *Service) Projects(name, domainID string) []Project {
	var out []Project
	s.m.read(func() {
		for _, p := range s.m.projects {
			if (name == "" || p.Name == name) && (domainID == "" || p.DomainID == domainID) {
				out = append(out, p)
			}
		}
	})
	slices.SortFunc(out, func(a, b Project) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// UpdateProject applies fn to a project and stores it.
func (s *Service) UpdateProject(ctx context.Context, id string, fn func(*Project) error) (Project, error) {
	old, err := s.Project(id)
	if err != nil {
		return Project{}, err
	}
	p := old
	if err := fn(&p); err != nil {
		return Project{}, err
	}
	if err := checkName("project", p.Name); err != nil {
		return Project{}, err
	}
	p.ID, p.DomainID = old.ID, old.DomainID
	txn := s.db.Txn().Put(projectsPrefix+id, p)
	if old.Enabled && !p.Enabled {
		// Its tokens stay dead once it is enabled again.
		putEvent(txn, s.newEvent("", id, ""))
	}
	if !strings.EqualFold(p.Name, old.Name) {
		txn.Delete(nameKey("project", p.DomainID, old.Name)).Create(nameKey("project", p.DomainID, p.Name), id)
	}
	return p, s.commitNamed(ctx, txn, "project", p.Name)
}

// DeleteProject removes a project and the role assignments on it, and
// revokes the tokens scoped to it.
func (s *Service) DeleteProject(ctx context.Context, id string) error {
	p, err := s.Project(id)
	if err != nil {
		return err
	}
	txn := s.db.Txn().Delete(projectsPrefix + id).Delete(nameKey("project", p.DomainID, p.Name))
	putEvent(txn, s.newEvent("", id, ""))
	s.m.read(func() {
		for k, a := range s.m.assignments {
			if a.ProjectID == id {
				txn.Delete(k)
			}
		}
	})
	return s.commit(ctx, txn)
}

// Users.

// CreateUser adds a user; password may be empty (the user cannot log in).
func (s *Service) CreateUser(ctx context.Context, u User, password string) (User, error) {
	if err := checkName("user", u.Name); err != nil {
		return User{}, err
	}
	if u.DomainID == "" {
		u.DomainID = DefaultDomainID
	}
	if _, err := s.Domain(u.DomainID); err != nil {
		return User{}, err
	}
	if u.DefaultProjectID != "" {
		if _, err := s.Project(u.DefaultProjectID); err != nil {
			return User{}, err
		}
	}
	if password != "" {
		h, err := s.hashPassword(password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = h
	}
	if u.ID == "" {
		u.ID = newID()
	}
	txn := s.db.Txn().Create(usersPrefix+u.ID, u).Create(nameKey("user", u.DomainID, u.Name), u.ID)
	return u, s.commitNamed(ctx, txn, "user", u.Name)
}

// User returns a user by id.
func (s *Service) User(id string) (User, error) {
	var (
		u  User
		ok bool
	)
	s.m.read(func() { u, ok = s.m.users[id] })
	if !ok {
		return User{}, notFoundf("user", id)
	}
	return u, nil
}

// Users lists users, filtered by the non-empty arguments.
func (s *Service) Users(name, domainID string) []User {
	var out []User
	s.m.read(func() {
		for _, u := range s.m.users {
			if (name == "" || u.Name == name) && (domainID == "" || u.DomainID == domainID) {
				out = append(out, u)
			}
		}
	})
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// UpdateUser applies fn to a user and stores it; a non-nil password
// replaces the password and invalidates the user's existing tokens, and
// so does disabling the user, for good.
func (s *Service) UpdateUser(ctx context.Context, id string, password *string, fn func(*User) error) (User, error) {
	old, err := s.User(id)
	if err != nil {
		return User{}, err
	}
	u := old
	if fn != nil {
		if err := fn(&u); err != nil {
			return User{}, err
		}
	}
	if err := checkName("user", u.Name); err != nil {
		return User{}, err
	}
	if u.DefaultProjectID != "" && u.DefaultProjectID != old.DefaultProjectID {
		if _, err := s.Project(u.DefaultProjectID); err != nil {
			return User{}, err
		}
	}
	u.ID, u.DomainID = old.ID, old.DomainID
	if password != nil {
		h, err := s.hashPassword(*password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = h
		u.TokensValidAfter = s.now().UTC().Add(-time.Nanosecond)
	}
	txn := s.db.Txn().Put(usersPrefix+id, u)
	if old.Enabled && !u.Enabled || password != nil {
		putEvent(txn, s.newEvent(id, "", ""))
	}
	if !strings.EqualFold(u.Name, old.Name) {
		txn.Delete(nameKey("user", u.DomainID, old.Name)).Create(nameKey("user", u.DomainID, u.Name), id)
	}
	return u, s.commitNamed(ctx, txn, "user", u.Name)
}

// DeleteUser removes a user and their role assignments, and revokes
// their tokens.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	u, err := s.User(id)
	if err != nil {
		return err
	}
	txn := s.db.Txn().Delete(usersPrefix + id).Delete(nameKey("user", u.DomainID, u.Name)).
		DeletePrefix(assignmentsPrefix + id + "/")
	putEvent(txn, s.newEvent(id, "", ""))
	return s.commit(ctx, txn)
}

// Roles.

// CreateRole adds a role; names are unique without regard to case.
func (s *Service) CreateRole(ctx context.Context, r Role) (Role, error) {
	if err := checkName("role", r.Name); err != nil {
		return Role{}, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	txn := s.db.Txn().Create(rolesPrefix+r.ID, r).Create(nameKey("role", "", r.Name), r.ID)
	return r, s.commitNamed(ctx, txn, "role", r.Name)
}

// Role returns a role by id.
func (s *Service) Role(id string) (Role, error) {
	var (
		r  Role
		ok bool
	)
	s.m.read(func() { r, ok = s.m.roles[id] })
	if !ok {
		return Role{}, notFoundf("role", id)
	}
	return r, nil
}

// Roles lists roles, filtered by name when name is set.
func (s *Service) Roles(name string) []Role {
	var out []Role
	s.m.read(func() {
		for _, r := range s.m.roles {
			if name == "" || strings.EqualFold(r.Name, name) {
				out = append(out, r)
			}
		}
	})
	slices.SortFunc(out, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DeleteRole removes a role and its assignments, and revokes the tokens
// of its holders on the projects and domains where they held it.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	r, err := s.Role(id)
	if err != nil {
		return err
	}
	txn := s.db.Txn().Delete(rolesPrefix + id).Delete(nameKey("role", "", r.Name))
	var events []RevocationEvent
	s.m.read(func() {
		for k, a := range s.m.assignments {
			if a.RoleID == id {
				txn.Delete(k)
				events = append(events, s.newEvent(a.UserID, a.ProjectID, a.DomainID))
			}
		}
	})
	// The events first, in batches: should the deletion fail, tokens
	// were revoked early, never kept.
	for len(events) > 0 {
		n := min(len(events), maxTxnWrites)
		batch := s.db.Txn()
		for _, e := range events[:n] {
			putEvent(batch, e)
		}
		if err := s.commit(ctx, batch); err != nil {
			return err
		}
		events = events[n:]
	}
	return s.commit(ctx, txn)
}

// Assignments.

// checkAssignment makes sure every object of a names exists.
func (s *Service) checkAssignment(a Assignment) error {
	if (a.ProjectID == "") == (a.DomainID == "") {
		return errdefs.Invalidf("a role assignment needs a project or a domain")
	}
	if _, err := s.User(a.UserID); err != nil {
		return err
	}
	if _, err := s.Role(a.RoleID); err != nil {
		return err
	}
	if a.ProjectID != "" {
		_, err := s.Project(a.ProjectID)
		return err
	}
	_, err := s.Domain(a.DomainID)
	return err
}

// Grant gives a user a role on a project or domain; granting twice is
// fine.
func (s *Service) Grant(ctx context.Context, a Assignment) error {
	if err := s.checkAssignment(a); err != nil {
		return err
	}
	return s.commit(ctx, s.db.Txn().Put(assignmentKey(a), a))
}

// Ungrant takes a role away, and revokes the user's tokens on that
// project or domain (Keystone revoked them by user and project): tokens
// issued before stay invalid if the role is given back.
func (s *Service) Ungrant(ctx context.Context, a Assignment) error {
	if err := s.checkAssignment(a); err != nil {
		return err
	}
	if !s.HasGrant(a) {
		return errdefs.NotFoundf("Could not find role assignment of role %s to user %s.", a.RoleID, a.UserID)
	}
	return s.commit(ctx, putEvent(s.db.Txn().Delete(assignmentKey(a)), s.newEvent(a.UserID, a.ProjectID, a.DomainID)))
}

// HasGrant reports whether the assignment exists, directly.
func (s *Service) HasGrant(a Assignment) bool {
	var ok bool
	s.m.read(func() { _, ok = s.m.assignments[assignmentKey(a)] })
	return ok
}

// Assignments lists the direct assignments matching the non-empty
// fields of filter.
func (s *Service) Assignments(filter Assignment) []Assignment {
	var out []Assignment
	s.m.read(func() {
		for _, a := range s.m.assignments {
			if (filter.UserID == "" || a.UserID == filter.UserID) &&
				(filter.RoleID == "" || a.RoleID == filter.RoleID) &&
				(filter.ProjectID == "" || a.ProjectID == filter.ProjectID) &&
				(filter.DomainID == "" || a.DomainID == filter.DomainID) {
				out = append(out, a)
			}
		}
	})
	slices.SortFunc(out, func(a, b Assignment) int { return strings.Compare(assignmentKey(a), assignmentKey(b)) })
	return out
}

// RolesOn returns a user's effective roles on a project or domain.
func (s *Service) RolesOn(userID, projectID, domainID string) []Role {
	var out []Role
	s.m.read(func() { out = s.rolesOn(userID, projectID, domainID) })
	return out
}
