package apiserver_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestHostsAndServicesAPI(t *testing.T) {
	ts, _ := newRemoteStack(t)
	get := func(path string, v any) int {
		t.Helper()
		status, body := call(t, "GET", ts.URL+path, "", "")
		_ = json.Unmarshal([]byte(body), v)
		return status
	}
	var hosts struct {
		Hosts []map[string]any `json:"hosts"`
	}
	if st := get("/v1/hosts", &hosts); st != 200 || len(hosts.Hosts) != 1 {
		t.Fatalf("hosts: %d %v", st, hosts)
	}
	h := hosts.Hosts[0]
	if h["hostname"] != "remote-1" || h["cpus"] != 8.0 || h["mem_total"] != 8192.0 || h["os_type"] != "linux" || h["enable_cpu_pinning"] != false {
		t.Fatalf("host view: %v", h)
	}
	var one map[string]any
	if st := get("/v1/hosts/"+h["uuid"].(string), &one); st != 200 || one["hostname"] != "remote-1" {
		t.Fatalf("show host: %d %v", st, one)
	}
	// Pagination: after the only host, nothing; bad keys and markers 400.
	var page struct {
		Hosts []map[string]any `json:"hosts"`
		Next  any              `json:"next"`
	}
	if st := get("/v1/hosts?limit=1&sort_key=hostname&marker="+h["uuid"].(string), &page); st != 200 || len(page.Hosts) != 0 || page.Next != nil {
		t.Fatalf("page after the last host: %d %+v", st, page)
	}
	for _, q := range []string{"sort_key=cpus", "marker=nope", "limit=-1", "sort_dir=up"} {
		if st := get("/v1/hosts?"+q, &page); st != 400 {
			t.Errorf("hosts?%s: %d", q, st)
		}
	}
	if st, _ := call(t, "GET", ts.URL+"/v1/hosts/nope", "", ""); st != 404 {
		t.Fatalf("unknown host: %d", st)
	}
	var zones map[string][]map[string]any
	if st := get("/v1/availability_zones", &zones); st != 200 || zones["availability_zones"][0]["availability_zone"] != "nova" {
		t.Fatalf("zones: %d %v", st, zones)
	}
	var svcs map[string][]map[string]any
	if st := get("/v1/services", &svcs); st != 200 || svcs["services"][0]["state"] != "up" || svcs["services"][0]["binary"] != "zun-compute" {
		t.Fatalf("services: %d %v", st, svcs)
	}

	// A disabled host gets no new containers, and the reason says why.
	st, body := call(t, "PUT", ts.URL+"/v1/services/disable", "", `{"host": "remote-1", "binary": "zun-compute", "disabled_reason": "maintenance"}`)
	if st != 200 || !strings.Contains(body, `"disabled":true`) || !strings.Contains(body, "maintenance") {
		t.Fatalf("disable: %d %s", st, body)
	}
	st, body = call(t, "POST", ts.URL+"/v1/containers", "", `{"image": "`+testImage+`", "name": "while-disabled"}`)
	if st != 202 || !strings.Contains(body, `"status":"Error"`) || !strings.Contains(body, "ComputeFilter") {
		t.Fatalf("create on a disabled host: %d %s", st, body)
	}
	if st, body := call(t, "PUT", ts.URL+"/v1/services/enable", "", `{"host": "remote-1", "binary": "zun-compute"}`); st != 200 {
		t.Fatalf("enable: %d %s", st, body)
	}
	st, body = call(t, "POST", ts.URL+"/v1/containers", "", `{"image": "`+testImage+`", "name": "after-enable"}`)
	if st != 202 || !strings.Contains(body, `"host":"remote-1"`) {
		t.Fatalf("create after enable: %d %s", st, body)
	}
	// Scheduler hints name containers of the caller's project only.
	var first map[string]any
	_ = json.Unmarshal([]byte(body), &first)
	st, body = call(t, "POST", ts.URL+"/v1/containers", "", `{"image": "`+testImage+`", "hints": {"same_host": "`+first["uuid"].(string)+`"}}`)
	if st != 202 || !strings.Contains(body, `"host":"remote-1"`) {
		t.Fatalf("create with a same_host hint: %d %s", st, body)
	}
	st, body = call(t, "POST", ts.URL+"/v1/containers", "", `{"image": "`+testImage+`", "hints": {"different_host": "00000000-0000-0000-0000-000000000000"}}`)
	if st != 400 || !strings.Contains(body, "scheduler hint") {
		t.Fatalf("create with a hint naming no container: %d %s", st, body)
	}

	// Forced down: down at once, whatever the heartbeats say.
	if st, body := call(t, "PUT", ts.URL+"/v1/services/force_down", "", `{"host": "remote-1", "binary": "zun-compute", "forced_down": true}`); st != 200 {
		t.Fatalf("force_down: %d %s", st, body)
	}
	if get("/v1/services", &svcs); svcs["services"][0]["state"] != "down" || svcs["services"][0]["forced_down"] != true {
		t.Fatalf("after force_down: %v", svcs)
	}
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"PUT", "/v1/services/disable", `{"host": "nope", "binary": "zun-compute"}`, 404},
		{"PUT", "/v1/services/disable", `{"host": "remote-1"}`, 400},
		{"PUT", "/v1/services/force_down", `{"host": "remote-1", "binary": "zun-compute", "forced_down": "maybe"}`, 400},
		{"DELETE", "/v1/services?host=remote-1&binary=zun-compute", "", 409}, // it still has containers
	} {
		if st, body := call(t, tc.method, ts.URL+tc.path, "", tc.body); st != tc.want {
			t.Errorf("%s %s %s: %d, want %d: %s", tc.method, tc.path, tc.body, st, tc.want, body)
		}
	}
}
