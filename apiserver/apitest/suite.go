package apitest

import (
	"strings"
	"testing"
	"time"
)

// Run runs the whole suite against the target. BadInput counts
// containers, so it runs alone first; the rest run in parallel.
func Run(t *testing.T, tg Target) {
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, tg) })
	// Quiescence watches the whole store, so it runs alone too.
	t.Run("Quiescence", func(t *testing.T) { testQuiescence(t, tg) })
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Target)
	}{
		{"Versions", testVersions},
		{"Microversions", testMicroversions},
		{"Lifecycle", testLifecycle},
		{"ExitCode", testExitCode},
		{"StateConflicts", testStateConflicts},
		{"Operations", testOperations},
		{"ListAndFilters", testList},
		{"FieldsByVersion", testFieldsByVersion},
		{"Delete", testDelete},
		{"AutoRemove", testAutoRemove},
		{"Actions", testActions},
		{"Failures", testFailures},
		{"Authentication", testAuthentication},
		{"Capsules", testCapsules},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, tg)
		})
	}
}

// sleeper is a container that runs until stopped.
func sleeper(tg Target, name string) map[string]any {
	b := map[string]any{"image": tg.Image, "command": []string{"sleep", "3600"}}
	if name != "" {
		b["name"] = name
	}
	return b
}

// exiter is a container that exits by itself with code.
func exiter(tg Target, code string) map[string]any {
	return map[string]any{
		"image":   tg.Image,
		"command": []string{"sh", "-c", "exit " + code},
		"labels": map[string]any{
			"io.zun.fake.run-for":   "200ms",
			"io.zun.fake.exit-code": code,
		},
	}
}

func uniqueName(t *testing.T) string {
	n := strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	return n + "-" + time.Now().Format("150405.000000")
}

func testVersions(t *testing.T, tg Target) {
	c := tg.client(t)
	root := c.at("").must(200, "GET", "/", nil).obj(t)
	versions := root["versions"].([]any)
	v := versions[0].(map[string]any)
	if v["max_version"] != "1.40" || v["min_version"] != "1.1" || v["id"] != "v1" || v["status"] != "CURRENT" {
		t.Fatalf("root version: %v", v)
	}
	dv := root["default_version"].(map[string]any)
	if dv["max_version"] != "1.40" {
		t.Fatalf("default_version: %v", dv)
	}
	v1 := c.at("").must(200, "GET", "/v1/", nil)
	if v1.obj(t)["id"] != "v1" {
		t.Fatalf("GET /v1/: %s", v1.raw)
	}
	if got := v1.header.Get("OpenStack-API-Version"); got != "container 1.1" {
		t.Fatalf("GET /v1/ without a version header answered version %q, want container 1.1", got)
	}
}

func testMicroversions(t *testing.T, tg Target) {
	c := tg.client(t)
	for _, tc := range []struct {
		header, want string
		status       int
	}{
		{"", "container 1.1", 200},
		{"1.1", "container 1.1", 200},
		{"1.25", "container 1.25", 200},
		{"latest", "container 1.40", 200},
		{"1.40", "container 1.40", 200},
		{"1.41", "", 406},
		{"2.0", "", 406},
		{"1.0", "", 406},
		{"abc", "", 406},
	} {
		t.Run(tc.header, func(t *testing.T) {
			r := c.at(tc.header).do("GET", "/v1/containers", nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status == 200 && r.header.Get("OpenStack-API-Version") != tc.want {
				t.Fatalf("version header %q, want %q", r.header.Get("OpenStack-API-Version"), tc.want)
			}
			if tc.status == 406 {
				r.errorTitle(t)
			}
			if r.header.Get("OpenStack-API-Maximum-Version") != "container 1.40" ||
				r.header.Get("OpenStack-API-Minimum-Version") != "container 1.1" {
				t.Fatalf("min/max headers: %v", r.header)
			}
		})
	}
	// Another service's name is refused too.
	req := c.at("")
	r := req.doWithHeader("GET", "/v1/containers", "compute 2.1")
	if r.status != 406 {
		t.Fatalf("service compute: status %d, want 406", r.status)
	}
	errs := r.obj(t)["errors"].([]any)
	if e := errs[0].(map[string]any); e["code"] == "" {
		t.Fatalf("no code in %s", r.raw)
	}
	if r := c.at("1.41").do("GET", "/v1/containers", nil); !strings.Contains(string(r.raw), `"max_version":"1.40"`) {
		t.Fatalf("406 body lacks max_version: %s", r.raw)
	}
}

func testBadInput(t *testing.T, tg Target) {
	c := tg.client(t)
	count := func() int {
		r := c.must(200, "GET", "/v1/containers?all_projects=1", nil)
		return len(r.obj(t)["containers"].([]any))
	}
	runtime := func() int {
		if tg.RuntimeContainers == nil {
			return 0
		}
		return tg.RuntimeContainers(t)
	}
	img := tg.Image
	for _, tc := range []struct {
		name, body, field string
	}{
		{"malformed JSON", `{"image": "` + img + `",`, ""},
		{"not an object", `["image"]`, ""},
		{"no image", `{"name": "x1"}`, "image"},
		{"unknown field", `{"image": "` + img + `", "colour": "blue"}`, "colour"},
		{"wrong type", `{"image": "` + img + `", "environment": "A=B"}`, "environment"},
		{"memory 12X", `{"image": "` + img + `", "memory": "12X"}`, "memory"},
		{"memory too small", `{"image": "` + img + `", "memory": 1}`, "memory"},
		{"negative cpu", `{"image": "` + img + `", "cpu": -1}`, "cpu"},
		{"absurd cpu", `{"image": "` + img + `", "cpu": 100000}`, "cpu"},
		{"bad name", `{"image": "` + img + `", "name": "-bad name"}`, "name"},
		{"long name", `{"image": "` + img + `", "name": "` + strings.Repeat("a", 256) + `"}`, "name"},
		{"bad image", `{"image": "Not//An:Image:ref"}`, "image"},
		{"bad restart policy", `{"image": "` + img + `", "restart_policy": {"Name": "sometimes"}}`, "restart_policy"},
		{"command not a list", `{"image": "` + img + `", "command": "sleep 1"}`, "command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, rbefore := count(), runtime()
			r := c.do("POST", "/v1/containers?run=true", tc.body)
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.raw)
			}
			title := r.errorTitle(t)
			if tc.field != "" && !strings.Contains(title, tc.field) {
				t.Fatalf("error %q does not name %q", title, tc.field)
			}
			if after := count(); after != before {
				t.Fatalf("a rejected create changed the container count: %d -> %d", before, after)
			}
			if after := runtime(); after != rbefore {
				t.Fatalf("a rejected create changed the runtime's containers: %d -> %d", rbefore, after)
			}
		})
	}
	t.Run("body too large", func(t *testing.T) {
		big := `{"image": "` + img + `", "labels": {"a": "` + strings.Repeat("x", 2<<20) + `"}}`
		r := c.do("POST", "/v1/containers", big)
		if r.status != 413 {
			t.Fatalf("status %d, want 413", r.status)
		}
		r.errorTitle(t)
	})
	t.Run("wrong content type", func(t *testing.T) {
		r := c.doWithContentType("POST", "/v1/containers", `{"image": "`+img+`"}`, "text/plain")
		if r.status != 415 {
			t.Fatalf("status %d, want 415", r.status)
		}
	})
	t.Run("unknown container", func(t *testing.T) {
		for _, p := range []string{"/v1/containers/nope-nope", "/v1/containers/00000000-0000-0000-0000-000000000000/container_actions"} {
			r := c.do("GET", p, nil)
			if r.status != 404 {
				t.Fatalf("GET %s: %d, want 404", p, r.status)
			}
			r.errorTitle(t)
		}
		if r := c.do("POST", "/v1/containers/nope-nope/stop", nil); r.status != 404 {
			t.Fatalf("stop unknown: %d", r.status)
		}
	})
	t.Run("bad query", func(t *testing.T) {
		for _, p := range []string{"/v1/containers?colour=blue", "/v1/containers?limit=-1", "/v1/containers?sort_dir=up", "/v1/containers?sort_key=nosuchkey"} {
			if r := c.do("GET", p, nil); r.status != 400 {
				t.Fatalf("GET %s: %d, want 400: %s", p, r.status, r.raw)
			}
		}
	})
}

func testLifecycle(t *testing.T, tg Target) {
	c := tg.client(t)
	name := uniqueName(t)
	r := c.must(202, "POST", "/v1/containers?run=true", sleeper(tg, name))
	body := r.obj(t)
	if body["status"] != "Creating" || body["name"] != name {
		t.Fatalf("create answered %v", body)
	}
	if !strings.HasSuffix(r.header.Get("Location"), "/v1/containers/"+body["uuid"].(string)) {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	id := body["uuid"].(string)
	got := c.waitStatus(name, "Running")
	if got["uuid"] != id || !strings.HasPrefix(got["status_detail"].(string), "Up") {
		t.Fatalf("running container: %v", got)
	}
	steps := []struct{ action, status string }{
		{"stop?timeout=1", "Stopped"},
		{"start", "Running"},
		{"pause", "Paused"},
		{"unpause", "Running"},
		{"reboot?timeout=1", "Running"},
		{"kill?signal=SIGKILL", "Stopped"},
		{"start", "Running"},
	}
	for _, s := range steps {
		c.must(202, "POST", "/v1/containers/"+id+"/"+s.action, nil)
		c.waitStatus(id, s.status)
	}
	c.must(202, "POST", "/v1/containers/"+id+"/stop?timeout=0", nil)
	stopped := c.waitStatus(id, "Stopped")
	if !strings.HasPrefix(stopped["status_detail"].(string), "Exited(") {
		t.Fatalf("stopped status_detail %v", stopped["status_detail"])
	}
	c.must(204, "DELETE", "/v1/containers/"+id, nil)
	c.waitGone(id)
}

func testExitCode(t *testing.T, tg Target) {
	c := tg.client(t)
	id := c.create(exiter(tg, "3"), true)
	got := c.waitStatus(id, "Stopped")
	if d := got["status_detail"].(string); !strings.HasPrefix(d, "Exited(3)") {
		t.Fatalf("status_detail %q, want Exited(3)...", d)
	}
	c.must(204, "DELETE", "/v1/containers/"+id, nil)
}

func testStateConflicts(t *testing.T, tg Target) {
	c := tg.client(t)
	id := c.create(sleeper(tg, ""), true)
	c.waitStatus(id, "Running")
	for _, action := range []string{"start", "unpause"} {
		r := c.do("POST", "/v1/containers/"+id+"/"+action, nil)
		if r.status != 409 {
			t.Fatalf("%s on Running: %d, want 409", action, r.status)
		}
		if title := r.errorTitle(t); !strings.Contains(title, "Running") {
			t.Fatalf("409 message %q does not name the state", title)
		}
	}
	if r := c.do("DELETE", "/v1/containers/"+id, nil); r.status != 409 {
		t.Fatalf("delete Running: %d, want 409", r.status)
	}
	created := c.create(sleeper(tg, ""), false)
	c.waitStatus(created, "Created")
	for _, action := range []string{"stop", "pause", "kill"} {
		if r := c.do("POST", "/v1/containers/"+created+"/"+action, nil); r.status != 409 {
			t.Fatalf("%s on Created: %d, want 409", action, r.status)
		}
	}
	c.must(204, "DELETE", "/v1/containers/"+id+"?force=true", nil)
	c.must(204, "DELETE", "/v1/containers/"+created, nil)
}

func testOperations(t *testing.T, tg Target) {
	c := tg.client(t)
	body := sleeper(tg, uniqueName(t))
	body["command"] = []string{"sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 3600"}
	id := c.create(body, true)
	c.waitStatus(id, "Running")

	ex := c.must(200, "POST", "/v1/containers/"+id+"/execute?run=true&command=sh+-c+%27echo+hi%3B+exit+4%27", nil).obj(t)
	if tg.Real {
		if ex["output"] != "hi\n" || ex["exit_code"] != float64(4) {
			t.Fatalf("exec: %v", ex)
		}
	} else if _, ok := ex["exit_code"].(float64); !ok {
		t.Fatalf("exec: %v", ex)
	}
	if r := c.do("POST", "/v1/containers/"+id+"/execute?run=true", nil); r.status != 400 {
		t.Fatalf("exec without command: %d", r.status)
	}
	if tg.Real {
		if !poll(10*time.Second, func() bool {
			logs := c.must(200, "GET", "/v1/containers/"+id+"/logs", nil).body
			s, _ := logs.(string)
			return strings.Contains(s, "hello-out") && strings.Contains(s, "hello-err")
		}) {
			t.Fatalf("logs lack output")
		}
		out := c.must(200, "GET", "/v1/containers/"+id+"/logs?stderr=false", nil).body.(string)
		if strings.Contains(out, "hello-err") {
			t.Fatalf("stderr=false still shows stderr: %q", out)
		}
	} else {
		c.must(200, "GET", "/v1/containers/"+id+"/logs?tail=5&timestamps=true", nil)
	}
	if r := c.do("GET", "/v1/containers/"+id+"/logs?tail=many", nil); r.status != 400 {
		t.Fatalf("logs tail=many: %d", r.status)
	}
	st := c.must(200, "GET", "/v1/containers/"+id+"/stats", nil).obj(t)
	for _, k := range []string{"CONTAINER", "CPU %", "MEM USAGE(MiB)", "MEM LIMIT(MiB)", "MEM %", "BLOCK I/O(B)", "NET I/O(B)"} {
		if _, ok := st[k]; !ok {
			t.Fatalf("stats lack %q: %v", k, st)
		}
	}
	top := c.must(200, "GET", "/v1/containers/"+id+"/top", nil).obj(t)
	if _, ok := top["Titles"].([]any); !ok {
		t.Fatalf("top: %v", top)
	}
	// Commit makes an image of the container (a fixed name, so repeated
	// runs do not pile images up).
	cm := c.must(202, "POST", "/v1/containers/"+id+"/commit?repository=zun-apitest/commit&tag=v1", nil).obj(t)
	if u, _ := cm["uuid"].(string); u == "" {
		t.Fatalf("commit answered %v", cm)
	}
	if r := c.do("POST", "/v1/containers/"+id+"/commit", nil); r.status != 400 {
		t.Fatalf("commit without repository: %d", r.status)
	}
	// Rename and live update.
	newName := uniqueName(t) + "-renamed"
	up := c.must(200, "PATCH", "/v1/containers/"+id, map[string]any{"name": newName, "memory": "256", "cpu": 0.5}).obj(t)
	if up["name"] != newName || up["memory"] != "256" || up["cpu"] != 0.5 {
		t.Fatalf("patch answered %v", up)
	}
	if got := c.show(newName); got["uuid"] != id {
		t.Fatalf("show by new name: %v", got["uuid"])
	}
	if r := c.do("PATCH", "/v1/containers/"+id, map[string]any{"memory": "12X"}); r.status != 400 {
		t.Fatalf("patch memory 12X: %d", r.status)
	}
	if r := c.do("POST", "/v1/containers/"+id+"/kill?signal=SIGNOPE", nil); r.status != 400 {
		t.Fatalf("kill SIGNOPE: %d", r.status)
	}
	c.must(204, "DELETE", "/v1/containers/"+id+"?stop=true", nil)
	c.waitGone(id)
}

func testList(t *testing.T, tg Target) {
	c := tg.client(t)
	prefix := uniqueName(t)
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, c.create(sleeper(tg, prefix+"-"+string(rune('a'+i))), false))
	}
	for _, id := range ids {
		c.waitStatus(id, "Created")
	}
	page := c.must(200, "GET", "/v1/containers?name="+prefix+"-b", nil).obj(t)
	if l := page["containers"].([]any); len(l) != 1 || l[0].(map[string]any)["uuid"] != ids[1] {
		t.Fatalf("filter by name: %v", l)
	}
	// Pagination by marker walks every container exactly once.
	seen := map[string]int{}
	next := "/v1/containers?limit=1&sort_key=created_at&sort_dir=asc&status=Created"
	for guard := 0; next != "" && guard < 1000; guard++ {
		p := c.must(200, "GET", next, nil).obj(t)
		for _, it := range p["containers"].([]any) {
			seen[it.(map[string]any)["uuid"].(string)]++
		}
		next = ""
		if n, ok := p["next"].(string); ok {
			next = strings.TrimPrefix(n, tg.URL)
			next = next[strings.Index(next, "/v1/"):]
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("pagination saw %s %d times", id, seen[id])
		}
	}
	for _, id := range ids {
		c.must(204, "DELETE", "/v1/containers/"+id, nil)
	}
}

func testFieldsByVersion(t *testing.T, tg Target) {
	c := tg.client(t)
	id := c.create(sleeper(tg, ""), false)
	c.waitStatus(id, "Created")
	old := c.at("1.1").show(id)
	for _, f := range []string{"auto_remove", "hostname", "entrypoint", "privileged", "healthcheck", "registry_id", "tty"} {
		if _, ok := old[f]; ok {
			t.Fatalf("field %s shown at 1.1", f)
		}
	}
	latest := c.show(id)
	for _, f := range []string{"uuid", "links", "name", "image", "command", "status", "status_reason",
		"status_detail", "task_state", "cpu", "memory", "environment", "workdir", "ports", "labels",
		"addresses", "restart_policy", "interactive", "image_driver", "security_groups", "auto_remove",
		"auto_heal", "hostname", "disk", "privileged", "healthcheck", "cpu_policy", "registry_id",
		"tty", "entrypoint", "created_at", "updated_at", "user_id", "project_id"} {
		if _, ok := latest[f]; !ok {
			t.Fatalf("field %s missing at 1.40", f)
		}
	}
	if tg.Admin {
		for _, f := range []string{"host", "runtime", "image_pull_policy"} {
			if _, ok := latest[f]; !ok {
				t.Fatalf("admin field %s missing", f)
			}
		}
	}
	if _, ok := latest["cpu"].(float64); !ok {
		t.Fatalf("cpu is not a number: %v", latest["cpu"])
	}
	if _, ok := latest["memory"].(string); !ok && latest["memory"] != nil {
		t.Fatalf("memory is not a string: %v", latest["memory"])
	}
	rp := latest["restart_policy"].(map[string]any)
	if _, ok := rp["MaximumRetryCount"].(string); !ok {
		t.Fatalf("restart_policy.MaximumRetryCount is not a string: %v", rp)
	}
	// A field of a later microversion is refused in an older one.
	b := sleeper(tg, "")
	b["entrypoint"] = []string{"sh"}
	if r := c.at("1.39").do("POST", "/v1/containers", b); r.status != 400 {
		t.Fatalf("entrypoint at 1.39: %d", r.status)
	}
	// Rename through POST: Zun's until 1.13, kept at every version here
	// because Debian's python-zunclient still sends it at 1.40.
	n := uniqueName(t)
	for _, v := range []string{"1.13", "1.40"} {
		n += "x"
		if r := c.at(v).do("POST", "/v1/containers/"+id+"/rename?name="+n, nil); r.status != 200 || r.obj(t)["name"] != n {
			t.Fatalf("rename at %s: %d %s", v, r.status, r.raw)
		}
	}
	c.must(204, "DELETE", "/v1/containers/"+id, nil)
}

func testDelete(t *testing.T, tg Target) {
	c := tg.client(t)
	id := c.create(sleeper(tg, ""), true)
	c.waitStatus(id, "Running")
	if r := c.at("1.6").do("DELETE", "/v1/containers/"+id+"?force=true", nil); r.status != 400 {
		t.Fatalf("force at 1.6: %d", r.status)
	}
	c.must(204, "DELETE", "/v1/containers/"+id+"?force=true", nil)
	c.waitGone(id)
	if r := c.do("DELETE", "/v1/containers/"+id, nil); r.status != 404 {
		t.Fatalf("delete again: %d", r.status)
	}
}

func testAutoRemove(t *testing.T, tg Target) {
	c := tg.client(t)
	b := exiter(tg, "0")
	b["auto_remove"] = true
	id := c.create(b, true)
	c.waitGone(id)
}

func testActions(t *testing.T, tg Target) {
	c := tg.client(t)
	id := c.create(sleeper(tg, ""), true)
	c.waitStatus(id, "Running")
	c.must(202, "POST", "/v1/containers/"+id+"/stop?timeout=0", nil)
	c.waitStatus(id, "Stopped")
	list := c.must(200, "GET", "/v1/containers/"+id+"/container_actions", nil).obj(t)
	actions := list["containerActions"].([]any)
	var names []string
	var stopReq string
	for _, a := range actions {
		m := a.(map[string]any)
		names = append(names, m["action"].(string))
		if m["action"] == "stop" {
			stopReq = m["request_id"].(string)
		}
		if m["container_uuid"] != id {
			t.Fatalf("action of another container: %v", m)
		}
	}
	if strings.Join(names, ",") != "stop,create" {
		t.Fatalf("actions %v, want stop,create (newest first)", names)
	}
	one := c.must(200, "GET", "/v1/containers/"+id+"/container_actions/"+stopReq, nil).obj(t)
	events := one["events"].([]any)
	if len(events) != 1 {
		t.Fatalf("stop events: %v", events)
	}
	ev := events[0].(map[string]any)
	if ev["event"] != "compute__do_container_stop" || ev["result"] != "Success" || ev["finish_time"] == nil {
		t.Fatalf("stop event: %v", ev)
	}
	if r := c.do("GET", "/v1/containers/"+id+"/container_actions/req-nope", nil); r.status != 404 {
		t.Fatalf("unknown action: %d", r.status)
	}
	c.must(204, "DELETE", "/v1/containers/"+id, nil)
}

func testFailures(t *testing.T, tg Target) {
	c := tg.client(t)
	b := sleeper(tg, "")
	b["command"] = []string{"/no/such/binary"}
	b["labels"] = map[string]any{"io.zun.fake.start-error": "exec: /no/such/binary: no such file or directory"}
	failed := c.create(b, true)
	got := c.waitStatus(failed, "Error")
	if reason, _ := got["status_reason"].(string); reason == "" {
		t.Fatalf("Error without a reason: %v", got)
	}
	missing := map[string]any{"image": "zun/no-such-image:1.0", "image_pull_policy": "never"}
	gone := c.create(missing, true)
	got = c.waitStatus(gone, "Error")
	if reason, _ := got["status_reason"].(string); !strings.Contains(reason, "no-such-image") {
		t.Fatalf("missing image: reason %q does not name the image", reason)
	}
	// Periodic syncs do not paper over the failure.
	time.Sleep(2500 * time.Millisecond)
	if got := c.show(failed); got["status"] != "Error" {
		t.Fatalf("failed container later shows %v", got["status"])
	}
	for _, id := range []string{failed, gone} {
		var ev map[string]any
		actions := c.must(200, "GET", "/v1/containers/"+id+"/container_actions", nil).obj(t)["containerActions"].([]any)
		req := actions[0].(map[string]any)["request_id"].(string)
		ev = c.must(200, "GET", "/v1/containers/"+id+"/container_actions/"+req, nil).obj(t)
		events := ev["events"].([]any)
		if last := events[0].(map[string]any); last["result"] != "Error" {
			t.Fatalf("create event of a failed container: %v", last)
		}
		c.must(204, "DELETE", "/v1/containers/"+id, nil)
	}
}

// testAuthentication: with authentication on, every container route needs
// a valid token, and the version documents do not.
func testAuthentication(t *testing.T, tg Target) {
	if tg.Token == nil {
		t.Skip("the target serves without authentication")
	}
	for _, token := range []string{"", "forged-token", tg.client(t).token + "x"} {
		c := tg.client(t)
		c.token = token
		for _, p := range []string{"/v1/containers", "/v1/containers/nope", "/containers"} {
			r := c.do("GET", p, nil)
			if r.status != 401 {
				t.Fatalf("GET %s with token %.12q: %d, want 401", p, token, r.status)
			}
			r.errorTitle(t)
		}
		if r := c.do("POST", "/v1/containers", sleeper(tg, "")); r.status != 401 {
			t.Fatalf("create with token %.12q: %d, want 401", token, r.status)
		}
		for _, p := range []string{"/", "/v1"} {
			if r := c.do("GET", p, nil); r.status != 200 {
				t.Fatalf("GET %s without a good token: %d, want 200", p, r.status)
			}
		}
	}
}
