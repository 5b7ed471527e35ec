package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestImagesAPI: pulls go to the named host's agent across the network;
// bad requests are refused and record nothing; a failed pull says why;
// delete removes the image from the host.
func TestImagesAPI(t *testing.T) {
	ts, drv := newRemoteStack(t)
	q := func(method, path, body string) (int, map[string]any, string) {
		t.Helper()
		status, raw := call(t, method, ts.URL+path, "", body)
		var v map[string]any
		_ = json.Unmarshal([]byte(raw), &v)
		return status, v, raw
	}
	wait := func(id, want string) map[string]any {
		t.Helper()
		var v map[string]any
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, v, _ = q("GET", "/v1/images/"+id, ""); v["status"] == want {
				return v
			}
		}
		t.Fatalf("image %s: %v, want status %s", id, v, want)
		return nil
	}
	status, v, _ := q("POST", "/v1/images", `{"repo":"team/app:2","host":"remote-1"}`)
	if status != 202 || v["repo"] != "team/app" || v["tag"] != "2" || v["host"] != "remote-1" || v["status"] != "Pulling" {
		t.Fatalf("pull: %d %v", status, v)
	}
	id := v["uuid"].(string)
	got := wait(id, "Pulled")
	if !strings.HasPrefix(got["image_id"].(string), "sha256:") || got["size"] != float64(1<<20) {
		t.Fatalf("pulled: %v", got)
	}
	if _, err := drv.InspectImage(context.Background(), "team/app:2"); err != nil {
		t.Fatalf("the host lacks the pulled image: %v", err)
	}

	for _, body := range []string{
		`{"repo":"team/app"}`,
		`{"host":"remote-1"}`,
		`{"repo":"team/app","host":"nowhere"}`,
		`{"repo":"UPPER/case","host":"remote-1"}`,
		`{"repo":"team/app:2","tag":"3","host":"remote-1"}`,
		`{"repo":"team/app","host":"remote-1","image_pull_policy":"sometimes"}`,
		`{"repo":"team/app","host":"remote-1","registry":"r"}`,
		`{"repo":7,"host":"remote-1"}`,
		`{"repo":`,
	} {
		if status, v, _ := q("POST", "/v1/images", body); status != 400 {
			t.Errorf("%s: %d %v", body, status, v)
		}
	}
	if _, v, _ := q("GET", "/v1/images", ""); len(v["images"].([]any)) != 1 {
		t.Fatalf("refused pulls were recorded: %v", v)
	}

	drv.FailPull("team/broken:1", errors.New("manifest unknown"))
	_, v, _ = q("POST", "/v1/images", `{"repo":"team/broken","tag":"1","host":"remote-1"}`)
	failed := wait(v["uuid"].(string), "Error")
	if !strings.Contains(failed["status_reason"].(string), "manifest unknown") || failed["image_id"] != nil {
		t.Fatalf("failed pull: %v", failed)
	}

	// A slow pull shows how far it has come while Pulling, then no more.
	drv.SlowPull("team/big:1", 3*time.Second)
	_, v, _ = q("POST", "/v1/images", `{"repo":"team/big:1","host":"remote-1"}`)
	big := v["uuid"].(string)
	var progress map[string]any
	for deadline := time.Now().Add(10 * time.Second); progress == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, v, _ = q("GET", "/v1/images/"+big, "")
		if v["status"] != "Pulling" {
			t.Fatalf("the slow pull ended before it showed progress: %v", v)
		}
		progress, _ = v["progress"].(map[string]any)
	}
	if progress == nil || progress["total"] != float64(1<<20) || progress["done"].(float64) <= 0 || progress["done"].(float64) >= 1<<20 {
		t.Fatalf("progress of a slow pull: %v", v)
	}
	if pulled := wait(big, "Pulled"); pulled["progress"] != nil {
		t.Fatalf("progress after the pull: %v", pulled)
	}

	_, _, raw := q("GET", "/v1/images/team/app/search?exact_match=true", "")
	var found []map[string]any
	if err := json.Unmarshal([]byte(raw), &found); err != nil || len(found) != 1 || found[0]["name"] != "team/app" {
		t.Fatalf("search: %s", raw)
	}
	if status, _, raw := q("GET", "/v1/images/app/search?exact_match=true", ""); status != 200 || strings.Contains(raw, "team/app") {
		t.Fatalf("exact search of a part: %d %s", status, raw)
	}

	if status, _, raw := q("DELETE", "/v1/images/"+id, ""); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if _, err := drv.InspectImage(context.Background(), "team/app:2"); err == nil {
		t.Fatal("the deleted image is still on the host")
	}
	if status, _, _ := q("GET", "/v1/images/"+id, ""); status != 404 {
		t.Fatalf("deleted image: %d", status)
	}
}
