package network_test

import (
	"fmt"
	"slices"
	"testing"
)

func TestSecurityGroupAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The project's default group is made on first sight: everything
	// out, in only from its members.
	defs := e.list("alice", "/v2.0/security-groups")
	if len(defs) != 1 || defs[0]["name"] != "default" || defs[0]["project_id"] != "pa" {
		t.Fatalf("alice's groups: %v", defs)
	}
	def := defs[0]["id"].(string)
	var shape []string
	for _, r := range defs[0]["security_group_rules"].([]any) {
		r := r.(map[string]any)
		if r["security_group_id"] != def || r["belongs_to_default_sg"] != true || r["protocol"] != nil {
			t.Fatalf("default rule: %v", r)
		}
		shape = append(shape, fmt.Sprint(r["direction"], " ", r["ethertype"], " ", r["remote_group_id"] != nil))
	}
	slices.Sort(shape)
	if fmt.Sprint(shape) != "[egress IPv4 false egress IPv6 false ingress IPv4 true ingress IPv6 true]" {
		t.Fatalf("default rules: %v", shape)
	}

	g := e.create("alice", "security-groups", "security_group", `{"name": "web", "description": "web servers", "stateful": true}`)
	id := g["id"].(string)
	if g["name"] != "web" || g["description"] != "web servers" || g["stateful"] != true || g["tenant_id"] != "pa" ||
		len(g["security_group_rules"].([]any)) != 2 {
		t.Fatalf("created group: %v", g)
	}

	t.Run("rules", func(t *testing.T) {
		e.t = t
		r := e.create("alice", "security-group-rules", "security_group_rule", fmt.Sprintf(`{"security_group_id": %q,
			"direction": "ingress", "protocol": "TCP", "port_range_min": 80, "port_range_max": "81", "remote_ip_prefix": "10.0.0.7/8",
			"description": "http"}`, id))
		rid := r["id"].(string)
		for k, want := range map[string]any{"security_group_id": id, "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
			"port_range_min": float64(80), "port_range_max": float64(81), "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": nil,
			"description": "http", "project_id": "pa", "tenant_id": "pa", "belongs_to_default_sg": false} {
			if r[k] != want {
				t.Fatalf("created rule: %s is %v, want %v (%v)", k, r[k], want, r)
			}
		}
		// Numbers as protocols; another group of the project as remote.
		byNumber := e.create("alice", "security-group-rules", "security_group_rule", fmt.Sprintf(`{"security_group_id": %q,
			"direction": "egress", "protocol": 132, "ethertype": "IPv6", "remote_group_id": %q}`, id, def))
		if byNumber["protocol"] != "132" || byNumber["remote_group_id"] != def {
			t.Fatalf("rule by number: %v", byNumber)
		}
		if got := e.expect(200, "alice", "GET", "/v2.0/security-group-rules/"+rid, "")["security_group_rule"].(map[string]any); got["id"] != rid {
			t.Fatalf("rule show: %v", got)
		}
		if got := e.ids("alice", "/v2.0/security-group-rules?security_group_id="+id+"&direction=ingress"); !slices.Equal(got, []string{rid}) {
			t.Fatalf("rules of the group, ingress: %v", got)
		}
		if got := e.ids("alice", "/v2.0/security-group-rules?protocol=tcp"); !slices.Equal(got, []string{rid}) {
			t.Fatalf("tcp rules: %v", got)
		}
		if got := e.list("alice", "/v2.0/security-groups?id="+id); len(got[0]["security_group_rules"].([]any)) != 4 {
			t.Fatalf("group with its rules: %v", got)
		}

		bobs := e.create("bob", "security-groups", "security_group", `{"name": "bobs"}`)["id"].(string)
		before := e.ids("admin", "/v2.0/security-group-rules")
		for _, tc := range []struct {
			name, token, body string
			code              int
			words             string
		}{
			{"duplicate", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 81, "remote_ip_prefix": "10.0.0.0/8"}`, id), 409, "already exists"},
			{"bad protocol", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcpp"}`, id), 400, "protocol tcpp"},
			{"protocol out of range", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": 256}`, id), 400, "protocol 256"},
			{"reversed ports", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}`, id), 400, "port_range_min"},
			{"port 0", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "udp", "port_range_min": 0, "port_range_max": 10}`, id), 400, "port_range_min"},
			{"ports without protocol", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "port_range_min": 22, "port_range_max": 22}`, id), 400, "protocol"},
			{"port not a number", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": "ssh", "port_range_max": 22}`, id), 400, "integer"},
			{"bad direction", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "inbound"}`, id), 400, "direction"},
			{"no direction", "alice", fmt.Sprintf(`{"security_group_id": %q}`, id), 400, "'direction'"},
			{"no group", "alice", `{"direction": "ingress"}`, 400, "'security_group_id'"},
			{"prefix of the other family", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}`, id), 400, "ethertype"},
			{"prefix and group", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": %q}`, id, def), 400, "remote"},
			{"another project's remote group", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "remote_group_id": %q}`, id, bobs), 404, bobs},
			{"another project's group", "bob", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress"}`, id), 404, "does not exist"},
			{"address group", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "remote_address_group_id": "ag"}`, id), 400, "address groups"},
			{"unknown attribute", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "port": 22}`, id), 400, "Unrecognized attribute(s) 'port'"},
			{"another project named", "alice", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "project_id": "pb"}`, id), 403, "policy"},
			{"reader", "reader", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress"}`, id), 403, "member"},
		} {
			e.refused(tc.code, tc.token, "POST", "/v2.0/security-group-rules", fmt.Sprintf(`{"security_group_rule": %s}`, tc.body), tc.words)
		}
		if after := e.ids("admin", "/v2.0/security-group-rules"); !slices.Equal(before, after) {
			t.Fatalf("refused creates changed the rules: %v, then %v", before, after)
		}
		e.refused(404, "bob", "GET", "/v2.0/security-group-rules/"+rid, "", "does not exist")
		e.refused(404, "bob", "DELETE", "/v2.0/security-group-rules/"+rid, "", "does not exist")
		e.refused(403, "reader", "DELETE", "/v2.0/security-group-rules/"+rid, "", "member")
		e.expect(204, "alice", "DELETE", "/v2.0/security-group-rules/"+rid, "")
		e.refused(404, "alice", "GET", "/v2.0/security-group-rules/"+rid, "", "does not exist")
	})

	t.Run("update", func(t *testing.T) {
		e.t = t
		u := e.expect(200, "alice", "PUT", "/v2.0/security-groups/"+id, `{"security_group": {"name": "www", "description": ""}}`)["security_group"].(map[string]any)
		if u["name"] != "www" || u["description"] != "" {
			t.Fatalf("updated group: %v", u)
		}
		for _, tc := range []struct {
			id, body string
			code     int
			words    string
		}{
			{id, `{"security_group": {"stateful": false}}`, 400, "stateful"},
			{id, `{"security_group": {"security_group_rules": []}}`, 400, "read-only"},
			{id, `{"security_group": {"name": "default"}}`, 409, "default"},
			{def, `{"security_group": {"name": "other"}}`, 409, "default"},
		} {
			e.refused(tc.code, "alice", "PUT", "/v2.0/security-groups/"+tc.id, tc.body, tc.words)
		}
		e.refused(404, "bob", "PUT", "/v2.0/security-groups/"+id, `{"security_group": {"name": "b"}}`, "does not exist")
		e.refused(400, "alice", "POST", "/v2.0/security-groups", `{"security_group": {"name": "x", "stateful": false}}`, "stateful")
		e.refused(409, "alice", "POST", "/v2.0/security-groups", `{"security_group": {"name": "default"}}`, "already exists")
		e.refused(403, "reader", "POST", "/v2.0/security-groups", `{"security_group": {"name": "r"}}`, "member")
		if got := e.list("alice", "/v2.0/security-groups?fields=name&sort_key=name"); fmt.Sprint(got) != "[map[name:default] map[name:www]]" {
			t.Fatalf("alice's groups after refusals: %v", got)
		}
	})

	t.Run("tenancy and delete", func(t *testing.T) {
		e.t = t
		if got := e.list("bob", "/v2.0/security-groups?name=www"); len(got) != 0 {
			t.Fatalf("bob sees %v", got)
		}
		e.refused(404, "bob", "GET", "/v2.0/security-groups/"+id, "", "does not exist")
		e.refused(404, "bob", "DELETE", "/v2.0/security-groups/"+id, "", "does not exist")
		if got := e.list("admin", "/v2.0/security-groups?name=default"); len(got) < 3 {
			t.Fatalf("admin's default groups: %v", got) // alice's, bob's, the admin's own
		}
		net, _ := e.network("alice", "net", "10.8.0.0/24")
		port := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q, "security_groups": [%q]}`, net, id))["id"].(string)
		code, out := e.call("alice", "DELETE", "/v2.0/security-groups/"+id, "")
		if ne, _ := out["NeutronError"].(map[string]any); code != 409 || ne["type"] != "SecurityGroupInUse" {
			t.Fatalf("delete a group in use: %d %v", code, out)
		}
		e.refused(409, "alice", "DELETE", "/v2.0/security-groups/"+def, "", "default")
		remote := e.create("alice", "security-group-rules", "security_group_rule", fmt.Sprintf(`{"security_group_id": %q,
			"direction": "ingress", "remote_group_id": %q}`, def, id))["id"].(string)
		e.expect(204, "alice", "DELETE", "/v2.0/ports/"+port, "")
		e.expect(204, "alice", "DELETE", "/v2.0/security-groups/"+id, "")
		if got := e.ids("alice", "/v2.0/security-groups"); !slices.Equal(got, []string{def}) {
			t.Fatalf("alice's groups: %v", got)
		}
		// Its rules, and the rule naming it as its remote, went with it.
		for _, r := range e.list("alice", "/v2.0/security-group-rules") {
			if r["security_group_id"] == id || r["id"] == remote {
				t.Fatalf("a rule of or on the deleted group remains: %v", r)
			}
		}
	})
}
