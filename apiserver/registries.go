package apiserver

import (
	"encoding/json"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/registry"
)

// The registries API (Zun 1.30; not gated by microversion in Zun, nor
// here): a project's credentials for private registries, used when a
// container names one in `registry`. The password is never shown.

// registryStore returns the store or 501.
func (s *Server) registryStore() (registry.Store, error) {
	if s.Registries == nil {
		return nil, errdefs.NotSupportedf("Registries are not enabled on this service.")
	}
	return s.Registries, nil
}

// registryFields parses {"registry": {...}}: name, domain, username,
// password, nothing else; on create, domain is required.
func registryFields(c *call, create bool) (map[string]string, error) {
	if err := c.requireJSON(); err != nil {
		return nil, err
	}
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errdefs.Invalidf("Invalid input: the body is not a JSON object: %v", err)
	}
	raw, ok := doc["registry"]
	if !ok || len(doc) != 1 {
		return nil, errdefs.Invalidf("Invalid input for field/attribute registry. The body is {\"registry\": {...}} and nothing else.")
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, errdefs.Invalidf("Invalid input for field/attribute registry. Value: %s. It is not an object.", raw)
	}
	out := map[string]string{}
	for k, v := range obj {
		switch k {
		case "name", "domain", "username", "password":
		default:
			return nil, errdefs.Invalidf("Invalid input for field/attribute registry. Additional properties are not allowed ('%s' was unexpected).", k)
		}
		str, ok := v.(string)
		if !ok || str == "" {
			return nil, errdefs.Invalidf("Invalid input for field/attribute %s. Value: %v. It is a non-empty string.", k, v)
		}
		if k == "name" && !schema.ValidName(str) {
			return nil, errdefs.Invalidf("Invalid input for field/attribute name. Value: %s. 2 to 255 letters, digits, '_', '.' or '-', starting with a letter or digit.", str)
		}
		if k == "domain" && (len(str) > 255 || !schema.ValidRegistryHost(str)) {
			return nil, errdefs.Invalidf("Invalid input for field/attribute domain. Value: %s. A registry's host, with an optional port, such as registry.example.com:5000.", str)
		}
		out[k] = str
	}
	if create && out["domain"] == "" {
		return nil, errdefs.Invalidf("Invalid input for field/attribute registry. 'domain' is a required property.")
	}
	return out, nil
}

func (s *Server) registryView(c *call, r *registry.Registry) map[string]any {
	self := s.baseURL(c.r) + "/v1/registries/" + r.UUID
	bookmark := s.baseURL(c.r) + "/registries/" + r.UUID
	return map[string]any{
		"uuid": r.UUID, "name": r.Name, "domain": r.Domain, "username": r.Username,
		"password": "***", "project_id": r.ProjectID, "user_id": r.UserID,
		"links": []map[string]string{{"rel": "self", "href": self}, {"rel": "bookmark", "href": bookmark}},
	}
}

// createRegistry serves POST /v1/registries.
func (s *Server) createRegistry(c *call) (any, error) {
	p := principal(c)
	if err := s.authorize(c, "registry:create", p.ProjectID); err != nil {
		return nil, err
	}
	rs, err := s.registryStore()
	if err != nil {
		return nil, err
	}
	f, err := registryFields(c, true)
	if err != nil {
		return nil, err
	}
	r := &registry.Registry{Name: f["name"], Domain: f["domain"], Username: f["username"], Password: f["password"],
		ProjectID: p.ProjectID, UserID: p.UserID}
	if err := rs.Create(c.ctx, r); err != nil {
		return nil, err
	}
	c.log.Info("registry created", "registry", r.UUID, "domain", r.Domain)
	c.w.Header().Set("Location", s.baseURL(c.r)+"/v1/registries/"+r.UUID)
	c.status = 201
	return map[string]any{"registry": s.registryView(c, r)}, nil
}

// listRegistries serves GET /v1/registries.
func (s *Server) listRegistries(c *call) (any, error) {
	if err := s.authorize(c, "registry:get_all", principal(c).ProjectID); err != nil {
		return nil, err
	}
	rs, err := s.registryStore()
	if err != nil {
		return nil, err
	}
	ctx, err := s.scopeFor(c, "registry:get_all_all_projects")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	limit, err := schema.Limit(q.Get("limit"), s.cfg.MaxLimit)
	if err != nil {
		return nil, err
	}
	all, err := rs.List(ctx)
	if err != nil {
		return nil, err
	}
	marker, seen := q.Get("marker"), q.Get("marker") == ""
	views := []map[string]any{}
	var last string
	for _, r := range all {
		if !seen {
			seen = r.UUID == marker
			continue
		}
		match := true
		for _, f := range []struct{ key, val string }{{"name", r.Name}, {"domain", r.Domain}, {"username", r.Username},
			{"project_id", r.ProjectID}, {"user_id", r.UserID}} {
			if q.Has(f.key) && q.Get(f.key) != f.val {
				match = false
			}
		}
		if !match {
			continue
		}
		if len(views) == limit {
			break
		}
		views = append(views, s.registryView(c, r))
		last = r.UUID
	}
	if !seen {
		return nil, errdefs.Invalidf("Marker %s could not be found.", marker)
	}
	out := map[string]any{"registries": views}
	if len(views) == limit {
		out["next"] = s.nextPage(c, "/v1/registries", limit, last)
	}
	return out, nil
}

// findRegistry authorizes rule on the registry of the path.
func (s *Server) findRegistry(c *call, rule string) (registry.Store, *registry.Registry, error) {
	rs, err := s.registryStore()
	if err != nil {
		return nil, nil, err
	}
	r, err := rs.Find(c.ctx, c.r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(c, rule, r.ProjectID); err != nil {
		return nil, nil, err
	}
	return rs, r, nil
}

// showRegistry serves GET /v1/registries/{id}.
func (s *Server) showRegistry(c *call) (any, error) {
	_, r, err := s.findRegistry(c, "registry:get_one")
	if err != nil {
		return nil, err
	}
	return map[string]any{"registry": s.registryView(c, r)}, nil
}

// updateRegistry serves PATCH /v1/registries/{id}.
func (s *Server) updateRegistry(c *call) (any, error) {
	rs, r, err := s.findRegistry(c, "registry:update")
	if err != nil {
		return nil, err
	}
	f, err := registryFields(c, false)
	if err != nil {
		return nil, err
	}
	r, err = rs.Update(c.ctx, r.UUID, func(x *registry.Registry) error {
		for k, v := range f {
			switch k {
			case "name":
				x.Name = v
			case "domain":
				x.Domain = v
			case "username":
				x.Username = v
			case "password":
				x.Password = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registry": s.registryView(c, r)}, nil
}

// deleteRegistry serves DELETE /v1/registries/{id}.
func (s *Server) deleteRegistry(c *call) (any, error) {
	rs, r, err := s.findRegistry(c, "registry:delete")
	if err != nil {
		return nil, err
	}
	if err := rs.Delete(c.ctx, r.UUID); err != nil {
		return nil, err
	}
	c.status = 204
	return nil, nil
}
