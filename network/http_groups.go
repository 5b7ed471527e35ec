package network

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// groupSchema are the attributes of a security group in requests.
var groupSchema = with(schema{
	"name": {access: writable}, "stateful": {access: writable},
	"security_group_rules": {access: readOnly}, "shared": {access: readOnly},
})

// ruleSchema are the attributes of a rule in requests: a rule is made
// and deleted, never changed.
var ruleSchema = with(schema{
	"security_group_id": {access: createOnly}, "direction": {access: createOnly}, "ethertype": {access: createOnly},
	"protocol": {access: createOnly}, "port_range_min": {access: createOnly}, "port_range_max": {access: createOnly},
	"remote_ip_prefix": {access: createOnly}, "remote_group_id": {access: createOnly}, "description": {access: createOnly},
	"belongs_to_default_sg":   {access: readOnly},
	"remote_address_group_id": {unsupported, "address groups are not supported: use remote_ip_prefix or remote_group_id."},
	"tags":                    {unsupported, "security group rules take no tags here."},
})

// groupView is g as Neutron shows it, with its rules.
func groupView(g *SecurityGroup) view {
	rules := []any{}
	for i := range g.Rules {
		rules = append(rules, ruleView(&g.Rules[i], g))
	}
	return view{
		"id": g.ID, "name": g.Name, "description": g.Description, "tenant_id": g.ProjectID, "project_id": g.ProjectID,
		"security_group_rules": rules, "stateful": true, "shared": false, "tags": orEmpty(g.Tags),
		"created_at": stamp(g.CreatedAt), "updated_at": stamp(g.UpdatedAt), "revision_number": g.Revision,
	}
}

// ruleView is rule r of group g as Neutron shows it.
func ruleView(r *Rule, g *SecurityGroup) view {
	bound := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return view{
		"id": r.ID, "security_group_id": g.ID, "direction": r.Direction, "ethertype": r.EtherType,
		"protocol": nullable(r.Protocol), "port_range_min": bound(r.PortRangeMin), "port_range_max": bound(r.PortRangeMax),
		"remote_ip_prefix": nullable(r.RemoteIPPrefix), "remote_group_id": nullable(r.RemoteGroupID),
		"remote_address_group_id": nil, "description": r.Description, "tenant_id": g.ProjectID, "project_id": g.ProjectID,
		"belongs_to_default_sg": g.Default,
		"created_at":            stamp(r.CreatedAt), "updated_at": stamp(r.UpdatedAt), "revision_number": 0,
	}
}

// groups lists the groups the caller sees, after making the caller's
// project's default group if it has none yet, as Neutron does.
func (h *Handler) groups(r *http.Request, p auth.Principal, proto view) ([]*SecurityGroup, error) {
	// A list whose query is refused writes nothing, and a later page (a
	// marker) follows a first one that made the group already.
	q := r.URL.Query()
	if err := checkQuery(q, proto); err != nil {
		return nil, err
	}
	if p.ProjectID != "" && q.Get("marker") == "" {
		if _, err := h.store.DefaultSecurityGroup(r.Context(), p.ProjectID); err != nil {
			return nil, err
		}
	}
	return h.store.ListSecurityGroups(r.Context())
}

func (h *Handler) listGroups(r *http.Request, p auth.Principal) (any, int, error) {
	groups, err := h.groups(r, p, groupView(&SecurityGroup{}))
	if err != nil {
		return nil, 0, err
	}
	views := make([]view, 0, len(groups))
	for _, g := range groups {
		views = append(views, groupView(g))
	}
	return h.collection(r, "security-groups", views, groupView(&SecurityGroup{}))
}

func (h *Handler) showGroup(r *http.Request, _ auth.Principal) (any, int, error) {
	g, err := h.store.GetSecurityGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SecurityGroupNotFound")
	}
	return one(r, "security_group", groupView(g), http.StatusOK)
}

// groupAttrs reads what create and update may set of a group.
func (b *body) groupAttrs(g *SecurityGroup) {
	b.str("name", &g.Name)
	b.str("description", &g.Description)
	stateful := true
	b.boolean("stateful", &stateful)
	if !stateful {
		b.fail("stateful", b.attrs["stateful"], "is not supported: security groups here always track connections")
	}
}

func (h *Handler) createGroup(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "security_group", groupSchema, true)
	if err != nil {
		return nil, 0, err
	}
	g := &SecurityGroup{}
	b.groupAttrs(g)
	b.tags(&g.Tags)
	if g.ProjectID, err = b.projectOf(p); err != nil {
		return nil, 0, err
	}
	if b.err != nil {
		return nil, 0, b.err
	}
	if err := h.store.CreateSecurityGroup(r.Context(), g); err != nil {
		return nil, 0, typed(err, errdefs.ErrConflict, "SecurityGroupDefaultAlreadyExists")
	}
	h.opts.Logger.Info("security group created", "group", g.ID, "project", g.ProjectID)
	return one(r, "security_group", groupView(g), http.StatusCreated)
}

func (h *Handler) updateGroup(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "security_group", groupSchema, false)
	if err != nil {
		return nil, 0, err
	}
	g, err := h.store.UpdateSecurityGroup(r.Context(), r.PathValue("id"), func(g *SecurityGroup) error {
		b.groupAttrs(g)
		return b.err
	})
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SecurityGroupNotFound")
	}
	return one(r, "security_group", groupView(g), http.StatusOK)
}

func (h *Handler) deleteGroup(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.store.DeleteSecurityGroup(r.Context(), id); err != nil {
		return nil, 0, typed(typed(err, errdefs.ErrNotFound, "SecurityGroupNotFound"), errdefs.ErrConflict, "SecurityGroupInUse")
	}
	h.opts.Logger.Info("security group deleted", "group", id)
	return nil, http.StatusNoContent, nil
}

// ---- rules

func (h *Handler) listRules(r *http.Request, p auth.Principal) (any, int, error) {
	groups, err := h.groups(r, p, ruleView(&Rule{}, &SecurityGroup{}))
	if err != nil {
		return nil, 0, err
	}
	var views []view
	for _, g := range groups {
		for i := range g.Rules {
			views = append(views, ruleView(&g.Rules[i], g))
		}
	}
	return h.collection(r, "security-group-rules", views, ruleView(&Rule{}, &SecurityGroup{}))
}

func (h *Handler) showRule(r *http.Request, _ auth.Principal) (any, int, error) {
	rule, g, err := h.store.FindRule(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SecurityGroupRuleNotFound")
	}
	return one(r, "security_group_rule", ruleView(rule, g), http.StatusOK)
}

// protocol reads a rule's protocol: a name, or a number (as a string
// or a JSON number); null or absent: any.
func (b *body) protocol(dst *string) {
	v := strings.TrimSpace(string(b.attrs["protocol"]))
	var n json.Number
	if v != "" && !strings.HasPrefix(v, `"`) && v != "null" && json.Unmarshal([]byte(v), &n) == nil {
		*dst = n.String()
		return
	}
	b.str("protocol", dst)
}

func (h *Handler) createRule(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "security_group_rule", ruleSchema, true)
	if err != nil {
		return nil, 0, err
	}
	rule := &Rule{}
	var group string
	b.str("security_group_id", &group)
	b.str("direction", &rule.Direction)
	b.str("ethertype", &rule.EtherType)
	b.protocol(&rule.Protocol)
	b.integer("port_range_min", &rule.PortRangeMin)
	b.integer("port_range_max", &rule.PortRangeMax)
	b.str("remote_ip_prefix", &rule.RemoteIPPrefix)
	b.str("remote_group_id", &rule.RemoteGroupID)
	b.str("description", &rule.Description)
	project, err := b.projectOf(p)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case b.err != nil:
		return nil, 0, b.err
	case group == "":
		return nil, 0, errdefs.Invalidf("Failed to parse request. Required attribute 'security_group_id' not specified")
	case rule.Direction == "":
		return nil, 0, errdefs.Invalidf("Failed to parse request. Required attribute 'direction' not specified")
	}
	ctx := r.Context()
	g, err := h.store.GetSecurityGroup(ctx, group)
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SecurityGroupNotFound")
	}
	if (b.has("project_id") || b.has("tenant_id")) && project != g.ProjectID {
		return nil, 0, errdefs.Invalidf("A rule is in its security group's project, %s, not %s.", g.ProjectID, project)
	}
	if err := h.store.AddRule(ctx, group, rule); err != nil {
		return nil, 0, typed(typed(err, errdefs.ErrConflict, "SecurityGroupRuleExists"), errdefs.ErrNotFound, "SecurityGroupNotFound")
	}
	h.opts.Logger.Info("security group rule created", "rule", rule.ID, "group", group)
	return one(r, "security_group_rule", ruleView(rule, g), http.StatusCreated)
}

func (h *Handler) deleteRule(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.store.DeleteRule(r.Context(), id); err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SecurityGroupRuleNotFound")
	}
	h.opts.Logger.Info("security group rule deleted", "rule", id)
	return nil, http.StatusNoContent, nil
}
