package apiserver

import (
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
)

// Policy decides whether a caller may perform an operation, named as
// Zun's policy rules name them ("container:start"), on an object whose
// owner is described by target ("project_id", "user_id").
type Policy interface {
	Authorize(p auth.Principal, rule string, target map[string]string) error
}

// authorize checks rule for the caller against an object of projectID.
func (s *Server) authorize(c *call, rule, projectID string) error {
	return s.policy.Authorize(principal(c), rule, map[string]string{"project_id": projectID})
}

// allowed reports whether the caller may perform rule on objects of their
// own project; for the rules that widen a call ("...all_projects") or
// unlock a field (":host", ":privileged").
func (s *Server) allowed(c *call, rule string) bool {
	p := principal(c)
	return s.policy.Authorize(p, rule, map[string]string{"project_id": p.ProjectID}) == nil
}

// authorizeContainer checks rule for the caller against ct.
func (s *Server) authorizeContainer(c *call, rule string, ct *container.Container) error {
	return s.policy.Authorize(principal(c), rule, map[string]string{"project_id": ct.ProjectID, "user_id": ct.UserID})
}

// adminOnly is the policy used until one is configured: Zun's defaults in
// short, admin-only rules for admins, everything else for admins and the
// object's project.
type adminOnly map[string]bool

func (a adminOnly) Authorize(p auth.Principal, rule string, target map[string]string) error {
	if p.IsAdmin() {
		if rule == "container:create:privileged" {
			return forbidden(rule)
		}
		return nil
	}
	if a[rule] || target["project_id"] == "" || target["project_id"] != p.ProjectID {
		return forbidden(rule)
	}
	return nil
}

var builtinPolicy = adminOnly{
	"container:create:runtime": true, "container:create:privileged": true,
	"container:create:requested_destination": true, "container:create:image_pull_policy": true,
	"container:delete_all_projects": true, "container:delete_force": true,
	"container:get_one:host": true, "container:get_one:image_pull_policy": true,
	"container:get_one:privileged": true, "container:get_one:runtime": true,
	"container:get_one_all_projects": true, "container:get_all_all_projects": true,
	"container:action:events": true,
	"quota:update":            true, "quota:delete": true, "quota_class:update": true, "quota_class:get": true,
	"host:get_all": true, "host:get": true,
	"zun-service:delete": true, "zun-service:disable": true, "zun-service:enable": true,
	"zun-service:force_down": true, "zun-service:get_all": true,
}
