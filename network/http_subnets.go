package network

import (
	"net/http"
	"net/netip"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
)

// subnetSchema are the attributes of a subnet in requests.
var subnetSchema = with(schema{
	"name": {access: writable}, "network_id": {access: createOnly}, "cidr": {access: createOnly},
	"ip_version": {access: createOnly}, "gateway_ip": {access: writable}, "allocation_pools": {access: writable},
	"dns_nameservers": {access: writable}, "enable_dhcp": {access: writable},
	"host_routes":             {unsupported, "host routes are not supported."},
	"ipv6_ra_mode":            {unsupported, ipv6Why},
	"ipv6_address_mode":       {unsupported, ipv6Why},
	"subnetpool_id":           {unsupported, poolWhy},
	"prefixlen":               {unsupported, poolWhy},
	"use_default_subnet_pool": {unsupported, poolWhy},
	"segment_id":              {unsupported, "routed networks (segments) are not supported."},
	"service_types":           {unsupported, "subnet service types are not supported."},
	"dns_publish_fixed_ip":    {unsupported, "DNS integration is not supported."},
})

const (
	ipv6Why = "router advertisements and SLAAC are not supported: the service allocates every address."
	poolWhy = "subnet pools are not supported: give the subnet's cidr."
)

// subnetView is s as Neutron shows it.
func subnetView(s *Subnet) view {
	pools := []any{}
	for _, p := range s.Pools {
		pools = append(pools, map[string]any{"start": p.Start, "end": p.End})
	}
	return view{
		"id": s.ID, "name": s.Name, "description": s.Description, "network_id": s.NetworkID,
		"tenant_id": s.ProjectID, "project_id": s.ProjectID, "ip_version": s.IPVersion, "cidr": s.CIDR,
		"gateway_ip": nullable(s.GatewayIP), "allocation_pools": pools, "dns_nameservers": orEmpty(s.DNSNameservers),
		"host_routes": []any{}, "enable_dhcp": s.EnableDHCP, "ipv6_ra_mode": nil, "ipv6_address_mode": nil,
		"subnetpool_id": nil, "segment_id": nil, "service_types": []string{}, "tags": orEmpty(s.Tags),
		"created_at": stamp(s.CreatedAt), "updated_at": stamp(s.UpdatedAt), "revision_number": s.Revision,
	}
}

func (h *Handler) listSubnets(r *http.Request, _ auth.Principal) (any, int, error) {
	subs, err := h.store.ListSubnets(r.Context())
	if err != nil {
		return nil, 0, err
	}
	views := make([]view, 0, len(subs))
	for _, s := range subs {
		views = append(views, subnetView(s))
	}
	return h.collection(r, "subnets", views, subnetView(&Subnet{}))
}

func (h *Handler) showSubnet(r *http.Request, _ auth.Principal) (any, int, error) {
	s, err := h.store.GetSubnet(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SubnetNotFound")
	}
	return one(r, "subnet", subnetView(s), http.StatusOK)
}

// addressing reads what create and update may set of a subnet's
// addresses: the gateway (null: none), the pools and the DNS servers.
func (b *body) addressing(s *Subnet) {
	if b.has("gateway_ip") {
		b.str("gateway_ip", &s.GatewayIP)
		if _, err := netip.ParseAddr(s.GatewayIP); s.GatewayIP != "" && err != nil {
			b.fail("gateway_ip", b.attrs["gateway_ip"], "is not a valid IP address")
		}
	}
	if b.has("allocation_pools") {
		var pools []Pool
		b.object("allocation_pools", &pools)
		s.Pools = pools
	}
	b.strings("dns_nameservers", &s.DNSNameservers)
	b.boolean("enable_dhcp", &s.EnableDHCP)
}

func (h *Handler) createSubnet(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "subnet", subnetSchema, true)
	if err != nil {
		return nil, 0, err
	}
	s := &Subnet{EnableDHCP: true}
	b.str("name", &s.Name)
	b.str("description", &s.Description)
	b.str("network_id", &s.NetworkID)
	b.str("cidr", &s.CIDR)
	var version *int
	b.integer("ip_version", &version)
	b.addressing(s)
	b.tags(&s.Tags)
	if s.ProjectID, err = b.projectOf(p); err != nil {
		return nil, 0, err
	}
	switch {
	case b.err != nil:
		return nil, 0, b.err
	case s.NetworkID == "":
		return nil, 0, errdefs.Invalidf("Failed to parse request. Required attribute 'network_id' not specified")
	case s.CIDR == "":
		return nil, 0, errdefs.Invalidf("Failed to parse request. Required attribute 'cidr' not specified (%s)", poolWhy)
	case version != nil && *version != 4 && *version != 6:
		return nil, 0, errdefs.Invalidf("Invalid input for ip_version. Reason: %d is not in [4, 6].", *version)
	case version != nil:
		s.IPVersion = *version
	}
	// A null gateway_ip means no gateway; an absent one, the first
	// address.
	if b.has("gateway_ip") && s.GatewayIP == "" {
		s.GatewayIP = "none" // the store's word for none
	}
	if err = h.store.CreateSubnet(r.Context(), s); err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "NetworkNotFound")
	}
	h.opts.Logger.Info("subnet created", "subnet", s.ID, "network", s.NetworkID, "cidr", s.CIDR, "project", s.ProjectID)
	return one(r, "subnet", subnetView(s), http.StatusCreated)
}

func (h *Handler) updateSubnet(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	b, err := readBody(r, "subnet", subnetSchema, false)
	if err != nil {
		return nil, 0, err
	}
	s, err := h.store.UpdateSubnet(r.Context(), r.PathValue("id"), func(s *Subnet) error {
		b.str("name", &s.Name)
		b.str("description", &s.Description)
		b.addressing(s)
		return b.err
	})
	if err != nil {
		return nil, 0, typed(err, errdefs.ErrNotFound, "SubnetNotFound")
	}
	return one(r, "subnet", subnetView(s), http.StatusOK)
}

func (h *Handler) deleteSubnet(r *http.Request, p auth.Principal) (any, int, error) {
	if err := canWrite(p); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.store.DeleteSubnet(r.Context(), id); err != nil {
		return nil, 0, typed(typed(err, errdefs.ErrNotFound, "SubnetNotFound"), errdefs.ErrConflict, "SubnetInUse")
	}
	h.opts.Logger.Info("subnet deleted", "subnet", id)
	return nil, http.StatusNoContent, nil
}
