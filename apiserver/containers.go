package apiserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/volume"
)

// listParams are the query parameters GET /v1/containers accepts; the
// filters among them are the ones a container can be matched on.
var listParams = map[string]bool{
	"limit": true, "marker": true, "sort_key": true, "sort_dir": true, "all_projects": true,
	"name": true, "image": true, "project_id": true, "user_id": true, "memory": true,
	"host": true, "task_state": true, "status": true, "auto_remove": true,
}

var listFilters = []string{"name", "image", "project_id", "user_id", "memory", "host", "task_state", "status", "auto_remove"}

func principal(c *call) auth.Principal {
	p, _ := auth.FromContext(c.ctx)
	return p
}

// forbidden is Zun's policy refusal.
func forbidden(rule string) error {
	return errdefs.Forbiddenf("Policy doesn't allow %s to be performed.", rule)
}

// createContainer serves POST /v1/containers.
func (s *Server) createContainer(c *call) (any, error) {
	if err := c.requireJSON(); err != nil {
		return nil, err
	}
	run, err := queryBool(c, "run", false)
	if err != nil {
		return nil, err
	}
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	req, err := schema.ContainerCreate(body, c.version, s.cfg.Limits)
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if err := s.authorize(c, "container:create", p.ProjectID); err != nil {
		return nil, err
	}
	for field, rule := range map[string]string{
		"runtime":           "container:create:runtime",
		"host":              "container:create:requested_destination",
		"image_pull_policy": "container:create:image_pull_policy",
	} {
		if req.Set[field] && !s.allowed(c, rule) {
			return nil, forbidden(rule)
		}
	}
	ct := req.Container
	if req.Registry != "" {
		if s.Registries == nil {
			return nil, errdefs.NotFoundf("Registry %s could not be found.", req.Registry)
		}
		r, err := s.Registries.Find(c.ctx, req.Registry)
		if err != nil {
			return nil, err
		}
		ct.RegistryID = r.UUID
		ct.Image = inRegistry(ct.Image, r.Domain)
	}
	if ct.ImageDriver == compute.ImageDriverGlance {
		if ct.RegistryID != "" {
			return nil, errdefs.Invalidf("A registry cannot be used with the glance image driver.")
		}
		if err := s.resolveStoreImage(c, ct); err != nil {
			return nil, err
		}
	}
	if req.Set["privileged"] && ct.Privileged && !s.allowed(c, "container:create:privileged") {
		return nil, forbidden("container:create:privileged")
	}
	now := time.Now().UTC()
	ct.Schema = container.SchemaVersion
	ct.UUID = uuid.NewString()
	c.forContainer(ct.UUID)
	ct.ProjectID = p.ProjectID
	ct.UserID = p.UserID
	generated := ct.Name == ""
	if generated {
		ct.Name = generateName()
	}
	ct.Status = container.Creating
	ct.CreatedAt = now

	if err := s.resolveMounts(c, ct); err != nil {
		return nil, err
	}
	// Bad placement requests (an unknown host, hints naming containers
	// the caller cannot see) are refused here; whether some host has room
	// is for the placement service to find, and a container no host can
	// take ends Error with the reason.
	if err := s.Scheduler.Validate(c.ctx, ct); err != nil {
		return nil, err
	}
	ct.SetOp(container.Op{Action: container.ActCreate, RequestID: c.requestID, Run: run})
	var placed <-chan *container.Container
	if s.Placements != nil {
		ch, cancel, err := s.Placements.AwaitPlacement(ct.UUID)
		if err != nil {
			c.log.Warn("cannot wait for the placement", "error", err)
		} else {
			defer cancel()
			placed = ch
		}
	}
	for attempt := 0; ; attempt++ {
		err := s.Containers.Create(c.ctx, ct, s.newAction(c, ct, container.ActCreate))
		if generated && errdefs.IsConflict(err) && attempt < 5 {
			ct.Name = generateName() // a generated name taken by chance
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if placed != nil {
		t := time.NewTimer(s.cfg.PlacementWait)
		select {
		case got, ok := <-placed:
			if ok {
				ct = got
			}
		case <-t.C:
			c.log.Info("container not placed yet")
		case <-c.ctx.Done():
		}
		t.Stop()
	}
	c.log.Info("container created", "host", ct.Host, "run", run)
	c.w.Header().Set("Location", s.baseURL(c.r)+"/v1/containers/"+ct.UUID)
	c.status = 202
	return containerView(ct, c.version, s.hiddenFields(c), s.baseURL(c.r), now), nil
}

// inRegistry puts image in the registry at domain unless its reference
// names a registry already.
func inRegistry(image, domain string) string {
	if ref, err := schema.ImageRef(image); err == nil && ref.Domain != "" {
		return image
	}
	return domain + "/" + image
}

// resolveStoreImage finds the image-store image ct names (an id, or a
// name with an optional tag) among those the caller can see.
func (s *Server) resolveStoreImage(c *call, ct *container.Container) error {
	if s.ImageStore == nil {
		return errdefs.Invalidf("The glance image driver is not available: this service has no image store.")
	}
	name, tag := ct.Image, ""
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	im, err := s.ImageStore.FindDocker(c.ctx, name, tag)
	if err != nil {
		return err
	}
	if im.Status != glance.Active {
		return errdefs.Conflictf("Image %s has no data yet (status %s).", ct.Image, im.Status)
	}
	ct.ImageStoreID = im.ID
	return nil
}

// resolveMounts finds the volumes that ct's mounts name, in the caller's
// project, and the host that holds their data, where ct must run. The
// store attaches them (and creates those asked for by size) with the
// record; a volume taken meanwhile fails the create there.
func (s *Server) resolveMounts(c *call, ct *container.Container) error {
	seen := map[string]bool{}
	for i := range ct.Mounts {
		m := &ct.Mounts[i]
		if m.Type != container.MountVolume {
			continue
		}
		if s.Volumes == nil {
			return errdefs.Invalidf("Volume mounts are not available: this service has no volume service.")
		}
		if m.Source == "" {
			continue // a new volume of m.Size, made by the store
		}
		v, err := s.Volumes.Find(c.ctx, m.Source)
		if err != nil {
			return err
		}
		if seen[v.ID] {
			return errdefs.Invalidf("Volume %s is mounted twice.", m.Source)
		}
		seen[v.ID] = true
		if v.Status != volume.Available {
			return errdefs.Conflictf("Volume %s is %s and cannot be mounted.", m.Source, v.Status)
		}
		m.VolumeID, m.Size = v.ID, strconv.Itoa(v.Size)
		switch {
		case v.Host == "":
		case ct.VolumeHost != "" && ct.VolumeHost != v.Host:
			return errdefs.Invalidf("Volumes %s and others are on different hosts (%s, %s); one container cannot use them all.",
				m.Source, ct.VolumeHost, v.Host)
		default:
			ct.VolumeHost = v.Host
		}
	}
	if ct.VolumeHost != "" && ct.RequestedHost != "" && ct.RequestedHost != ct.VolumeHost {
		return errdefs.Invalidf("The container's volumes are on host %s, not on the requested host %s.", ct.VolumeHost, ct.RequestedHost)
	}
	return nil
}

// listContainers serves GET /v1/containers.
func (s *Server) listContainers(c *call) (any, error) {
	q := c.r.URL.Query()
	for k := range q {
		if !listParams[k] {
			return nil, errdefs.Invalidf("Unknown parameter %q in the query string.", k)
		}
	}
	if err := s.authorize(c, "container:get_all", principal(c).ProjectID); err != nil {
		return nil, err
	}
	ctx, err := s.scopeFor(c, "container:get_all_all_projects")
	if err != nil {
		return nil, err
	}
	limit, err := schema.Limit(q.Get("limit"), s.cfg.MaxLimit)
	if err != nil {
		return nil, err
	}
	dir, err := schema.SortDir(q.Get("sort_dir"))
	if err != nil {
		return nil, err
	}
	opts := container.ListOptions{
		Filters: map[string]string{},
		Limit:   limit,
		Marker:  q.Get("marker"),
		SortKey: q.Get("sort_key"),
		SortDir: dir,
	}
	if opts.SortKey == "" {
		opts.SortKey = "id"
	}
	for _, f := range listFilters {
		if !q.Has(f) {
			continue
		}
		if adminFields[f] && !s.allowed(c, "container:get_one:"+f) {
			return nil, forbidden("container:get_one:" + f)
		}
		v := q.Get(f)
		if f == "auto_remove" {
			b, err := schema.Bool(f, v)
			if err != nil {
				return nil, err
			}
			v = strconv.FormatBool(b)
		}
		opts.Filters[f] = v
	}
	items, err := s.listWhere(ctx, opts, (*container.Container).Plain)
	if err != nil {
		return nil, err
	}
	base := s.baseURL(c.r)
	now := time.Now()
	hidden := s.hiddenFields(c)
	views := make([]map[string]any, 0, len(items))
	for _, ct := range items {
		views = append(views, containerView(ct, c.version, hidden, base, now))
	}
	var next any
	if limit > 0 && len(items) == limit {
		next = s.nextPage(c, "/v1/containers", limit, items[len(items)-1].UUID)
	}
	return map[string]any{"containers": views, "next": next}, nil
}

// nextPage is the link to the page of a list after marker: the request's
// query with limit and marker set.
func (s *Server) nextPage(c *call, path string, limit int, marker string) string {
	nq := url.Values{}
	for k, v := range c.r.URL.Query() {
		nq[k] = v
	}
	nq.Set("limit", strconv.Itoa(limit))
	nq.Set("marker", marker)
	return s.baseURL(c.r) + path + "?" + nq.Encode()
}

// showContainer serves GET /v1/containers/{id}.
func (s *Server) showContainer(c *call) (any, error) {
	ct, err := s.findContainer(c, "container:get_one", "container:get_one_all_projects")
	if err != nil {
		return nil, err
	}
	return s.view(c, ct), nil
}

// updateContainer serves PATCH /v1/containers/{id}: rename, auto_heal, and
// live cpu/memory changes.
func (s *Server) updateContainer(c *call) (any, error) {
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	req, err := schema.ContainerUpdate(body, c.version, s.cfg.Limits)
	if err != nil {
		return nil, err
	}
	ct, err := s.findContainer(c, "container:update", "")
	if err != nil {
		return nil, err
	}
	if req.CPU != nil || req.Memory != nil {
		if err := container.CheckState(ct, container.ActUpdate); err != nil {
			return nil, err
		}
		if ct.Host != "" && ct.RuntimeID != "" {
			h, err := s.Hosts.Host(ct.Host)
			if err != nil {
				return nil, err
			}
			var r driver.Resources
			if req.CPU != nil {
				r.CPU = *req.CPU
			}
			if req.Memory != nil {
				r.MemoryMiB = *req.Memory
			}
			if err := h.Update(c.ctx, ct.RuntimeID, r); err != nil {
				return nil, fmt.Errorf("update container %s: %w", ct.UUID, err)
			}
		}
	}
	ct, err = s.Containers.Update(c.ctx, ct.UUID, func(x *container.Container) error {
		if req.Name != nil {
			x.Name = *req.Name
		}
		if req.AutoHeal != nil {
			x.AutoHeal = *req.AutoHeal
		}
		if req.CPU != nil {
			x.CPU = *req.CPU
		}
		if req.Memory != nil {
			x.Memory = *req.Memory
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(c, ct), nil
}

// renameContainer serves POST .../rename. Zun removed it at 1.14 in
// favour of PATCH; it stays at every version because python-zunclient's
// `zun rename` still sends it (docs/api.md).
func (s *Server) renameContainer(c *call) (any, error) {
	name := c.r.URL.Query().Get("name")
	if err := schema.Name(name); err != nil {
		return nil, err
	}
	ct, err := s.findContainer(c, "container:rename", "")
	if err != nil {
		return nil, err
	}
	if ct.Name == name {
		return nil, errdefs.Conflictf("The new name for the container is the same as the old name.")
	}
	ct, err = s.Containers.Update(c.ctx, ct.UUID, func(x *container.Container) error {
		x.Name = name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(c, ct), nil
}

// deleteContainer serves DELETE /v1/containers/{id}.
func (s *Server) deleteContainer(c *call) (any, error) {
	force, err := queryBool(c, "force", false)
	if err != nil {
		return nil, err
	}
	stop, err := queryBool(c, "stop", false)
	if err != nil {
		return nil, err
	}
	check := container.ActDelete
	switch {
	case force:
		if c.version.Less(api.V(7)) {
			return nil, errdefs.Invalidf("Invalid param force because current request version is %s. force is only supported from version 1.7", c.version)
		}
		if !s.allowed(c, "container:delete_force") {
			return nil, forbidden("container:delete_force")
		}
		check = container.ActDeleteForce
	case stop:
		if c.version.Less(api.V(12)) {
			return nil, errdefs.Invalidf("Invalid param stop because current request version is %s. stop is only supported from version 1.12", c.version)
		}
		check = container.ActDeleteStop
	}
	ct, err := s.findContainer(c, "container:delete", "container:delete_all_projects")
	if err != nil {
		return nil, err
	}
	if err := container.CheckState(ct, check); err != nil {
		return nil, err
	}
	c.status = 204
	if ct.Host == "" {
		// Never placed: nothing to clean up on any host, unless placed
		// since it was read (then its host removes what it made).
		gs, ok := s.Containers.(container.GroupStore)
		if !ok {
			return nil, s.Containers.Delete(c.ctx, ct.UUID)
		}
		if err := gs.DeleteGroup(c.ctx, []string{ct.UUID}, unplaced); !errors.Is(err, errPlaced) {
			return nil, err
		}
	}
	if err := s.Actions.StartAction(c.ctx, s.newAction(c, ct, container.ActDelete)); err != nil {
		c.log.Error("record action", "error", err)
	}
	_, err = s.Containers.Update(c.ctx, ct.UUID, func(x *container.Container) error {
		if err := container.CheckState(x, check); err != nil {
			return err
		}
		x.Status = container.Deleting
		x.TaskState = container.TaskDeleting
		x.SetOp(container.Op{Action: container.ActDelete, RequestID: c.requestID, Force: force, Stop: stop})
		return nil
	})
	return nil, err
}

// findContainer looks the path's container up by uuid or name and checks
// rule on it; on a route of a capsule's container (capsulemembers.go),
// the path's member. The caller's own project is searched, all projects only with
// ?all_projects=true where the route has an allProjects rule and it allows
// the caller (Zun's show and delete); the call's scope then widens for the
// rest of the request.
func (s *Server) findContainer(c *call, rule, allProjects string) (*container.Container, error) {
	if err := s.widenScope(c, allProjects); err != nil {
		return nil, err
	}
	ct, ok := c.ctx.Value(memberKey{}).(*container.Container)
	if !ok {
		// The container routes show plain containers only: a capsule's
		// record or member is not found, as in Zun (capsules.go).
		ident := c.r.PathValue("id")
		var err error
		if ct, err = s.findKind(c.ctx, ident, (*container.Container).Plain); errdefs.IsNotFound(err) {
			return nil, errdefs.NotFoundf("Container %s could not be found.", ident)
		} else if err != nil {
			return nil, err
		}
	}
	if err := s.authorizeContainer(c, rule, ct); err != nil {
		return nil, err
	}
	c.forContainer(ct.UUID)
	return ct, nil
}

// findKind finds the record that ident (a uuid, else a name) names among
// those keep accepts (plain containers, capsules): one of another kind is
// ErrNotFound. A name that records of several kinds share names the one
// of the kind wanted, if only one is (a 409 if several are, a 404 if
// none is).
func (s *Server) findKind(ctx context.Context, ident string, keep func(*container.Container) bool) (*container.Container, error) {
	ct, err := s.Containers.Find(ctx, ident)
	switch {
	case err == nil && keep(ct):
		return ct, nil
	case err == nil:
		return nil, errdefs.NotFoundf("%s could not be found.", ident)
	case !errdefs.IsConflict(err):
		return nil, err
	}
	named, lerr := s.Containers.List(ctx, container.ListOptions{Filters: map[string]string{"name": ident}})
	if lerr != nil {
		return nil, lerr
	}
	var found []*container.Container
	for _, x := range named {
		if keep(x) {
			found = append(found, x)
		}
	}
	switch {
	case len(named) == 0 || len(found) > 1:
		return nil, err // names of another case, or several of the kind
	case len(found) == 0:
		return nil, errdefs.NotFoundf("%s could not be found.", ident)
	}
	return found[0], nil
}

// listWhere returns a page of the records keep accepts (the store lists
// every kind): it reads the store's pages on from opts.Marker until the
// page is full or the store has no more.
//
// The records of a capsule are created in one transaction and share
// their place in the store's creation order, so a page after one of them
// may start anywhere among them: after a capsule's uuid it may hold the
// capsule again (what comes up to the marker is dropped), and after a
// member's it may skip its capsule. So the store's pages are read on
// from their last record that is not a member (keep never wants one).
func (s *Server) listWhere(ctx context.Context, opts container.ListOptions, keep func(*container.Container) bool) ([]*container.Container, error) {
	want := opts.Limit
	if want > 0 {
		opts.Limit = max(want, 100)
	}
	var out []*container.Container
	for {
		page, err := s.Containers.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		n := len(page)
		if i := slices.IndexFunc(page, func(c *container.Container) bool { return c.UUID == opts.Marker }); i >= 0 {
			page = page[i+1:]
		}
		for _, ct := range page {
			if !keep(ct) {
				continue
			}
			out = append(out, ct)
			if want > 0 && len(out) == want {
				return out, nil
			}
		}
		if opts.Limit == 0 || n < opts.Limit || len(page) == 0 {
			return out, nil
		}
		last := -1
		for i, ct := range page {
			if !ct.IsMember() {
				last = i
			}
		}
		if last < 0 {
			opts.Limit = 0 // a page of members alone: read the rest at once
			continue
		}
		opts.Marker = page[last].UUID
	}
}

// memberKey carries, in a call's context, the capsule member that a
// route of a capsule's container is about (findContainer).
type memberKey struct{}

// hiddenFields are the container fields policy hides from the caller.
func (s *Server) hiddenFields(c *call) map[string]bool {
	hidden := map[string]bool{}
	for f := range adminFields {
		if !s.allowed(c, "container:get_one:"+f) {
			hidden[f] = true
		}
	}
	return hidden
}

// scopeFor returns the context for a list: all projects when asked for
// with all_projects and allowed by rule.
func (s *Server) scopeFor(c *call, rule string) (context.Context, error) {
	all, err := queryBool(c, "all_projects", false)
	if err != nil {
		return nil, err
	}
	if !all {
		return c.ctx, nil
	}
	if !s.allowed(c, rule) {
		return nil, forbidden(rule)
	}
	return auth.WithAllProjects(c.ctx), nil
}

// widenScope makes the rest of the call see all projects when it asks
// with all_projects and rule allows it; an empty rule leaves the scope.
func (s *Server) widenScope(c *call, rule string) error {
	if rule == "" {
		return nil
	}
	ctx, err := s.scopeFor(c, rule)
	if err != nil {
		return err
	}
	c.ctx = ctx
	return nil
}

func (s *Server) view(c *call, ct *container.Container) map[string]any {
	return containerView(ct, c.version, s.hiddenFields(c), s.baseURL(c.r), time.Now())
}

func queryBool(c *call, name string, def bool) (bool, error) {
	q := c.r.URL.Query()
	if !q.Has(name) {
		return def, nil
	}
	return schema.Bool(name, q.Get(name))
}

func notInVersion(c *call) error {
	return errdefs.NotAcceptablef("The requested API is not supported for this version %s.", c.version)
}

var greek = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
	"iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma",
	"tau", "upsilon", "phi", "chi", "psi", "omega"}

// generateName makes a name for a container created without one, in Zun's
// style ("delta-11-container").
func generateName() string {
	return fmt.Sprintf("%s-%d-container", greek[rand.IntN(len(greek))], rand.IntN(24)+1)
}
