package network_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/zun-go/zun/internal/authtest"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/store/dbtest"
)

var principals = authtest.Principals

type env struct {
	t   *testing.T
	url string
}

func newEnv(t *testing.T) *env {
	ns := network.NewEtcdStore(dbtest.Open(t), nil)
	h := http.StripPrefix("/network", network.NewHandler(ns, principals, network.HandlerOptions{Prefix: "/network"}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL + "/network"}
}

// call makes a request as token and decodes the answer into a map.
func (e *env) call(token, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// expect makes a request that must answer want, and returns the answer.
func (e *env) expect(want int, token, method, path, body string) map[string]any {
	e.t.Helper()
	code, out := e.call(token, method, path, body)
	if code != want {
		e.t.Fatalf("%s %s %s as %s: %d %v, want %d", method, path, body, token, code, out, want)
	}
	return out
}

// refused makes a request that must fail with want, with a Neutron error
// whose message contains words.
func (e *env) refused(want int, token, method, path, body, words string) {
	e.t.Helper()
	out := e.expect(want, token, method, path, body)
	ne, _ := out["NeutronError"].(map[string]any)
	if msg, _ := ne["message"].(string); !strings.Contains(msg, words) {
		e.t.Fatalf("%s %s %s: error %v lacks %q", method, path, body, out, words)
	}
}

// create POSTs a resource and returns it.
func (e *env) create(token, coll, member, body string) map[string]any {
	e.t.Helper()
	out := e.expect(http.StatusCreated, token, "POST", "/v2.0/"+coll, fmt.Sprintf(`{%q: %s}`, member, body))
	return out[member].(map[string]any)
}

// list returns the items of a list.
func (e *env) list(token, path string) []map[string]any {
	e.t.Helper()
	out := e.expect(http.StatusOK, token, "GET", path, "")
	coll := strings.ReplaceAll(strings.TrimPrefix(strings.SplitN(path, "?", 2)[0], "/v2.0/"), "-", "_")
	var items []map[string]any
	for _, it := range out[coll].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

// ids are the ids of a list's items.
func (e *env) ids(token, path string) []string {
	e.t.Helper()
	var out []string
	for _, it := range e.list(token, path) {
		out = append(out, it["id"].(string))
	}
	return out
}

// network makes a network with one subnet, as token.
func (e *env) network(token, name, cidr string, attrs ...string) (net, subnet string) {
	e.t.Helper()
	body := fmt.Sprintf(`{"name": %q%s}`, name, strings.Join(append([]string{""}, attrs...), ", "))
	net = e.create(token, "networks", "network", body)["id"].(string)
	subnet = e.create(token, "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": %q}`, net, cidr))["id"].(string)
	return net, subnet
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"", "/"} {
		out := e.expect(200, "", "GET", path, "")
		v := out["versions"].([]any)[0].(map[string]any)
		href := v["links"].([]any)[0].(map[string]any)["href"].(string)
		if v["id"] != "v2.0" || v["status"] != "CURRENT" || !strings.HasSuffix(href, "/network/v2.0/") {
			t.Fatalf("versions at %q: %v", path, out)
		}
	}
	if out := e.expect(200, "", "GET", "/v2.0", ""); len(out["resources"].([]any)) != 5 {
		t.Fatalf("v2.0: %v", out)
	}
	var aliases []string
	for _, x := range e.list("alice", "/v2.0/extensions") {
		aliases = append(aliases, x["alias"].(string))
	}
	for _, want := range []string{"security-group", "port-security", "standard-attr-description", "standard-attr-timestamp",
		"project-id", "binding", "net-mtu", "external-net", "standard-attr-tag"} {
		if !slices.Contains(aliases, want) {
			t.Fatalf("extensions %v lack %s", aliases, want)
		}
	}
	for _, absent := range []string{"router", "quotas", "allowed-address-pairs", "subnet_allocation", "provider"} {
		if slices.Contains(aliases, absent) {
			t.Fatalf("extensions claim %s", absent)
		}
	}
	if out := e.expect(200, "alice", "GET", "/v2.0/extensions/binding", ""); out["extension"].(map[string]any)["alias"] != "binding" {
		t.Fatalf("extension show: %v", out)
	}
	e.refused(404, "alice", "GET", "/v2.0/extensions/router", "", "router")
	e.refused(401, "", "GET", "/v2.0/networks", "", "authentication")
	e.refused(401, "nobody", "GET", "/v2.0/networks", "", "authentication")
	e.refused(404, "alice", "GET", "/v2.0/routers", "", "could not be found")
	e.refused(405, "alice", "PATCH", "/v2.0/networks", "", "not allowed")
	e.refused(405, "alice", "PUT", "/v2.0/security-group-rules/x", "{}", "not allowed")
}

func TestNetworkAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.create("alice", "networks", "network", `{"name": "net1", "description": "first", "tags": ["b", "a"]}`)
	id := n["id"].(string)
	for k, want := range map[string]any{"name": "net1", "description": "first", "tenant_id": "pa", "project_id": "pa",
		"admin_state_up": true, "shared": false, "router:external": false, "status": "ACTIVE", "mtu": float64(network.DefaultMTU),
		"port_security_enabled": true, "revision_number": float64(0)} {
		if n[k] != want {
			t.Fatalf("created network: %s is %v, want %v (%v)", k, n[k], want, n)
		}
	}
	if fmt.Sprint(n["tags"]) != "[a b]" || fmt.Sprint(n["subnets"]) != "[]" || !strings.HasSuffix(n["created_at"].(string), "Z") {
		t.Fatalf("created network: %v", n)
	}
	if _, ok := n["provider:segmentation_id"]; ok {
		t.Fatalf("a member sees the segment: %v", n)
	}
	sub := e.create("alice", "subnets", "subnet", fmt.Sprintf(`{"network_id": %q, "cidr": "10.0.0.0/24"}`, id))
	shown := e.expect(200, "alice", "GET", "/v2.0/networks/"+id, "")["network"].(map[string]any)
	if fmt.Sprint(shown["subnets"]) != fmt.Sprintf("[%s]", sub["id"]) {
		t.Fatalf("network show: %v", shown)
	}
	if a := e.expect(200, "admin", "GET", "/v2.0/networks/"+id, "")["network"].(map[string]any); a["provider:network_type"] != "vxlan" ||
		a["provider:segmentation_id"].(float64) < 1 {
		t.Fatalf("admin's view: %v", a)
	}
	// fields= selects attributes.
	if only := e.expect(200, "alice", "GET", "/v2.0/networks/"+id+"?fields=id&fields=name", "")["network"].(map[string]any); len(only) != 2 {
		t.Fatalf("fields: %v", only)
	}

	t.Run("update", func(t *testing.T) {
		e.t = t
		u := e.expect(200, "alice", "PUT", "/v2.0/networks/"+id,
			`{"network": {"name": "renamed", "description": "", "admin_state_up": false, "mtu": 1400, "port_security_enabled": false}}`)["network"].(map[string]any)
		if u["name"] != "renamed" || u["description"] != "" || u["admin_state_up"] != false || u["mtu"] != float64(1400) ||
			u["port_security_enabled"] != false || u["tags"] == nil {
			t.Fatalf("updated: %v", u)
		}
		for _, tc := range []struct{ name, body, words string }{
			{"unknown attribute", `{"network": {"nmae": "x"}}`, "Unrecognized attribute(s) 'nmae'"},
			{"read-only attribute", `{"network": {"status": "DOWN"}}`, "read-only attribute status"},
			{"create-only attribute", `{"network": {"project_id": "pb"}}`, "read-only attribute project_id"},
			{"mtu too large", `{"network": {"mtu": 9000}}`, "mtu"},
			{"mtu too small", `{"network": {"mtu": 10}}`, "mtu"},
			{"bad boolean", `{"network": {"admin_state_up": "maybe"}}`, "boolean"},
			{"wrong body", `{"subnet": {"name": "x"}}`, "Unable to find 'network'"},
			{"no body", ``, "body required"},
			{"unsupported", `{"network": {"qos_policy_id": "q"}}`, "QoS"},
		} {
			e.refused(400, "alice", "PUT", "/v2.0/networks/"+id, tc.body, tc.words)
		}
		e.refused(403, "alice", "PUT", "/v2.0/networks/"+id, `{"network": {"shared": true}}`, "policy")
		e.refused(403, "reader", "PUT", "/v2.0/networks/"+id, `{"network": {"name": "r"}}`, "member")
		e.refused(404, "bob", "PUT", "/v2.0/networks/"+id, `{"network": {"name": "b"}}`, "could not be found")
		if got := e.expect(200, "alice", "GET", "/v2.0/networks/"+id, "")["network"].(map[string]any); got["name"] != "renamed" ||
			got["shared"] != false || got["mtu"] != float64(1400) {
			t.Fatalf("refused updates changed the network: %v", got)
		}
	})

	t.Run("create refused", func(t *testing.T) {
		e.t = t
		before := e.ids("admin", "/v2.0/networks")
		for _, tc := range []struct {
			name, token, body string
			code              int
			words             string
		}{
			{"unknown attribute", "alice", `{"name": "x", "colour": "red"}`, 400, "Unrecognized attribute(s) 'colour'"},
			{"read-only attribute", "alice", `{"name": "x", "status": "ACTIVE"}`, 400, "'status' not allowed in POST"},
			{"id", "alice", `{"id": "abc"}`, 400, "'id' not allowed"},
			{"provider", "admin", `{"provider:network_type": "vlan"}`, 400, "provider"},
			{"bad mtu", "alice", `{"mtu": 0}`, 400, "mtu"},
			{"long name", "alice", fmt.Sprintf(`{"name": %q}`, strings.Repeat("n", 256)), 400, "maximum length of 255"},
			{"shared by a member", "alice", `{"shared": true}`, 403, "policy"},
			{"external by a member", "alice", `{"router:external": true}`, 403, "policy"},
			{"another project", "alice", `{"project_id": "pb"}`, 403, "policy"},
			{"project and tenant differ", "admin", `{"project_id": "pb", "tenant_id": "pa"}`, 400, "do not match"},
			{"reader", "reader", `{"name": "r"}`, 403, "member"},
			{"bulk", "alice", `[]`, 400, "network"},
		} {
			body := fmt.Sprintf(`{"network": %s}`, tc.body)
			if tc.name == "bulk" {
				body = `{"networks": [{"name": "a"}, {"name": "b"}]}`
			}
			e.refused(tc.code, tc.token, "POST", "/v2.0/networks", body, tc.words)
		}
		if after := e.ids("admin", "/v2.0/networks"); !slices.Equal(before, after) {
			t.Fatalf("refused creates changed the networks: %v, then %v", before, after)
		}
		// A member may name their own project; an admin any.
		if n := e.create("alice", "networks", "network", `{"name": "own", "tenant_id": "pa"}`); n["project_id"] != "pa" {
			t.Fatalf("own project: %v", n)
		}
		if n := e.create("admin", "networks", "network", `{"name": "for-bob", "project_id": "pb"}`); n["project_id"] != "pb" {
			t.Fatalf("admin for bob: %v", n)
		}
	})

	t.Run("tenancy", func(t *testing.T) {
		e.t = t
		shared := e.create("admin", "networks", "network", `{"name": "public", "shared": true}`)["id"].(string)
		bobs := e.ids("bob", "/v2.0/networks")
		if slices.Contains(bobs, id) || !slices.Contains(bobs, shared) {
			t.Fatalf("bob lists %v (alice's %s, shared %s)", bobs, id, shared)
		}
		e.refused(404, "bob", "GET", "/v2.0/networks/"+id, "", "could not be found")
		e.refused(404, "bob", "DELETE", "/v2.0/networks/"+id, "", "could not be found")
		e.refused(403, "bob", "PUT", "/v2.0/networks/"+shared, `{"network": {"name": "mine"}}`, "not permitted")
		e.refused(403, "bob", "DELETE", "/v2.0/networks/"+shared, "", "not permitted")
		if all := e.ids("admin", "/v2.0/networks"); !slices.Contains(all, id) || !slices.Contains(all, shared) {
			t.Fatalf("admin lists %v", all)
		}
		if got := e.ids("admin", "/v2.0/networks?tenant_id=pa&shared=false"); !slices.Contains(got, id) || slices.Contains(got, shared) {
			t.Fatalf("admin's filtered list: %v", got)
		}
		if got := e.ids("alice", "/v2.0/networks?shared=True"); !slices.Equal(got, []string{shared}) {
			t.Fatalf("shared=True: %v", got)
		}
		// Unsharing: refused while another project has a port on it.
		port := e.create("bob", "ports", "port", fmt.Sprintf(`{"network_id": %q}`, shared))["id"].(string)
		e.refused(409, "admin", "PUT", "/v2.0/networks/"+shared, `{"network": {"shared": false}}`, "Multiple tenants")
		e.expect(204, "bob", "DELETE", "/v2.0/ports/"+port, "")
		e.expect(200, "admin", "PUT", "/v2.0/networks/"+shared, `{"network": {"shared": false}}`)
		if slices.Contains(e.ids("bob", "/v2.0/networks"), shared) {
			t.Fatal("bob still sees the unshared network")
		}
	})

	t.Run("tags", func(t *testing.T) {
		e.t = t
		tags := "/v2.0/networks/" + id + "/tags"
		if out := e.expect(200, "alice", "PUT", tags, `{"tags": ["x", "y", "x"]}`); fmt.Sprint(out["tags"]) != "[x y]" {
			t.Fatalf("replace tags: %v", out)
		}
		e.expect(201, "alice", "PUT", tags+"/z", "")
		e.expect(204, "alice", "GET", tags+"/z", "")
		e.expect(204, "alice", "DELETE", tags+"/x", "")
		e.refused(404, "alice", "GET", tags+"/x", "", "Tag x")
		e.refused(404, "alice", "DELETE", tags+"/x", "", "Tag x")
		e.refused(403, "reader", "PUT", tags+"/r", "", "member")
		e.refused(404, "bob", "GET", tags, "", "could not be found")
		if got := e.ids("alice", "/v2.0/networks?tags=y,z"); !slices.Equal(got, []string{id}) {
			t.Fatalf("tags=y,z: %v", got)
		}
		if got := e.ids("alice", "/v2.0/networks?changed_since=2000-01-01T00:00:00&tags=y"); !slices.Equal(got, []string{id}) {
			t.Fatalf("changed_since: %v", got)
		}
		if got := e.ids("alice", "/v2.0/networks?changed_since=2999-01-01T00:00:00Z"); len(got) != 0 {
			t.Fatalf("changed_since the future: %v", got)
		}
		if got := e.ids("alice", "/v2.0/networks?not-tags-any=z"); slices.Contains(got, id) {
			t.Fatalf("not-tags-any=z: %v", got)
		}
		e.expect(204, "alice", "DELETE", tags, "")
		if out := e.expect(200, "alice", "GET", tags, ""); fmt.Sprint(out["tags"]) != "[]" {
			t.Fatalf("cleared tags: %v", out)
		}
	})

	t.Run("list", func(t *testing.T) {
		e.t = t
		for i := range 5 {
			e.create("bob", "networks", "network", fmt.Sprintf(`{"name": "n%d"}`, 4-i))
		}
		if got := e.list("bob", "/v2.0/networks?name=n1&name=n3"); len(got) != 2 {
			t.Fatalf("name=n1&name=n3: %v", got)
		}
		e.refused(400, "bob", "GET", "/v2.0/networks?colour=red", "", "colour")
		e.refused(400, "bob", "GET", "/v2.0/networks?sort_key=name&sort_dir=sideways", "", "sort_dir")
		e.refused(400, "bob", "GET", "/v2.0/networks?sort_key=subnets", "", "sort_keys")
		e.refused(400, "bob", "GET", "/v2.0/networks?sort_key=colour", "", "sort_keys")
		e.refused(400, "bob", "GET", "/v2.0/networks?limit=-1", "", "Limit")
		e.refused(404, "bob", "GET", "/v2.0/networks?limit=1&marker=nope", "", "Marker")
		var names []string
		path := "/v2.0/networks?sort_key=name&sort_dir=asc&limit=2&name=n0&name=n1&name=n2&name=n3&name=n4"
		for pages := 0; path != ""; pages++ {
			if pages > 3 {
				t.Fatal("pagination does not end")
			}
			out := e.expect(200, "bob", "GET", strings.TrimPrefix(path, e.url), "")
			for _, n := range out["networks"].([]any) {
				names = append(names, n.(map[string]any)["name"].(string))
			}
			path = ""
			links, _ := out["networks_links"].([]any)
			for _, l := range links {
				if l := l.(map[string]any); l["rel"] == "next" {
					path = l["href"].(string)
				}
			}
		}
		if fmt.Sprint(names) != "[n0 n1 n2 n3 n4]" {
			t.Fatalf("pages: %v", names)
		}
		all := e.list("bob", "/v2.0/networks?sort_key=name&name=n0&name=n1&name=n2&name=n3&name=n4")
		back := e.expect(200, "bob", "GET", fmt.Sprintf("/v2.0/networks?sort_key=name&limit=2&page_reverse=True&marker=%s", all[3]["id"]), "")
		if got := back["networks"].([]any); len(got) != 2 || got[0].(map[string]any)["name"] != "n1" || got[1].(map[string]any)["name"] != "n2" {
			t.Fatalf("the page before n3: %v", back)
		}
	})

	t.Run("delete", func(t *testing.T) {
		e.t = t
		e.refused(403, "reader", "DELETE", "/v2.0/networks/"+id, "", "member")
		e.expect(204, "alice", "DELETE", "/v2.0/networks/"+id, "")
		e.refused(404, "alice", "GET", "/v2.0/networks/"+id, "", "could not be found")
		// Its subnet went with it.
		e.refused(404, "alice", "GET", "/v2.0/subnets/"+sub["id"].(string), "", "could not be found")
		code, out := e.call("alice", "DELETE", "/v2.0/networks/"+id, "")
		if ne := out["NeutronError"].(map[string]any); code != 404 || ne["type"] != "NetworkNotFound" {
			t.Fatalf("delete again: %d %v", code, out)
		}
	})
}
