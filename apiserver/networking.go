package apiserver

import (
	"context"
	"net/netip"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/network"
)

// ContainerNetworks changes the networks and security groups of
// containers (network.EtcdStore).
type ContainerNetworks interface {
	AttachNetwork(ctx context.Context, uuid string, req container.NetRequest) (*container.Container, error)
	DetachNetwork(ctx context.Context, uuid, network, port string) (*container.Container, error)
	ChangeSecurityGroup(ctx context.Context, uuid, ident string, add bool) (*container.Container, error)
	ContainerPorts(ctx context.Context, c *container.Container) ([]*network.Port, error)
}

func (s *Server) containerNetworks() (ContainerNetworks, error) {
	if s.Networks == nil {
		return nil, errdefs.NotSupportedf("Container networks are not enabled on this service.")
	}
	return s.Networks, nil
}

// recordAction records a container action done by the API itself, with
// its one event. A refused request (err) records nothing, as in Zun,
// which checks the network, port or group before it records the action:
// a refusal leaves the store as it was.
func (s *Server) recordAction(c *call, ct *container.Container, action string, err error) {
	if err != nil {
		return
	}
	c.forContainer(ct.UUID)
	if rerr := s.Actions.StartAction(c.ctx, s.newAction(c, ct, action)); rerr != nil {
		c.log.Error("record action", "error", rerr)
		return
	}
	s.failAction(c, ct.UUID, "api__"+action, err)
}

// networkList serves GET .../network_list (1.13; the shape of 1.18 and
// later lists each port's addresses together).
func (s *Server) networkList(c *call) (any, error) {
	if c.version.Less(api.V(13)) {
		return nil, notInVersion(c)
	}
	ct, err := s.findContainer(c, "container:get_one", "")
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for netID, addrs := range ct.Addresses {
		byPort := map[string][]map[string]any{}
		var order []string
		for _, a := range addrs {
			fixed := map[string]any{"subnet_id": a.SubnetID, "version": a.Version, "ip_address": a.Addr}
			if c.version.Less(api.V(18)) {
				out = append(out, map[string]any{"net_id": netID, "port_id": a.Port, "subnet_id": a.SubnetID,
					"version": a.Version, "ip_address": a.Addr})
				continue
			}
			if _, seen := byPort[a.Port]; !seen {
				order = append(order, a.Port)
			}
			if a.Addr != "" {
				byPort[a.Port] = append(byPort[a.Port], fixed)
			} else if byPort[a.Port] == nil {
				byPort[a.Port] = []map[string]any{}
			}
		}
		for _, port := range order {
			out = append(out, map[string]any{"net_id": netID, "port_id": port, "fixed_ips": byPort[port]})
		}
	}
	return map[string]any{"networks": out}, nil
}

// networkAttach serves POST .../network_attach?network=N|port=P
// [&fixed_ip=A] (1.8): 200 with no body, as Zun answers. The host plugs
// the new interface within seconds.
func (s *Server) networkAttach(c *call) (any, error) {
	if c.version.Less(api.V(8)) {
		return nil, notInVersion(c)
	}
	nets, err := s.containerNetworks()
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	req := container.NetRequest{Network: q.Get("network"), Port: q.Get("port")}
	switch {
	case (req.Network == "") == (req.Port == ""):
		return nil, errdefs.Invalidf("Invalid input for query parameters: give network or port, not both.")
	case len(req.Network) > 255 || len(req.Port) > 255:
		return nil, errdefs.Invalidf("Invalid input for query parameters: network and port are at most 255 characters.")
	}
	if ip := q.Get("fixed_ip"); ip != "" {
		a, err := netip.ParseAddr(ip)
		switch {
		case err != nil:
			return nil, errdefs.Invalidf("Invalid input for query parameters fixed_ip. Value: %s. It is not an IP address.", ip)
		case req.Port != "":
			return nil, errdefs.Invalidf("Invalid input for query parameters: fixed_ip goes with network, not port.")
		case a.Is4():
			req.V4FixedIP = ip
		default:
			req.V6FixedIP = ip
		}
	}
	ct, err := s.findContainer(c, "container:network_attach", "")
	if err != nil {
		return nil, err
	}
	_, err = nets.AttachNetwork(c.ctx, ct.UUID, req)
	s.recordAction(c, ct, "network_attach", err)
	if err != nil {
		return nil, err
	}
	c.log.Info("network attached", "network", req.Network, "port", req.Port)
	return nil, nil
}

// networkDetach serves POST .../network_detach?network=N|port=P (1.6).
func (s *Server) networkDetach(c *call) (any, error) {
	if c.version.Less(api.V(6)) {
		return nil, notInVersion(c)
	}
	nets, err := s.containerNetworks()
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	netIdent, port := q.Get("network"), q.Get("port")
	if (netIdent == "") == (port == "") {
		return nil, errdefs.Invalidf("Invalid input for query parameters: give network or port, not both.")
	}
	ct, err := s.findContainer(c, "container:network_detach", "")
	if err != nil {
		return nil, err
	}
	_, err = nets.DetachNetwork(c.ctx, ct.UUID, netIdent, port)
	s.recordAction(c, ct, "network_detach", err)
	if err != nil {
		return nil, err
	}
	c.status = 202
	return nil, nil
}

// addSecurityGroup and removeSecurityGroup serve POST
// .../add_security_group?name=G and .../remove_security_group (1.1 to
// 1.14, as in Zun): the group goes on or off every port made for the
// container; the host applies the rules within seconds.
func (s *Server) addSecurityGroup(c *call) (any, error)    { return s.changeSecurityGroup(c, true) }
func (s *Server) removeSecurityGroup(c *call) (any, error) { return s.changeSecurityGroup(c, false) }

func (s *Server) changeSecurityGroup(c *call, add bool) (any, error) {
	if api.V(14).Less(c.version) {
		return nil, notInVersion(c)
	}
	nets, err := s.containerNetworks()
	if err != nil {
		return nil, err
	}
	name := c.r.URL.Query().Get("name")
	if name == "" || len(name) > 255 {
		return nil, errdefs.Invalidf("Invalid input for query parameters name: a security group's name or id, 1 to 255 characters.")
	}
	action := container.ActAddSG
	if !add {
		action = container.ActRemoveSG
	}
	ct, err := s.findContainer(c, "container:"+action, "")
	if err != nil {
		return nil, err
	}
	if err := container.CheckState(ct, action); err != nil {
		return nil, err
	}
	_, err = nets.ChangeSecurityGroup(c.ctx, ct.UUID, name, add)
	s.recordAction(c, ct, action, err)
	if err != nil {
		return nil, err
	}
	c.status = 202
	return nil, nil
}
