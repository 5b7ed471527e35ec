package network_test

import (
	"fmt"
	"testing"
)

// TestRevisionNumber: as Neutron's revision plugin does, every update that
// changes a network, subnet, port or security group (its attributes, its
// tags, a group's rules) raises its revision_number by one; an update that
// changes nothing leaves it as it was.
func TestRevisionNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	net, sub := e.network("alice", "rev", "10.60.0.0/24")
	port := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q}`, net))["id"].(string)
	group := e.create("alice", "security-groups", "security_group", `{"name": "g"}`)["id"].(string)
	rule := ""

	type step struct {
		what, method, path, body string
		bump                     int
	}
	// attrs are the steps every resource takes, member being its body's key.
	attrs := func(member string) []step {
		return []step{
			{"rename", "PUT", "", fmt.Sprintf(`{%q: {"name": "a"}}`, member), 1},
			{"rename again", "PUT", "", fmt.Sprintf(`{%q: {"name": "b"}}`, member), 1},
			{"the same name", "PUT", "", fmt.Sprintf(`{%q: {"name": "b"}}`, member), 0},
			{"an empty update", "PUT", "", fmt.Sprintf(`{%q: {}}`, member), 0},
			{"a description", "PUT", "", fmt.Sprintf(`{%q: {"description": "d"}}`, member), 1},
			{"replace the tags", "PUT", "/tags", `{"tags": ["x", "y"]}`, 1},
			{"the same tags", "PUT", "/tags", `{"tags": ["y", "x"]}`, 0},
			{"add a tag", "PUT", "/tags/z", "", 1},
			{"remove a tag", "DELETE", "/tags/x", "", 1},
		}
	}
	tests := []struct {
		name, coll, member, id string
		steps                  []step
	}{
		{"network", "networks", "network", net, append(attrs("network"),
			step{"admin state down", "PUT", "", `{"network": {"admin_state_up": false}}`, 1})},
		{"subnet", "subnets", "subnet", sub, append(attrs("subnet"),
			step{"no gateway", "PUT", "", `{"subnet": {"gateway_ip": null}}`, 1})},
		{"port", "ports", "port", port, append(attrs("port"),
			step{"a security group", "PUT", "", fmt.Sprintf(`{"port": {"security_groups": [%q]}}`, group), 1},
			step{"the same security group", "PUT", "", fmt.Sprintf(`{"port": {"security_groups": [%q]}}`, group), 0})},
		{"security group", "security-groups", "security_group", group, append(attrs("security_group"),
			step{"add a rule", "POST", "rule", "", 1},
			step{"delete the rule", "DELETE", "rule", "", 1})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			at := "/v2.0/" + tc.coll + "/" + tc.id
			rev := func() int {
				t.Helper()
				return int(e.expect(200, "alice", "GET", at, "")[tc.member].(map[string]any)["revision_number"].(float64))
			}
			want := rev()
			for _, s := range tc.steps {
				switch {
				case s.path == "rule" && s.method == "POST":
					rule = e.create("alice", "security-group-rules", "security_group_rule",
						fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcp"}`, tc.id))["id"].(string)
				case s.path == "rule":
					e.expect(204, "alice", "DELETE", "/v2.0/security-group-rules/"+rule, "")
				default:
					code, out := e.call("alice", s.method, at+s.path, s.body)
					if code >= 300 {
						t.Fatalf("%s: %d %v", s.what, code, out)
					}
					if m, ok := out[tc.member].(map[string]any); ok && m["revision_number"] != float64(want+s.bump) {
						t.Fatalf("%s: answered revision_number %v, want %d", s.what, m["revision_number"], want+s.bump)
					}
				}
				want += s.bump
				if got := rev(); got != want {
					t.Fatalf("%s: revision_number %d, want %d", s.what, got, want)
				}
			}
		})
	}
}
