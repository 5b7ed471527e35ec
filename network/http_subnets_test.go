package network_test

import (
	"fmt"
	"slices"
	"testing"
)

func TestSubnetAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	net := e.create("alice", "networks", "network", `{"name": "net"}`)["id"].(string)
	s := e.create("alice", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.1.0.0/24", "name": "s1",
		"ip_version": 4, "dns_nameservers": ["8.8.8.8"], "enable_dhcp": true, "host_routes": [], "ipv6_ra_mode": null}`, net))
	id := s["id"].(string)
	for k, want := range map[string]any{"name": "s1", "network_id": net, "tenant_id": "pa", "project_id": "pa",
		"ip_version": float64(4), "cidr": "10.1.0.0/24", "gateway_ip": "10.1.0.1", "enable_dhcp": true,
		"ipv6_ra_mode": nil, "ipv6_address_mode": nil, "subnetpool_id": nil} {
		if s[k] != want {
			t.Fatalf("created subnet: %s is %v, want %v (%v)", k, s[k], want, s)
		}
	}
	if fmt.Sprint(s["allocation_pools"]) != "[map[end:10.1.0.254 start:10.1.0.2]]" || fmt.Sprint(s["dns_nameservers"]) != "[8.8.8.8]" ||
		fmt.Sprint(s["host_routes"]) != "[]" {
		t.Fatalf("created subnet: %v", s)
	}

	// A null gateway is none; pools as asked.
	nogw := e.create("alice", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.2.0.0/24", "gateway_ip": null,
		"allocation_pools": [{"start": "10.2.0.10", "end": "10.2.0.20"}]}`, net))
	if nogw["gateway_ip"] != nil || fmt.Sprint(nogw["allocation_pools"]) != "[map[end:10.2.0.20 start:10.2.0.10]]" {
		t.Fatalf("subnet without gateway: %v", nogw)
	}
	v6 := e.create("alice", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "fd00:1::/64", "ip_version": 6}`, net))
	if v6["ip_version"] != float64(6) || v6["gateway_ip"] != "fd00:1::1" {
		t.Fatalf("IPv6 subnet: %v", v6)
	}

	t.Run("create refused", func(t *testing.T) {
		e.t = t
		shared := e.create("admin", "networks", "network", `{"name": "shared", "shared": true}`)["id"].(string)
		before := e.ids("admin", "/v2.0/subnets")
		for _, tc := range []struct {
			name, token, body string
			code              int
			words             string
		}{
			{"overlap in the project", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.1.0.128/25"}`, net), 400, "overlaps"},
			{"no cidr", "alice", fmt.Sprintf(`{"network_id": %q}`, net), 400, "'cidr'"},
			{"no network", "alice", `{"cidr": "10.9.0.0/24"}`, 400, "'network_id'"},
			{"subnet pool", "alice", fmt.Sprintf(`{"network_id": %q, "subnetpool_id": "p", "prefixlen": 24}`, net), 400, "subnet pools"},
			{"prefix length", "alice", fmt.Sprintf(`{"network_id": %q, "prefixlen": 24}`, net), 400, "subnet pools"},
			{"host routes", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "host_routes": [{"destination": "0.0.0.0/0", "nexthop": "10.9.0.1"}]}`, net), 400, "host routes"},
			{"bad cidr", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.1/24"}`, net), 400, "10.9.0.0/24"},
			{"version mismatch", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "ip_version": 6}`, net), 400, "ip_version"},
			{"bad version", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "ip_version": 5}`, net), 400, "ip_version"},
			{"gateway outside", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "gateway_ip": "10.8.0.1"}`, net), 400, "Gateway"},
			{"gateway not an address", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "gateway_ip": "none"}`, net), 400, "gateway_ip"},
			{"pool outside", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "allocation_pools": [{"start": "10.9.1.1", "end": "10.9.1.9"}]}`, net), 400, "allocation pool"},
			{"pool with junk", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "allocation_pools": [{"start": "10.9.0.5", "end": "10.9.0.9", "x": 1}]}`, net), 400, "allocation_pools"},
			{"bad nameserver", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "dns_nameservers": ["dns.example"]}`, net), 400, "dns_nameservers"},
			{"unknown attribute", "alice", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24", "vlan": 4}`, net), 400, "Unrecognized attribute(s) 'vlan'"},
			{"unknown network", "alice", `{"network_id": "no-such", "cidr": "10.9.0.0/24"}`, 404, "could not be found"},
			{"another's private network", "bob", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24"}`, net), 404, "could not be found"},
			{"another's shared network", "bob", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24"}`, shared), 403, "owner"},
			{"reader", "reader", fmt.Sprintf(`{"network_id": %q, "cidr": "10.9.0.0/24"}`, net), 403, "member"},
		} {
			e.refused(tc.code, tc.token, "POST", "/v2.0/subnets", fmt.Sprintf(`{"subnet": %s}`, tc.body), tc.words)
		}
		if after := e.ids("admin", "/v2.0/subnets"); !slices.Equal(before, after) {
			t.Fatalf("refused creates changed the subnets: %v, then %v", before, after)
		}
		// Another project may use the same range on its own network.
		bobNet := e.create("bob", "networks", "network", `{"name": "bobs"}`)["id"].(string)
		e.create("bob", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.1.0.0/24"}`, bobNet))
	})

	t.Run("update", func(t *testing.T) {
		e.t = t
		u := e.expect(200, "alice", "PUT", "/v2.0/subnets/"+id, `{"subnet": {"name": "s1b", "description": "d",
			"dns_nameservers": ["1.1.1.1", "8.8.8.8"], "enable_dhcp": false, "gateway_ip": null}}`)["subnet"].(map[string]any)
		if u["name"] != "s1b" || u["description"] != "d" || u["gateway_ip"] != nil || u["enable_dhcp"] != false ||
			fmt.Sprint(u["dns_nameservers"]) != "[1.1.1.1 8.8.8.8]" {
			t.Fatalf("updated subnet: %v", u)
		}
		u = e.expect(200, "alice", "PUT", "/v2.0/subnets/"+id, `{"subnet": {"gateway_ip": "10.1.0.1",
			"allocation_pools": [{"start": "10.1.0.100", "end": "10.1.0.200"}]}}`)["subnet"].(map[string]any)
		if u["gateway_ip"] != "10.1.0.1" || fmt.Sprint(u["allocation_pools"]) != "[map[end:10.1.0.200 start:10.1.0.100]]" {
			t.Fatalf("updated subnet: %v", u)
		}
		for _, tc := range []struct{ body, words string }{
			{`{"subnet": {"cidr": "10.1.0.0/16"}}`, "read-only attribute cidr"},
			{`{"subnet": {"network_id": "x"}}`, "read-only attribute network_id"},
			{`{"subnet": {"gateway_ip": "10.1.0.150"}}`, "conflicts with allocation pool"},
			{`{"subnet": {"gateway_ip": "10.7.0.1"}}`, "Gateway"},
			{`{"subnet": {"allocation_pools": [{"start": "10.1.0.9", "end": "10.1.0.1"}]}}`, "allocation pool"},
		} {
			e.refused(400, "alice", "PUT", "/v2.0/subnets/"+id, tc.body, tc.words)
		}
		e.refused(404, "bob", "PUT", "/v2.0/subnets/"+id, `{"subnet": {"name": "b"}}`, "could not be found")
		e.refused(403, "reader", "PUT", "/v2.0/subnets/"+id, `{"subnet": {"name": "r"}}`, "member")
		if got := e.expect(200, "alice", "GET", "/v2.0/subnets/"+id, "")["subnet"].(map[string]any); got["name"] != "s1b" ||
			got["gateway_ip"] != "10.1.0.1" || got["cidr"] != "10.1.0.0/24" {
			t.Fatalf("refused updates changed the subnet: %v", got)
		}
	})

	t.Run("list and tenancy", func(t *testing.T) {
		e.t = t
		if got := e.ids("alice", fmt.Sprintf("/v2.0/subnets?network_id=%s&ip_version=4", net)); len(got) != 2 {
			t.Fatalf("alice's IPv4 subnets of %s: %v", net, got)
		}
		if got := e.ids("alice", "/v2.0/subnets?cidr=10.1.0.0/24"); !slices.Equal(got, []string{id}) {
			t.Fatalf("by cidr: %v", got)
		}
		if slices.Contains(e.ids("bob", "/v2.0/subnets"), id) {
			t.Fatal("bob lists alice's subnet")
		}
		e.refused(404, "bob", "GET", "/v2.0/subnets/"+id, "", "could not be found")
		e.refused(404, "bob", "DELETE", "/v2.0/subnets/"+id, "", "could not be found")
		if !slices.Contains(e.ids("admin", "/v2.0/subnets"), id) {
			t.Fatal("admin does not list alice's subnet")
		}
	})

	t.Run("delete", func(t *testing.T) {
		e.t = t
		port := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"subnet_id": %q}]}`, net, id))["id"].(string)
		code, out := e.call("alice", "DELETE", "/v2.0/subnets/"+id, "")
		if ne, _ := out["NeutronError"].(map[string]any); code != 409 || ne["type"] != "SubnetInUse" {
			t.Fatalf("delete a subnet with an allocation: %d %v", code, out)
		}
		e.expect(200, "alice", "GET", "/v2.0/subnets/"+id, "")
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+port, "")
		e.expect(204, "alice", "DELETE", "/v2.0/subnets/"+id, "")
		e.refused(404, "alice", "GET", "/v2.0/subnets/"+id, "", "could not be found")
		// The range is free again.
		e.create("alice", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.1.0.0/24"}`, net))
	})
}
