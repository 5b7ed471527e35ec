package apitest

import (
	"strings"
	"testing"
	"time"
)

// testCapsules follows a capsule through the API: created from a
// template, Running, quiet at rest, shown by name in both views, listed, hidden from the
// container routes, its container reached by template name (the
// project's extension), deleted until gone.
func testCapsules(t *testing.T, tg Target) {
	c := tg.client(t)
	name := uniqueName(t)
	tpl := map[string]any{
		"kind":     "capsule",
		"metadata": map[string]any{"name": name, "labels": map[string]any{"suite": "capsules"}},
		"spec": map[string]any{
			"restartPolicy": "Never",
			"containers": []any{map[string]any{
				"name": "web", "image": tg.Image,
				// Ends at once on TERM (a shell as pid 1 ignores it).
				"command":   []any{"sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"},
				"resources": map[string]any{"requests": map[string]any{"cpu": 0.1, "memory": 32}},
			}},
		},
	}
	v := c.must(202, "POST", "/v1/capsules", map[string]any{"template": tpl}).obj(t)
	id, _ := v["uuid"].(string)
	members, _ := v["containers"].([]any)
	if id == "" || v["name"] != name || len(members) != 1 {
		t.Fatalf("create: %v", v)
	}
	web := members[0].(map[string]any)["uuid"].(string)

	var last map[string]any
	if !poll(30*time.Second, func() bool {
		last = c.must(200, "GET", "/v1/capsules/"+id, nil).obj(t)
		if last["status"] == "Error" {
			t.Fatalf("capsule went to Error: %v", last["status_reason"])
		}
		return last["status"] == "Running"
	}) {
		t.Fatalf("capsule %s: status %v, want Running", id, last["status"])
	}
	if got := c.must(200, "GET", "/v1/capsules/"+name, nil).obj(t); got["uuid"] != id {
		t.Fatalf("show by name: %v", got["uuid"])
	}
	if got := c.at("1.1").must(200, "GET", "/v1/capsules/"+id, nil).obj(t); got["meta_name"] != name || got["restart_policy"] != "no" {
		t.Fatalf("legacy view: meta_name %v, restart_policy %v", got["meta_name"], got["restart_policy"])
	}
	if list := c.must(200, "GET", "/v1/capsules", nil); !strings.Contains(string(list.raw), id) {
		t.Fatalf("capsule %s not listed", id)
	}
	if list := c.must(200, "GET", "/v1/containers", nil); strings.Contains(string(list.raw), web) || strings.Contains(string(list.raw), id) {
		t.Fatalf("the container list shows the capsule's records")
	}
	c.must(404, "GET", "/v1/containers/"+web, nil)
	c.must(404, "GET", "/v1/containers/"+id, nil)

	// A running capsule is quiet: its records and its members' are not
	// written again while nothing in them changes. (The suite's other
	// tests write meanwhile: only this capsule's keys count.)
	if tg.Revision != nil && tg.ChangedSince != nil {
		window := tg.QuietWindow
		if window <= 0 {
			window = 3 * time.Second
		}
		ours := func(rev int64) []string {
			var keys []string
			for _, k := range tg.ChangedSince(t, rev) {
				if strings.Contains(k, id) || strings.Contains(k, web) {
					keys = append(keys, k)
				}
			}
			return keys
		}
		// The capsule's own report may land just after its members'.
		rev, deadline := tg.Revision(t), time.Now().Add(window+10*time.Second)
		for {
			time.Sleep(window)
			keys := ours(rev)
			if len(keys) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the capsule's records were written in %s with the capsule running: %v", window, keys)
			}
			rev = tg.Revision(t)
		}
	}
	st := c.must(200, "GET", "/v1/capsules/"+id+"/containers/web/stats", nil).obj(t)
	if st["CONTAINER"] != "capsule-"+name+"-web" {
		t.Fatalf("stats of web: %v", st)
	}
	if tg.Real {
		ex := c.must(200, "POST", "/v1/capsules/"+name+"/containers/web/execute?command=echo+capsule&run=true", nil).obj(t)
		if ex["output"] != "capsule\n" || ex["exit_code"] != 0.0 {
			t.Fatalf("exec in web: %v", ex)
		}
	}
	c.must(404, "GET", "/v1/capsules/"+id+"/containers/nothing/top", nil)

	c.must(204, "DELETE", "/v1/capsules/"+id, nil)
	if !poll(30*time.Second, func() bool { return c.do("GET", "/v1/capsules/"+id, nil).status == 404 }) {
		t.Fatalf("capsule %s was not removed", id)
	}
}
