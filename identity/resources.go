package identity

import (
	"net/http"

	"github.com/zun-go/zun/errdefs"
)

// The CRUD of domains, projects, users, roles and role assignments, with
// Keystone's request and response shapes.

func (h *Handler) self(r *http.Request, kind, id string) map[string]string {
	return map[string]string{"self": h.base(r) + "/v3/" + kind + "/" + id}
}

func (h *Handler) domainView(r *http.Request, d Domain) map[string]any {
	return map[string]any{"id": d.ID, "name": d.Name, "description": d.Description, "enabled": d.Enabled,
		"tags": []string{}, "options": map[string]any{}, "links": h.self(r, "domains", d.ID)}
}

func (h *Handler) projectView(r *http.Request, p Project) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "domain_id": p.DomainID, "description": p.Description,
		"enabled": p.Enabled, "is_domain": false, "parent_id": p.DomainID, "tags": []string{},
		"options": map[string]any{}, "links": h.self(r, "projects", p.ID)}
}

func (h *Handler) userView(r *http.Request, u User) map[string]any {
	v := map[string]any{"id": u.ID, "name": u.Name, "domain_id": u.DomainID, "enabled": u.Enabled,
		"password_expires_at": nil, "options": map[string]any{}, "links": h.self(r, "users", u.ID)}
	if u.DefaultProjectID != "" {
		v["default_project_id"] = u.DefaultProjectID
	}
	if u.Description != "" {
		v["description"] = u.Description
	}
	if u.Email != "" {
		v["email"] = u.Email
	}
	return v
}

func (h *Handler) domainRef(id string) map[string]string {
	ref := map[string]string{"id": id}
	if d, err := h.s.Domain(id); err == nil {
		ref["name"] = d.Name
	}
	return ref
}

func (h *Handler) roleView(r *http.Request, ro Role) map[string]any {
	return map[string]any{"id": ro.ID, "name": ro.Name, "domain_id": nil, "description": ro.Description,
		"options": map[string]any{}, "links": h.self(r, "roles", ro.ID)}
}

func collection[T any](h *Handler, r *http.Request, key string, items []T, view func(*http.Request, T) map[string]any) (int, any, error) {
	out := make([]any, 0, len(items))
	for _, it := range items {
		out = append(out, view(r, it))
	}
	return http.StatusOK, map[string]any{key: out, "links": h.links(r)}, nil
}

// Domains.

func (h *Handler) listDomains(r *http.Request, _ *Token) (int, any, error) {
	return collection(h, r, "domains", h.s.Domains(r.URL.Query().Get("name")), h.domainView)
}

func (h *Handler) showDomain(r *http.Request, _ *Token) (int, any, error) {
	d, err := h.s.Domain(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"domain": h.domainView(r, d)}, nil
}

func (h *Handler) createDomain(r *http.Request, _ *Token) (int, any, error) {
	var body struct {
		Domain struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Enabled     *bool  `json:"enabled"`
		} `json:"domain"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	d, err := h.s.CreateDomain(r.Context(), Domain{Name: body.Domain.Name, Description: body.Domain.Description,
		Enabled: body.Domain.Enabled == nil || *body.Domain.Enabled})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"domain": h.domainView(r, d)}, nil
}

// Projects.

type projectBody struct {
	Project struct {
		Name        *string `json:"name"`
		DomainID    string  `json:"domain_id"`
		Description *string `json:"description"`
		Enabled     *bool   `json:"enabled"`
		IsDomain    bool    `json:"is_domain"`
	} `json:"project"`
}

func (h *Handler) listProjects(r *http.Request, _ *Token) (int, any, error) {
	q := r.URL.Query()
	return collection(h, r, "projects", h.s.Projects(q.Get("name"), q.Get("domain_id")), h.projectView)
}

func (h *Handler) showProject(r *http.Request, _ *Token) (int, any, error) {
	p, err := h.s.Project(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"project": h.projectView(r, p)}, nil
}

func (h *Handler) createProject(r *http.Request, _ *Token) (int, any, error) {
	var body projectBody
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	b := body.Project
	if b.IsDomain {
		return 0, nil, errdefs.NotSupportedf("Projects acting as domains are not supported.")
	}
	p := Project{DomainID: b.DomainID, Enabled: b.Enabled == nil || *b.Enabled}
	if b.Name != nil {
		p.Name = *b.Name
	}
	if b.Description != nil {
		p.Description = *b.Description
	}
	p, err := h.s.CreateProject(r.Context(), p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"project": h.projectView(r, p)}, nil
}

func (h *Handler) updateProject(r *http.Request, _ *Token) (int, any, error) {
	var body projectBody
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	b := body.Project
	p, err := h.s.UpdateProject(r.Context(), r.PathValue("id"), func(p *Project) error {
		if b.Name != nil {
			p.Name = *b.Name
		}
		if b.Description != nil {
			p.Description = *b.Description
		}
		if b.Enabled != nil {
			p.Enabled = *b.Enabled
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"project": h.projectView(r, p)}, nil
}

func (h *Handler) deleteProject(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusNoContent, nil, h.s.DeleteProject(r.Context(), r.PathValue("id"))
}

// Users.

type userBody struct {
	User struct {
		Name             *string `json:"name"`
		DomainID         string  `json:"domain_id"`
		Password         *string `json:"password"`
		DefaultProjectID *string `json:"default_project_id"`
		Description      *string `json:"description"`
		Email            *string `json:"email"`
		Enabled          *bool   `json:"enabled"`
	} `json:"user"`
}

func (b *userBody) apply(u *User) {
	x := b.User
	if x.Name != nil {
		u.Name = *x.Name
	}
	if x.DefaultProjectID != nil {
		u.DefaultProjectID = *x.DefaultProjectID
	}
	if x.Description != nil {
		u.Description = *x.Description
	}
	if x.Email != nil {
		u.Email = *x.Email
	}
	if x.Enabled != nil {
		u.Enabled = *x.Enabled
	}
}

func (h *Handler) listUsers(r *http.Request, _ *Token) (int, any, error) {
	q := r.URL.Query()
	return collection(h, r, "users", h.s.Users(q.Get("name"), q.Get("domain_id")), h.userView)
}

// showUser: admins see anyone, a user sees themselves.
func (h *Handler) showUser(r *http.Request, t *Token) (int, any, error) {
	id := r.PathValue("id")
	if id != t.User.ID && !t.Principal().IsAdmin() {
		return 0, nil, errdefs.Forbiddenf("You are not authorized to perform the requested action: identity:get_user.")
	}
	u, err := h.s.User(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"user": h.userView(r, u)}, nil
}

func (h *Handler) createUser(r *http.Request, _ *Token) (int, any, error) {
	var body userBody
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	u := User{DomainID: body.User.DomainID, Enabled: true}
	body.apply(&u)
	pw := ""
	if body.User.Password != nil {
		pw = *body.User.Password
	}
	u, err := h.s.CreateUser(r.Context(), u, pw)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"user": h.userView(r, u)}, nil
}

func (h *Handler) updateUser(r *http.Request, _ *Token) (int, any, error) {
	var body userBody
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	u, err := h.s.UpdateUser(r.Context(), r.PathValue("id"), body.User.Password, func(u *User) error {
		body.apply(u)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"user": h.userView(r, u)}, nil
}

func (h *Handler) deleteUser(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusNoContent, nil, h.s.DeleteUser(r.Context(), r.PathValue("id"))
}

// changePassword: a user changes their own password, proving the old one.
func (h *Handler) changePassword(r *http.Request, t *Token) (int, any, error) {
	id := r.PathValue("id")
	if id != t.User.ID {
		return 0, nil, errdefs.Forbiddenf("You are not authorized to perform the requested action: identity:change_password.")
	}
	var body struct {
		User struct {
			Password         *string `json:"password"`
			OriginalPassword string  `json:"original_password"`
		} `json:"user"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	if body.User.Password == nil || *body.User.Password == "" {
		return 0, nil, errdefs.Invalidf("Invalid input for field 'password': a new password is required.")
	}
	if _, err := h.s.checkPassword(r.Context(), &PasswordCredentials{UserID: id, Password: body.User.OriginalPassword}, remoteAddr(r)); err != nil {
		return 0, nil, err
	}
	if _, err := h.s.UpdateUser(r.Context(), id, body.User.Password, nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (h *Handler) userProjects(r *http.Request, t *Token) (int, any, error) {
	id := r.PathValue("id")
	if id != t.User.ID && !t.Principal().IsAdmin() {
		return 0, nil, errdefs.Forbiddenf("You are not authorized to perform the requested action: identity:list_user_projects.")
	}
	if _, err := h.s.User(id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"projects": h.projectsOf(r, id), "links": h.links(r)}, nil
}

// Roles.

func (h *Handler) listRoles(r *http.Request, _ *Token) (int, any, error) {
	return collection(h, r, "roles", h.s.Roles(r.URL.Query().Get("name")), h.roleView)
}

func (h *Handler) showRole(r *http.Request, _ *Token) (int, any, error) {
	ro, err := h.s.Role(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"role": h.roleView(r, ro)}, nil
}

func (h *Handler) createRole(r *http.Request, _ *Token) (int, any, error) {
	var body struct {
		Role struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	ro, err := h.s.CreateRole(r.Context(), Role{Name: body.Role.Name, Description: body.Role.Description})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"role": h.roleView(r, ro)}, nil
}

func (h *Handler) deleteRole(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusNoContent, nil, h.s.DeleteRole(r.Context(), r.PathValue("id"))
}

// Role assignments, on /v3/{projects|domains}/{target}/users/{user}/roles.

func assignmentOf(r *http.Request) Assignment {
	a := Assignment{UserID: r.PathValue("user"), RoleID: r.PathValue("role")}
	if len(r.URL.Path) > 12 && r.URL.Path[:12] == "/v3/projects" {
		a.ProjectID = r.PathValue("target")
	} else {
		a.DomainID = r.PathValue("target")
	}
	return a
}

func (h *Handler) grant(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusNoContent, nil, h.s.Grant(r.Context(), assignmentOf(r))
}

func (h *Handler) ungrant(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusNoContent, nil, h.s.Ungrant(r.Context(), assignmentOf(r))
}

func (h *Handler) checkGrant(r *http.Request, _ *Token) (int, any, error) {
	a := assignmentOf(r)
	if err := h.s.checkAssignment(a); err != nil {
		return 0, nil, err
	}
	if !h.s.HasGrant(a) {
		return 0, nil, errdefs.NotFoundf("Could not find role assignment of role %s to user %s.", a.RoleID, a.UserID)
	}
	return http.StatusNoContent, nil, nil
}

func (h *Handler) listGrants(r *http.Request, _ *Token) (int, any, error) {
	a := assignmentOf(r)
	if _, err := h.s.User(a.UserID); err != nil {
		return 0, nil, err
	}
	filter := Assignment{UserID: a.UserID, ProjectID: a.ProjectID, DomainID: a.DomainID}
	var roles []Role
	for _, x := range h.s.Assignments(filter) {
		if x.ProjectID == a.ProjectID && x.DomainID == a.DomainID {
			if ro, err := h.s.Role(x.RoleID); err == nil {
				roles = append(roles, ro)
			}
		}
	}
	return collection(h, r, "roles", roles, h.roleView)
}

// listAssignments serves GET /v3/role_assignments with Keystone's filters
// (user.id, role.id, scope.project.id, scope.domain.id, include_names).
// Assignments are direct; "effective" adds nothing, there are no groups.
func (h *Handler) listAssignments(r *http.Request, _ *Token) (int, any, error) {
	q := r.URL.Query()
	filter := Assignment{UserID: q.Get("user.id"), RoleID: q.Get("role.id"),
		ProjectID: q.Get("scope.project.id"), DomainID: q.Get("scope.domain.id")}
	names := q.Has("include_names") && q.Get("include_names") != "false" && q.Get("include_names") != "0"
	out := []any{}
	for _, a := range h.s.Assignments(filter) {
		if filter.ProjectID != "" && a.ProjectID == "" || filter.DomainID != "" && a.DomainID == "" {
			continue
		}
		user := map[string]any{"id": a.UserID}
		role := map[string]any{"id": a.RoleID}
		var scope map[string]any
		target := "/v3/projects/" + a.ProjectID
		if a.ProjectID != "" {
			scope = map[string]any{"project": map[string]any{"id": a.ProjectID}}
		} else {
			target = "/v3/domains/" + a.DomainID
			scope = map[string]any{"domain": map[string]any{"id": a.DomainID}}
		}
		if names {
			if u, err := h.s.User(a.UserID); err == nil {
				user["name"] = u.Name
				user["domain"] = h.domainRef(u.DomainID)
			}
			if ro, err := h.s.Role(a.RoleID); err == nil {
				role["name"] = ro.Name
			}
			if p, err := h.s.Project(a.ProjectID); err == nil {
				scope["project"] = map[string]any{"id": p.ID, "name": p.Name, "domain": h.domainRef(p.DomainID)}
			}
			if d, err := h.s.Domain(a.DomainID); err == nil && a.DomainID != "" {
				scope["domain"] = map[string]any{"id": d.ID, "name": d.Name}
			}
		}
		out = append(out, map[string]any{"user": user, "role": role, "scope": scope,
			"links": map[string]string{"assignment": h.base(r) + target + "/users/" + a.UserID + "/roles/" + a.RoleID}})
	}
	return http.StatusOK, map[string]any{"role_assignments": out, "links": h.links(r)}, nil
}
