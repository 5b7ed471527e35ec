package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
)

// underlay joins the network namespaces of engines to the root namespace
// over a bridge: the hosts' tunnel IPs are 10.251.N.(10+i), the root's
// 10.251.N.1.
type underlay struct {
	bridge string
	root   string
	ips    []string
}

func newUnderlay(t *testing.T, engines []*engine) *underlay {
	t.Helper()
	n := os.Getpid() % 200
	u := &underlay{bridge: fmt.Sprintf("ztu%d", os.Getpid()%100000), root: fmt.Sprintf("10.251.%d.1", n)}
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	sh("ip", "link", "add", u.bridge, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", u.bridge).Run() })
	sh("ip", "addr", "add", u.root+"/24", "dev", u.bridge)
	sh("ip", "link", "set", u.bridge, "up")
	// Docker's FORWARD policy in the root namespace would drop what the
	// underlay bridge forwards between the hosts.
	_ = exec.Command("iptables", "-I", "FORWARD", "1", "-i", u.bridge, "-o", u.bridge, "-j", "ACCEPT").Run()
	t.Cleanup(func() {
		_ = exec.Command("iptables", "-D", "FORWARD", "-i", u.bridge, "-o", u.bridge, "-j", "ACCEPT").Run()
	})
	for i, e := range engines {
		ip := fmt.Sprintf("10.251.%d.%d", n, 10+i)
		veth := fmt.Sprintf("%sh%d", u.bridge, i)
		sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "ul0", "netns", e.netns)
		sh("ip", "link", "set", veth, "master", u.bridge, "up")
		in := []string{"nsenter", "--net=/var/run/netns/" + e.netns}
		sh(append(in, "ip", "addr", "add", ip+"/24", "dev", "ul0")...)
		sh(append(in, "ip", "link", "set", "ul0", "up")...)
		u.ips = append(u.ips, ip)
	}
	return u
}

// proxy forwards TCP from addr to target, so that agents in other
// namespaces reach a daemon listening on the root's loopback.
func proxy(t *testing.T, addr, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { defer wg.Done(); _, _ = io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
				_, _ = io.Copy(c, up)
				wg.Wait()
			}()
		}
	}()
	return ln.Addr().String()
}

// startNetAgent starts a compute agent inside engine e's network
// namespace, with the data plane on, reaching the control plane at cpURL.
func startNetAgent(t *testing.T, d *daemon, name string, e *engine, cpURL, ip string) *agentProc {
	t.Helper()
	zund, _ := binaries(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a := &agentProc{t: t, name: name, docker: e.host, logf: filepath.Join(t.TempDir(), name+".log"), dataDir: dataDir(t)}
	a.args = []string{"--net=/var/run/netns/" + e.netns, zund, "--agent", "--host", name, "--control-plane", cpURL,
		"--internal-token-file", filepath.Join(d.DataDir, "internal-token"),
		"--agent-listen", fmt.Sprintf("%s:%d", ip, port), "--docker-host", e.host, "--data-dir", a.dataDir,
		"--heartbeat-interval", "300ms", "--sync-interval", "1s", "--tunnel-ip", ip}
	a.bin = "nsenter"
	a.start()
	t.Cleanup(func() { a.stop(syscall.SIGTERM) })
	return a
}

// TestTenantNetworks: containers on tenant networks, on two hosts (each
// its own network namespace, engine and agent, joined by an underlay),
// with real packets: the same network reaches across hosts over VXLAN;
// security groups deny by default and a rule added to a live container's
// group lets traffic in within seconds; another project's network with the
// same addresses stays apart; a second network attached and detached;
// addresses go back when containers go.
func TestTenantNetworks(t *testing.T) {
	requireDocker(t, "")
	osBin, zunBin := lookClient(t, "openstack"), lookClient(t, "zun")
	engines := startEngines(t, 2)
	u := newUnderlay(t, engines)
	d := startZund(t, "", "--no-compute", "--host-down-after", "3s")
	cp := "http://" + proxy(t, u.root+":0", d.listen)
	for i, e := range engines {
		startNetAgent(t, d, fmt.Sprintf("tn-%d", i), e, cp, u.ips[i])
	}
	admin := cli{t, zunBin, d.osEnv("admin", adminPassword, "admin")}
	osc := cli{t, osBin, admin.env}
	osc.must("project", "create", "--domain", "default", "proj-bob")
	osc.must("user", "create", "--domain", "default", "--project", "proj-bob", "--password", "bob-pw", "bob")
	osc.must("role", "add", "--project", "proj-bob", "--user", "bob", "member")
	bob := cli{t, zunBin, d.osEnv("bob", "bob-pw", "proj-bob")}

	run := func(c cli, args ...string) {
		t.Helper()
		c.must(append([]string{"run"}, args...)...)
	}
	// The checks go through the Go client and the engines' API: the
	// clients are what the test drives, the packets what it checks.
	clients := map[string]*api.Client{"admin": apiClient(t, d)}
	bobClient, err := api.NewClient(api.Config{Endpoint: d.URL + "/v1", Auth: d.login("bob", "bob-pw", "proj-bob")})
	if err != nil {
		t.Fatal(err)
	}
	clients["bob"] = bobClient
	who := func(c cli) *api.Client {
		if strings.Contains(strings.Join(c.env, "\n"), "OS_USERNAME=bob") {
			return clients["bob"]
		}
		return clients["admin"]
	}
	show := func(c cli, name string) *api.Container {
		t.Helper()
		ct, err := who(c).GetContainer(context.Background(), name)
		if err != nil {
			t.Fatalf("show %s: %v", name, err)
		}
		return ct
	}
	addr := func(c cli, name string) string {
		t.Helper()
		for _, as := range show(c, name).Addresses {
			return as[0].Addr
		}
		t.Fatalf("%s has no address", name)
		return ""
	}
	wait := func(c cli, name string) {
		t.Helper()
		waitStatus(t, who(c), show(c, name).UUID, "Running")
	}
	// exec runs cmd in container name (of c's project) through the engine
	// of its host (found by its label: callers do not see hosts) and
	// returns the output.
	exec := func(c cli, name string, cmd ...string) string {
		t.Helper()
		uuid := show(c, name).UUID
		for _, e := range engines {
			if out, ok := engineExec(t, e.host, uuid, cmd...); ok {
				return out
			}
		}
		t.Fatalf("no engine runs %s (%s)", name, uuid)
		return ""
	}
	// reach says whether from reaches ip with a ping.
	reach := func(c cli, from, ip string) bool {
		return strings.Contains(exec(c, from, "ping", "-c", "1", "-W", "1", ip), "1 packets received")
	}
	eventually := func(what string, want bool, probe func() bool) {
		t.Helper()
		if !poll(15*time.Second, func() bool { return probe() == want }) {
			t.Fatalf("%s: still %v after 15s", what, !want)
		}
	}

	run(admin, "--name", "a1", "--host", "tn-0", demoimage.Ref, "sleep", "3600")
	run(admin, "--name", "a2", "--host", "tn-0", demoimage.Ref, "sleep", "3600")
	run(admin, "--name", "a3", "--host", "tn-1", demoimage.Ref, "sleep", "3600")
	for _, n := range []string{"a1", "a2", "a3"} {
		wait(admin, n)
	}
	a2, a3 := addr(admin, "a2"), addr(admin, "a3")
	eventually("a1 → a2 (same host, default group)", true, func() bool { return reach(admin, "a1", a2) })
	eventually("a1 → a3 (across hosts over VXLAN)", true, func() bool { return reach(admin, "a1", a3) })

	// A capsule on one host and a container on the other reach each
	// other over VXLAN, both ways: the capsule's address is its
	// namespace's, shared by its containers.
	capsuleAcrossHosts(t, clients["admin"], engines, map[string]string{"tn-0": "a1", "tn-1": "a3"},
		func(name, ip string) bool { return reach(admin, name, ip) })

	// A group of its own with no ingress rule: nothing gets in, until a
	// rule lets it, on the running container.
	osc.must("security", "group", "create", "locked")
	run(admin, "--name", "a4", "--host", "tn-1", "--security-group", "locked", demoimage.Ref,
		"sh", "-c", "while true; do echo hello-from-a4 | nc -l -p 8080; done")
	wait(admin, "a4")
	a4 := addr(admin, "a4")
	time.Sleep(3 * time.Second) // a data plane period
	if reach(admin, "a1", a4) {
		t.Fatal("a1 pings a4, whose group lets nothing in")
	}
	tcp := func() bool { return strings.Contains(exec(admin, "a1", "nc", "-w", "2", a4, "8080"), "hello-from-a4") }
	if tcp() {
		t.Fatal("a1 reaches a4:8080, whose group lets nothing in")
	}
	osc.must("security", "group", "rule", "create", "--ingress", "--protocol", "tcp", "--dst-port", "8080", "locked")
	eventually("a1 → a4:8080 after the tcp rule", true, tcp)
	if reach(admin, "a1", a4) {
		t.Fatal("a tcp rule let ping through")
	}
	osc.must("security", "group", "rule", "create", "--ingress", "--protocol", "icmp", "locked")
	eventually("a1 → a4 after the icmp rule", true, func() bool { return reach(admin, "a1", a4) })

	// Exposed ports are open to anyone on the network, and nothing else.
	run(admin, "--name", "a6", "--host", "tn-0", "--expose-port", "8080/tcp", demoimage.Ref,
		"sh", "-c", "while true; do echo hello-from-a6 | nc -l -p 8080; done")
	wait(admin, "a6")
	a6 := addr(admin, "a6")
	eventually("a3 → a6:8080 (exposed)", true, func() bool {
		return strings.Contains(exec(admin, "a3", "nc", "-w", "2", a6, "8080"), "hello-from-a6")
	})
	if reach(admin, "a3", a6) {
		t.Fatal("a3 pings a6, which exposes only 8080/tcp")
	}

	// Before 1.15, groups go on and off a running container.
	// (python-zunclient reports their failures but exits 0.)
	old := []string{"--zun-api-version", "1.14"}
	if out := admin.must(append(old, "add-security-group", "a2", "locked")...); strings.Contains(out, "failed") {
		t.Fatalf("add-security-group:\n%s", out)
	}
	if out := admin.must(append(old, "add-security-group", "a2", "locked")...); !strings.Contains(out, "HTTP 400") {
		t.Fatalf("the same group added twice:\n%s", out)
	}
	if out := admin.must(append(old, "remove-security-group", "a2", "locked")...); strings.Contains(out, "failed") {
		t.Fatalf("remove-security-group:\n%s", out)
	}
	if out := admin.must(append(old, "remove-security-group", "a2", "locked")...); !strings.Contains(out, "HTTP 400") {
		t.Fatalf("a group removed that is not applied:\n%s", out)
	}

	// Another project's default network has the same range (10.16.0.0/24)
	// and stays apart.
	run(bob, "--name", "b1", demoimage.Ref, "sleep", "3600")
	wait(bob, "b1")
	time.Sleep(3 * time.Second)
	for _, ip := range []string{a2, a3} {
		if reach(bob, "b1", ip) {
			t.Fatalf("bob's b1 reaches %s of another project", ip)
		}
	}

	// A second network, attached to a running container and detached.
	osc.must("network", "create", "second")
	osc.must("subnet", "create", "--network", "second", "--subnet-range", "192.168.77.0/24", "second-subnet")
	run(admin, "--name", "a5", "--host", "tn-1", "--net", "network=second", demoimage.Ref, "sleep", "3600")
	wait(admin, "a5")
	a5 := addr(admin, "a5")
	if !strings.HasPrefix(a5, "192.168.77.") {
		t.Fatalf("a5 on the second network has %s", a5)
	}
	if reach(admin, "a1", a5) {
		t.Fatal("a1 reaches a5 on another network")
	}
	admin.must("network-attach", "--network", "second", "a1")
	eventually("a1 → a5 once attached to the second network", true, func() bool { return reach(admin, "a1", a5) })
	if out := admin.must("network-list", "a1"); strings.Count(out, "192.168.77.") != 1 {
		t.Fatalf("network-list a1:\n%s", out)
	}
	admin.must("network-detach", "--network", "second", "a1")
	eventually("a1 → a5 after the detach", false, func() bool { return reach(admin, "a1", a5) })
	// At rest on their networks (one attached and detached again), with
	// the data planes applying their hosts' config every 2 s, nothing is
	// written: the store's revision stays put for 6 s once settled.
	quietSince := d.revision(t)
	if !poll(30*time.Second, func() bool {
		time.Sleep(6 * time.Second)
		now := d.revision(t)
		quiet := now == quietSince
		quietSince = now
		return quiet
	}) {
		t.Fatalf("the store is written to with every container at rest: %v", d.changedSince(t, quietSince-1))
	}

	// Bad input changes nothing (one through the CLI, the rest through the
	// Go client: the API's answer is what counts).
	if out, err := admin.run("run", "--net", "network=nowhere", demoimage.Ref, "true"); err == nil {
		t.Errorf("a run on an unknown network was accepted:\n%s", out)
	}
	for _, req := range []api.CreateContainer{
		{Nets: []api.Network{{Network: "second", V4FixedIP: "10.99.0.5"}}},
		{Nets: []api.Network{{Network: "second", V4FixedIP: a5}}},
		{SecurityGroups: []string{"no-such-group"}},
	} {
		req.Image, req.Command = demoimage.Ref, []string{"true"}
		if ct, err := clients["admin"].CreateContainer(context.Background(), req, true); err == nil {
			t.Errorf("%+v accepted: %s", req, ct.UUID)
		}
	}
	if out, err := osc.run("network", "delete", "second"); err == nil {
		t.Fatalf("deleted a network in use:\n%s", out)
	}

	// Deleting containers gives their addresses back.
	admin.must("delete", "--stop", "a1")
	for _, n := range []string{"a2", "a3", "a4", "a5", "a6"} {
		if err := clients["admin"].DeleteContainer(context.Background(), n, api.DeleteOptions{Stop: true}); err != nil {
			t.Fatalf("delete %s: %v", n, err)
		}
	}
	if !poll(30*time.Second, func() bool {
		out := osc.must("port", "list", "--project", "admin", "-f", "value", "-c", "ID")
		return strings.TrimSpace(out) == ""
	}) {
		t.Fatalf("ports left after the containers went:\n%s", osc.must("port", "list", "--project", "admin"))
	}
	osc.must("network", "delete", "second")
}

// engineExec runs cmd in the runtime container of Zun container uuid on
// the engine at dockerHost and returns its output; false when that
// engine does not have it.
func engineExec(t *testing.T, dockerHost, uuid string, cmd ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := client.NewClientWithOpts(client.WithHost(dockerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", driver.LabelUUID+"="+uuid))})
	if err != nil {
		t.Fatalf("runtime container of %s: %v", uuid, err)
	}
	if len(list) == 0 {
		return "", false
	}
	ex, err := cli.ContainerExecCreate(ctx, list[0].ID, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	var out strings.Builder
	_, _ = stdcopy.StdCopy(&out, &out, att.Reader)
	return out.String(), true
}

// capsuleAcrossHosts runs a capsule whose server answers on its exposed
// port 8080, then checks that the container on the other host (on, by
// host name) reaches that port over VXLAN and nothing else (the
// capsule's group lets only its exposed ports in), and that the
// capsule's other container reaches its server on localhost. reach pings ip from a container by name.
func capsuleAcrossHosts(t *testing.T, c *api.Client, engines []*engine, on map[string]string, reach func(name, ip string) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	server := podShell("server", "while true; do echo hello-from-capsule | nc -l -p 8080; done")
	server["ports"] = []map[string]any{{"name": "http", "containerPort": 8080, "protocol": "TCP"}}
	tmpl := runtimeTemplate("across", "Always", nil, []map[string]any{server, podShell("client", "sleep 3600")})
	k, err := c.CreateCapsule(ctx, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if k, err = c.WaitCapsule(ctx, k.UUID, api.WaitOptions{}, "Running"); err != nil {
		t.Fatalf("capsule across: %v", err)
	}
	other := ""
	for h, name := range on {
		if h != k.Host {
			other = name
		}
	}
	if other == "" || len(k.Addresses) == 0 {
		t.Fatalf("capsule on host %q with addresses %v: no container on another host to try", k.Host, k.Addresses)
	}
	ip := k.Addresses[firstKey(k.Addresses)][0].Addr
	memberExec := func(name string, cmd ...string) string {
		t.Helper()
		for _, m := range k.Containers {
			if !strings.HasSuffix(m.Name, "-"+name) {
				continue
			}
			for _, e := range engines {
				if out, ok := engineExec(t, e.host, m.UUID, cmd...); ok {
					return out
				}
			}
		}
		t.Fatalf("no engine runs the capsule's %s", name)
		return ""
	}
	far := mustGet(t, c, other)
	if !poll(15*time.Second, func() bool {
		for _, e := range engines {
			if out, ok := engineExec(t, e.host, far.UUID, "nc", "-w", "2", ip, "8080"); ok {
				return strings.Contains(out, "hello-from-capsule")
			}
		}
		return false
	}) {
		t.Fatalf("%s does not reach the capsule's exposed port %s:8080 on the other host", other, ip)
	}
	if reach(other, ip) {
		t.Fatalf("%s pings the capsule, which exposes only 8080/tcp", other)
	}
	if out := memberExec("client", "nc", "-w", "2", "127.0.0.1", "8080"); !strings.Contains(out, "hello-from-capsule") {
		t.Fatalf("the capsule's client does not reach its server on localhost:\n%s", out)
	}
	if err := c.DeleteCapsule(ctx, k.UUID); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitCapsuleGone(ctx, k.UUID, api.WaitOptions{}); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, c *api.Client, ident string) *api.Container {
	t.Helper()
	ct, err := c.GetContainer(context.Background(), ident)
	if err != nil {
		t.Fatalf("show %s: %v", ident, err)
	}
	return ct
}
