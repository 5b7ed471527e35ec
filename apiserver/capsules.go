package apiserver

import (
	"context"
	"errors"
	"time"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/capsule"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// Zun's capsule API, /v1/capsules, at every microversion (Zun serves it
// from 1.1; the view changes at 1.32, capsuleview.go). A capsule is stored
// as records of the container store (package capsule): its own record,
// which holds its claim, quota, ports and volumes, and one per member,
// written together through container.GroupStore. The container routes
// never show them (findContainer, listContainers).

// groups returns the container store's group writes; a store that keeps
// no capsules makes the capsule routes 501.
func (s *Server) groups() (container.GroupStore, error) {
	gs, ok := s.Containers.(container.GroupStore)
	if !ok {
		return nil, errdefs.NotSupportedf("Capsules are not available: this service's container store keeps none.")
	}
	return gs, nil
}

// errPlaced stops the removal at once of a record that got a host since
// the request read it: its host must remove what it made for it.
var errPlaced = errors.New("placed meanwhile")

// unplaced refuses the removal at once of a record on a host.
func unplaced(x *container.Container) error {
	if x.Host != "" {
		return errPlaced
	}
	return nil
}

// createCapsule serves POST /v1/capsules: {"template": T}, T an object or
// a string holding one. It stores the capsule's record and its members'
// in one transaction, each with a create op (run) and a create action;
// the store's participants reserve the project's quota, and make and
// attach the volumes, on the capsule's record, so a capsule over quota
// or with an unusable volume is refused with nothing stored. It answers
// 202 with the capsule, once placed or after Config.PlacementWait, as a
// container create does.
func (s *Server) createCapsule(c *call) (any, error) {
	if err := c.requireJSON(); err != nil {
		return nil, err
	}
	body, err := c.readBody()
	if err != nil {
		return nil, err
	}
	tpl, err := schema.CapsuleCreate(body)
	if err != nil {
		return nil, err
	}
	spec, err := capsule.ParseWithLimits(tpl, s.cfg.Limits)
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if err := s.authorize(c, "capsule:create", p.ProjectID); err != nil {
		return nil, err
	}
	gs, err := s.groups()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	rec, members := capsule.Build(spec, capsule.BuildOptions{ProjectID: p.ProjectID, UserID: p.UserID, Limits: s.cfg.Limits, Now: now})
	c.forContainer(rec.UUID)
	pullPolicy := s.allowed(c, "container:create:image_pull_policy")
	for _, m := range members {
		if !pullPolicy {
			m.ImagePullPolicy = "" // dropped, as Zun drops it
		}
		if m.ImageDriver == compute.ImageDriverGlance {
			if err := s.resolveStoreImage(c, m); err != nil {
				return nil, err
			}
		}
	}
	// The capsule's record mounts its volumes: the existing ones are
	// found, checked and located here, as a container's are.
	if err := s.resolveMounts(c, rec); err != nil {
		return nil, err
	}
	if err := s.Scheduler.Validate(c.ctx, rec); err != nil {
		return nil, err
	}
	recs := append([]*container.Container{rec}, members...)
	actions := make([]*container.Action, 0, len(recs))
	for _, r := range recs {
		r.SetOp(container.Op{Action: container.ActCreate, RequestID: c.requestID, Run: true})
		actions = append(actions, s.newAction(c, r, container.ActCreate))
	}
	var placed <-chan *container.Container
	if s.Placements != nil {
		ch, cancel, err := s.Placements.AwaitPlacement(rec.UUID)
		if err != nil {
			c.log.Warn("cannot wait for the placement", "error", err)
		} else {
			defer cancel()
			placed = ch
		}
	}
	if err := gs.CreateGroup(c.ctx, recs, actions...); err != nil {
		return nil, err
	}
	byUUID := map[string]*container.Container{}
	for _, m := range members {
		byUUID[m.UUID] = m
	}
	if placed != nil {
		t := time.NewTimer(s.cfg.PlacementWait)
		select {
		case got, ok := <-placed:
			if ok {
				rec = got
				byUUID = s.capsuleMembers(c.ctx, rec)
			}
		case <-t.C:
			c.log.Info("capsule not placed yet")
		case <-c.ctx.Done():
		}
		t.Stop()
	}
	c.log.Info("capsule created", "host", rec.Host, "members", len(members))
	c.w.Header().Set("Location", s.baseURL(c.r)+"/v1/capsules/"+rec.UUID)
	c.status = 202
	return s.capsuleView(c, rec, byUUID), nil
}

// listCapsules serves GET /v1/capsules: limit, marker, sort_key,
// sort_dir, and all_projects, which only callers allowed
// capsule:get_all_all_projects (admins) get; others get their own
// project's capsules, as from Zun, which ignores it for them. Other
// parameters are ignored, as Zun ignores them.
func (s *Server) listCapsules(c *call) (any, error) {
	q := c.r.URL.Query()
	if err := s.authorize(c, "capsule:get_all", principal(c).ProjectID); err != nil {
		return nil, err
	}
	ctx := c.ctx
	all, err := queryBool(c, "all_projects", false)
	if err != nil {
		return nil, err
	}
	if all && s.allowed(c, "capsule:get_all_all_projects") {
		ctx = auth.WithAllProjects(ctx)
	}
	limit, err := schema.Limit(q.Get("limit"), s.cfg.MaxLimit)
	if err != nil {
		return nil, err
	}
	dir, err := schema.SortDir(q.Get("sort_dir"))
	if err != nil {
		return nil, err
	}
	opts := container.ListOptions{Limit: limit, Marker: q.Get("marker"), SortKey: q.Get("sort_key"), SortDir: dir}
	if opts.SortKey == "" {
		opts.SortKey = "id"
	}
	items, err := s.listWhere(ctx, opts, (*container.Container).IsCapsule)
	if err != nil {
		return nil, err
	}
	// The members of the page, read at once from the list of the scope.
	want := map[string]bool{}
	for _, rec := range items {
		for _, id := range rec.Capsule.MemberUUIDs() {
			want[id] = true
		}
	}
	members := map[string]*container.Container{}
	if len(want) > 0 {
		scope, err := s.Containers.List(ctx, container.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, ct := range scope {
			if want[ct.UUID] {
				members[ct.UUID] = ct
			}
		}
	}
	views := make([]map[string]any, 0, len(items))
	for _, rec := range items {
		views = append(views, s.capsuleView(c, rec, members))
	}
	var next any
	if limit > 0 && len(items) == limit {
		next = s.nextPage(c, "/v1/capsules", limit, items[len(items)-1].UUID)
	}
	return map[string]any{"capsules": views, "next": next}, nil
}

// showCapsule serves GET /v1/capsules/{id}, id a uuid or a name.
func (s *Server) showCapsule(c *call) (any, error) {
	rec, err := s.findCapsule(c, "capsule:get", "capsule:get_one_all_projects")
	if err != nil {
		return nil, err
	}
	return s.capsuleView(c, rec, s.capsuleMembers(c.ctx, rec)), nil
}

// deleteCapsule serves DELETE /v1/capsules/{id} (204, at every version:
// Zun's is asynchronous since 1.32 and its older code is gone). A capsule
// on a host gets, with its members, status Deleting and a delete op in
// one write, which its host carries out as Zun's capsule driver does
// (each container stopped, then removed, then the sandbox); one never
// placed (its placement failed, or has not happened) is removed at once
// with its members.
func (s *Server) deleteCapsule(c *call) (any, error) {
	rec, err := s.findCapsule(c, "capsule:delete", "capsule:delete_all_projects")
	if err != nil {
		return nil, err
	}
	gs, err := s.groups()
	if err != nil {
		return nil, err
	}
	uuids := []string{rec.UUID}
	recs := []*container.Container{rec}
	for id, m := range s.capsuleMembers(c.ctx, rec) {
		uuids = append(uuids, id)
		recs = append(recs, m)
	}
	c.status = 204
	if rec.Host == "" {
		err := gs.DeleteGroup(c.ctx, uuids, unplaced)
		if !errors.Is(err, errPlaced) {
			return nil, err
		}
		// Placed since it was read: its host removes what it made.
	}
	// Each record's host records its delete's event in its own action,
	// as for its create.
	for _, x := range recs {
		if err := s.Actions.StartAction(c.ctx, s.newAction(c, x, container.ActDelete)); err != nil {
			c.log.Error("record action", "container_id", x.UUID, "error", err)
		}
	}
	for attempt := 0; ; attempt++ {
		_, err = gs.UpdateGroup(c.ctx, uuids, func(recs []*container.Container) error {
			for _, x := range recs {
				x.Status = container.Deleting
				x.TaskState = container.TaskDeleting
				x.SetOp(container.Op{Action: container.ActDelete, RequestID: c.requestID, Stop: true})
			}
			return nil
		})
		if !errdefs.IsNotFound(err) || attempt == 3 {
			break
		}
		// A record went meanwhile (a member whose delete its host just
		// carried out, or the capsule itself): the delete goes on with
		// what is left, through its host while it has one.
		fresh, gerr := s.Containers.Get(c.ctx, rec.UUID)
		if errdefs.IsNotFound(gerr) {
			return nil, nil
		}
		if gerr != nil {
			return nil, gerr
		}
		uuids = []string{fresh.UUID}
		for id := range s.capsuleMembers(c.ctx, fresh) {
			uuids = append(uuids, id)
		}
		if fresh.Host == "" {
			if err := gs.DeleteGroup(c.ctx, uuids, unplaced); !errors.Is(err, errPlaced) {
				return nil, err
			}
		}
	}
	if err == nil {
		c.log.Info("capsule delete requested", "members", len(uuids)-1)
	}
	return nil, err
}

// findCapsule looks the path's capsule up by uuid or name and checks rule
// on it; with ?all_projects=true, among all projects when allProjects
// allows the caller, as findContainer does.
func (s *Server) findCapsule(c *call, rule, allProjects string) (*container.Container, error) {
	if err := s.widenScope(c, allProjects); err != nil {
		return nil, err
	}
	ident := c.r.PathValue("id")
	rec, err := s.findKind(c.ctx, ident, (*container.Container).IsCapsule)
	if errdefs.IsNotFound(err) {
		return nil, errdefs.NotFoundf("Capsule %s could not be found.", ident)
	}
	if err != nil {
		return nil, err
	}
	if rec.Capsule == nil {
		return nil, errdefs.Unavailablef("capsule %s has no member list", rec.UUID)
	}
	if err := s.authorizeContainer(c, rule, rec); err != nil {
		return nil, err
	}
	c.forContainer(rec.UUID)
	return rec, nil
}

// capsuleMembers reads the records of rec's members, by uuid; one gone
// (being deleted) is left out.
func (s *Server) capsuleMembers(ctx context.Context, rec *container.Container) map[string]*container.Container {
	members := map[string]*container.Container{}
	if rec.Capsule == nil {
		return members
	}
	for _, id := range rec.Capsule.MemberUUIDs() {
		ct, err := s.Containers.Get(ctx, id)
		if err != nil {
			continue
		}
		members[id] = ct
	}
	return members
}

// capsuleView renders a capsule for the caller.
func (s *Server) capsuleView(c *call, rec *container.Container, members map[string]*container.Container) map[string]any {
	return capsuleView(rec, members, c.version, s.hiddenFields(c), s.allowed(c, "capsule:get:host"), s.baseURL(c.r), time.Now())
}
