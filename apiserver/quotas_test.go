package apiserver_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zun-go/zun/apiserver"
)

func TestQuotasAPI(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = false
	ts, _ := newStack(t, cfg, tokens{"a": alice, "b": bob, "root": root})
	q := func(token, method, path, body string) (int, map[string]any) {
		t.Helper()
		status, raw := call(t, method, ts.URL+path, token, body)
		var v map[string]any
		_ = json.Unmarshal([]byte(raw), &v)
		return status, v
	}
	// Zun's defaults.
	status, v := q("a", "GET", "/v1/quotas/p-a", "")
	if status != 200 || v["containers"] != 40.0 || v["cpu"] != 20.0 || v["memory"] != 51200.0 || v["disk"] != 100.0 {
		t.Fatalf("defaults: %d %v", status, v)
	}
	for _, tc := range []struct {
		name, token, method, path, body string
		want                            int
	}{
		{"member reads another project's", "a", "GET", "/v1/quotas/p-b", "", 403},
		{"member updates its own", "a", "PUT", "/v1/quotas/p-a", `{"containers": 1}`, 403},
		{"member deletes its own", "a", "DELETE", "/v1/quotas/p-a", "", 403},
		{"member reads a class", "a", "GET", "/v1/quota_classes/default", "", 403},
		{"member reads defaults", "a", "GET", "/v1/quotas/p-a/defaults", "", 200},
		{"unknown resource", "root", "PUT", "/v1/quotas/p-a", `{"gpus": 1}`, 400},
		{"below -1", "root", "PUT", "/v1/quotas/p-a", `{"containers": -5}`, 400},
		{"not a number", "root", "PUT", "/v1/quotas/p-a", `{"memory": "lots"}`, 400},
		{"malformed", "root", "PUT", "/v1/quotas/p-a", `{"memory": `, 400},
	} {
		if got, body := q(tc.token, tc.method, tc.path, tc.body); got != tc.want {
			t.Errorf("%s: %d, want %d: %v", tc.name, got, tc.want, body)
		}
	}
	if _, v := q("a", "GET", "/v1/quotas/p-a", ""); v["containers"] != 40.0 {
		t.Fatalf("a refused update changed the quota: %v", v)
	}

	// 50 parallel creates against a quota of 10: exactly 10 get through.
	if status, v := q("root", "PUT", "/v1/quotas/p-a", `{"containers": 10, "memory": "-1"}`); status != 200 || v["containers"] != 10.0 || v["memory"] != -1.0 {
		t.Fatalf("update: %d %v", status, v)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := call(t, "POST", ts.URL+"/v1/containers", "a",
				fmt.Sprintf(`{"image": "%s", "name": "q%d", "command": ["sleep", "3600"]}`, testImage, i))
			mu.Lock()
			codes[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[202] != 10 || codes[403] != 40 {
		t.Fatalf("statuses %v, want 10×202 and 40×403", codes)
	}
	_, list := call(t, "GET", ts.URL+"/v1/containers", "a", "")
	if n := strings.Count(list, `"uuid"`); n != 10 {
		t.Fatalf("%d containers listed, want 10", n)
	}
	status, v = q("a", "GET", "/v1/quotas/p-a?usages=true", "")
	c, _ := v["containers"].(map[string]any)
	if status != 200 || c["limit"] != 10.0 || c["in_use"] != 10.0 {
		t.Fatalf("usages: %d %v", status, v)
	}
	status, raw := call(t, "POST", ts.URL+"/v1/containers", "a", `{"image": "`+testImage+`"}`)
	if status != 403 || !strings.Contains(raw, "Quota exceeded for resources: containers") {
		t.Fatalf("over quota: %d %s", status, raw)
	}
	// Another project is not affected.
	if status, raw := call(t, "POST", ts.URL+"/v1/containers", "b", `{"image": "`+testImage+`"}`); status != 202 {
		t.Fatalf("bob's create: %d %s", status, raw)
	}

	// Classes: the default class sets every project's defaults.
	if status, v := q("root", "PUT", "/v1/quota_classes/default", `{"disk": 7}`); status != 200 || v["disk"] != 7.0 || v["containers"] != 40.0 {
		t.Fatalf("class update: %d %v", status, v)
	}
	if _, v := q("b", "GET", "/v1/quotas/p-b/defaults", ""); v["disk"] != 7.0 {
		t.Fatalf("defaults after the class update: %v", v)
	}
	if status, _ := q("root", "DELETE", "/v1/quotas/p-a", ""); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	if _, v := q("a", "GET", "/v1/quotas/p-a", ""); v["containers"] != 40.0 || v["disk"] != 7.0 {
		t.Fatalf("after delete: %v, want the defaults", v)
	}
}
