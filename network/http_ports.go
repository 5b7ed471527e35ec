package network

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// portSchema are the attributes of a port in requests. Its addresses and
// MAC are fixed when it is made; its binding is the container service's.
var portSchema = with(schema{
	"name": {access: writable}, "network_id": {access: createOnly}, "mac_address": {access: createOnly},
	"fixed_ips": {access: writable}, "security_groups": {access: writable}, "port_security_enabled": {access: writable},
	"admin_state_up": {access: writable}, "device_id": {access: writable}, "device_owner": {access: writable},
	"binding:vnic_type": {access: writable}, "status": {access: readOnly},
	"binding:vif_type": {access: readOnly}, "binding:vif_details": {access: readOnly},
	"binding:host_id":         {unsupported, "the container service binds a port to its host when a container uses the port."},
	"binding:profile":         {unsupported, "binding profiles are not supported."},
	"allowed_address_pairs":   {unsupported, "allowed address pairs are not supported."},
	"extra_dhcp_opts":         {unsupported, "no DHCP server runs here: DHCP options are not supported."},
	"dns_name":                {unsupported, "DNS integration is not supported."},
	"dns_domain":              {unsupported, "DNS integration is not supported."},
	"qos_policy_id":           {unsupported, "QoS policies are not supported."},
	"propagate_uplink_status": {unsupported, "uplink status propagation is not supported."},
	"numa_affinity_policy":    {unsupported, "NUMA affinity policies are not supported."},
	"device_profile":          {unsupported, "device profiles are not supported."},
	"data_plane_status":       {unsupported, "data plane status is not supported."},
})

// portView is pt as Neutron shows it; admins also see its binding.
func portView(pt *Port, admin bool) view {
	ips := []any{}
	for _, f := range pt.FixedIPs {
		ips = append(ips, map[string]any{"subnet_id": f.SubnetID, "ip_address": f.IPAddress})
	}
	v := view{
		"id": pt.ID, "name": pt.Name, "description": pt.Description, "network_id": pt.NetworkID,
		"tenant_id": pt.ProjectID, "project_id": pt.ProjectID, "mac_address": pt.MACAddress, "fixed_ips": ips,
		"security_groups": orEmpty(pt.SecurityGroups), "port_security_enabled": pt.PortSecurity,
		"admin_state_up": pt.AdminStateUp, "device_id": pt.DeviceID, "device_owner": pt.DeviceOwner,
		"status": cmp.Or(pt.Status, PortDown), "binding:vnic_type": "normal", "allowed_address_pairs": []any{},
		"extra_dhcp_opts": []any{}, "tags": orEmpty(pt.Tags),
		"created_at": stamp(pt.CreatedAt), "updated_at": stamp(pt.UpdatedAt), "revision_number": pt.Revision,
	}
	if admin {
		vif := "unbound"
		if pt.HostID != "" {
			vif = "bridge" // a Linux bridge per network on each host
		}
		v["binding:host_id"] = pt.HostID
		v["binding:vif_type"] = vif
		v["binding:vif_details"] = map[string]any{}
		v["binding:profile"] = map[string]any{}
	}
	return v
}

func (h *Handler) listPorts(r *http.Request, p auth.Principal) (any, int, error) {
	ports, err := h.store.ListPorts(r.Context())
	if err != nil {
		return nil, 0, err
	}
	views := make([]view, 0, len(ports))
	for _, pt := range ports {
		views = append(views, portView(pt, p.IsAdmin()))
	}
	return h.collection(r, "ports", views, portView(&Port{}, p.IsAdmin()))
}

func (h *Handler) showPort(r *http.Request, p auth.Principal) (any, int, error) {
	pt, err := h.store.GetPort(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "PortNotFound")
	}
	return one(r, "port", portView(pt, p.IsAdmin()), http.StatusOK)
}

// portAttrs reads what create and update may set of a port.
func (b *body) portAttrs(pt *Port) {
	b.str("name", &pt.Name)
	b.str("description", &pt.Description)
	b.str("device_id", &pt.DeviceID)
	b.str("device_owner", &pt.DeviceOwner)
	b.boolean("admin_state_up", &pt.AdminStateUp)
	b.boolean("port_security_enabled", &pt.PortSecurity)
	if b.has("security_groups") {
		b.strings("security_groups", &pt.SecurityGroups)
		slices.Sort(pt.SecurityGroups)
		pt.SecurityGroups = slices.Compact(pt.SecurityGroups)
	}
	var vnic string
	b.str("binding:vnic_type", &vnic)
	if vnic != "" && vnic != "normal" {
		b.fail("binding:vnic_type", b.attrs["binding:vnic_type"], "is not supported: ports are 'normal' (veth) ports")
	}
}

// errOwnerZun refuses the container service's device owner: it marks a
// port a container uses, which only the service binds and unbinds.
var errOwnerZun = errdefs.Invalidf("Invalid input for device_owner. Reason: %s is the container service's own: "+
	"a port gets it when a container is created on it (zun run --net port=...).", OwnerZun)

func (h *Handler) createPort(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "port", portSchema, true)
	if err != nil {
		return nil, 0, err
	}
	pt := &Port{AdminStateUp: true}
	b.portAttrs(pt)
	b.str("network_id", &pt.NetworkID)
	b.str("mac_address", &pt.MACAddress)
	b.object("fixed_ips", &pt.FixedIPs)
	b.tags(&pt.Tags)
	if pt.ProjectID, err = b.projectOf(p); err != nil {
		return nil, 0, err
	}
	switch {
	case b.err != nil:
		return nil, 0, b.err
	case pt.NetworkID == "":
		return nil, 0, errdefs.Invalidf("Failed to parse request. Required attribute 'network_id' not specified")
	case pt.DeviceOwner == OwnerZun:
		return nil, 0, errOwnerZun
	}
	ctx := r.Context()
	n, err := h.store.GetNetwork(ctx, pt.NetworkID)
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "NetworkNotFound")
	}
	if n.External && !n.Shared && !p.IsAdmin() {
		return nil, 0, errdefs.Forbiddenf("It is not allowed to create an interface on external network %s.", n.ID)
	}
	if !b.has("port_security_enabled") {
		pt.PortSecurity = n.PortSecurity
	}
	if err := h.store.CreatePort(ctx, pt); err != nil {
		return nil, 0, err
	}
	h.opts.Logger.Info("port created", "port", pt.ID, "network", pt.NetworkID, "project", pt.ProjectID)
	return one(r, "port", portView(pt, p.IsAdmin()), http.StatusCreated)
}

func (h *Handler) updatePort(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "port", portSchema, false)
	if err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	pt, err := h.store.UpdatePort(r.Context(), id, func(pt *Port) error {
		before := *pt
		b.portAttrs(pt)
		if b.has("fixed_ips") {
			var asked []FixedIP
			b.object("fixed_ips", &asked)
			if b.err == nil && !sameAddresses(asked, pt.FixedIPs) {
				return errdefs.Invalidf("Changing the fixed IPs of port %s is not supported by this network service: "+
					"create a new port with the addresses you want and delete this one.", id)
			}
		}
		switch {
		case b.err != nil:
			return b.err
		case (pt.DeviceID != before.DeviceID || pt.DeviceOwner != before.DeviceOwner) &&
			before.DeviceOwner == OwnerZun && before.DeviceID != "":
			return typed(errdefs.Conflictf("Port %s is in use by container %s: its device cannot change until the container is deleted.",
				id, before.DeviceID), errdefs.ErrConflict, "PortInUse")
		case pt.DeviceOwner == OwnerZun && before.DeviceOwner != OwnerZun:
			return errOwnerZun
		}
		return nil
	})
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "PortNotFound")
	}
	return one(r, "port", portView(pt, p.IsAdmin()), http.StatusOK)
}

// sameAddresses reports whether the fixed_ips of an update are the port's
// own (each entry matching one of them on what it names), as
// openstackclient sends them back with every `port set --fixed-ip`.
func sameAddresses(asked, have []FixedIP) bool {
	if len(asked) != len(have) {
		return false
	}
	left := slices.Clone(have)
	for _, a := range asked {
		i := slices.IndexFunc(left, func(f FixedIP) bool {
			return (a.SubnetID == "" || a.SubnetID == f.SubnetID) && (a.IPAddress == "" || a.IPAddress == f.IPAddress)
		})
		if i < 0 {
			return false
		}
		left = slices.Delete(left, i, i+1)
	}
	return true
}

func (h *Handler) deletePort(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.store.DeletePort(r.Context(), id); err != nil {
		return nil, 0, typed(typed(err, errdefs.ErrNotFound, "PortNotFound"), errdefs.ErrConflict, "PortInUse")
	}
	h.opts.Logger.Info("port deleted", "port", id)
	return nil, http.StatusNoContent, nil
}
