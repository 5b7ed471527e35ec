package apiserver

import (
	"context"

	"github.com/zun-go/zun/errdefs"
)

// The routes of a capsule's containers, an extension of this project:
// Zun has none (its container routes hide a capsule's containers, and so
// do these), while an orchestrator above Zun needs the logs, exec, top and
// stats of the containers it runs in capsules.
//
//	GET  /v1/capsules/{id}/containers/{name}/logs
//	POST /v1/capsules/{id}/containers/{name}/execute
//	GET  /v1/capsules/{id}/containers/{name}/top
//	GET  /v1/capsules/{id}/containers/{name}/stats
//
// {id} is the capsule's uuid or name, {name} the name its template gave
// the container (init containers included). Each takes the query
// parameters of the container route of the same name and answers as it
// does, under the same policy rule (container:logs...).

// capsuleMember serves a route of a capsule's container with the handler
// of the container route pattern: it finds the capsule (capsule:get) and
// its member by template name, then runs h on that member, which
// findContainer hands to h in place of the path's container.
func (s *Server) capsuleMember(pattern string, h handler) handler {
	allowed, checked := actionParams[pattern]
	return func(c *call) (any, error) {
		if checked {
			if err := checkParams(c.r.URL.Query(), allowed); err != nil {
				return nil, err
			}
		}
		rec, err := s.findCapsule(c, "capsule:get", "")
		if err != nil {
			return nil, err
		}
		name := c.r.PathValue("name")
		m, ok := rec.Capsule.Member(name)
		if !ok {
			return nil, errdefs.NotFoundf("Capsule %s has no container %s.", rec.UUID, name)
		}
		ct, err := s.Containers.Get(c.ctx, m.UUID)
		if errdefs.IsNotFound(err) {
			return nil, errdefs.NotFoundf("Capsule %s has no container %s.", rec.UUID, name)
		}
		if err != nil {
			return nil, err
		}
		c.ctx = context.WithValue(c.ctx, memberKey{}, ct)
		return h(c)
	}
}
