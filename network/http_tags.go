package network

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// tagOp is an operation on the tags of a record (standard-attr-tag).
type tagOp int

const (
	tagsList    tagOp = iota // GET .../tags: {"tags": [...]}
	tagsReplace              // PUT .../tags {"tags": [...]}
	tagsClear                // DELETE .../tags
	tagCheck                 // GET .../tags/{tag}: 204 or 404
	tagAdd                   // PUT .../tags/{tag}: 201
	tagRemove                // DELETE .../tags/{tag}: 204 or 404
)

// tagger reads and changes the tags of one collection's records.
type tagger struct {
	get      func(ctx context.Context, id string) ([]string, error)
	update   func(ctx context.Context, id string, fn func(*[]string) error) ([]string, error)
	notFound string // the Neutron type of a missing record
}

func (h *Handler) tagger(coll string) tagger {
	s := h.store
	switch coll {
	case "networks":
		return tagger{
			get: func(ctx context.Context, id string) ([]string, error) {
				n, err := s.GetNetwork(ctx, id)
				if err != nil {
					return nil, err
				}
				return n.Tags, nil
			},
			update: func(ctx context.Context, id string, fn func(*[]string) error) ([]string, error) {
				n, err := s.UpdateNetwork(ctx, id, func(n *Network) error { return fn(&n.Tags) })
				if err != nil {
					return nil, err
				}
				return n.Tags, nil
			},
			notFound: "NetworkNotFound"}
	case "subnets":
		return tagger{
			get: func(ctx context.Context, id string) ([]string, error) {
				sub, err := s.GetSubnet(ctx, id)
				if err != nil {
					return nil, err
				}
				return sub.Tags, nil
			},
			update: func(ctx context.Context, id string, fn func(*[]string) error) ([]string, error) {
				sub, err := s.UpdateSubnet(ctx, id, func(sub *Subnet) error { return fn(&sub.Tags) })
				if err != nil {
					return nil, err
				}
				return sub.Tags, nil
			},
			notFound: "SubnetNotFound"}
	case "ports":
		return tagger{
			get: func(ctx context.Context, id string) ([]string, error) {
				pt, err := s.GetPort(ctx, id)
				if err != nil {
					return nil, err
				}
				return pt.Tags, nil
			},
			update: func(ctx context.Context, id string, fn func(*[]string) error) ([]string, error) {
				pt, err := s.UpdatePort(ctx, id, func(pt *Port) error { return fn(&pt.Tags) })
				if err != nil {
					return nil, err
				}
				return pt.Tags, nil
			},
			notFound: "PortNotFound"}
	}
	return tagger{
		get: func(ctx context.Context, id string) ([]string, error) {
			g, err := s.GetSecurityGroup(ctx, id)
			if err != nil {
				return nil, err
			}
			return g.Tags, nil
		},
		update: func(ctx context.Context, id string, fn func(*[]string) error) ([]string, error) {
			g, err := s.UpdateSecurityGroup(ctx, id, func(g *SecurityGroup) error { return fn(&g.Tags) })
			if err != nil {
				return nil, err
			}
			return g.Tags, nil
		},
		notFound: "SecurityGroupNotFound"}
}

// tagsOf serves one tag operation on collection coll.
func (h *Handler) tagsOf(coll string, op tagOp) apiFunc {
	return func(r *http.Request, p auth.Principal) (any, int, error) {
		t := h.tagger(coll)
		ctx, id, tag := r.Context(), r.PathValue("id"), r.PathValue("tag")
		if op == tagsList || op == tagCheck {
			tags, err := t.get(ctx, id)
			switch {
			case err != nil:
				return nil, 0, typed(err, errdefs.ErrNotFound, t.notFound)
			case op == tagsList:
				return map[string]any{"tags": orEmpty(tags)}, http.StatusOK, nil
			case !slices.Contains(tags, tag):
				return nil, 0, typed(errdefs.NotFoundf("Tag %s could not be found for %s %s.", tag, coll, id),
					errdefs.ErrNotFound, "TagNotFound")
			}
			return nil, http.StatusNoContent, nil
		}
		if err := canWrite(p); err != nil {
			return nil, 0, err
		}
		var replace []string
		if op == tagsReplace {
			var req struct {
				Tags *[]string `json:"tags"`
			}
			raw, err := readRaw(r)
			if err != nil {
				return nil, 0, err
			}
			if err := json.Unmarshal(raw, &req); err != nil || req.Tags == nil {
				return nil, 0, errdefs.Invalidf("Invalid tags body: want {\"tags\": [\"tag\", ...]}.")
			}
			replace = normTags(*req.Tags)
		}
		tags, err := t.update(ctx, id, func(tags *[]string) error {
			switch op {
			case tagsReplace:
				*tags = replace
			case tagsClear:
				*tags = nil
			case tagAdd:
				*tags = normTags(append(*tags, tag))
			case tagRemove:
				if !slices.Contains(*tags, tag) {
					return typed(errdefs.NotFoundf("Tag %s could not be found for %s %s.", tag, coll, id),
						errdefs.ErrNotFound, "TagNotFound")
				}
				*tags = slices.DeleteFunc(*tags, func(s string) bool { return s == tag })
			}
			return validTags(*tags)
		})
		if err != nil {
			return nil, 0, typed(err, errdefs.ErrNotFound, t.notFound)
		}
		switch op {
		case tagsReplace:
			return map[string]any{"tags": orEmpty(tags)}, http.StatusOK, nil
		case tagAdd:
			return nil, http.StatusCreated, nil
		}
		return nil, http.StatusNoContent, nil
	}
}
