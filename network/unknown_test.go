package network_test

import (
	"fmt"
	"strings"
	"testing"
)

// networkUnknowns is the table of what Neutron does with an attribute or
// filter the embedded network service may not know, with where that was
// read in openstack/neutron and openstack/neutron-lib. {net} is a network
// of alice's named "n1", {port} a port on it.
var networkUnknowns = []struct {
	name, method, path, body string
	status                   int
	words                    string // in a refusal's message; a list's or show's expected item names or keys
	source                   string
}{
	{"create: unknown attribute refused", "POST", "/v2.0/networks", `{"network": {"name": "x", "colour": "red"}}`,
		400, "Unrecognized attribute(s) 'colour'", "neutron_lib/api/attributes.py AttributeInfo.verify_attributes"},
	{"update: unknown attribute refused", "PUT", "/v2.0/networks/{net}", `{"network": {"colour": "red"}}`,
		400, "Unrecognized attribute(s) 'colour'", "neutron_lib/api/attributes.py verify_attributes; neutron/api/v2/base.py prepare_request_body"},
	{"create: attribute not allowed in POST refused", "POST", "/v2.0/networks", `{"network": {"status": "DOWN"}}`,
		400, "Attribute 'status' not allowed in POST", "neutron_lib/api/attributes.py AttributeInfo.fill_post_defaults"},
	{"update: create-only attribute refused", "PUT", "/v2.0/ports/{port}", `{"port": {"network_id": "{net}"}}`,
		400, "Cannot update read-only attribute network_id", "neutron/api/v2/base.py prepare_request_body (allow_put False)"},
	{"list: unknown filter refused", "GET", "/v2.0/networks?colour=red&bogus=1", "",
		400, "['bogus', 'colour'] is invalid attribute for filtering", "neutron/api/api_common.py get_filters_from_dict; filter_validation default True in neutron/conf/common.py"},
	{"list: attribute filter applied", "GET", "/v2.0/networks?name=n1", "",
		200, "n1", "neutron/api/api_common.py get_filters_from_dict"},
	{"list: unknown sort key refused", "GET", "/v2.0/networks?sort_key=colour&sort_dir=asc", "",
		400, "['colour'] is invalid attribute for sort_keys", "neutron/api/api_common.py get_sorts"},
	{"list: unknown field in fields ignored", "GET", "/v2.0/networks?name=n1&fields=name&fields=colour", "",
		200, "n1", "neutron_lib/db/utils.py resource_fields (only fields the resource has)"},
}

// TestUnknownFieldsAndFilters sends every row of networkUnknowns as alice
// and checks Neutron's answer.
func TestUnknownFieldsAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	net := e.create("alice", "networks", "network", `{"name": "n1"}`)["id"].(string)
	port := e.create("alice", "ports", "port", fmt.Sprintf(`{"network_id": %q}`, net))["id"].(string)
	fill := strings.NewReplacer("{net}", net, "{port}", port)
	for _, c := range networkUnknowns {
		t.Run(c.name, func(t *testing.T) {
			path, body := fill.Replace(c.path), fill.Replace(c.body)
			if c.status >= 400 {
				e.refused(c.status, "alice", c.method, path, body, c.words)
				return
			}
			items := e.list("alice", path)
			if len(items) != 1 || items[0]["name"] != c.words {
				t.Fatalf("%s: %v, want the one network %s (%s)", path, items, c.words, c.source)
			}
			if _, ok := items[0]["colour"]; ok || (strings.Contains(path, "fields=") && len(items[0]) != 1) {
				t.Fatalf("%s: fields %v (%s)", path, items[0], c.source)
			}
		})
	}
}
