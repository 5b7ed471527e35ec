package network_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPortAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	net, sub := e.network("alice", "net", "10.3.0.0/24")
	p := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "name": "p1", "device_id": "dev1",
		"device_owner": "compute:nova", "tags": ["t"]}`, net))
	id := p["id"].(string)
	groups := e.list("alice", "/v2.0/security-groups?name=default")
	if len(groups) != 1 {
		t.Fatalf("alice's default groups: %v", groups)
	}
	for k, want := range map[string]any{"name": "p1", "network_id": net, "tenant_id": "pa", "project_id": "pa",
		"admin_state_up": true, "port_security_enabled": true, "device_id": "dev1", "device_owner": "compute:nova",
		"status": "DOWN", "binding:vnic_type": "normal"} {
		if p[k] != want {
			t.Fatalf("created port: %s is %v, want %v (%v)", k, p[k], want, p)
		}
	}
	if fmt.Sprint(p["fixed_ips"]) != fmt.Sprintf("[map[ip_address:10.3.0.2 subnet_id:%s]]", sub) ||
		fmt.Sprint(p["security_groups"]) != fmt.Sprintf("[%s]", groups[0]["id"]) || len(p["mac_address"].(string)) != 17 ||
		fmt.Sprint(p["tags"]) != "[t]" || fmt.Sprint(p["allowed_address_pairs"]) != "[]" {
		t.Fatalf("created port: %v", p)
	}
	if _, ok := p["binding:host_id"]; ok {
		t.Fatalf("a member sees the binding: %v", p)
	}
	if a := e.expect(200, "admin", "GET", "/v2.0/ports/"+id, "")["port"].(map[string]any); a["binding:host_id"] != "" ||
		a["binding:vif_type"] != "unbound" {
		t.Fatalf("admin's view: %v", a)
	}
	// Asked for addresses and MAC; a network without port security gives
	// ports without groups.
	fixed := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "mac_address": "FA:16:3E:00:00:01",
		"fixed_ips": [{"subnet_id": %q, "ip_address": "10.3.0.50"}]}`, net, sub))
	if fmt.Sprint(fixed["fixed_ips"]) != fmt.Sprintf("[map[ip_address:10.3.0.50 subnet_id:%s]]", sub) ||
		fixed["mac_address"] != "fa:16:3e:00:00:01" {
		t.Fatalf("port with a fixed address: %v", fixed)
	}
	byIP := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip_address": "10.3.0.60"}]}`, net))
	if fmt.Sprint(byIP["fixed_ips"]) != fmt.Sprintf("[map[ip_address:10.3.0.60 subnet_id:%s]]", sub) {
		t.Fatalf("port by address: %v", byIP)
	}
	open, _ := e.network("alice", "open", "10.4.0.0/24", `"port_security_enabled": false`)
	if op := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q}`, open)); op["port_security_enabled"] != false ||
		fmt.Sprint(op["security_groups"]) != "[]" {
		t.Fatalf("port on a network without port security: %v", op)
	}

	t.Run("create refused", func(t *testing.T) {
		e.t = t
		private, _ := e.network("alice", "private", "10.5.0.0/24")
		before := e.ids("admin", "/v2.0/ports")
		for _, tc := range []struct {
			name, token, body string
			code              int
			words             string
		}{
			{"address outside the subnet", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"subnet_id": %q, "ip_address": "10.9.0.5"}]}`, net, sub), 400, "not a valid IP"},
			{"address of no subnet", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip_address": "10.9.0.5"}]}`, net), 400, "not a valid IP"},
			{"gateway address", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip_address": "10.3.0.1"}]}`, net), 400, "not a valid IP"},
			{"address taken", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip_address": "10.3.0.50"}]}`, net), 409, "already allocated"},
			{"MAC taken", "alice", fmt.Sprintf(`{"network_id": %q, "mac_address": "fa:16:3e:00:00:01"}`, net), 409, "mac address"},
			{"bad MAC", "alice", fmt.Sprintf(`{"network_id": %q, "mac_address": "01:00:5e:00:00:01"}`, net), 400, "mac_address"},
			{"subnet of another network", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"subnet_id": %q}]}`, private, sub), 400, "invalid subnet"},
			{"fixed_ips junk", "alice", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip": "10.3.0.9"}]}`, net), 400, "fixed_ips"},
			{"no network", "alice", `{"name": "x"}`, 400, "'network_id'"},
			{"unknown network", "alice", `{"network_id": "nope"}`, 404, "could not be found"},
			{"another's private network", "bob", fmt.Sprintf(`{"network_id": %q}`, net), 404, "could not be found"},
			{"unknown group", "alice", fmt.Sprintf(`{"network_id": %q, "security_groups": ["nope"]}`, net), 404, "nope"},
			{"groups without port security", "alice", fmt.Sprintf(`{"network_id": %q, "port_security_enabled": false, "security_groups": [%q]}`, net, groups[0]["id"]), 400, "Port security"},
			{"host binding", "admin", fmt.Sprintf(`{"network_id": %q, "binding:host_id": "h1"}`, net), 400, "binding:host_id"},
			{"vnic type", "alice", fmt.Sprintf(`{"network_id": %q, "binding:vnic_type": "direct"}`, net), 400, "vnic"},
			{"address pairs", "alice", fmt.Sprintf(`{"network_id": %q, "allowed_address_pairs": [{"ip_address": "10.3.0.9"}]}`, net), 400, "address pairs"},
			{"container owner", "alice", fmt.Sprintf(`{"network_id": %q, "device_owner": "compute:zun", "device_id": "c"}`, net), 400, "compute:zun"},
			{"read-only status", "alice", fmt.Sprintf(`{"network_id": %q, "status": "ACTIVE"}`, net), 400, "'status' not allowed"},
			{"unknown attribute", "alice", fmt.Sprintf(`{"network_id": %q, "colour": "red"}`, net), 400, "Unrecognized"},
			{"long device id", "alice", fmt.Sprintf(`{"network_id": %q, "device_id": %q}`, net, strings.Repeat("d", 256)), 400, "device_id"},
			{"reader", "reader", fmt.Sprintf(`{"network_id": %q}`, net), 403, "member"},
		} {
			e.refused(tc.code, tc.token, "POST", "/v2.0/ports", fmt.Sprintf(`{"port": %s}`, tc.body), tc.words)
		}
		if after := e.ids("admin", "/v2.0/ports"); !slices.Equal(before, after) {
			t.Fatalf("refused creates changed the ports: %v, then %v", before, after)
		}
		// Empty values of unsupported attributes are what clients send
		// for "none".
		ok := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "allowed_address_pairs": [],
			"extra_dhcp_opts": [], "qos_policy_id": null, "binding:vnic_type": "normal", "binding:profile": {}}`, net))
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+ok["id"].(string), "")
	})

	t.Run("update", func(t *testing.T) {
		e.t = t
		g := e.create("alice", "security-groups", "security_group", `{"name": "web"}`)["id"].(string)
		u := e.expect(200, "alice", "PUT", "/v2.0/ports/"+id, fmt.Sprintf(`{"port": {"name": "p1b", "description": "d",
			"admin_state_up": false, "security_groups": [%q, %q], "device_id": "", "device_owner": ""}}`, g, g))["port"].(map[string]any)
		if u["name"] != "p1b" || u["description"] != "d" || u["admin_state_up"] != false || fmt.Sprint(u["security_groups"]) != fmt.Sprintf("[%s]", g) ||
			u["device_id"] != "" {
			t.Fatalf("updated port: %v", u)
		}
		// openstackclient sends the addresses back; unchanged, they are fine.
		e.expect(200, "alice", "PUT", "/v2.0/ports/"+id, fmt.Sprintf(`{"port": {"fixed_ips": [{"subnet_id": %q, "ip_address": "10.3.0.2"}]}}`, sub))
		u = e.expect(200, "alice", "PUT", "/v2.0/ports/"+id, `{"port": {"port_security_enabled": false, "security_groups": []}}`)["port"].(map[string]any)
		if u["port_security_enabled"] != false || fmt.Sprint(u["security_groups"]) != "[]" {
			t.Fatalf("port security off: %v", u)
		}
		for _, tc := range []struct {
			body  string
			code  int
			words string
		}{
			{fmt.Sprintf(`{"port": {"fixed_ips": [{"subnet_id": %q, "ip_address": "10.3.0.9"}]}}`, sub), 400, "fixed IPs"},
			{`{"port": {"fixed_ips": []}}`, 400, "fixed IPs"},
			{`{"port": {"network_id": "x"}}`, 400, "read-only attribute network_id"},
			{`{"port": {"mac_address": "fa:16:3e:00:00:09"}}`, 400, "read-only attribute mac_address"},
			{fmt.Sprintf(`{"port": {"security_groups": [%q]}}`, g), 400, "security group"},
			{`{"port": {"port_security_enabled": true, "security_groups": ["nope"]}}`, 404, "nope"},
			{`{"port": {"device_owner": "compute:zun"}}`, 400, "compute:zun"},
		} {
			e.refused(tc.code, "alice", "PUT", "/v2.0/ports/"+id, tc.body, tc.words)
		}
		e.refused(404, "bob", "PUT", "/v2.0/ports/"+id, `{"port": {"name": "b"}}`, "could not be found")
		e.refused(403, "reader", "PUT", "/v2.0/ports/"+id, `{"port": {"name": "r"}}`, "member")
		if got := e.expect(200, "alice", "GET", "/v2.0/ports/"+id, "")["port"].(map[string]any); got["name"] != "p1b" ||
			got["port_security_enabled"] != false || got["device_owner"] != "" {
			t.Fatalf("refused updates changed the port: %v", got)
		}
	})

	t.Run("shared network and tenancy", func(t *testing.T) {
		e.t = t
		shared, ssub := e.network("admin", "shared", "10.6.0.0/24", `"shared": true`)
		bp := e.create("bob", "ports", "port", fmt.Sprintf(`{"network_id": %q}`, shared))
		if bp["project_id"] != "pb" || fmt.Sprint(bp["fixed_ips"]) != fmt.Sprintf("[map[ip_address:10.6.0.2 subnet_id:%s]]", ssub) {
			t.Fatalf("bob's port on the shared network: %v", bp)
		}
		bobGroups := e.ids("bob", "/v2.0/security-groups?name=default")
		if fmt.Sprint(bp["security_groups"]) != fmt.Sprint(bobGroups) {
			t.Fatalf("bob's port has groups %v, bob's default is %v", bp["security_groups"], bobGroups)
		}
		if got := e.ids("bob", "/v2.0/ports"); !slices.Equal(got, []string{bp["id"].(string)}) {
			t.Fatalf("bob lists ports %v", got)
		}
		e.refused(404, "bob", "GET", "/v2.0/ports/"+id, "", "could not be found")
		e.refused(404, "bob", "DELETE", "/v2.0/ports/"+id, "", "could not be found")
		// bob cannot use alice's group on his port.
		e.refused(404, "bob", "PUT", "/v2.0/ports/"+bp["id"].(string),
			fmt.Sprintf(`{"port": {"security_groups": [%q]}}`, groups[0]["id"]), "does not exist")
		all := e.ids("admin", "/v2.0/ports")
		if !slices.Contains(all, id) || !slices.Contains(all, bp["id"].(string)) {
			t.Fatalf("admin lists %v", all)
		}
		e.refused(409, "admin", "DELETE", "/v2.0/networks/"+shared, "", "ports still in use")
		e.expect(204, "bob", "DELETE", "/v2.0/ports/"+bp["id"].(string), "")
	})

	t.Run("filters", func(t *testing.T) {
		e.t = t
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"fixed_ips=ip_address=10.3.0.50", []string{fixed["id"].(string)}},
			{"fixed_ips=ip_address=10.3.0.50&fixed_ips=ip_address=10.3.0.60", []string{fixed["id"].(string), byIP["id"].(string)}},
			{"fixed_ips=subnet_id=" + sub + "&fixed_ips=ip_address=10.3.0.60", []string{byIP["id"].(string)}},
			{"fixed_ips=ip_address_substr=10.3.0.5", []string{fixed["id"].(string)}},
			{"name=p1b", []string{id}},
			{"mac_address=fa:16:3e:00:00:01", []string{fixed["id"].(string)}},
			{"security_groups=" + groups[0]["id"].(string), []string{fixed["id"].(string), byIP["id"].(string)}},
			{"network_id=" + net + "&admin_state_up=false", []string{id}},
			{"device_owner=", []string{id, fixed["id"].(string), byIP["id"].(string)}},
		} {
			got := e.ids("alice", "/v2.0/ports?network_id="+net+"&"+tc.query)
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		e.refused(400, "alice", "GET", "/v2.0/ports?fixed_ips=10.3.0.2", "", "fixed_ips")
		e.refused(400, "alice", "GET", "/v2.0/ports?binding:host_id=h", "", "binding:host_id")
		if got := e.ids("admin", "/v2.0/ports?binding:host_id=&network_id="+net); len(got) != 3 {
			t.Fatalf("admin by host: %v", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		e.t = t
		e.refused(409, "alice", "DELETE", "/v2.0/networks/"+net, "", "ports still in use")
		for _, p := range []string{id, fixed["id"].(string), byIP["id"].(string)} {
			e.expect(204, "alice", "DELETE", "/v2.0/ports/"+p, "")
		}
		e.refused(404, "alice", "GET", "/v2.0/ports/"+id, "", "could not be found")
		// The addresses are free again.
		again := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "fixed_ips": [{"ip_address": "10.3.0.50"}]}`, net))
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+again["id"].(string), "")
		e.expect(204, "alice", "DELETE", "/v2.0/networks/"+net, "")
	})
}
