package network

import (
	"context"
	"net/http"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// networkSchema are the attributes of a network in requests. The shared
// and router:external flags are an admin's.
var networkSchema = with(schema{
	"name": {access: writable}, "admin_state_up": {access: writable}, "shared": {access: writable},
	"router:external": {access: writable}, "mtu": {access: writable}, "port_security_enabled": {access: writable},
	"status": {access: readOnly}, "subnets": {access: readOnly}, "availability_zones": {access: readOnly},
	"provider:network_type": {unsupported, providerWhy}, "provider:physical_network": {unsupported, providerWhy},
	"provider:segmentation_id": {unsupported, providerWhy},
	"availability_zone_hints":  {unsupported, "availability zones are not supported."},
	"qos_policy_id":            {unsupported, "QoS policies are not supported."},
	"dns_domain":               {unsupported, "DNS integration is not supported."},
	"is_default":               {unsupported, "auto-allocated topologies are not supported."},
	"vlan_transparent":         {unsupported, "VLAN-transparent networks are not supported."},
	"segments":                 {unsupported, "multi-segment networks are not supported."},
})

const providerWhy = "provider networks are not supported: every network is a VXLAN segment whose id the service picks."

// networkView is n as Neutron shows it; admins also see its segment.
func networkView(n *Network, subnets []string, admin bool) view {
	v := view{
		"id": n.ID, "name": n.Name, "description": n.Description, "tenant_id": n.ProjectID, "project_id": n.ProjectID,
		"admin_state_up": n.AdminStateUp, "shared": n.Shared, "router:external": n.External, "status": "ACTIVE",
		"subnets": orEmpty(subnets), "mtu": n.MTU, "port_security_enabled": n.PortSecurity,
		"availability_zones": []string{}, "availability_zone_hints": []string{}, "tags": orEmpty(n.Tags),
		"created_at": stamp(n.CreatedAt), "updated_at": stamp(n.UpdatedAt), "revision_number": n.Revision,
	}
	if admin {
		v["provider:network_type"] = "vxlan"
		v["provider:physical_network"] = nil
		v["provider:segmentation_id"] = n.VNI
	}
	return v
}

// subnetIDs maps each network to its subnets' ids, whichever project
// made them: a network shows all of its subnets.
func (h *Handler) subnetIDs(ctx context.Context) (map[string][]string, error) {
	subs, err := h.store.ListSubnets(auth.WithAllProjects(ctx))
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, s := range subs {
		out[s.NetworkID] = append(out[s.NetworkID], s.ID)
	}
	return out, nil
}

func (h *Handler) listNetworks(r *http.Request, p auth.Principal) (any, int, error) {
	nets, err := h.store.ListNetworks(r.Context())
	if err != nil {
		return nil, 0, err
	}
	subs, err := h.subnetIDs(r.Context())
	if err != nil {
		return nil, 0, err
	}
	views := make([]view, 0, len(nets))
	for _, n := range nets {
		views = append(views, networkView(n, subs[n.ID], p.IsAdmin()))
	}
	return h.collection(r, "networks", views, networkView(&Network{}, nil, p.IsAdmin()))
}

func (h *Handler) showNetwork(r *http.Request, p auth.Principal) (any, int, error) {
	n, err := h.store.GetNetwork(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "NetworkNotFound")
	}
	subs, err := h.subnetIDs(r.Context())
	if err != nil {
		return nil, 0, err
	}
	return one(r, "network", networkView(n, subs[n.ID], p.IsAdmin()), http.StatusOK)
}

func (h *Handler) createNetwork(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "network", networkSchema, true)
	if err != nil {
		return nil, 0, err
	}
	n := &Network{AdminStateUp: true, PortSecurity: true}
	b.str("name", &n.Name)
	b.str("description", &n.Description)
	b.boolean("admin_state_up", &n.AdminStateUp)
	b.boolean("shared", &n.Shared)
	b.boolean("router:external", &n.External)
	b.boolean("port_security_enabled", &n.PortSecurity)
	b.tags(&n.Tags)
	b.mtu(&n.MTU)
	if n.ProjectID, err = b.projectOf(p); err != nil {
		return nil, 0, err
	}
	if b.err != nil {
		return nil, 0, b.err
	}
	if err := adminFlags(p, false, false, n); err != nil {
		return nil, 0, err
	}
	if err := h.store.CreateNetwork(r.Context(), n); err != nil {
		return nil, 0, err
	}
	h.opts.Logger.Info("network created", "network", n.ID, "project", n.ProjectID, "vni", n.VNI)
	return one(r, "network", networkView(n, nil, p.IsAdmin()), http.StatusCreated)
}

// mtu sets *dst to the mtu attribute when present (null: the default).
func (b *body) mtu(dst *int) {
	if !b.has("mtu") {
		return
	}
	var mtu *int
	b.integer("mtu", &mtu)
	switch {
	case mtu == nil:
		*dst = DefaultMTU
	case *mtu < 68:
		b.fail("mtu", b.attrs["mtu"], "is less than 68, the minimum for IPv4")
	default:
		*dst = *mtu
	}
}

// adminFlags refuses a caller who is not an admin sharing a network or
// marking it external (or undoing either), as Neutron's policy does.
func adminFlags(p auth.Principal, shared, external bool, n *Network) error {
	if p.IsAdmin() {
		return nil
	}
	if n.Shared != shared {
		return errdefs.Forbiddenf("(rule:create_network:shared) is disallowed by policy: only an admin shares a network.")
	}
	if n.External != external {
		return errdefs.Forbiddenf("(rule:create_network:router:external) is disallowed by policy: only an admin marks a network external.")
	}
	return nil
}

func (h *Handler) updateNetwork(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "network", networkSchema, false)
	if err != nil {
		return nil, 0, err
	}
	ctx, id := r.Context(), r.PathValue("id")
	n, err := h.store.UpdateNetwork(ctx, id, func(n *Network) error {
		before := *n
		b.str("name", &n.Name)
		b.str("description", &n.Description)
		b.boolean("admin_state_up", &n.AdminStateUp)
		b.boolean("shared", &n.Shared)
		b.boolean("router:external", &n.External)
		b.boolean("port_security_enabled", &n.PortSecurity)
		b.mtu(&n.MTU)
		if b.err != nil {
			return b.err
		}
		if err := adminFlags(p, before.Shared, before.External, n); err != nil {
			return err
		}
		if before.Shared && !n.Shared {
			return h.usedByOthers(ctx, n)
		}
		return nil
	})
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "NetworkNotFound")
	}
	subs, err := h.subnetIDs(ctx)
	if err != nil {
		return nil, 0, err
	}
	return one(r, "network", networkView(n, subs[n.ID], p.IsAdmin()), http.StatusOK)
}

// usedByOthers refuses to unshare a network other projects have ports on.
func (h *Handler) usedByOthers(ctx context.Context, n *Network) error {
	ports, err := h.store.ListPorts(auth.WithAllProjects(ctx))
	if err != nil {
		return err
	}
	for _, pt := range ports {
		if pt.NetworkID == n.ID && pt.ProjectID != n.ProjectID {
			return typed(errdefs.Conflictf("Unable to reconfigure sharing settings for network %s. Multiple tenants are using it.", n.ID),
				errdefs.ErrConflict, "InvalidSharedSetting")
		}
	}
	return nil
}

func (h *Handler) deleteNetwork(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.store.DeleteNetwork(r.Context(), id); err != nil {
		return nil, 0, typed(typed(err, errdefs.ErrNotFound, "NetworkNotFound"), errdefs.ErrConflict, "NetworkInUse")
	}
	h.opts.Logger.Info("network deleted", "network", id)
	return nil, http.StatusNoContent, nil
}
