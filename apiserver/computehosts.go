package apiserver

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/host"
)

// The compute hosts, services and availability zones APIs (admin, as
// Zun's policy has it, except zones). Records come from the host registry;
// whether a host is up from its heartbeats.

// Liveness says whether a compute host is heard from.
type Liveness interface {
	Up(name string) bool
}

// registry authorizes rule and returns the host records.
func (s *Server) registry(c *call, rule, projectID string) (host.Store, error) {
	if err := s.authorize(c, rule, projectID); err != nil {
		return nil, err
	}
	if s.HostRecords == nil {
		return nil, errdefs.NotSupportedf("This service keeps no host records.")
	}
	return s.HostRecords, nil
}

func (s *Server) up(h host.Host) bool {
	return !h.ForcedDown && s.Liveness != nil && s.Liveness.Up(h.Name)
}

func (s *Server) hostView(c *call, h host.Host, u host.Usage) map[string]any {
	base := s.baseURL(c.r)
	labels := h.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	runtimes := h.Facts.Runtimes
	if runtimes == nil {
		runtimes = []string{}
	}
	v := map[string]any{
		"uuid": h.UUID, "hostname": h.Name,
		"mem_total": h.Facts.MemoryMiB, "mem_used": u.MemoryMiB,
		"cpus": h.Facts.CPUs, "cpu_used": u.CPU, "total_containers": u.Containers,
		"architecture": orNull(h.Facts.Architecture), "os_type": orNull(h.Facts.OSType),
		"os": orNull(h.Facts.OS), "kernel_version": orNull(h.Facts.KernelVersion),
		"labels": labels, "disk_total": h.Facts.DiskGiB, "disk_used": u.DiskGiB,
		"disk_quota_supported": h.Facts.DiskQuota, "runtimes": runtimes,
		"links": []api.Link{
			{Href: base + "/v1/hosts/" + h.UUID, Rel: "self"},
			{Href: base + "/hosts/" + h.UUID, Rel: "bookmark"},
		},
	}
	if c.version.AtLeast(api.V(29)) {
		v["enable_cpu_pinning"] = false
	}
	return v
}

// listHosts serves GET /v1/hosts (1.4+).
func (s *Server) listHosts(c *call) (any, error) {
	if c.version.Less(api.V(4)) {
		return nil, notInVersion(c)
	}
	reg, err := s.registry(c, "host:get_all", "")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	limit, err := schema.Limit(q.Get("limit"), s.cfg.MaxLimit)
	if err != nil {
		return nil, err
	}
	dir, err := schema.SortDir(q.Get("sort_dir"))
	if err != nil {
		return nil, err
	}
	hosts, err := reg.List(c.ctx)
	if err != nil {
		return nil, err
	}
	var order func(a, b host.Host) int
	switch key := q.Get("sort_key"); key {
	case "", "id":
		order = func(a, b host.Host) int { return cmp.Compare(a.ID, b.ID) }
	case "hostname":
		order = func(a, b host.Host) int { return strings.Compare(a.Name, b.Name) }
	default:
		return nil, errdefs.Invalidf("Invalid sort_key %q: one of id, hostname.", key)
	}
	slices.SortStableFunc(hosts, order)
	if dir == "desc" {
		slices.Reverse(hosts)
	}
	if m := q.Get("marker"); m != "" {
		i := slices.IndexFunc(hosts, func(h host.Host) bool { return h.UUID == m })
		if i < 0 {
			return nil, errdefs.Invalidf("Marker %s could not be found.", m)
		}
		hosts = hosts[i+1:]
	}
	usage, err := reg.Usage(c.ctx)
	if err != nil {
		return nil, err
	}
	var next any
	if limit > 0 && len(hosts) > limit {
		hosts = hosts[:limit]
		next = s.nextPage(c, "/v1/hosts", limit, hosts[limit-1].UUID)
	}
	views := make([]map[string]any, 0, len(hosts))
	for _, h := range hosts {
		views = append(views, s.hostView(c, h, usage[h.Name]))
	}
	return map[string]any{"hosts": views, "next": next}, nil
}

// showHost serves GET /v1/hosts/{id} (1.4+), by uuid or name.
func (s *Server) showHost(c *call) (any, error) {
	if c.version.Less(api.V(4)) {
		return nil, notInVersion(c)
	}
	reg, err := s.registry(c, "host:get", "")
	if err != nil {
		return nil, err
	}
	h, err := reg.Get(c.ctx, c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	usage, err := reg.Usage(c.ctx)
	if err != nil {
		return nil, err
	}
	return s.hostView(c, h, usage[h.Name]), nil
}

func (s *Server) serviceView(h host.Host) map[string]any {
	state := "down"
	if s.up(h) {
		state = "up"
	}
	return map[string]any{
		"id": h.ID, "host": h.Name, "binary": host.Binary, "state": state,
		"disabled": h.Disabled, "disabled_reason": orNull(h.DisabledReason),
		"forced_down": h.ForcedDown, "availability_zone": h.Zone(), "report_count": 0,
		"created_at": formatTime(h.CreatedAt), "updated_at": formatTime(h.UpdatedAt),
		"last_seen_up": nil,
	}
}

// listServices serves GET /v1/services.
func (s *Server) listServices(c *call) (any, error) {
	reg, err := s.registry(c, "zun-service:get_all", "")
	if err != nil {
		return nil, err
	}
	hosts, err := reg.List(c.ctx)
	if err != nil {
		return nil, err
	}
	views := make([]map[string]any, 0, len(hosts))
	for _, h := range hosts {
		views = append(views, s.serviceView(h))
	}
	return map[string]any{"services": views}, nil
}

// serviceBody is the body of PUT /v1/services/{enable,disable,force_down}.
type serviceBody struct {
	Host           string  `json:"host"`
	Binary         string  `json:"binary"`
	DisabledReason *string `json:"disabled_reason"`
	ForcedDown     any     `json:"forced_down"`
}

// readServiceBody reads the fields from the JSON body or, as
// python-zunclient sends them, from the query string.
func (s *Server) readServiceBody(c *call) (serviceBody, error) {
	var b serviceBody
	raw, err := c.readBody()
	if err != nil {
		return b, err
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return b, errdefs.Invalidf("Invalid JSON in the request body: %v", err)
		}
	}
	q := c.r.URL.Query()
	if q.Has("host") {
		b.Host = q.Get("host")
	}
	if q.Has("binary") {
		b.Binary = q.Get("binary")
	}
	if q.Has("disabled_reason") {
		r := q.Get("disabled_reason")
		b.DisabledReason = &r
	}
	if q.Has("forced_down") {
		b.ForcedDown = q.Get("forced_down")
	}
	if b.Host == "" || b.Binary == "" {
		return b, errdefs.Invalidf("Both host and binary are required.")
	}
	if b.Binary != host.Binary {
		return b, errdefs.NotFoundf("Service %s on host %s could not be found.", b.Binary, b.Host)
	}
	return b, nil
}

// updateService serves PUT /v1/services/{action}: enable, disable (with
// disabled_reason) and force_down.
func (s *Server) updateService(c *call) (any, error) {
	action := c.r.PathValue("action")
	rule := map[string]string{"enable": "zun-service:enable", "disable": "zun-service:disable", "force_down": "zun-service:force_down"}[action]
	if rule == "" {
		return nil, notFoundRoute(c.r)
	}
	reg, err := s.registry(c, rule, "")
	if err != nil {
		return nil, err
	}
	b, err := s.readServiceBody(c)
	if err != nil {
		return nil, err
	}
	var forced bool
	if action == "force_down" {
		switch v := b.ForcedDown.(type) {
		case bool:
			forced = v
		case string:
			if forced, err = schema.Bool("forced_down", v); err != nil {
				return nil, err
			}
		default:
			return nil, errdefs.Invalidf("forced_down is required: true or false.")
		}
	}
	if b.DisabledReason != nil && len(*b.DisabledReason) > 255 {
		return nil, errdefs.Invalidf("disabled_reason is longer than 255 characters.")
	}
	h, err := reg.Update(c.ctx, b.Host, func(h *host.Host) error {
		switch action {
		case "enable":
			h.Disabled, h.DisabledReason = false, ""
		case "disable":
			h.Disabled = true
			h.DisabledReason = ""
			if b.DisabledReason != nil {
				h.DisabledReason = *b.DisabledReason
			}
		case "force_down":
			h.ForcedDown = forced
		}
		return nil
	})
	if errdefs.IsNotFound(err) {
		return nil, errdefs.NotFoundf("Service %s on host %s could not be found.", b.Binary, b.Host)
	}
	if err != nil {
		return nil, err
	}
	svc := map[string]any{"host": h.Name, "binary": host.Binary}
	if action == "force_down" {
		svc["forced_down"] = h.ForcedDown
	} else {
		svc["disabled"] = h.Disabled
		svc["disabled_reason"] = orNull(h.DisabledReason)
	}
	return map[string]any{"service": svc}, nil
}

// deleteService serves DELETE /v1/services?host=H&binary=zun-compute: the
// host's record goes, when it is down and holds no containers.
func (s *Server) deleteService(c *call) (any, error) {
	reg, err := s.registry(c, "zun-service:delete", "")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	name, binary := q.Get("host"), q.Get("binary")
	if name == "" || binary == "" {
		return nil, errdefs.Invalidf("Both host and binary are required.")
	}
	h, err := reg.Get(c.ctx, name)
	if err != nil || binary != host.Binary {
		return nil, errdefs.NotFoundf("Service %s on host %s could not be found.", binary, name)
	}
	if s.up(h) {
		return nil, errdefs.Conflictf("Service %s on host %s is up; stop it before deleting it.", binary, name)
	}
	c.status = http.StatusNoContent
	return nil, reg.Delete(c.ctx, name)
}

// listZones serves GET /v1/availability_zones.
func (s *Server) listZones(c *call) (any, error) {
	reg, err := s.registry(c, "availability_zones:get_all", principal(c).ProjectID)
	if err != nil {
		return nil, err
	}
	hosts, err := reg.List(c.ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	zones := []map[string]any{}
	for _, h := range hosts {
		if z := h.Zone(); !seen[z] {
			seen[z] = true
			zones = append(zones, map[string]any{"availability_zone": z})
		}
	}
	return map[string]any{"availability_zones": zones}, nil
}
