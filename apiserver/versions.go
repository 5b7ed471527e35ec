package apiserver

import "github.com/zun-go/zun/api"

func (s *Server) apiVersion(base string) api.APIVersion {
	return api.APIVersion{
		ID:         "v1",
		Links:      []api.Link{{Href: base + "/v1/", Rel: "self"}},
		Status:     "CURRENT",
		MaxVersion: api.MaxVersion.String(),
		MinVersion: api.MinVersion.String(),
	}
}

// root serves GET /, the version document clients read first.
func (s *Server) root(c *call) (any, error) {
	v := s.apiVersion(s.baseURL(c.r))
	return api.Root{
		Name:           "OpenStack Zun API",
		Description:    "Zun is an OpenStack project which aims to provide container management.",
		Versions:       []api.APIVersion{v},
		DefaultVersion: v,
	}, nil
}

// v1 serves GET /v1, the description of version 1 and its resources.
func (s *Server) v1(c *call) (any, error) {
	base := s.baseURL(c.r)
	doc := map[string]any{
		"id": "v1",
		"media_types": []map[string]string{{
			"base": "application/json",
			"type": "application/vnd.openstack.zun.v1+json",
		}},
		"links": []api.Link{
			{Href: base + "/v1/", Rel: "self"},
			{Href: "https://docs.openstack.org/zun/latest/", Rel: "describedby"},
		},
	}
	for _, res := range []string{"services", "containers", "images", "networks", "hosts",
		"capsules", "availability_zones", "quotas", "quota_classes", "registries"} {
		doc[res] = []api.Link{
			{Href: base + "/v1/" + res + "/", Rel: "self"},
			{Href: base + "/" + res + "/", Rel: "bookmark"},
		}
	}
	return doc, nil
}
