package apiserver

import (
	"encoding/json"
	"net/http"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/quota"
)

// The quotas and quota classes API (Zun 1.26+). Limits are enforced in the
// container store's writes (quota.EtcdStore joins them): here they are
// read and set.

// quotaStore authorizes rule on projectID's quotas and returns the store.
func (s *Server) quotaStore(c *call, rule, projectID string) (quota.Store, error) {
	if err := s.authorize(c, rule, projectID); err != nil {
		return nil, err
	}
	if s.Quotas == nil {
		return nil, errdefs.NotSupportedf("Quotas are not enabled on this service.")
	}
	return s.Quotas, nil
}

// limitsView renders limits in Zun's order, every resource present.
func limitsView(lim quota.Limits) map[string]int64 {
	out := map[string]int64{}
	for _, r := range quota.Resources {
		out[r] = lim[r]
	}
	return out
}

// showQuota serves GET /v1/quotas/{project_id}[?usages=true].
func (s *Server) showQuota(c *call) (any, error) {
	project := c.r.PathValue("project")
	qs, err := s.quotaStore(c, "quota:get", project)
	if err != nil {
		return nil, err
	}
	usages, err := queryBool(c, "usages", false)
	if err != nil {
		return nil, err
	}
	lim, err := qs.Effective(c.ctx, project)
	if err != nil {
		return nil, err
	}
	if !usages {
		return limitsView(lim), nil
	}
	used, err := qs.Usage(c.ctx, project)
	if err != nil {
		return nil, err
	}
	// Fields in Zun's order: zun quota-get --usages prints the values in
	// the order they arrive.
	type use struct {
		Limit int64 `json:"limit"`
		InUse any   `json:"in_use"`
	}
	out := map[string]use{}
	for _, r := range quota.Resources {
		inUse := any(int64(used.Get(r)))
		if r == quota.CPU {
			inUse = used.CPU
		}
		out[r] = use{Limit: lim[r], InUse: inUse}
	}
	return out, nil
}

// updateQuota serves PUT /v1/quotas/{project_id}.
func (s *Server) updateQuota(c *call) (any, error) {
	project := c.r.PathValue("project")
	qs, err := s.quotaStore(c, "quota:update", project)
	if err != nil {
		return nil, err
	}
	lim, err := readLimits(c)
	if err != nil {
		return nil, err
	}
	if err := qs.SetProjectLimits(c.ctx, project, lim); err != nil {
		return nil, err
	}
	eff, err := qs.Effective(c.ctx, project)
	if err != nil {
		return nil, err
	}
	return limitsView(eff), nil
}

// deleteQuota serves DELETE /v1/quotas/{project_id}: back to defaults.
func (s *Server) deleteQuota(c *call) (any, error) {
	project := c.r.PathValue("project")
	qs, err := s.quotaStore(c, "quota:delete", project)
	if err != nil {
		return nil, err
	}
	c.status = http.StatusNoContent
	return nil, qs.DeleteProjectLimits(c.ctx, project)
}

// quotaDefaults serves GET /v1/quotas/{project_id}/defaults.
func (s *Server) quotaDefaults(c *call) (any, error) {
	qs, err := s.quotaStore(c, "quota:get_default", c.r.PathValue("project"))
	if err != nil {
		return nil, err
	}
	def, err := qs.Defaults(c.ctx)
	if err != nil {
		return nil, err
	}
	return limitsView(def), nil
}

// showQuotaClass serves GET /v1/quota_classes/{class}: the class's limits,
// configuration defaults for what it does not set.
func (s *Server) showQuotaClass(c *call) (any, error) {
	qs, err := s.quotaStore(c, "quota_class:get", "")
	if err != nil {
		return nil, err
	}
	return s.classView(c, qs, c.r.PathValue("class"))
}

// updateQuotaClass serves PUT /v1/quota_classes/{class}.
func (s *Server) updateQuotaClass(c *call) (any, error) {
	qs, err := s.quotaStore(c, "quota_class:update", "")
	if err != nil {
		return nil, err
	}
	lim, err := readLimits(c)
	if err != nil {
		return nil, err
	}
	class := c.r.PathValue("class")
	if err := schema.ClassName(class); err != nil {
		return nil, err
	}
	if err := qs.SetClassLimits(c.ctx, class, lim); err != nil {
		return nil, err
	}
	return s.classView(c, qs, class)
}

func (s *Server) classView(c *call, qs quota.Store, class string) (any, error) {
	lim, err := qs.ClassLimits(c.ctx, class)
	if err != nil {
		return nil, err
	}
	return limitsView(lim), nil
}

// readLimits decodes a body of limits, or the same as query parameters
// (Zun accepts both).
func readLimits(c *call) (quota.Limits, error) {
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	raw := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, errdefs.Invalidf("Invalid JSON in the request body: %v", err)
		}
	}
	for k, vs := range c.r.URL.Query() {
		raw[k] = vs[len(vs)-1]
	}
	return quota.Parse(raw)
}
