package apiserver

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/images"
)

// The images API (Zun's /v1/images, admin-only by default): pull an image
// onto a host, list, show, delete, search. A pull answers 202 at once
// with its record, Pulling; the elected control plane has the host's
// agent pull (controlplane.Operations), taken up again after a restart.
// The record's status (an extension of Zun's view) says Pulling, Pulled
// or Error with the reason; deleting a record Pulling cancels the pull.

func (s *Server) imageStore() (images.Store, error) {
	if s.Images == nil {
		return nil, errdefs.NotSupportedf("The images API is not enabled on this service.")
	}
	return s.Images, nil
}

func (s *Server) imageView(c *call, im *images.Image) map[string]any {
	var id, size, progress any
	if im.ImageID != "" {
		id, size = im.ImageID, im.Size
	}
	if im.Status == images.Pulling && (im.Done > 0 || im.Total > 0) {
		progress = map[string]int64{"done": im.Done, "total": im.Total}
	}
	return map[string]any{
		"uuid": im.UUID, "repo": im.Repo, "tag": im.Tag, "image_id": id, "size": size,
		"host": im.Host, "project_id": im.ProjectID, "image_pull_policy": orNull(im.ImagePullPolicy),
		"status": im.Status, "status_reason": orNull(im.StatusReason), "progress": progress,
		"links": []map[string]string{
			{"rel": "self", "href": s.baseURL(c.r) + "/v1/images/" + im.UUID},
			{"rel": "bookmark", "href": s.baseURL(c.r) + "/images/" + im.UUID},
		},
	}
}

// pullRequest parses POST /v1/images: repo and host required; tag,
// image_pull_policy; image_id and size accepted and ignored, as Zun
// takes them from the engine.
func pullRequest(c *call) (repo, tag, host, policy string, err error) {
	if err = c.requireJSON(); err != nil {
		return
	}
	body, err := c.readBody()
	if err != nil {
		return
	}
	var obj map[string]any
	if err = json.Unmarshal(body, &obj); err != nil || obj == nil {
		return "", "", "", "", errdefs.Invalidf("Invalid input: the body is not a JSON object.")
	}
	str := func(k string) (string, error) {
		v, ok := obj[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", errdefs.Invalidf("Invalid input for field/attribute %s. Value: %v. It is not a string.", k, v)
		}
		return s, nil
	}
	for k := range obj {
		switch k {
		case "repo", "host", "tag", "image_pull_policy", "image_id", "size":
		default:
			return "", "", "", "", errdefs.Invalidf("Invalid input. Additional properties are not allowed ('%s' was unexpected).", k)
		}
	}
	if repo, err = str("repo"); err != nil {
		return
	}
	if host, err = str("host"); err != nil {
		return
	}
	if tag, err = str("tag"); err != nil {
		return
	}
	if policy, err = str("image_pull_policy"); err != nil {
		return
	}
	if len(repo) < 2 || len(repo) > 255 {
		return "", "", "", "", errdefs.Invalidf("Invalid input for field/attribute repo. It is required, 2 to 255 characters.")
	}
	if host == "" {
		return "", "", "", "", errdefs.Invalidf("Invalid input for field/attribute host. It is required.")
	}
	ref, err := schema.ImageRef(repo)
	if err != nil {
		return "", "", "", "", err
	}
	switch {
	case ref.Domain == "" && strings.ToLower(ref.Path) != ref.Path:
		// The parser lets "UPPER/x" through as Zun does (a host without
		// a dot); Docker would refuse to pull it.
		return "", "", "", "", errdefs.Invalidf("Invalid image name %s: the repository name must be lowercase.", repo)
	case ref.Digest != "":
		return "", "", "", "", errdefs.Invalidf("Invalid image name %s: pulling by digest is not supported; give a tag.", repo)
	case ref.Tag != "" && tag != "" && tag != ref.Tag:
		return "", "", "", "", errdefs.Invalidf("The repo %s has tag %s, and tag says %s.", repo, ref.Tag, tag)
	case ref.Tag != "":
		tag = ref.Tag
	case tag == "":
		tag = "latest"
	}
	repo = ref.Name()
	if _, err := schema.ImageRef(repo + ":" + tag); err != nil {
		return "", "", "", "", err
	}
	switch strings.ToLower(policy) {
	case "", "always", "ifnotpresent", "never":
		policy = strings.ToLower(policy)
	default:
		return "", "", "", "", errdefs.Invalidf("Invalid input for field/attribute image_pull_policy. Value: %s. One of never, always, ifnotpresent.", policy)
	}
	return repo, tag, host, policy, nil
}

// pullImage serves POST /v1/images.
func (s *Server) pullImage(c *call) (any, error) {
	p := principal(c)
	if err := s.authorize(c, "image:pull", p.ProjectID); err != nil {
		return nil, err
	}
	st, err := s.imageStore()
	if err != nil {
		return nil, err
	}
	repo, tag, hostIdent, policy, err := pullRequest(c)
	if err != nil {
		return nil, err
	}
	if s.HostRecords == nil {
		return nil, errdefs.Invalidf("The host %s does not exist.", hostIdent)
	}
	h, err := s.HostRecords.Get(c.ctx, hostIdent)
	if err != nil {
		return nil, errdefs.Invalidf("The host %s does not exist.", hostIdent)
	}
	im := &images.Image{Repo: repo, Tag: tag, Host: h.Name, ImagePullPolicy: policy, ProjectID: p.ProjectID,
		UserID: p.UserID, Status: images.Pulling}
	if err := st.Create(c.ctx, im); err != nil {
		return nil, err
	}
	c.log.Info("image pull recorded", "image", im.UUID, "ref", im.Ref(), "host", im.Host)
	c.w.Header().Set("Location", s.baseURL(c.r)+"/v1/images/"+im.UUID)
	c.status = 202
	return s.imageView(c, im), nil
}

// listImages serves GET /v1/images.
func (s *Server) listImages(c *call) (any, error) {
	if err := s.authorize(c, "image:get_all", principal(c).ProjectID); err != nil {
		return nil, err
	}
	st, err := s.imageStore()
	if err != nil {
		return nil, err
	}
	ctx, err := s.scopeFor(c, "image:get_all")
	if err != nil {
		return nil, err
	}
	all, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	views := []map[string]any{}
	for _, im := range all {
		views = append(views, s.imageView(c, im))
	}
	return map[string]any{"images": views}, nil
}

// findImage authorizes rule on the image of the path; admins reach any
// project's image by uuid.
func (s *Server) findImage(c *call, rule, id string) (images.Store, *images.Image, error) {
	st, err := s.imageStore()
	if err != nil {
		return nil, nil, err
	}
	ctx := c.ctx
	if s.allowed(c, rule) {
		ctx = auth.WithAllProjects(ctx)
	}
	im, err := st.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(c, rule, im.ProjectID); err != nil {
		return nil, nil, err
	}
	return st, im, nil
}

// showOrSearchImage serves GET /v1/images/{id} and
// GET /v1/images/{name}/search.
func (s *Server) showOrSearchImage(c *call) (any, error) {
	rest := c.r.PathValue("rest")
	if name, ok := strings.CutSuffix(rest, "/search"); ok && name != "" {
		return s.searchImages(c, name)
	}
	if strings.Contains(rest, "/") {
		return nil, notFoundRoute(c.r)
	}
	_, im, err := s.findImage(c, "image:get_one", rest)
	if err != nil {
		return nil, err
	}
	return s.imageView(c, im), nil
}

// deleteImage serves DELETE /v1/images/{id}: the host removes the image
// (409 while a container uses it), then the record goes.
func (s *Server) deleteImage(c *call) (any, error) {
	st, im, err := s.findImage(c, "image:delete", c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	// A record still Pulling goes at once, which cancels its pull; a pull
	// finishing meanwhile leaves the image on the host.
	if im.ImageID != "" {
		api, err := s.Hosts.Host(im.Host)
		if err != nil {
			return nil, err
		}
		if err := api.RemoveImage(c.ctx, im.Ref()); err != nil && !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	if err := st.Delete(auth.WithAllProjects(c.ctx), im.UUID); err != nil {
		return nil, err
	}
	c.log.Info("image deleted", "image", im.UUID, "ref", im.Ref(), "host", im.Host)
	return nil, nil
}

// searchImages serves GET /v1/images/{image}/search: the images the
// service knows (records of pulled images) whose repository contains the
// name, or is it with exact_match. Zun's docker driver asks Docker Hub;
// there is no Docker Hub here.
func (s *Server) searchImages(c *call, name string) (any, error) {
	if err := s.authorize(c, "image:search", principal(c).ProjectID); err != nil {
		return nil, err
	}
	st, err := s.imageStore()
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	for k := range q {
		if k != "image_driver" && k != "exact_match" {
			return nil, errdefs.Invalidf("Unknown parameter %q in the query string.", k)
		}
	}
	switch d := q.Get("image_driver"); d {
	case "", "docker", "None":
	default:
		return nil, errdefs.Invalidf("Invalid input for image_driver: %s. Images are searched with the docker driver.", d)
	}
	exact, err := queryBool(c, "exact_match", false)
	if err != nil {
		return nil, err
	}
	all, err := st.List(auth.WithAllProjects(c.ctx))
	if err != nil {
		return nil, err
	}
	type result struct {
		ID       string         `json:"id"`
		Name     string         `json:"name"`
		Tags     []string       `json:"tags"`
		Status   string         `json:"status"`
		Size     int64          `json:"size"`
		Metadata map[string]any `json:"metadata"`
	}
	byRepo := map[string]*result{}
	out := []*result{}
	for _, im := range all {
		if im.Status != images.Pulled || (exact && im.Repo != name) || (!exact && !strings.Contains(im.Repo, name)) {
			continue
		}
		r := byRepo[im.Repo]
		if r == nil {
			r = &result{ID: im.ImageID, Name: im.Repo, Status: im.Status, Size: im.Size,
				Metadata: map[string]any{"is_official": false, "star_count": 0}}
			byRepo[im.Repo] = r
			out = append(out, r)
		}
		if !slices.Contains(r.Tags, im.Tag) {
			r.Tags = append(r.Tags, im.Tag)
		}
	}
	return out, nil
}
