package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/compute"
	"github.com/zun-go/zun/controlplane"
	"github.com/zun-go/zun/driver/fake"
	"github.com/zun-go/zun/glance"
	"github.com/zun-go/zun/scheduler"
	"github.com/zun-go/zun/store/dbtest"
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

// TestCommitIntoImageStore: a commit answers the image store's image at
// once; the control plane uploads it (active, with the tarball's size)
// and finishes the commit's event; nothing of the upload stays recorded.
func TestCommitIntoImageStore(t *testing.T) {
	db := dbtest.Open(t)
	drv := fake.New(fake.Options{Images: []string{testImage}})
	p := startPlane(t, controlplane.Config{Store: db, NameScope: "project", Scheduler: scheduler.Default(),
		ImageDir: t.TempDir(), Agents: []controlplane.Agent{{Config: compute.Config{Host: "host-1",
			SyncInterval: 200 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond}, Driver: drv}}})
	cfg := apiserver.DefaultConfig()
	cfg.NoAuth = true
	ts := httptest.NewServer(apiserver.New(cfg, p.Deps()))
	t.Cleanup(ts.Close)
	ctx := auth.WithAllProjects(auth.System(context.Background()))
	q := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		status, raw := call(t, method, ts.URL+path, "", body)
		var v map[string]any
		_ = json.Unmarshal([]byte(raw), &v)
		return status, v
	}
	poll := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
		}
	}
	status, v := q("POST", "/v1/containers?run=true", `{"image":"`+testImage+`","name":"to-commit"}`)
	if status != 202 {
		t.Fatalf("create: %d %v", status, v)
	}
	id := v["uuid"].(string)
	poll("running", func() bool { _, v := q("GET", "/v1/containers/"+id, ""); return v["status"] == "Running" })

	// event is the commit's event of the newest commit action.
	event := func() map[string]any {
		_, v := q("GET", "/v1/containers/"+id+"/container_actions", "")
		for _, a := range v["containerActions"].([]any) {
			a := a.(map[string]any)
			if a["action"] != "commit" {
				continue
			}
			_, full := q("GET", "/v1/containers/"+id+"/container_actions/"+a["request_id"].(string), "")
			if evs, _ := full["events"].([]any); len(evs) == 1 {
				return evs[0].(map[string]any)
			}
		}
		return nil
	}
	status, v = q("POST", "/v1/containers/"+id+"/commit?repository=team/committed&tag=v1", "")
	if status != 202 {
		t.Fatalf("commit: %d %v", status, v)
	}
	image := v["uuid"].(string)
	poll("image active", func() bool {
		im, err := p.ImageStore.Store.Get(ctx, image)
		return err == nil && im.Status == glance.Active && im.Size > 0
	})
	poll("event finished", func() bool { ev := event(); return ev != nil && ev["finish_time"] != nil })
	if ev := event(); ev["result"] != "Success" {
		t.Fatalf("event %v, want Success", ev)
	}
	if ups, err := p.Images.ListUploads(ctx); err != nil || len(ups) != 0 {
		t.Fatalf("uploads left recorded: %v, %v", ups, err)
	}
}
