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
