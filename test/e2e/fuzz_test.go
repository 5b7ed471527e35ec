package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/identity"
	"github.com/zun-go/zun/network"
	"github.com/zun-go/zun/volume"
)

// TestHTTPFuzz sends thousands of mutated requests to every route of the
// built zund (the container API and the embedded identity, network,
// volume and image services, enumerated from their own route tables) as
// the admin, a member, a member of another project, nobody and a forged
// token. It asserts that no request gets a 5xx (but 501, counted and
// listed), that zund logs no panic, and that no refused request (4xx)
// moves the embedded etcd's revision: a refusal writes nothing.
//
// It runs without a compute agent (--no-compute), so no runtime is
// needed and nothing but requests writes to the store; containers end
// in Error ("no valid host") and their actions are refused by state.
//
// The run is seeded: ZUN_FUZZ_SEED=n replays one, ZUN_FUZZ_REQUESTS=n
// changes its length (default 6000).
func TestHTTPFuzz(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tier skipped in -short mode")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ZUN_FUZZ_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("ZUN_FUZZ_SEED: %v", err)
		}
	}
	n := 6000
	if s := os.Getenv("ZUN_FUZZ_REQUESTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	t.Logf("fuzz seed %d (replay: ZUN_FUZZ_SEED=%d go test ./test/e2e -run 'TestHTTPFuzz$')", seed, seed)

	d := startZund(t, "", "--no-compute")
	fz := newFuzzer(t, d, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
	start := time.Now()
	done := 0
	for ; done < n && !t.Failed(); done++ {
		fz.one(done)
	}
	elapsed := time.Since(start)

	log, _ := os.ReadFile(filepath.Join(d.DataDir, "zund.log"))
	for _, bad := range []string{"panic:", "http: panic serving", "fatal error:"} {
		if i := bytes.Index(log, []byte(bad)); i >= 0 {
			t.Errorf("zund logged %q (seed %d):\n%s", bad, seed, log[i:min(len(log), i+3000)])
		}
	}
	if res, err := http.Get(d.URL + "/"); err != nil || res.StatusCode != 200 {
		t.Errorf("zund no longer answers after the run: %v", err)
	} else {
		res.Body.Close()
	}
	var classes []string
	for c, k := range fz.byClass {
		classes = append(classes, fmt.Sprintf("%dxx:%d", c, k))
	}
	slices.Sort(classes)
	t.Logf("%d requests over %d routes in %v (%s); %d refusals checked against the store's revision, %d accepted writes; %v waiting for the store to settle after them",
		done, len(fz.routes), elapsed.Round(time.Millisecond), strings.Join(classes, " "), fz.checked, fz.accepted, fz.settling.Round(time.Millisecond))
	for r, k := range fz.notImplemented {
		t.Logf("501 (documented as not offered) %dx: %s", k, r)
	}
	if t.Failed() {
		t.Logf("replay: ZUN_FUZZ_SEED=%d ZUN_FUZZ_REQUESTS=%d go test ./test/e2e -run 'TestHTTPFuzz$'", seed, n)
	}
}

// fuzzRoute is a route of one of zund's route tables, with the prefix
// its service is mounted at.
type fuzzRoute struct {
	svc, method, path string // path with {placeholders}
}

// fuzzRoutes are every route zund serves, from the services' own tables,
// so that a route added later is fuzzed without a change here.
func fuzzRoutes() []fuzzRoute {
	var out []fuzzRoute
	add := func(svc, prefix string, patterns []string) {
		for _, p := range patterns {
			method, path, _ := strings.Cut(p, " ")
			path = strings.TrimSuffix(strings.ReplaceAll(path, "{$}", ""), "/")
			out = append(out, fuzzRoute{svc, method, prefix + path})
		}
	}
	add("container", "", apiserver.New(apiserver.DefaultConfig(), apiserver.Deps{}).Routes())
	add("identity", "/identity", identity.NewHandler(nil, identity.HandlerOptions{}).Routes())
	add("network", "/network", network.NewHandler(nil, nil, network.HandlerOptions{}).Routes())
	add("volume", "/volume", volume.NewHandler(nil, nil, volume.HandlerOptions{}).Routes())
	add("image", "/image", glance.NewHandler(nil, nil, glance.HandlerOptions{}).Routes())
	return out
}

// fuzzer holds the run's state: the daemon, callers, the objects the
// requests aim at, and counts.
type fuzzer struct {
	t      *testing.T
	d      *daemon
	rnd    *rand.Rand
	routes []fuzzRoute
	// tokens of the callers: admin, member (project fz), other (a member
	// of project fzo), and the victim's, only ever a subject.
	admin, member, other, victim string
	// ids the placeholders take, by "service:collection" (the path
	// segment before the placeholder).
	ids map[string]string
	// remake recreates the object of a key after a request deleted it.
	remake map[string]func() string

	byClass        map[int]int
	notImplemented map[string]int
	checked        int
	accepted       int
	settling       time.Duration // spent waiting for the store to settle
}

func newFuzzer(t *testing.T, d *daemon, rnd *rand.Rand) *fuzzer {
	fz := &fuzzer{t: t, d: d, rnd: rnd, routes: fuzzRoutes(), admin: d.adminToken(t),
		ids: map[string]string{}, remake: map[string]func() string{}, byClass: map[int]int{}, notImplemented: map[string]int{}}

	// Projects and users: fz (the member's), fzo (another project's
	// member), and a victim user, project and role that the identity
	// routes aim at, so that no fuzzed request locks the callers out.
	must := func(want int, token, method, path, body string) map[string]any {
		t.Helper()
		code, out := fz.call(token, method, path, body)
		if code != want {
			t.Fatalf("fixture %s %s: %d %v", method, path, code, out)
		}
		return out
	}
	idOf := func(out map[string]any, member string) string {
		if member != "" {
			out, _ = out[member].(map[string]any)
		}
		id, _ := out["id"].(string)
		if id == "" {
			id, _ = out["uuid"].(string)
		}
		return id
	}
	roles := must(200, fz.admin, "GET", "/identity/v3/roles?name=member", "")["roles"].([]any)
	memberRole := roles[0].(map[string]any)["id"].(string)
	user := func(name, project string) string {
		pid := idOf(must(201, fz.admin, "POST", "/identity/v3/projects", fmt.Sprintf(`{"project": {"name": %q, "domain_id": "default"}}`, project)), "project")
		uid := idOf(must(201, fz.admin, "POST", "/identity/v3/users", fmt.Sprintf(`{"user": {"name": %q, "password": "fuzz-pw", "domain_id": "default"}}`, name)), "user")
		must(204, fz.admin, "PUT", fmt.Sprintf("/identity/v3/projects/%s/users/%s/roles/%s", pid, uid, memberRole), "")
		fz.ids["identity:projects"], fz.ids["identity:users"] = pid, uid
		return pid
	}
	fzProject := user("fz", "fz")
	fz.member = d.tokenOf(t, "fz", "fuzz-pw", "fz")
	user("fzo", "fzo")
	fz.other = d.tokenOf(t, "fzo", "fuzz-pw", "fzo")
	user("fzv", "fzv")
	fz.victim = d.tokenOf(t, "fzv", "fuzz-pw", "fzv")
	fz.remake["identity:projects"] = func() string {
		name := fmt.Sprintf("fzv%d", fz.rnd.IntN(1e9))
		user(name, name)
		return fz.ids["identity:projects"]
	}
	fz.ids["identity:domains"] = "default"
	fz.remake["identity:roles"] = func() string {
		return idOf(must(201, fz.admin, "POST", "/identity/v3/roles", fmt.Sprintf(`{"role": {"name": "fzrole%d"}}`, fz.rnd.IntN(1e9))), "role")
	}
	fz.remake["identity:users"] = fz.remake["identity:projects"]

	// The member's objects in each service.
	mk := func(key, path, member, body string, status int) {
		fz.remake[key] = func() string { return idOf(must(status, fz.member, "POST", path, body), member) }
	}
	mk("network:networks", "/network/v2.0/networks", "network", `{"network": {"name": "fzn"}}`, 201)
	fz.ids["network:networks"] = fz.remake["network:networks"]()
	fz.remake["network:subnets"] = func() string {
		cidr := fmt.Sprintf("10.%d.%d.0/24", 100+fz.rnd.IntN(100), fz.rnd.IntN(250))
		return idOf(must(201, fz.member, "POST", "/network/v2.0/subnets", fmt.Sprintf(`{"subnet": {"network_id": %q, "cidr": %q}}`, fz.id("network:networks"), cidr)), "subnet")
	}
	fz.remake["network:ports"] = func() string {
		return idOf(must(201, fz.member, "POST", "/network/v2.0/ports", fmt.Sprintf(`{"port": {"network_id": %q}}`, fz.id("network:networks"))), "port")
	}
	mk("network:security-groups", "/network/v2.0/security-groups", "security_group", `{"security_group": {"name": "fzg"}}`, 201)
	fz.remake["network:security-group-rules"] = func() string {
		return idOf(must(201, fz.member, "POST", "/network/v2.0/security-group-rules", fmt.Sprintf(
			`{"security_group_rule": {"security_group_id": %q, "direction": "ingress", "protocol": "tcp", "port_range_min": %d, "port_range_max": %[2]d}}`,
			fz.id("network:security-groups"), 1+fz.rnd.IntN(60000))), "security_group_rule")
	}
	mk("volume:volumes", "/volume/v3/volumes", "volume", `{"volume": {"size": 1, "name": "fzv"}}`, 202)
	mk("image:images", "/image/v2/images", "", `{"name": "fzi", "container_format": "docker", "disk_format": "raw"}`, 201)
	mk("container:registries", "/v1/registries", "registry", `{"registry": {"name": "fzr", "domain": "registry.example.com", "username": "u", "password": "p"}}`, 201)
	mk("container:containers", "/v1/containers", "", `{"image": "zun/busybox:local", "name": "fzc"}`, 202)
	for _, key := range slices.Sorted(maps.Keys(fz.remake)) {
		fz.id(key)
	}
	fz.ids["network:extensions"], fz.ids["network:tags"], fz.ids["image:tags"] = "binding", "fzt", "fzt"
	fz.ids["container:quotas"], fz.ids["container:quota_classes"], fz.ids["container:services"] = fzProject, "default", "disable"
	fz.ids["container:hosts"], fz.ids["container:images"] = d.Host, "busybox"
	// Few containers per project: accepted creates cost a wait for the
	// scheduler, refused ones (quota) are checked like any refusal.
	adminProject := idOf(must(200, fz.admin, "GET", "/identity/v3/projects?name=admin", "")["projects"].([]any)[0].(map[string]any), "")
	for _, p := range []string{fzProject, adminProject} {
		must(200, fz.admin, "PUT", "/v1/quotas/"+p, `{"containers": 3}`)
	}
	fz.quiesce()
	if out := must(200, fz.member, "GET", "/v1/containers/"+fz.ids["container:containers"]+"/container_actions", ""); out != nil {
		if acts, _ := out["containerActions"].([]any); len(acts) > 0 {
			fz.ids["container:container_actions"], _ = acts[0].(map[string]any)["request_id"].(string)
		}
	}
	return fz
}

// tokenOf logs user in to project.
func (d *daemon) tokenOf(t *testing.T, user, password, project string) string {
	t.Helper()
	tok, err := d.login(user, password, project).Token(context.Background())
	if err != nil {
		t.Fatalf("log in as %s: %v", user, err)
	}
	return tok
}

// id is the id of key's object, made when there is none yet.
func (fz *fuzzer) id(key string) string {
	if fz.ids[key] == "" && fz.remake[key] != nil {
		fz.ids[key] = fz.remake[key]()
	}
	return fz.ids[key]
}

// call makes one request and decodes a JSON answer.
func (fz *fuzzer) call(token, method, path, body string) (int, map[string]any) {
	fz.t.Helper()
	code, b := fz.send(token, method, path, body, nil)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return code, out
}

func (fz *fuzzer) send(token, method, path, body string, header http.Header) (int, []byte) {
	fz.t.Helper()
	req, err := http.NewRequest(method, fz.d.URL+path, strings.NewReader(body))
	if err != nil {
		return -1, []byte(err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", headerSafe(token))
	}
	for k, v := range header {
		req.Header.Set(k, headerSafe(v[0]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		fz.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b
}

// revision is the store's current revision.
func (fz *fuzzer) revision() int64 {
	fz.t.Helper()
	return fz.d.revision(fz.t)
}

// quiesce waits until the store's revision stays put for 150 ms (the
// scheduler's answer to an accepted create comes within a few ms), at
// most 5 s.
func (fz *fuzzer) quiesce() {
	defer func(start time.Time) { fz.settling += time.Since(start) }(time.Now())
	rev, still := fz.revision(), time.Now()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if r := fz.revision(); r != rev {
			rev, still = r, time.Now()
		} else if time.Since(still) >= 150*time.Millisecond {
			return
		}
	}
}

// one makes the i-th request: a route, a caller, its placeholders filled
// with the objects' ids or mutated strings, a query, headers and a
// mutated body; then checks the answer.
func (fz *fuzzer) one(i int) {
	t, r := fz.t, fz.rnd
	rt := fz.routes[r.IntN(len(fz.routes))]
	path, fixtures := fz.fill(rt)
	if q := fz.query(rt); q != "" {
		path += "?" + q
	}
	var token string
	switch x := r.IntN(20); {
	case x < 7:
		token = fz.admin
	case x < 15:
		token = fz.member
	case x < 18:
		token = fz.other
	case x < 19:
		token = fz.mutString("zt1.forged")
	}
	header := http.Header{}
	if rt.svc == "container" && r.IntN(4) > 0 {
		header.Set("OpenStack-API-Version", fz.pick("container 1.1", "container latest", "container 1.40", "container 1.41",
			fmt.Sprintf("container 1.%d", r.IntN(45)), "container", "compute 2.1", fz.mutString("container 1.12")))
	}
	if rt.svc == "image" && r.IntN(4) == 0 {
		header.Set("Content-Type", fz.pick("application/openstack-images-v2.1-json-patch", "application/octet-stream", "text/plain", fz.mutString("application/json")))
	} else if rt.svc == "image" && rt.method == "PATCH" {
		header.Set("Content-Type", "application/openstack-images-v2.1-json-patch")
	} else if rt.svc == "image" && strings.HasSuffix(rt.path, "/file") {
		header.Set("Content-Type", "application/octet-stream")
	}
	if rt.svc == "identity" && strings.HasSuffix(rt.path, "/auth/tokens") {
		header.Set("X-Subject-Token", fz.pick(fz.victim, fz.mutString(fz.victim)))
	}
	body := fz.body(rt)
	if rt.method == "GET" || rt.method == "DELETE" || rt.method == "HEAD" {
		if r.IntN(4) > 0 {
			body = ""
		}
	}

	before := fz.revision()
	code, answer := fz.send(token, rt.method, path, body, header)
	fz.byClass[code/100]++
	req := fmt.Sprintf("request %d: %s %s %q", i, rt.method, path, truncate(body, 300))
	switch {
	case code == http.StatusNotImplemented:
		fz.notImplemented[rt.method+" "+rt.path]++
	case code >= 500 || code < 100:
		t.Errorf("%s answered %d: %s", req, code, truncate(string(answer), 500))
		return
	case code >= 400:
		fz.checked++
		if after := fz.revision(); after != before {
			t.Errorf("%s was refused (%d %s) but the store moved from revision %d to %d: %v",
				req, code, truncate(string(answer), 300), before, after, fz.d.changedSince(fz.t, before))
		}
	case rt.method != "GET" && rt.method != "HEAD":
		fz.accepted++
		if rt.svc == "container" && (rt.method == "POST" && rt.path == "/v1/containers" || rt.method == "DELETE" && rt.path == "/v1/containers/{id}") {
			fz.quiesce() // the scheduler and control plane carry it out; the others are done when answered
		}
		if rt.method == "DELETE" {
			for _, key := range fixtures {
				if f := fz.remake[key]; f != nil && strings.Contains(path, fz.ids[key]) {
					fz.ids[key] = f()
					if key == "container:containers" {
						fz.quiesce()
					}
				}
			}
		}
	}
}

// fill replaces a route's placeholders: mostly with the id of the
// object of the collection named before it, sometimes with a mutated
// string. It returns the keys of the objects it used.
func (fz *fuzzer) fill(rt fuzzRoute) (string, []string) {
	segs := strings.Split(rt.path, "/")
	var keys []string
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch s {
		case "{user}":
			prev = "users"
		case "{role}":
			prev = "roles"
		case "{target}":
			prev = "projects"
			if slices.Contains(segs, "domains") {
				prev = "domains"
			}
		}
		if prev == "container_actions" && s == "{id}" {
			prev = "containers"
		}
		key := rt.svc + ":" + prev
		id := fz.ids[key]
		if id == "" || fz.rnd.IntN(6) == 0 {
			id = fz.mutString(id)
		} else {
			keys = append(keys, key)
		}
		segs[i] = escapeSegment(id)
	}
	return strings.Join(segs, "/"), keys
}

// escapeSegment keeps a fuzzed id within one path segment.
func escapeSegment(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("/?#%\"<>\\^`{|}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// queryParams are the parameter names the services read, by service;
// a query mixes them with unknown names and mutated values.
var queryParams = map[string][]string{
	"container": {"all_projects", "limit", "marker", "sort_key", "sort_dir", "name", "status", "image", "host", "task_state",
		"force", "stop", "timeout", "signal", "stdout", "stderr", "timestamps", "tail", "since", "command", "run", "interactive",
		"repository", "tag", "network", "port", "fixed_ip", "security_group", "new_name", "ps_args", "binary", "disabled_reason",
		"forced_down", "image_driver", "exact_match", "usages", "project_id", "user_id", "memory", "cpu"},
	"identity": {"name", "domain_id", "enabled", "user.id", "scope.project.id", "role.id", "effective", "include_names",
		"nocatalog", "allow_expired", "parent_id", "is_domain", "password_expires_at", "idp_id"},
	"network": {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse", "name", "id", "tags", "tags-any", "not-tags",
		"not-tags-any", "changed_since", "fixed_ips", "network_id", "device_id", "device_owner", "cidr", "ip_version", "shared",
		"router:external", "project_id", "tenant_id", "security_group_id", "direction", "protocol", "admin_state_up", "mac_address"},
	"volume": {"all_tenants", "name", "display_name", "status", "limit", "marker", "sort", "sort_key", "sort_dir", "offset",
		"metadata", "size", "availability_zone", "bootable", "with_count"},
	"image": {"name", "status", "visibility", "owner", "container_format", "disk_format", "tag", "protected", "os_hidden",
		"sort", "sort_key", "sort_dir", "limit", "marker", "member_status", "size_min", "size_max", "id", "checksum"},
}

var interestingValues = []string{"", "0", "1", "-1", "true", "false", "True", "yes", "none", "None", "null", "all", "latest",
	"asc", "desc", "name", "created_at", "in:a,b", "gt:2020-01-01T00:00:00Z", "SIGKILL", "9", "999999999999999999999", "1.5",
	"ls -l", "sh -c 'sleep 1'", "'unterminated", "ip_address=10.0.0.1", "subnet_id=x", "2020-01-01 00:00:00,1", "a,b,c",
	"../..", "%00", "\u00e9\u4e2d", "{}", "[]", "x:y", "fzn", "zun/busybox:local", "busybox", "Running", "Error", "public"}

func (fz *fuzzer) query(rt fuzzRoute) string {
	r := fz.rnd
	if r.IntN(3) == 0 {
		return ""
	}
	var parts []string
	for range 1 + r.IntN(3) {
		name := fz.pick(queryParams[rt.svc]...)
		if r.IntN(8) == 0 {
			name = fz.mutString(name)
		}
		value := fz.pick(interestingValues...)
		if r.IntN(4) == 0 {
			value = fz.mutString(value)
		}
		parts = append(parts, escapeQuery(name)+"="+escapeQuery(value))
	}
	if r.IntN(20) == 0 { // raw, possibly malformed, but sendable
		raw := fz.mutString(strings.Join(parts, "&"))
		var b strings.Builder
		for _, c := range []byte(raw) {
			if c <= ' ' || c >= 0x7f || c == '#' {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	return strings.Join(parts, "&")
}

func escapeQuery(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("&=+#%?\"<>\\^`{|}", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// bodyTemplates are a valid body of each route that takes one, with
// {key} for an object's id; the fuzzer mutates them.
var bodyTemplates = map[string]string{
	"container POST /v1/containers": `{"image": "zun/busybox:local", "name": "fz1", "command": ["sleep", "1"], "cpu": 0.1, "memory": 32,
		"environment": {"A": "b"}, "labels": {"l": "v"}, "restart_policy": {"Name": "no"}, "nets": [{"network": "{network:networks}"}],
		"mounts": [{"source": "{volume:volumes}", "destination": "/d"}], "security_groups": ["default"], "hints": {}, "runtime": "runc",
		"hostname": "h", "auto_remove": false, "auto_heal": false, "availability_zone": "nova", "interactive": false, "tty": false,
		"image_driver": "docker", "image_pull_policy": "ifnotpresent", "workdir": "/", "privileged": false, "disk": 1,
		"registry": "{container:registries}", "entrypoint": ["sh"], "cpu_policy": "shared",
		"healthcheck": {"cmd": "true", "interval": 1, "retries": 1, "timeout": 1}}`,
	"container PATCH /v1/containers/{id}":     `{"cpu": 0.2, "memory": 64, "name": "fz2", "auto_heal": true}`,
	"container POST /v1/images":               `{"repo": "busybox", "tag": "latest", "host": "fzh", "image_driver": "docker"}`,
	"container POST /v1/registries":           `{"registry": {"name": "fzr2", "domain": "r.example.com", "username": "u", "password": "p"}}`,
	"container PATCH /v1/registries/{id}":     `{"registry": {"name": "fzr3", "username": "u2", "password": "p2"}}`,
	"container PUT /v1/quotas/{project}":      `{"containers": 10, "cpu": 10, "memory": 4096, "disk": 10}`,
	"container PUT /v1/quota_classes/{class}": `{"containers": 40, "cpu": 20, "memory": 51200, "disk": 100}`,
	"container PUT /v1/services/{action}":     `{"binary": "zun-compute", "host": "fzh", "disabled_reason": "fuzz"}`,
	"identity POST /v3/auth/tokens": `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "fzv", "domain": {"id": "default"},
		"password": "fuzz-pw"}}}, "scope": {"project": {"name": "fzv", "domain": {"id": "default"}}}}}`,
	"identity POST /v3/domains":                   `{"domain": {"name": "fzd", "enabled": true}}`,
	"identity POST /v3/projects":                  `{"project": {"name": "fzp", "domain_id": "default", "enabled": true}}`,
	"identity PATCH /v3/projects/{id}":            `{"project": {"description": "d", "enabled": true}}`,
	"identity POST /v3/users":                     `{"user": {"name": "fzu", "password": "pw", "domain_id": "default", "default_project_id": "{identity:projects}"}}`,
	"identity PATCH /v3/users/{id}":               `{"user": {"email": "e@example.com", "enabled": true}}`,
	"identity POST /v3/users/{id}/password":       `{"user": {"original_password": "fuzz-pw", "password": "fuzz-pw"}}`,
	"identity POST /v3/roles":                     `{"role": {"name": "fzr"}}`,
	"network POST /v2.0/networks":                 `{"network": {"name": "n", "admin_state_up": true, "shared": false, "mtu": 1400, "port_security_enabled": true, "tags": ["t"]}}`,
	"network PUT /v2.0/networks/{id}":             `{"network": {"name": "n2", "description": "d"}}`,
	"network POST /v2.0/subnets":                  `{"subnet": {"network_id": "{network:networks}", "cidr": "10.99.1.0/24", "ip_version": 4, "gateway_ip": "10.99.1.1", "allocation_pools": [{"start": "10.99.1.10", "end": "10.99.1.20"}], "dns_nameservers": ["8.8.8.8"], "enable_dhcp": true}}`,
	"network PUT /v2.0/subnets/{id}":              `{"subnet": {"name": "s2", "gateway_ip": null}}`,
	"network POST /v2.0/ports":                    `{"port": {"network_id": "{network:networks}", "fixed_ips": [{"subnet_id": "{network:subnets}"}], "security_groups": ["{network:security-groups}"], "mac_address": "fa:16:3e:00:00:09"}}`,
	"network PUT /v2.0/ports/{id}":                `{"port": {"name": "p2", "admin_state_up": false, "port_security_enabled": true}}`,
	"network POST /v2.0/security-groups":          `{"security_group": {"name": "g2", "description": "d", "stateful": true}}`,
	"network PUT /v2.0/security-groups/{id}":      `{"security_group": {"name": "g3"}}`,
	"network POST /v2.0/security-group-rules":     `{"security_group_rule": {"security_group_id": "{network:security-groups}", "direction": "ingress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "10.0.0.0/8"}}`,
	"volume POST /v3/volumes":                     `{"volume": {"size": 1, "name": "v", "description": "d", "metadata": {"a": "b"}}}`,
	"volume PUT /v3/volumes/{id}":                 `{"volume": {"name": "v2", "metadata": {"c": "d"}}}`,
	"image POST /v2/images":                       `{"name": "i", "container_format": "docker", "disk_format": "raw", "visibility": "private", "tags": ["t"], "p": "v"}`,
	"image PATCH /v2/images/{id}":                 `[{"op": "replace", "path": "/name", "value": "i2"}, {"op": "add", "path": "/q", "value": "v"}, {"op": "remove", "path": "/q"}]`,
	"image PUT /v2/images/{id}/file":              `not json: image data`,
	"network PUT /v2.0/networks/{id}/tags":        `{"tags": ["a", "b"]}`,
	"network PUT /v2.0/ports/{id}/tags":           `{"tags": ["a"]}`,
	"network PUT /v2.0/subnets/{id}/tags":         `{"tags": []}`,
	"network PUT /v2.0/security-groups/{id}/tags": `{"tags": ["x"]}`,
}

// body is the route's template with ids filled in, mutated 0 to 3 times
// as JSON, and now and then damaged as bytes.
func (fz *fuzzer) body(rt fuzzRoute) string {
	r := fz.rnd
	tmpl, ok := bodyTemplates[rt.svc+" "+rt.method+" "+rt.path]
	if !ok {
		tmpl = fz.pick(`{}`, ``, `{"x": 1}`, `[]`)
	}
	for key, id := range fz.ids {
		tmpl = strings.ReplaceAll(tmpl, "{"+key+"}", id)
	}
	var v any
	if err := json.Unmarshal([]byte(tmpl), &v); err != nil {
		return fz.mutString(tmpl)
	}
	if r.IntN(7) > 0 {
		for range 1 + r.IntN(3) {
			v = fz.mutValue(v, 0)
		}
	}
	b, _ := json.Marshal(v)
	if r.IntN(10) == 0 {
		return fz.mutString(string(b))
	}
	return string(b)
}

// mutValue changes one place in a JSON value.
func (fz *fuzzer) mutValue(v any, depth int) any {
	r := fz.rnd
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		switch c := r.IntN(6); {
		case c == 0 || len(keys) == 0:
			x[fz.pick("bogus", "x-unknown", "extra", "id", "project_id", "status", "", fz.mutString("k"))] = fz.scalar()
		case c == 1:
			delete(x, keys[r.IntN(len(keys))])
		default:
			k := keys[r.IntN(len(keys))]
			x[k] = fz.mutValue(x[k], depth+1)
		}
		return x
	case []any:
		switch c := r.IntN(4); {
		case c == 0 || len(x) == 0:
			return append(x, fz.scalar())
		case c == 1:
			return x[1:]
		default:
			i := r.IntN(len(x))
			x[i] = fz.mutValue(x[i], depth+1)
			return x
		}
	}
	if depth > 0 && r.IntN(3) == 0 && v != nil {
		if s, ok := v.(string); ok {
			return fz.mutString(s)
		}
	}
	return fz.scalar()
}

// scalar is a value of a random type, often at a boundary.
func (fz *fuzzer) scalar() any {
	r := fz.rnd
	switch r.IntN(12) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return []any{0, -1, 1, 65535, 65536, 2147483648, -9223372036854775808}[r.IntN(7)]
	case 3:
		return json.Number("1e999")
	case 4:
		return 0.5
	case 5:
		return strings.Repeat("a", 256+r.IntN(70000))
	case 6:
		return []any{fz.scalar()}
	case 7:
		return map[string]any{"k": fz.scalar()}
	case 8:
		return "\x00\xed\xa0\x80"
	case 9:
		nested := any(1)
		for range 50 + r.IntN(200) {
			nested = []any{nested}
		}
		return nested
	}
	return fz.mutString(fz.pick(interestingValues...))
}

// mutString damages a string: a byte changed, inserted or removed, a
// cut, a repetition, or a string of its own.
func (fz *fuzzer) mutString(s string) string {
	r := fz.rnd
	b := []byte(s)
	switch r.IntN(7) {
	case 0:
		if len(b) > 0 {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
	case 1:
		i := r.IntN(len(b) + 1)
		b = slices.Insert(b, i, byte(r.IntN(256)))
	case 2:
		if len(b) > 0 {
			b = b[:r.IntN(len(b))]
		}
	case 3:
		b = bytes.Repeat(append(b, 'x'), 2+r.IntN(100))
	case 4:
		return fz.pick("", " ", "..", "null", "0", "-1", "\x00", "admin", "default", "latest", "%zz", strings.Repeat("9", 40))
	case 5:
		if len(b) > 1 {
			i := r.IntN(len(b) - 1)
			b = append(b[:i], b[i+1:]...)
		}
	default:
		b = append(b, []byte(fz.pick("'", "\"", "\\", "}", "]", "\u00e9", "\n", ";", "*"))...)
	}
	return string(b)
}

func (fz *fuzzer) pick(xs ...string) string { return xs[fz.rnd.IntN(len(xs))] }

// headerSafe replaces the bytes no header value may carry (the client
// refuses to send them).
func headerSafe(s string) string {
	return strings.Map(func(c rune) rune {
		if c < ' ' && c != '\t' || c == 0x7f {
			return 'x'
		}
		return c
	}, s)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
