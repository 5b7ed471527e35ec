package network_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/store/dbtest"
)

// FuzzNetworkRequest sends fuzzed bodies, ids and query strings to every
// route of the network API's table as alice (a member), the reader, the
// admin or a fuzzed token. Properties: no 5xx; a refusal is a Neutron
// error and changes nothing (every collection, listed by the admin, is
// the same after it); what a POST or PUT accepts shows the same when read
// back.
func FuzzNetworkRequest(f *testing.F) {
	ns := network.NewEtcdStore(dbtest.Open(f), nil)
	h := network.NewHandler(ns, principals, network.HandlerOptions{})
	do := func(token, method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/", strings.NewReader(body))
		r.URL.Path, r.URL.RawQuery, _ = strings.Cut(path, "?")
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("X-Auth-Token", token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	create := func(coll, member, body string) string {
		w := do("alice", "POST", "/v2.0/"+coll, fmt.Sprintf(`{%q: %s}`, member, body))
		var out map[string]map[string]any
		if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			f.Fatalf("create %s: %d %s", coll, w.Code, w.Body)
		}
		return out[member]["id"].(string)
	}
	netID := create("networks", "network", `{"name": "n1"}`)
	subnetID := create("subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.1.0.0/24"}`, netID))
	portID := create("ports", "port", fmt.Sprintf(`{"network_id": %q}`, netID))
	groupID := create("security-groups", "security_group", `{"name": "g1"}`)
	ruleID := create("security-group-rules", "security_group_rule", fmt.Sprintf(`{"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}`, groupID))
	idOf := map[string]string{"networks": netID, "subnets": subnetID, "ports": portID, "security-groups": groupID, "security-group-rules": ruleID}
	routes := h.Routes()

	snapshot := func() []byte {
		var b bytes.Buffer
		for _, c := range []string{"networks", "subnets", "ports", "security-groups", "security-group-rules"} {
			b.Write(do("admin", "GET", "/v2.0/"+c, "").Body.Bytes())
		}
		return b.Bytes()
	}

	seeds := map[string][]string{
		"POST /v2.0/networks": {`{"network": {"name": "x", "admin_state_up": true, "shared": false, "mtu": 1400, "port_security_enabled": "true"}}`,
			`{"network": {"name": "x", "bogus": 1}}`, `{"networks": [{"name": "a"}]}`, `{"network": {"id": "abc"}}`,
			`{"network": {"router:external": true}}`, `{"network": {"provider:network_type": "vlan"}}`, `{"network": null}`, `[]`, ``},
		"PUT /v2.0/networks/{id}": {`{"network": {"name": "y", "description": "d"}}`, `{"network": {"tenant_id": "pb"}}`, `{"network": {"mtu": "x"}}`},
		"POST /v2.0/subnets": {fmt.Sprintf(`{"subnet": {"network_id": %q, "cidr": "10.2.0.0/24", "ip_version": 4, "gateway_ip": null, "enable_dhcp": false, "allocation_pools": [{"start": "10.2.0.10", "end": "10.2.0.20"}], "dns_nameservers": ["8.8.8.8"]}}`, netID),
			fmt.Sprintf(`{"subnet": {"network_id": %q, "cidr": "fd00::/64", "ip_version": 6, "ipv6_address_mode": "slaac"}}`, netID),
			fmt.Sprintf(`{"subnet": {"network_id": %q, "cidr": "10.3.0.0/33"}}`, netID), `{"subnet": {"cidr": "224.0.0.0/24"}}`},
		"PUT /v2.0/subnets/{id}": {`{"subnet": {"gateway_ip": "10.1.0.254", "allocation_pools": [{"start": "10.1.0.2", "end": "10.1.0.9"}]}}`, `{"subnet": {"cidr": "10.9.0.0/24"}}`},
		"POST /v2.0/ports": {fmt.Sprintf(`{"port": {"network_id": %q, "fixed_ips": [{"subnet_id": %q, "ip_address": "10.1.0.77"}], "mac_address": "fa:16:3e:00:00:01", "security_groups": [%q]}}`, netID, subnetID, groupID),
			fmt.Sprintf(`{"port": {"network_id": %q, "mac_address": "00:00:00:00:00:00"}}`, netID), fmt.Sprintf(`{"port": {"network_id": %q, "binding:host_id": "h", "allowed_address_pairs": [{"ip_address": "1.2.3.4"}]}}`, netID)},
		"PUT /v2.0/ports/{id}":           {`{"port": {"name": "p", "admin_state_up": false, "security_groups": []}}`, `{"port": {"fixed_ips": [{"ip_address": "10.1.0.300"}]}}`, `{"port": {"port_security_enabled": false}}`},
		"POST /v2.0/security-groups":     {`{"security_group": {"name": "g2", "description": "x", "stateful": true}}`, `{"security_group": {"name": "default"}}`},
		"PUT /v2.0/security-groups/{id}": {`{"security_group": {"name": "g3"}}`},
		"POST /v2.0/security-group-rules": {fmt.Sprintf(`{"security_group_rule": {"security_group_id": %q, "direction": "egress", "ethertype": "IPv6", "protocol": "icmpv6", "port_range_min": 128, "remote_ip_prefix": "::/0"}}`, groupID),
			fmt.Sprintf(`{"security_group_rule": {"security_group_id": %q, "direction": "ingress", "protocol": "udp", "port_range_min": 90, "port_range_max": 80}}`, groupID),
			fmt.Sprintf(`{"security_group_rule": {"security_group_id": %q, "direction": "ingress", "remote_group_id": %q, "remote_ip_prefix": "1.0.0.0/8"}}`, groupID, groupID)},
		"PUT /v2.0/networks/{id}/tags": {`{"tags": ["a", "b"]}`, `{"tags": "a"}`},
		"GET /v2.0/ports":              {"?fixed_ips=ip_address%3D10.1.0.2&fields=id&fields=name", "?sort_key=name&sort_dir=desc&limit=1&marker=x", "?bogus=1", "?tags=a,b&not-tags-any=c", "?changed_since=2020-01-01T00:00:00Z", "?limit=-1"},
		"GET /v2.0/networks":           {"?name=n1&shared=false&router:external=false", "?page_reverse=true&limit=1", "?sort_key=nope"},
	}
	for i, pattern := range routes {
		f.Add(uint8(i), uint8(0), "", "")
		// bob's first request, refused, must not make his project's
		// default security group.
		f.Add(uint8(i), uint8(3), "bogus=1", "")
		for _, s := range seeds[pattern] {
			if strings.HasPrefix(s, "?") {
				f.Add(uint8(i), uint8(0), s[1:], "")
			} else {
				f.Add(uint8(i), uint8(0), "", s)
				f.Add(uint8(i), uint8(1), "", s)
			}
		}
	}

	tokens := []string{"alice", "reader", "admin", "bob"}
	f.Fuzz(func(t *testing.T, route, who uint8, param, body string) {
		pattern := routes[int(route)%len(routes)]
		method, path, _ := strings.Cut(pattern, " ")
		coll := strings.Split(path, "/")[2]
		fuzzedID := int(route) >= len(routes)
		id := idOf[coll]
		query := param
		if fuzzedID {
			id, query = strings.NewReplacer("/", "", "?", "", "#", "", "%", "").Replace(param), ""
		}
		path = strings.NewReplacer("{id}", id, "{alias}", "binding", "{tag}", "a").Replace(path)
		token := tokens[int(who)%len(tokens)]
		if int(who) >= 2*len(tokens) {
			token = param
		}
		before := snapshot()
		w := do(token, method, path+"?"+query, body)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s %q as %q: %d %s", method, path, query, body, token, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var e struct {
				NeutronError struct{ Type, Message string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.NeutronError.Message == "" {
				t.Fatalf("%s %s %q: %d with a body that is no Neutron error: %s", method, path, body, w.Code, w.Body)
			}
			if after := snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("%s %s?%s %q as %q: refused (%d %s) but the records changed", method, path, query, body, token, w.Code, w.Body)
			}
			return
		}
		if (method == "POST" || method == "PUT") && !strings.Contains(path, "/tags") {
			var out map[string]map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out) != 1 {
				t.Fatalf("%s %s %q: %d %s", method, path, body, w.Code, w.Body)
			}
			for member, v := range out {
				again := do(token, "GET", "/v2.0/"+coll+"/"+v["id"].(string), "")
				var back map[string]map[string]any
				_ = json.Unmarshal(again.Body.Bytes(), &back)
				a, _ := json.Marshal(v)
				b, _ := json.Marshal(back[member])
				if again.Code != http.StatusOK || !bytes.Equal(a, b) {
					t.Fatalf("%s %s %q answered %s, read back as %d %s", method, path, body, a, again.Code, again.Body)
				}
			}
		}
	})
}
