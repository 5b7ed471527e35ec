package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// member makes a project with a user holding the member role in it,
// through the identity API (quicker than three CLI runs), and returns
// the user's client environment.
func (d *daemon) newMember(t *testing.T, user, password string) []string {
	t.Helper()
	token := d.adminToken(t)
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, d.URL+"/identity/v3"+path, bytes.NewReader(b))
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, res.StatusCode, out)
		}
		return out
	}
	project := call("POST", "/projects", map[string]any{"project": map[string]any{"name": "proj-" + user, "domain_id": "default"}})
	pid := project["project"].(map[string]any)["id"].(string)
	u := call("POST", "/users", map[string]any{"user": map[string]any{"name": user, "password": password,
		"domain_id": "default", "default_project_id": pid}})
	uid := u["user"].(map[string]any)["id"].(string)
	var rid string
	for _, r := range call("GET", "/roles", nil)["roles"].([]any) {
		if r := r.(map[string]any); r["name"] == "member" {
			rid = r["id"].(string)
		}
	}
	call("PUT", fmt.Sprintf("/projects/%s/users/%s/roles/%s", pid, uid, rid), nil)
	return d.osEnv(user, password, "proj-"+user)
}

// cliRun is one CLI run of a batch: it must succeed, or, with fails
// set, fail with fails in its output.
type cliRun struct {
	c     cli
	args  []string
	fails string
	out   string
}

// later is a run of c for runAll.
func (c cli) later(args ...string) *cliRun { return &cliRun{c: c, args: args} }

// laterFails is a run of c for runAll that must fail with words.
func (c cli) laterFails(words string, args ...string) *cliRun {
	return &cliRun{c: c, args: args, fails: words}
}

// runAll runs steps at once (each CLI run is mostly Python starting up)
// and checks them.
func runAll(t *testing.T, steps ...*cliRun) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(steps))
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.out, errs[i] = s.c.run(s.args...)
		}()
	}
	wg.Wait()
	for i, s := range steps {
		switch {
		case s.fails == "" && errs[i] != nil:
			t.Fatalf("openstack %s: %v\n%s", strings.Join(s.args, " "), errs[i], s.out)
		case s.fails != "" && errs[i] == nil:
			t.Fatalf("openstack %s succeeded, want a failure with %q:\n%s", strings.Join(s.args, " "), s.fails, s.out)
		case s.fails != "" && !strings.Contains(s.out, s.fails):
			t.Fatalf("openstack %s failed without %q:\n%s", strings.Join(s.args, " "), s.fails, s.out)
		}
	}
}

// obj decodes a run's -f json output of one object.
func (s *cliRun) obj(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s.out), &v); err != nil {
		t.Fatalf("openstack %s: %v\n%s", strings.Join(s.args, " "), err, s.out)
	}
	return v
}

// objs decodes a run's -f json output of a list.
func (s *cliRun) objs(t *testing.T) []map[string]any {
	t.Helper()
	var v []map[string]any
	if err := json.Unmarshal([]byte(s.out), &v); err != nil {
		t.Fatalf("openstack %s: %v\n%s", strings.Join(s.args, " "), err, s.out)
	}
	return v
}

// TestNeutron drives the embedded network service with the real
// openstackclient: a member of a new project makes a network, a subnet,
// a security group with a rule and a port, shows, lists, changes and
// deletes them; another project sees none of it; the admin sees it all;
// bad input fails with its reason and changes nothing.
func TestNeutron(t *testing.T) {
	requireDocker(t, "")
	osBin := lookClient(t, "openstack")
	d := startZund(t, "", "--no-compute") // no containers here: the API alone
	admin := cli{t, osBin, d.osEnv("admin", adminPassword, "admin")}
	carol := cli{t, osBin, d.newMember(t, "carol", "carol-pw")}
	dave := cli{t, osBin, d.newMember(t, "dave", "dave-pw")}

	// Make.
	net := carol.later("network", "create", "--description", "e2e network", "e2e-net", "-f", "json")
	sg := carol.later("security", "group", "create", "--description", "web servers", "e2e-sg", "-f", "json")
	runAll(t, net, sg)
	n, g := net.obj(t), sg.obj(t)
	netID, sgID := n["id"].(string), g["id"].(string)
	if n["status"] != "ACTIVE" || n["mtu"] != float64(1450) || n["shared"] != false || n["port_security_enabled"] != true ||
		n["description"] != "e2e network" {
		t.Fatalf("network create: %v", n)
	}
	sub := carol.later("subnet", "create", "--network", "e2e-net", "--subnet-range", "10.77.0.0/24",
		"--dns-nameserver", "9.9.9.9", "e2e-sub", "-f", "json")
	rule := carol.later("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "8080", "e2e-sg", "-f", "json")
	runAll(t, sub, rule)
	s, r := sub.obj(t), rule.obj(t)
	if s["gateway_ip"] != "10.77.0.1" || s["cidr"] != "10.77.0.0/24" || fmt.Sprint(s["dns_nameservers"]) != "[9.9.9.9]" {
		t.Fatalf("subnet create: %v", s)
	}
	if r["protocol"] != "tcp" || r["port_range_min"] != float64(8080) || r["security_group_id"] != sgID {
		t.Fatalf("rule create: %v", r)
	}
	port := carol.later("port", "create", "--network", "e2e-net", "--fixed-ip", "subnet=e2e-sub,ip-address=10.77.0.20",
		"--security-group", "e2e-sg", "e2e-port", "-f", "json")
	runAll(t, port)
	p := port.obj(t)
	portID := p["id"].(string)
	if fmt.Sprint(p["fixed_ips"]) != fmt.Sprintf("[map[ip_address:10.77.0.20 subnet_id:%s]]", s["id"]) ||
		fmt.Sprint(p["security_group_ids"]) != fmt.Sprintf("[%s]", sgID) || p["status"] != "DOWN" {
		t.Fatalf("port create: %v", p)
	}

	// Change.
	runAll(t,
		carol.later("network", "set", "--name", "e2e-net2", "--description", "changed", "e2e-net"),
		carol.later("subnet", "set", "--name", "e2e-sub2", "--dns-nameserver", "1.1.1.1", "e2e-sub"),
		carol.later("port", "set", "--name", "e2e-port2", "--description", "the port", "e2e-port"),
		carol.later("security", "group", "set", "--name", "e2e-sg2", "--description", "www", "e2e-sg"))

	// Look; another project; the admin; bad input.
	nets := carol.later("network", "list", "-f", "json")
	subShow := carol.later("subnet", "show", "e2e-sub2", "-f", "json")
	portShow := carol.later("port", "show", "e2e-port2", "-f", "json")
	rules := carol.later("security", "group", "rule", "list", "e2e-sg2", "-f", "json")
	daveNets := dave.later("network", "list", "-f", "json")
	adminNet := admin.later("network", "show", netID, "-f", "json")
	runAll(t, nets, subShow, portShow, rules, daveNets, adminNet,
		dave.laterFails("No Port found", "port", "show", portID),
		carol.laterFails("overlaps", "subnet", "create", "--network", "e2e-net2", "--subnet-range", "10.77.0.128/25", "bad"),
		carol.laterFails("already allocated", "port", "create", "--network", "e2e-net2", "--fixed-ip", "ip-address=10.77.0.20", "bad"),
		carol.laterFails("protocol", "security", "group", "rule", "create", "--protocol", "bogus", "e2e-sg2"),
		carol.laterFails("ports still in use", "network", "delete", "e2e-net2"),
		carol.laterFails("disallowed by policy", "network", "create", "--share", "bad"),
		carol.laterFails("not supported", "port", "set", "--fixed-ip", "ip-address=10.77.0.21", "e2e-port2"))
	var listed bool
	for _, x := range nets.objs(t) {
		if x["ID"] == netID {
			listed = x["Name"] == "e2e-net2" && fmt.Sprint(x["Subnets"]) == fmt.Sprintf("[%s]", s["id"])
		}
	}
	if !listed {
		t.Fatalf("network list:\n%s", nets.out)
	}
	if s := subShow.obj(t); s["name"] != "e2e-sub2" || fmt.Sprint(s["dns_nameservers"]) != "[1.1.1.1 9.9.9.9]" {
		t.Fatalf("subnet show: %v", s)
	}
	if p := portShow.obj(t); p["description"] != "the port" || fmt.Sprint(p["fixed_ips"]) != fmt.Sprint(port.obj(t)["fixed_ips"]) {
		t.Fatalf("port show: %v", p)
	}
	if !strings.Contains(rules.out, `"Port Range": "8080:8080"`) {
		t.Fatalf("rule list:\n%s", rules.out)
	}
	if strings.Contains(daveNets.out, netID) {
		t.Fatalf("another project lists the network:\n%s", daveNets.out)
	}
	if a := adminNet.obj(t); a["provider:network_type"] != "vxlan" || a["name"] != "e2e-net2" || a["description"] != "changed" {
		t.Fatalf("admin's network show: %v", a)
	}

	// Delete, in the order the references allow.
	runAll(t, carol.later("security", "group", "rule", "delete", r["id"].(string)), carol.later("port", "delete", "e2e-port2"))
	runAll(t, carol.later("subnet", "delete", "e2e-sub2"), carol.later("security", "group", "delete", "e2e-sg2"))
	runAll(t, carol.later("network", "delete", "e2e-net2"))
	groups := carol.later("security", "group", "list", "-f", "json")
	nets = carol.later("network", "list", "-f", "json")
	runAll(t, groups, nets)
	if len(nets.objs(t)) != 0 {
		t.Fatalf("networks after the deletes: %s", nets.out)
	}
	if g := groups.objs(t); len(g) != 1 || g[0]["Name"] != "default" {
		t.Fatalf("security groups after the deletes: %s", groups.out)
	}
}
